//! streamable-HTTP backend: MCP over POST (JSON or SSE replies), `Mcp-Session-Id`,
//! `MCP-Protocol-Version`, re-initialize on 404, and a GET stream for server notifications.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::{broadcast, watch, Mutex};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::backoff::Backoff;
use super::error::BackendError;
use super::http_pool::{HttpPool, PooledBody};
use super::sse_limit::EventLimit;
use super::status::{Health, Status};
use super::{answer_server_request, handshake, BackendNotification};
use crate::protocol::jsonrpc::{write_notification, write_request, write_response};
use crate::protocol::mcp::InitializeResult;
use crate::protocol::{Id, JsonRpcRequest, JsonRpcResponse, Message, Outcome};
use crate::BoxError;

/// Largest reply body, or single event of an event stream, accepted from a backend.
const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;
/// `Mcp-Session-Id`.
pub const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const ACCEPT_BOTH: HeaderValue = HeaderValue::from_static("application/json, text/event-stream");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// What to connect to.
#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// The MCP endpoint.
    pub url: Uri,
    /// Static headers from config.
    pub headers: HeaderMap,
    /// Limit for the `initialize` exchange.
    pub connect_timeout: Duration,
}

/// The `Service` handle: cheap to clone.
#[derive(Clone)]
pub struct HttpTransport {
    shared: Arc<Shared>,
}

struct Shared {
    alias: Arc<str>,
    spec: HttpSpec,
    client: HttpPool,
    session: ArcSwapOption<Session>,
    /// Serialises (re)initialization so a burst of calls triggers one handshake.
    connecting: Mutex<()>,
    next_id: AtomicI64,
    status: watch::Sender<Status>,
    notifications: broadcast::Sender<BackendNotification>,
    shutdown: CancellationToken,
}

/// One backend session.
#[derive(Debug)]
struct Session {
    id: Option<HeaderValue>,
    protocol_version: HeaderValue,
    generation: u64,
}

/// How one POST ended, before mapping to the caller's error.
enum PostError {
    /// The backend no longer knows our session (HTTP 404): re-initialize and resend.
    SessionExpired,
    /// Anything else.
    Failed(BoxError),
}

// === impl HttpTransport ===

impl HttpTransport {
    /// Creates the transport and connects in the background.
    pub fn spawn(
        alias: Arc<str>,
        spec: HttpSpec,
        client: HttpPool,
        status: watch::Sender<Status>,
        notifications: broadcast::Sender<BackendNotification>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        let shared = Arc::new(Shared {
            alias,
            spec,
            client,
            session: ArcSwapOption::empty(),
            connecting: Mutex::new(()),
            next_id: AtomicI64::new(0),
            status,
            notifications,
            shutdown,
        });
        tasks.spawn(supervise(shared.clone()));
        HttpTransport { shared }
    }
}

impl tower::Service<JsonRpcRequest> for HttpTransport {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // The connection pool is the queue; hyper applies its own back-pressure per connection.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { shared.call(req).await })
    }
}

impl Shared {
    async fn call(&self, req: JsonRpcRequest) -> Result<JsonRpcResponse, BoxError> {
        let session = self.ensure_session().await?;
        match self.post(&session, &req).await {
            Ok(outcome) => Ok(JsonRpcResponse { outcome }),
            Err(PostError::Failed(e)) => Err(e),
            Err(PostError::SessionExpired) => {
                // A 404 means the backend never processed this call, so resending is safe.
                info!(backend = %self.alias, "backend session expired; re-initializing");
                self.invalidate(&session);
                let session = self.ensure_session().await?;
                match self.post(&session, &req).await {
                    Ok(outcome) => Ok(JsonRpcResponse { outcome }),
                    Err(PostError::Failed(e)) => Err(e),
                    Err(PostError::SessionExpired) => Err(Box::new(BackendError::Protocol {
                        backend: self.alias.clone(),
                        detail: "a freshly initialized session was rejected with 404".into(),
                    })),
                }
            }
        }
    }

    /// The current session, initializing one if there is none.
    async fn ensure_session(&self) -> Result<Arc<Session>, BoxError> {
        if let Some(s) = self.session.load_full() {
            return Ok(s);
        }
        let _guard = self.connecting.lock().await;
        if let Some(s) = self.session.load_full() {
            return Ok(s);
        }
        match tokio::time::timeout(self.spec.connect_timeout, self.initialize()).await {
            Ok(Ok(session)) => Ok(session),
            Ok(Err(reason)) => Err(self.mark_down(reason)),
            Err(_) => Err(self.mark_down(format!(
                "no answer to initialize within {:?}",
                self.spec.connect_timeout
            ))),
        }
    }

    fn mark_down(&self, reason: String) -> BoxError {
        let reason: Arc<str> = reason.into();
        self.status.send_modify(|s| {
            if s.health != Health::Down(reason.clone()) {
                warn!(backend = %self.alias, reason = %reason, "HTTP backend unavailable");
            }
            s.health = Health::Down(reason.clone());
            s.info = None;
            s.attempted = true;
        });
        BackendError::Unavailable {
            backend: self.alias.clone(),
            reason,
        }
        .never_sent()
    }

