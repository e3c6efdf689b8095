//! Repeats failed calls that are safe to repeat, with exponential backoff, jitter and a budget.
//!
//! A call is repeated after an `Err` from the inner service only when the request says it is
//! [`RetrySafety::Safe`](crate::RetrySafety::Safe) or the error chain holds a
//! [`NeverSent`](crate::NeverSent). A call that may have executed is never repeated silently.
//! JSON-RPC error replies are `Ok` responses and are never retried.
//!
//! The service and its future are tower's [`tower::retry::Retry`]; this module supplies the
//! [`RetryPolicy`]. tower-resilience's retry layer was considered and does not fit: its retry
//! predicate sees only the error, while the decision here needs the request (its retry safety)
//! and the error (`NeverSent`) together, which tower's `Policy` gets. The budget is tower's
//! [`TpsBudget`](tower::retry::budget::TpsBudget), so retries cannot amplify an outage.
//!
//! There is no retry error: when retries stop, the last attempt's error is returned unchanged,
//! so the caller still sees `Elapsed`, `NeverSent` or the transport's error.

mod backoff;
mod layer;
mod policy;

pub use self::backoff::Backoff;
pub use self::layer::RetryLayer;
pub use self::policy::{RetryHook, RetryPolicy};
pub use tower::retry::Retry;

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Retry settings of one backend (`retry = { ... }`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Whether failed calls are retried at all. Default `true`.
    pub enabled: bool,
    /// Attempts in total, the first one included; `1` never retries. Default `3`.
    pub max_attempts: u32,
    /// Wait before the first retry, and the floor of every wait. Default `1s`.
    #[serde(with = "crate::duration")]
    pub wait_min: Duration,
    /// Ceiling of every wait. Default `10s`.
    #[serde(with = "crate::duration")]
    pub wait_max: Duration,
    /// Factor by which the wait grows per retry, `>= 1`. Default `2.0`.
    pub exponential_base: f64,
    /// Retries allowed as a share of calls over `budget_window`, in `0..=1000`. Default `0.2`.
    pub budget_percent: f32,
    /// Retries per second always allowed on top of `budget_percent`. Default `10`.
    pub budget_min_per_sec: u32,
    /// How long a call counts towards the budget, whole seconds in `1..=60`. Default `10s`.
    #[serde(with = "crate::duration")]
    pub budget_window: Duration,
}

