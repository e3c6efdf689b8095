//! The way back: everything a backend sends that is not the answer its transport waits for is
//! handed here, and routed to the client it belongs to.
//!
//! A transport says what it knows of the message's origin ([`Related`]): the exact call when
//! the wire says so (a message on an HTTP call's event stream), the calls in flight on the
//! connection (a shared stdio process), or the one session that owns the connection (a
//! per-session process or backend session). Progress is routed by its token, resource updates
//! by subscription, and anything that cannot be attributed goes only where it was asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use tracing::{debug, warn};

use super::call::CallContext;
use super::client::Ask;
use super::listeners::Listeners;
use super::log_levels::{admits, LogLevels};
use super::modern::ModernCall;
use super::progress::{self, ProgressMap};
use super::subscriptions::Subscriptions;
use super::{Session, SessionStore};
use crate::protocol::error_codes;
use crate::protocol::jsonrpc::{to_raw, write_notification, write_request};
use crate::protocol::mcp::LogLevel;
use crate::protocol::{ErrorObject, Id, Notification, Outcome, RawJson, Request};

/// How long after a session sends `roots/list_changed` a shared backend's `roots/list` with
/// no call in flight is taken to be for that session.
const ROOTS_HINT_FOR: Duration = Duration::from_secs(30);

/// Which backend a message came from.
#[derive(Debug, Clone)]
pub struct BackendRef {
    /// The alias.
    pub alias: Arc<str>,
    /// The registry slot (a small number, for per-session bookkeeping).
    pub slot: usize,
}

/// What a transport knows of where a message belongs.
#[derive(Debug, Clone)]
pub enum Related {
    /// The message arrived for this call (on its response stream).
    Call(Arc<CallContext>),
    /// The connection carries these calls now; the message may belong to any of them.
    InFlight(Vec<Arc<CallContext>>),
    /// The connection belongs to one session.
    Session(Weak<Session>),
    /// Nothing is known (a shared connection's stream of its own).
    Nothing,
}

/// Routes backend-originated messages to clients.
#[derive(Debug)]
pub struct WayBack {
    sessions: Arc<SessionStore>,
    progress: Arc<ProgressMap>,
    subscriptions: Arc<Subscriptions>,
    levels: Arc<LogLevels>,
    listeners: Listeners,
    ask_timeout: Duration,
    roots_hints: Mutex<HashMap<Arc<str>, RootsHint>>,
}

/// The session that last told a shared backend its roots changed, and when.
type RootsHint = (Weak<Session>, Instant);

/// Where a request to a client goes.
enum Target {
    Call(Arc<CallContext>),
    Session(Arc<Session>),
}

// === impl WayBack ===

impl WayBack {
    /// Routes over `sessions`; requests to clients wait at most `ask_timeout` for an answer.
    pub fn new(sessions: Arc<SessionStore>, ask_timeout: Duration) -> Self {
        WayBack {
            sessions,
            progress: Arc::new(ProgressMap::default()),
            subscriptions: Arc::new(Subscriptions::default()),
            levels: Arc::new(LogLevels::default()),
            listeners: Listeners::default(),
            ask_timeout,
            roots_hints: Mutex::new(HashMap::new()),
        }
    }

    /// Progress tokens of calls in flight.
    pub fn progress(&self) -> &Arc<ProgressMap> {
        &self.progress
    }

    /// Resource subscriptions.
    pub fn subscriptions(&self) -> &Arc<Subscriptions> {
        &self.subscriptions
    }

    /// Modern-era clients' listen streams.
    pub fn listeners(&self) -> &Listeners {
        &self.listeners
    }

    /// Log levels across sessions.
    pub fn levels(&self) -> &Arc<LogLevels> {
        &self.levels
    }

    /// Remembers that `session` told a shared backend its roots changed, so the backend's
    /// `roots/list` that follows (with no call in flight) goes to it.
    pub fn hint_roots(&self, backend: &Arc<str>, session: &Arc<Session>) {
        self.roots_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(backend.clone(), (Arc::downgrade(session), Instant::now()));
    }

