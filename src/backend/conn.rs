//! A multiplexed message connection to one backend: the part shared by every transport that
//! carries JSON-RPC messages one by one over a long-lived channel (stdio lines, WebSocket
//! frames, legacy HTTP+SSE events).
//!
//! Calls get gateway-assigned ids and keep their context beside the id, so what the backend
//! sends during a call finds its way back to that call's client ([`dispatch`]). A transport
//! publishes its connection in a [`Link`] watch: calls wait while it connects and fail fast,
//! saying why, while it is down.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::backoff::Backoff;
use super::error::BackendError;
use super::handshake;
use super::pending::Pending;
use super::status::{Health, Link, Status};
use super::{BackendNotice, BackendNotification};
use crate::protocol::jsonrpc::{
    self, to_raw, write_notification, write_request, write_response, NO_PARAMS,
};
use crate::protocol::mcp::LogLevel;
use crate::protocol::{
    Id, JsonRpcRequest, JsonRpcResponse, Message, Notification, Outcome, RawJson, Request,
};
use crate::session::{BackendRef, CallContext, Related, Session, WayBack};
use crate::BoxError;

/// Consecutive calls abandoned by their callers (timeouts, cancels) with nothing at all heard
/// from the backend in between, after which it is taken to be wedged and reconnected.
pub const WEDGED_AFTER: u32 = 3;

/// How a connection is tied to the rest of the gateway.
#[derive(Debug, Clone)]
pub struct Wiring {
    /// Which backend it is.
    pub backend: BackendRef,
    /// Connection state, shown by `/readyz` and read by the catalog.
    pub status: watch::Sender<Status>,
    /// `list_changed` notifications, for the catalog.
    pub notifications: broadcast::Sender<BackendNotification>,
    /// Stops the connection.
    pub shutdown: CancellationToken,
    /// Where messages for clients go.
    pub way_back: Arc<WayBack>,
    /// The session that owns the connection (`pool = "per-session"`), if any.
    pub owner: Option<Weak<Session>>,
    /// Asks the supervisor to reconnect (the health checker uses it).
    pub restart: Arc<Notify>,
}

/// One live connection: its outgoing queue, its calls in flight (with their contexts), and
/// the requests it sent to clients that are still waiting for an answer.
#[derive(Debug)]
pub struct Conn {
    writer: mpsc::Sender<Vec<u8>>,
    pending: Pending<Arc<CallContext>>,
    asks: Mutex<HashMap<Id, AbortHandle>>,
    /// Calls abandoned since the backend last sent anything.
    abandoned: AtomicU32,
    wedged: Notify,
    owner: Option<Weak<Session>>,
    /// What the transport calls the backend going away (`exited`, `closed the connection`).
    gone: &'static str,
}

/// The caller's side of a connection that may be starting, up or down.
#[derive(Debug, Clone)]
pub struct Linked {
    alias: Arc<str>,
    link: watch::Receiver<Link<Conn>>,
}

// === impl Linked ===

impl Linked {
    /// Callers of the connection published in `link`.
    pub fn new(alias: Arc<str>, link: watch::Receiver<Link<Conn>>) -> Linked {
        Linked { alias, link }
    }

