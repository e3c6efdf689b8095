//! `EventLog`: one outbound stream of a session (its GET stream, or the response stream of one
//! call), kept as a bounded window of numbered events so a client that reconnects with
//! `Last-Event-ID` gets what it missed.
//!
//! Writers never wait: a push beyond the window drops the oldest events. A reader that falls
//! behind the window has lost messages and is told so ([`Next::Lagged`]): its stream ends,
//! which is how a client that does not read loses its own stream without slowing the backend
//! or anyone else.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::sync::Notify;

/// How much of a stream is kept for replay and for a slow reader.
#[derive(Debug, Clone)]
pub struct Window {
    /// Most events kept.
    pub events: usize,
    /// Most bytes of event data kept.
    pub bytes: usize,
    /// The bytes every stream of the gateway keeps together, shared by all windows.
    pub budget: Arc<Budget>,
}

/// A bound on the event data all streams keep together: past it, a stream that pushes drops
/// its own oldest events (keeping at least the newest), so the worst case of the whole gateway
/// is this budget plus one event per stream, whatever the number of sessions.
#[derive(Debug)]
pub struct Budget {
    used: AtomicUsize,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes.
    pub fn new(max: usize) -> Arc<Budget> {
        Arc::new(Budget {
            used: AtomicUsize::new(0),
            max,
        })
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn over(&self) -> bool {
        self.used() > self.max
    }
}

impl Default for Window {
    fn default() -> Self {
        Window {
            events: 256,
            bytes: 1024 * 1024,
            budget: Budget::new(usize::MAX / 2),
        }
    }
}

/// A stream's events: sequence numbers start at 1 (0 is the priming event's id).
#[derive(Debug)]
pub struct EventLog {
    stream: u64,
    window: Window,
    state: Mutex<LogState>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct LogState {
    events: VecDeque<Bytes>,
    /// Sequence number of `events[0]`.
    first_seq: u64,
    bytes: usize,
    closed: bool,
    /// Bumped when a reader attaches; an older reader sees [`Next::Replaced`].
    reader: u64,
    /// Events dropped from the window before any reader saw them.
    unread_dropped: u64,
    /// Highest sequence number a reader has taken.
    read_up_to: u64,
}

/// What a reader gets next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The event with this sequence number.
    Event(u64, Bytes),
    /// Events this reader had not read were dropped from the window: the stream is broken.
    Lagged,
    /// The stream ended (the call answered, or the session closed).
    Closed,
    /// Another reader took the stream over (the client reconnected).
    Replaced,
}

/// One reader's position in an [`EventLog`].
#[derive(Debug)]
pub struct EventReader {
    log: Arc<EventLog>,
    next_seq: u64,
    generation: u64,
}

// === impl EventLog ===

impl EventLog {
    /// An empty, open stream with id `stream` within its session.
    pub fn new(stream: u64, window: Window) -> Self {
        EventLog {
            stream,
            window,
            state: Mutex::new(LogState {
                first_seq: 1,
                ..LogState::default()
            }),
            wake: Notify::new(),
        }
    }

    /// The stream's id within its session.
    pub fn stream(&self) -> u64 {
        self.stream
    }

    /// Appends an event and returns its sequence number; `None` once the stream is closed.
    pub fn push(&self, data: Bytes) -> Option<u64> {
        let seq = {
            let mut state = self.lock();
            if state.closed {
                return None;
            }
            state.bytes += data.len();
            self.window
                .budget
                .used
                .fetch_add(data.len(), Ordering::Relaxed);
            state.events.push_back(data);
            while state.events.len() > 1
                && (state.events.len() > self.window.events
                    || state.bytes > self.window.bytes
                    || self.window.budget.over())
            {
                let dropped = state
                    .events
                    .pop_front()
                    .expect("more than one event is queued");
                state.bytes -= dropped.len();
                self.window
                    .budget
                    .used
                    .fetch_sub(dropped.len(), Ordering::Relaxed);
                if state.first_seq > state.read_up_to {
                    state.unread_dropped += 1;
                }
                state.first_seq += 1;
            }
            state.first_seq + state.events.len() as u64 - 1
        };
        self.wake.notify_waiters();
        Some(seq)
    }

    /// Ends the stream; readers get what is queued, then [`Next::Closed`].
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_waiters();
    }

    /// Whether the stream has ended.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// How many readers have attached so far (a new one means the client reconnected).
    pub fn readers(&self) -> u64 {
        self.lock().reader
    }

    /// The sequence number after the last event any reader took: where a new reader that
    /// names no event should start, so it gets what nobody read yet.
    pub fn read_up_to(&self) -> u64 {
        let state = self.lock();
        state.read_up_to.max(state.first_seq.saturating_sub(1))
    }

    /// Events dropped before any reader took them (a client that was not reading).
    pub fn unread_dropped(&self) -> u64 {
        self.lock().unread_dropped
    }

