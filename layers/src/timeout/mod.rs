//! Fails a backend call that does not answer in time.
//!
//! The limit is per backend and can be overridden per tool name. tower's own `Timeout` is not
//! used because its `Elapsed` names neither the backend nor the limit, and it has no per-tool
//! limits; this is the same few lines with both.

mod error;
mod future;
mod layer;

pub use self::error::Elapsed;
pub use self::future::ResponseFuture;
pub use self::layer::TimeoutLayer;

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::Service;

use crate::request::{BoxError, CallInfo};

/// Which limit applies to which call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Limit for every call without a tool override; `None` is no limit.
    pub default: Option<Duration>,
    /// Per tool name; `None` exempts that tool (a long-running tool on a fast backend).
    pub per_tool: HashMap<String, Option<Duration>>,
}

/// A service that fails calls with [`Elapsed`] once their limit passes.
#[derive(Debug, Clone)]
pub struct Timeout<S> {
    inner: S,
    backend: Arc<str>,
    limits: Arc<Limits>,
}

// === impl Limits ===

impl Limits {
    /// Builds limits from a zero-means-none default and zero-means-none tool overrides.
    pub fn from_config<'a>(
        default: Option<Duration>,
        per_tool: impl IntoIterator<Item = (&'a String, &'a Duration)>,
    ) -> Self {
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        Self {
            default: default.and_then(nonzero),
            per_tool: per_tool
                .into_iter()
                .map(|(tool, d)| (tool.clone(), nonzero(*d)))
                .collect(),
        }
    }

    /// Whether no call would ever be limited, so the layer can be left out.
    pub fn is_unlimited(&self) -> bool {
        self.default.is_none() && self.per_tool.values().all(Option::is_none)
    }

    /// The limit for a call to `tool` (or a non-tool call).
    pub fn for_tool(&self, tool: Option<&str>) -> Option<Duration> {
        tool.and_then(|t| self.per_tool.get(t).copied())
            .unwrap_or(self.default)
    }
}

// === impl Timeout ===

impl<S> Timeout<S> {
    /// Wraps `inner`, naming `backend` in errors.
    pub fn new(inner: S, backend: Arc<str>, limits: Arc<Limits>) -> Self {
        Self {
            inner,
            backend,
            limits,
        }
    }
}

impl<S, Req> Service<Req> for Timeout<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    Req: CallInfo,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Waiting for readiness is not timed: back-pressure belongs to the layers that queue.
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let limit = self.limits.for_tool(req.tool_name());
        let response = self.inner.call(req);
        ResponseFuture::new(response, limit.map(|l| (self.backend.clone(), l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{hang_on, TestReq};
    use std::collections::BTreeMap;
    use tower::{Layer, ServiceExt};

    fn layer(default: u64, tools: &[(&str, u64)]) -> TimeoutLayer {
        let tools: BTreeMap<String, Duration> = tools
            .iter()
            .map(|(t, s)| (t.to_string(), Duration::from_secs(*s)))
            .collect();
        TimeoutLayer::new("github", Some(Duration::from_secs(default)), &tools)
    }

    #[tokio::test(start_paused = true)]
    async fn hung_call_fails_with_elapsed_naming_backend_and_limit() {
        let svc = layer(30, &[]).layer(hang_on(|_| true));
        let start = tokio::time::Instant::now();

        let err = svc
            .oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();

        let elapsed = err.downcast_ref::<Elapsed>().expect("an Elapsed error");
        assert_eq!(&*elapsed.backend, "github");
        assert_eq!(elapsed.limit, Duration::from_secs(30));
        assert_eq!(
            err.to_string(),
            "backend `github` did not answer within 30s"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn per_tool_override_wins_over_backend_limit() {
        let svc = layer(30, &[("slow", 120), ("quick", 1)]).layer(hang_on(|_| true));
        let start = tokio::time::Instant::now();

        let err = svc
            .clone()
            .oneshot(TestReq::tool("slow"))
            .await
            .unwrap_err();
        assert_eq!(
            err.downcast_ref::<Elapsed>().unwrap().limit,
            Duration::from_secs(120)
        );
        assert_eq!(start.elapsed(), Duration::from_secs(120));

        let err = svc
            .clone()
            .oneshot(TestReq::tool("quick"))
            .await
            .unwrap_err();
        assert_eq!(
            err.downcast_ref::<Elapsed>().unwrap().limit,
            Duration::from_secs(1)
        );

        let err = svc.oneshot(TestReq::tool("other")).await.unwrap_err();
        assert_eq!(
            err.downcast_ref::<Elapsed>().unwrap().limit,
            Duration::from_secs(30)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn zero_tool_override_exempts_that_tool() {
        let tools = BTreeMap::from([("long".to_string(), Duration::ZERO)]);
        let svc = TimeoutLayer::new("github", Some(Duration::from_secs(1)), &tools).layer(
            tower::service_fn(|_req: TestReq| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok::<_, BoxError>("done")
            }),
        );

        assert_eq!(svc.oneshot(TestReq::tool("long")).await.unwrap(), "done");
    }

    #[tokio::test(start_paused = true)]
    async fn answer_before_the_limit_passes_through_and_errors_are_kept() {
        let ok = layer(30, &[]).layer(tower::service_fn(|_req: TestReq| async {
            tokio::time::sleep(Duration::from_secs(29)).await;
            Ok::<_, BoxError>("fine")
        }));
        assert_eq!(ok.oneshot(TestReq::method("ping")).await.unwrap(), "fine");

        let failing = layer(30, &[]).layer(tower::service_fn(|_req: TestReq| async {
            Err::<&str, _>(BoxError::from("refused"))
        }));
        let err = failing.oneshot(TestReq::method("ping")).await.unwrap_err();
        assert_eq!(err.to_string(), "refused");
    }

    #[test]
    fn zero_default_and_no_overrides_is_unlimited() {
        assert!(Limits::from_config(Some(Duration::ZERO), &BTreeMap::new()).is_unlimited());
        assert!(Limits::from_config(None, &BTreeMap::new()).is_unlimited());
        assert!(
            !Limits::from_config(Some(Duration::from_secs(1)), &BTreeMap::new()).is_unlimited()
        );
    }
}