    /// Sends a request on the live connection. While it is up (the common case) the future is
    /// the connection's own call, not a wrapper around it: one state machine less to run (and
    /// to fetch into the instruction cache) per call.
    pub fn call(
        &self,
        req: JsonRpcRequest,
    ) -> BoxFuture<'static, Result<JsonRpcResponse, BoxError>> {
        if let Link::Up(conn) = &*self.link.borrow() {
            return Box::pin(conn.clone().call(self.alias.clone(), req));
        }
        let linked = self.clone();
        Box::pin(async move {
            let conn = linked.connection().await?;
            conn.call(linked.alias, req).await
        })
    }

    /// Calls in flight on the current connection.
    pub fn in_flight(&self) -> usize {
        match &*self.link.borrow() {
            Link::Up(conn) => conn.pending.len(),
            _ => 0,
        }
    }

    /// The live connection, waiting while it starts; fails fast while it is down.
    async fn connection(&self) -> Result<Arc<Conn>, BoxError> {
        // The common case, without cloning the receiver to wait on it.
        if let Link::Up(conn) = &*self.link.borrow() {
            return Ok(conn.clone());
        }
        let mut link = self.link.clone();
        let current = link
            .wait_for(|l| !matches!(l, Link::Starting))
            .await
            .map_err(|_| {
                BackendError::Unavailable {
                    backend: self.alias.clone(),
                    reason: "the gateway is shutting down".into(),
                }
                .never_sent()
            })?
            .clone();
        match current {
            Link::Up(conn) => Ok(conn),
            Link::Down(reason) => Err(BackendError::Unavailable {
                backend: self.alias.clone(),
                reason,
            }
            .never_sent()),
            Link::Starting => unreachable!("wait_for returned a non-starting link"),
        }
    }
}

// === impl Conn ===

impl Conn {
    /// A connection writing to `writer`; `gone` names how it ends ("exited").
    pub fn new(
        writer: mpsc::Sender<Vec<u8>>,
        owner: Option<Weak<Session>>,
        gone: &'static str,
    ) -> Self {
        Conn {
            writer,
            pending: Pending::default(),
            asks: Mutex::new(HashMap::new()),
            abandoned: AtomicU32::new(0),
            wedged: Notify::new(),
            owner,
            gone,
        }
    }

    /// Sends one request and waits for its answer. Used for calls and for the handshake
    /// (before the connection is published); a caller that stops waiting cancels it.
    ///
    /// Not an `async fn`: the request is registered and written out when the future is made,
    /// and the future keeps only what the wait needs. As an `async fn` it kept the whole
    /// request (240 bytes) for the call's life: 776 bytes per call in flight, against 344.
    pub fn call(
        self: Arc<Self>,
        alias: Arc<str>,
        req: JsonRpcRequest,
    ) -> impl Future<Output = Result<JsonRpcResponse, BoxError>> + Send + 'static {
        let method = req.method.clone();
        let prepared = if req.notification {
            Prepared::Notification(self, write_notification(&req.method, req.params.as_ref()))
        } else {
            let (id, answer) = self.pending.register(req.ctx.clone());
            let message = write_request(&Id::Number(id), &req.method, req.params.as_ref());
            let in_flight = InFlight {
                conn: self,
                id,
                state: CallState::Unsent,
            };
            Prepared::Request(in_flight, answer, message)
        };
        drop(req);
        async move {
            let (mut in_flight, answer, message) = match prepared {
                Prepared::Request(in_flight, answer, message) => (in_flight, answer, message),
                Prepared::Notification(conn, message) => {
                    conn.writer.send(message).await.map_err(|_| {
                        BackendError::Unavailable {
                            backend: alias.clone(),
                            reason: format!(
                                "the backend {} before the notification was sent",
                                conn.gone
                            )
                            .into(),
                        }
                        .never_sent()
                    })?;
                    return Ok(JsonRpcResponse {
                        outcome: Ok(RawJson::empty_object()),
                    });
                }
            };
            let gone = in_flight.conn.gone;
            if in_flight.conn.writer.send(message).await.is_err() {
                // Dropped unsent, `in_flight` forgets the id.
                return Err(BackendError::Unavailable {
                    backend: alias.clone(),
                    reason: format!("the backend {gone} before the call was sent").into(),
                }
                .never_sent());
            }
            in_flight.state = CallState::Sent;
            let outcome = answer.await;
            in_flight.state = CallState::Answered;
            match outcome {
                Ok(outcome) => Ok(JsonRpcResponse { outcome }),
                Err(_) => Err(Box::new(BackendError::Lost {
                    backend: alias.clone(),
                    method,
                    what: gone.into(),
                })),
            }
        }
    }

    /// Queues a message for the backend without waiting (best effort).
    pub fn try_send(&self, message: Vec<u8>) {
        let _ = self.writer.try_send(message);
    }

    /// Fails one call in flight with `error` (its message could not be delivered).
    pub fn fail_call(&self, id: i64, error: crate::protocol::ErrorObject) {
        self.pending.complete(id, Err(error));
    }

    /// Fails every call in flight (the connection ended); returns how many there were.
    pub fn fail_all(&self) -> usize {
        self.pending.fail_all()
    }

    /// Resolves when calls were abandoned [`WEDGED_AFTER`] times in a row with nothing heard.
    pub async fn wedged(&self) {
        self.wedged.notified().await;
    }

    /// Where a message from the backend belongs, as far as the connection knows.
    pub fn related(&self) -> Related {
        match &self.owner {
            Some(owner) => Related::Session(owner.clone()),
            None => Related::InFlight(self.pending.tags()),
        }
    }

    /// The backend sent something: it is not wedged.
    pub fn heard_from(&self) {
        self.abandoned.store(0, Ordering::Relaxed);
    }

    fn lock_asks(&self) -> std::sync::MutexGuard<'_, HashMap<Id, AbortHandle>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.asks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A call as `Conn::call` makes it: written out, and what it waits on.
