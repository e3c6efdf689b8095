//! A session's outbound streams: stream 0 is its GET stream (what belongs to no call), and each
//! call that sends something before its answer gets a stream of its own. Streams are kept here
//! while they may still be resumed with `Last-Event-ID`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use super::events::{EventLog, Window};

/// The GET stream's id.
pub const GET_STREAM: u64 = 0;

/// Most call streams a session keeps for resumption; older finished ones are forgotten first.
const KEPT_CALL_STREAMS: usize = 32;

/// The streams of one session.
#[derive(Debug)]
pub struct Outbound {
    window: Window,
    get: OnceLock<Arc<EventLog>>,
    next_stream: AtomicU64,
    calls: Mutex<VecDeque<Arc<EventLog>>>,
}

/// An SSE event id, `{stream}-{seq}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId {
    /// The stream within the session.
    pub stream: u64,
    /// The event's sequence number in that stream (0: the priming event).
    pub seq: u64,
}

// === impl Outbound ===

impl Outbound {
    /// No streams yet; each will keep `window` for replay.
    pub fn new(window: Window) -> Self {
        Outbound {
            window,
            get: OnceLock::new(),
            next_stream: AtomicU64::new(GET_STREAM + 1),
            calls: Mutex::new(VecDeque::new()),
        }
    }

    /// The GET stream, created on first use.
    pub fn get_stream(&self) -> &Arc<EventLog> {
        self.get
            .get_or_init(|| Arc::new(EventLog::new(GET_STREAM, self.window.clone())))
    }

    /// The GET stream if anything was ever sent on it.
    pub fn get_stream_if_open(&self) -> Option<&Arc<EventLog>> {
        self.get.get()
    }

    /// A new stream for one call's messages.
    pub fn open_call_stream(&self) -> Arc<EventLog> {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let log = Arc::new(EventLog::new(id, self.window.clone()));
        let mut calls = self.lock();
        if calls.len() >= KEPT_CALL_STREAMS {
            // Forget a finished stream first; if every kept stream is live, the oldest.
            let at = calls.iter().position(|l| l.is_closed()).unwrap_or(0);
            calls.remove(at);
        }
        calls.push_back(log.clone());
        log
    }

    /// The stream an event id belongs to, if it is still kept.
    pub fn find(&self, stream: u64) -> Option<Arc<EventLog>> {
        if stream == GET_STREAM {
            return Some(self.get_stream().clone());
        }
        self.lock().iter().find(|l| l.stream() == stream).cloned()
    }

    /// Forgets a call stream whose every event was read by the client.
    pub fn finished(&self, stream: u64) {
        self.lock().retain(|l| l.stream() != stream);
    }

    /// Ends every stream (the session ended).
    pub fn close_all(&self) {
        if let Some(get) = self.get.get() {
            get.close();
        }
        for log in self.lock().drain(..) {
            log.close();
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Arc<EventLog>>> {
        // Single pushes and removes: a poisoned lock is still consistent.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

// === impl EventId ===

impl EventId {
    /// Reads `Last-Event-ID`.
    pub fn parse(text: &str) -> Option<EventId> {
        let (stream, seq) = text.trim().split_once('-')?;
        Some(EventId {
            stream: stream.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.stream, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_and_junk_is_refused() {
        let id = EventId { stream: 4, seq: 17 };
        assert_eq!(EventId::parse(&id.to_string()), Some(id));
        assert_eq!(EventId::parse("x-1"), None);
        assert_eq!(EventId::parse("12"), None);
    }

    #[test]
    fn call_streams_are_found_until_finished_and_bounded() {
        let out = Outbound::new(Window::default());
        let first = out.open_call_stream();
        assert_ne!(first.stream(), GET_STREAM);
        assert!(out.find(first.stream()).is_some());
        out.finished(first.stream());
        assert!(out.find(first.stream()).is_none());
        let streams: Vec<_> = (0..KEPT_CALL_STREAMS + 5)
            .map(|_| out.open_call_stream())
            .collect();
        assert!(out.find(streams[0].stream()).is_none());
        assert!(out.find(streams.last().unwrap().stream()).is_some());
        assert!(out.find(GET_STREAM).is_some());
    }
}
