use std::sync::Arc;

use tower::retry::budget::TpsBudget;
use tower::retry::Retry;
use tower::Layer;

use super::{Backoff, RetryConfig, RetryHook, RetryPolicy};
use crate::config_error::InvalidConfig;

/// Builds [`Retry`] services for one backend; all of them share one retry budget.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    policy: RetryPolicy,
}

// === impl RetryLayer ===

impl RetryLayer {
    /// A layer from validated `config` (its `enabled` flag is for [`crate::stack::build`]);
    /// `on_retry` is called once per retry.
    pub fn new(
        backend: impl Into<Arc<str>>,
        config: &RetryConfig,
        on_retry: Option<RetryHook>,
    ) -> Result<Self, InvalidConfig> {
        validate(config)?;
        let backoff = Backoff::new(config.wait_min, config.wait_max, config.exponential_base);
        let budget = TpsBudget::new(
            config.budget_window,
            config.budget_min_per_sec,
            config.budget_percent,
        );
        let policy = RetryPolicy::new(
            backend.into(),
            config.max_attempts,
            backoff,
            budget,
            on_retry,
        );
        Ok(Self { policy })
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = Retry<RetryPolicy, S>;

    fn layer(&self, inner: S) -> Self::Service {
        Retry::new(self.policy.clone(), inner)
    }
}

// `TpsBudget::new` panics outside these bounds, so they are checked here with field names.
fn validate(c: &RetryConfig) -> Result<(), InvalidConfig> {
    if c.max_attempts == 0 {
        return Err(InvalidConfig::new(
            "retry.max_attempts",
            "must be at least 1",
        ));
    }
    if c.wait_max < c.wait_min {
        return Err(InvalidConfig::new(
            "retry.wait_max",
            format!(
                "must not be below retry.wait_min ({})",
                humantime::format_duration(c.wait_min)
            ),
        ));
    }
    if !(c.exponential_base.is_finite() && c.exponential_base >= 1.0) {
        return Err(InvalidConfig::new(
            "retry.exponential_base",
            "must be a number >= 1",
        ));
    }
    if !(0.0..=1000.0).contains(&c.budget_percent) {
        return Err(InvalidConfig::new(
            "retry.budget_percent",
            "must be between 0 and 1000",
        ));
    }
    if c.budget_min_per_sec >= i32::MAX as u32 {
        return Err(InvalidConfig::new(
            "retry.budget_min_per_sec",
            "is too large",
        ));
    }
    let window = c.budget_window;
    if window.subsec_nanos() != 0 || !(1..=60).contains(&window.as_secs()) {
        return Err(InvalidConfig::new(
            "retry.budget_window",
            "must be a whole number of seconds between 1s and 60s",
        ));
    }
    Ok(())
}