enum Prepared {
    Request(InFlight, oneshot::Receiver<Outcome>, Vec<u8>),
    Notification(Arc<Conn>, Vec<u8>),
}

/// Where a call stands, for its cleanup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// Registered, not yet on its way to the backend.
    Unsent,
    /// Sent; the backend owes an answer.
    Sent,
    /// Answered (or failed by the connection): nothing to clean up.
    Answered,
}

/// Cleans up a call whose caller stopped waiting (timeout, client gone): the id is forgotten
/// and, if the request went out, the backend is told with `notifications/cancelled`.
struct InFlight {
    conn: Arc<Conn>,
    id: i64,
    state: CallState,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.state == CallState::Answered || !self.conn.pending.forget(self.id) {
            return;
        }
        if self.state == CallState::Unsent {
            return;
        }
        let params = jsonrpc::to_raw(&serde_json::json!({
            "requestId": self.id,
            "reason": "cancelled by mcpmux: the caller stopped waiting",
        }));
        // Best effort: a full queue means the backend is wedged, and the timeout says so.
        let _ = self
            .conn
            .writer
            .try_send(write_notification("notifications/cancelled", Some(&params)));
        if self.conn.abandoned.fetch_add(1, Ordering::Relaxed) + 1 >= WEDGED_AFTER {
            self.conn.wedged.notify_one();
        }
    }
}

/// Routes one message the backend sent: an answer to its call, or anything else to the way back.
pub fn dispatch(wiring: &Wiring, conn: &Arc<Conn>, bytes: &Bytes) {
    conn.heard_from();
    let alias = &wiring.backend.alias;
    match Message::parse_shared(bytes) {
        Ok(Message::Response(resp)) => match resp.id {
            Some(Id::Number(id)) if conn.pending.complete(id, resp.outcome) => {}
            other => {
                debug!(backend = %alias, id = ?other, "reply to no call in flight (late or cancelled); dropped")
            }
        },
        Ok(Message::Notification(n)) => notification(wiring, conn, n),
        Ok(Message::Request(req)) => ask_client(wiring, conn, req),
        Err(e) => {
            let shown: String = String::from_utf8_lossy(bytes).chars().take(200).collect();
            warn!(backend = %alias, error = %e, message = %shown, "message from the backend is not JSON-RPC; skipped");
        }
    }
}

