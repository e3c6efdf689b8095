//! Builds one backend's stack from its config, outermost layer first:
//! trace, rate limit, in-flight bound, circuit breaker, retry, timeout, auth inject, transport.
//!
//! Why this order: the span covers everything, refused calls (rate limit, in-flight bound)
//! never count as backend failures, the breaker sees one outcome per call however many times
//! it was retried, each retry attempt gets its own timeout, and credentials are set on every
//! attempt.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceBuilder};

use crate::auth_inject::{AuthConfig, AuthConfigError, AuthInjectLayer, ClientAuthorization};
use crate::circuit_breaker::{BreakerConfig, BreakerHandle, CircuitBreakerLayer, StateHook};
use crate::config_error::InvalidConfig;
use crate::in_flight::InFlightLayer;
use crate::rate_limit::{RateLimitConfig, RateLimitHook, RateLimitLayer};
use crate::request::{BoxError, CallInfo, OutboundHeaders};
use crate::retry::{RetryConfig, RetryHook, RetryLayer};
use crate::timeout::TimeoutLayer;
use crate::trace::TraceLayer;

/// The resilience and policy settings of one backend. Meant to be embedded with
/// `#[serde(flatten)]` in the gateway's backend config, so it accepts unknown keys.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct StackConfig {
    /// Limit per call, as seconds (`30.0`) or a duration (`"30s"`); `0` or `null` disables.
    /// Default `30s`.
    #[serde(with = "crate::duration::option")]
    pub timeout: Option<Duration>,
    /// Per-tool limits overriding `timeout`, by backend-side tool name; `0` exempts a tool.
    /// Default empty.
    #[serde(with = "crate::duration::map")]
    pub tool_timeouts: BTreeMap<String, Duration>,
    /// Retry of failed calls that are safe to repeat. Default: enabled, see [`RetryConfig`].
    pub retry: RetryConfig,
    /// Circuit breaker. Default: enabled, see [`BreakerConfig`].
    pub circuit_breaker: BreakerConfig,
    /// Request rate limits. Default unset (no limits).
    pub rate_limit: Option<RateLimitConfig>,
    /// Credentials sent to the backend. Default unset.
    pub auth: Option<AuthConfig>,
    /// Whether the client's own `Authorization` header reaches the backend. Default `false`
    /// (the MCP spec forbids token passthrough).
    pub forward_client_authorization: bool,
    /// Most calls in flight to the backend; beyond it calls are refused at once with a clear
    /// error instead of queueing. `0` means no bound. Default 256.
    pub max_in_flight: usize,
}

/// Callbacks through which the gateway counts what the layers do; all optional.
#[derive(Clone, Default)]
pub struct StackHooks {
    /// Called once per retry with the backend's alias (`mcpmux_retries_total`).
    pub on_retry: Option<RetryHook>,
    /// Called on every breaker state change (`mcpmux_circuit_state`).
    pub on_circuit_state: Option<StateHook>,
    /// Called on every rate-limit refusal with the scope (`mcpmux_rate_limited_total`).
    pub on_rate_limited: Option<RateLimitHook>,
}

/// A built backend stack and the handles the gateway keeps next to it.
pub struct Stack<Req, Res> {
    /// The layered service; clone it per caller.
    pub service: BoxCloneSyncService<Req, Res, BoxError>,
    /// The breaker, for the `circuit_state` gauge and the health checker; `None` if disabled.
    pub breaker: Option<BreakerHandle>,
}

/// Why a stack could not be built from its config.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// A setting is out of range.
    #[error(transparent)]
    Invalid(#[from] InvalidConfig),
    /// The auth credentials cannot be resolved or sent.
    #[error("invalid `auth`: {0}")]
    Auth(#[from] AuthConfigError),
}

// === impl StackConfig ===

impl Default for StackConfig {
    fn default() -> Self {
        Self {
            timeout: Some(Duration::from_secs(30)),
            tool_timeouts: BTreeMap::new(),
            retry: RetryConfig::default(),
            circuit_breaker: BreakerConfig::default(),
            rate_limit: None,
            auth: None,
            forward_client_authorization: false,
            max_in_flight: 256,
        }
    }
}

// === impl StackHooks ===

impl fmt::Debug for StackHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StackHooks")
            .field("on_retry", &self.on_retry.is_some())
            .field("on_circuit_state", &self.on_circuit_state.is_some())
            .field("on_rate_limited", &self.on_rate_limited.is_some())
            .finish()
    }
}

