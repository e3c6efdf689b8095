//! Legacy client sessions: created by `initialize`, named by `Mcp-Session-Id`, ended by DELETE
//! or after idling.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rand::RngCore;
use serde_json::value::RawValue;

/// One client session.
#[derive(Debug)]
pub struct Session {
    /// The id handed to the client.
    pub id: Arc<str>,
    /// The negotiated protocol revision.
    pub protocol_version: &'static str,
    /// What the client said it can do.
    pub client_capabilities: Option<Box<RawValue>>,
    /// The client's name and version.
    pub client_info: Option<Box<RawValue>>,
    /// Cancelled when the session ends, closing its open streams.
    pub closed: tokio_util::sync::CancellationToken,
    initialized: AtomicBool,
    /// Milliseconds since the store's epoch when the client was last heard from.
    last_seen: AtomicU64,
}

impl Session {
    /// Whether the client sent `notifications/initialized`.
    pub fn is_initialized(&self) -> bool {
        self.initialized.load(Ordering::Relaxed)
    }

    /// Records `notifications/initialized`.
    pub fn mark_initialized(&self) {
        self.initialized.store(true, Ordering::Relaxed);
    }
}

/// All live sessions of this process.
#[derive(Debug)]
pub struct SessionStore {
    sessions: RwLock<HashMap<Arc<str>, Arc<Session>>>,
    epoch: Instant,
    idle_timeout: Duration,
    max_sessions: usize,
}

/// `create` refused: the store holds its maximum.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the gateway already holds its maximum of {max} sessions")]
pub struct SessionsFull {
    /// The configured maximum.
    pub max: usize,
}

impl SessionStore {
    /// An empty store of at most `max_sessions`, whose sessions end after `idle_timeout`
    /// without a request.
    pub fn new(idle_timeout: Duration, max_sessions: usize) -> Self {
        SessionStore {
            sessions: RwLock::new(HashMap::new()),
            epoch: Instant::now(),
            idle_timeout,
            max_sessions,
        }
    }

    /// Creates a session with a fresh unguessable id, unless the store is full.
    pub fn create(
        &self,
        protocol_version: &'static str,
        client_capabilities: Option<Box<RawValue>>,
        client_info: Option<Box<RawValue>>,
    ) -> Result<Arc<Session>, SessionsFull> {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let session = Arc::new(Session {
            id: id.into(),
            protocol_version,
            client_capabilities,
            client_info,
            closed: tokio_util::sync::CancellationToken::new(),
            initialized: AtomicBool::new(false),
            last_seen: AtomicU64::new(self.now()),
        });
        let mut sessions = self.write();
        if sessions.len() >= self.max_sessions {
            return Err(SessionsFull {
                max: self.max_sessions,
            });
        }
        sessions.insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// Finds a session and records that its client was heard from.
    pub fn touch(&self, id: &str) -> Option<Arc<Session>> {
        let session = self.read().get(id).cloned()?;
        session.last_seen.store(self.now(), Ordering::Relaxed);
        Some(session)
    }

    /// Ends a session; false if it did not exist.
    pub fn remove(&self, id: &str) -> bool {
        let removed = self.write().remove(id);
        removed.map(|s| s.closed.cancel()).is_some()
    }

    /// Ends sessions idle past the timeout; returns how many.
    pub fn reap_idle(&self) -> usize {
        let cutoff = self
            .now()
            .saturating_sub(self.idle_timeout.as_millis() as u64);
        let mut sessions = self.write();
        let before = sessions.len();
        sessions.retain(|_, s| {
            let keep = s.last_seen.load(Ordering::Relaxed) >= cutoff;
            if !keep {
                s.closed.cancel();
            }
            keep
        });
        before - sessions.len()
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// No live sessions.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        // Inserts and removes are single operations: a poisoned map is still consistent.
        self.sessions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        self.sessions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_finds_and_ends_sessions() {
        let store = SessionStore::new(Duration::from_secs(60), 10);
        let a = store.create("2025-11-25", None, None).unwrap();
        let b = store.create("2025-11-25", None, None).unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.len(), 32);
        assert!(store.touch(&a.id).is_some());
        assert!(store.remove(&a.id));
        assert!(store.touch(&a.id).is_none());
        assert_eq!(store.reap_idle(), 0);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn reaps_idle_sessions() {
        let mut store = SessionStore::new(Duration::from_secs(60), 10);
        // As if the store had been running for two minutes.
        store.epoch -= Duration::from_secs(120);
        let idle = store.create("2025-11-25", None, None).unwrap();
        let busy = store.create("2025-11-25", None, None).unwrap();
        idle.last_seen.store(0, Ordering::Relaxed);
        assert_eq!(store.reap_idle(), 1);
        assert!(idle.closed.is_cancelled());
        assert!(store.touch(&busy.id).is_some());
    }

    #[test]
    fn refuses_sessions_past_the_maximum_until_one_ends() {
        let store = SessionStore::new(Duration::from_secs(60), 2);
        let first = store.create("2025-11-25", None, None).unwrap();
        store.create("2025-11-25", None, None).unwrap();
        let refused = store.create("2025-11-25", None, None).unwrap_err();
        assert_eq!(refused.max, 2);
        assert_eq!(store.len(), 2);
        assert!(store.remove(&first.id));
        assert!(store.create("2025-11-25", None, None).is_ok());
    }
}
