//! A client link: one connection that carries every message both ways on a single stream, as
//! the legacy HTTP+SSE transport, WebSocket and stdio do. The link owns the session its
//! `initialize` opens, runs each request in the background, and merges what goes back to the
//! client (answers, and everything the session's streams carry) into one outbound queue.
//!
//! The wires in `frontend/` only move bytes: they hand each incoming message to
//! [`Link::receive`] and write out what [`LinkReader::next`] yields.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::{CallError, Gateway, Inbound};
use crate::frontend::edge::Edge;
use crate::protocol::jsonrpc::write_response;
use crate::protocol::jsonrpc::ParseError;
use crate::protocol::{ErrorObject, Id, Message, Outcome};
use crate::session::events::{EventReader, Next};
use crate::session::Session;

/// Answers queued for a client that has not read them yet; past it the client is too slow and
/// the link is closed (its own connection only).
const ANSWER_QUEUE: usize = 256;

/// One client connection's side of the gateway.
pub struct Link {
    gateway: Gateway,
    principal: Option<Arc<str>>,
    session: Mutex<Option<Arc<Session>>>,
    answers: mpsc::Sender<Bytes>,
    /// Wakes the reader when the session appears (after `initialize`).
    opened: tokio::sync::watch::Sender<Option<Arc<Session>>>,
    wire: &'static str,
}

/// The outbound side of a link: answers, then whatever the session's GET stream carries.
pub struct LinkReader {
    answers: mpsc::Receiver<Bytes>,
    opened: tokio::sync::watch::Receiver<Option<Arc<Session>>>,
    events: Option<EventReader>,
    session_closed: Option<tokio_util::sync::CancellationToken>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("wire", &self.wire)
            .field("session", &self.session().map(|s| s.id.clone()))
            .finish()
    }
}

// === impl Link ===

impl Link {
    /// A new link over `wire` (for logs) for `principal`.
    pub fn new(
        gateway: &Gateway,
        principal: Option<Arc<str>>,
        wire: &'static str,
    ) -> (Arc<Link>, LinkReader) {
        let (answers, answers_rx) = mpsc::channel(ANSWER_QUEUE);
        let (opened, opened_rx) = tokio::sync::watch::channel(None);
        let link = Arc::new(Link {
            gateway: gateway.clone(),
            principal,
            session: Mutex::new(None),
            answers,
            opened,
            wire,
        });
        let reader = LinkReader {
            answers: answers_rx,
            opened: opened_rx,
            events: None,
            session_closed: None,
        };
        (link, reader)
    }

