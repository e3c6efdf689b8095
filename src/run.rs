//! Starting a gateway: build the core, bind the listener, serve until told to stop.

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Longest wait for backends to stop at shutdown (their kill grace is 2s).
const BACKEND_STOP: std::time::Duration = std::time::Duration::from_secs(5);
use tracing::info;

use crate::config::Config;
use crate::frontend::server;
use crate::gateway::{Gateway, StartError};

/// A gateway serving on a socket.
#[derive(Debug)]
pub struct Running {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// The core, for in-process inspection.
    pub gateway: Gateway,
    shutdown: CancellationToken,
    server: JoinHandle<()>,
    backends: TaskTracker,
}

impl Running {
    /// Stops accepting, drains connections, stops backends (killing child processes).
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
        self.gateway.sessions().end_all();
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

/// Starts the gateway; backends connect in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    let listener = server::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| StartError::Bind { addr, source })?;
    let auth = crate::auth::Authenticator::from_config(&config.auth).map_err(StartError::Other)?;
    let shutdown = CancellationToken::new();
    let supervisors = TaskTracker::new();
    let gateway = Gateway::build(config, shutdown.clone(), &supervisors)?;
    let backends = gateway
        .config()
        .backends
        .values()
        .filter(|b| b.enabled)
        .count();
    info!(backends, "listening addr={addr}");
    let server = tokio::spawn(server::serve(gateway.clone(), auth, listener));
    Ok(Running {
        addr,
        gateway,
        shutdown,
        server,
        backends: supervisors,
    })
}
