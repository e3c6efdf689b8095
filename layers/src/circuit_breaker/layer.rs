use std::sync::Arc;

use tower::Layer;

use super::handle::Shared;
use super::{BreakerConfig, BreakerHandle, CircuitBreaker, StateHook};
use crate::config_error::InvalidConfig;

/// Builds [`CircuitBreaker`] services for one backend; they all share one breaker.
#[derive(Clone)]
pub struct CircuitBreakerLayer {
    shared: Arc<Shared>,
}

// === impl CircuitBreakerLayer ===

impl CircuitBreakerLayer {
    /// A layer from validated `config` (its `enabled` flag is for [`crate::stack::build`]);
    /// `on_change` is called on every state change.
    pub fn new(
        backend: impl Into<Arc<str>>,
        config: &BreakerConfig,
        on_change: Option<StateHook>,
    ) -> Result<Self, InvalidConfig> {
        validate(config)?;
        let shared = Shared::new(backend.into(), config, on_change);
        Ok(Self {
            shared: Arc::new(shared),
        })
    }

    /// A handle on the shared breaker, for metrics and health checks.
    pub fn handle(&self) -> BreakerHandle {
        BreakerHandle::new(self.shared.clone())
    }
}

impl std::fmt::Debug for CircuitBreakerLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CircuitBreakerLayer")
            .field(&self.handle())
            .finish()
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreaker<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CircuitBreaker::new(inner, self.shared.clone())
    }
}

fn validate(c: &BreakerConfig) -> Result<(), InvalidConfig> {
    if c.failure_threshold == 0 {
        return Err(InvalidConfig::new(
            "circuit_breaker.failure_threshold",
            "must be at least 1",
        ));
    }
    if c.half_open_max_calls == 0 {
        return Err(InvalidConfig::new(
            "circuit_breaker.half_open_max_calls",
            "must be at least 1",
        ));
    }
    if let Some(rate) = c.failure_rate {
        if !(rate > 0.0 && rate <= 1.0) {
            return Err(InvalidConfig::new(
                "circuit_breaker.failure_rate",
                "must be a share of calls in (0, 1], e.g. 0.5",
            ));
        }
    }
    if c.minimum_calls == 0 {
        return Err(InvalidConfig::new(
            "circuit_breaker.minimum_calls",
            "must be at least 1",
        ));
    }
    if c.window.is_zero() {
        return Err(InvalidConfig::new(
            "circuit_breaker.window",
            "must be longer than zero",
        ));
    }
    Ok(())
}