fn notification(wiring: &Wiring, conn: &Arc<Conn>, n: Notification) {
    if &*n.method == "notifications/cancelled" {
        // The backend withdrew a request it sent to a client.
        if let Some(id) = crate::protocol::mcp::cancelled_request_id(n.params.as_deref()) {
            if let Some(task) = conn.lock_asks().remove(&id) {
                task.abort();
            }
        }
        return;
    }
    wiring.way_back.notify(&wiring.backend, conn.related(), &n);
    if n.method.ends_with("/list_changed") {
        let mark = conn
            .owner
            .as_ref()
            .and_then(|o| o.upgrade())
            .map(|s| s.lists_changed());
        let _ = wiring.notifications.send(Arc::new(BackendNotice {
            notification: n,
            owner: conn.owner.clone(),
            mark,
        }));
    }
}

/// Forwards a request of the backend to its client and sends the answer back, in the
/// background so reading goes on.
fn ask_client(wiring: &Wiring, conn: &Arc<Conn>, req: Request) {
    let related = conn.related();
    let way_back = wiring.way_back.clone();
    let backend = wiring.backend.clone();
    let task_conn = conn.clone();
    let id = req.id.clone();
    let mut asks = conn.lock_asks();
    let task = tokio::spawn(async move {
        let backend_id = req.id.clone();
        let outcome = way_back.ask(&backend, related, req).await;
        task_conn.lock_asks().remove(&backend_id);
        let _ = task_conn
            .writer
            .send(write_response(Some(&backend_id), &outcome))
            .await;
    });
    asks.insert(id, task.abort_handle());
}

/// Tells the backend the level to log at, in the background.
pub fn set_level(conn: &Arc<Conn>, alias: &Arc<str>, level: LogLevel) {
    let conn = conn.clone();
    let alias = alias.clone();
    tokio::spawn(async move {
        let params = to_raw(&serde_json::json!({ "level": level.as_str() }));
        let req = JsonRpcRequest::new("logging/setLevel", Some(params));
        if let Err(e) = conn.call(alias.clone(), req).await {
            debug!(backend = %alias, error = %e, "logging/setLevel not delivered");
        }
    });
}

/// Why one connection ended.
pub enum Ended {
    /// It failed or was closed; reconnect after a backoff.
    Down(String),
    /// The backend (or its owning session) is stopping.
    Stopped,
}

/// A connection that stayed up this long resets the reconnect backoff.
const STABLE_AFTER: Duration = Duration::from_secs(10);

