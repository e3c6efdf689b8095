//! `/mcp`: the MCP streamable-HTTP transport (legacy era): POST with JSON or SSE replies,
//! `Mcp-Session-Id` sessions, GET notification streams, DELETE to end a session.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use tokio::sync::broadcast;

use super::body::{self, Body};
use crate::backend::streamable_http::{PROTOCOL_VERSION, SESSION_ID};
use crate::gateway::Gateway;
use crate::protocol::error_codes::{INVALID_REQUEST, RATE_LIMITED, TOO_MANY_SESSIONS};
use crate::protocol::jsonrpc::write_response;
use crate::protocol::mcp::LEGACY_VERSIONS;
use crate::protocol::{ErrorObject, Message};
use crate::session::Session;

/// How often an idle event stream gets a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Serves one request to `/mcp`.
pub async fn serve<B>(gateway: &Gateway, request: Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<crate::BoxError>,
{
    match *request.method() {
        Method::POST => post(gateway, request).await,
        Method::GET => get(gateway, request.headers()),
        Method::DELETE => delete(gateway, request.headers()),
        _ => {
            let mut response = body::status(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
            response
        }
    }
}

async fn post<B>(gateway: &Gateway, request: Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<crate::BoxError>,
{
    let (parts, incoming) = request.into_parts();
    let accepted = match check_post_headers(&parts.headers) {
        Ok(accepted) => accepted,
        Err(rejection) => return rejection.response(),
    };
    let bytes = match incoming.collect().await.map_err(Into::into) {
        Ok(collected) => collected.to_bytes(),
        Err(e) if is_length_limit(&*e) => {
            return body::jsonrpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                ErrorObject::new(
                    INVALID_REQUEST,
                    format!(
                        "request body is larger than max_body_bytes ({})",
                        gateway.config().max_body_bytes
                    ),
                ),
            )
        }
        Err(e) => {
            return body::text(
                StatusCode::BAD_REQUEST,
                format!("request body unreadable: {e}"),
            )
        }
    };
    let message = match Message::parse(&bytes) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "rejected unparseable message");
            return body::jsonrpc_error(StatusCode::BAD_REQUEST, None, e.to_error_object());
        }
    };
    if let Message::Request(req) = &message {
        if &*req.method == "initialize" {
            return initialize(gateway, message);
        }
    }
    let session = match session_of(gateway, &parts.headers) {
        Ok(s) => s,
        Err(rejection) => return rejection.response(),
    };
    match message {
        Message::Request(req) => {
            let id = req.id.clone();
            let authorization = parts.headers.get(http::header::AUTHORIZATION).cloned();
            let outcome = gateway.request(&session, req, authorization).await;
            let refusal = outcome.as_ref().err().and_then(Refusal::of);
            let response = if accepted.sse_only() {
                sse_single(write_response(Some(&id), &outcome))
            } else {
                body::json_body(StatusCode::OK, body::jsonrpc_response(Some(&id), &outcome))
            };
            Refusal::apply(refusal, response)
        }
        Message::Notification(n) => {
            gateway.notification(&session, &n.method);
            body::status(StatusCode::ACCEPTED)
        }
        // Answers to server-to-client requests: none are sent to clients yet.
        Message::Response(_) => body::status(StatusCode::ACCEPTED),
    }
}

fn initialize(gateway: &Gateway, message: Message) -> Response<Body> {
    let Message::Request(req) = message else {
        unreachable!("initialize() is only called for requests")
    };
    match gateway.initialize(&req) {
        Ok((session, outcome)) => {
            let mut response = body::json(StatusCode::OK, write_response(Some(&req.id), &outcome));
            if let Ok(id) = HeaderValue::from_str(&session.id) {
                response.headers_mut().insert(SESSION_ID, id);
            }
            response
        }
        Err(error) => {
            let refusal = Refusal::of(&error);
            let response = body::jsonrpc_error(StatusCode::BAD_REQUEST, Some(&req.id), error);
            Refusal::apply(refusal, response)
        }
    }
}

