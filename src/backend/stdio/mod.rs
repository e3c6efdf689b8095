//! stdio backend: a supervised child process speaking newline-delimited JSON-RPC.
//!
//! Concurrent calls are multiplexed over one process with gateway-assigned ids; each call's
//! context stays beside its id, so what the child sends during a call finds its way back to
//! that call's client. The supervisor restarts the process with backoff when it exits or stops
//! answering, and kills its whole process group on shutdown. `pool.rs` runs several of these:
//! replicas shared by every session, or one per client session.

pub mod env;
pub mod lines;
pub mod pool;
mod supervisor;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, mpsc, watch, Notify};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::error::BackendError;
use super::pending::Pending;
use super::status::{Link, Status};
use super::BackendNotification;
use crate::protocol::jsonrpc::{self, write_notification, write_request};
use crate::protocol::{Id, JsonRpcRequest, JsonRpcResponse};
use crate::session::{BackendRef, CallContext, Related, Session, WayBack};
use crate::BoxError;

/// Consecutive calls abandoned by their callers (timeouts, cancels) with no output at all from
/// the process in between, after which it is taken to be wedged and restarted.
const WEDGED_AFTER: u32 = 3;

/// What to run.
#[derive(Debug, Clone)]
pub struct StdioSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// The backend's own environment variables.
    pub env: Vec<(String, String)>,
    /// Pass the gateway's whole environment, not only the allow-list.
    pub inherit_env: bool,
    /// Working directory.
    pub cwd: Option<std::path::PathBuf>,
    /// Limit for spawn + `initialize`.
    pub connect_timeout: Duration,
    /// Longest stdout line accepted; longer ones are skipped.
    pub max_line_bytes: usize,
}

/// How a process is connected to the rest of the gateway.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Which backend it is.
    pub backend: BackendRef,
    /// Connection state, shown by `/readyz` and read by the catalog.
    pub status: watch::Sender<Status>,
    /// `list_changed` notifications, for the catalog.
    pub notifications: broadcast::Sender<BackendNotification>,
    /// Stops the process.
    pub shutdown: CancellationToken,
    /// Where messages for clients go.
    pub way_back: Arc<WayBack>,
    /// The session that owns the process (`pool = "per-session"`), if any.
    pub owner: Option<Weak<Session>>,
    /// Asks the supervisor to restart the process (the health checker uses it).
    pub restart: Arc<Notify>,
}

/// The `Service` handle: cheap to clone, shares one supervised process.
#[derive(Clone, Debug)]
pub struct StdioTransport {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    alias: Arc<str>,
    link: watch::Receiver<Link<Conn>>,
}

/// One running process: its stdin queue, its calls in flight (with their contexts), and the
/// requests it sent to clients that are still waiting for an answer.
#[derive(Debug)]
struct Conn {
    writer: mpsc::Sender<Vec<u8>>,
    pending: Pending<Arc<CallContext>>,
    asks: Mutex<HashMap<Id, AbortHandle>>,
    /// Calls abandoned since the process last wrote anything.
    abandoned: AtomicU32,
    wedged: Arc<Notify>,
    owner: Option<Weak<Session>>,
}

// === impl StdioTransport ===

impl StdioTransport {
    /// Starts the supervisor; the process is spawned in the background.
    pub fn spawn(spec: StdioSpec, wiring: Wiring, tasks: &TaskTracker) -> Self {
        let (link_tx, link_rx) = watch::channel(Link::Starting);
        let alias = wiring.backend.alias.clone();
        tasks.spawn(supervisor::Supervisor::new(spec, wiring, link_tx).run());
        StdioTransport {
            shared: Arc::new(Shared {
                alias,
                link: link_rx,
            }),
        }
    }

    /// Calls in flight on the current process.
    pub fn in_flight(&self) -> usize {
        match &*self.shared.link.borrow() {
            Link::Up(conn) => conn.pending.len(),
            _ => 0,
        }
    }
}

impl tower::Service<JsonRpcRequest> for StdioTransport {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Not connected is reported by the call itself, at once (`Link::Down`), and bounded
        // queueing is the stack's `max_in_flight` plus the stdin queue.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { shared.call(req).await })
    }
}

