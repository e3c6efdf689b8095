//! Transport failures. Which ones provably never reached the backend matters: only those may be
//! retried for calls that are not safe to repeat (they are wrapped in `NeverSent`).

use std::sync::Arc;

/// A backend call that failed below the JSON-RPC level.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The backend is not running or cannot be reached; the call was not sent.
    #[error("backend `{backend}` is unavailable: {reason}")]
    Unavailable {
        /// The backend alias.
        backend: Arc<str>,
        /// Why, e.g. "failed to start `npx`: No such file or directory (retrying in 2s)".
        reason: Arc<str>,
    },
    /// The connection or process ended while the call was in flight; it may have executed.
    #[error(
        "backend `{backend}` {what} while handling `{method}`; the call may or may not have run"
    )]
    Lost {
        /// The backend alias.
        backend: Arc<str>,
        /// The method in flight.
        method: Arc<str>,
        /// What happened, e.g. "exited (exit status: 3)".
        what: String,
    },
    /// The backend answered, but not with valid MCP.
    #[error("backend `{backend}` sent an invalid reply: {detail}")]
    Protocol {
        /// The backend alias.
        backend: Arc<str>,
        /// What was wrong with it.
        detail: String,
    },
    /// An HTTP backend answered with an error status.
    #[error("backend `{backend}` answered HTTP {status}{detail}")]
    Status {
        /// The backend alias.
        backend: Arc<str>,
        /// The HTTP status.
        status: http::StatusCode,
        /// What is said of the body (never the body itself: it may echo credentials).
        detail: String,
    },
}

impl BackendError {
    /// Wraps a failure that provably never reached the backend, so that retry may repeat it.
    pub fn never_sent(self) -> crate::BoxError {
        Box::new(mcpmux_layers::request::NeverSent::new(self))
    }

    /// A refusal by one of the gateway's own bounds before anything was sent: retry-safe, and
    /// not held against the backend by the circuit breaker.
    pub fn shed(self) -> crate::BoxError {
        Box::new(mcpmux_layers::request::Shed::new(self.never_sent()))
    }
}

/// An error and every cause under it, on one line: hyper's "client error (Connect)" alone
/// does not say that the connection was refused.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
