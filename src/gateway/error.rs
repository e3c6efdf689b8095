//! `CallError`: why a client call got no result, kept typed from steer and the backend stack
//! up to the frontend edge, where `frontend::edge` maps it once to a JSON-RPC error, an HTTP
//! status and `Retry-After`.

use std::sync::Arc;

use crate::protocol::{ErrorObject, ObjectError};
use crate::BoxError;

/// Why a call has no result.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The backend answered with a JSON-RPC error: its answer, passed through unchanged.
    #[error("{}", .0.message)]
    Answer(ErrorObject),
    /// The request is not valid JSON-RPC for the gateway (e.g. a repeated member).
    #[error("{0}")]
    InvalidRequest(String),
    /// The params are wrong for the method.
    #[error("{0}")]
    InvalidParams(String),
    /// No such method.
    #[error("method `{0}` is not supported by mcpmux")]
    MethodNotFound(String),
    /// A tool or prompt that is not in the catalog.
    #[error(
        "unknown {kind} `{name}`: it is not in the catalog (list {kind}s to see what is available)"
    )]
    UnknownName {
        /// `tool` or `prompt`.
        kind: &'static str,
        /// The exposed name the client used.
        name: String,
    },
    /// A resource URI no backend lists or matches.
    #[error("unknown resource `{0}`: no backend lists it or a template matching it")]
    UnknownResource(String),
    /// The call failed below the JSON-RPC level in a backend's stack.
    #[error("{source}")]
    Backend {
        /// The backend's alias.
        backend: Arc<str>,
        /// The transport's or a layer's error.
        source: BoxError,
    },
    /// The gateway holds `max_sessions` sessions.
    #[error("{0}; retry later, or end unused sessions with DELETE")]
    SessionsFull(#[from] crate::session::SessionsFull),
    /// The client cancelled the call.
    #[error("the call was cancelled")]
    Cancelled,
    /// Something the gateway got wrong.
    #[error("{0}")]
    Internal(String),
}

impl CallError {
    /// A params object that could not be read.
    pub fn params(method: &str, error: ObjectError) -> CallError {
        match error {
            ObjectError::Duplicate(member) => CallError::InvalidRequest(format!(
                "invalid request: `params.{member}` appears more than once in {method}; send each member once"
            )),
            other => CallError::InvalidParams(format!("{method} params: {other}")),
        }
    }

    /// A repeated member inside a member the gateway reads (`_meta.progressToken`, `ref.name`).
    pub fn nested(method: &str, outer: &str, error: ObjectError) -> CallError {
        match error {
            ObjectError::Duplicate(member) => CallError::InvalidRequest(format!(
                "invalid request: `params.{outer}.{member}` appears more than once in {method}; send each member once"
            )),
            other => CallError::InvalidParams(format!("{method} params.{outer}: {other}")),
        }
    }
}
