//! Refuses calls over a backend's request rate, at once and without queueing.
//!
//! Token buckets (governor's GCRA) per backend (one bucket), per client principal (one bucket
//! each, keyed by [`CallInfo::principal`]; calls without a principal skip this scope) and per
//! configured tool (one bucket per tool, shared by all clients). The most specific bucket is
//! checked first, so a call refused for its principal or tool does not spend the backend's
//! tokens. The error carries `retry_after` for the HTTP frontend's `429` + `Retry-After`.

mod error;
mod future;
mod layer;

pub use self::error::{RateLimited, Scope};
pub use self::future::ResponseFuture;
pub use self::layer::{RateLimitHook, RateLimitLayer};

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use tower::Service;

use self::layer::Buckets;
use crate::request::{BoxError, CallInfo};

/// Rate limits of one backend (`rate_limit = { ... }`); every scope is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// One bucket for all calls to the backend. Default unset (no limit).
    pub per_backend: Option<QuotaConfig>,
    /// One bucket per client principal. Default unset (no limit).
    pub per_principal: Option<QuotaConfig>,
    /// One bucket per listed tool name (backend-side name). Default empty.
    pub per_tool: BTreeMap<String, QuotaConfig>,
}

/// A token bucket: a sustained rate and how many calls may arrive at once.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Sustained calls per second; fractions allowed (`0.5` is one call every two seconds).
    pub requests_per_second: f64,
    /// Calls allowed in a burst. Default: `requests_per_second` rounded up, at least 1.
    #[serde(default)]
    pub burst: Option<u32>,
}

/// A service that refuses calls over the configured rates with [`RateLimited`].
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    inner: S,
    buckets: Arc<Buckets>,
}

// === impl RateLimit ===

impl<S> RateLimit<S> {
    pub(crate) fn new(inner: S, buckets: Arc<Buckets>) -> Self {
        Self { inner, buckets }
    }
}

