//! Backends: one module per transport, each a `tower::Service<JsonRpcRequest>`, wrapped in the
//! layer stack built from that backend's config, and owned by the [`Registry`].

pub mod backoff;
pub mod conn;
pub mod error;
pub mod handshake;
pub mod health;
pub mod http;
pub mod http_auto;
pub mod http_client;
pub mod http_pool;
pub mod pending;
pub mod pool;
pub mod registry;
pub mod sse;
pub mod sse_limit;
pub mod status;
pub mod stdio;
pub mod ws;

use std::sync::Arc;

use ::http::{HeaderMap, HeaderName, HeaderValue};
use mcpmux_layers::auth_inject::resolve;
use mcpmux_layers::StackHooks;
use tokio::sync::{broadcast, watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::util::BoxCloneSyncService;

use crate::config::{BackendConfig, PoolKind, TransportKind};
use crate::protocol::{JsonRpcRequest, JsonRpcResponse, Notification};
use crate::session::{BackendRef, WayBack};
use crate::BoxError;
pub use error::BackendError;
pub use registry::Registry;
pub use status::{Health, Status};

/// A notification a backend sent that the catalog reads (`list_changed`).
pub type BackendNotification = Arc<BackendNotice>;

/// A `list_changed` from a backend, and the session whose own connection sent it (a
/// per-session process or backend session), if any: that session's view of the lists is
/// refetched from its own connection.
#[derive(Debug)]
pub struct BackendNotice {
    /// The notification.
    pub notification: Notification,
    /// The session owning the connection it came on.
    pub owner: Option<std::sync::Weak<crate::session::Session>>,
    /// That session's mark for this change (see `Session::lists_changed`).
    pub mark: Option<u64>,
}

/// A backend's full stack as the steering service calls it.
pub type BackendService = BoxCloneSyncService<JsonRpcRequest, JsonRpcResponse, BoxError>;

/// A configured, running backend. Built, replaced and stopped only by the [`Registry`].
pub struct Backend {
    alias: Arc<str>,
    slot: usize,
    config: BackendConfig,
    service: BackendService,
    status: watch::Receiver<Status>,
    notifications: broadcast::Sender<BackendNotification>,
    shutdown: CancellationToken,
    breaker: Option<mcpmux_layers::BreakerHandle>,
    checked: watch::Receiver<health::Checked>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("alias", &self.alias)
            .finish_non_exhaustive()
    }
}

/// Why a backend could not be built from its config.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A header name or value in config is not valid HTTP.
    #[error("backends.{alias}.headers: `{name}` is not a valid header: {why}")]
    Header {
        /// The backend.
        alias: String,
        /// The header.
        name: String,
        /// Why.
        why: String,
    },
    /// The layer stack config cannot be used.
    #[error("backends.{alias}: {source}")]
    Stack {
        /// The backend.
        alias: String,
        /// Why.
        source: mcpmux_layers::StackError,
    },
    /// Something else in the backend config cannot be used.
    #[error("backends.{alias}: {why}")]
    Invalid {
        /// The backend.
        alias: String,
        /// Why.
        why: String,
    },
}

/// What a backend is started with besides its config.
#[derive(Clone)]
pub(crate) struct StartContext {
    pub connector: http_client::Connector,
    pub tasks: TaskTracker,
    pub way_back: Arc<WayBack>,
}

// === impl Backend ===

