use std::sync::Arc;

use tower::Layer;

use super::Trace;

/// Builds [`Trace`] services for one backend.
#[derive(Debug, Clone)]
pub struct TraceLayer {
    backend: Arc<str>,
}

// === impl TraceLayer ===

impl TraceLayer {
    /// A layer naming `backend` in every span.
    pub fn new(backend: impl Into<Arc<str>>) -> Self {
        Self {
            backend: backend.into(),
        }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Trace::new(inner, self.backend.clone())
    }
}
