//! Backends: one module per transport, each a `tower::Service<JsonRpcRequest>`, wrapped in the
//! layer stack built from that backend's config.

pub mod backoff;
pub mod error;
pub mod handshake;
pub mod health;
pub mod http_client;
pub mod http_pool;
pub mod pending;
pub mod sse_limit;
pub mod status;
pub mod stdio;
pub mod streamable_http;

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use mcpmux_layers::auth_inject::resolve;
use mcpmux_layers::StackHooks;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::util::BoxCloneSyncService;

use crate::config::{BackendConfig, TransportKind};
use crate::protocol::{JsonRpcRequest, JsonRpcResponse, Notification};
use crate::BoxError;
pub use error::BackendError;
pub use status::{Health, Status};

/// A notification a backend sent (list changes, progress, log messages).
pub type BackendNotification = Arc<Notification>;

/// A backend's full stack as the steering service calls it.
pub type BackendService = BoxCloneSyncService<JsonRpcRequest, JsonRpcResponse, BoxError>;

/// A configured, running backend.
pub struct Backend {
    /// The alias (config key).
    pub alias: Arc<str>,
    /// Its configuration.
    pub config: BackendConfig,
    /// The layered service.
    pub service: BackendService,
    /// Connection state.
    pub status: watch::Receiver<Status>,
    /// Notifications from the backend.
    pub notifications: broadcast::Sender<BackendNotification>,
    /// Stops the transport's background tasks (and the child process).
    pub shutdown: CancellationToken,
    /// The breaker of its stack, if enabled.
    pub breaker: Option<mcpmux_layers::BreakerHandle>,
    /// The health checker's latest verdict.
    pub checked: watch::Receiver<health::Checked>,
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

impl Backend {
    /// Starts the transport in the background and wraps it in its layer stack.
    pub fn start(
        alias: &str,
        config: &BackendConfig,
        connector: &http_client::Connector,
        parent: &CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<Backend, BuildError> {
        let alias: Arc<str> = alias.into();
        let (status_tx, status_rx) = watch::channel(Status::default());
        let (notifications, _) = broadcast::channel(256);
        let shutdown = parent.child_token();
        let invalid = |why: String| BuildError::Invalid {
            alias: alias.to_string(),
            why,
        };
        let transport: BackendService = match config.transport_kind() {
            Some(TransportKind::Stdio) => {
                let spec = stdio::StdioSpec {
                    argv: resolve_self(config.argv()),
                    env: resolve_env(&alias, &config.env)?,
                    cwd: config.cwd.clone(),
                    connect_timeout: config.connect_timeout,
                };
                BoxCloneSyncService::new(stdio::StdioTransport::spawn(
                    alias.clone(),
                    spec,
                    status_tx,
                    notifications.clone(),
                    shutdown.clone(),
                    tasks,
                ))
            }
            Some(TransportKind::StreamableHttp) => {
                let url = config
                    .url
                    .as_deref()
                    .ok_or_else(|| invalid("a url is required".into()))?;
                let url: http::Uri = url
                    .parse()
                    .map_err(|e| invalid(format!("url `{url}`: {e}")))?;
                let pool = http_pool::HttpPool::new(connector.clone(), url.clone())
                    .map_err(|e| invalid(format!("url: {e}")))?;
                let spec = streamable_http::HttpSpec {
                    url,
                    headers: header_map(&alias, &config.headers)?,
                    connect_timeout: config.connect_timeout,
                };
                BoxCloneSyncService::new(streamable_http::HttpTransport::spawn(
                    alias.clone(),
                    spec,
                    pool,
                    status_tx,
                    notifications.clone(),
                    shutdown.clone(),
                    tasks,
                ))
            }
            None => return Err(invalid("set `command` or `url`".into())),
        };
        let stack = mcpmux_layers::build(
            &alias,
            &config.stack,
            transport.clone(),
            StackHooks::default(),
        )
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
            };
            tokio::spawn(check.run(shutdown.clone()));
        }
        Ok(Backend {
            alias,
            config: config.clone(),
            service: stack.service,
            status: status_rx,
            notifications,
            shutdown,
            breaker: stack.breaker,
            checked,
        })
    }
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

/// Answers a backend-to-gateway request. Sessions do not reach back yet, so only `ping` works.
pub(crate) fn answer_server_request(method: &str) -> crate::protocol::Outcome {
    match method {
        "ping" => Ok(crate::protocol::RawJson::empty_object()),
        other => Err(crate::protocol::ErrorObject::method_not_found(other)),
    }
}
