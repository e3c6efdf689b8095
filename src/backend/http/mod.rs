//! streamable-HTTP backend: MCP over POST (JSON or event-stream replies), `Mcp-Session-Id`,
//! `MCP-Protocol-Version`, re-initialize on 404, a GET stream per backend session, replies
//! resumed with `Last-Event-ID` when a backend cuts its stream.
//!
//! With `pool = "per-session"` (the default) each client session gets its own backend session,
//! started on its first call: the backend sees every client as its own client, so its
//! per-session state (roots, log level, subscriptions) and its unsolicited messages belong to
//! exactly one client. One more backend session serves the gateway's own calls (catalog,
//! health) and carries `list_changed`.

mod exchange;
mod listen;
mod slot;

use std::collections::HashMap;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::error::BackendError;
use super::http_pool::HttpPool;
use super::status::Status;
use super::BackendNotification;
use crate::protocol::{Id, JsonRpcRequest, JsonRpcResponse};
use crate::session::{BackendRef, WayBack};
use crate::BoxError;
use slot::Slot;

/// Largest reply body, or single event of an event stream, accepted from a backend.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// `Mcp-Session-Id`.
pub const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// What to connect to.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// The MCP endpoint.
    pub url: Uri,
    /// Static headers from config.
    pub headers: HeaderMap,
    /// Limit for the `initialize` exchange.
    pub connect_timeout: Duration,
    /// Backend sessions per client session, at most `max_sessions` of them, each ended after
    /// `idle_timeout` without a call; `None`: one backend session for every client.
    pub per_session: Option<PerSession>,
}

/// Limits of per-client backend sessions.
#[derive(Debug, Clone, Copy)]
pub struct PerSession {
    /// Most at once.
    pub max_sessions: usize,
    /// Idle this long: ended (started again on next use).
    pub idle_timeout: Duration,
}

/// How the transport is connected to the rest of the gateway.
#[derive(Debug, Clone)]
pub struct HttpWiring {
    /// Which backend it is.
    pub backend: BackendRef,
    /// Connection state of the gateway's own backend session.
    pub status: watch::Sender<Status>,
    /// `list_changed` notifications, for the catalog.
    pub notifications: broadcast::Sender<BackendNotification>,
    /// Stops everything.
    pub shutdown: CancellationToken,
    /// Where messages for clients go.
    pub way_back: Arc<WayBack>,
}

/// The `Service` handle: cheap to clone.
#[derive(Clone)]
pub struct HttpTransport {
    shared: Arc<Shared>,
}

struct Shared {
    spec: HttpSpec,
    client: HttpPool,
    wiring: HttpWiring,
    tasks: TaskTracker,
    /// The gateway's own backend session.
    gateway: Arc<Slot>,
    /// Backend sessions of client sessions, by client session id (with `per_session`, looked
    /// up on every call: foldhash rather than std's slower SipHash).
    clients: Mutex<foldhash::HashMap<Arc<str>, Arc<Slot>>>,
    next_id: AtomicI64,
    /// Requests the backend sent to clients, still waiting: by (backend session, backend id).
    asks: Mutex<HashMap<(Option<HeaderValue>, Id), AbortHandle>>,
    epoch: Instant,
}

// === impl HttpTransport ===

impl HttpTransport {
    /// Creates the transport; the gateway's backend session connects in the background.
    pub fn spawn(
        spec: HttpSpec,
        client: HttpPool,
        wiring: HttpWiring,
        tasks: &TaskTracker,
    ) -> Self {
        let gateway = Arc::new(Slot::new(None, wiring.shutdown.child_token()));
        let shared = Arc::new(Shared {
            spec,
            client,
            wiring,
            tasks: tasks.clone(),
            gateway: gateway.clone(),
            clients: Mutex::new(foldhash::HashMap::default()),
            next_id: AtomicI64::new(0),
            asks: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        });
        tasks.spawn(listen::supervise(shared.clone(), gateway));
        HttpTransport { shared }
    }

    /// Backend sessions held for client sessions now.
    pub fn client_sessions(&self) -> usize {
        self.shared.lock_clients().len()
    }
}

impl tower::Service<JsonRpcRequest> for HttpTransport {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The connection pool is the queue and hyper applies back-pressure per connection; an
        // unreachable backend fails the call at once with `Unavailable`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        // The backend session is picked before any future is made; the call's future is then
        // the exchange itself, not wrappers around it.
        match self.shared.slot_for(&req) {
            Ok(slot) => Box::pin(exchange::call(self.shared.clone(), slot, req)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

impl Shared {
    fn alias(&self) -> &Arc<str> {
        &self.wiring.backend.alias
    }

    /// The backend session a request goes on.
    fn slot_for(self: &Arc<Self>, req: &JsonRpcRequest) -> Result<Arc<Slot>, BoxError> {
        let (Some(limits), Some(session)) = (self.spec.per_session, req.ctx.session()) else {
            return Ok(self.gateway.clone());
        };
        let mut clients = self.lock_clients();
        if let Some(slot) = clients.get(&session.id) {
            slot.touch(self.now());
            return Ok(slot.clone());
        }
        if clients.len() >= limits.max_sessions {
            return Err(BackendError::Unavailable {
                backend: self.alias().clone(),
                reason: format!(
                    "it already holds {} backend sessions for clients (max_processes); retry when a session ends",
                    limits.max_sessions
                )
                .into(),
            }
            .shed());
        }
        let slot = Arc::new(Slot::new(
            Some(Arc::downgrade(session)),
            self.wiring.shutdown.child_token(),
        ));
        slot.touch(self.now());
        clients.insert(session.id.clone(), slot.clone());
        drop(clients);
        self.tasks.spawn(listen::serve_client(
            self.clone(),
            slot.clone(),
            session.id.clone(),
            session.closed.clone(),
            limits.idle_timeout,
        ));
        Ok(slot)
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn lock_clients(&self) -> MutexGuard<'_, foldhash::HashMap<Arc<str>, Arc<Slot>>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_asks(&self) -> MutexGuard<'_, HashMap<(Option<HeaderValue>, Id), AbortHandle>> {
        self.asks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
