//! The gateway core: backends, catalog, steering and sessions, wired together and started.
//! Frontends hold a `Gateway` and only translate their wire to and from its methods.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderValue;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::{info, warn};

use crate::backend::health::Checked;
use crate::backend::{http_client, Backend, Health};
use crate::config::Config;
use crate::protocol::error_codes;
use crate::protocol::jsonrpc::write_notification;
use crate::protocol::mcp::ListKind;
use crate::protocol::{ErrorObject, JsonRpcRequest, Outcome, Request};
use crate::session::{initialize, Session, SessionStore};
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

#[derive(Debug)]
struct Inner {
    config: Arc<Config>,
    steer: Steer,
    sessions: SessionStore,
    /// Messages for every client's notification stream (`list_changed`).
    broadcast: broadcast::Sender<Bytes>,
    shutdown: CancellationToken,
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
    /// Transport supervisors are spawned on `tasks`, so shutdown can wait for child processes
    /// to be stopped.
    pub fn build(
        config: Config,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Gateway, StartError> {
        let connector = http_client::build().map_err(StartError::Other)?;
        let mut members = Vec::new();
        for (alias, backend_config) in config.backends.iter().filter(|(_, b)| b.enabled) {
            let backend = Backend::start(alias, backend_config, &connector, &shutdown, tasks)?;
            let namer = Namer::new(
                backend_config.effective_prefix(alias),
                &config.separator,
                &backend_config.tools,
            )
            .and_then(|n| n.with_idempotent(&backend_config.idempotent_tools))
            .map_err(|e| StartError::Other(format!("backends.{alias}: {e}")))?;
            members.push(Member {
                backend: Arc::new(backend),
                namer,
            });
        }
        let catalog = Arc::new(CatalogStore::new(members.clone(), &config.separator));
        for member in members {
            tokio::spawn(refresh::run(
                member,
                catalog.clone(),
                CATALOG_GRACE,
                shutdown.clone(),
            ));
        }
        let (broadcast, _) = broadcast::channel(256);
        tokio::spawn(forward_list_changes(
            catalog.clone(),
            broadcast.clone(),
            shutdown.clone(),
        ));
        let gateway = Gateway {
            inner: Arc::new(Inner {
                steer: Steer::new(catalog, config.page_size),
                sessions: SessionStore::new(config.session_idle_timeout, config.max_sessions),
                config: Arc::new(config),
                broadcast,
                shutdown,
            }),
        };
        tokio::spawn(reap_sessions(gateway.clone()));
        Ok(gateway)
    }

    /// The config it runs.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Live sessions.
    pub fn sessions(&self) -> &SessionStore {
        &self.inner.sessions
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<CatalogStore> {
        self.inner.steer.catalog()
    }

    /// Stops when cancelled.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Receives messages for every client's notification stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Bytes> {
        self.inner.broadcast.subscribe()
    }

    /// Answers `initialize`: creates the session and returns it with the result.
    pub fn initialize(&self, request: &Request) -> Result<(Arc<Session>, Outcome), ErrorObject> {
        let params = initialize::parse_params(request.params.as_deref())?;
        let version = initialize::version_for(&params);
        let session = self
            .inner
            .sessions
            .create(version, params.capabilities, params.client_info)
            .map_err(|full| {
                warn!(
                    max_sessions = full.max,
                    "initialize refused: session limit reached"
                );
                ErrorObject::new(
                    error_codes::TOO_MANY_SESSIONS,
                    format!("{full}; retry later, or end unused sessions with DELETE"),
                )
            })?;
        let members = self.catalog().members();
        info!(session = %session.id, version, "session started");
        Ok((
            session.clone(),
            Ok(initialize::result(version, &members).into()),
        ))
    }

    /// Handles a request of a session. The session is the rate-limit principal until the gateway
    /// authenticates clients itself; the client's `Authorization` travels only as far as the auth
    /// layer, which drops it unless the backend opts in.
    pub async fn request(
        &self,
        session: &Session,
        request: Request,
        authorization: Option<HeaderValue>,
    ) -> Outcome {
        let mut call = JsonRpcRequest::new(request.method, request.params);
        call.principal = Some(session.id.clone());
        if let Some(value) = authorization {
            call.headers.insert(http::header::AUTHORIZATION, value);
        }
        match self.inner.steer.clone().oneshot(call).await {
            Ok(response) => response.outcome,
            Err(e) => Err(ErrorObject::internal(e.to_string())),
        }
    }

    /// Handles a client notification.
    pub fn notification(&self, session: &Session, method: &str) {
        if method == "notifications/initialized" {
            session.mark_initialized();
        }
    }

    /// Whether every backend has finished its first connection attempt, and each one's state:
    /// the connection's health, or the health checker's failure while connected.
    pub fn readiness(&self) -> (bool, Vec<BackendReadiness>) {
        let members = self.catalog().members();
        let states = members
            .iter()
            .map(|m| {
                let health = m.backend.status.borrow().health.clone();
                let health = match (&health, &*m.backend.checked.borrow()) {
                    (Health::Up, Checked::Failing(why)) => Health::Unhealthy(why.clone()),
                    _ => health,
                };
                BackendReadiness {
                    alias: m.backend.alias.clone(),
                    health,
                    circuit: m.backend.breaker.as_ref().map(|b| b.state().as_str()),
                }
            })
            .collect();
        (self.catalog().unsettled().is_empty(), states)
    }
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

/// Turns catalog changes into `list_changed` notifications for every client.
async fn forward_list_changes(
    catalog: Arc<CatalogStore>,
    out: broadcast::Sender<Bytes>,
    shutdown: CancellationToken,
) {
    let mut changes = catalog.subscribe();
    loop {
        let kind = tokio::select! {
            k = changes.recv() => k,
            _ = shutdown.cancelled() => return,
        };
        let kind = match kind {
            Ok(kind) => kind,
            Err(broadcast::error::RecvError::Lagged(_)) => ListKind::Tools,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let _ = out.send(Bytes::from(write_notification(
            kind.changed_notification(),
            None,
        )));
    }
}

async fn reap_sessions(gateway: Gateway) {
    let mut tick = tokio::time::interval(REAP_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = gateway.inner.shutdown.cancelled() => return,
        }
        let reaped = gateway.inner.sessions.reap_idle();
        if reaped > 0 {
            warn!(sessions = reaped, "ended idle sessions");
        }
    }
}
