//! The HTTP listener: accepts connections (within `max_connections`), serves each with the
//! deadlines of `conn.rs`, applies the origin guard and inbound authentication, and routes
//! paths to the frontends.

use std::sync::Arc;
use std::time::Instant;

use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use super::body::{self, Body};
use super::conn::{self, Deadlines, Handler, DRAIN};
use super::guard::OriginGuard;
use super::{health, streamable_http};
use crate::auth::{AuthError, Authenticator};
use crate::gateway::Gateway;
use crate::protocol::error_codes::INVALID_REQUEST;
use crate::protocol::ErrorObject;

/// At most one "connection limit reached" warning per this long, however often it is hit.
const LIMIT_WARNING_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `listener` until the gateway's shutdown token fires.
pub async fn serve(gateway: Gateway, auth: Authenticator, listener: TcpListener) {
    let shutdown = gateway.shutdown_token().clone();
    let config = gateway.config();
    let deadlines = Deadlines {
        header_read: config.header_read_timeout,
        idle: config.connection_idle_timeout,
        h2_keep_alive: config.http2_keep_alive,
        drain: config.shutdown_grace,
    };
    let guard = OriginGuard::new(config.host, &config.allowed_origins, &config.allowed_hosts);
    let mut limit = ConnectionLimit::new(config.max_connections);
    let handler: Handler = {
        let gateway = gateway.clone();
        let guard = Arc::new(guard);
        let auth = Arc::new(auth);
        Arc::new(move |request: Request<Incoming>| {
            let gateway = gateway.clone();
            let guard = guard.clone();
            let auth = auth.clone();
            Box::pin(async move { route(&gateway, &guard, &auth, request).await })
        })
    };
    let connections = TaskTracker::new();
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
        let handler = handler.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            conn::serve(stream, peer, deadlines, handler, shutdown).await;
        });
    }
    info!("listener closed; draining connections");
    connections.close();
    let _ = tokio::time::timeout(deadlines.drain + DRAIN, connections.wait()).await;
}

async fn route(
    gateway: &Gateway,
    guard: &OriginGuard,
    auth: &Authenticator,
    request: Request<Incoming>,
) -> Response<Body> {
    if let Err(why) = guard.check(request.headers(), request.uri()) {
        warn!(reason = %why, "request refused by the origin guard");
        return body::text(StatusCode::FORBIDDEN, why);
    }
    match request.uri().path() {
        "/healthz" => return health::healthz(),
        "/readyz" => return health::readyz(gateway),
        _ => {}
    }
    let principal = match auth.authenticate(request.headers()) {
        Ok(principal) => principal,
        Err(why) => return unauthorized(why),
    };
    match request.uri().path() {
        "/mcp" => streamable_http::serve(gateway, principal, without_token(auth, request)).await,
        "/health" => health::readyz(gateway),
        "/metrics" if gateway.config().metrics.on_main_listener => super::admin::metrics(),
        _ => body::text(StatusCode::NOT_FOUND, "not found: MCP is served at /mcp"),
    }
}

/// The gateway's own token is spent here: it must never reach a backend, whatever a backend's
/// `forward_client_authorization` says.
fn without_token<B>(auth: &Authenticator, mut request: Request<B>) -> Request<B> {
    if auth.is_required() {
        request.headers_mut().remove(http::header::AUTHORIZATION);
    }
    request
}

/// 401 with the `WWW-Authenticate` challenge (RFC 6750) and a JSON-RPC error body.
fn unauthorized(why: AuthError) -> Response<Body> {
    let mut response = body::jsonrpc_error(
        StatusCode::UNAUTHORIZED,
        None,
        ErrorObject::new(INVALID_REQUEST, why.to_string()),
    );
    let challenge = match why {
        AuthError::Missing => "Bearer realm=\"mcpmux\"",
        AuthError::Invalid => "Bearer realm=\"mcpmux\", error=\"invalid_token\"",
    };
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    metrics::counter!(crate::telemetry::metrics::AUTH_FAILURES).increment(1);
    response
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
pub async fn bind(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
