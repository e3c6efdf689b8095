//! `/mcp`: the MCP streamable-HTTP transport (legacy era): POST with JSON or event-stream
//! replies, `Mcp-Session-Id` sessions, GET streams resumable with `Last-Event-ID`, DELETE to
//! end a session. Modern-era (stateless) POSTs are told apart here and served by `modern`.
//!
//! A call's reply is plain JSON when the backend sends nothing else before its answer (the
//! fast path); the moment it does (progress, a log line, a request to the client), the reply
//! becomes an event stream that carries those messages as they happen, then the answer.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, ALLOW, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};

use super::body::{self, Body};
use super::edge::Edge;
use super::event_stream::{self, OnCut};
use crate::auth::Principal;
use crate::backend::http::{PROTOCOL_VERSION, SESSION_ID};
use crate::gateway::{Call, CallError, Gateway, Inbound};
use crate::protocol::error_codes::INVALID_REQUEST;
use crate::protocol::jsonrpc::write_response;
use crate::protocol::mcp::LEGACY_VERSIONS;
use crate::protocol::{ErrorObject, Id, Message, Outcome};
use crate::session::outbound::{EventId, GET_STREAM};
use crate::session::{CallContext, Session};

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// Serves a `/mcp` request that is not a POST: GET opens or resumes the session's stream,
/// DELETE ends the session; other methods are not allowed. (A POST is [`post`].)
pub fn serve_other<B>(
    gateway: &Gateway,
    principal: &Principal,
    request: &Request<B>,
) -> Response<Body> {
    match *request.method() {
        Method::GET => get(gateway, principal, request.headers()),
        Method::DELETE => delete(gateway, principal, request.headers()),
        _ => {
            let mut response = body::status(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, POST, DELETE"));
            response
        }
    }
}

/// Serves a POST to `/mcp`: one JSON-RPC message. It takes the gateway, the headers and the
/// body by value so that the server can box this future alone, with nothing of the request
/// it does not read (see `server::route`).
pub async fn post<B>(
    gateway: Gateway,
    principal: Principal,
    headers: HeaderMap,
    incoming: B,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<crate::BoxError>,
{
    let gateway = &gateway;
    let accepted = match check_post_headers(&headers) {
        Ok(accepted) => accepted,
        Err(rejection) => return rejection.response(),
    };
    let bytes = match body::read_limited(&gateway.config(), &headers, incoming).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    let message = match Message::parse(&bytes) {
        Ok(m) => m,
        Err(e) => {
            tracing::debug!(error = %e, "rejected unparseable message");
            return body::jsonrpc_error(StatusCode::BAD_REQUEST, None, e.to_error_object());
        }
    };
    // Looked up once for both questions: which era, and which session.
    let session_id = headers.get(SESSION_ID);
    if super::modern::is_modern(&headers, session_id.is_some(), &message) {
        // Boxed: the modern era's future is the larger, and would otherwise size every POST's.
        return Box::pin(super::modern::serve(
            gateway, principal, &headers, message, accepted,
        ))
        .await;
    }
    if let Message::Request(req) = &message {
        if &*req.method == "initialize" {
            return initialize(gateway, principal, message);
        }
    }
    let session = match session_by_id(gateway, &principal, session_id, &headers) {
        Ok(s) => s,
        Err(rejection) => return rejection.response(),
    };
    match message {
        Message::Request(req) => {
            let id = req.id.clone();
            let inbound = Inbound {
                session: Some(session.clone()),
                principal: principal.name,
                authorization: headers.get(http::header::AUTHORIZATION).cloned(),
                streamable: accepted.sse,
                trace: Inbound::trace_headers(&headers),
                modern: None,
            };
            match gateway.call(req, inbound) {
                Ok(call) => reply(gateway, &session, id, call, accepted).await,
                Err(error) => error_reply(Some(&id), &error, accepted),
            }
        }
        Message::Notification(n) => {
            gateway.notification(&session, n);
            body::status(StatusCode::ACCEPTED)
        }
        Message::Response(r) => match gateway.client_response(&session, r) {
            Ok(()) => body::status(StatusCode::ACCEPTED),
            Err(unknown) => {
                tracing::info!(session = %session.id, error = %unknown, "client answered a request that is not waiting");
                body::jsonrpc_error(
                    StatusCode::BAD_REQUEST,
                    None,
                    ErrorObject::new(INVALID_REQUEST, unknown.to_string()),
                )
            }
        },
    }
}

/// Waits for the call: its answer as JSON if nothing else came first, else an event stream.
async fn reply(
    gateway: &Gateway,
    session: &Arc<Session>,
    id: Id,
    call: Call,
    accepted: Accepted,
) -> Response<Body> {
    let Call { ctx, mut future } = call;
    tokio::select! {
        biased;
        result = &mut future => {
            if ctx.stream().is_some() {
                finish_stream(&ctx, &id, &result);
                return stream_reply(gateway, session, &ctx);
            }
            match result {
                Err(CallError::Cancelled) if accepted.sse => sse_empty(),
                result => answer(Some(&id), result, accepted),
            }
        }
        _ = ctx.opened(), if accepted.sse => {
            // Something came before the answer: the call goes on in the background, and the
            // reply streams what it sends.
            let task_ctx = ctx.clone();
            tokio::spawn(async move {
                let result = future.await;
                finish_stream(&task_ctx, &id, &result);
            });
            stream_reply(gateway, session, &ctx)
        }
    }
}

/// Puts the answer (if any: a cancelled call has none) last on the call's stream and ends it.
fn finish_stream(ctx: &CallContext, id: &Id, result: &Result<crate::protocol::RawJson, CallError>) {
    let Some(stream) = ctx.stream() else { return };
    let outcome: Option<Outcome> = match result {
        Ok(result) => Some(Ok(result.clone())),
        Err(CallError::Cancelled) => None,
        Err(e) => Some(Err(Edge::of(e).error)),
    };
    if let Some(outcome) = outcome {
        stream.push(Bytes::from(write_response(Some(id), &outcome)));
    }
    stream.close();
}

fn stream_reply(
    gateway: &Gateway,
    session: &Arc<Session>,
    ctx: &Arc<CallContext>,
) -> Response<Body> {
    let Some(stream) = ctx.stream() else {
        return body::status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let on_cut = OnCut {
        log: stream.clone(),
        call: ctx.clone(),
        grace: gateway.config().resume_grace,
    };
    event_stream::response(
        stream.reader(0),
        event_stream::Kind::Call,
        true,
        session.closed.clone(),
        gateway.shutdown_token().clone(),
        Some(on_cut),
    )
}

/// A call's answer as one JSON reply (or one event, for clients that take only streams).
fn answer(
    id: Option<&Id>,
    result: Result<crate::protocol::RawJson, CallError>,
    accepted: Accepted,
) -> Response<Body> {
    match result {
        Ok(result) => {
            let outcome: Outcome = Ok(result);
            if accepted.sse_only() {
                sse_single(write_response(id, &outcome))
            } else {
                body::json_body(StatusCode::OK, body::jsonrpc_response(id, &outcome))
            }
        }
        Err(error) => error_reply(id, &error, accepted),
    }
}

/// A failed call: the JSON-RPC error, with the HTTP status and `Retry-After` the edge gives.
fn error_reply(id: Option<&Id>, error: &CallError, accepted: Accepted) -> Response<Body> {
    let edge = Edge::of(error);
    let outcome: Outcome = Err(edge.error.clone());
    let mut response = if accepted.sse_only() {
        sse_single(write_response(id, &outcome))
    } else {
        body::json(StatusCode::OK, write_response(id, &outcome))
    };
    *response.status_mut() = edge.kind.mcp_status();
    if let Some(secs) = edge.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn initialize(gateway: &Gateway, principal: Principal, message: Message) -> Response<Body> {
    let Message::Request(req) = message else {
        unreachable!("initialize() is only called for requests")
    };
    match gateway.initialize(&req, principal.name) {
        Ok((session, result)) => {
            let mut response =
                body::json(StatusCode::OK, write_response(Some(&req.id), &Ok(result)));
            if let Ok(id) = HeaderValue::from_str(&session.id) {
                response.headers_mut().insert(SESSION_ID, id);
            }
            response
        }
        Err(error) => {
            let mut response = error_reply(Some(&req.id), &error, Accepted::JSON);
            if response.status() == StatusCode::OK {
                *response.status_mut() = StatusCode::BAD_REQUEST;
            }
            response
        }
    }
}

/// Why a request's session cannot be used; each maps to the status the transport spec prescribes.
#[derive(Debug)]
enum SessionRejection {
    /// No `Mcp-Session-Id`: 400.
    Missing,
    /// Unknown, expired, or opened by another principal: 404, so the client re-initializes.
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

/// The request's session. Any protocol revision the gateway serves is accepted on any session
/// (clients send the version they speak, which may be older than the one negotiated).
fn session_of(
    gateway: &Gateway,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Arc<Session>, SessionRejection> {
    session_by_id(gateway, principal, headers.get(SESSION_ID), headers)
}

/// [`session_of`] with the `Mcp-Session-Id` header already looked up.
fn session_by_id(
    gateway: &Gateway,
    principal: &Principal,
    id: Option<&HeaderValue>,
    headers: &HeaderMap,
) -> Result<Arc<Session>, SessionRejection> {
    let id = id
        .and_then(|v| v.to_str().ok())
        .ok_or(SessionRejection::Missing)?;
    if let Some(version) = headers.get(PROTOCOL_VERSION).and_then(|v| v.to_str().ok()) {
        if !LEGACY_VERSIONS.contains(&version) {
            return Err(SessionRejection::BadVersion(version.to_string()));
        }
    }
    let session = gateway
        .sessions()
        .get(id)
        .ok_or(SessionRejection::Unknown)?;
    if session.principal() != principal.name.as_ref() {
        // Another principal's session is as good as unknown to this one.
        return Err(SessionRejection::Unknown);
    }
    gateway.sessions().seen(&session);
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
pub(super) struct Accepted {
    pub(super) json: bool,
    pub(super) sse: bool,
}

impl Accepted {
    const JSON: Accepted = Accepted {
        json: true,
        sse: false,
    };

    const BOTH: Accepted = Accepted {
        json: true,
        sse: true,
    };

    fn of(headers: &HeaderMap) -> Self {
        let Some(accept) = headers.get(ACCEPT) else {
            return Accepted::BOTH;
        };
        // What the MCP SDKs send, matched whole: reading it range by range costs about 800
        // instructions per request (callgrind), a sixtieth of a proxied call.
        match accept.as_bytes() {
            b"application/json, text/event-stream" | b"text/event-stream, application/json" => {
                return Accepted::BOTH
            }
            b"application/json" => return Accepted::JSON,
            _ => {}
        }
        let Ok(accept) = accept.to_str() else {
            return Accepted::BOTH;
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
    pub(super) fn sse_only(self) -> bool {
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
    let range = range.split(';').next().unwrap_or_default().trim();
    range == media
        || range == "*/*"
        || range.strip_suffix("/*").is_some_and(|kind| {
            media
                .strip_prefix(kind)
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

pub(super) fn sse_single(payload: Vec<u8>) -> Response<Body> {
    event_stream::with_headers(body::full(event_stream::event(None, &payload)))
}

fn sse_empty() -> Response<Body> {
    event_stream::with_headers(body::empty())
}

/// GET: the session's stream of what belongs to no call, or, with `Last-Event-ID`, the rest
/// of the stream that event was on.
fn get(gateway: &Gateway, principal: &Principal, headers: &HeaderMap) -> Response<Body> {
    if !accepts(headers, "text/event-stream") {
        return body::text(
            StatusCode::NOT_ACCEPTABLE,
            "GET /mcp opens an event stream; accept text/event-stream",
        );
    }
    let session = match session_of(gateway, principal, headers) {
        Ok(s) => s,
        Err(rejection) => return rejection.response(),
    };
    let resume = headers
        .get(LAST_EVENT_ID)
        .and_then(|v| v.to_str().ok())
        .map(|v| EventId::parse(v).ok_or(v));
    let (reader, kind, on_cut) = match resume {
        Some(Ok(id)) => {
            let Some(log) = session.outbound().find(id.stream) else {
                return body::jsonrpc_error(
                    StatusCode::NOT_FOUND,
                    None,
                    ErrorObject::new(
                        INVALID_REQUEST,
                        format!("stream of event `{id}` is no longer kept; its events cannot be replayed"),
                    ),
                );
            };
            let kind = if id.stream == GET_STREAM {
                event_stream::Kind::Get
            } else {
                event_stream::Kind::Call
            };
            (log.reader(id.seq), kind, None)
        }
        Some(Err(bad)) => {
            return body::jsonrpc_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorObject::new(
                    INVALID_REQUEST,
                    format!("Last-Event-ID `{bad}` is not an event id of this gateway"),
                ),
            )
        }
        None => {
            let log = session.outbound().get_stream();
            (log.reader(log.read_up_to()), event_stream::Kind::Get, None)
        }
    };
    event_stream::response(
        reader,
        kind,
        true,
        session.closed.clone(),
        gateway.shutdown_token().clone(),
        on_cut,
    )
}

/// DELETE: ends the session.
fn delete(gateway: &Gateway, principal: &Principal, headers: &HeaderMap) -> Response<Body> {
    match session_of(gateway, principal, headers) {
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
        assert!(!accepts(&accept("tex/*"), "text/event-stream"));
        assert!(!accepts(&accept("application/*"), "applications/json"));
        assert!(Accepted::of(&accept("text/event-stream")).sse_only());
    }

    #[test]
    fn the_sdks_accept_values_read_as_the_general_parse_reads_them() {
        for value in [
            "application/json, text/event-stream",
            "text/event-stream, application/json",
            "application/json",
        ] {
            let fast = Accepted::of(&accept(value));
            let general = (
                accepts(&accept(value), "application/json"),
                accepts(&accept(value), "text/event-stream"),
            );
            assert_eq!((fast.json, fast.sse), general, "{value}");
        }
        let both = Accepted::of(&accept("application/json, text/event-stream"));
        assert!(both.json && both.sse && !both.sse_only());
        let json = Accepted::of(&accept("application/json"));
        assert!(json.json && !json.sse);
        let odd = Accepted::of(&accept("application/json ,text/event-stream;q=0.9"));
        assert!(odd.json && odd.sse);
        let neither = Accepted::of(&accept("text/html"));
        assert!(!neither.json && !neither.sse);
    }
}
