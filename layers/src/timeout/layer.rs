use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tower::Layer;

use super::{Limits, Timeout};

/// Builds [`Timeout`] services for one backend.
#[derive(Debug, Clone)]
pub struct TimeoutLayer {
    backend: Arc<str>,
    limits: Arc<Limits>,
}

// === impl TimeoutLayer ===

impl TimeoutLayer {
    /// A layer limiting every call to `default` except the tools in `per_tool`; a zero duration
    /// anywhere means no limit.
    pub fn new(
        backend: impl Into<Arc<str>>,
        default: Option<Duration>,
        per_tool: &BTreeMap<String, Duration>,
    ) -> Self {
        Self::with_limits(backend, Limits::from_config(default, per_tool))
    }

    /// A layer with explicit [`Limits`].
    pub fn with_limits(backend: impl Into<Arc<str>>, limits: Limits) -> Self {
        Self {
            backend: backend.into(),
            limits: Arc::new(limits),
        }
    }

    /// The limits this layer applies.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl<S> Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Timeout::new(inner, self.backend.clone(), self.limits.clone())
    }
}
