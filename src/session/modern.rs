//! What a modern-era (2026-07-28) call keeps that a legacy call finds in its session: the
//! client's capabilities and log level (sent with every request, never remembered), the
//! response stream of the current round, and the backend's requests to the client that wait
//! for the client's next round.
//!
//! Modern clients take no server-to-client requests. A backend's `sampling/createMessage`,
//! `elicitation/create` or `roots/list` during a modern call is queued here; the frontend
//! answers the client with an `InputRequiredResult` listing them, keeps the call running, and
//! hands each answer from the client's retry (`inputResponses`) back to the waiting backend.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use serde_json::value::RawValue;
use tokio::sync::{oneshot, Notify};

use super::client::ClientCaps;
use super::events::{EventLog, Window};
use crate::protocol::mcp::LogLevel;
use crate::protocol::Outcome;

/// Stream numbers of modern response streams (never named to clients: they do not resume).
static NEXT_STREAM: AtomicU64 = AtomicU64::new(1);

/// The per-call state of a modern-era client's call.
#[derive(Debug)]
pub struct ModernCall {
    caps: ClientCaps,
    log_level: Option<LogLevel>,
    window: Window,
    round: Mutex<Round>,
    changed: Notify,
}

/// One request-response exchange of a call (a call has several when it asks for input).
#[derive(Debug)]
struct Round {
    streamable: bool,
    stream: Option<Arc<EventLog>>,
    inputs: Vec<PendingInput>,
    next_key: u64,
}

/// A backend's request to the client, waiting for the client's next round.
#[derive(Debug)]
pub struct PendingInput {
    /// The key the client answers under in `inputResponses`.
    pub key: String,
    /// `sampling/createMessage`, `elicitation/create` or `roots/list`.
    pub method: Box<str>,
    /// The backend's params, as it sent them.
    pub params: Option<Box<RawValue>>,
    /// Where the client's answer goes (the backend's transport waits on it).
    pub answer: oneshot::Sender<Outcome>,
}

// === impl ModernCall ===

impl ModernCall {
    /// A call whose request declared `caps` and asked for logs at `log_level` (none: no logs).
    pub fn new(
        caps: ClientCaps,
        log_level: Option<LogLevel>,
        window: Window,
        streamable: bool,
    ) -> Arc<ModernCall> {
        Arc::new(ModernCall {
            caps,
            log_level,
            window,
            round: Mutex::new(Round {
                streamable,
                stream: None,
                inputs: Vec::new(),
                next_key: 1,
            }),
            changed: Notify::new(),
        })
    }

    /// What the client's request declared it can answer.
    pub fn caps(&self) -> &ClientCaps {
        &self.caps
    }

    /// The level the request asked logs at; `None` means the client wants none.
    pub fn log_level(&self) -> Option<LogLevel> {
        self.log_level
    }

    /// Sends `message` on the current round's response stream, opening it. False when the
    /// client takes no stream (the message is dropped: a modern call has nowhere else to go).
    pub fn push(&self, message: Bytes) -> bool {
        let mut round = self.lock();
        if !round.streamable {
            return false;
        }
        let window = &self.window;
        let stream = round.stream.get_or_insert_with(|| {
            Arc::new(EventLog::new(
                NEXT_STREAM.fetch_add(1, Ordering::Relaxed),
                window.clone(),
            ))
        });
        let pushed = stream.push(message).is_some();
        drop(round);
        self.changed.notify_waiters();
        pushed
    }

    /// Queues a backend's request for the client's next round; the receiver gets the answer.
    pub fn ask(&self, method: &str, params: Option<Box<RawValue>>) -> oneshot::Receiver<Outcome> {
        let (answer, receiver) = oneshot::channel();
        let mut round = self.lock();
        let key = format!("mcpmux-{}", round.next_key);
        round.next_key += 1;
        round.inputs.push(PendingInput {
            key,
            method: method.into(),
            params,
            answer,
        });
        drop(round);
        self.changed.notify_waiters();
        receiver
    }

    /// The current round's response stream, if anything was sent on it.
    pub fn stream(&self) -> Option<Arc<EventLog>> {
        self.lock().stream.clone()
    }

    /// Resolves once the round's stream is open.
    pub async fn opened(&self) {
        self.wait_for(|r| r.stream.is_some()).await
    }

    /// Resolves once a request waits for the client.
    pub async fn input_needed(&self) {
        self.wait_for(|r| !r.inputs.is_empty()).await
    }

    /// The requests waiting for the client, taken out of the round.
    pub fn take_inputs(&self) -> Vec<PendingInput> {
        std::mem::take(&mut self.lock().inputs)
    }

    /// Starts the client's next round: a new response stream, and the requests the client's
    /// retry left unanswered still waiting.
    pub fn next_round(&self, streamable: bool, unanswered: Vec<PendingInput>) {
        let mut round = self.lock();
        round.streamable = streamable;
        round.stream = None;
        round.inputs = unanswered;
        drop(round);
        self.changed.notify_waiters();
    }

    async fn wait_for(&self, ready: impl Fn(&Round) -> bool) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if ready(&self.lock()) {
                return;
            }
            notified.await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, Round> {
        self.round.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(streamable: bool) -> Arc<ModernCall> {
        ModernCall::new(ClientCaps::default(), None, Window::default(), streamable)
    }

    #[tokio::test]
    async fn a_push_opens_the_rounds_stream_and_a_new_round_starts_fresh() {
        let call = call(true);
        assert!(call.stream().is_none());
        assert!(call.push(Bytes::from_static(b"{}")));
        call.opened().await;
        assert!(call.stream().is_some());
        call.next_round(true, Vec::new());
        assert!(call.stream().is_none(), "each round gets its own stream");
    }

    #[test]
    fn without_a_stream_messages_are_dropped() {
        assert!(!call(false).push(Bytes::from_static(b"{}")));
    }

    #[tokio::test]
    async fn asks_wait_for_the_next_round_under_distinct_keys() {
        let call = call(false);
        let first = call.ask("roots/list", None);
        let _second = call.ask("sampling/createMessage", None);
        call.input_needed().await;
        let inputs = call.take_inputs();
        assert_eq!(inputs.len(), 2);
        assert_ne!(inputs[0].key, inputs[1].key);
        let mut inputs = inputs.into_iter();
        let roots = inputs.next().expect("two inputs");
        roots
            .answer
            .send(Ok(crate::protocol::RawJson::empty_object()))
            .expect("receiver alive");
        assert!(first.await.expect("answered").is_ok());
        call.next_round(false, inputs.collect());
        call.input_needed().await;
        assert_eq!(call.take_inputs().len(), 1, "the unanswered one waits on");
    }
}
