//! Modern-era calls waiting for their client's next round (multi round-trip requests).
//!
//! A call that needs the client's input keeps running in the background; the client gets an
//! `InputRequiredResult` whose `requestState` is a random 128-bit handle to the parked call.
//! The handle is the whole state: nothing in it can be forged into something else, it is
//! bound to the principal, method and target that parked it, it is used once, and it expires
//! (the call is cancelled) when the client does not come back in time.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::oneshot;
use tracing::debug;

use super::CallError;
use crate::protocol::RawJson;
use crate::session::{CallContext, PendingInput};

/// What a retry must repeat of the request that parked the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The principal of the request.
    pub principal: Option<Arc<str>>,
    /// `tools/call`, `prompts/get` or `resources/read`.
    pub method: Box<str>,
    /// The tool or prompt name, or the resource URI.
    pub target: Option<Box<str>>,
}

/// A call waiting for its client.
pub struct Parked {
    /// The call.
    pub ctx: Arc<CallContext>,
    /// Its result, when it comes.
    pub result: oneshot::Receiver<Result<RawJson, CallError>>,
    /// The backend's requests the client was asked to answer.
    pub inputs: Vec<PendingInput>,
    /// What a retry must repeat.
    pub binding: Binding,
}

impl std::fmt::Debug for Parked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parked")
            .field("binding", &self.binding)
            .field("inputs", &self.inputs.len())
            .finish_non_exhaustive()
    }
}

/// Why a `requestState` cannot resume a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// Unknown, already used, or expired.
    #[error(
        "`requestState` does not name a call waiting for input (unknown, already used, or expired)"
    )]
    Unknown,
    /// Parked by another principal, method or target.
    #[error("`requestState` belongs to another request: retry the same method and target with it")]
    Mismatch,
}

/// The parked calls of the gateway.
#[derive(Debug)]
pub struct ParkedCalls {
    calls: Mutex<HashMap<Box<str>, Parked>>,
    /// How long a call waits for its client.
    wait: Duration,
    /// Most calls parked at once; past it a new one is refused.
    max: usize,
}

// === impl ParkedCalls ===

impl ParkedCalls {
    /// Calls wait `wait` for their client; at most `max` wait at once.
    pub fn new(wait: Duration, max: usize) -> Arc<ParkedCalls> {
        Arc::new(ParkedCalls {
            calls: Mutex::new(HashMap::new()),
            wait,
            max,
        })
    }

    /// Parks a call: its future runs on in the background. Returns the `requestState`, or
    /// `None` (the call cancelled) when `max` calls wait already.
    pub fn park(
        self: &Arc<Self>,
        ctx: Arc<CallContext>,
        future: BoxFuture<'static, Result<RawJson, CallError>>,
        inputs: Vec<PendingInput>,
        binding: Binding,
    ) -> Option<String> {
        let (done, result) = oneshot::channel();
        tokio::spawn(async move {
            let _ = done.send(future.await);
        });
        self.hold(Parked {
            ctx,
            result,
            inputs,
            binding,
        })
    }

    /// Parks a resumed call again (it asked for more input).
    pub fn hold(self: &Arc<Self>, parked: Parked) -> Option<String> {
        let handle = new_handle();
        {
            let mut calls = self.lock();
            if calls.len() >= self.max {
                debug!(
                    max = self.max,
                    "too many calls wait for input; cancelling this one"
                );
                parked.ctx.cancel();
                return None;
            }
            calls.insert(handle.as_str().into(), parked);
        }
        let parked = Arc::downgrade(self);
        let expiring = handle.clone();
        let wait = self.wait;
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            expire(&parked, &expiring);
        });
        Some(handle)
    }

    /// Takes the call `state` names, if `binding` matches the request that parked it.
    pub fn resume(&self, state: &str, binding: &Binding) -> Result<Parked, ResumeError> {
        let mut calls = self.lock();
        let parked = calls.get(state).ok_or(ResumeError::Unknown)?;
        if &parked.binding != binding {
            return Err(ResumeError::Mismatch);
        }
        calls.remove(state).ok_or(ResumeError::Unknown)
    }

    /// How many calls wait now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no call waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Box<str>, Parked>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn expire(calls: &Weak<ParkedCalls>, handle: &str) {
    let Some(calls) = calls.upgrade() else { return };
    let expired = calls.lock().remove(handle);
    if let Some(parked) = expired {
        // Nobody will come back for the call.
        parked.ctx.cancel();
        debug!("a call waiting for input expired; cancelled");
    }
}

/// 128 random bits, hex: unguessable, so only the client it was given to can name the call.
fn new_handle() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().fold(String::with_capacity(32), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::CallParts;

    fn binding(target: &str) -> Binding {
        Binding {
            principal: None,
            method: "tools/call".into(),
            target: Some(target.into()),
        }
    }

    fn pending() -> BoxFuture<'static, Result<RawJson, CallError>> {
        Box::pin(std::future::pending())
    }

    #[tokio::test]
    async fn a_state_resumes_its_own_call_once() {
        let calls = ParkedCalls::new(Duration::from_secs(60), 10);
        let ctx = CallContext::new(CallParts::default());
        let state = calls
            .park(ctx.clone(), pending(), Vec::new(), binding("a"))
            .expect("room");
        assert_eq!(state.len(), 32);
        assert_eq!(
            calls.resume(&state, &binding("b")).unwrap_err(),
            ResumeError::Mismatch
        );
        let parked = calls.resume(&state, &binding("a")).expect("parked");
        assert!(Arc::ptr_eq(&parked.ctx, &ctx));
        assert_eq!(
            calls.resume(&state, &binding("a")).unwrap_err(),
            ResumeError::Unknown
        );
        assert!(!ctx.is_cancelled(), "a resumed call runs on");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_nobody_comes_back_for_expires_and_is_cancelled() {
        let calls = ParkedCalls::new(Duration::from_secs(5), 10);
        let ctx = CallContext::new(CallParts::default());
        let state = calls
            .park(ctx.clone(), pending(), Vec::new(), binding("a"))
            .expect("room");
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(calls.is_empty());
        assert!(ctx.is_cancelled());
        assert_eq!(
            calls.resume(&state, &binding("a")).unwrap_err(),
            ResumeError::Unknown
        );
    }

    #[tokio::test]
    async fn past_the_bound_a_call_is_refused() {
        let calls = ParkedCalls::new(Duration::from_secs(60), 1);
        let first = CallContext::new(CallParts::default());
        let second = CallContext::new(CallParts::default());
        assert!(calls
            .park(first, pending(), Vec::new(), binding("a"))
            .is_some());
        assert!(calls
            .park(second.clone(), pending(), Vec::new(), binding("a"))
            .is_none());
        assert!(second.is_cancelled());
    }
}
