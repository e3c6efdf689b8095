use std::sync::Arc;
use std::time::Duration;

/// The backend did not answer within the call's limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("backend `{backend}` did not answer within {}", humantime::format_duration(*.limit))]
pub struct Elapsed {
    /// The backend's alias.
    pub backend: Arc<str>,
    /// The limit that passed.
    pub limit: Duration,
}