/// Keeps a connection up: `connect` runs one connection to its end; between runs the link
/// says why it is down, and the backoff grows.
pub async fn supervise<F, Fut>(
    kind: &'static str,
    wiring: Wiring,
    link: watch::Sender<Link<Conn>>,
    connect: F,
) where
    F: Fn(Wiring, watch::Sender<Link<Conn>>, u64) -> Fut,
    Fut: Future<Output = Ended>,
{
    let alias = wiring.backend.alias.clone();
    let mut backoff = Backoff::default();
    let mut generation = 0u64;
    loop {
        link.send_replace(Link::Starting);
        generation += 1;
        let started = Instant::now();
        let reason = match connect(wiring.clone(), link.clone(), generation).await {
            Ended::Stopped => {
                link.send_replace(Link::Down("the backend is stopping".into()));
                return;
            }
            Ended::Down(reason) => reason,
        };
        if wiring.shutdown.is_cancelled() {
            link.send_replace(Link::Down("the backend is stopping".into()));
            return;
        }
        if started.elapsed() >= STABLE_AFTER {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        warn!(backend = %alias, reason = %reason, retry_in = ?delay, "{kind} backend down; reconnecting");
        let shown: Arc<str> =
            format!("{reason} (reconnecting in {:.1}s)", delay.as_secs_f64()).into();
        link.send_replace(Link::Down(shown.clone()));
        if wiring.owner.is_none() {
            wiring.status.send_modify(|s| {
                s.health = Health::Down(shown);
                s.info = None;
                s.attempted = true;
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = wiring.shutdown.cancelled() => return,
        }
        if wiring.owner.is_none() {
            wiring.status.send_modify(|s| s.restarts += 1);
        }
    }
}

/// What [`serve`] needs to know of the connection.
pub struct Serving<'a> {
    /// The transport's name, for logs.
    pub kind: &'static str,
    /// Where it connects, for logs.
    pub target: &'a str,
    /// Limit for `initialize`.
    pub connect_timeout: Duration,
    /// Which connection of the backend this is.
    pub generation: u64,
    /// The task writing `conn`'s queue to the wire; stopped when the connection ends.
    pub writer: tokio::task::JoinHandle<()>,
}

/// Initializes a fresh connection, publishes it, and serves it until its reader ends (the
/// backend went away), the backend stops, it is wedged, or a health check asks for a restart.
/// Then the writer stops and the calls still in flight fail.
pub async fn serve(
    serving: Serving<'_>,
    wiring: &Wiring,
    link: &watch::Sender<Link<Conn>>,
    conn: &Arc<Conn>,
    reader: tokio::task::JoinHandle<String>,
) -> Ended {
    let kind = serving.kind;
    let writer = serving.writer.abort_handle();
    let ended = serve_until_ended(serving, wiring, link, conn, reader).await;
    writer.abort();
    let lost = conn.fail_all();
    if lost > 0 {
        warn!(backend = %wiring.backend.alias, calls = lost, "{kind} backend dropped with calls in flight");
    }
    ended
}

async fn serve_until_ended(
    serving: Serving<'_>,
    wiring: &Wiring,
    link: &watch::Sender<Link<Conn>>,
    conn: &Arc<Conn>,
    mut reader: tokio::task::JoinHandle<String>,
) -> Ended {
    let alias = wiring.backend.alias.clone();
    let init = tokio::select! {
        r = tokio::time::timeout(serving.connect_timeout, handshake::initialize_over(&alias, |req| {
            conn.clone().call(alias.clone(), req)
        })) => r,
        why = &mut reader => return Ended::Down(why.unwrap_or_else(|_| "the reader stopped".into())),
        _ = wiring.shutdown.cancelled() => { reader.abort(); return Ended::Stopped }
    };
    let info = match init {
        Ok(Ok(info)) => info,
        Ok(Err(e)) => {
            reader.abort();
            return Ended::Down(format!("initialize failed: {e}"));
        }
        Err(_) => {
            reader.abort();
            return Ended::Down(format!(
                "no answer to initialize within {:?}",
                serving.connect_timeout
            ));
        }
    };
    conn.try_send(write_notification("notifications/initialized", NO_PARAMS));
    info!(backend = %alias, target = serving.target, protocol = %info.protocol_version, "{} backend up", serving.kind);
    let logs = info.capabilities.logging.is_some();
    link.send_replace(Link::Up(conn.clone()));
    if wiring.owner.is_none() {
        wiring.status.send_modify(|s| {
            s.health = Health::Up;
            s.info = Some(Arc::new(info));
            s.generation = serving.generation;
            s.attempted = true;
        });
    }
    let mut level = LevelSource::of(wiring);
    let mut wanted = if logs { level.current() } else { None };
    let ended = loop {
        if let Some(l) = wanted.take() {
            set_level(conn, &alias, l);
        }
        tokio::select! {
            why = &mut reader => break Ended::Down(why.unwrap_or_else(|_| "the reader stopped".into())),
            _ = wiring.shutdown.cancelled() => break Ended::Stopped,
            _ = conn.wedged() => break Ended::Down("stopped answering (calls timed out with nothing received)".into()),
            _ = wiring.restart.notified() => break Ended::Down("reconnecting after failed health checks".into()),
            next = level.changed(), if logs => wanted = next,
        }
    };
    reader.abort();
    ended
}

/// Where a connection's log level comes from: the most verbose any session asked for (shared
/// connections), or its own session's (per-session ones).
pub enum LevelSource {
    /// Follows every session's level.
    Shared(watch::Receiver<Option<LogLevel>>),
    /// Belongs to one session, whose `logging/setLevel` is forwarded to it as a call.
    Owner(Weak<Session>),
}

impl LevelSource {
    /// The source for a connection wired with `wiring`.
    pub fn of(wiring: &Wiring) -> LevelSource {
        match &wiring.owner {
            Some(owner) => LevelSource::Owner(owner.clone()),
            None => LevelSource::Shared(wiring.way_back.levels().watch()),
        }
    }

    /// The level now.
    pub fn current(&mut self) -> Option<LogLevel> {
        match self {
            LevelSource::Shared(rx) => *rx.borrow_and_update(),
            LevelSource::Owner(owner) => owner.upgrade().and_then(|s| s.log_level()),
        }
    }

    /// Resolves with the new level when it changes; never, for a per-session connection.
    pub async fn changed(&mut self) -> Option<LogLevel> {
        match self {
            LevelSource::Shared(rx) => match rx.changed().await {
                Ok(()) => *rx.borrow_and_update(),
                Err(_) => std::future::pending().await,
            },
            LevelSource::Owner(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll};

    use futures_util::task::noop_waker_ref;

    use super::*;

    fn conn() -> (Arc<Conn>, mpsc::Receiver<Vec<u8>>) {
        let (tx, rx) = mpsc::channel(8);
        (Arc::new(Conn::new(tx, None, "exited")), rx)
    }

    fn call(conn: &Arc<Conn>) -> impl Future<Output = Result<JsonRpcResponse, BoxError>> {
        conn.clone()
            .call(Arc::from("b"), JsonRpcRequest::new("tools/call", None))
    }

    /// The next message the connection queued for the backend.
    fn next_message(rx: &mut mpsc::Receiver<Vec<u8>>) -> serde_json::Value {
        let bytes = rx.try_recv().expect("a message went to the backend");
        serde_json::from_slice(&bytes).unwrap()
    }

    fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(noop_waker_ref()))
    }

    #[test]
    fn a_call_dropped_before_it_was_sent_is_forgotten_without_a_cancel() {
        let (conn, mut rx) = conn();
        let future = call(&conn);
        assert_eq!(conn.pending.len(), 1, "registered when the future is made");
        drop(future);
        assert_eq!(conn.pending.len(), 0);
        assert!(rx.try_recv().is_err(), "nothing went to the backend");
        assert_eq!(conn.abandoned.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_call_dropped_after_it_was_sent_is_cancelled_at_the_backend() {
        let (conn, mut rx) = conn();
        {
            let mut future = pin!(call(&conn));
            assert!(poll_once(future.as_mut()).is_pending());
            let sent = next_message(&mut rx);
            assert_eq!(sent["method"], "tools/call");
            assert_eq!(sent["id"], 1);
        }
        assert_eq!(conn.pending.len(), 0);
        let cancel = next_message(&mut rx);
        assert_eq!(cancel["method"], "notifications/cancelled");
        assert_eq!(cancel["params"]["requestId"], 1);
        assert_eq!(conn.abandoned.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn an_answered_call_sends_no_cancel() {
        let (conn, mut rx) = conn();
        let mut future = pin!(call(&conn));
        assert!(poll_once(future.as_mut()).is_pending());
        assert_eq!(next_message(&mut rx)["id"], 1);
        assert!(conn.pending.complete(1, Ok(RawJson::empty_object())));
        match poll_once(future.as_mut()) {
            Poll::Ready(Ok(response)) => assert!(response.outcome.is_ok()),
            other => panic!("expected the answer, got {:?}", other.map(|r| r.is_ok())),
        }
        assert!(rx.try_recv().is_err(), "no cancel after an answer");
        assert_eq!(conn.abandoned.load(Ordering::Relaxed), 0);
    }
}