    /// Sends `message` on the GET stream of every session (a catalog change).
    pub fn broadcast(&self, message: &Bytes) {
        for session in self.sessions.all() {
            session.outbound().get_stream().push(message.clone());
        }
    }

    /// Routes a notification from a backend.
    pub fn notify(&self, from: &BackendRef, related: Related, n: &Notification) {
        match &*n.method {
            "notifications/progress" => self.progress_update(from, n),
            "notifications/message" => self.log_message(from, related, n),
            "notifications/resources/updated" => self.resource_updated(from, related, n),
            "notifications/tools/list_changed"
            | "notifications/prompts/list_changed"
            | "notifications/resources/list_changed" => {
                // The catalog refetches and tells every session if the merged lists changed;
                // a connection owned by one session also tells that session directly, since
                // its own view may have changed where the catalog's did not.
                if let Related::Session(owner) = related {
                    if let Some(session) = owner.upgrade() {
                        session
                            .outbound()
                            .get_stream()
                            .push(Bytes::from(write_notification(
                                &n.method,
                                n.params.as_deref(),
                            )));
                    }
                }
            }
            other => match related {
                Related::Call(ctx) => {
                    ctx.push(Bytes::from(write_notification(other, n.params.as_deref())));
                }
                _ => {
                    debug!(backend = %from.alias, method = other, "notification for no client; dropped")
                }
            },
        }
    }

    fn progress_update(&self, from: &BackendRef, n: &Notification) {
        let Some(params) = n.params.as_deref() else {
            return;
        };
        match progress::restore(&self.progress, params) {
            Some((owner, params)) => {
                owner.push(Bytes::from(write_notification(&n.method, Some(&params))));
            }
            None => {
                debug!(backend = %from.alias, "progress for no call in flight (finished or unknown token); dropped")
            }
        }
    }

    fn log_message(&self, from: &BackendRef, related: Related, n: &Notification) {
        #[derive(Deserialize)]
        struct Level<'a> {
            #[serde(borrow)]
            level: &'a str,
        }
        let level = n
            .params
            .as_deref()
            .and_then(|p| serde_json::from_str::<Level<'_>>(p.get()).ok())
            .and_then(|l| LogLevel::parse(l.level))
            .unwrap_or(LogLevel::Info);
        let message = || Bytes::from(write_notification(&n.method, n.params.as_deref()));
        let caller = match related {
            Related::Call(ctx) => Some(ctx),
            Related::InFlight(calls) => only_session(&calls),
            Related::Session(owner) => {
                if let Some(session) = owner.upgrade() {
                    if admits(session.log_level(), level) {
                        session.outbound().get_stream().push(message());
                    }
                }
                return;
            }
            Related::Nothing => None,
        };
        match caller {
            // A modern client's request names the level it wants, and without one it wants
            // no logs at all.
            Some(ctx) if ctx.modern().is_some() => {
                let wanted = ctx.modern().and_then(|m| m.log_level());
                if wanted.is_some() && admits(wanted, level) {
                    ctx.push(message());
                }
            }
            Some(ctx) => {
                let wanted = ctx.session().and_then(|s| s.log_level());
                if admits(wanted, level) {
                    ctx.push(message());
                }
            }
            // Between calls, or among several clients' calls: only the sessions that asked
            // for logs and use this backend get it, each at its own level.
            None => {
                for session in self.sessions.all() {
                    let asked = session.log_level();
                    if asked.is_some() && admits(asked, level) && session.has_used(from.slot) {
                        session.outbound().get_stream().push(message());
                    }
                }
            }
        }
    }

    fn resource_updated(&self, from: &BackendRef, related: Related, n: &Notification) {
        #[derive(Deserialize)]
        struct Uri {
            uri: String,
        }
        let Some(uri) = n
            .params
            .as_deref()
            .and_then(|p| serde_json::from_str::<Uri>(p.get()).ok())
        else {
            return;
        };
        let message = Bytes::from(write_notification(&n.method, n.params.as_deref()));
        let watchers = self.subscriptions.watchers(&from.alias, &uri.uri);
        let only = match &related {
            Related::Session(owner) => Some(owner.upgrade()),
            _ => None,
        };
        for id in watchers {
            if let Some(only) = &only {
                if only.as_ref().is_none_or(|s| s.id != id) {
                    continue;
                }
            }
            if Listeners::is_watcher(&id) {
                // A gone stream's watch is released by the gateway's next prune.
                self.listeners.resource_updated(&id, n.params.as_deref());
            } else if let Some(session) = self.sessions.get(&id) {
                session.outbound().get_stream().push(message.clone());
            }
        }
    }

