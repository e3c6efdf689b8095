//! One legacy-era client session: what it negotiated, its streams back to the client, its calls
//! in flight (so `notifications/cancelled` finds them) and the requests it was asked to answer.

use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use tokio::sync::{oneshot, Notify};
use tokio_util::sync::CancellationToken;

use super::call::CallContext;
use super::client::ClientInfo;
use super::events::Window;
use super::outbound::Outbound;
use crate::backend::pending::Pending;
use crate::protocol::mcp::LogLevel;
use crate::protocol::{Id, Outcome};

/// `log_level` when the client never sent `logging/setLevel`.
const NO_LEVEL: u8 = u8::MAX;

/// One client session.
#[derive(Debug)]
pub struct Session {
    /// The id handed to the client.
    pub id: Arc<str>,
    /// Who opened it; only that principal may use it.
    principal: Option<Arc<str>>,
    /// The negotiated protocol revision.
    version: &'static str,
    /// What the client can answer, and its name.
    client: ClientInfo,
    /// Cancelled when the session ends, closing its open streams.
    pub closed: CancellationToken,
    initialized: AtomicBool,
    /// Milliseconds since the store's epoch when the client was last heard from.
    pub(super) last_seen: AtomicU64,
    log_level: AtomicU8,
    /// Backend slots this session has called (bit `slot % 64`), for roots changes.
    used: AtomicU64,
    outbound: Outbound,
    /// Calls in flight by the client's id, to cancel. Weak: a call's context holds its session,
    /// and the call's guard removes the entry when the call ends. Fx hashing: the ids are the
    /// client's own, and only its own calls share this map.
    calls: Mutex<FxHashMap<Id, Weak<CallContext>>>,
    asks: Pending,
    /// `list_changed` from this session's own backend connections: how many arrived, how
    /// many have been refetched, and a wake-up for lists waiting on them.
    lists_wanted: AtomicU64,
    lists_have: AtomicU64,
    lists_ready: Notify,
}

/// What a new session is made of.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The negotiated revision.
    pub version: &'static str,
    /// The bounded summary of the client's `initialize`.
    pub client: ClientInfo,
    /// The authenticated principal, if any.
    pub principal: Option<Arc<str>>,
    /// How much of each stream is kept for replay.
    pub window: Window,
}

/// A client answered a request the gateway never sent, or one already answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no request with id {id} is waiting for this session's answer (already answered, timed out, or never sent)")]
pub struct UnknownAnswer {
    /// The id the client used.
    pub id: Id,
}

// === impl Session ===

impl Session {
    pub(super) fn new(id: Arc<str>, new: NewSession, now: u64) -> Session {
        Session {
            id,
            principal: new.principal,
            version: new.version,
            client: new.client,
            closed: CancellationToken::new(),
            initialized: AtomicBool::new(false),
            last_seen: AtomicU64::new(now),
            log_level: AtomicU8::new(NO_LEVEL),
            used: AtomicU64::new(0),
            outbound: Outbound::new(new.window),
            calls: Mutex::new(FxHashMap::default()),
            asks: Pending::default(),
            lists_wanted: AtomicU64::new(0),
            lists_have: AtomicU64::new(0),
            lists_ready: Notify::new(),
        }
    }

    /// The negotiated protocol revision.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// The principal that opened the session.
    pub fn principal(&self) -> Option<&Arc<str>> {
        self.principal.as_ref()
    }

    /// What the client declared at `initialize`.
    pub fn client(&self) -> &ClientInfo {
        &self.client
    }

