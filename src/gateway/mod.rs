//! The gateway core: the backend registry, catalog, steering, sessions and the way back, wired
//! together and started. Frontends hold a `Gateway` and only translate their wire to and from
//! its methods: [`Gateway::initialize`], [`Gateway::call`], [`Gateway::notification`] and
//! [`Gateway::client_response`].

mod call;
pub mod change;
mod error;
pub mod inspect;
pub mod link;
mod local;
pub mod meta;
pub mod parked;
pub mod reload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::{debug, info, warn};

pub use call::{Call, Inbound};
pub use error::CallError;

use crate::backend::{http_client, Backend, Health, Registry, StartContext};
use crate::config::Config;
use crate::protocol::jsonrpc::{to_raw, write_notification, NO_PARAMS};
use crate::protocol::mcp::ListKind;
use crate::protocol::{JsonRpcRequest, Notification, RawJson, Request, Response};
use crate::session::client::ClientInfo;
use crate::session::events::{Budget, Window};
use crate::session::listeners::Listeners;
use crate::session::{
    initialize, CallContext, CallParts, NewSession, Session, SessionStore, UnknownAnswer, WayBack,
};
use crate::steer::catalog::{CatalogStore, Member};
use crate::steer::names::Namer;
use crate::steer::{refresh, Steer};

/// How long a down backend's last-known entries stay in the catalog.
const CATALOG_GRACE: Duration = Duration::from_secs(60);
/// How often idle sessions are looked for.
const REAP_EVERY: Duration = Duration::from_secs(30);

/// The wired-up gateway, shared by every frontend.
#[derive(Clone, Debug)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    /// The running config: backends, pipelines and meta-tools change with reloads and the
    /// admin API; the other keys keep their start values (see `change`).
    config: arc_swap::ArcSwap<Config>,
    /// Where the config came from, for reloads and for writing changes back.
    source: std::sync::OnceLock<change::Source>,
    /// Serialises config changes.
    changing: tokio::sync::Mutex<()>,
    local: Arc<local::LocalTools>,
    registry: Registry,
    steer: Steer,
    sessions: Arc<SessionStore>,
    way_back: Arc<WayBack>,
    window: Window,
    /// Modern-era calls waiting for their client's input.
    parked: Arc<parked::ParkedCalls>,
    /// Cancelled first at shutdown: listeners stop, streams end, calls in flight finish.
    shutdown: CancellationToken,
    /// Set at shutdown, so `/readyz` fails at once.
    draining: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("registry", &self.registry)
            .field("sessions", &self.sessions)
            .finish_non_exhaustive()
    }
}

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A backend's config cannot be used.
    #[error(transparent)]
    Backend(#[from] crate::backend::BuildError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Something else.
    #[error("{0}")]
    Other(String),
}

// === impl Gateway ===