impl Shared {
    async fn call(&self, req: JsonRpcRequest) -> Result<JsonRpcResponse, BoxError> {
        self.connection().await?.call(&self.alias, req).await
    }

    /// The live connection, waiting while the process starts; fails fast while it is down.
    async fn connection(&self) -> Result<Arc<Conn>, BoxError> {
        let mut link = self.link.clone();
        let current = link
            .wait_for(|l| !matches!(l, Link::Starting))
            .await
            .map_err(|_| {
                BackendError::Unavailable {
                    backend: self.alias.clone(),
                    reason: "the gateway is shutting down".into(),
                }
                .never_sent()
            })?
            .clone();
        match current {
            Link::Up(conn) => Ok(conn),
            Link::Down(reason) => Err(BackendError::Unavailable {
                backend: self.alias.clone(),
                reason,
            }
            .never_sent()),
            Link::Starting => unreachable!("wait_for returned a non-starting link"),
        }
    }
}

// === impl Conn ===

impl Conn {
    fn new(writer: mpsc::Sender<Vec<u8>>, owner: Option<Weak<Session>>) -> Self {
        Conn {
            writer,
            pending: Pending::default(),
            asks: Mutex::new(HashMap::new()),
            abandoned: AtomicU32::new(0),
            wedged: Arc::new(Notify::new()),
            owner,
        }
    }

    /// Sends one request on this process and waits for its answer. Used for calls and for the
    /// handshake (before the connection is published); a caller that stops waiting cancels it.
    async fn call(
        &self,
        alias: &Arc<str>,
        req: JsonRpcRequest,
    ) -> Result<JsonRpcResponse, BoxError> {
        if req.notification {
            let line = write_notification(&req.method, req.params.as_deref());
            self.writer.send(line).await.map_err(|_| {
                BackendError::Unavailable {
                    backend: alias.clone(),
                    reason: "the process exited before the notification was sent".into(),
                }
                .never_sent()
            })?;
            return Ok(JsonRpcResponse {
                outcome: Ok(crate::protocol::RawJson::empty_object()),
            });
        }
        let (id, answer) = self.pending.register(req.ctx.clone());
        let mut in_flight = InFlight {
            conn: self,
            id,
            armed: true,
        };
        let line = write_request(&Id::Number(id), &req.method, req.params.as_deref());
        if self.writer.send(line).await.is_err() {
            in_flight.armed = false;
            self.pending.forget(id);
            return Err(BackendError::Unavailable {
                backend: alias.clone(),
                reason: "the process exited before the call was sent".into(),
            }
            .never_sent());
        }
        let outcome = answer.await;
        in_flight.armed = false;
        match outcome {
            Ok(outcome) => Ok(JsonRpcResponse { outcome }),
            Err(_) => Err(Box::new(BackendError::Lost {
                backend: alias.clone(),
                method: req.method.clone(),
                what: "exited".into(),
            })),
        }
    }

    /// Where a message from the process belongs, as far as the connection knows.
    fn related(&self) -> Related {
        match &self.owner {
            Some(owner) => Related::Session(owner.clone()),
            None => Related::InFlight(self.pending.tags()),
        }
    }

    /// The process wrote something: it is not wedged.
    fn heard_from(&self) {
        self.abandoned.store(0, Ordering::Relaxed);
    }

    fn lock_asks(&self) -> std::sync::MutexGuard<'_, HashMap<Id, AbortHandle>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.asks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Cleans up a call whose caller stopped waiting (timeout, client gone): the id is forgotten
/// and the backend is told with `notifications/cancelled`.
struct InFlight<'a> {
    conn: &'a Conn,
    id: i64,
    armed: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed && self.conn.pending.forget(self.id) {
            let params = jsonrpc::to_raw(&serde_json::json!({
                "requestId": self.id,
                "reason": "cancelled by mcpmux: the caller stopped waiting",
            }));
            // Best effort: a full queue means the process is wedged, and the timeout says so.
            let _ = self
                .conn
                .writer
                .try_send(write_notification("notifications/cancelled", Some(&params)));
            if self.conn.abandoned.fetch_add(1, Ordering::Relaxed) + 1 >= WEDGED_AFTER {
                self.conn.wedged.notify_one();
            }
        }
    }
}

#[cfg(test)]
mod tests;
