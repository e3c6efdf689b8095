//! stdio backend: a supervised child process speaking newline-delimited JSON-RPC.
//!
//! Concurrent calls are multiplexed over one process with gateway-assigned ids; each call's
//! context stays beside its id, so what the child sends during a call finds its way back to
//! that call's client. The supervisor restarts the process with backoff when it exits or stops
//! answering, and kills its whole process group on shutdown. `backend/pool.rs` runs several of
//! these: replicas shared by every session, or one per client session.

pub mod env;
pub mod lines;
mod supervisor;

use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::watch;
use tokio_util::task::TaskTracker;

use super::conn::Linked;
pub use super::conn::Wiring;
use super::status::Link;
use crate::protocol::{JsonRpcRequest, JsonRpcResponse};
use crate::BoxError;

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

/// The `Service` handle: cheap to clone, shares one supervised process.
#[derive(Clone, Debug)]
pub struct StdioTransport {
    linked: Linked,
}

// === impl StdioTransport ===

impl StdioTransport {
    /// Starts the supervisor; the process is spawned in the background.
    pub fn spawn(spec: StdioSpec, wiring: Wiring, tasks: &TaskTracker) -> Self {
        let (link_tx, link_rx) = watch::channel(Link::Starting);
        let alias = wiring.backend.alias.clone();
        tasks.spawn(supervisor::Supervisor::new(spec, wiring, link_tx).run());
        StdioTransport {
            linked: Linked::new(alias, link_rx),
        }
    }

    /// Calls in flight on the current process.
    pub fn in_flight(&self) -> usize {
        self.linked.in_flight()
    }

    /// Starts processes of `spec` for a pool.
    pub fn spawner(spec: StdioSpec, tasks: &TaskTracker) -> super::pool::Spawner {
        let tasks = tasks.clone();
        std::sync::Arc::new(move |wiring: Wiring| {
            let (link_tx, link_rx) = watch::channel(Link::Starting);
            let alias = wiring.backend.alias.clone();
            tasks.spawn(supervisor::Supervisor::new(spec.clone(), wiring, link_tx).run());
            Linked::new(alias, link_rx)
        })
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
        self.linked.call(req)
    }
}

#[cfg(test)]
mod tests;