impl<S, Req> Service<Req> for RateLimit<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    Req: CallInfo,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        if req.is_internal() {
            return ResponseFuture::called(self.inner.call(req));
        }
        match self.buckets.check(req.tool_name(), req.principal()) {
            Ok(()) => ResponseFuture::called(self.inner.call(req)),
            Err(limited) => ResponseFuture::limited(limited),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{hang_on, TestReq};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tower::{Layer, ServiceExt};

    fn quota(rps: f64, burst: u32) -> QuotaConfig {
        QuotaConfig {
            requests_per_second: rps,
            burst: Some(burst),
        }
    }

    fn svc(
        config: RateLimitConfig,
    ) -> RateLimit<impl Service<TestReq, Response = &'static str, Error = BoxError> + Clone> {
        RateLimitLayer::new("github", &config, None)
            .unwrap()
            .layer(hang_on(|_| false))
    }

    async fn outcome<S>(svc: &S, req: TestReq) -> Result<&'static str, BoxError>
    where
        S: Service<TestReq, Response = &'static str, Error = BoxError> + Clone,
    {
        svc.clone().oneshot(req).await
    }

    fn limited(result: Result<&'static str, BoxError>) -> RateLimited {
        let err = result.expect_err("should be rate limited");
        err.downcast_ref::<RateLimited>()
            .cloned()
            .expect("a RateLimited error")
    }

    #[tokio::test]
    async fn backend_bucket_refuses_the_excess_with_retry_after() {
        let svc = svc(RateLimitConfig {
            per_backend: Some(quota(1.0, 2)),
            ..Default::default()
        });
        outcome(&svc, TestReq::method("tools/list")).await.unwrap();
        outcome(&svc, TestReq::method("tools/list").principal("bob"))
            .await
            .unwrap();

        let err = limited(outcome(&svc, TestReq::method("tools/list")).await);
        assert_eq!(err.scope, Scope::Backend);
        assert!(err.retry_after > Duration::ZERO && err.retry_after <= Duration::from_secs(1));
        assert!(
            err.to_string()
                .starts_with("backend `github`: rate limit exceeded for backend; retry after"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn principal_bucket_refuses_one_client_without_affecting_another() {
        let svc = svc(RateLimitConfig {
            per_principal: Some(quota(1.0, 1)),
            ..Default::default()
        });
        outcome(&svc, TestReq::method("tools/list").principal("alice"))
            .await
            .unwrap();

        let err = limited(outcome(&svc, TestReq::method("tools/list").principal("alice")).await);
        assert_eq!(err.scope, Scope::Principal);
        assert!(err.retry_after > Duration::ZERO);

        outcome(&svc, TestReq::method("tools/list").principal("bob"))
            .await
            .unwrap();
        // Calls without a principal are not limited per principal.
        outcome(&svc, TestReq::method("tools/list")).await.unwrap();
        outcome(&svc, TestReq::method("tools/list")).await.unwrap();
    }

    #[tokio::test]
    async fn tool_bucket_limits_only_that_tool() {
        let config = RateLimitConfig {
            per_tool: BTreeMap::from([("search".to_string(), quota(0.5, 1))]),
            ..Default::default()
        };
        let svc = svc(config);
        outcome(&svc, TestReq::tool("search")).await.unwrap();

        let err = limited(outcome(&svc, TestReq::tool("search").principal("bob")).await);
        assert_eq!(err.scope, Scope::Tool);
        assert!(
            err.retry_after > Duration::from_secs(1),
            "half a call per second: ~2s to wait"
        );

        outcome(&svc, TestReq::tool("other")).await.unwrap();
        outcome(&svc, TestReq::tool("other")).await.unwrap();
    }

    #[tokio::test]
    async fn refusal_by_a_narrower_scope_does_not_spend_backend_tokens() {
        let config = RateLimitConfig {
            per_backend: Some(quota(1.0, 2)),
            per_principal: Some(quota(1.0, 1)),
            ..Default::default()
        };
        let svc = svc(config);
        outcome(&svc, TestReq::method("ping").principal("alice"))
            .await
            .unwrap();
        for _ in 0..5 {
            let err = limited(outcome(&svc, TestReq::method("ping").principal("alice")).await);
            assert_eq!(err.scope, Scope::Principal);
        }
        outcome(&svc, TestReq::method("ping").principal("bob"))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn refused_calls_never_reach_the_backend_and_are_reported() {
        let reached = Arc::new(AtomicUsize::new(0));
        let counted = reached.clone();
        let inner = tower::service_fn(move |_req: TestReq| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<_, BoxError>("ok") }
        });
        let refusals = Arc::new(AtomicUsize::new(0));
        let seen = refusals.clone();
        let hook: RateLimitHook = Arc::new(move |backend: &str, scope| {
            assert_eq!((backend, scope), ("github", Scope::Backend));
            seen.fetch_add(1, Ordering::SeqCst);
        });
        let config = RateLimitConfig {
            per_backend: Some(quota(1.0, 1)),
            ..Default::default()
        };
        let svc = RateLimitLayer::new("github", &config, Some(hook))
            .unwrap()
            .layer(inner);

        for _ in 0..4 {
            let _ = svc.clone().oneshot(TestReq::method("ping")).await;
        }
        assert_eq!(reached.load(Ordering::SeqCst), 1);
        assert_eq!(refusals.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn invalid_quotas_are_rejected_naming_the_field() {
        let bad = [
            quota(0.0, 1),
            quota(f64::NAN, 1),
            quota(-1.0, 1),
            quota(1.0, 0),
        ];
        for q in bad {
            let config = RateLimitConfig {
                per_principal: Some(q),
                ..Default::default()
            };
            let err = RateLimitLayer::new("x", &config, None).unwrap_err();
            assert_eq!(err.field, "rate_limit.per_principal");
        }
    }

    #[test]
    fn burst_defaults_to_the_rate_rounded_up() {
        let q: QuotaConfig = serde_json::from_str(r#"{"requests_per_second": 2.5}"#).unwrap();
        assert_eq!(layer::governor_quota(&q).unwrap().burst_size().get(), 3);
        let slow: QuotaConfig = serde_json::from_str(r#"{"requests_per_second": 0.1}"#).unwrap();
        assert_eq!(layer::governor_quota(&slow).unwrap().burst_size().get(), 1);
    }

    #[tokio::test]
    async fn the_gateways_own_calls_are_not_metered() {
        let svc = svc(RateLimitConfig {
            per_backend: Some(quota(0.01, 1)),
            ..RateLimitConfig::default()
        });
        outcome(&svc, TestReq::method("tools/list")).await.unwrap();
        for _ in 0..5 {
            outcome(&svc, TestReq::method("tools/list").internal())
                .await
                .expect("catalog listing and health are never rate limited");
        }
        limited(outcome(&svc, TestReq::method("tools/list")).await);
    }
}
