//! Fences off a failing backend: after too many failures, calls fail fast with [`CircuitOpen`]
//! until a recovery timeout passes, then a few probes decide whether to close again.
//!
//! The breaker opens after `failure_threshold` consecutive failures, or (when `failure_rate` is
//! set) when the share of failed calls over `window` reaches it with at least `minimum_calls`
//! calls. After `recovery_timeout` it lets `half_open_max_calls` probes through: all of them
//! succeeding closes it, any failing reopens it. A failure is an `Err` from the inner service;
//! the gateway's backend returns `Ok` for a JSON-RPC error reply, which is not a failure. A
//! [`BreakerHandle`] reads the state and feeds health-check results in.
//!
//! tower-resilience's circuit breaker was considered and does not fit: it trips on either
//! consecutive failures or a failure rate but not both, its handle cannot record health-check
//! outcomes (only force a state), its open error carries neither the cause nor the time until
//! recovery, and it measures time with `std::time::Instant`, so recovery cannot be tested on
//! tokio's paused clock.

mod error;
mod future;
mod handle;
mod layer;
mod state;

pub use self::error::{CircuitOpen, TripCause};
pub use self::future::ResponseFuture;
pub use self::handle::BreakerHandle;
pub use self::layer::CircuitBreakerLayer;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tower::Service;

use self::handle::Shared;
use crate::request::BoxError;

/// Called after every state change with the backend's alias and its latest state (for
/// `mcpmux_circuit_state`).
pub type StateHook = Arc<dyn Fn(&str, CircuitState) + Send + Sync>;

/// Where a breaker stands; the discriminant is the value of the `circuit_state` gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CircuitState {
    /// Calls flow; failures are being counted.
    Closed = 0,
    /// Calls fail fast with [`CircuitOpen`].
    Open = 1,
    /// A limited number of probe calls decide whether to close or reopen.
    HalfOpen = 2,
}

/// Circuit breaker settings of one backend (`circuit_breaker = { ... }`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Whether the backend has a breaker at all. Default `true`.
    pub enabled: bool,
    /// Consecutive failures that open the breaker. Default `5`.
    pub failure_threshold: u32,
    /// How long the breaker stays open before probing. Default `60s`.
    #[serde(with = "crate::duration")]
    pub recovery_timeout: Duration,
    /// Probes let through while half-open; all must succeed to close. Default `1`.
    pub half_open_max_calls: u32,
    /// Share of failed calls over `window`, in `(0, 1]`, that also opens it. Default unset (off).
    pub failure_rate: Option<f64>,
    /// Calls needed in `window` before `failure_rate` is judged. Default `10`.
    pub minimum_calls: u32,
    /// The sliding window `failure_rate` is measured over. Default `60s`.
    #[serde(with = "crate::duration")]
    pub window: Duration,
}

/// A service that refuses calls while its backend's breaker is open.
pub struct CircuitBreaker<S> {
    inner: S,
    shared: Arc<Shared>,
    // Set when `poll_ready` found the breaker open and so did not ask `inner` for readiness.
    refused: Option<CircuitOpen>,
}

// === impl CircuitState ===

impl CircuitState {
    /// The state's name as used in logs and metric labels.
    pub fn as_str(&self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

impl fmt::Display for CircuitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl BreakerConfig ===

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_threshold: 5,
            recovery_timeout: Duration::from_secs(60),
            half_open_max_calls: 1,
            failure_rate: None,
            minimum_calls: 10,
            window: Duration::from_secs(60),
        }
    }
}

// === impl CircuitBreaker ===

impl<S> CircuitBreaker<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self {
            inner,
            shared,
            refused: None,
        }
    }

    /// A handle on this service's breaker.
    pub fn handle(&self) -> BreakerHandle {
        BreakerHandle::new(self.shared.clone())
    }
}

