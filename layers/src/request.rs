//! What the layers need to know about a request, as small traits the gateway's request type
//! implements. The layers know nothing else about MCP.

use std::error::Error;

/// The error type every layer in this crate returns, as in tower.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Whether a call may be sent to the backend again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetrySafety {
    /// Repeating the call has no effect beyond the first one (list/read/get/discover, or a tool
    /// annotated `readOnlyHint`/`idempotentHint` or configured so).
    Safe,
    /// The call may have side effects; it is repeated only if it provably never left the gateway.
    Unsafe,
}

/// What kind of call a request is; the gateway decides, the layers only read it.
pub trait CallInfo {
    /// The JSON-RPC method, e.g. `tools/call`.
    fn method(&self) -> &str;
    /// The backend-side tool name for `tools/call`, `None` otherwise.
    fn tool_name(&self) -> Option<&str>;
    /// Whether the call may be repeated after a failure.
    fn retry_safety(&self) -> RetrySafety;
    /// The authenticated client principal, if any; keys the per-principal rate limit.
    fn principal(&self) -> Option<&str>;
    /// Whether the gateway itself makes the call (catalog listing, health, subscriptions on a
    /// client's behalf): rate limits, which meter clients, do not apply.
    fn is_internal(&self) -> bool {
        false
    }
}

/// Where outbound credentials go.
pub trait OutboundHeaders {
    /// Headers sent to HTTP and WebSocket backends with this request.
    fn headers_mut(&mut self) -> &mut http::HeaderMap;
    /// Environment for a backend process spawned for this request; `None` when nothing is spawned.
    ///
    /// The layers never write here: stdio backends get their credentials at spawn time from the
    /// backend's own `env` config (resolved with [`crate::auth_inject::resolve`]), not per call.
    fn env_mut(&mut self) -> Option<&mut Vec<(String, String)>> {
        None
    }
}

/// A failure that provably happened before the request reached the backend (connect refused,
/// process not running), so repeating it cannot execute anything twice.
#[derive(Debug, thiserror::Error)]
#[error("request never reached the backend: {0}")]
pub struct NeverSent(#[source] BoxError);

// === impl NeverSent ===

impl NeverSent {
    /// Marks `err` as a failure that happened before anything was sent.
    pub fn new(err: impl Into<BoxError>) -> Self {
        Self(err.into())
    }

    /// The underlying transport error.
    pub fn get_ref(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// Unwraps the underlying transport error.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

/// A call the gateway refused for a bound of its own (per-session connections at their
/// limit): the backend did nothing wrong, so the circuit breaker does not count it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Shed(#[source] BoxError);

impl Shed {
    /// Marks `err` as the gateway's own refusal.
    pub fn new(err: impl Into<BoxError>) -> Self {
        Self(err.into())
    }
}

/// Whether `err` or any error in its source chain is a [`Shed`].
pub fn shed(err: &(dyn Error + 'static)) -> bool {
    in_chain::<Shed>(err)
}

/// Whether `err` or any error in its source chain is a [`NeverSent`].
pub fn never_sent(err: &(dyn Error + 'static)) -> bool {
    in_chain::<NeverSent>(err)
}

/// Whether `err` or any error in its source chain is a `T`.
fn in_chain<T: Error + 'static>(err: &(dyn Error + 'static)) -> bool {
    std::iter::successors(Some(err), |&e| e.source()).any(|e| e.is::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("wrapped")]
    struct Wrapper(#[source] BoxError);

    #[test]
    fn never_sent_is_found_at_the_top_and_deep_in_the_chain() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let top: BoxError = NeverSent::new(refused).into();
        assert!(never_sent(&*top));

        let deep: BoxError = Wrapper(Wrapper(top).into()).into();
        assert!(never_sent(&*deep));
    }

    #[test]
    fn other_errors_are_not_never_sent() {
        let reset: BoxError = std::io::Error::from(std::io::ErrorKind::ConnectionReset).into();
        assert!(!never_sent(&*reset));
        assert!(!never_sent(&*BoxError::from(Wrapper(reset))));
    }

    #[test]
    fn never_sent_exposes_its_cause_as_source() {
        let err = NeverSent::new("connection refused");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("connection refused")
        );
    }
}
