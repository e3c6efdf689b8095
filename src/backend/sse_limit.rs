//! `EventLimit`: a body adapter that bounds one server-sent event, so a backend that streams
//! without ever ending an event cannot make the gateway buffer without limit. `sse-stream`
//! collects an event until its blank line and has no bound of its own.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};

/// Passes the body through, failing once more than `max` bytes arrive without a blank line
/// (the end of an event: `\n\n`, `\r\n\r\n` or `\r\r`).
#[derive(Debug)]
pub struct EventLimit<B> {
    inner: B,
    max: usize,
    since_boundary: usize,
    at_line_start: bool,
    after_cr: bool,
}

/// Why the stream failed.
#[derive(Debug, thiserror::Error)]
pub enum EventStreamError<E: std::error::Error + 'static> {
    /// The body itself failed.
    #[error(transparent)]
    Body(E),
    /// An event grew past the bound.
    #[error("an event of the backend's stream exceeded {max} bytes without ending")]
    TooLarge {
        /// The bound.
        max: usize,
    },
}

// === impl EventLimit ===

impl<B> EventLimit<B> {
    /// Bounds each event of `inner` to `max` bytes.
    pub fn new(inner: B, max: usize) -> Self {
        EventLimit {
            inner,
            max,
            since_boundary: 0,
            at_line_start: true,
            after_cr: false,
        }
    }

    /// Advances over `chunk`; false once an event has grown past the bound.
    fn scan(&mut self, chunk: &[u8]) -> bool {
        for &byte in chunk {
            self.since_boundary += 1;
            match byte {
                b'\r' => {
                    self.end_line();
                    self.after_cr = true;
                }
                // The `\n` of a `\r\n` ends nothing more.
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => self.end_line(),
                _ => {
                    self.at_line_start = false;
                    self.after_cr = false;
                }
            }
            if self.since_boundary > self.max {
                return false;
            }
        }
        true
    }

    fn end_line(&mut self) {
        if self.at_line_start {
            // An empty line: the event ends here.
            self.since_boundary = 0;
        }
        self.at_line_start = true;
    }
}

impl<B> Body for EventLimit<B>
where
    B: Body + Unpin,
    B::Error: std::error::Error + 'static,
{
    type Data = B::Data;
    type Error = EventStreamError<B::Error>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, Self::Error>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(EventStreamError::Body(e)))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            // Frames from hyper are single contiguous `Bytes`; `chunk` covers them whole.
            let within = self.scan(data.chunk());
            if !within {
                let max = self.max;
                return Poll::Ready(Some(Err(EventStreamError::TooLarge { max })));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::{BodyExt, StreamBody};
    use std::convert::Infallible;

    fn body(chunks: &[&'static str]) -> impl Body<Data = Bytes, Error = Infallible> + Unpin {
        let frames: Vec<Result<Frame<Bytes>, Infallible>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from_static(c.as_bytes()))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    async fn read(
        limit: EventLimit<impl Body<Data = Bytes, Error = Infallible> + Unpin>,
    ) -> Result<String, String> {
        limit
            .collect()
            .await
            .map(|c| String::from_utf8(c.to_bytes().to_vec()).unwrap())
            .map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn events_within_the_bound_pass_unchanged() {
        let text = "data: 12345\n\ndata: 67890\n\n";
        assert_eq!(
            read(EventLimit::new(body(&[text]), 14)).await.unwrap(),
            text
        );
    }

    #[tokio::test]
    async fn an_event_that_never_ends_fails_the_stream() {
        let err = read(EventLimit::new(
            body(&["data: ", "0123456789", "0123456789"]),
            20,
        ))
        .await
        .unwrap_err();
        assert!(err.contains("exceeded 20 bytes"), "{err}");
    }

    #[tokio::test]
    async fn every_line_ending_style_ends_an_event_even_across_frames() {
        for chunks in [
            &["data: aaaaaaaa\r\n", "\r\n", "data: bbbbbbbb\r\n\r\n"][..],
            &["data: aaaaaaaa\r", "\r", "data: bbbbbbbb\r\r"][..],
            &["data: aaaaaaaa\n", "\n", "data: bbbbbbbb\n\n"][..],
        ] {
            let text: String = chunks.concat();
            assert_eq!(
                read(EventLimit::new(body(chunks), 18)).await.unwrap(),
                text,
                "{chunks:?}"
            );
        }
    }

    #[tokio::test]
    async fn lines_without_a_blank_line_between_them_are_one_event() {
        let err = read(EventLimit::new(
            body(&["data: a\n", "data: b\n", "data: c\n"]),
            20,
        ))
        .await
        .unwrap_err();
        assert!(err.contains("exceeded"), "{err}");
    }
}
