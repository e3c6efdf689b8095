//! One call on a backend session: POST it, read the reply as JSON or as an event stream, hand
//! everything else on that stream to the way back as belonging to the call, and resume the
//! stream with `Last-Event-ID` if the backend cuts it before the reply.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use tracing::{debug, info, warn};

use super::slot::{BackendSession, Slot};
use super::{Shared, MAX_REPLY_BYTES, PROTOCOL_VERSION, SESSION_ID};
use crate::backend::error::BackendError;
use crate::backend::http_pool::PooledBody;
use crate::backend::sse::is_event_stream;
use crate::backend::sse_limit::EventLimit;
use crate::protocol::jsonrpc::{
    to_raw, write_notification, write_request, write_response, NO_PARAMS,
};
use crate::protocol::{
    Id, JsonRpcRequest, JsonRpcResponse, Message, Notification, Outcome, Request,
};
use crate::session::Related;
use crate::BoxError;

const ACCEPT_BOTH: HeaderValue = HeaderValue::from_static("application/json, text/event-stream");
const EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
/// Most times one reply's stream is resumed after the backend cut it.
const MAX_RESUMES: usize = 5;
/// Longest wait before resuming, whatever `retry` the backend asked for.
const MAX_RESUME_WAIT: Duration = Duration::from_secs(5);

/// How one POST ended, before mapping to the caller's error.
enum PostError {
    /// The backend no longer knows the session (HTTP 404): re-initialize and resend.
    SessionExpired,
    /// Anything else.
    Failed(BoxError),
}

/// Sends `req` on the slot's backend session (initializing it if needed) and returns the
/// answer. It owns what it needs, so that it is the call's whole future (see
/// `HttpTransport::call`).
pub(super) async fn call(
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    req: JsonRpcRequest,
) -> Result<JsonRpcResponse, BoxError> {
    let (shared, slot, req) = (&shared, &slot, &req);
    slot.in_flight.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlightCount(slot);
    let session = slot.ensure(shared).await?;
    if req.notification {
        let body = Bytes::from(write_notification(&req.method, req.params.as_ref()));
        post_bytes(shared, &session, body).await;
        return Ok(JsonRpcResponse {
            outcome: Ok(crate::protocol::RawJson::empty_object()),
        });
    }
    match post(shared, slot, &session, req).await {
        Ok(outcome) => Ok(JsonRpcResponse { outcome }),
        Err(PostError::Failed(e)) => Err(e),
        Err(PostError::SessionExpired) => {
            // A 404 means the backend never processed this call, so resending is safe.
            info!(backend = %shared.alias(), "backend session expired; re-initializing");
            slot.invalidate(&session);
            let session = slot.ensure(shared).await?;
            match post(shared, slot, &session, req).await {
                Ok(outcome) => Ok(JsonRpcResponse { outcome }),
                Err(PostError::Failed(e)) => Err(e),
                Err(PostError::SessionExpired) => Err(Box::new(BackendError::Protocol {
                    backend: shared.alias().clone(),
                    detail: "a freshly initialized session was rejected with 404".into(),
                })),
            }
        }
    }
}

/// POSTs `initialize` (or any request) and returns the reply with the `Mcp-Session-Id` the
/// backend set.
pub(super) async fn post_capturing_session(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &Arc<BackendSession>,
    req: &JsonRpcRequest,
) -> Result<(Outcome, Option<HeaderValue>), BoxError> {
    let (outcome, id) = exchange(shared, slot, session, req)
        .await
        .map_err(|e| match e {
            PostError::Failed(e) => e,
            PostError::SessionExpired => BoxError::from("initialize was answered with 404"),
        })?;
    Ok((outcome, id))
}

async fn post(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &Arc<BackendSession>,
    req: &JsonRpcRequest,
) -> Result<Outcome, PostError> {
    exchange(shared, slot, session, req)
        .await
        .map(|(outcome, _)| outcome)
}

async fn exchange(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &Arc<BackendSession>,
    req: &JsonRpcRequest,
) -> Result<(Outcome, Option<HeaderValue>), PostError> {
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let body = Bytes::from(write_request(
        &Id::Number(id),
        &req.method,
        req.params.as_ref(),
    ));
    let request =
        build(shared, Method::POST, session, &req.headers, body).map_err(PostError::Failed)?;
    let mut cancel = CancelOnDrop {
        shared: shared.clone(),
        session: session.clone(),
        id,
        armed: true,
    };
    let response = shared.client.send(request).await.map_err(|e| {
        cancel.armed = !e.is_connect();
        let error = BackendError::Unavailable {
            backend: shared.alias().clone(),
            reason: format!(
                "request to {} failed: {}",
                shared.spec.url,
                crate::backend::error::chain(&e)
            )
            .into(),
        };
        PostError::Failed(if e.is_connect() {
            error.never_sent()
        } else {
            Box::new(error)
        })
    })?;
    let status = response.status();
    let new_session = response.headers().get(&SESSION_ID).cloned();
    if status == StatusCode::NOT_FOUND && session.id.is_some() {
        cancel.armed = false;
        return Err(PostError::SessionExpired);
    }
    if !status.is_success() {
        cancel.armed = false;
        return Err(PostError::Failed(Box::new(status_error(shared, &response))));
    }
    let outcome = if is_event_stream(response.headers()) {
        read_events(
            shared,
            slot,
            session,
            id,
            &Related::Call(req.ctx.clone()),
            response.into_body(),
        )
        .await
    } else {
        read_json(shared, id, response.into_body()).await
    }
    .map_err(PostError::Failed)?;
    cancel.armed = false;
    Ok((outcome, new_session))
}

