use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use tower::Layer;

use super::{QuotaConfig, RateLimit, RateLimitConfig, RateLimited, Scope};
use crate::config_error::InvalidConfig;

/// Called with the backend's alias and the refusing scope on every refusal (for
/// `mcpmux_rate_limited_total`).
pub type RateLimitHook = Arc<dyn Fn(&str, Scope) + Send + Sync>;

/// Builds [`RateLimit`] services for one backend; they all share the same buckets.
#[derive(Clone)]
pub struct RateLimitLayer {
    buckets: Arc<Buckets>,
}

/// The buckets of one backend.
pub(crate) struct Buckets {
    backend: Arc<str>,
    per_backend: Option<DefaultDirectRateLimiter>,
    per_principal: Option<DefaultKeyedRateLimiter<String>>,
    per_tool: HashMap<String, DefaultDirectRateLimiter>,
    clock: DefaultClock,
    // Checks since idle principal buckets were last dropped.
    since_sweep: AtomicU32,
    on_limited: Option<RateLimitHook>,
}

// === impl RateLimitLayer ===

impl RateLimitLayer {
    /// A layer from validated `config`; `on_limited` is called on every refusal.
    pub fn new(
        backend: impl Into<Arc<str>>,
        config: &RateLimitConfig,
        on_limited: Option<RateLimitHook>,
    ) -> Result<Self, InvalidConfig> {
        let direct = |q: &QuotaConfig, field| {
            governor_quota(q)
                .map(RateLimiter::direct)
                .ok_or_else(|| invalid(field))
        };
        let per_backend = config
            .per_backend
            .as_ref()
            .map(|q| direct(q, "rate_limit.per_backend"))
            .transpose()?;
        let per_principal = config
            .per_principal
            .as_ref()
            .map(|q| {
                governor_quota(q)
                    .map(RateLimiter::keyed)
                    .ok_or_else(|| invalid("rate_limit.per_principal"))
            })
            .transpose()?;
        let per_tool = config
            .per_tool
            .iter()
            .map(|(tool, q)| Ok((tool.clone(), direct(q, "rate_limit.per_tool")?)))
            .collect::<Result<_, InvalidConfig>>()?;
        let buckets = Buckets {
            backend: backend.into(),
            per_backend,
            per_principal,
            per_tool,
            clock: DefaultClock::default(),
            since_sweep: AtomicU32::new(0),
            on_limited,
        };
        Ok(Self {
            buckets: Arc::new(buckets),
        })
    }

    /// Whether no scope is configured, so the layer can be left out.
    pub fn is_unlimited(&self) -> bool {
        let b = &self.buckets;
        b.per_backend.is_none() && b.per_principal.is_none() && b.per_tool.is_empty()
    }
}

impl std::fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RateLimitLayer")
            .field(&self.buckets)
            .finish()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit::new(inner, self.buckets.clone())
    }
}

// === impl Buckets ===

impl std::fmt::Debug for Buckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buckets")
            .field("backend", &self.backend)
            .field("per_backend", &self.per_backend.is_some())
            .field("per_principal", &self.per_principal.is_some())
            .field("per_tool", &self.per_tool.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Buckets {
    // Idle principals' buckets are dropped this often so one-off clients do not pile up.
    const SWEEP_EVERY: u32 = 4096;

    /// Takes a token from every bucket that applies, most specific first.
    pub(crate) fn check(
        &self,
        tool: Option<&str>,
        principal: Option<&str>,
    ) -> Result<(), RateLimited> {
        if let Some(limiter) = tool.and_then(|t| self.per_tool.get(t)) {
            limiter.check().map_err(|n| self.refuse(Scope::Tool, &n))?;
        }
        if let (Some(limiter), Some(principal)) = (&self.per_principal, principal) {
            self.sweep_now_and_then(limiter);
            // The key is owned because governor's keyed store takes `&K`; one small copy.
            limiter
                .check_key(&principal.to_owned())
                .map_err(|n| self.refuse(Scope::Principal, &n))?;
        }
        if let Some(limiter) = &self.per_backend {
            limiter
                .check()
                .map_err(|n| self.refuse(Scope::Backend, &n))?;
        }
        Ok(())
    }

    fn refuse(
        &self,
        scope: Scope,
        not_until: &NotUntil<<DefaultClock as Clock>::Instant>,
    ) -> RateLimited {
        let wait = not_until.wait_time_from(self.clock.now());
        if let Some(hook) = &self.on_limited {
            hook(&self.backend, scope);
        }
        RateLimited {
            backend: self.backend.clone(),
            scope,
            // Never zero, so `Retry-After` always tells the client to wait.
            retry_after: wait.max(Duration::from_millis(1)),
        }
    }

    fn sweep_now_and_then(&self, limiter: &DefaultKeyedRateLimiter<String>) {
        if self.since_sweep.fetch_add(1, Ordering::Relaxed) >= Self::SWEEP_EVERY {
            self.since_sweep.store(0, Ordering::Relaxed);
            limiter.retain_recent();
        }
    }
}

/// The governor quota for `q`, or `None` if the rate or burst is unusable.
pub(crate) fn governor_quota(q: &QuotaConfig) -> Option<Quota> {
    let rps = q.requests_per_second;
    if !(rps.is_finite() && rps > 0.0) {
        return None;
    }
    let period = Duration::try_from_secs_f64(1.0 / rps).ok()?;
    let default_burst = rps.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
    let burst = NonZeroU32::new(q.burst.unwrap_or(default_burst))?;
    Quota::with_period(period).map(|quota| quota.allow_burst(burst))
}

fn invalid(field: &'static str) -> InvalidConfig {
    InvalidConfig::new(
        field,
        "requests_per_second must be a number > 0 and burst, if set, at least 1",
    )
}
