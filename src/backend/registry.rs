//! The registry: the one owner of every running backend. It builds, starts, replaces and stops
//! backends, and answers for them; nothing else holds a backend's parts. Hot reload, the admin
//! API and runtime registration all change backends through it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::{Backend, BuildError, StartContext};
use crate::config::BackendConfig;

/// The running backends, in alias order.
pub struct Registry {
    backends: ArcSwap<Vec<Arc<Backend>>>,
    /// Serialises changes; readers never take it.
    changing: Mutex<()>,
    cx: StartContext,
    parent: CancellationToken,
    next_slot: AtomicUsize,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let aliases: Vec<_> = self.all().iter().map(|b| b.alias().clone()).collect();
        f.debug_struct("Registry")
            .field("backends", &aliases)
            .finish()
    }
}

// === impl Registry ===

impl Registry {
    /// An empty registry; backends it starts stop when `parent` is cancelled.
    pub(crate) fn new(cx: StartContext, parent: CancellationToken) -> Registry {
        Registry {
            backends: ArcSwap::from_pointee(Vec::new()),
            changing: Mutex::new(()),
            cx,
            parent,
            next_slot: AtomicUsize::new(0),
        }
    }

    /// Every running backend, in alias order.
    pub fn all(&self) -> Arc<Vec<Arc<Backend>>> {
        self.backends.load_full()
    }

    /// The backend named `alias`.
    pub fn get(&self, alias: &str) -> Option<Arc<Backend>> {
        self.backends
            .load()
            .iter()
            .find(|b| &**b.alias() == alias)
            .cloned()
    }

    /// Starts a backend, replacing (and stopping) one of the same alias. Returns it, and the
    /// one it replaced.
    pub fn start(
        &self,
        alias: &str,
        config: &BackendConfig,
    ) -> Result<(Arc<Backend>, Option<Arc<Backend>>), BuildError> {
        let _changing = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = self.next_slot.fetch_add(1, Ordering::Relaxed);
        let backend = Arc::new(Backend::start(
            alias,
            slot,
            config,
            self.parent.child_token(),
            &self.cx,
        )?);
        let mut next: Vec<Arc<Backend>> = self.all().iter().cloned().collect();
        let replaced = next
            .iter()
            .position(|b| &**b.alias() == alias)
            .map(|at| next.remove(at));
        next.push(backend.clone());
        next.sort_by(|a, b| a.alias().cmp(b.alias()));
        self.backends.store(Arc::new(next));
        if let Some(old) = &replaced {
            old.stop();
            info!(backend = alias, "backend replaced");
        }
        Ok((backend, replaced))
    }

    /// Stops and removes a backend; `None` if there is none by that alias.
    pub fn remove(&self, alias: &str) -> Option<Arc<Backend>> {
        let _changing = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next: Vec<Arc<Backend>> = self.all().iter().cloned().collect();
        let at = next.iter().position(|b| &**b.alias() == alias)?;
        let removed = next.remove(at);
        self.backends.store(Arc::new(next));
        removed.stop();
        info!(backend = alias, "backend removed");
        Some(removed)
    }
}
