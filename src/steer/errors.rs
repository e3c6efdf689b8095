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
        if e.is::<tower::timeout::error::Elapsed>() {
            return ErrorObject::new(
                error_codes::BACKEND_TIMEOUT,
                format!("backend `{backend}` did not answer in time"),
            );
        }
        current = e.source();
    }
    ErrorObject::internal(format!("call to backend `{backend}` failed: {err}"))
}