impl<S: Clone> Clone for CircuitBreaker<S> {
    fn clone(&self) -> Self {
        // A clone has not been polled ready, so it must not inherit a pending refusal.
        Self::new(self.inner.clone(), self.shared.clone())
    }
}

impl<S: fmt::Debug> fmt::Debug for CircuitBreaker<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("inner", &self.inner)
            .field("breaker", &self.handle())
            .finish()
    }
}

impl<S, Req> Service<Req> for CircuitBreaker<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.refused.is_some() {
            return Poll::Ready(Ok(()));
        }
        // While open, be ready at once so the call fails fast instead of waiting on a backend
        // that is known to be down (a restarting process, say) to become ready.
        if let Some(refusal) = self.shared.refusing() {
            self.refused = Some(refusal);
            return Poll::Ready(Ok(()));
        }
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        if let Some(refusal) = self.refused.take() {
            return ResponseFuture::refused(refusal);
        }
        match self.shared.admit() {
            Ok(permit) => ResponseFuture::called(self.inner.call(req), permit),
            Err(refusal) => ResponseFuture::refused(refusal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{ready, scripted, TestReq};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    use tower::{Layer, ServiceExt};

    fn layer(config: BreakerConfig) -> CircuitBreakerLayer {
        CircuitBreakerLayer::new("github", &config, None).unwrap()
    }

    fn threshold(n: u32) -> BreakerConfig {
        BreakerConfig {
            failure_threshold: n,
            recovery_timeout: Duration::from_secs(30),
            ..BreakerConfig::default()
        }
    }

    /// An inner service that fails while `down` is set, counting calls.
    fn switchable(
        down: Arc<AtomicBool>,
    ) -> (
        impl Service<
                TestReq,
                Response = &'static str,
                Error = BoxError,
                Future = crate::test_support::TestFuture<&'static str>,
            > + Clone,
        Arc<std::sync::atomic::AtomicUsize>,
    ) {
        scripted(move |_, _| {
            ready(if down.load(Ordering::SeqCst) {
                Err("connection reset".into())
            } else {
                Ok("ok")
            })
        })
    }

    async fn call<S>(svc: &S) -> Result<&'static str, BoxError>
    where
        S: Service<TestReq, Response = &'static str, Error = BoxError> + Clone,
    {
        svc.clone().oneshot(TestReq::method("tools/list")).await
    }

    #[tokio::test(start_paused = true)]
    async fn the_gateways_own_refusals_are_not_held_against_the_backend() {
        let (inner, calls) =
            scripted(|_, _| ready(Err(crate::request::Shed::new("at max_processes").into())));
        let layer = layer(threshold(3));
        let handle = layer.handle();
        let svc = layer.layer(inner);
        for _ in 0..10 {
            let err = call(&svc).await.unwrap_err();
            assert!(crate::request::shed(&*err), "{err}");
        }
        assert_eq!(handle.state(), CircuitState::Closed);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            10,
            "every call reached the service"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_and_fails_fast_with_retry_after() {
        let down = Arc::new(AtomicBool::new(true));
        let (inner, calls) = switchable(down);
        let layer = layer(threshold(3));
        let handle = layer.handle();
        let svc = layer.layer(inner);

        for _ in 0..3 {
            assert_eq!(
                call(&svc).await.unwrap_err().to_string(),
                "connection reset"
            );
        }
        assert_eq!(handle.state(), CircuitState::Open);

        tokio::time::advance(Duration::from_secs(10)).await;
        let err = call(&svc).await.unwrap_err();
        let open = err.downcast_ref::<CircuitOpen>().expect("CircuitOpen");
        assert_eq!(open.cause, TripCause::ConsecutiveFailures(3));
        assert_eq!(open.retry_after, Duration::from_secs(20));
        assert_eq!(
            err.to_string(),
            "backend `github` is unavailable: circuit open after 3 consecutive failures; retry after 20s"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "the open breaker did not call the backend"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_consecutive_count() {
        let (inner, _) = scripted(|n, _| {
            ready(if n % 2 == 0 {
                Err("reset".into())
            } else {
                Ok("ok")
            })
        });
        let layer = layer(threshold(2));
        let handle = layer.handle();
        let svc = layer.layer(inner);
        for _ in 0..10 {
            let _ = call(&svc).await;
        }
        assert_eq!(handle.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_after_recovery_timeout_then_successful_probe_closes() {
        let down = Arc::new(AtomicBool::new(true));
        let (inner, calls) = switchable(down.clone());
        let layer = layer(threshold(2));
        let handle = layer.handle();
        let svc = layer.layer(inner);
        let _ = call(&svc).await;
        let _ = call(&svc).await;
        assert_eq!(handle.state(), CircuitState::Open);

        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(handle.state(), CircuitState::HalfOpen);

        down.store(false, Ordering::SeqCst);
        assert_eq!(call(&svc).await.unwrap(), "ok");
        assert_eq!(handle.state(), CircuitState::Closed);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_probe_reopens_for_another_recovery_timeout() {
        let down = Arc::new(AtomicBool::new(true));
        let (inner, calls) = switchable(down);
        let layer = layer(threshold(1));
        let handle = layer.handle();
        let svc = layer.layer(inner);
        let _ = call(&svc).await;

        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(
            call(&svc).await.unwrap_err().to_string(),
            "connection reset"
        );
        assert_eq!(handle.state(), CircuitState::Open);

        let err = call(&svc).await.unwrap_err();
        let open = err.downcast_ref::<CircuitOpen>().unwrap();
        assert_eq!(open.cause, TripCause::FailedProbe);
        assert_eq!(open.retry_after, Duration::from_secs(30));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn half_open_admits_only_the_configured_probes() {
        let (inner, _) = scripted(|n, _| {
            if n == 0 {
                ready(Err("reset".into()))
            } else {
                Box::pin(async {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    Ok("ok")
                })
            }
        });
        let config = BreakerConfig {
            half_open_max_calls: 2,
            ..threshold(1)
        };
        let layer = layer(config);
        let handle = layer.handle();
        let svc = layer.layer(inner);
        let _ = call(&svc).await;
        tokio::time::advance(Duration::from_secs(30)).await;

        let probes = (call(&svc), call(&svc), call(&svc));
        let (a, b, c) = tokio::join!(probes.0, probes.1, probes.2);
        assert!(a.is_ok() && b.is_ok());
        assert!(
            c.unwrap_err().is::<CircuitOpen>(),
            "a third caller is refused while probing"
        );
        assert_eq!(
            handle.state(),
            CircuitState::Closed,
            "two successful probes close it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failure_rate_over_the_window_opens_it() {
        // Every third call fails: never 3 in a row, but 33% >= 30% once 6 calls were seen.
        let (inner, _) = scripted(|n, _| {
            ready(if n % 3 == 2 {
                Err("reset".into())
            } else {
                Ok("ok")
            })
        });
        let config = BreakerConfig {
            failure_rate: Some(0.3),
            minimum_calls: 6,
            window: Duration::from_secs(60),
            ..threshold(3)
        };
        let layer = layer(config);
        let handle = layer.handle();
        let svc = layer.layer(inner);

        for _ in 0..5 {
            let _ = call(&svc).await;
            assert_eq!(handle.state(), CircuitState::Closed, "below minimum_calls");
        }
        let _ = call(&svc).await;
        assert_eq!(handle.state(), CircuitState::Open);
        let err = call(&svc).await.unwrap_err();
        assert_eq!(
            err.downcast_ref::<CircuitOpen>().unwrap().cause,
            TripCause::FailureRate {
                failures: 2,
                calls: 6
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_outside_the_window_do_not_count_towards_the_rate() {
        let (inner, _) = scripted(|n, _| ready(if n < 3 { Err("reset".into()) } else { Ok("ok") }));
        let config = BreakerConfig {
            failure_rate: Some(0.5),
            minimum_calls: 4,
            window: Duration::from_secs(10),
            ..threshold(100)
        };
        let layer = layer(config);
        let handle = layer.handle();
        let svc = layer.layer(inner);
        for _ in 0..3 {
            let _ = call(&svc).await;
        }
        tokio::time::advance(Duration::from_secs(20)).await;
        for _ in 0..4 {
            call(&svc).await.unwrap();
        }
        assert_eq!(handle.state(), CircuitState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn health_checks_feed_the_breaker() {
        let (inner, calls) = scripted(|_, _| ready(Ok("ok")));
        let layer = layer(threshold(2));
        let handle = layer.handle();
        let svc = layer.layer(inner);

        handle.record_failure();
        handle.record_failure();
        assert_eq!(handle.state(), CircuitState::Open, "failed pings open it");
        assert!(call(&svc).await.unwrap_err().is::<CircuitOpen>());

        tokio::time::advance(Duration::from_secs(20)).await;
        handle.record_failure();
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(
            handle.state(),
            CircuitState::Open,
            "a failed ping restarts the timeout"
        );

        handle.record_success();
        assert_eq!(
            handle.state(),
            CircuitState::HalfOpen,
            "a good ping allows probing early"
        );
        assert_eq!(call(&svc).await.unwrap(), "ok");
        assert_eq!(handle.state(), CircuitState::Closed);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn state_changes_reach_hook_and_watchers() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let hook: StateHook = Arc::new(move |backend: &str, state| {
            log.lock().unwrap().push(format!("{backend}:{state}"));
        });
        let layer = CircuitBreakerLayer::new("github", &threshold(1), Some(hook)).unwrap();
        let handle = layer.handle();
        let mut rx = handle.subscribe();
        assert_eq!(*rx.borrow(), CircuitState::Closed);

        handle.record_failure();
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), CircuitState::Open);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(handle.state(), CircuitState::HalfOpen);
        handle.record_success();

        assert_eq!(*rx.borrow(), CircuitState::Closed);
        assert_eq!(
            *seen.lock().unwrap(),
            ["github:open", "github:half_open", "github:closed"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn open_breaker_does_not_wait_for_an_unready_backend() {
        // The inner service never becomes ready; an open breaker must still answer at once.
        #[derive(Clone)]
        struct NeverReady;
        impl Service<TestReq> for NeverReady {
            type Response = &'static str;
            type Error = BoxError;
            type Future = std::future::Ready<Result<&'static str, BoxError>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
                Poll::Pending
            }
            fn call(&mut self, _: TestReq) -> Self::Future {
                std::future::ready(Ok("unreachable"))
            }
        }
        let layer = layer(threshold(1));
        layer.handle().record_failure();
        let err = layer
            .layer(NeverReady)
            .oneshot(TestReq::method("ping"))
            .await
            .unwrap_err();
        assert!(err.is::<CircuitOpen>());
    }

    #[test]
    fn invalid_settings_are_rejected_naming_the_field() {
        let cases = [
            (
                BreakerConfig {
                    failure_threshold: 0,
                    ..Default::default()
                },
                "circuit_breaker.failure_threshold",
            ),
            (
                BreakerConfig {
                    half_open_max_calls: 0,
                    ..Default::default()
                },
                "circuit_breaker.half_open_max_calls",
            ),
            (
                BreakerConfig {
                    failure_rate: Some(1.5),
                    ..Default::default()
                },
                "circuit_breaker.failure_rate",
            ),
            (
                BreakerConfig {
                    failure_rate: Some(0.0),
                    ..Default::default()
                },
                "circuit_breaker.failure_rate",
            ),
            (
                BreakerConfig {
                    window: Duration::ZERO,
                    ..Default::default()
                },
                "circuit_breaker.window",
            ),
        ];
        for (config, field) in cases {
            assert_eq!(
                CircuitBreakerLayer::new("x", &config, None)
                    .unwrap_err()
                    .field,
                field
            );
        }
    }
}
