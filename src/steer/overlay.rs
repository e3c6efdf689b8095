//! Per-session views of the catalog. A backend with `pool = "per-session"` gives each client its
//! own process or backend session, and those may list differently (a resource created in one
//! session, tools registered per client). When one of them says its lists changed, they are
//! refetched from that session's own connection and kept here; that session then sees the
//! merged catalog with its own lists in place of the shared ones. Sessions without such lists
//! read the shared snapshot directly.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::catalog::{Catalog, Listing};

/// The sessions that have lists of their own.
#[derive(Debug, Default)]
pub(super) struct Overlays {
    /// How many sessions have a view (read without the lock on every call).
    count: AtomicUsize,
    views: Mutex<HashMap<Arc<str>, View>>,
}

#[derive(Debug, Default)]
struct View {
    /// The session's own listings, by backend alias.
    listings: BTreeMap<Arc<str>, Listing>,
    /// The merged catalog, and the shared version it was built on.
    built: Option<(u64, Arc<Catalog>)>,
}

// === impl Overlays ===

impl Overlays {
    /// Whether any session has lists of its own.
    pub(super) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Replaces one list of one backend in a session's view; false if nothing changed.
    /// A session's first own listing of a backend starts as a copy of the shared one, so the
    /// lists not refetched yet stay as they were.
    pub(super) fn set(
        &self,
        session: &Arc<str>,
        alias: &Arc<str>,
        shared: impl FnOnce() -> Listing,
        update: impl FnOnce(&mut Listing) -> bool,
    ) -> bool {
        let mut views = self.lock();
        let view = views.entry(session.clone()).or_default();
        let listing = view.listings.entry(alias.clone()).or_insert_with(shared);
        let changed = update(listing);
        if changed {
            view.built = None;
        }
        self.count.store(views.len(), Ordering::Release);
        changed
    }

    /// The session's merged view, built from `shared` listings of `version` if out of date;
    /// `None` if the session has no lists of its own.
    pub(super) fn view(
        &self,
        session: &str,
        version: u64,
        build: impl FnOnce(&BTreeMap<Arc<str>, Listing>) -> Catalog,
    ) -> Option<Arc<Catalog>> {
        let mut views = self.lock();
        let view = views.get_mut(session)?;
        if let Some((built_on, catalog)) = &view.built {
            if *built_on == version {
                return Some(catalog.clone());
            }
        }
        let catalog = Arc::new(build(&view.listings));
        view.built = Some((version, catalog.clone()));
        Some(catalog)
    }

    /// Forgets an ended session's view.
    pub(super) fn remove(&self, session: &str) {
        let mut views = self.lock();
        views.remove(session);
        self.count.store(views.len(), Ordering::Release);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, View>> {
        // Every critical section leaves the map whole: a poisoned lock is still consistent.
        self.views.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