// === impl RetryConfig ===

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_attempts: 3,
            wait_min: Duration::from_secs(1),
            wait_max: Duration::from_secs(10),
            exponential_base: 2.0,
            budget_percent: 0.2,
            budget_min_per_sec: 10,
            budget_window: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{BoxError, NeverSent};
    use crate::test_support::{ready, scripted, TestReq};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use tokio::time::Instant;
    use tower::{Layer, ServiceExt};

    fn config(max_attempts: u32) -> RetryConfig {
        RetryConfig {
            max_attempts,
            ..RetryConfig::default()
        }
    }

    fn refused() -> BoxError {
        "connection reset".into()
    }

    fn never_sent() -> BoxError {
        NeverSent::new("connection refused").into()
    }

    fn layer(cfg: &RetryConfig) -> RetryLayer {
        RetryLayer::new("github", cfg, None).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn safe_call_is_retried_until_it_succeeds() {
        let (inner, calls) = scripted(|n, _| {
            ready(if n < 2 {
                Err(refused())
            } else {
                Ok("third time")
            })
        });
        let svc = layer(&config(3)).layer(inner);

        let answer = svc.oneshot(TestReq::method("tools/list")).await.unwrap();

        assert_eq!(answer, "third time");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn tool_marked_safe_by_the_gateway_is_retried() {
        let (inner, calls) =
            scripted(|n, _| ready(if n == 0 { Err(refused()) } else { Ok("issue") }));
        let svc = layer(&config(3)).layer(inner);

        let answer = svc
            .oneshot(TestReq::tool("get_issue").safe())
            .await
            .unwrap();

        assert_eq!(answer, "issue");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_call_that_may_have_executed_is_never_retried() {
        let (inner, calls) = scripted(|_, _| ready(Err(refused())));
        let svc = layer(&config(5)).layer(inner);

        let err = svc
            .oneshot(TestReq::tool("create_issue"))
            .await
            .unwrap_err();

        assert_eq!(err.to_string(), "connection reset");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_call_that_never_left_is_retried() {
        let (inner, calls) = scripted(|n, _| {
            ready(if n == 0 {
                Err(never_sent())
            } else {
                Ok("created")
            })
        });
        let svc = layer(&config(3)).layer(inner);

        let answer = svc.oneshot(TestReq::tool("create_issue")).await.unwrap();

        assert_eq!(answer, "created");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn unsafe_call_stops_at_the_first_failure_that_may_have_executed() {
        let (inner, calls) =
            scripted(|n, _| ready(Err(if n == 0 { never_sent() } else { refused() })));
        let svc = layer(&config(5)).layer(inner);

        let err = svc
            .oneshot(TestReq::tool("create_issue"))
            .await
            .unwrap_err();

        assert_eq!(err.to_string(), "connection reset");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn max_attempts_counts_the_first_attempt_and_last_error_is_returned() {
        let (inner, calls) = scripted(|n, _| ready(Err(format!("failure {n}").into())));
        let svc = layer(&config(4)).layer(inner);

        let err = svc
            .oneshot(TestReq::method("resources/read"))
            .await
            .unwrap_err();

        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(err.to_string(), "failure 3");
    }

    #[tokio::test(start_paused = true)]
    async fn one_attempt_or_disabled_means_no_retry() {
        let (inner, calls) = scripted(|_, _| ready(Err(refused())));
        let svc = layer(&config(1)).layer(inner);
        svc.oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn budget_stops_retries_when_spent() {
        // No share of calls, one retry per second over a one-second window: one retry in total.
        let cfg = RetryConfig {
            budget_percent: 0.0,
            budget_min_per_sec: 1,
            budget_window: Duration::from_secs(1),
            ..config(3)
        };
        let (inner, calls) = scripted(|_, _| ready(Err(refused())));
        let svc = layer(&cfg).layer(inner);

        svc.clone()
            .oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "first call: one retry from the reserve"
        );

        svc.oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "second call: budget spent, no retry"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_waits_grow_between_attempts() {
        let times = Arc::new(Mutex::new(Vec::new()));
        let seen = times.clone();
        let (inner, _calls) = scripted(move |_, _| {
            seen.lock().unwrap().push(Instant::now());
            ready(Err("down".into()))
        });
        let svc = layer(&config(4)).layer(inner);

        svc.oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();

        let times = times.lock().unwrap();
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps.len(), 3);
        assert_eq!(gaps[0], Duration::from_secs(1), "first wait is wait_min");
        assert!(gaps[1] >= Duration::from_secs(1) && gaps[1] <= Duration::from_secs(2));
        assert!(gaps[2] >= Duration::from_secs(2) && gaps[2] <= Duration::from_secs(4));
        assert!(gaps[2] > gaps[0]);
    }

    #[tokio::test(start_paused = true)]
    async fn every_retry_is_reported_to_the_hook() {
        let retries = Arc::new(AtomicUsize::new(0));
        let counted = retries.clone();
        let hook: RetryHook = Arc::new(move |backend: &str| {
            assert_eq!(backend, "github");
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let (inner, _calls) = scripted(|_, _| ready(Err(refused())));
        let svc = RetryLayer::new("github", &config(3), Some(hook))
            .unwrap()
            .layer(inner);

        svc.oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();

        assert_eq!(retries.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn invalid_settings_are_rejected_naming_the_field() {
        let cases = [
            (
                RetryConfig {
                    max_attempts: 0,
                    ..Default::default()
                },
                "retry.max_attempts",
            ),
            (
                RetryConfig {
                    wait_min: Duration::from_secs(20),
                    ..Default::default()
                },
                "retry.wait_max",
            ),
            (
                RetryConfig {
                    exponential_base: 0.5,
                    ..Default::default()
                },
                "retry.exponential_base",
            ),
            (
                RetryConfig {
                    budget_percent: -1.0,
                    ..Default::default()
                },
                "retry.budget_percent",
            ),
            (
                RetryConfig {
                    budget_window: Duration::from_millis(1500),
                    ..Default::default()
                },
                "retry.budget_window",
            ),
        ];
        for (cfg, field) in cases {
            let err = RetryLayer::new("github", &cfg, None).unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }
}