// === impl Stack ===

impl<Req, Res> fmt::Debug for Stack<Req, Res> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("breaker", &self.breaker)
            .finish_non_exhaustive()
    }
}

/// Wraps `inner` (the backend's transport) in the layers `cfg` asks for.
pub fn build<S, Req>(
    backend: &str,
    cfg: &StackConfig,
    inner: S,
    hooks: StackHooks,
) -> Result<Stack<Req, S::Response>, StackError>
where
    S: Service<Req> + Clone + Send + Sync + 'static,
    S::Response: Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
    Req: CallInfo + OutboundHeaders + Clone + Send + 'static,
{
    let backend: Arc<str> = Arc::from(backend);
    let rate_limit = rate_limit_layer(&backend, cfg, hooks.on_rate_limited)?;
    let in_flight =
        (cfg.max_in_flight > 0).then(|| InFlightLayer::new(backend.clone(), cfg.max_in_flight));
    let breaker = breaker_layer(&backend, cfg, hooks.on_circuit_state)?;
    let retry = retry_layer(&backend, cfg, hooks.on_retry)?;
    let timeout = timeout_layer(&backend, cfg);
    let auth = auth_layer(cfg)?;
    let breaker_handle = breaker.as_ref().map(CircuitBreakerLayer::handle);

    let service = ServiceBuilder::new()
        .layer(TraceLayer::new(backend))
        .option_layer(rate_limit)
        .option_layer(in_flight)
        .option_layer(breaker)
        .option_layer(retry)
        .option_layer(timeout)
        .option_layer(auth)
        // Every layer's error is `BoxError`; the transport's becomes one too, so an absent
        // layer (`Either::Right`) has the same error type as a present one.
        .map_err(Into::<BoxError>::into)
        .service(inner);

    Ok(Stack {
        service: BoxCloneSyncService::new(service),
        breaker: breaker_handle,
    })
}

fn rate_limit_layer(
    backend: &Arc<str>,
    cfg: &StackConfig,
    hook: Option<RateLimitHook>,
) -> Result<Option<RateLimitLayer>, InvalidConfig> {
    let Some(config) = &cfg.rate_limit else {
        return Ok(None);
    };
    let layer = RateLimitLayer::new(backend.clone(), config, hook)?;
    Ok((!layer.is_unlimited()).then_some(layer))
}

fn breaker_layer(
    backend: &Arc<str>,
    cfg: &StackConfig,
    hook: Option<StateHook>,
) -> Result<Option<CircuitBreakerLayer>, InvalidConfig> {
    if !cfg.circuit_breaker.enabled {
        return Ok(None);
    }
    CircuitBreakerLayer::new(backend.clone(), &cfg.circuit_breaker, hook).map(Some)
}

fn retry_layer(
    backend: &Arc<str>,
    cfg: &StackConfig,
    hook: Option<RetryHook>,
) -> Result<Option<RetryLayer>, InvalidConfig> {
    if !cfg.retry.enabled {
        return Ok(None);
    }
    RetryLayer::new(backend.clone(), &cfg.retry, hook).map(Some)
}

fn timeout_layer(backend: &Arc<str>, cfg: &StackConfig) -> Option<TimeoutLayer> {
    let layer = TimeoutLayer::new(backend.clone(), cfg.timeout, &cfg.tool_timeouts);
    (!layer.limits().is_unlimited()).then_some(layer)
}

fn auth_layer(cfg: &StackConfig) -> Result<Option<AuthInjectLayer>, AuthConfigError> {
    let client = ClientAuthorization::from_flag(cfg.forward_client_authorization);
    if cfg.auth.is_none() && client == ClientAuthorization::Forward {
        // Nothing to add and nothing to strip.
        return Ok(None);
    }
    AuthInjectLayer::new(cfg.auth.as_ref(), client).map(Some)
}

#[cfg(test)]
mod tests;