/// Why a request's session cannot be used; each maps to the status the transport spec prescribes.
#[derive(Debug)]
enum SessionRejection {
    /// No `Mcp-Session-Id`: 400.
    Missing,
    /// Unknown or expired: 404, so the client re-initializes.
    Unknown,
    /// An `MCP-Protocol-Version` the gateway does not serve: 400.
    BadVersion(String),
}

impl SessionRejection {
    fn response(self) -> Response<Body> {
        let (status, message) = match self {
            SessionRejection::Missing => (
                StatusCode::BAD_REQUEST,
                "missing Mcp-Session-Id header: send initialize first and pass the session id it returns".to_string(),
            ),
            SessionRejection::Unknown => (
                StatusCode::NOT_FOUND,
                "session not found or expired: send initialize to start a new one".to_string(),
            ),
            SessionRejection::BadVersion(version) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "unsupported MCP-Protocol-Version `{version}`; supported: {}",
                    LEGACY_VERSIONS.join(", ")
                ),
            ),
        };
        body::jsonrpc_error(status, None, ErrorObject::new(INVALID_REQUEST, message))
    }
}

/// The request's session.
fn session_of(gateway: &Gateway, headers: &HeaderMap) -> Result<Arc<Session>, SessionRejection> {
    let id = headers
        .get(SESSION_ID)
        .and_then(|v| v.to_str().ok())
        .ok_or(SessionRejection::Missing)?;
    let session = gateway
        .sessions()
        .touch(id)
        .ok_or(SessionRejection::Unknown)?;
    if let Some(version) = headers.get(PROTOCOL_VERSION).and_then(|v| v.to_str().ok()) {
        if !LEGACY_VERSIONS.contains(&version) {
            return Err(SessionRejection::BadVersion(version.to_string()));
        }
    }
    Ok(session)
}

/// Why a POST's headers are refused.
#[derive(Debug)]
enum HeaderRejection {
    /// Not `Content-Type: application/json`: 415.
    ContentType,
    /// `Accept` admits neither JSON nor an event stream: 406.
    NotAcceptable,
}

impl HeaderRejection {
    fn response(self) -> Response<Body> {
        match self {
            HeaderRejection::ContentType => body::text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "POST /mcp needs Content-Type: application/json",
            ),
            HeaderRejection::NotAcceptable => body::text(
                StatusCode::NOT_ACCEPTABLE,
                "POST /mcp replies with application/json or text/event-stream; accept one of them",
            ),
        }
    }
}

/// Checks `Content-Type` and reads `Accept` once.
fn check_post_headers(headers: &HeaderMap) -> Result<Accepted, HeaderRejection> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(HeaderRejection::ContentType);
    }
    let accepted = Accepted::of(headers);
    if !accepted.json && !accepted.sse {
        return Err(HeaderRejection::NotAcceptable);
    }
    Ok(accepted)
}

/// What a POST's `Accept` admits, read in one pass.
#[derive(Debug, Clone, Copy)]
struct Accepted {
    json: bool,
    sse: bool,
}

impl Accepted {
    fn of(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Accepted {
                json: true,
                sse: true,
            };
        };
        accept.split(',').fold(
            Accepted {
                json: false,
                sse: false,
            },
            |acc, range| Accepted {
                json: acc.json || admits(range, "application/json"),
                sse: acc.sse || admits(range, "text/event-stream"),
            },
        )
    }

    /// The client takes only an event stream, so even a single reply goes as SSE.
    fn sse_only(self) -> bool {
        self.sse && !self.json
    }
}

/// Whether `Accept` admits `media` (a missing header admits everything).
fn accepts(headers: &HeaderMap, media: &str) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|range| admits(range, media))
}

/// Whether one `Accept` range (`type/sub;q=..`, `type/*`, `*/*`) admits `media`.
fn admits(range: &str, media: &str) -> bool {
    let (kind, _) = media.split_once('/').unwrap_or((media, ""));
    let range = range.split(';').next().unwrap_or_default().trim();
    range == media || range == "*/*" || range.strip_suffix("/*") == Some(kind)
}