impl Backend {
    /// Starts the transport in the background and wraps it in its layer stack.
    pub(crate) fn start(
        alias: &str,
        slot: usize,
        config: &BackendConfig,
        shutdown: CancellationToken,
        cx: &StartContext,
    ) -> Result<Backend, BuildError> {
        let alias: Arc<str> = alias.into();
        let (status_tx, status_rx) = watch::channel(Status::default());
        let (notifications, _) = broadcast::channel(256);
        let backend_ref = BackendRef {
            alias: alias.clone(),
            slot,
        };
        let restart = Arc::new(Notify::new());
        let invalid = |why: String| BuildError::Invalid {
            alias: alias.to_string(),
            why,
        };
        let transport: BackendService = match config.transport_kind() {
            Some(TransportKind::Stdio) => {
                let spec = stdio::StdioSpec {
                    argv: resolve_self(config.argv()),
                    env: resolve_env(&alias, &config.env)?,
                    inherit_env: config.inherit_env,
                    cwd: config.cwd.clone(),
                    connect_timeout: config.connect_timeout,
                    max_line_bytes: config.max_line_bytes,
                };
                let wiring = conn::Wiring {
                    backend: backend_ref,
                    status: status_tx,
                    notifications: notifications.clone(),
                    shutdown: shutdown.clone(),
                    way_back: cx.way_back.clone(),
                    owner: None,
                    restart: restart.clone(),
                };
                BoxCloneSyncService::new(pool::Pool::spawn(
                    pool_mode(config),
                    stdio::StdioTransport::spawner(spec, &cx.tasks),
                    wiring,
                    &cx.tasks,
                ))
            }
            Some(kind @ (TransportKind::StreamableHttp | TransportKind::Sse)) => {
                let url = config
                    .url
                    .as_deref()
                    .ok_or_else(|| invalid("a url is required".into()))?;
                let url: ::http::Uri = url
                    .parse()
                    .map_err(|e| invalid(format!("url `{url}`: {e}")))?;
                let message_wiring = conn::Wiring {
                    backend: backend_ref.clone(),
                    status: status_tx.clone(),
                    notifications: notifications.clone(),
                    shutdown: shutdown.clone(),
                    way_back: cx.way_back.clone(),
                    owner: None,
                    restart: restart.clone(),
                };
                let sse_spec = sse::SseSpec {
                    url: url.clone(),
                    headers: connection_headers(&alias, config)?,
                    connect_timeout: config.connect_timeout,
                    max_event_bytes: config.max_line_bytes,
                };
                let legacy = {
                    let connector = cx.connector.clone();
                    let tasks = cx.tasks.clone();
                    let mode = pool_mode(config);
                    move || -> BackendService {
                        let spawner = sse::spawner(sse_spec, connector, &tasks);
                        BoxCloneSyncService::new(pool::Pool::spawn(
                            mode,
                            spawner,
                            message_wiring,
                            &tasks,
                        ))
                    }
                };
                if kind == TransportKind::Sse {
                    legacy()
                } else {
                    let pool = http_pool::HttpPool::new(cx.connector.clone(), url.clone())
                        .map_err(|e| invalid(format!("url: {e}")))?;
                    let per_session =
                        (config.pool_kind() == PoolKind::PerSession).then_some(http::PerSession {
                            max_sessions: config.effective_max_processes(),
                            idle_timeout: config.idle_timeout,
                        });
                    let static_headers = header_map(&alias, &config.headers)?;
                    let spec = http::HttpSpec {
                        url: url.clone(),
                        headers: static_headers,
                        connect_timeout: config.connect_timeout,
                        per_session,
                    };
                    let wiring = http::HttpWiring {
                        backend: backend_ref,
                        status: status_tx.clone(),
                        notifications: notifications.clone(),
                        shutdown: shutdown.clone(),
                        way_back: cx.way_back.clone(),
                    };
                    let tasks = cx.tasks.clone();
                    let streamable = move || -> BackendService {
                        BoxCloneSyncService::new(http::HttpTransport::spawn(
                            spec, pool, wiring, &tasks,
                        ))
                    };
                    if config.transport.is_some() {
                        streamable()
                    } else {
                        BoxCloneSyncService::new(http_auto::AutoHttp::spawn(
                            alias.clone(),
                            url,
                            connection_headers(&alias, config)?,
                            cx.connector.clone(),
                            status_tx,
                            shutdown.clone(),
                            Box::new(move |spoken| match spoken {
                                http_auto::Spoken::Streamable => streamable(),
                                http_auto::Spoken::LegacySse => legacy(),
                            }),
                        ))
                    }
                }
            }
            Some(TransportKind::Ws) => {
                let url = config
                    .url
                    .clone()
                    .ok_or_else(|| invalid("a url is required".into()))?;
                let spec = ws::WsSpec {
                    url,
                    headers: connection_headers(&alias, config)?,
                    connect_timeout: config.connect_timeout,
                    max_message_bytes: config.max_line_bytes,
                };
                let wiring = conn::Wiring {
                    backend: backend_ref,
                    status: status_tx,
                    notifications: notifications.clone(),
                    shutdown: shutdown.clone(),
                    way_back: cx.way_back.clone(),
                    owner: None,
                    restart: restart.clone(),
                };
                BoxCloneSyncService::new(pool::Pool::spawn(
                    pool_mode(config),
                    ws::spawner(spec, &cx.tasks),
                    wiring,
                    &cx.tasks,
                ))
            }
            None => return Err(invalid("set `command` or `url`".into())),
        };
        crate::telemetry::metrics::register_backend(
            &alias,
            config.transport_kind() == Some(TransportKind::Stdio),
        );
        let stack = mcpmux_layers::build(&alias, &config.stack, transport.clone(), hooks())
            .map_err(|source| BuildError::Stack {
                alias: alias.to_string(),
                source,
            })?;
        let (verdict, checked) = watch::channel(health::Checked::Unknown);
        if !config.health_check_interval.is_zero() {
            let check = health::HealthCheck {
                alias: alias.clone(),
                transport,
                status: status_rx.clone(),
                breaker: stack.breaker.clone(),
                interval: config.health_check_interval,
                timeout: config.stack.timeout.unwrap_or(config.connect_timeout),
                verdict,
                restart: Some(restart),
            };
            tokio::spawn(check.run(shutdown.clone()));
        }
        tokio::spawn(report_up(
            alias.clone(),
            status_rx.clone(),
            checked.clone(),
            shutdown.clone(),
        ));
        Ok(Backend {
            alias,
            slot,
            config: config.clone(),
            service: stack.service,
            status: status_rx,
            notifications,
            shutdown,
            breaker: stack.breaker,
            checked,
        })
    }

