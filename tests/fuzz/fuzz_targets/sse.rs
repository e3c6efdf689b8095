//! The SSE reader of HTTP backends: `sse_stream::SseStream` over `EventLimit`, over a body cut
//! into frames at fuzz-chosen boundaries (see `mcpmux_fuzz::chunks`); each event's data goes
//! through `Message::parse` as in `backend::http`.
//!
//! Invariant (a panic is a finding): until the stream's first error (where the gateway stops
//! reading), no event carries data, id or event name longer than the `EventLimit` bound.
#![no_main]

use std::convert::Infallible;
use std::sync::OnceLock;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body::Frame;
use http_body_util::StreamBody;
use libfuzzer_sys::fuzz_target;
use mcpmux::backend::sse_limit::EventLimit;
use mcpmux::protocol::Message;

const LIMIT: usize = 4096;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let (_, chunks) = mcpmux_fuzz::chunks(data);
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = chunks
        .into_iter()
        .map(|c| Ok(Frame::data(Bytes::copy_from_slice(c))))
        .collect();
    let body = StreamBody::new(futures_util::stream::iter(frames));
    let mut events = sse_stream::SseStream::new(EventLimit::new(body, LIMIT));
    runtime().block_on(async {
        let mut failed = false;
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(_) => {
                    // The gateway stops here; read on only to exercise the parser.
                    failed = true;
                    continue;
                }
            };
            if !failed {
                for (what, field) in [
                    ("data", &event.data),
                    ("id", &event.id),
                    ("event", &event.event),
                ] {
                    let len = field.as_ref().map_or(0, String::len);
                    assert!(len <= LIMIT, "event {what} of {len} bytes passed a {LIMIT}-byte EventLimit");
                }
            }
            if let Some(data) = event.data.filter(|d| !d.is_empty()) {
                let _ = Message::parse(data.as_bytes());
                let _ = Message::parse_shared(&Bytes::from(data));
            }
        }
    });
});
