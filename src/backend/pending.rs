//! Calls in flight on a multiplexed connection, keyed by the gateway-assigned id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::protocol::Outcome;

/// The table of in-flight calls. The lock is held only to insert or remove, never across an await.
#[derive(Debug, Default)]
pub struct Pending {
    next_id: AtomicI64,
    waiting: Mutex<HashMap<i64, oneshot::Sender<Outcome>>>,
}

impl Pending {
    /// Reserves a fresh id and the receiver its answer will arrive on.
    pub fn register(&self) -> (i64, oneshot::Receiver<Outcome>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        (id, rx)
    }

    /// Delivers an answer; false when nobody waits for that id (late or unknown reply).
    pub fn complete(&self, id: i64, outcome: Outcome) -> bool {
        match self.lock().remove(&id) {
            Some(tx) => tx.send(outcome).is_ok(),
            None => false,
        }
    }

    /// Forgets a call whose caller gave up; true if it was still waiting.
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

    /// Calls in flight.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No calls in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, oneshot::Sender<Outcome>>> {
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
        let p = Pending::default();
        let (a, rx_a) = p.register();
        let (b, rx_b) = p.register();
        assert_ne!(a, b);
        assert!(p.complete(b, Ok(raw_string("b").into())));
        assert!(!p.complete(b, Ok(raw_string("again").into())));
        assert_eq!(rx_b.await.unwrap().unwrap().get(), "\"b\"");
        assert_eq!(p.fail_all(), 1);
        assert!(rx_a.await.is_err());
        let _ = a;
    }
}
