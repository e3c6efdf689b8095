//! Maps a failed backend call to exactly one JSON-RPC error.

use crate::backend::BackendError;
use crate::protocol::error_codes;
use crate::protocol::ErrorObject;
use crate::BoxError;

/// The JSON-RPC error for a failed call through `backend`.
pub fn error_object(backend: &str, err: &BoxError) -> ErrorObject {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&**err);
    while let Some(e) = current {
        if let Some(e) = e.downcast_ref::<BackendError>() {
            let code = match e {
                BackendError::Unavailable { .. } | BackendError::Status { .. } => {
                    error_codes::BACKEND_UNAVAILABLE
                }
                BackendError::Lost { .. } => error_codes::INTERNAL_ERROR,
                BackendError::Protocol { .. } => error_codes::BACKEND_PROTOCOL,
            };
            return ErrorObject::new(code, e.to_string());
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::Elapsed>() {
            return ErrorObject::new(error_codes::BACKEND_TIMEOUT, e.to_string());
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::CircuitOpen>() {
            let error = ErrorObject::new(error_codes::CIRCUIT_OPEN, e.to_string());
            return with_retry_after(error, e.retry_after);
        }
        if let Some(e) = e.downcast_ref::<mcpmux_layers::RateLimited>() {
            let error = ErrorObject::new(error_codes::RATE_LIMITED, e.to_string());
            return with_retry_after(error, e.retry_after);
        }
        current = e.source();
    }
    ErrorObject::internal(format!("call to backend `{backend}` failed: {err}"))
}

/// Attaches `{"retryAfterMs": N}` so the HTTP frontend can answer 429/503 with `Retry-After`.
fn with_retry_after(mut error: ErrorObject, retry_after: std::time::Duration) -> ErrorObject {
    error.data = Some(crate::protocol::jsonrpc::to_raw(
        &serde_json::json!({ "retryAfterMs": retry_after.as_millis() as u64 }),
    ));
    error
}