/// Builds a request to the backend with its static headers, `extra` headers and the session's.
pub(super) fn build(
    shared: &Shared,
    method: Method,
    session: &BackendSession,
    extra: &HeaderMap,
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, BoxError> {
    // The pool sets the URI (origin-form or absolute, by protocol).
    let mut request = http::Request::builder()
        .method(method.clone())
        .body(Full::new(body))?;
    let headers = request.headers_mut();
    if method == Method::GET {
        headers.insert(ACCEPT, EVENT_STREAM);
    } else {
        headers.insert(CONTENT_TYPE, JSON);
        headers.insert(ACCEPT, ACCEPT_BOTH);
    }
    for (k, v) in &shared.spec.headers {
        headers.insert(k, v.clone());
    }
    for (k, v) in extra {
        headers.insert(k, v.clone());
    }
    if let Some(id) = &session.id {
        headers.insert(SESSION_ID, id.clone());
    }
    if let Some((traceparent, tracestate)) = crate::telemetry::otel::current() {
        if let Ok(value) = HeaderValue::from_str(&traceparent) {
            headers.insert("traceparent", value);
        }
        if let Some(value) = tracestate.and_then(|s| HeaderValue::from_str(&s).ok()) {
            headers.insert("tracestate", value);
        }
    }
    if session.generation > 0 {
        headers.insert(PROTOCOL_VERSION, session.protocol_version.clone());
    }
    Ok(request)
}

/// POSTs a notification, best effort.
pub(super) async fn notify(shared: &Shared, session: &BackendSession, method: &str) {
    post_bytes(
        shared,
        session,
        Bytes::from(write_notification(method, NO_PARAMS)),
    )
    .await;
}

/// POSTs a message that expects no reply (a notification, or an answer to the backend's
/// request), best effort.
pub(super) async fn post_bytes(shared: &Shared, session: &BackendSession, body: Bytes) {
    if let Ok(request) = build(shared, Method::POST, session, &HeaderMap::new(), body) {
        if let Err(e) = shared.client.send(request).await {
            debug!(backend = %shared.alias(), error = %e, "message not delivered");
        }
    }
}

async fn read_json(shared: &Shared, id: i64, body: PooledBody) -> Result<Outcome, BoxError> {
    let bytes = Limited::new(body, MAX_REPLY_BYTES)
        .collect()
        .await
        .map_err(|e| lost(shared, format!("reply body unreadable: {e}")))?
        .to_bytes();
    match Message::parse_shared(&bytes) {
        Ok(Message::Response(r)) if r.id == Some(Id::Number(id)) => Ok(r.outcome),
        Ok(_) => Err(protocol(
            shared,
            format!("expected the reply to request {id}"),
        )),
        Err(e) => Err(protocol(shared, e.to_string())),
    }
}

/// Reads events until the reply to `id`; everything else on the way belongs to the call. A
/// stream cut before the reply is resumed with `Last-Event-ID` when the backend numbered it.
async fn read_events(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &Arc<BackendSession>,
    id: i64,
    related: &Related,
    body: PooledBody,
) -> Result<Outcome, BoxError> {
    let mut body = body;
    let mut last_event_id: Option<String> = None;
    let mut retry = Duration::ZERO;
    for resumes in 0..=MAX_RESUMES {
        let mut events = sse_stream::SseStream::new(EventLimit::new(body, MAX_REPLY_BYTES));
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(e) => {
                    debug!(backend = %shared.alias(), error = %e, "reply stream broke");
                    break;
                }
            };
            if let Some(event_id) = event.id.filter(|i| !i.is_empty()) {
                last_event_id = Some(event_id);
            }
            if let Some(ms) = event.retry {
                retry = Duration::from_millis(ms);
            }
            let Some(data) = event.data.filter(|d| !d.is_empty()) else {
                continue;
            };
            match Message::parse_shared(&Bytes::from(data)) {
                Ok(Message::Response(r)) if r.id == Some(Id::Number(id)) => return Ok(r.outcome),
                Ok(other) => dispatch(shared, slot, session, related.clone(), other),
                Err(e) => {
                    warn!(backend = %shared.alias(), error = %e, "unparseable event from backend; skipped")
                }
            }
        }
        let Some(resume_from) = &last_event_id else {
            break;
        };
        if resumes == MAX_RESUMES {
            break;
        }
        tokio::time::sleep(retry.min(MAX_RESUME_WAIT)).await;
        debug!(backend = %shared.alias(), last_event_id = %resume_from, "resuming the reply stream");
        body = resume(shared, session, resume_from).await?;
    }
    Err(lost(
        shared,
        "the event stream ended before the reply".into(),
    ))
}

