//! Starting a gateway: build the core, bind the listeners, serve until told to stop, and stop
//! in order: readiness fails, listeners stop accepting, calls in flight finish (within
//! `shutdown_grace`), open streams end, then backends stop (child process groups killed).

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::info;

use crate::config::{Config, Loaded, Overrides};
use crate::frontend::{admin, server};
use crate::gateway::change::Source;
use crate::gateway::{Gateway, StartError};

/// How many ports past a taken one `auto_port` tries.
const AUTO_PORT_TRIES: u16 = 100;

/// Longest wait for backends to stop at shutdown (their kill grace is 2s).
const BACKEND_STOP: std::time::Duration = std::time::Duration::from_secs(5);

/// A gateway serving on a socket.
#[derive(Debug)]
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// The admin listener's bound address.
    pub admin_addr: SocketAddr,
    /// The core, for in-process inspection.
    pub gateway: Gateway,
    backends_stop: CancellationToken,
    server: JoinHandle<()>,
    admin: JoinHandle<()>,
    backends: TaskTracker,
}

impl Running {
    /// Stops in order: not ready, no new connections, calls in flight finish within
    /// `shutdown_grace`, streams end, backends stop (killing child processes).
    pub async fn shutdown(self) {
        self.gateway.begin_drain();
        self.gateway.shutdown_token().cancel();
        let grace = self.gateway.config().shutdown_grace;
        let drained = tokio::time::timeout(grace, self.server).await;
        if drained.is_err() {
            tracing::warn!(grace = ?grace, "calls still in flight after shutdown_grace; stopping anyway");
        }
        self.gateway.sessions().end_all();
        self.backends_stop.cancel();
        let _ = self.admin.await;
        // Supervisors stop their processes (SIGTERM, grace, SIGKILL to the group) before the
        // runtime goes away; the bound only guards against a supervisor that cannot finish.
        self.backends.close();
        if tokio::time::timeout(BACKEND_STOP, self.backends.wait())
            .await
            .is_err()
        {
            tracing::warn!("backends did not stop within {BACKEND_STOP:?}");
        }
    }
}

/// Serves the gateway on `input`/`output` (no listener) until the input ends, then stops the
/// backends (killing their process groups).
pub async fn serve_stdio<R, W>(config: Config, input: R, output: W) -> Result<(), StartError>
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    crate::telemetry::metrics::install().map_err(StartError::Other)?;
    let backends_stop = CancellationToken::new();
    let supervisors = TaskTracker::new();
    let gateway = Gateway::build(config, backends_stop.clone(), &supervisors)?;
    info!("serving MCP on stdin/stdout");
    crate::frontend::stdio::serve(&gateway, input, output).await;
    gateway.begin_drain();
    gateway.shutdown_token().cancel();
    gateway.sessions().end_all();
    backends_stop.cancel();
    supervisors.close();
    if tokio::time::timeout(BACKEND_STOP, supervisors.wait())
        .await
        .is_err()
    {
        tracing::warn!("backends did not stop within {BACKEND_STOP:?}");
    }
    Ok(())
}

/// Starts the gateway on a config that came from no file (nothing to reload); backends
/// connect in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    start_with(config, None).await
}

/// Starts the gateway on a loaded config: with `hot_reload`, its files are watched and
/// reloaded on change (and on [`Gateway::reload`], which SIGHUP calls).
pub async fn start_loaded(loaded: Loaded, overrides: Overrides) -> Result<Running, StartError> {
    let source = loaded
        .path
        .clone()
        .map(|path| Source::new(path, overrides, loaded.files.clone()));
    start_with(loaded.config, source).await
}

/// Binds the MCP listener; with `auto_port`, a taken port moves on to the next free one.
async fn bind_main(config: &Config) -> Result<tokio::net::TcpListener, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    let first = server::bind(addr).await;
    let taken = matches!(&first, Err(e) if e.kind() == std::io::ErrorKind::AddrInUse);
    if !(taken && config.auto_port && config.port != 0) {
        return first.map_err(|source| StartError::Bind { addr, source });
    }
    for next in (1..=AUTO_PORT_TRIES).filter_map(|i| config.port.checked_add(i)) {
        let candidate = SocketAddr::new(config.host, next);
        if let Ok(listener) = server::bind(candidate).await {
            tracing::warn!(
                wanted = config.port,
                port = next,
                "port taken; auto_port picked the next free one"
            );
            return Ok(listener);
        }
    }
    first.map_err(|source| StartError::Bind { addr, source })
}

async fn start_with(config: Config, source: Option<Source>) -> Result<Running, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    let listener = bind_main(&config).await?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let admin_listener =
        server::bind(config.admin.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.admin.listen,
                source,
            })?;
    let admin_addr = admin_listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    crate::telemetry::metrics::install().map_err(StartError::Other)?;
    let auth = crate::auth::Authenticator::from_config(&config.auth).map_err(StartError::Other)?;
    let admin_auth =
        crate::frontend::admin_api::AdminAuth::from_token(config.admin.token.as_deref())
            .map_err(StartError::Other)?;
    let backends_stop = CancellationToken::new();
    let supervisors = TaskTracker::new();
    let hot_reload = config.hot_reload;
    let gateway = Gateway::build(config, backends_stop.clone(), &supervisors)?;
    if let Some(source) = source {
        gateway.set_source(source);
        if hot_reload {
            crate::gateway::reload::watch(&gateway)?;
        }
    }
    let backends = gateway
        .config()
        .backends
        .values()
        .filter(|b| b.enabled)
        .count();
    info!("admin listening addr={admin_addr}");
    info!(backends, "listening addr={addr}");
    let server = tokio::spawn(server::serve(gateway.clone(), auth, listener));
    let admin = tokio::spawn(admin::serve(
        gateway.clone(),
        admin_auth,
        admin_listener,
        backends_stop.clone(),
    ));
    Ok(Running {
        addr,
        admin_addr,
        gateway,
        backends_stop,
        server,
        admin,
        backends: supervisors,
    })
}
