//! The HTTP listener: accepts connections (HTTP/1.1 and HTTP/2), applies the body limit and the
//! origin guard, and routes paths to the frontends.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tracing::{debug, info, warn};

use super::body::{self, Body};
use super::guard::OriginGuard;
use super::{health, streamable_http};
use crate::gateway::Gateway;

/// How long open connections get to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);
/// At most one "connection limit reached" warning per this long, however often it is hit.
const LIMIT_WARNING_EVERY: Duration = Duration::from_secs(10);

/// Serves `listener` until the gateway's shutdown token fires.
pub async fn serve(gateway: Gateway, listener: TcpListener) {
    let shutdown = gateway.shutdown_token().clone();
    let max_connections = gateway.config().max_connections;
    let header_read_timeout = gateway.config().header_read_timeout;
    let guard = OriginGuard::new(
        gateway.config().host,
        &gateway.config().allowed_origins,
        &gateway.config().allowed_hosts,
    );
    let service = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(gateway.config().max_body_bytes))
        .service_fn(move |request| {
            let gateway = gateway.clone();
            let guard = guard.clone();
            async move { Ok::<_, Infallible>(route(&gateway, &guard, request).await) }
        });
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let mut limit = ConnectionLimit::new(max_connections);
    loop {
        let Some(permit) = limit.acquire(&shutdown).await else {
            break;
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(service.clone()),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = connection.await {
                debug!(peer = %peer, error = %e, "connection ended with an error");
            }
        });
    }
    info!("listener closed; draining connections");
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

async fn route<B>(gateway: &Gateway, guard: &OriginGuard, request: Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<crate::BoxError>,
{
    if let Err(why) = guard.check(request.headers()) {
        warn!(reason = %why, "request refused by the origin guard");
        return body::text(StatusCode::FORBIDDEN, why);
    }
    match request.uri().path() {
        "/mcp" => streamable_http::serve(gateway, request).await,
        "/healthz" | "/health" => health::healthz(),
        "/readyz" => health::readyz(gateway),
        _ => body::text(StatusCode::NOT_FOUND, "not found: MCP is served at /mcp"),
    }
}

/// Open connections hold a permit; at the limit the accept loop waits for one to close, and
/// new clients wait in the kernel's listen backlog rather than being refused.
struct ConnectionLimit {
    permits: Arc<Semaphore>,
    max: usize,
    warned: Option<Instant>,
}

impl ConnectionLimit {
    fn new(max: usize) -> Self {
        ConnectionLimit {
            permits: Arc::new(Semaphore::new(max)),
            max,
            warned: None,
        }
    }

    /// A permit for the next connection, or `None` once shutdown begins.
    async fn acquire(&mut self, shutdown: &CancellationToken) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Some(permit);
        }
        if self
            .warned
            .is_none_or(|at| at.elapsed() >= LIMIT_WARNING_EVERY)
        {
            warn!(
                max_connections = self.max,
                "connection limit reached; new connections wait until one closes"
            );
            self.warned = Some(Instant::now());
        }
        tokio::select! {
            permit = self.permits.clone().acquire_owned() => permit.ok(),
            _ = shutdown.cancelled() => None,
        }
    }
}

/// Binds the listener.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