    /// A backend that is only `service`: no transport, no background tasks, always up. For
    /// benchmarks and tests of the layers above backends.
    pub fn in_memory(
        alias: &str,
        slot: usize,
        config: BackendConfig,
        service: BackendService,
    ) -> Backend {
        let status = Status {
            health: Health::Up,
            attempted: true,
            generation: 1,
            ..Status::default()
        };
        Backend {
            alias: alias.into(),
            slot,
            config,
            service,
            status: watch::channel(status).1,
            notifications: broadcast::channel(1).0,
            shutdown: CancellationToken::new(),
            breaker: None,
            checked: watch::channel(health::Checked::Unknown).1,
        }
    }

    /// The alias (config key).
    pub fn alias(&self) -> &Arc<str> {
        &self.alias
    }

    /// The registry slot: a small number, stable while the backend runs.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// Its configuration.
    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    /// Whether each client session gets its own process or backend session.
    pub fn is_per_session(&self) -> bool {
        self.config.pool_kind() == PoolKind::PerSession
    }

    /// The layered service, to call.
    pub fn service(&self) -> BackendService {
        self.service.clone()
    }

    /// The connection state now.
    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    /// Whether it is connected and initialized.
    pub fn is_up(&self) -> bool {
        self.status.borrow().health == Health::Up
    }

    /// Watches the connection state.
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// Health as `/readyz` shows it: the connection's, or the health checker's failure while
    /// connected.
    pub fn health(&self) -> Health {
        let health = self.status.borrow().health.clone();
        match (&health, &*self.checked.borrow()) {
            (Health::Up, health::Checked::Failing(why)) => Health::Unhealthy(why.clone()),
            _ => health,
        }
    }

    /// The breaker's state (`closed`, `open`, `half_open`), if it has one.
    pub fn circuit(&self) -> Option<&'static str> {
        self.breaker.as_ref().map(|b| b.state().as_str())
    }

    /// `list_changed` notifications from the backend.
    pub fn subscribe_notifications(&self) -> broadcast::Receiver<BackendNotification> {
        self.notifications.subscribe()
    }

    /// Cancelled when the backend stops.
    pub fn stopped(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Stops the transport (killing child processes) and its background tasks.
    pub(crate) fn stop(&self) {
        self.shutdown.cancel();
    }
}

/// The pool mode of a message-transport backend.
fn pool_mode(config: &BackendConfig) -> pool::Mode {
    match config.pool_kind() {
        PoolKind::Shared => pool::Mode::Shared {
            replicas: config.replicas,
        },
        PoolKind::PerSession => pool::Mode::PerSession {
            max_processes: config.effective_max_processes(),
            idle_timeout: config.idle_timeout,
        },
    }
}