impl Gateway {
    /// Starts every enabled backend (connecting in the background) and the catalog refreshers.
    /// Backends stop when `backends` is cancelled; the frontends' token
    /// ([`Gateway::shutdown_token`]) is its child, so it can be cancelled first. Transport
    /// supervisors are spawned on `tasks`, so shutdown can wait for child processes to stop.
    pub fn build(
        config: Config,
        backends: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Gateway, StartError> {
        let shutdown = backends.child_token();
        let connector = http_client::build().map_err(StartError::Other)?;
        let sessions = Arc::new(SessionStore::new(
            config.session_idle_timeout,
            config.max_sessions,
        ));
        let way_back = Arc::new(WayBack::new(
            sessions.clone(),
            config.client_request_timeout,
        ));
        let registry = Registry::new(
            StartContext {
                connector,
                tasks: tasks.clone(),
                way_back: way_back.clone(),
            },
            backends,
        );
        let mut members = Vec::new();
        for (alias, backend_config) in config.backends.iter().filter(|(_, b)| b.enabled) {
            let (backend, _) = registry.start(alias, backend_config)?;
            members.push(member_of(&config, &backend)?);
        }
        let catalog = Arc::new(CatalogStore::new(members.clone(), &config.separator));
        for member in members {
            spawn_refresh(member, &catalog);
        }
        let window = Window {
            events: config.replay_events,
            bytes: config.replay_bytes,
            budget: Budget::new(config.replay_budget_bytes),
        };
        let page_size = config.page_size;
        let parked = parked::ParkedCalls::new(config.client_request_timeout, config.max_sessions);
        let inner = Arc::new_cyclic(|weak| {
            let local = Arc::new(local::LocalTools::new(weak.clone(), &config));
            let steer = Steer::with_local(
                catalog.clone(),
                way_back.subscriptions().clone(),
                page_size,
                local.clone(),
            );
            Inner {
                config: arc_swap::ArcSwap::from_pointee(config),
                source: std::sync::OnceLock::new(),
                changing: tokio::sync::Mutex::new(()),
                local,
                registry,
                steer,
                sessions,
                way_back,
                window,
                parked,
                shutdown,
                draining: std::sync::atomic::AtomicBool::new(false),
            }
        });
        inner.local.publish(&inner.config.load());
        let gateway = Gateway { inner };
        gateway.release_on_session_end();
        tokio::spawn(forward_list_changes(gateway.clone()));
        tokio::spawn(reap_sessions(gateway.clone()));
        Ok(gateway)
    }

    /// Modern-era calls waiting for their client's input.
    pub fn parked(&self) -> &Arc<parked::ParkedCalls> {
        &self.inner.parked
    }

    /// Modern-era clients' listen streams.
    pub fn listeners(&self) -> &Listeners {
        self.inner.way_back.listeners()
    }

    /// Subscribes the listen stream `watcher` to `uri`: the backend that serves it is
    /// subscribed if nobody watched it yet. False when no shared backend serves the URI or the
    /// backend refused (per-session backends have no connection a stateless stream could own).
    pub async fn watch_resource(&self, watcher: &Arc<str>, uri: &str) -> bool {
        let Some(backend) = self.catalog().view(None).resource(uri) else {
            return false;
        };
        if backend.is_per_session() {
            return false;
        }
        let subscriptions = self.inner.way_back.subscriptions();
        if !subscriptions.add(backend.alias(), uri, watcher) {
            return true;
        }
        let params = to_raw(&serde_json::json!({ "uri": uri }));
        let req = JsonRpcRequest::new("resources/subscribe", Some(params));
        match backend.service().oneshot(req).await {
            Ok(response) if response.outcome.is_ok() => true,
            refused => {
                debug!(backend = %backend.alias(), uri, outcome = ?refused.map(|r| r.outcome), "listen: resources/subscribe refused");
                subscriptions.remove(backend.alias(), uri, watcher);
                false
            }
        }
    }

    /// Releases what listen streams whose clients went away watched (the session reaper
    /// calls it every 30 s).
    pub fn prune_listeners(&self) {
        for watcher in self.listeners().prune() {
            release_watches(&self.inner, &watcher);
        }
    }

    /// How much of each stream is kept (for a new stream).
    pub fn window(&self) -> &Window {
        &self.inner.window
    }

    /// Answers a modern client's `server/discover`: what the gateway routes, like `initialize`.
    pub fn discover(&self) -> RawJson {
        initialize::discover_result(&self.catalog().members()).into()
    }

    /// The config it runs now.
    pub fn config(&self) -> Arc<Config> {
        self.inner.config.load_full()
    }

    /// Live sessions.
    pub fn sessions(&self) -> &Arc<SessionStore> {
        &self.inner.sessions
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<CatalogStore> {
        self.inner.steer.catalog()
    }

    /// The running backends.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The routing of backend messages to clients.
    pub fn way_back(&self) -> &Arc<WayBack> {
        &self.inner.way_back
    }

    /// The frontends' token: cancelled when shutdown begins.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Starts shutting down: `/readyz` fails from now on.
    pub fn begin_drain(&self) {
        self.inner
            .draining
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.inner
            .draining
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Answers `initialize`: creates the session and returns it with the result.
    pub fn initialize(
        &self,
        request: &Request,
        principal: Option<Arc<str>>,
    ) -> Result<(Arc<Session>, RawJson), CallError> {
        let params = initialize::parse_params(request.params.as_deref())
            .map_err(|e| CallError::InvalidParams(e.message))?;
        let client = ClientInfo::from_initialize(
            params.capabilities.as_deref(),
            params.client_info.as_deref(),
            self.inner.config.load().max_client_info_bytes,
        )
        .map_err(|e| CallError::InvalidParams(e.message))?;
        let version = initialize::version_for(&params);
        let session = self
            .inner
            .sessions
            .create(NewSession {
                version,
                client,
                principal,
                window: self.inner.window.clone(),
            })
            .inspect_err(|full| {
                warn!(
                    max_sessions = full.max,
                    "initialize refused: session limit reached"
                );
            })?;
        let members = self.catalog().members();
        info!(session = %session.id, version, client = %session.client().name, principal = session.principal().map(|p| &**p), "session started");
        Ok((session, initialize::result(version, &members).into()))
    }

    /// Handles a client notification.
    pub fn notification(&self, session: &Arc<Session>, n: Notification) {
        match &*n.method {
            "notifications/initialized" => session.mark_initialized(),
            "notifications/cancelled" => self.cancelled(session, &n),
            "notifications/roots/list_changed" => self.roots_changed(session),
            other => debug!(session = %session.id, method = other, "client notification ignored"),
        }
    }

    fn cancelled(&self, session: &Session, n: &Notification) {
        let id = crate::protocol::mcp::cancelled_request_id(n.params.as_deref());
        match id {
            Some(id) if session.cancel_call(&id) => {
                debug!(session = %session.id, request = %id, "call cancelled by the client")
            }
            Some(id) => {
                debug!(session = %session.id, request = %id, "cancel for no call in flight (finished or unknown); ignored")
            }
            None => {
                debug!(session = %session.id, "notifications/cancelled without a requestId; ignored")
            }
        }
    }

    /// Tells the backends the session uses that its roots changed.
    fn roots_changed(&self, session: &Arc<Session>) {
        let ctx = CallContext::new(CallParts {
            session: Some(session.clone()),
            version: session.version(),
            ..CallParts::default()
        });
        for backend in self.inner.registry.all().iter() {
            if !session.has_used(backend.slot()) {
                continue;
            }
            if !backend.is_per_session() {
                self.inner.way_back.hint_roots(backend.alias(), session);
            }
            let note =
                JsonRpcRequest::notification("notifications/roots/list_changed", None, ctx.clone());
            let service = backend.service();
            let alias = backend.alias().clone();
            tokio::spawn(async move {
                if let Err(e) = service.oneshot(note).await {
                    debug!(backend = %alias, error = %e, "roots/list_changed not delivered");
                }
            });
        }
    }

    /// Delivers a client's answer to a request a backend sent it.
    pub fn client_response(
        &self,
        session: &Session,
        response: Response,
    ) -> Result<(), UnknownAnswer> {
        let Some(id) = response.id else {
            debug!(session = %session.id, "client sent an error without an id; ignored");
            return Ok(());
        };
        session.answer(&id, response.outcome)
    }

    /// Whether every backend has finished its first connection attempt, and each one's state.
    pub fn readiness(&self) -> (bool, Vec<BackendReadiness>) {
        let states = self
            .inner
            .registry
            .all()
            .iter()
            .map(|b| BackendReadiness {
                alias: b.alias().clone(),
                health: b.health(),
                circuit: b.circuit(),
            })
            .collect();
        (self.catalog().unsettled().is_empty(), states)
    }

    /// What an ended session held is released: its log level no longer counts, and the
    /// backends it alone watched resources on are unsubscribed.
    fn release_on_session_end(&self) {
        let weak = Arc::downgrade(&self.inner);
        self.inner
            .sessions
            .on_end(Arc::new(move |session: &Arc<Session>| {
                let Some(inner) = weak.upgrade() else { return };
                inner.way_back.levels().change(session.log_level(), None);
                release_watches(&inner, &session.id);
            }));
    }
}

/// Forgets what `watcher` (a session or a listen stream) watched, and unsubscribes shared
/// backends from the URIs nobody else watches (a per-session backend's connection ends with
/// its session anyway).
fn release_watches(inner: &Inner, watcher: &str) {
    for (alias, uri) in inner.way_back.subscriptions().remove_session(watcher) {
        if let Some(backend) = inner.registry.get(&alias) {
            if !backend.is_per_session() {
                unsubscribe(backend, uri);
            }
        }
    }
}

/// Unsubscribes a shared backend from a URI nobody watches any more, in the background.
fn unsubscribe(backend: Arc<Backend>, uri: Box<str>) {
    let params = to_raw(&serde_json::json!({ "uri": &*uri }));
    let req = JsonRpcRequest::new("resources/unsubscribe", Some(params));
    tokio::spawn(async move {
        if let Err(e) = backend.service().oneshot(req).await {
            debug!(backend = %backend.alias(), uri = %uri, error = %e, "unsubscribe failed");
        }
    });
}

/// Keeps a member's catalog entries fresh until its backend stops.
fn spawn_refresh(member: Member, catalog: &Arc<CatalogStore>) {
    let stop = member.backend.stopped().clone();
    tokio::spawn(refresh::run(member, catalog.clone(), CATALOG_GRACE, stop));
}

fn member_of(config: &Config, backend: &Arc<Backend>) -> Result<Member, StartError> {
    let alias = backend.alias();
    let backend_config = backend.config();
    let namer = Namer::new(
        backend_config.effective_prefix(alias),
        &config.separator,
        &backend_config.tools,
    )
    .and_then(|n| n.with_idempotent(&backend_config.idempotent_tools))
    .map_err(|e| StartError::Other(format!("backends.{alias}: {e}")))?;
    Ok(Member {
        backend: backend.clone(),
        namer,
    })
}

/// One backend's line in `/readyz`.
#[derive(Debug, Clone)]
pub struct BackendReadiness {
    /// The alias.
    pub alias: Arc<str>,
    /// Connection health, or the health checker's failure while connected.
    pub health: Health,
    /// The breaker's state (`closed`, `open`, `half_open`), if it has one.
    pub circuit: Option<&'static str>,
}

/// Turns catalog changes into `list_changed` notifications on every session's GET stream.
async fn forward_list_changes(gateway: Gateway) {
    let mut changes = gateway.catalog().subscribe();
    loop {
        let kind = tokio::select! {
            k = changes.recv() => k,
            _ = gateway.inner.shutdown.cancelled() => {
                gateway.listeners().close_all();
                return;
            }
        };
        let kind = match kind {
            Ok(kind) => kind,
            Err(broadcast::error::RecvError::Lagged(_)) => ListKind::Tools,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let message = Bytes::from(write_notification(kind.changed_notification(), NO_PARAMS));
        gateway.inner.way_back.broadcast(&message);
        gateway.listeners().list_changed(kind);
    }
}

async fn reap_sessions(gateway: Gateway) {
    let mut tick = tokio::time::interval(REAP_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = gateway.inner.shutdown.cancelled() => return,
        }
        gateway.prune_listeners();
        let reaped = gateway.inner.sessions.reap_idle();
        if reaped > 0 {
            warn!(sessions = reaped, "ended idle sessions");
        }
    }
}