    /// Forwards a backend's request to the client it belongs to and waits for the answer,
    /// which the transport then sends back to the backend under the backend's own id.
    pub async fn ask(&self, from: &BackendRef, related: Related, request: Request) -> Outcome {
        if &*request.method == "ping" {
            // The gateway is the backend's client: it answers for itself.
            return Ok(RawJson::empty_object());
        }
        let target = self.target(from, related, &request.method)?;
        if let Target::Call(ctx) = &target {
            if let Some(modern) = ctx.modern() {
                return self.ask_modern(from, modern, request).await;
            }
        }
        let session = match &target {
            Target::Call(ctx) => ctx.session().cloned().ok_or_else(|| no_client(from))?,
            Target::Session(session) => session.clone(),
        };
        let ask = Ask::of(&request.method, request.params.as_deref());
        if !session.client().caps.answers(ask) {
            return Err(ErrorObject::new(
                error_codes::METHOD_NOT_FOUND,
                format!(
                    "the client did not declare the `{}` capability, so it cannot answer `{}`",
                    ask.capability(),
                    request.method
                ),
            ));
        }
        let (id, answer) = session.ask();
        let mut guard = AskGuard {
            session: &session,
            target: &target,
            id,
            armed: true,
        };
        let message = Bytes::from(write_request(
            &Id::Number(id),
            &request.method,
            request.params.as_deref(),
        ));
        if !guard.push(message) {
            guard.armed = false;
            session.forget_ask(id);
            return Err(ErrorObject::internal(format!(
                "`{}` could not be sent to the client: its stream is closed",
                request.method
            )));
        }
        let outcome = tokio::select! {
            answer = answer => answer,
            _ = tokio::time::sleep(self.ask_timeout) => {
                warn!(backend = %from.alias, session = %session.id, method = %request.method, timeout = ?self.ask_timeout, "client did not answer a server request in time");
                return Err(ErrorObject::new(
                    error_codes::CLIENT_DID_NOT_ANSWER,
                    format!("the client did not answer `{}` within {:?}", request.method, self.ask_timeout),
                ));
            }
        };
        guard.armed = false;
        outcome.map_err(|_| {
            ErrorObject::internal(format!(
                "the client session ended before answering `{}`",
                request.method
            ))
        })?
    }

    /// A request for a modern client's call waits for the client's next round: the frontend
    /// answers the call with an `InputRequiredResult` and brings the answer back.
    async fn ask_modern(
        &self,
        from: &BackendRef,
        modern: &ModernCall,
        request: Request,
    ) -> Outcome {
        let ask = Ask::of(&request.method, request.params.as_deref());
        if !modern.caps().answers(ask) {
            return Err(ErrorObject::new(
                error_codes::METHOD_NOT_FOUND,
                format!(
                    "the client's request did not declare the `{}` capability, so it cannot answer `{}`",
                    ask.capability(),
                    request.method
                ),
            ));
        }
        let answer = modern.ask(&request.method, request.params);
        tokio::select! {
            answer = answer => answer.unwrap_or_else(|_| Err(ErrorObject::internal(format!(
                "the client did not come back to answer `{}`: the call was cancelled or expired",
                request.method
            )))),
            _ = tokio::time::sleep(self.ask_timeout) => {
                warn!(backend = %from.alias, method = %request.method, timeout = ?self.ask_timeout, "modern client did not answer a server request in time");
                Err(ErrorObject::new(
                    error_codes::CLIENT_DID_NOT_ANSWER,
                    format!("the client did not answer `{}` within {:?}", request.method, self.ask_timeout),
                ))
            }
        }
    }