    /// The session, once `initialize` opened it.
    pub fn session(&self) -> Option<Arc<Session>> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Handles one message from the client.
    pub fn receive(self: &Arc<Self>, bytes: &[u8]) {
        let message = match Message::parse(bytes) {
            Ok(message) => message,
            Err(e) => return self.reply(None, Err(parse_error(&e))),
        };
        match message {
            Message::Request(req) if &*req.method == "initialize" => {
                let id = req.id.clone();
                if self.session().is_some() {
                    return self.reply(
                        Some(&id),
                        Err(ErrorObject::new(
                            crate::protocol::error_codes::INVALID_REQUEST,
                            "this connection is already initialized",
                        )),
                    );
                }
                match self.gateway.initialize(&req, self.principal.clone()) {
                    Ok((session, result)) => {
                        info!(wire = self.wire, session = %session.id, "session opened on a link");
                        *self.session.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(session.clone());
                        self.opened.send_replace(Some(session));
                        self.reply(Some(&id), Ok(result));
                    }
                    Err(e) => self.reply(Some(&id), Err(Edge::of(&e).error)),
                }
            }
            Message::Request(req) => {
                let id = req.id.clone();
                let Some(session) = self.session() else {
                    return self.reply(
                        Some(&id),
                        Err(ErrorObject::new(
                            crate::protocol::error_codes::INVALID_REQUEST,
                            "send initialize first",
                        )),
                    );
                };
                let inbound = Inbound {
                    session: Some(session),
                    principal: self.principal.clone(),
                    authorization: None,
                    // One stream carries everything: a call's messages go to the session's.
                    streamable: false,
                    trace: None,
                    modern: None,
                };
                match self.gateway.call(req, inbound) {
                    Ok(call) => {
                        let link = self.clone();
                        tokio::spawn(async move {
                            let result = call.future.await;
                            match result {
                                Err(CallError::Cancelled) => {}
                                Ok(result) => link.reply(Some(&id), Ok(result)),
                                Err(e) => link.reply(Some(&id), Err(Edge::of(&e).error)),
                            }
                        });
                    }
                    Err(e) => self.reply(Some(&id), Err(Edge::of(&e).error)),
                }
            }
            Message::Notification(n) => match self.session() {
                Some(session) => self.gateway.notification(&session, n),
                None => {
                    debug!(wire = self.wire, method = %n.method, "notification before initialize; ignored")
                }
            },
            Message::Response(r) => {
                let Some(session) = self.session() else {
                    return;
                };
                if let Err(unknown) = self.gateway.client_response(&session, r) {
                    info!(wire = self.wire, session = %session.id, error = %unknown, "client answered a request that is not waiting");
                    self.reply(
                        None,
                        Err(ErrorObject::new(
                            crate::protocol::error_codes::INVALID_REQUEST,
                            unknown.to_string(),
                        )),
                    );
                }
            }
        }
    }

    /// Queues an answer; a client too slow to take it loses its link.
    fn reply(&self, id: Option<&Id>, outcome: Outcome) {
        let bytes = Bytes::from(write_response(id, &outcome));
        if self.answers.try_send(bytes).is_err() {
            warn!(
                wire = self.wire,
                "client does not read its answers; closing its connection"
            );
            metrics::counter!(crate::telemetry::metrics::STREAM_OVERFLOWS, "kind" => "link")
                .increment(1);
            self.close();
        }
    }

    /// Ends the link: its session ends with it.
    pub fn close(&self) {
        if let Some(session) = self
            .session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            self.gateway.sessions().remove(&session.id);
            info!(wire = self.wire, session = %session.id, "session ended with its connection");
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.close();
    }
}

fn parse_error(e: &ParseError) -> ErrorObject {
    e.to_error_object()
}

// === impl LinkReader ===

impl LinkReader {
    /// The next message for the client; `None` when the link or its session ended.
    pub async fn next(&mut self) -> Option<Bytes> {
        loop {
            if self.events.is_none() {
                if let Some(session) = self.opened.borrow_and_update().clone() {
                    let log = session.outbound().get_stream();
                    self.events = Some(log.reader(log.read_up_to()));
                    self.session_closed = Some(session.closed.clone());
                }
            }
            let closed = self.session_closed.clone();
            tokio::select! {
                biased;
                answer = self.answers.recv() => return answer,
                next = next_event(&mut self.events) => match next {
                    Next::Event(_, message) => return Some(message),
                    Next::Lagged => {
                        warn!("client fell behind its session's stream; closing its connection");
                        metrics::counter!(crate::telemetry::metrics::STREAM_OVERFLOWS, "kind" => "get").increment(1);
                        return None;
                    }
                    Next::Closed | Next::Replaced => return None,
                },
                changed = self.opened.changed(), if self.events.is_none() => {
                    if changed.is_err() {
                        return None;
                    }
                }
                _ = wait_closed(closed) => return None,
            }
        }
    }
}

async fn next_event(events: &mut Option<EventReader>) -> Next {
    match events {
        Some(reader) => reader.next().await,
        None => std::future::pending().await,
    }
}

async fn wait_closed(token: Option<tokio_util::sync::CancellationToken>) {
    match token {
        Some(token) => token.cancelled().await,
        None => std::future::pending().await,
    }
}
