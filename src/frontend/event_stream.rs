//! Server-sent-event bodies read from a session's [`EventLog`]: a priming event (an id, empty
//! data and the `retry` hint of the 2025-11-25 transport) so the client can resume, then one
//! event per message, each with the id `{stream}-{seq}` that `Last-Event-ID` names, and comment
//! lines while idle so proxies keep the stream open.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Response};
use http_body_util::{BodyExt, StreamBody};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::body::Body;
use crate::session::events::{EventLog, EventReader, Next};
use crate::session::outbound::EventId;
use crate::session::CallContext;

/// How often an idle event stream gets a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The reconnection delay suggested to clients, in milliseconds.
const RETRY_MS: u64 = 1000;

/// What a stream body does when it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The session's GET stream.
    Get,
    /// A call's response stream.
    Call,
    /// A modern client's `subscriptions/listen` stream.
    Listen,
}

impl Kind {
    /// The `kind` label of stream metrics.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Get => "get",
            Kind::Call => "call",
            Kind::Listen => "listen",
        }
    }
}

/// An SSE response that reads `reader`; ends when the stream closes, the session ends, the
/// gateway shuts down, or the client falls behind the replay window.
pub fn response(
    reader: EventReader,
    kind: Kind,
    prime: bool,
    session_closed: CancellationToken,
    shutdown: CancellationToken,
    on_cut: Option<OnCut>,
) -> Response<Body> {
    let priming = prime.then(|| priming_event(reader.stream()));
    metrics::gauge!(crate::telemetry::metrics::STREAMS_ACTIVE, "kind" => kind.label())
        .increment(1.0);
    let state = State {
        reader,
        kind,
        priming,
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
        session_closed,
        shutdown,
        finished: false,
        on_cut,
    };
    streaming(stream::unfold(state, |mut state| async move {
        let frame = state.next_frame().await?;
        Some((frame, state))
    }))
}

/// An event-stream response whose body is `frames`, as they come.
pub fn streaming<S>(frames: S) -> Response<Body>
where
    S: futures_util::Stream<Item = Bytes> + Send + 'static,
{
    use futures_util::StreamExt;
    let frames = frames.map(|frame| Ok::<_, Infallible>(http_body::Frame::data(frame)));
    with_headers(
        StreamBody::new(frames)
            .map_err(|never| match never {})
            .boxed_unsync(),
    )
}

/// `body` as an event stream: its content type, and no caching.
pub fn with_headers(body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// One event carrying a JSON-RPC message.
pub fn event(id: Option<EventId>, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 48);
    if let Some(id) = id {
        out.extend_from_slice(format!("id: {id}\n").as_bytes());
    }
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

fn priming_event(stream: u64) -> Bytes {
    Bytes::from(format!(
        "id: {}\nretry: {RETRY_MS}\ndata: \n\n",
        EventId { stream, seq: 0 }
    ))
}

/// Runs when a call's stream is cut before its end (the client went away): the call keeps
/// running for a grace period in case the client resumes it with `Last-Event-ID`, and is
/// cancelled if it does not.
#[derive(Debug)]
pub struct OnCut {
    /// The call's stream.
    pub log: Arc<EventLog>,
    /// The call, cancelled if its client does not come back.
    pub call: Arc<CallContext>,
    /// How long to wait for a resume.
    pub grace: Duration,
}

struct State {
    reader: EventReader,
    kind: Kind,
    priming: Option<Bytes>,
    keep_alive: tokio::time::Interval,
    session_closed: CancellationToken,
    shutdown: CancellationToken,
    finished: bool,
    on_cut: Option<OnCut>,
}

impl State {
    async fn next_frame(&mut self) -> Option<Bytes> {
        if let Some(priming) = self.priming.take() {
            return Some(priming);
        }
        if self.finished {
            return None;
        }
        tokio::select! {
            next = self.reader.next() => match next {
                Next::Event(seq, message) => {
                    let id = EventId { stream: self.reader.stream(), seq };
                    Some(event(Some(id), &message))
                }
                Next::Closed | Next::Replaced => {
                    self.finish();
                    None
                }
                Next::Lagged => {
                    self.finish();
                    let kind = self.kind.label();
                    warn!(stream = self.reader.stream(), kind, "client stopped reading its stream and fell behind the replay window; the stream is ended");
                    metrics::counter!(crate::telemetry::metrics::STREAM_OVERFLOWS, "kind" => kind).increment(1);
                    None
                }
            },
            _ = self.keep_alive.tick() => Some(Bytes::from_static(b": keep-alive\n\n")),
            _ = self.session_closed.cancelled() => { self.finish(); None }
            _ = self.shutdown.cancelled(), if self.kind == Kind::Get => { self.finish(); None }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.on_cut = None;
    }
}

impl Drop for State {
    fn drop(&mut self) {
        metrics::gauge!(crate::telemetry::metrics::STREAMS_ACTIVE, "kind" => self.kind.label())
            .decrement(1.0);
        let Some(cut) = self.on_cut.take() else {
            return;
        };
        if cut.log.is_closed() {
            return;
        }
        // The client went away mid-call. Give it the grace period to resume the stream.
        let readers = cut.log.readers();
        tokio::spawn(async move {
            tokio::time::sleep(cut.grace).await;
            if !cut.log.is_closed() && cut.log.readers() == readers {
                info!(
                    stream = cut.log.stream(),
                    "the client did not resume a cut call stream; cancelling the call"
                );
                cut.call.cancel();
            }
        });
    }
}
