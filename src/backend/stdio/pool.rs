//! How many processes a stdio backend runs, and for whom.
//!
//! `shared` (the default): `replicas` processes serve every session; each call goes to the one
//! with the fewest calls in flight. `per-session`: every client session that calls the backend
//! gets a process of its own, started on first use and stopped when the session ends or the
//! process idles, at most `max_processes` at once; one more process, shared, serves the
//! gateway's own calls (catalog, health). Many stdio servers keep per-connection state (roots,
//! log level, subscriptions, toggles) that one shared process would mix across clients.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::info;

use super::{StdioSpec, StdioTransport, Wiring};
use crate::backend::error::BackendError;
use crate::backend::status::Status;
use crate::protocol::{JsonRpcRequest, JsonRpcResponse, RawJson};
use crate::session::Session;
use crate::BoxError;

/// How a stdio backend's processes are shared.
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

/// The backend's processes, as one `Service`.
#[derive(Clone)]
pub struct StdioPool {
    inner: Arc<Inner>,
}

struct Inner {
    alias: Arc<str>,
    /// Shared processes (one for `per-session`: the gateway's own).
    shared: Vec<StdioTransport>,
    per_session: Option<PerSession>,
}

struct PerSession {
    spec: StdioSpec,
    wiring: Wiring,
    tasks: TaskTracker,
    max_processes: usize,
    idle_timeout: Duration,
    epoch: Instant,
    children: Arc<Mutex<HashMap<Arc<str>, Child>>>,
}

struct Child {
    transport: StdioTransport,
    last_used: Arc<AtomicU64>,
}

impl std::fmt::Debug for StdioPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StdioPool")
            .field("alias", &self.inner.alias)
            .field("shared", &self.inner.shared.len())
            .field("per_session", &self.children())
            .finish()
    }
}

// === impl StdioPool ===

impl StdioPool {
    /// Starts the shared processes; per-session ones start on first use.
    pub fn spawn(mode: Mode, spec: StdioSpec, wiring: Wiring, tasks: &TaskTracker) -> Self {
        let alias = wiring.backend.alias.clone();
        let replicas = match mode {
            Mode::Shared { replicas } => replicas.max(1),
            Mode::PerSession { .. } => 1,
        };
        let shared = (0..replicas)
            .map(|_| StdioTransport::spawn(spec.clone(), wiring.clone(), tasks))
            .collect();
        let per_session = match mode {
            Mode::Shared { .. } => None,
            Mode::PerSession {
                max_processes,
                idle_timeout,
            } => Some(PerSession {
                spec,
                wiring,
                tasks: tasks.clone(),
                max_processes,
                idle_timeout,
                epoch: Instant::now(),
                children: Arc::new(Mutex::new(HashMap::new())),
            }),
        };
        StdioPool {
            inner: Arc::new(Inner {
                alias,
                shared,
                per_session,
            }),
        }
    }

    /// Per-session processes running now.
    pub fn children(&self) -> usize {
        self.inner
            .per_session
            .as_ref()
            .map_or(0, |p| p.lock().len())
    }

    async fn call(self, req: JsonRpcRequest) -> Result<JsonRpcResponse, BoxError> {
        let session = req.ctx.session().cloned();
        match (&self.inner.per_session, session) {
            (Some(per_session), Some(session)) => {
                if &*req.method == "logging/setLevel" && !per_session.has_child(&session.id) {
                    // A process started later reads its session's level when it comes up.
                    return Ok(JsonRpcResponse {
                        outcome: Ok(RawJson::empty_object()),
                    });
                }
                let transport = per_session.child_for(&self.inner.alias, &session)?;
                transport.oneshot(req).await
            }
            _ => self.least_busy().oneshot(req).await,
        }
    }

    fn least_busy(&self) -> StdioTransport {
        self.inner
            .shared
            .iter()
            .min_by_key(|t| t.in_flight())
            .expect("a pool has at least one shared process")
            .clone()
    }
}

impl tower::Service<JsonRpcRequest> for StdioPool {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Processes report their own state per call (see `StdioTransport::poll_ready`).
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        Box::pin(self.clone().call(req))
    }
}

// === impl PerSession ===

impl PerSession {
    fn has_child(&self, session: &str) -> bool {
        self.lock().contains_key(session)
    }

    /// The session's process, started if it has none.
    fn child_for(
        &self,
        alias: &Arc<str>,
        session: &Arc<Session>,
    ) -> Result<StdioTransport, BoxError> {
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
                    "it already runs {} per-session processes (max_processes); retry when a session ends",
                    self.max_processes
                )
                .into(),
            }
            .never_sent());
        }
        let stop = self.wiring.shutdown.child_token();
        let wiring = Wiring {
            status: watch::channel(Status::default()).0,
            shutdown: stop.clone(),
            owner: Some(Arc::downgrade(session)),
            restart: Arc::new(Notify::new()),
            ..self.wiring.clone()
        };
        let transport = StdioTransport::spawn(self.spec.clone(), wiring, &self.tasks);
        let last_used = Arc::new(AtomicU64::new(now));
        children.insert(
            session.id.clone(),
            Child {
                transport: transport.clone(),
                last_used: last_used.clone(),
            },
        );
        info!(backend = %alias, session = %session.id, processes = children.len(), "started a per-session process");
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

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Child>> {
        lock(&self.children)
    }
}

fn lock(children: &Mutex<HashMap<Arc<str>, Child>>) -> MutexGuard<'_, HashMap<Arc<str>, Child>> {
    // Single inserts and removes: a poisoned map is still consistent.
    children.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops a per-session process when its session ends, it idles, or the backend stops.
#[allow(clippy::too_many_arguments)]
async fn reap(
    children: Arc<Mutex<HashMap<Arc<str>, Child>>>,
    transport: StdioTransport,
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
        info!(backend = %alias, session = %session_id, reason = why, "stopped a per-session process");
    }
}