    /// Picks the call or session a request from a backend goes to.
    fn target(
        &self,
        from: &BackendRef,
        related: Related,
        method: &str,
    ) -> Result<Target, ErrorObject> {
        match related {
            Related::Call(ctx) if ctx.has_ended() => Err(ErrorObject::internal(format!(
                "`{method}` arrived for a call that has already ended; nothing waits for its answer"
            ))),
            Related::Call(ctx) => Ok(Target::Call(ctx)),
            Related::Session(owner) => owner
                .upgrade()
                .map(Target::Session)
                .ok_or_else(|| no_client(from)),
            Related::InFlight(calls) => {
                if let Some(ctx) = only_session(&calls) {
                    return Ok(Target::Call(ctx));
                }
                let sessions = distinct_sessions(&calls);
                if sessions > 1 {
                    return Err(ErrorObject::internal(format!(
                        "`{method}` from shared backend `{}` cannot be attributed: {sessions} clients have calls in flight on it; give the backend `pool = \"per-session\"`",
                        from.alias
                    )));
                }
                self.roots_hint(from, method).ok_or_else(|| no_client(from))
            }
            Related::Nothing => self.roots_hint(from, method).ok_or_else(|| no_client(from)),
        }
    }

    fn roots_hint(&self, from: &BackendRef, method: &str) -> Option<Target> {
        if method != "roots/list" {
            return None;
        }
        let hints = self
            .roots_hints
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (session, at) = hints.get(&from.alias)?;
        (at.elapsed() < ROOTS_HINT_FOR)
            .then(|| session.upgrade())
            .flatten()
            .map(Target::Session)
    }
}

/// The newest call when every call in `calls` belongs to one session, or the one call when a
/// single modern client's call is in flight (modern calls share no session).
fn only_session(calls: &[Arc<CallContext>]) -> Option<Arc<CallContext>> {
    let mut live = calls.iter().filter(|c| c.has_client() && !c.has_ended());
    let first = live.next()?;
    let alone = live.clone().next().is_none();
    if first.modern().is_some() || live.any(|c| c.modern().is_some()) {
        return alone.then(|| first.clone());
    }
    let mut with_session = calls
        .iter()
        .filter(|c| c.session().is_some() && !c.has_ended());
    let first = with_session.next()?;
    let session = first.session()?;
    let mut newest = first;
    for ctx in with_session {
        if !ctx.session().is_some_and(|s| Arc::ptr_eq(s, session)) {
            return None;
        }
        if ctx.seq() > newest.seq() {
            newest = ctx;
        }
    }
    Some(newest.clone())
}

/// How many clients have calls in `calls` (each modern call is a client of its own).
fn distinct_sessions(calls: &[Arc<CallContext>]) -> usize {
    let mut ids: Vec<&str> = calls
        .iter()
        .filter_map(|c| c.session().map(|s| &*s.id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
        + calls
            .iter()
            .filter(|c| c.modern().is_some() && !c.has_ended())
            .count()
}

fn no_client(from: &BackendRef) -> ErrorObject {
    ErrorObject::internal(format!(
        "no client call is in flight on backend `{}`, so there is no client to ask",
        from.alias
    ))
}

/// Withdraws a request from the client when the backend stops waiting for it (timed out,
/// cancelled, or the connection closed): the id is forgotten and the client is told.
struct AskGuard<'a> {
    session: &'a Arc<Session>,
    target: &'a Target,
    id: i64,
    armed: bool,
}

impl AskGuard<'_> {
    fn push(&self, message: Bytes) -> bool {
        match self.target {
            Target::Call(ctx) => ctx.push(message),
            Target::Session(session) => session.outbound().get_stream().push(message).is_some(),
        }
    }
}

impl Drop for AskGuard<'_> {
    fn drop(&mut self) {
        if self.armed && self.session.forget_ask(self.id) {
            let params = to_raw(&serde_json::json!({
                "requestId": self.id,
                "reason": "the server no longer waits for this answer",
            }));
            self.push(Bytes::from(write_notification(
                "notifications/cancelled",
                Some(&params),
            )));
        }
    }
}

#[cfg(test)]
mod tests;