    async fn initialize(&self) -> Result<Arc<Session>, String> {
        let bootstrap = Session {
            id: None,
            protocol_version: HeaderValue::from_static(crate::protocol::mcp::LATEST_LEGACY),
            generation: 0,
        };
        let mut session_id = None;
        let slot = &mut session_id;
        let boot = &bootstrap;
        let info: InitializeResult = handshake::initialize_over(&self.alias, |req| async move {
            let (outcome, id) =
                self.post_capturing_session(boot, &req)
                    .await
                    .map_err(|e| match e {
                        PostError::Failed(e) => e,
                        PostError::SessionExpired => {
                            BoxError::from("initialize was answered with 404")
                        }
                    })?;
            *slot = id;
            Ok(JsonRpcResponse { outcome })
        })
        .await?;
        let protocol_version = HeaderValue::from_str(&info.protocol_version).map_err(|_| {
            format!(
                "protocol version `{}` is not a valid header value",
                info.protocol_version
            )
        })?;
        let generation = self.status.borrow().generation + 1;
        let session = Arc::new(Session {
            id: session_id,
            protocol_version,
            generation,
        });
        self.notify(&session, "notifications/initialized").await;
        info!(backend = %self.alias, protocol = %info.protocol_version, session = session.id.is_some(), "HTTP backend up");
        self.session.store(Some(session.clone()));
        self.status.send_modify(|s| {
            if s.generation > 0 {
                s.restarts += 1;
            }
            s.health = Health::Up;
            s.info = Some(Arc::new(info));
            s.generation = generation;
            s.attempted = true;
        });
        Ok(session)
    }

    /// Drops `stale` if it is still the current session.
    fn invalidate(&self, stale: &Arc<Session>) {
        let current = self.session.load();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, stale)) {
            self.session.store(None);
        }
    }

    async fn notify(&self, session: &Session, method: &str) {
        let body = Bytes::from(write_notification(method, None));
        let request = self.request(Method::POST, session, &HeaderMap::new(), Full::new(body));
        if let Ok(request) = request {
            if let Err(e) = self.client.send(request).await {
                debug!(backend = %self.alias, error = %e, method, "notification not delivered");
            }
        }
    }

    async fn post(&self, session: &Session, req: &JsonRpcRequest) -> Result<Outcome, PostError> {
        self.post_capturing_session(session, req)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// POSTs one request and reads its reply, plus the `Mcp-Session-Id` the backend set.
    async fn post_capturing_session(
        &self,
        session: &Session,
        req: &JsonRpcRequest,
    ) -> Result<(Outcome, Option<HeaderValue>), PostError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let body = Bytes::from(write_request(
            &Id::Number(id),
            &req.method,
            req.params.as_deref(),
        ));
        let request = self
            .request(Method::POST, session, &req.headers, Full::new(body))
            .map_err(PostError::Failed)?;
        let response = self.client.send(request).await.map_err(|e| {
            let error = BackendError::Unavailable {
                backend: self.alias.clone(),
                reason: format!("request to {} failed: {}", self.spec.url, error_chain(&e)).into(),
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
            return Err(PostError::SessionExpired);
        }
        if !status.is_success() {
            return Err(PostError::Failed(Box::new(
                self.status_error(response).await,
            )));
        }
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let outcome = if is_sse {
            self.read_sse_reply(id, session, response.into_body()).await
        } else {
            self.read_json_reply(id, response.into_body()).await
        }
        .map_err(PostError::Failed)?;
        Ok((outcome, new_session))
    }

    fn request(
        &self,
        method: Method,
        session: &Session,
        extra: &HeaderMap,
        body: Full<Bytes>,
    ) -> Result<http::Request<Full<Bytes>>, BoxError> {
        // The pool sets the URI (origin-form or absolute, by protocol).
        let mut request = http::Request::builder().method(method).body(body)?;
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, JSON);
        headers.insert(ACCEPT, ACCEPT_BOTH);
        for (k, v) in &self.spec.headers {
            headers.insert(k, v.clone());
        }
        for (k, v) in extra {
            headers.insert(k, v.clone());
        }
        if let Some(id) = &session.id {
            headers.insert(SESSION_ID, id.clone());
        }
        if session.generation > 0 {
            headers.insert(PROTOCOL_VERSION, session.protocol_version.clone());
        }
        Ok(request)
    }

    async fn read_json_reply(&self, id: i64, body: PooledBody) -> Result<Outcome, BoxError> {
        let bytes = Limited::new(body, MAX_REPLY_BYTES)
            .collect()
            .await
            .map_err(|e| self.lost("tools", format!("reply body unreadable: {e}")))?
            .to_bytes();
        match Message::parse_shared(&bytes) {
            Ok(Message::Response(r)) if r.id == Some(Id::Number(id)) => Ok(r.outcome),
            Ok(_) => Err(self.protocol(format!("expected the reply to request {id}"))),
            Err(e) => Err(self.protocol(e.to_string())),
        }
    }

    /// Reads SSE events until the reply to `id`; notifications on the way are forwarded.
    async fn read_sse_reply(
        &self,
        id: i64,
        session: &Session,
        body: PooledBody,
    ) -> Result<Outcome, BoxError> {
        let mut events = sse_stream::SseStream::new(EventLimit::new(body, MAX_REPLY_BYTES));
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| self.lost("call", format!("event stream broke: {e}")))?;
            let Some(data) = event.data.filter(|d| !d.is_empty()) else {
                continue;
            };
            match Message::parse_shared(&Bytes::from(data)) {
                Ok(Message::Response(r)) if r.id == Some(Id::Number(id)) => return Ok(r.outcome),
                Ok(other) => self.handle_unsolicited(session, other).await,
                Err(e) => {
                    warn!(backend = %self.alias, error = %e, "unparseable event from backend; skipped")
                }
            }
        }
        Err(self.lost("call", "the event stream ended before the reply".into()))
    }

    async fn handle_unsolicited(&self, session: &Session, message: Message) {
        match message {
            Message::Notification(n) => {
                let _ = self.notifications.send(Arc::new(n));
            }
            Message::Request(r) => {
                let outcome = answer_server_request(&r.method);
                let body = Bytes::from(write_response(Some(&r.id), &outcome));
                if let Ok(request) =
                    self.request(Method::POST, session, &HeaderMap::new(), Full::new(body))
                {
                    let _ = self.client.send(request).await;
                }
            }
            Message::Response(r) => {
                debug!(backend = %self.alias, id = ?r.id, "unexpected response on stream")
            }
        }
    }

    async fn status_error(&self, response: http::Response<PooledBody>) -> BackendError {
        let status = response.status();
        let body = Limited::new(response.into_body(), 4096)
            .collect()
            .await
            .map(|b| {
                String::from_utf8_lossy(&b.to_bytes())
                    .chars()
                    .take(300)
                    .collect()
            })
            .unwrap_or_default();
        BackendError::Status {
            backend: self.alias.clone(),
            status,
            body,
        }
    }

    fn lost(&self, method: &str, what: String) -> BoxError {
        Box::new(BackendError::Lost {
            backend: self.alias.clone(),
            method: method.into(),
            what,
        })
    }

    fn protocol(&self, detail: String) -> BoxError {
        Box::new(BackendError::Protocol {
            backend: self.alias.clone(),
            detail,
        })
    }
}

