//! The one place a failed call becomes what a client sees: a JSON-RPC error object, a kind
//! each frontend turns into its HTTP status, and a `Retry-After` for refusals that pass.

use std::time::Duration;

use http::StatusCode;

use crate::backend::BackendError;
use crate::gateway::CallError;
use crate::protocol::jsonrpc::to_raw;
use crate::protocol::{error_codes, ErrorObject};

/// A failed call as the edge shows it.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The JSON-RPC error object.
    pub error: ErrorObject,
    /// What kind of failure it is.
    pub kind: Kind,
    /// When a retry may succeed, for refusals (rate limit, open circuit, capacity).
    pub retry_after: Option<Duration>,
}

/// What kind of failure a call had, independent of the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The backend's own JSON-RPC error.
    Answer,
    /// The request was malformed.
    BadRequest,
    /// The params were wrong.
    BadParams,
    /// No such method.
    MethodNotFound,
    /// No such tool, prompt or resource.
    NotFound,
    /// A rate limit refused the call.
    RateLimited,
    /// The backend is not running or cannot be reached.
    Unavailable,
    /// The backend's circuit breaker is open.
    CircuitOpen,
    /// The backend has `max_in_flight` calls running.
    Overloaded,
    /// The backend did not answer in time.
    Timeout,
    /// The backend failed mid-call or answered with something that is not MCP.
    BadGateway,
    /// The gateway holds its maximum of sessions.
    SessionsFull,
    /// The client cancelled.
    Cancelled,
    /// A gateway bug.
    Internal,
}

// === impl Edge ===

impl Edge {
    /// Classifies `error`, looking through a backend error's source chain once.
    pub fn of(error: &CallError) -> Edge {
        let (kind, code) = match error {
            CallError::Answer(e) => {
                return Edge {
                    error: e.clone(),
                    kind: Kind::Answer,
                    retry_after: None,
                }
            }
            CallError::Backend { source, .. } => return backend(source),
            CallError::InvalidRequest(_) => (Kind::BadRequest, error_codes::INVALID_REQUEST),
            CallError::InvalidParams(_) => (Kind::BadParams, error_codes::INVALID_PARAMS),
            CallError::MethodNotFound(_) => (Kind::MethodNotFound, error_codes::METHOD_NOT_FOUND),
            CallError::UnknownName { .. } => (Kind::NotFound, error_codes::INVALID_PARAMS),
            CallError::UnknownResource(_) => (Kind::NotFound, error_codes::RESOURCE_NOT_FOUND),
            CallError::SessionsFull(_) => {
                return Edge::refusal(
                    Kind::SessionsFull,
                    ErrorObject::new(error_codes::TOO_MANY_SESSIONS, error.to_string()),
                    Duration::from_secs(1),
                )
            }
            CallError::Cancelled => (Kind::Cancelled, error_codes::CANCELLED),
            CallError::Internal(_) => (Kind::Internal, error_codes::INTERNAL_ERROR),
        };
        Edge {
            error: ErrorObject::new(code, error.to_string()),
            kind,
            retry_after: None,
        }
    }

    fn refusal(kind: Kind, mut error: ErrorObject, retry_after: Duration) -> Edge {
        error.data = Some(to_raw(
            &serde_json::json!({ "retryAfterMs": retry_after.as_millis() as u64 }),
        ));
        Edge {
            error,
            kind,
            retry_after: Some(retry_after),
        }
    }

    /// `Retry-After` in whole seconds, at least 1.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .map(|d| d.as_millis().div_ceil(1000).max(1) as u64)
    }
}