    /// Attaches a reader after sequence number `after` (`0`: from the start of what is kept),
    /// taking the stream over from any earlier reader.
    pub fn reader(self: &Arc<Self>, after: u64) -> EventReader {
        let generation = {
            let mut state = self.lock();
            state.reader += 1;
            state.reader
        };
        self.wake.notify_waiters();
        EventReader {
            log: self.clone(),
            next_seq: after + 1,
            generation,
        }
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        // Every critical section leaves the state whole, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for EventLog {
    fn drop(&mut self) {
        let held = self.lock().bytes;
        self.window.budget.used.fetch_sub(held, Ordering::Relaxed);
    }
}

// === impl EventReader ===

impl EventReader {
    /// The stream being read.
    pub fn stream(&self) -> u64 {
        self.log.stream
    }

    /// Waits for the next event.
    pub async fn next(&mut self) -> Next {
        let log = self.log.clone();
        loop {
            let notified = log.wake.notified();
            tokio::pin!(notified);
            // Registered before looking, so a push between the look and the wait still wakes.
            notified.as_mut().enable();
            if let Some(next) = self.try_next() {
                return next;
            }
            notified.await;
        }
    }

    /// The next event if one is ready.
    pub fn try_next(&mut self) -> Option<Next> {
        let mut state = self.log.lock();
        if state.reader != self.generation {
            return Some(Next::Replaced);
        }
        if self.next_seq < state.first_seq {
            return Some(Next::Lagged);
        }
        let index = (self.next_seq - state.first_seq) as usize;
        if let Some(event) = state.events.get(index).cloned() {
            let seq = self.next_seq;
            self.next_seq += 1;
            state.read_up_to = state.read_up_to.max(seq);
            return Some(Next::Event(seq, event));
        }
        state.closed.then_some(Next::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(events: usize, bytes: usize) -> Arc<EventLog> {
        Arc::new(EventLog::new(
            3,
            Window {
                events,
                bytes,
                ..Window::default()
            },
        ))
    }

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[tokio::test]
    async fn a_reader_gets_events_in_order_then_the_end() {
        let log = log(8, 1024);
        let mut reader = log.reader(0);
        assert_eq!(log.push(b("a")), Some(1));
        assert_eq!(log.push(b("b")), Some(2));
        log.close();
        assert_eq!(log.push(b("late")), None);
        assert_eq!(reader.next().await, Next::Event(1, b("a")));
        assert_eq!(reader.next().await, Next::Event(2, b("b")));
        assert_eq!(reader.next().await, Next::Closed);
    }

    #[tokio::test]
    async fn a_waiting_reader_wakes_on_push() {
        let log = log(8, 1024);
        let mut reader = log.reader(0);
        let waiting = tokio::spawn(async move { reader.next().await });
        tokio::task::yield_now().await;
        log.push(b("x"));
        assert_eq!(waiting.await.unwrap(), Next::Event(1, b("x")));
    }

    #[tokio::test]
    async fn a_reconnecting_reader_resumes_after_its_last_event() {
        let log = log(8, 1024);
        for s in ["a", "b", "c"] {
            log.push(b(s));
        }
        let mut first = log.reader(0);
        assert_eq!(first.next().await, Next::Event(1, b("a")));
        let mut again = log.reader(1);
        assert_eq!(first.next().await, Next::Replaced);
        assert_eq!(again.next().await, Next::Event(2, b("b")));
        assert_eq!(again.next().await, Next::Event(3, b("c")));
    }

    #[test]
    fn a_reader_behind_the_window_is_told_it_lagged() {
        let log = log(2, 1024);
        let mut reader = log.reader(0);
        for s in ["a", "b", "c"] {
            log.push(b(s));
        }
        assert_eq!(reader.try_next(), Some(Next::Lagged));
        assert_eq!(log.unread_dropped(), 1);
    }

    #[test]
    fn the_shared_budget_bounds_every_stream_together() {
        let budget = Budget::new(10);
        let window = Window {
            events: 100,
            bytes: 100,
            budget: budget.clone(),
        };
        let (one, two) = (EventLog::new(1, window.clone()), EventLog::new(2, window));
        one.push(b("aaaaaa"));
        two.push(b("bbbbbb"));
        // Over the budget: the stream that pushed dropped its own oldest event, down to one.
        two.push(b("cc"));
        assert_eq!(budget.used(), 8);
        drop(one);
        assert_eq!(budget.used(), 2);
    }

    #[test]
    fn the_byte_bound_drops_old_events_but_keeps_the_newest() {
        let log = log(100, 4);
        log.push(b("aaa"));
        log.push(b("bbb"));
        let mut reader = log.reader(1);
        assert_eq!(reader.try_next(), Some(Next::Event(2, b("bbb"))));
        // One event larger than the whole window is still delivered.
        log.push(Bytes::from(vec![b'x'; 10]));
        assert!(matches!(reader.try_next(), Some(Next::Event(3, _))));
    }
}
