//! Legacy client sessions: created by `initialize`, named by `Mcp-Session-Id`, ended by DELETE
//! or after idling. Whoever needs to release something when a session ends (subscriptions,
//! per-session backend processes, log levels) registers with [`SessionStore::on_end`].

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use rand::RngCore;

use super::session::{NewSession, Session};

/// Called with each session as it ends.
pub type EndHook = Arc<dyn Fn(&Arc<Session>) + Send + Sync>;

/// All live sessions of this process.
pub struct SessionStore {
    /// By session id. Looked up on every request: foldhash (seeded per process) rather than
    /// std's SipHash, which cost about 250 instructions per request here.
    sessions: RwLock<foldhash::HashMap<Arc<str>, Arc<Session>>>,
    epoch: Instant,
    idle_timeout: Duration,
    max_sessions: usize,
    on_end: Mutex<Vec<EndHook>>,
}

/// `create` refused: the store holds its maximum.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the gateway already holds its maximum of {max} sessions")]
pub struct SessionsFull {
    /// The configured maximum.
    pub max: usize,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore")
            .field("sessions", &self.len())
            .field("max_sessions", &self.max_sessions)
            .finish_non_exhaustive()
    }
}

impl SessionStore {
    /// An empty store of at most `max_sessions`, whose sessions end after `idle_timeout`
    /// without a request.
    pub fn new(idle_timeout: Duration, max_sessions: usize) -> Self {
        SessionStore {
            sessions: RwLock::new(foldhash::HashMap::default()),
            epoch: Instant::now(),
            idle_timeout,
            max_sessions,
            on_end: Mutex::new(Vec::new()),
        }
    }

    /// Runs `hook` for every session that ends from now on.
    pub fn on_end(&self, hook: EndHook) {
        self.on_end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hook);
    }

    /// Creates a session with a fresh unguessable id, unless the store is full.
    pub fn create(&self, new: NewSession) -> Result<Arc<Session>, SessionsFull> {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let session = Arc::new(Session::new(id.into(), new, self.now()));
        let mut sessions = self.write();
        if sessions.len() >= self.max_sessions {
            return Err(SessionsFull {
                max: self.max_sessions,
            });
        }
        sessions.insert(session.id.clone(), session.clone());
        metrics::gauge!(crate::telemetry::metrics::SESSIONS_ACTIVE).set(sessions.len() as f64);
        Ok(session)
    }

    /// Finds a session and records that its client was heard from.
    pub fn touch(&self, id: &str) -> Option<Arc<Session>> {
        let session = self.read().get(id).cloned()?;
        session.last_seen.store(self.now(), Ordering::Relaxed);
        Some(session)
    }

    /// Records that a session's client was heard from (a session found with [`Self::get`]).
    pub fn seen(&self, session: &Session) {
        session.last_seen.store(self.now(), Ordering::Relaxed);
    }

    /// Finds a session without touching it.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.read().get(id).cloned()
    }

    /// Ends a session; false if it did not exist.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.write().remove(id);
        match removed {
            Some(session) => {
                self.ended(&session);
                true
            }
            None => false,
        }
    }

    /// Ends sessions idle past the timeout; returns how many.
    pub fn reap_idle(&self) -> usize {
        let cutoff = self
            .now()
            .saturating_sub(self.idle_timeout.as_millis() as u64);
        let mut idle = Vec::new();
        self.write().retain(|_, s| {
            let keep = s.last_seen.load(Ordering::Relaxed) >= cutoff || s.calls_in_flight() > 0;
            if !keep {
                idle.push(s.clone());
            }
            keep
        });
        for session in &idle {
            self.ended(session);
        }
        idle.len()
    }

    /// Ends every session (shutdown).
    pub fn end_all(&self) {
        let all: Vec<_> = self.write().drain().map(|(_, s)| s).collect();
        for session in &all {
            self.ended(session);
        }
    }

    /// Every live session.
    pub fn all(&self) -> Vec<Arc<Session>> {
        self.read().values().cloned().collect()
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// No live sessions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn ended(&self, session: &Arc<Session>) {
        metrics::gauge!(crate::telemetry::metrics::SESSIONS_ACTIVE).set(self.len() as f64);
        session.end();
        let hooks = self
            .on_end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for hook in hooks {
            hook(session);
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, foldhash::HashMap<Arc<str>, Arc<Session>>> {
        // Inserts and removes are single operations: a poisoned map is still consistent.
        self.sessions.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, foldhash::HashMap<Arc<str>, Arc<Session>>> {
        self.sessions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::client::ClientInfo;
    use crate::session::events::Window;
    use std::sync::atomic::AtomicUsize;

    fn new_session() -> NewSession {
        NewSession {
            version: "2025-11-25",
            client: ClientInfo::default(),
            principal: None,
            window: Window::default(),
        }
    }

    #[test]
    fn creates_finds_and_ends_sessions() {
        let store = SessionStore::new(Duration::from_secs(60), 10);
        let ended = Arc::new(AtomicUsize::new(0));
        let counter = ended.clone();
        store.on_end(Arc::new(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        }));
        let a = store.create(new_session()).unwrap();
        let b = store.create(new_session()).unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.len(), 32);
        assert!(store.touch(&a.id).is_some());
        assert!(store.remove(&a.id));
        assert!(a.closed.is_cancelled());
        assert!(store.touch(&a.id).is_none());
        assert_eq!(store.reap_idle(), 0);
        assert_eq!(store.len(), 1);
        assert_eq!(ended.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn reaps_idle_sessions_but_not_busy_ones() {
        let mut store = SessionStore::new(Duration::from_secs(60), 10);
        // As if the store had been running for two minutes.
        store.epoch -= Duration::from_secs(120);
        let idle = store.create(new_session()).unwrap();
        let busy = store.create(new_session()).unwrap();
        let long_call = store.create(new_session()).unwrap();
        idle.last_seen.store(0, Ordering::Relaxed);
        long_call.last_seen.store(0, Ordering::Relaxed);
        let call = crate::session::CallContext::new(crate::session::CallParts::default());
        long_call.start_call(&crate::protocol::Id::Number(1), &call);
        assert_eq!(store.reap_idle(), 1);
        assert!(idle.closed.is_cancelled());
        assert!(store.touch(&busy.id).is_some());
        assert!(store.touch(&long_call.id).is_some());
    }

    #[test]
    fn refuses_sessions_past_the_maximum_until_one_ends() {
        let store = SessionStore::new(Duration::from_secs(60), 2);
        let first = store.create(new_session()).unwrap();
        store.create(new_session()).unwrap();
        let refused = store.create(new_session()).unwrap_err();
        assert_eq!(refused.max, 2);
        assert_eq!(store.len(), 2);
        assert!(store.remove(&first.id));
        assert!(store.create(new_session()).is_ok());
    }
}
