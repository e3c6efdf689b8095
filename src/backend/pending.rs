//! Requests in flight on a multiplexed connection, keyed by the id the gateway assigned, each
//! with a tag kept beside it (a backend call keeps its call context there, so messages the
//! backend sends during the call can find their way back).

use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::protocol::Outcome;

/// The table of requests in flight. The lock is held only to insert, remove or look, never
/// across an await.
#[derive(Debug)]
pub struct Pending<T = ()> {
    next_id: AtomicI64,
    /// Fx hashing: the keys are the gateway's own sequential ids.
    waiting: Mutex<FxHashMap<i64, (oneshot::Sender<Outcome>, T)>>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Pending {
            next_id: AtomicI64::new(0),
            waiting: Mutex::new(FxHashMap::default()),
        }
    }
}

impl<T> Pending<T> {
    /// Reserves a fresh id and the receiver its answer will arrive on.
    pub fn register(&self, tag: T) -> (i64, oneshot::Receiver<Outcome>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, (tx, tag));
        (id, rx)
    }

    /// Delivers an answer; false when nobody waits for that id (late, unknown or repeated).
    pub fn complete(&self, id: i64, outcome: Outcome) -> bool {
        match self.lock().remove(&id) {
            Some((tx, _)) => tx.send(outcome).is_ok(),
            None => false,
        }
    }

    /// Forgets a request whose caller gave up; true if it was still waiting.
    pub fn forget(&self, id: i64) -> bool {
        self.lock().remove(&id).is_some()
    }

    /// Drops every waiter: their receivers see the connection as lost.
    pub fn fail_all(&self) -> usize {
        let mut waiting = self.lock();
        let n = waiting.len();
        waiting.clear();
        n
    }

    /// Requests in flight.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No requests in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The tags of every request in flight.
    pub fn tags(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.lock().values().map(|(_, tag)| tag.clone()).collect()
    }

    /// The tag of request `id`, if it is in flight.
    pub fn tag(&self, id: i64) -> Option<T>
    where
        T: Clone,
    {
        self.lock().get(&id).map(|(_, tag)| tag.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<i64, (oneshot::Sender<Outcome>, T)>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still safe to use.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::raw_string;

    #[tokio::test]
    async fn routes_answers_by_id_and_fails_the_rest() {
        let p: Pending<&str> = Pending::default();
        let (a, rx_a) = p.register("a");
        let (b, rx_b) = p.register("b");
        assert_ne!(a, b);
        assert_eq!(p.tags().len(), 2);
        assert_eq!(p.tag(b), Some("b"));
        assert!(p.complete(b, Ok(raw_string("b").into())));
        assert!(!p.complete(b, Ok(raw_string("again").into())));
        assert_eq!(rx_b.await.unwrap().unwrap().get(), "\"b\"");
        assert_eq!(p.fail_all(), 1);
        assert!(rx_a.await.is_err());
    }
}
