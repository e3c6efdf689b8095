use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why the breaker opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripCause {
    /// This many calls in a row failed.
    ConsecutiveFailures(u32),
    /// The failure rate over the window crossed `failure_rate`.
    FailureRate {
        /// Failed calls in the window.
        failures: u32,
        /// All calls in the window.
        calls: u32,
    },
    /// A half-open probe (or health check) failed.
    FailedProbe,
}

/// The backend is fenced off by its circuit breaker; the call was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "backend `{backend}` is unavailable: circuit open after {cause}; retry after {}",
    humantime::format_duration(*.retry_after)
)]
pub struct CircuitOpen {
    /// The backend's alias.
    pub backend: Arc<str>,
    /// Why the breaker opened.
    pub cause: TripCause,
    /// When a call may be let through again, in whole seconds, at least 1s (for `Retry-After`).
    pub retry_after: Duration,
}

// === impl TripCause ===

impl TripCause {
    /// The number of failures that opened the breaker.
    pub fn failures(&self) -> u32 {
        match *self {
            TripCause::ConsecutiveFailures(n) => n,
            TripCause::FailureRate { failures, .. } => failures,
            TripCause::FailedProbe => 1,
        }
    }
}

impl fmt::Display for TripCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TripCause::ConsecutiveFailures(1) => f.write_str("1 failure"),
            TripCause::ConsecutiveFailures(n) => write!(f, "{n} consecutive failures"),
            TripCause::FailureRate { failures, calls } => {
                write!(f, "{failures} failures in the last {calls} calls")
            }
            TripCause::FailedProbe => f.write_str("a failed recovery probe"),
        }
    }
}

// === impl CircuitOpen ===

impl CircuitOpen {
    /// Builds the error, rounding `retry_after` up to whole seconds and at least 1s.
    pub fn new(backend: Arc<str>, cause: TripCause, retry_after: Duration) -> Self {
        let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Self {
            backend,
            cause,
            retry_after: Duration::from_secs(secs.max(1)),
        }
    }

    /// The number of failures that opened the breaker.
    pub fn failures(&self) -> u32 {
        self.cause.failures()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_says_what_failed_and_when_to_retry() {
        let err = CircuitOpen::new(
            "github".into(),
            TripCause::ConsecutiveFailures(5),
            Duration::from_millis(29_200),
        );
        assert_eq!(
            err.to_string(),
            "backend `github` is unavailable: circuit open after 5 consecutive failures; retry after 30s"
        );
        assert_eq!(err.failures(), 5);
        let rate = CircuitOpen::new(
            "db".into(),
            TripCause::FailureRate {
                failures: 6,
                calls: 10,
            },
            Duration::ZERO,
        );
        assert_eq!(
            rate.to_string(),
            "backend `db` is unavailable: circuit open after 6 failures in the last 10 calls; retry after 1s"
        );
    }
}
