//! How many connections a backend of a message transport (stdio processes, WebSocket or legacy
//! SSE connections) runs, and for whom.
//!
//! `shared` (the default): `replicas` connections serve every session; each call goes to the
//! one with the fewest calls in flight. `per-session`: every client session that calls the
//! backend gets a connection of its own, started on first use and stopped when the session
//! ends or the connection idles, at most `max_processes` at once; one more, shared, serves the
//! gateway's own calls (catalog, health). Many servers keep per-connection state (roots, log
//! level, subscriptions, toggles) that one shared connection would mix across clients.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::info;

use super::conn::{Linked, Wiring};
use super::error::BackendError;
use super::status::Status;
use crate::protocol::{JsonRpcRequest, JsonRpcResponse, RawJson};
use crate::session::Session;
use crate::BoxError;

/// Starts one connection with the given wiring and returns its callers' handle.
pub type Spawner = Arc<dyn Fn(Wiring) -> Linked + Send + Sync>;

/// How a backend's connections are shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `replicas` processes shared by every session.
    Shared {
        /// How many (at least 1).
        replicas: usize,
    },
    /// One process per client session.
    PerSession {
        /// Most per-session processes at once.
        max_processes: usize,
        /// A per-session process idle this long is stopped (started again on next use).
        idle_timeout: Duration,
    },
}

/// Per-session processes by session id, looked up on every call of a per-session backend:
/// foldhash (seeded per process), not std's slower SipHash.
type Children = foldhash::HashMap<Arc<str>, Child>;

/// The backend's connections, as one `Service`.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    alias: Arc<str>,
    /// Shared connections (one for `per-session`: the gateway's own).
    shared: Vec<Linked>,
    per_session: Option<PerSession>,
}

struct PerSession {
    spawn: Spawner,
    wiring: Wiring,
    tasks: TaskTracker,
    max_processes: usize,
    idle_timeout: Duration,
    epoch: Instant,
    children: Arc<Mutex<Children>>,
}

struct Child {
    transport: Linked,
    last_used: Arc<AtomicU64>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("alias", &self.inner.alias)
            .field("shared", &self.inner.shared.len())
            .field("per_session", &self.children())
            .finish()
    }
}

// === impl Pool ===

impl Pool {
    /// Starts the shared connections; per-session ones start on first use.
    pub fn spawn(mode: Mode, spawn: Spawner, wiring: Wiring, tasks: &TaskTracker) -> Self {
        let alias = wiring.backend.alias.clone();
        let replicas = match mode {
            Mode::Shared { replicas } => replicas.max(1),
            Mode::PerSession { .. } => 1,
        };
        let shared = (0..replicas).map(|_| spawn(wiring.clone())).collect();
        let per_session = match mode {
            Mode::Shared { .. } => None,
            Mode::PerSession {
                max_processes,
                idle_timeout,
            } => Some(PerSession {
                spawn,
                wiring,
                tasks: tasks.clone(),
                max_processes,
                idle_timeout,
                epoch: Instant::now(),
                children: Arc::new(Mutex::new(Children::default())),
            }),
        };
        Pool {
            inner: Arc::new(Inner {
                alias,
                shared,
                per_session,
            }),
        }
    }

    /// Per-session connections running now.
    pub fn children(&self) -> usize {
        self.inner
            .per_session
            .as_ref()
            .map_or(0, |p| p.lock().len())
    }

    fn least_busy(&self) -> &Linked {
        self.inner
            .shared
            .iter()
            .min_by_key(|t| t.in_flight())
            .expect("a pool has at least one shared process")
    }
}