/// Reopens a cut stream with `GET` + `Last-Event-ID`.
async fn resume(
    shared: &Shared,
    session: &BackendSession,
    last_event_id: &str,
) -> Result<PooledBody, BoxError> {
    let mut request = build(
        shared,
        Method::GET,
        session,
        &HeaderMap::new(),
        Bytes::new(),
    )?;
    let value = HeaderValue::from_str(last_event_id).map_err(|_| {
        protocol(
            shared,
            "the backend sent an event id that is not a valid header".into(),
        )
    })?;
    request.headers_mut().insert(LAST_EVENT_ID, value);
    let response = shared
        .client
        .send(request)
        .await
        .map_err(|e| lost(shared, format!("resuming the reply stream failed: {e}")))?;
    if !response.status().is_success() || !is_event_stream(response.headers()) {
        return Err(lost(
            shared,
            format!(
                "the reply stream was cut and resuming it was answered HTTP {}",
                response.status()
            ),
        ));
    }
    Ok(response.into_body())
}

/// Routes a message the backend sent on one of its streams.
pub(super) fn dispatch(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &Arc<BackendSession>,
    related: Related,
    message: Message,
) {
    match message {
        Message::Notification(n) => notification(shared, slot, session, related, n),
        Message::Request(r) => ask_client(shared, slot, session, related, r),
        Message::Response(r) => {
            debug!(backend = %shared.alias(), id = ?r.id, "response to nothing on the stream; dropped")
        }
    }
}

fn notification(
    shared: &Arc<Shared>,
    slot: &Slot,
    session: &BackendSession,
    related: Related,
    n: Notification,
) {
    if &*n.method == "notifications/cancelled" {
        // The backend withdrew a request it sent to a client.
        if let Some(request_id) = crate::protocol::mcp::cancelled_request_id(n.params.as_deref()) {
            let key = (session.id.clone(), request_id);
            if let Some(task) = shared.lock_asks().remove(&key) {
                task.abort();
            }
        }
        return;
    }
    shared
        .wiring
        .way_back
        .notify(&shared.wiring.backend, related, &n);
    if n.method.ends_with("/list_changed") {
        let mark = slot
            .owner
            .as_ref()
            .and_then(|o| o.upgrade())
            .map(|s| s.lists_changed());
        let _ = shared
            .wiring
            .notifications
            .send(Arc::new(crate::backend::BackendNotice {
                notification: n,
                owner: slot.owner.clone(),
                mark,
            }));
    }
}

/// Forwards the backend's request to its client and POSTs the answer back, in the background.
fn ask_client(
    shared: &Arc<Shared>,
    _slot: &Slot,
    session: &Arc<BackendSession>,
    related: Related,
    request: Request,
) {
    let key = (session.id.clone(), request.id.clone());
    let task_shared = shared.clone();
    let task_session = session.clone();
    let task_key = key.clone();
    let mut asks = shared.lock_asks();
    let task = tokio::spawn(async move {
        let backend_id = request.id.clone();
        let outcome = task_shared
            .wiring
            .way_back
            .ask(&task_shared.wiring.backend, related, request)
            .await;
        task_shared.lock_asks().remove(&task_key);
        let answer = Bytes::from(write_response(Some(&backend_id), &outcome));
        post_bytes(&task_shared, &task_session, answer).await;
    });
    asks.insert(key, task.abort_handle());
}

/// An HTTP error status from the backend. The body is not read into the error: a backend that
/// echoes the request (or its credential) in an error page would leak it to clients and logs.
fn status_error(shared: &Shared, response: &http::Response<PooledBody>) -> BackendError {
    let length = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|l| format!(", {l}-byte body not shown"))
        .unwrap_or_default();
    BackendError::Status {
        backend: shared.alias().clone(),
        status: response.status(),
        detail: length,
    }
}

fn lost(shared: &Shared, what: String) -> BoxError {
    Box::new(BackendError::Lost {
        backend: shared.alias().clone(),
        method: "call".into(),
        what,
    })
}

fn protocol(shared: &Shared, detail: String) -> BoxError {
    Box::new(BackendError::Protocol {
        backend: shared.alias().clone(),
        detail,
    })
}

/// Counts a call on its slot until it ends, however it ends.
struct InFlightCount<'a>(&'a Slot);

impl Drop for InFlightCount<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Tells the backend a call was abandoned (the client cancelled or went away, or the call
/// timed out) with `notifications/cancelled` for its id, in the background.
struct CancelOnDrop {
    shared: Arc<Shared>,
    session: Arc<BackendSession>,
    id: i64,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let shared = self.shared.clone();
        let session = self.session.clone();
        let params = to_raw(&serde_json::json!({
            "requestId": self.id,
            "reason": "cancelled by mcpmux: the caller stopped waiting",
        }));
        let body = Bytes::from(write_notification("notifications/cancelled", Some(&params)));
        tokio::spawn(async move { post_bytes(&shared, &session, body).await });
    }
}
