//! Resource subscriptions: which sessions watch which URI of which backend. A backend is
//! subscribed when its first watcher arrives and unsubscribed when its last one leaves, so
//! `notifications/resources/updated` reaches exactly the sessions that asked.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A URI of a backend.
pub type Watched = (Arc<str>, Box<str>);

/// Session ids by watched URI.
type Watchers = HashMap<Watched, HashSet<Arc<str>>>;

/// Watchers of `(backend alias, uri)`.
#[derive(Debug, Default)]
pub struct Subscriptions {
    watchers: Mutex<Watchers>,
}

// === impl Subscriptions ===

impl Subscriptions {
    /// Adds `session` as a watcher; true if it is the first one (the backend must be told).
    pub fn add(&self, backend: &Arc<str>, uri: &str, session: &Arc<str>) -> bool {
        let mut map = self.lock();
        let watchers = map.entry((backend.clone(), uri.into())).or_default();
        let first = watchers.is_empty();
        watchers.insert(session.clone());
        first
    }

    /// Removes `session`; true if it was the last watcher (the backend must be told).
    pub fn remove(&self, backend: &Arc<str>, uri: &str, session: &str) -> bool {
        let mut map = self.lock();
        let key = (backend.clone(), Box::<str>::from(uri));
        let Some(watchers) = map.get_mut(&key) else {
            return false;
        };
        if !watchers.remove(session) {
            return false;
        }
        let last = watchers.is_empty();
        if last {
            map.remove(&key);
        }
        last
    }

    /// Removes every watch of an ended session; returns the URIs nobody watches any more.
    pub fn remove_session(&self, session: &str) -> Vec<Watched> {
        let mut map = self.lock();
        let mut unwatched = Vec::new();
        map.retain(|key, watchers| {
            watchers.remove(session);
            let keep = !watchers.is_empty();
            if !keep {
                unwatched.push(key.clone());
            }
            keep
        });
        unwatched
    }

    /// The sessions watching a backend's URI.
    pub fn watchers(&self, backend: &str, uri: &str) -> Vec<Arc<str>> {
        let map = self.lock();
        let key = (Arc::<str>::from(backend), Box::<str>::from(uri));
        map.get(&key)
            .map(|w| w.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether `session` watches a backend's URI.
    pub fn is_watching(&self, backend: &str, uri: &str, session: &str) -> bool {
        let map = self.lock();
        let key = (Arc::<str>::from(backend), Box::<str>::from(uri));
        map.get(&key).is_some_and(|w| w.contains(session))
    }

    fn lock(&self) -> MutexGuard<'_, Watchers> {
        // Every critical section leaves the map whole: a poisoned lock is still consistent.
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_told_on_first_and_last_watcher_only() {
        let subs = Subscriptions::default();
        let ev: Arc<str> = "ev".into();
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        assert!(subs.add(&ev, "x://1", &a));
        assert!(!subs.add(&ev, "x://1", &b));
        assert_eq!(subs.watchers("ev", "x://1").len(), 2);
        assert!(!subs.remove(&ev, "x://1", "a"));
        assert!(subs.remove(&ev, "x://1", "b"));
        assert!(subs.watchers("ev", "x://1").is_empty());
        assert!(!subs.remove(&ev, "x://1", "b"));
    }

    #[test]
    fn an_ended_session_leaves_everything_it_watched() {
        let subs = Subscriptions::default();
        let ev: Arc<str> = "ev".into();
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        subs.add(&ev, "x://1", &a);
        subs.add(&ev, "x://2", &a);
        subs.add(&ev, "x://2", &b);
        let unwatched = subs.remove_session("a");
        assert_eq!(unwatched, vec![(ev.clone(), Box::<str>::from("x://1"))]);
        assert!(subs.is_watching("ev", "x://2", "b"));
    }
}