impl tower::Service<JsonRpcRequest> for Pool {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Connections report their own state per call, at once (a down link fails fast).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        // The process is picked here, before any future is made: the call's future is then
        // its connection's own (see `Linked::call`), not one more state machine around it.
        let (Some(per_session), Some(session)) = (&self.inner.per_session, req.ctx.session())
        else {
            return self.least_busy().call(req);
        };
        if &*req.method == "logging/setLevel" && !per_session.has_child(&session.id) {
            // A process started later reads its session's level when it comes up.
            return Box::pin(std::future::ready(Ok(JsonRpcResponse {
                outcome: Ok(RawJson::empty_object()),
            })));
        }
        match per_session.child_for(&self.inner.alias, session) {
            Ok(child) => child.call(req),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

// === impl PerSession ===

impl PerSession {
    fn has_child(&self, session: &str) -> bool {
        self.lock().contains_key(session)
    }

    /// The session's process, started if it has none.
    fn child_for(&self, alias: &Arc<str>, session: &Arc<Session>) -> Result<Linked, BoxError> {
        let now = self.now();
        let mut children = self.lock();
        if let Some(child) = children.get(&session.id) {
            child.last_used.store(now, Ordering::Relaxed);
            return Ok(child.transport.clone());
        }
        if children.len() >= self.max_processes {
            return Err(BackendError::Unavailable {
                backend: alias.clone(),
                reason: format!(
                    "it already runs {} per-session connections (max_processes); retry when a session ends",
                    self.max_processes
                )
                .into(),
            }
            .shed());
        }
        let stop = self.wiring.shutdown.child_token();
        let wiring = Wiring {
            status: watch::channel(Status::default()).0,
            shutdown: stop.clone(),
            owner: Some(Arc::downgrade(session)),
            restart: Arc::new(Notify::new()),
            ..self.wiring.clone()
        };
        let transport = (self.spawn)(wiring);
        let last_used = Arc::new(AtomicU64::new(now));
        children.insert(
            session.id.clone(),
            Child {
                transport: transport.clone(),
                last_used: last_used.clone(),
            },
        );
        info!(backend = %alias, session = %session.id, processes = children.len(), "started a per-session connection");
        drop(children);
        self.tasks.spawn(reap(
            self.children.clone(),
            transport.clone(),
            alias.clone(),
            session.clone(),
            stop,
            last_used,
            self.idle_timeout,
            self.epoch,
        ));
        Ok(transport)
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock(&self) -> MutexGuard<'_, Children> {
        lock(&self.children)
    }
}

fn lock(children: &Mutex<Children>) -> MutexGuard<'_, Children> {
    // Single inserts and removes: a poisoned map is still consistent.
    children.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops a per-session process when its session ends, it idles, or the backend stops.
#[allow(clippy::too_many_arguments)]
async fn reap(
    children: Arc<Mutex<Children>>,
    transport: Linked,
    alias: Arc<str>,
    session: Arc<Session>,
    stop: CancellationToken,
    last_used: Arc<AtomicU64>,
    idle_timeout: Duration,
    epoch: Instant,
) {
    let closed = session.closed.clone();
    let session_id = session.id.clone();
    // Only the id and the token are kept: holding the session would keep it alive.
    drop(session);
    let why = loop {
        let idle_for = Duration::from_millis(
            (epoch.elapsed().as_millis() as u64).saturating_sub(last_used.load(Ordering::Relaxed)),
        );
        let check_in = idle_timeout
            .saturating_sub(idle_for)
            .max(Duration::from_millis(10));
        tokio::select! {
            _ = closed.cancelled() => break "its session ended",
            _ = stop.cancelled() => break "the backend stopped",
            _ = tokio::time::sleep(check_in) => {
                let idle_for = (epoch.elapsed().as_millis() as u64)
                    .saturating_sub(last_used.load(Ordering::Relaxed));
                if idle_for >= idle_timeout.as_millis() as u64 && transport.in_flight() == 0 {
                    break "it was idle";
                }
            }
        }
    };
    drop(transport);
    let removed = {
        let mut map = lock(&children);
        // Remove only this process: an idle reap may race a new start for the same session.
        let same = map
            .get(&session_id)
            .is_some_and(|c| Arc::ptr_eq(&c.last_used, &last_used));
        if same {
            map.remove(&session_id)
        } else {
            None
        }
    };
    stop.cancel();
    if removed.is_some() {
        info!(backend = %alias, session = %session_id, reason = why, "stopped a per-session connection");
    }
}
