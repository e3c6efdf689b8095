//! The life of backend sessions: the gateway's own is kept up and listened to for as long as
//! the backend runs; a client session's is listened to while the client session lives, and
//! ended (DELETE) when it ends or idles.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, Method, StatusCode};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::exchange::{build, dispatch};
use super::slot::{BackendSession, Slot};
use super::{Shared, MAX_REPLY_BYTES};
use crate::backend::backoff::Backoff;
use crate::backend::sse::is_event_stream;
use crate::backend::sse_limit::EventLimit;
use crate::protocol::Message;

/// How long a DELETE of a backend session may take.
const DELETE_WAIT: Duration = Duration::from_secs(2);

/// Keeps the gateway's own backend session up and listens on its GET stream until shutdown.
pub(super) async fn supervise(shared: Arc<Shared>, slot: Arc<Slot>) {
    let mut backoff = Backoff::default();
    loop {
        let session = tokio::select! {
            s = slot.ensure(&shared) => s,
            _ = slot.stop.cancelled() => return,
        };
        if let Ok(session) = session {
            backoff.reset();
            tokio::select! {
                _ = listen(&shared, &slot, &session) => {}
                _ = slot.stop.cancelled() => {
                    close(&shared, &session).await;
                    return;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff.next_delay()) => {}
            _ = slot.stop.cancelled() => return,
        }
    }
}

/// Listens on a client session's backend session until the client session ends or the
/// backend session idles, then ends it.
pub(super) async fn serve_client(
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    session_id: Arc<str>,
    closed: CancellationToken,
    idle_timeout: Duration,
) {
    let why = tokio::select! {
        _ = closed.cancelled() => "its client session ended",
        _ = slot.stop.cancelled() => "the backend stopped",
        _ = idle(&shared, &slot, idle_timeout) => "it was idle",
        _ = keep_listening(&shared, &slot) => "its stream could not be kept open",
    };
    let removed = {
        let mut clients = shared.lock_clients();
        match clients.get(&session_id) {
            Some(current) if Arc::ptr_eq(current, &slot) => clients.remove(&session_id),
            _ => None,
        }
    };
    slot.stop.cancel();
    if let Some(session) = slot.current() {
        close(&shared, &session).await;
    }
    if removed.is_some() {
        debug!(backend = %shared.alias(), session = %session_id, reason = why, "ended a per-session backend session");
    }
}

/// Resolves once the slot has been idle (no call in flight, none started) for `limit`.
async fn idle(shared: &Shared, slot: &Slot, limit: Duration) {
    loop {
        let idle_for = Duration::from_millis(shared.now().saturating_sub(slot.last_used()));
        if idle_for >= limit && slot.in_flight.load(Ordering::Relaxed) == 0 {
            return;
        }
        let wait = limit
            .saturating_sub(idle_for)
            .max(limit / 4)
            .max(Duration::from_millis(10));
        tokio::time::sleep(wait).await;
    }
}

/// Listens on the slot's GET stream, reopening it while the session lasts.
async fn keep_listening(shared: &Arc<Shared>, slot: &Arc<Slot>) {
    let mut backoff = Backoff::default();
    loop {
        match slot.ensure(shared).await {
            Ok(session) => {
                listen(shared, slot, &session).await;
                backoff.reset();
            }
            Err(e) => {
                debug!(backend = %shared.alias(), error = %e, "per-session backend session not available")
            }
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

/// Holds the GET stream open while the session lives; returns when it ends.
async fn listen(shared: &Arc<Shared>, slot: &Slot, session: &Arc<BackendSession>) {
    let Ok(request) = build(
        shared,
        Method::GET,
        session,
        &HeaderMap::new(),
        Bytes::new(),
    ) else {
        return;
    };
    let response = match shared.client.send(request).await {
        Ok(r) => r,
        Err(e) => {
            debug!(backend = %shared.alias(), error = %e, "GET stream failed");
            return;
        }
    };
    match response.status() {
        s if s.is_success() && is_event_stream(response.headers()) => {}
        StatusCode::NOT_FOUND => {
            slot.invalidate(session);
            return;
        }
        s => {
            // 405: the backend offers no GET stream; nothing to listen to until it changes.
            debug!(backend = %shared.alias(), status = %s, "backend has no GET stream");
            wait_until_replaced(slot, session).await;
            return;
        }
    }
    let mut events =
        sse_stream::SseStream::new(EventLimit::new(response.into_body(), MAX_REPLY_BYTES));
    while let Some(Ok(event)) = events.next().await {
        if let Some(data) = event.data.filter(|d| !d.is_empty()) {
            if let Ok(message) = Message::parse(data.as_bytes()) {
                dispatch(shared, slot, session, slot.related(), message);
            }
        }
    }
}

/// Waits until the slot's session is replaced or stopped (re-checked now and then: a 404 on a
/// call empties the slot).
async fn wait_until_replaced(slot: &Slot, session: &Arc<BackendSession>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = slot.stop.cancelled() => return,
        }
        if !slot.current().is_some_and(|c| Arc::ptr_eq(&c, session)) {
            return;
        }
    }
}

/// Ends a backend session (DELETE), best effort.
async fn close(shared: &Shared, session: &BackendSession) {
    if session.id.is_none() {
        return;
    }
    if let Ok(request) = build(
        shared,
        Method::DELETE,
        session,
        &HeaderMap::new(),
        Bytes::new(),
    ) {
        if tokio::time::timeout(DELETE_WAIT, shared.client.send(request))
            .await
            .is_err()
        {
            info!(backend = %shared.alias(), "backend session not deleted within {DELETE_WAIT:?}");
        }
    }
}