fn backend(source: &crate::BoxError) -> Edge {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&**source);
    while let Some(e) = current {
        if let Some(e) = e.downcast_ref::<BackendError>() {
            let (kind, code) = match e {
                BackendError::Unavailable { .. } => {
                    (Kind::Unavailable, error_codes::BACKEND_UNAVAILABLE)
                }
                BackendError::Status { .. } => (Kind::BadGateway, error_codes::BACKEND_UNAVAILABLE),
                BackendError::Lost { .. } => (Kind::BadGateway, error_codes::INTERNAL_ERROR),
                BackendError::Protocol { .. } => (Kind::BadGateway, error_codes::BACKEND_PROTOCOL),
            };
            return Edge {
                error: ErrorObject::new(code, e.to_string()),
                kind,
                retry_after: None,
            };
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::Elapsed>() {
            return Edge {
                error: ErrorObject::new(error_codes::BACKEND_TIMEOUT, e.to_string()),
                kind: Kind::Timeout,
                retry_after: None,
            };
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::CircuitOpen>() {
            let error = ErrorObject::new(error_codes::CIRCUIT_OPEN, e.to_string());
            return Edge::refusal(Kind::CircuitOpen, error, e.retry_after);
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::RateLimited>() {
            let error = ErrorObject::new(error_codes::RATE_LIMITED, e.to_string());
            return Edge::refusal(Kind::RateLimited, error, e.retry_after);
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::Overloaded>() {
            let error = ErrorObject::new(error_codes::OVERLOADED, e.to_string());
            return Edge::refusal(Kind::Overloaded, error, Duration::from_secs(1));
        }
        current = e.source();
    }
    Edge {
        error: ErrorObject::internal(format!("backend call failed: {source}")),
        kind: Kind::Internal,
        retry_after: None,
    }
}

// === impl Kind ===

impl Kind {
    /// The HTTP status of an MCP reply carrying this error: JSON-RPC errors travel in a 200,
    /// except malformed requests and refusals that HTTP clients and proxies should see.
    pub fn mcp_status(self) -> StatusCode {
        match self {
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::SessionsFull | Kind::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        }
    }

    /// The HTTP status of a REST bridge reply carrying this error.
    pub fn rest_status(self, answer_code: i64) -> StatusCode {
        match self {
            Kind::Answer if answer_code == error_codes::INVALID_PARAMS => StatusCode::BAD_REQUEST,
            Kind::Answer => StatusCode::BAD_GATEWAY,
            Kind::BadRequest | Kind::BadParams => StatusCode::BAD_REQUEST,
            Kind::MethodNotFound | Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable | Kind::CircuitOpen | Kind::Overloaded | Kind::SessionsFull => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Kind::Timeout => StatusCode::GATEWAY_TIMEOUT,
            Kind::BadGateway => StatusCode::BAD_GATEWAY,
            Kind::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short label for logs and metrics (`outcome`).
    pub fn label(self) -> &'static str {
        match self {
            Kind::Answer => "error",
            Kind::BadRequest | Kind::BadParams | Kind::MethodNotFound | Kind::NotFound => "invalid",
            Kind::RateLimited => "rate_limited",
            Kind::Unavailable | Kind::Overloaded | Kind::SessionsFull => "unavailable",
            Kind::CircuitOpen => "circuit_open",
            Kind::Timeout => "timeout",
            Kind::BadGateway | Kind::Internal => "error",
            Kind::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn backend_error(source: crate::BoxError) -> CallError {
        CallError::Backend {
            backend: Arc::from("gh"),
            source,
        }
    }

    #[test]
    fn refusals_carry_retry_after_in_data_and_in_the_edge() {
        let limited = mcpmux_layers::RateLimited {
            backend: "gh".into(),
            scope: mcpmux_layers::Scope::Backend,
            retry_after: Duration::from_millis(1500),
        };
        let edge = Edge::of(&backend_error(Box::new(limited)));
        assert_eq!(edge.kind, Kind::RateLimited);
        assert_eq!(edge.error.code, error_codes::RATE_LIMITED);
        assert_eq!(edge.retry_after_secs(), Some(2));
        assert_eq!(edge.error.data.unwrap().get(), r#"{"retryAfterMs":1500}"#);
        assert_eq!(
            Kind::RateLimited.mcp_status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[test]
    fn errors_are_found_deep_in_the_source_chain() {
        let unavailable = BackendError::Unavailable {
            backend: "gh".into(),
            reason: "connection refused".into(),
        }
        .never_sent();
        let edge = Edge::of(&backend_error(unavailable));
        assert_eq!(edge.kind, Kind::Unavailable);
        assert_eq!(edge.error.code, error_codes::BACKEND_UNAVAILABLE);
        assert!(edge.error.message.contains("connection refused"));
        assert_eq!(
            Kind::Unavailable.rest_status(0),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn a_backends_own_answer_passes_unchanged() {
        let answer = ErrorObject::new(-32602, "bad arguments");
        let edge = Edge::of(&CallError::Answer(answer));
        assert_eq!(edge.kind, Kind::Answer);
        assert_eq!(edge.error.message, "bad arguments");
        assert_eq!(Kind::Answer.rest_status(-32602), StatusCode::BAD_REQUEST);
        assert_eq!(Kind::Answer.rest_status(-1), StatusCode::BAD_GATEWAY);
    }

    #[test]
    fn unknown_tools_are_not_found_with_the_name_in_the_message() {
        let edge = Edge::of(&CallError::UnknownName {
            kind: "tool",
            name: "gh__nope".into(),
        });
        assert_eq!(edge.error.code, error_codes::INVALID_PARAMS);
        assert!(edge.error.message.contains("gh__nope"));
        assert_eq!(edge.kind.rest_status(0), StatusCode::NOT_FOUND);
    }
}
