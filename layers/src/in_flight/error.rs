//! The error of a call refused because its backend is at its bound.

use std::sync::Arc;

/// The backend already has `max_in_flight` calls running; this one was not sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("backend `{backend}` is overloaded: {max_in_flight} calls are in flight (max_in_flight); retry shortly")]
pub struct Overloaded {
    /// The backend's alias.
    pub backend: Arc<str>,
    /// The bound.
    pub max_in_flight: usize,
}