/// Keeps a session up in the background and listens on the GET stream for notifications.
async fn supervise(shared: Arc<Shared>) {
    let mut backoff = Backoff::default();
    loop {
        let session = tokio::select! {
            s = shared.ensure_session() => s,
            _ = shared.shutdown.cancelled() => return,
        };
        if let Ok(session) = session {
            backoff.reset();
            tokio::select! {
                _ = listen(&shared, &session) => {}
                _ = shared.shutdown.cancelled() => {
                    close_session(&shared, &session).await;
                    return;
                }
            }
            // The stream ended; if the session is still current, wait before reopening it.
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff.next_delay()) => {}
            _ = shared.shutdown.cancelled() => return,
        }
    }
}

/// Holds the GET stream open while the session lives; returns when it ends.
async fn listen(shared: &Shared, session: &Arc<Session>) {
    let request = shared.request(
        Method::GET,
        session,
        &HeaderMap::new(),
        Full::new(Bytes::new()),
    );
    let Ok(mut request) = request else { return };
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    request.headers_mut().remove(CONTENT_TYPE);
    let response = match shared.client.send(request).await {
        Ok(r) => r,
        Err(e) => {
            debug!(backend = %shared.alias, error = %e, "GET stream failed");
            return;
        }
    };
    match response.status() {
        s if s.is_success() => {}
        StatusCode::NOT_FOUND => {
            shared.invalidate(session);
            return;
        }
        s => {
            // 405: the backend offers no GET stream; nothing to listen to until the session changes.
            debug!(backend = %shared.alias, status = %s, "backend has no GET stream");
            wait_until_replaced(shared, session).await;
            return;
        }
    }
    let mut events =
        sse_stream::SseStream::new(EventLimit::new(response.into_body(), MAX_REPLY_BYTES));
    while let Some(Ok(event)) = events.next().await {
        if let Some(data) = event.data.filter(|d| !d.is_empty()) {
            if let Ok(message) = Message::parse(data.as_bytes()) {
                shared.handle_unsolicited(session, message).await;
            }
        }
    }
}

async fn wait_until_replaced(shared: &Shared, session: &Arc<Session>) {
    let mut status = shared.status.subscribe();
    let _ = status
        .wait_for(|s| s.generation != session.generation || s.health != Health::Up)
        .await;
}

/// Ends the backend session on shutdown (DELETE), best effort.
async fn close_session(shared: &Shared, session: &Session) {
    if session.id.is_none() {
        return;
    }
    if let Ok(request) = shared.request(
        Method::DELETE,
        session,
        &HeaderMap::new(),
        Full::new(Bytes::new()),
    ) {
        let _ = tokio::time::timeout(Duration::from_secs(2), shared.client.send(request)).await;
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