    /// Whether the client sent `notifications/initialized`.
    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Relaxed)
    }

    /// Records `notifications/initialized`.
    pub fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Relaxed);
    }

    /// The level the client asked for with `logging/setLevel`, if it did.
    pub fn log_level(&self) -> Option<LogLevel> {
        LogLevel::from_index(self.log_level.load(Ordering::Relaxed))
    }

    /// Stores the client's log level; returns the previous one.
    pub fn set_log_level(&self, level: LogLevel) -> Option<LogLevel> {
        LogLevel::from_index(self.log_level.swap(level.index(), Ordering::Relaxed))
    }

    /// Records that the session called the backend in `slot`.
    pub fn mark_used(&self, slot: usize) {
        let bit = 1u64 << (slot % 64);
        if self.used.load(Ordering::Relaxed) & bit == 0 {
            self.used.fetch_or(bit, Ordering::Relaxed);
        }
    }

    /// Whether the session may have called the backend in `slot`.
    pub fn has_used(&self, slot: usize) -> bool {
        self.used.load(Ordering::Relaxed) & (1u64 << (slot % 64)) != 0
    }

    /// The session's streams back to the client.
    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    /// Registers a call in flight under the client's id, so a cancel can find it.
    pub fn start_call(&self, id: &Id, call: &Arc<CallContext>) {
        self.lock_calls().insert(id.clone(), Arc::downgrade(call));
    }

    /// Forgets a finished call.
    pub fn end_call(&self, id: &Id) {
        self.lock_calls().remove(id);
    }

    /// Cancels the call the client knows as `id`; false if none is in flight.
    pub fn cancel_call(&self, id: &Id) -> bool {
        let call = self.lock_calls().remove(id);
        call.and_then(|c| c.upgrade()).map(|c| c.cancel()).is_some()
    }

    /// Calls in flight.
    pub fn calls_in_flight(&self) -> usize {
        self.lock_calls().len()
    }

    /// Reserves an id for a request to the client; its answer arrives on the receiver.
    pub fn ask(&self) -> (i64, oneshot::Receiver<Outcome>) {
        self.asks.register(())
    }

    /// Gives up on a request to the client (timed out, or its backend no longer waits).
    pub fn forget_ask(&self, id: i64) -> bool {
        self.asks.forget(id)
    }

    /// Requests to the client still waiting for an answer.
    pub fn asks_waiting(&self) -> usize {
        self.asks.len()
    }

    /// Delivers the client's answer to a request the gateway sent it.
    pub fn answer(&self, id: &Id, outcome: Outcome) -> Result<(), UnknownAnswer> {
        let unknown = || UnknownAnswer { id: id.clone() };
        let Id::Number(n) = id else {
            return Err(unknown());
        };
        if self.asks.complete(*n, outcome) {
            Ok(())
        } else {
            Err(unknown())
        }
    }

    /// A backend connection of this session's own said its lists changed: lists the session
    /// asks for from now on wait for the refetch. Returns the mark to pass to
    /// [`Session::lists_refreshed`].
    pub fn lists_changed(&self) -> u64 {
        self.lists_wanted.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Whether a refetch of the session's own lists is outstanding.
    pub fn lists_pending(&self) -> bool {
        self.lists_have.load(Ordering::Acquire) < self.lists_wanted.load(Ordering::Acquire)
    }

    /// The refetch that started at `mark` is done.
    pub fn lists_refreshed(&self, mark: u64) {
        self.lists_have.fetch_max(mark, Ordering::AcqRel);
        self.lists_ready.notify_waiters();
    }

    /// Waits (at most `limit`) until the session's own lists are refetched after their latest
    /// change, so a client that lists right after `list_changed` sees the new entries.
    pub async fn lists_settled(&self, limit: std::time::Duration) {
        if !self.lists_pending() {
            return;
        }
        let settled = async {
            loop {
                let ready = self.lists_ready.notified();
                tokio::pin!(ready);
                ready.as_mut().enable();
                if self.lists_have.load(Ordering::Acquire)
                    >= self.lists_wanted.load(Ordering::Acquire)
                {
                    return;
                }
                ready.await;
            }
        };
        let _ = tokio::time::timeout(limit, settled).await;
    }

    /// Ends everything the session holds: streams close, calls are cancelled, requests to the
    /// client fail (their backends get an error at once).
    pub(super) fn end(&self) {
        self.closed.cancel();
        self.outbound.close_all();
        for (_, call) in self.lock_calls().drain() {
            if let Some(call) = call.upgrade() {
                call.cancel();
            }
        }
        self.asks.fail_all();
    }

    fn lock_calls(&self) -> MutexGuard<'_, FxHashMap<Id, Weak<CallContext>>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RawJson;

    fn session() -> Session {
        Session::new(
            "s".into(),
            NewSession {
                version: "2025-11-25",
                client: ClientInfo::default(),
                principal: None,
                window: Window::default(),
            },
            0,
        )
    }

    #[tokio::test]
    async fn an_answer_is_taken_once_and_unknown_ids_are_refused() {
        let s = session();
        let (id, answer) = s.ask();
        assert!(s
            .answer(&Id::Number(id), Ok(RawJson::empty_object()))
            .is_ok());
        assert!(answer.await.unwrap().is_ok());
        let again = s.answer(&Id::Number(id), Ok(RawJson::empty_object()));
        assert!(again.unwrap_err().to_string().contains("already answered"));
        assert!(s
            .answer(&Id::String("x".into()), Ok(RawJson::empty_object()))
            .is_err());
    }

    #[test]
    fn cancel_finds_the_call_by_the_clients_id() {
        let s = session();
        let call = CallContext::new(crate::session::CallParts::default());
        s.start_call(&Id::Number(7), &call);
        assert!(!s.cancel_call(&Id::Number(8)));
        assert!(s.cancel_call(&Id::Number(7)));
        assert!(call.is_cancelled());
        assert_eq!(s.calls_in_flight(), 0);
    }

    #[tokio::test]
    async fn ending_fails_waiting_asks_and_cancels_calls() {
        let s = session();
        let (_, answer) = s.ask();
        let call = CallContext::new(crate::session::CallParts::default());
        s.start_call(&Id::Number(1), &call);
        s.end();
        assert!(answer.await.is_err());
        assert!(call.is_cancelled());
        assert!(s.closed.is_cancelled());
    }

    #[test]
    fn log_level_is_unset_until_set() {
        let s = session();
        assert_eq!(s.log_level(), None);
        assert_eq!(s.set_log_level(LogLevel::Warning), None);
        assert_eq!(s.log_level(), Some(LogLevel::Warning));
    }
}
