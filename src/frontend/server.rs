//! The HTTP listener: accepts connections (within `max_connections`), serves each with the
//! deadlines of `conn.rs`, applies CORS, the origin guard and inbound authentication, and
//! routes paths to the frontends.

use std::sync::Arc;
use std::time::Instant;

use futures_util::FutureExt;
use http::header::{ORIGIN, VARY, WWW_AUTHENTICATE};
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::{info, warn};

use super::body::{self, Body};
use super::conn::{self, Answer, Deadlines, Handler, DRAIN};
use super::guard::OriginGuard;
use super::{health, rest, sse, streamable_http, ws};
use crate::auth::{AuthError, Authenticator};
use crate::config::Config;
use crate::gateway::Gateway;
use crate::protocol::error_codes::INVALID_REQUEST;
use crate::protocol::ErrorObject;

/// At most one "connection limit reached" warning per this long, however often it is hit.
const LIMIT_WARNING_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// What every request of the listener is routed with.
struct Frontends {
    gateway: Gateway,
    guard: OriginGuard,
    auth: Authenticator,
    sse: Arc<sse::Streams>,
}

/// Serves `listener` until the gateway's shutdown token fires.
pub async fn serve(gateway: Gateway, auth: Authenticator, listener: TcpListener) {
    let shutdown = gateway.shutdown_token().clone();
    let config = gateway.config().clone();
    let deadlines = Deadlines {
        header_read: config.header_read_timeout,
        idle: config.connection_idle_timeout,
        h2_keep_alive: config.http2_keep_alive,
        drain: config.shutdown_grace,
    };
    let frontends = Arc::new(Frontends {
        guard: OriginGuard::new(config.host, &config.allowed_origins, &config.allowed_hosts),
        gateway: gateway.clone(),
        auth,
        sse: Arc::default(),
    });
    let with_cors = {
        let frontends = frontends.clone();
        ServiceBuilder::new()
            .layer(cors(&config))
            .service_fn(move |request: Request<Incoming>| {
                let answer = route(&frontends, request, Vary::ByCors);
                async move { Ok::<_, std::convert::Infallible>(answer.await) }
            })
    };
    let handler: Handler = Arc::new(move |request: Request<Incoming>| {
        // Browsers send `Origin` on every cross-origin request and preflight; clients outside a
        // browser never do, and CORS has nothing to say to them but the `Vary` header, which
        // is written here as tower-http writes it instead of going through the whole layer.
        if !request.headers().contains_key(ORIGIN) {
            return route(&frontends, request, Vary::Here);
        }
        let service = with_cors.clone();
        Box::pin(async move {
            match service.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        })
    });
    let mut limit = ConnectionLimit::new(config.max_connections);
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

/// The `Vary` header tower-http's CORS layer adds to every answer.
const CORS_VARY: &str = "origin, access-control-request-method, access-control-request-headers";

/// CORS for browser clients: the local origins and `allowed_origins` may call, and read the
/// headers MCP clients need (`Mcp-Session-Id` among them).
fn cors(config: &Config) -> CorsLayer {
    let allowed: Vec<String> = config
        .allowed_origins
        .iter()
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    let origin = AllowOrigin::predicate(move |origin: &HeaderValue, _| {
        let origin = origin.to_str().unwrap_or_default().to_ascii_lowercase();
        super::guard::is_local_origin(&origin) || allowed.contains(&origin)
    });
    let mcp_headers = [
        HeaderName::from_static("mcp-session-id"),
        HeaderName::from_static("mcp-protocol-version"),
        HeaderName::from_static("last-event-id"),
        // Stateless (2026-07-28) clients repeat the method and target in headers.
        HeaderName::from_static("mcp-method"),
        HeaderName::from_static("mcp-name"),
    ];
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers(
            mcp_headers
                .iter()
                .cloned()
                .chain([
                    http::header::CONTENT_TYPE,
                    http::header::ACCEPT,
                    http::header::AUTHORIZATION,
                ])
                .collect::<Vec<_>>(),
        )
        .expose_headers(mcp_headers.to_vec())
}

/// Who writes the CORS layer's `Vary` header on the answer.
#[derive(Debug, Clone, Copy)]
enum Vary {
    /// `route`, for a request that skipped the layer (no `Origin`).
    Here,
    /// The CORS layer itself.
    ByCors,
}

impl Vary {
    fn apply(self, mut response: Response<Body>) -> Response<Body> {
        if let Vary::Here = self {
            response
                .headers_mut()
                .append(VARY, HeaderValue::from_static(CORS_VARY));
        }
        response
    }
}

/// Routes a request to its frontend. Not an `async fn`: the checks are synchronous, and each
/// path's future is boxed alone, with the request moved into it once. An `async fn` here
/// held the largest path's future inline and the request three times over (3.2 KB, written
/// into every call's box and read back while the call was in flight).
fn route(frontends: &Arc<Frontends>, request: Request<Incoming>, vary: Vary) -> Answer {
    let gateway = &frontends.gateway;
    let now = |response| -> Answer { Box::pin(std::future::ready(vary.apply(response))) };
    if let Err(why) = frontends.guard.check(request.headers(), request.uri()) {
        warn!(reason = %why, "request refused by the origin guard");
        return now(body::text(StatusCode::FORBIDDEN, why));
    }
    match request.uri().path() {
        "/healthz" => return now(health::healthz()),
        "/readyz" => return now(health::readyz(gateway)),
        "/health" => return now(health::readyz(gateway)),
        _ => {}
    }
    let principal = match frontends.auth.authenticate(request.headers()) {
        Ok(principal) => principal,
        Err(why) => return now(unauthorized(why)),
    };
    let request = without_token(&frontends.auth, request);
    let path = request.uri().path();
    match path {
        "/mcp" if request.method() == Method::POST => {
            let (parts, incoming) = request.into_parts();
            let post = streamable_http::post(gateway.clone(), principal, parts.headers, incoming);
            Box::pin(post.map(move |response| vary.apply(response)))
        }
        "/mcp" => now(streamable_http::serve_other(gateway, &principal, &request)),
        "/sse" if request.method() == Method::GET => {
            now(sse::open(gateway, &frontends.sse, principal))
        }
        "/messages" if request.method() == Method::POST => {
            let frontends = frontends.clone();
            Box::pin(async move {
                let response =
                    sse::message(&frontends.gateway, &frontends.sse, &principal, request).await;
                vary.apply(response)
            })
        }
        "/ws" => now(ws::upgrade(gateway, principal, request)),
        "/metrics" if gateway.config().metrics.on_main_listener => now(super::admin::metrics()),
        path if gateway.config().rest.enabled && rest::handles(path) => {
            let gateway = gateway.clone();
            Box::pin(async move { vary.apply(rest::serve(&gateway, principal, request).await) })
        }
        _ => now(body::text(
            StatusCode::NOT_FOUND,
            "not found: MCP is served at /mcp (streamable HTTP), /sse (legacy SSE) and /ws (WebSocket)",
        )),
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