#[cfg(test)]
fn wants_sse_only(headers: &HeaderMap) -> bool {
    Accepted::of(headers).sse_only()
}

/// An error about the gateway's capacity rather than the call, which the reply's HTTP status
/// and `Retry-After` carry too: a rate limit (429) or the session limit (503).
#[derive(Debug, Clone, Copy)]
struct Refusal {
    status: StatusCode,
    /// Whole seconds, at least 1.
    retry_after: u64,
}

impl Refusal {
    fn of(error: &ErrorObject) -> Option<Refusal> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            retry_after_ms: u64,
        }
        let (status, millis) = match error.code {
            RATE_LIMITED => (
                StatusCode::TOO_MANY_REQUESTS,
                error
                    .data
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<Data>(d.get()).ok())
                    .map_or(1000, |d| d.retry_after_ms),
            ),
            TOO_MANY_SESSIONS => (StatusCode::SERVICE_UNAVAILABLE, 1000),
            _ => return None,
        };
        Some(Refusal {
            status,
            retry_after: millis.div_ceil(1000).max(1),
        })
    }

    /// Sets the status and `Retry-After` of `response` when there is a refusal.
    fn apply(refusal: Option<Refusal>, mut response: Response<Body>) -> Response<Body> {
        if let Some(refusal) = refusal {
            *response.status_mut() = refusal.status;
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(refusal.retry_after));
        }
        response
    }
}

fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

fn sse_event(payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

fn sse_response(body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn sse_single(payload: Vec<u8>) -> Response<Body> {
    sse_response(body::full(sse_event(&payload)))
}

/// GET: the session's notification stream (`list_changed` and, later, server requests).
fn get(gateway: &Gateway, headers: &HeaderMap) -> Response<Body> {
    if !accepts(headers, "text/event-stream") {
        return body::text(
            StatusCode::NOT_ACCEPTABLE,
            "GET /mcp opens an event stream; accept text/event-stream",
        );
    }
    let session = match session_of(gateway, headers) {
        Ok(s) => s,
        Err(rejection) => return rejection.response(),
    };
    let state = StreamState {
        messages: gateway.subscribe(),
        session,
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
        shutdown: gateway.shutdown_token().clone(),
    };
    let events = stream::unfold(state, |mut state| async move {
        loop {
            tokio::select! {
                message = state.messages.recv() => match message {
                    Ok(bytes) => return Some((Ok::<_, Infallible>(http_body::Frame::data(sse_event(&bytes))), state)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = state.keep_alive.tick() => {
                    return Some((Ok(http_body::Frame::data(Bytes::from_static(b": keep-alive\n\n"))), state));
                }
                _ = state.session.closed.cancelled() => return None,
                _ = state.shutdown.cancelled() => return None,
            }
        }
    });
    sse_response(
        StreamBody::new(events)
            .map_err(|never| match never {})
            .boxed_unsync(),
    )
}

struct StreamState {
    messages: broadcast::Receiver<Bytes>,
    session: Arc<Session>,
    keep_alive: tokio::time::Interval,
    shutdown: tokio_util::sync::CancellationToken,
}

/// DELETE: ends the session.
fn delete(gateway: &Gateway, headers: &HeaderMap) -> Response<Body> {
    match session_of(gateway, headers) {
        Ok(session) => {
            gateway.sessions().remove(&session.id);
            tracing::info!(session = %session.id, "session ended by client");
            body::status(StatusCode::NO_CONTENT)
        }
        Err(rejection) => rejection.response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn reads_accept_ranges() {
        assert!(accepts(&HeaderMap::new(), "application/json"));
        assert!(accepts(
            &accept("application/json, text/event-stream"),
            "text/event-stream"
        ));
        assert!(accepts(&accept("*/*"), "application/json"));
        assert!(accepts(&accept("text/*;q=0.5"), "text/event-stream"));
        assert!(!accepts(&accept("text/html"), "application/json"));
        assert!(wants_sse_only(&accept("text/event-stream")));
    }
}
