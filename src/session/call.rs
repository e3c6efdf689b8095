//! `CallContext`: what travels with one client call from the frontend through steer and every
//! layer to the transport, and the call's own way back to its client.
//!
//! Whatever a backend sends that belongs to the call (progress for its token, log messages
//! during it, requests whose related request is it) is pushed onto the call's stream. The
//! frontend answers with plain JSON when nothing was pushed before the answer (the fast path),
//! and switches to an event stream the moment something is.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use serde_json::value::RawValue;

use super::events::EventLog;
use super::modern::ModernCall;
use super::Session;
use crate::protocol::Id;

/// Gives every call a number, so "the newest call of a session" can be told.
static CALL_SEQ: AtomicU64 = AtomicU64::new(1);

/// The context of one call.
#[derive(Debug)]
pub struct CallContext {
    /// The client session, for calls from legacy clients.
    session: Option<Arc<Session>>,
    /// The client's JSON-RPC id.
    client_id: Option<Id>,
    /// The client's `_meta.progressToken`, as it wrote it.
    progress_token: Option<Box<RawValue>>,
    /// The client's `_meta`, as it wrote it (carries `traceparent`).
    meta: Option<Box<RawValue>>,
    /// Set when the client cancels the call or goes away.
    cancelled: AtomicBool,
    /// The one task waiting for the cancellation: the call's own future (see `cancelled`).
    cancel_waiter: AtomicWaker,
    /// When the client stops waiting, if it said.
    deadline: Option<Instant>,
    /// The authenticated principal.
    principal: Option<Arc<str>>,
    /// The protocol revision the client speaks.
    version: &'static str,
    /// Whether the client reads an event stream on the call's response (else messages for
    /// the call go to the session's GET stream).
    streamable: bool,
    /// A modern-era client's call: its own capabilities, log level and rounds.
    modern: Option<Arc<ModernCall>>,
    seq: u64,
    stream: OnceLock<Arc<EventLog>>,
    /// The one task waiting for the stream to open: the frontend replying to the call.
    opened: AtomicWaker,
    ended: AtomicBool,
    routed: OnceLock<Routed>,
    /// The tool or prompt name the client called, as steer read it (for the audit line).
    called: OnceLock<Box<str>>,
}

/// Where steer sent a call: for metrics, logs and the audit line.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The backend's alias.
    pub backend: Arc<str>,
    /// The backend's own tool name, for `tools/call`.
    pub tool: Option<Arc<str>>,
}

/// How a frontend describes a call it starts.
#[derive(Debug, Default, Clone)]
pub struct CallParts {
    /// The client session.
    pub session: Option<Arc<Session>>,
    /// The client's id.
    pub client_id: Option<Id>,
    /// `_meta.progressToken`.
    pub progress_token: Option<Box<RawValue>>,
    /// `_meta`.
    pub meta: Option<Box<RawValue>>,
    /// The principal.
    pub principal: Option<Arc<str>>,
    /// The client's protocol revision.
    pub version: &'static str,
    /// Whether the response may be an event stream.
    pub streamable: bool,
    /// When the client stops waiting.
    pub deadline: Option<Instant>,
    /// Set for a modern-era (stateless) client's call.
    pub modern: Option<Arc<ModernCall>>,
}

// === impl CallContext ===

impl CallContext {
    /// A context for a client call.
    pub fn new(parts: CallParts) -> Arc<CallContext> {
        Arc::new(CallContext {
            session: parts.session,
            client_id: parts.client_id,
            progress_token: parts.progress_token,
            meta: parts.meta,
            cancelled: AtomicBool::new(false),
            cancel_waiter: AtomicWaker::new(),
            deadline: parts.deadline,
            principal: parts.principal,
            version: parts.version,
            streamable: parts.streamable,
            modern: parts.modern,
            seq: CALL_SEQ.fetch_add(1, Ordering::Relaxed),
            stream: OnceLock::new(),
            opened: AtomicWaker::new(),
            ended: AtomicBool::new(false),
            routed: OnceLock::new(),
            called: OnceLock::new(),
        })
    }

    /// The shared context of the gateway's own calls (catalog, health, handshakes): no client,
    /// nothing flows back.
    pub fn internal() -> Arc<CallContext> {
        static INTERNAL: OnceLock<Arc<CallContext>> = OnceLock::new();
        INTERNAL
            .get_or_init(|| CallContext::new(CallParts::default()))
            .clone()
    }

    /// The client session.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    /// The client's id for the call.
    pub fn client_id(&self) -> Option<&Id> {
        self.client_id.as_ref()
    }

    /// The client's progress token.
    pub fn progress_token(&self) -> Option<&RawValue> {
        self.progress_token.as_deref()
    }

    /// The client's `_meta`.
    pub fn meta(&self) -> Option<&RawValue> {
        self.meta.as_deref()
    }

    /// Cancels the call: its future stops waiting and the backend is told. A flag and a
    /// waker rather than a `CancellationToken`, which allocates a node per call and takes its
    /// lock to clone, wait on and drop, for a call that has no children and one waiter.
    pub fn cancel(&self) {
        if !self.cancelled.swap(true, Ordering::AcqRel) {
            self.cancel_waiter.wake();
        }
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Resolves when the call is cancelled. One waiter at a time: the call's own future.
    pub fn cancelled(&self) -> impl std::future::Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.is_cancelled() {
                return std::task::Poll::Ready(());
            }
            self.cancel_waiter.register(cx.waker());
            // A cancel between the check and the registration woke nobody: look again.
            if self.is_cancelled() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
    }

    /// When the client stops waiting, if known.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The principal.
    pub fn principal(&self) -> Option<&Arc<str>> {
        self.principal.as_ref()
    }

