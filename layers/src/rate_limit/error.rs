use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Which bucket refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The backend's own bucket.
    Backend,
    /// The calling principal's bucket.
    Principal,
    /// The called tool's bucket.
    Tool,
}

/// The call was over a rate limit and was not sent; try again after `retry_after`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "backend `{backend}`: rate limit exceeded for {scope}; retry after {}",
    humantime::format_duration(whole_seconds(*.retry_after))
)]
pub struct RateLimited {
    /// The backend's alias.
    pub backend: Arc<str>,
    /// Which bucket refused the call.
    pub scope: Scope,
    /// How long until that bucket has a token again; never zero.
    pub retry_after: Duration,
}

// === impl Scope ===

impl Scope {
    /// The scope's name as used in logs and the `rate_limited_total{scope}` label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Scope::Backend => "backend",
            Scope::Principal => "principal",
            Scope::Tool => "tool",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rounds up to whole seconds for messages: sub-second precision only adds noise there.
fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}