/// What the layers count, recorded as metrics.
fn hooks() -> StackHooks {
    use crate::telemetry::metrics::{circuit_value, CIRCUIT_STATE, RATE_LIMITED, RETRIES};
    StackHooks {
        on_retry: Some(Arc::new(|backend: &str| {
            metrics::counter!(RETRIES, "backend" => backend.to_string()).increment(1);
        })),
        on_circuit_state: Some(Arc::new(|backend: &str, state| {
            metrics::gauge!(CIRCUIT_STATE, "backend" => backend.to_string())
                .set(circuit_value(state));
        })),
        on_rate_limited: Some(Arc::new(|_backend: &str, scope: mcpmux_layers::Scope| {
            metrics::counter!(RATE_LIMITED, "scope" => scope.as_str()).increment(1);
        })),
    }
}

/// Keeps `mcpmux_backend_up` in step with the connection and the health checker.
async fn report_up(
    alias: Arc<str>,
    mut status: watch::Receiver<Status>,
    mut checked: watch::Receiver<health::Checked>,
    shutdown: CancellationToken,
) {
    let gauge =
        metrics::gauge!(crate::telemetry::metrics::BACKEND_UP, "backend" => alias.to_string());
    // Without health checks (interval 0) nothing ever publishes a verdict.
    let mut checking = true;
    loop {
        let up = status.borrow_and_update().health == Health::Up
            && !matches!(*checked.borrow_and_update(), health::Checked::Failing(_));
        gauge.set(if up { 1.0 } else { 0.0 });
        tokio::select! {
            changed = status.changed() => if changed.is_err() { break },
            changed = checked.changed(), if checking => checking = changed.is_ok(),
            _ = shutdown.cancelled() => break,
        }
    }
    gauge.set(0.0);
}

/// `${self}` as a program means this mcpmux binary (the embedded config runs the example server).
fn resolve_self(mut argv: Vec<String>) -> Vec<String> {
    if argv.first().is_some_and(|p| p == "${self}") {
        if let Ok(exe) = std::env::current_exe() {
            argv[0] = exe.to_string_lossy().into_owned();
        }
    }
    argv
}

/// Static headers; values may hold `${env:NAME}` / `${file:PATH}` references. Every value is
/// marked sensitive so it never shows in HTTP-level debug output.
fn header_map(
    alias: &str,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<HeaderMap, BuildError> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let bad = |why: String| BuildError::Header {
            alias: alias.into(),
            name: name.clone(),
            why,
        };
        let n = HeaderName::try_from(name.as_str()).map_err(|e| bad(e.to_string()))?;
        let resolved = resolve(value).map_err(|e| bad(e.to_string()))?;
        let mut v = HeaderValue::try_from(resolved.expose())
            .map_err(|_| bad("the value is not a valid header value".into()))?;
        v.set_sensitive(true);
        map.insert(n, v);
    }
    Ok(map)
}

/// Headers of a connection-level transport (WebSocket upgrade, legacy SSE GET and POSTs): the
/// static `headers` and the credentials of `auth`, resolved once at start.
fn connection_headers(alias: &str, config: &BackendConfig) -> Result<HeaderMap, BuildError> {
    let mut headers = header_map(alias, &config.headers)?;
    if let Some(auth) = &config.stack.auth {
        let resolved = auth.resolve().map_err(|e| BuildError::Invalid {
            alias: alias.into(),
            why: format!("auth: {e}"),
        })?;
        for (name, value) in resolved.headers() {
            let mut value = value.clone();
            value.set_sensitive(true);
            headers.insert(name, value);
        }
    }
    Ok(headers)
}

/// A stdio backend's environment, with `${env:NAME}` / `${file:PATH}` references resolved at
/// spawn time (credentials for stdio servers travel this way).
fn resolve_env(
    alias: &str,
    env: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, BuildError> {
    env.iter()
        .map(|(k, v)| {
            let value = resolve(v).map_err(|e| BuildError::Invalid {
                alias: alias.into(),
                why: format!("env.{k}: {e}"),
            })?;
            Ok((k.clone(), value.expose().to_string()))
        })
        .collect()
}