    /// The client's protocol revision.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// The modern-era state of the call, for a stateless client's call.
    pub fn modern(&self) -> Option<&Arc<ModernCall>> {
        self.modern.as_ref()
    }

    /// Whether a client waits for the call (a session's call, or a modern client's).
    pub fn has_client(&self) -> bool {
        self.session.is_some() || self.modern.is_some()
    }

    /// Orders calls by when they started.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Records where steer sent a client's call (the gateway's own calls are not recorded).
    pub fn route_to(&self, backend: &Arc<str>, tool: Option<&Arc<str>>) {
        if self.client_id.is_some() {
            let _ = self.routed.set(Routed {
                backend: backend.clone(),
                tool: tool.cloned(),
            });
        }
    }

    /// Keeps the name the client called and lends it back; a name already kept, or a context
    /// of the gateway's own (shared by all its calls), hands `name` back instead.
    pub fn keep_called(&self, name: String) -> Result<&str, String> {
        if self.client_id.is_none() || self.called.get().is_some() {
            return Err(name);
        }
        let kept = self.called.get_or_init(|| name.into_boxed_str());
        Ok(kept)
    }

    /// The tool or prompt name the client called, once steer has read it.
    pub fn called(&self) -> Option<&str> {
        self.called.get().map(|n| &**n)
    }

    /// Where steer sent the call, if it went to a backend.
    pub fn routed(&self) -> Option<&Routed> {
        self.routed.get()
    }

    /// Whether the call has been answered or abandoned.
    pub fn has_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    /// Marks the call answered or abandoned: later requests for it are refused.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Release);
    }

    /// Sends a message to the client on this call's stream (opening it), or on the session's
    /// GET stream when the client takes no stream on the response. False when it went nowhere:
    /// no session, or the stream is closed.
    pub fn push(&self, message: Bytes) -> bool {
        if let Some(modern) = &self.modern {
            return !self.has_ended() && modern.push(message);
        }
        let Some(session) = &self.session else {
            return false;
        };
        if !self.streamable || self.has_ended() {
            return session.outbound().get_stream().push(message).is_some();
        }
        let stream = self
            .stream
            .get_or_init(|| session.outbound().open_call_stream());
        let pushed = stream.push(message).is_some();
        self.opened.wake();
        pushed
    }

    /// The call's stream, if anything was pushed on it.
    pub fn stream(&self) -> Option<&Arc<EventLog>> {
        self.stream.get()
    }

    /// Resolves once the call's stream has its first message. One task may wait at a time
    /// (the frontend replying to the call); a waker, not a `Notify`, because this is polled
    /// beside every call's answer.
    pub fn opened(&self) -> impl std::future::Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            if self.stream.get().is_some() {
                return std::task::Poll::Ready(());
            }
            self.opened.register(cx.waker());
            // A push between the check and the registration woke nobody: look again.
            if self.stream.get().is_some() {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
    }
}

/// Ends the call's bookkeeping however its future ends: answered, failed, or dropped because
/// the client went away.
#[derive(Debug)]
pub struct CallGuard {
    ctx: Arc<CallContext>,
}

impl CallGuard {
    /// Registers `ctx` with its session under the client's id.
    pub fn start(ctx: &Arc<CallContext>) -> CallGuard {
        if let (Some(session), Some(id)) = (&ctx.session, &ctx.client_id) {
            session.start_call(id, ctx);
        }
        CallGuard { ctx: ctx.clone() }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.ctx.end();
        if let (Some(session), Some(id)) = (&self.ctx.session, &self.ctx.client_id) {
            session.end_call(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::client::ClientInfo;
    use crate::session::events::{Next, Window};
    use crate::session::{NewSession, SessionStore};
    use std::time::Duration;

    fn session() -> Arc<Session> {
        SessionStore::new(Duration::from_secs(60), 10)
            .create(NewSession {
                version: "2025-11-25",
                client: ClientInfo::default(),
                principal: None,
                window: Window::default(),
            })
            .unwrap()
    }

    fn call(session: &Arc<Session>, streamable: bool) -> Arc<CallContext> {
        CallContext::new(CallParts {
            session: Some(session.clone()),
            client_id: Some(Id::Number(1)),
            streamable,
            version: "2025-11-25",
            ..CallParts::default()
        })
    }

    #[tokio::test]
    async fn a_push_opens_the_calls_own_stream() {
        let s = session();
        let ctx = call(&s, true);
        assert!(ctx.stream().is_none());
        let waiting = {
            let ctx = ctx.clone();
            tokio::spawn(async move { ctx.opened().await })
        };
        assert!(ctx.push(Bytes::from_static(b"{}")));
        waiting.await.unwrap();
        let mut reader = ctx.stream().unwrap().reader(0);
        assert!(matches!(reader.try_next(), Some(Next::Event(1, _))));
        assert!(s.outbound().get_stream_if_open().is_none());
    }

    #[test]
    fn without_a_response_stream_messages_go_to_the_get_stream() {
        let s = session();
        let ctx = call(&s, false);
        assert!(ctx.push(Bytes::from_static(b"{}")));
        assert!(ctx.stream().is_none());
        assert!(s.outbound().get_stream_if_open().is_some());
    }

    #[test]
    fn the_guard_registers_the_call_for_cancellation_until_dropped() {
        let s = session();
        let ctx = call(&s, true);
        let guard = CallGuard::start(&ctx);
        assert_eq!(s.calls_in_flight(), 1);
        drop(guard);
        assert!(ctx.has_ended());
        assert_eq!(s.calls_in_flight(), 0);
        assert!(!s.cancel_call(&Id::Number(1)));
    }

    #[test]
    fn internal_calls_go_nowhere() {
        assert!(!CallContext::internal().push(Bytes::from_static(b"{}")));
    }
}
