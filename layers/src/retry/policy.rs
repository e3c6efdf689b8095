use std::sync::Arc;

use tokio::time::Sleep;
use tower::retry::budget::{Budget, TpsBudget};
use tower::retry::Policy;

use super::Backoff;
use crate::request::{never_sent, BoxError, CallInfo, RetrySafety};

/// Called with the backend's alias every time a call is retried (for `mcpmux_retries_total`).
pub type RetryHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The retry decision for one backend; cloned per call to count that call's attempts.
#[derive(Clone)]
pub struct RetryPolicy {
    shared: Arc<Shared>,
    // Retries already made for this call.
    retries: u32,
}

struct Shared {
    backend: Arc<str>,
    max_attempts: u32,
    backoff: Backoff,
    budget: TpsBudget,
    on_retry: Option<RetryHook>,
}

// === impl RetryPolicy ===

impl RetryPolicy {
    pub(crate) fn new(
        backend: Arc<str>,
        max_attempts: u32,
        backoff: Backoff,
        budget: TpsBudget,
        on_retry: Option<RetryHook>,
    ) -> Self {
        let shared = Shared {
            backend,
            max_attempts,
            backoff,
            budget,
            on_retry,
        };
        Self {
            shared: Arc::new(shared),
            retries: 0,
        }
    }

    fn attempts_left(&self) -> bool {
        self.retries + 1 < self.shared.max_attempts
    }
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("backend", &self.shared.backend)
            .field("max_attempts", &self.shared.max_attempts)
            .field("backoff", &self.shared.backoff)
            .field("budget", &self.shared.budget)
            .field("retries", &self.retries)
            .finish()
    }
}

impl<Req, Res> Policy<Req, Res, BoxError> for RetryPolicy
where
    Req: CallInfo + Clone,
{
    type Future = Sleep;

    fn retry(&mut self, req: &mut Req, result: &mut Result<Res, BoxError>) -> Option<Sleep> {
        let shared = &*self.shared;
        if self.retries == 0 {
            // Every call earns budget once, whatever its outcome, as tower's budget expects.
            shared.budget.deposit();
        }
        let err = result.as_ref().err()?;
        if !self.attempts_left() {
            return None;
        }
        if req.retry_safety() == RetrySafety::Unsafe && !never_sent(&**err) {
            return None;
        }
        if !shared.budget.withdraw() {
            tracing::debug!(backend = %shared.backend, method = req.method(), "retry budget spent; not retrying");
            return None;
        }
        self.retries += 1;
        let wait = shared.backoff.delay(self.retries);
        tracing::debug!(
            backend = %shared.backend,
            method = req.method(),
            tool = req.tool_name(),
            retry = self.retries,
            wait_ms = wait.as_millis() as u64,
            error = %err,
            "retrying backend call"
        );
        if let Some(hook) = &shared.on_retry {
            hook(&shared.backend);
        }
        Some(tokio::time::sleep(wait))
    }

    fn clone_request(&mut self, req: &Req) -> Option<Req> {
        // No copy is kept when no retry could follow, so `max_attempts = 1` costs nothing.
        self.attempts_left().then(|| req.clone())
    }
}
