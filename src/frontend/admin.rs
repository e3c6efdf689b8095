//! The admin listener: `/metrics` (Prometheus exposition), `/healthz` (the process answers),
//! `/readyz` and `/health` (ready to take traffic: every backend attempted, and not shutting
//! down), and the admin API under `/api/` (see `admin_api`). It binds
//! its own address (`admin.listen`), so probes and scrapes never compete with MCP clients for
//! `max_connections` and never need an MCP token.

use std::sync::Arc;

use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::warn;

use super::admin_api::{self, AdminAuth};
use super::body::{self, Body};
use super::conn::{self, Deadlines, Handler, DRAIN};
use super::health;
use crate::gateway::Gateway;

/// Serves the admin listener until `stop`: it outlives the MCP listener at shutdown, so probes
/// see `/readyz` fail while calls drain.
pub async fn serve(
    gateway: Gateway,
    auth: AdminAuth,
    listener: TcpListener,
    stop: CancellationToken,
) {
    let shutdown = stop;
    let config = gateway.config();
    let deadlines = Deadlines {
        header_read: config.header_read_timeout,
        idle: config.connection_idle_timeout,
        h2_keep_alive: config.http2_keep_alive,
        drain: DRAIN,
    };
    let handler: Handler = {
        let gateway = gateway.clone();
        Arc::new(move |request: Request<Incoming>| {
            let gateway = gateway.clone();
            let auth = auth.clone();
            Box::pin(async move { route(&gateway, &auth, request).await })
        })
    };
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    warn!(error = %e, "admin accept failed");
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let handler = handler.clone();
        let shutdown = shutdown.clone();
        connections.spawn(conn::serve(stream, peer, deadlines, handler, shutdown));
    }
    connections.close();
    let _ = tokio::time::timeout(DRAIN, connections.wait()).await;
}

async fn route(gateway: &Gateway, auth: &AdminAuth, request: Request<Incoming>) -> Response<Body> {
    match request.uri().path() {
        "/metrics" => metrics(),
        "/healthz" => health::healthz(),
        "/readyz" | "/health" => health::readyz(gateway),
        path if admin_api::handles(path) => admin_api::serve(gateway, auth, request).await,
        _ => body::text(
            StatusCode::NOT_FOUND,
            "not found: the admin listener serves /metrics, /healthz, /readyz, /health and the admin API under /api/",
        ),
    }
}

/// `GET /metrics`: the Prometheus text exposition.
pub fn metrics() -> Response<Body> {
    match crate::telemetry::metrics::render() {
        Some(text) => {
            let mut response = body::text(StatusCode::OK, text);
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        }
        None => body::text(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not recorded in this process",
        ),
    }
}
