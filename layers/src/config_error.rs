//! The one error every layer's config validation returns.

/// A config value that cannot be used; names the field relative to the backend's config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {reason}")]
pub struct InvalidConfig {
    /// Dotted path of the field inside the backend's config, e.g. `retry.max_attempts`.
    pub field: &'static str,
    /// What is wrong with it and what is accepted.
    pub reason: String,
}

impl InvalidConfig {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
