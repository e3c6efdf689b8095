//! Newline-delimited messages from a child's stdout, read so that one bad line never stops the
//! reader: a line that is not UTF-8, or longer than the limit, is skipped (a longer one without
//! being buffered whole) and reading goes on with the next line.
//!
//! tokio-util's `LinesCodec` is not used: its errors end a `FramedRead` for good, which is the
//! failure this replaces (one bad line left the backend unanswered until restarted).

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Decoder;

/// What one line of output was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line's bytes, without the line ending; valid UTF-8.
    Text(Bytes),
    /// A line that was skipped, and why.
    Skipped(Skip),
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Longer than the limit; carries its length in bytes.
    TooLong(usize),
    /// Not UTF-8.
    NotUtf8,
}

/// The decoder.
#[derive(Debug)]
pub struct JsonLines {
    max: usize,
    /// Where to resume looking for `\n` in the buffer.
    scanned: usize,
    /// While skipping a line that grew past the limit: how many bytes were dropped so far.
    discarding: Option<usize>,
}

// === impl Skip ===

impl Skip {
    /// A label for logs and the `reason` metric label.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::TooLong(_) => "too_long",
            Skip::NotUtf8 => "not_utf8",
        }
    }
}

// === impl JsonLines ===

impl JsonLines {
    /// Lines of at most `max` bytes.
    pub fn new(max: usize) -> Self {
        JsonLines {
            max,
            scanned: 0,
            discarding: None,
        }
    }

    fn finish(&self, mut line: BytesMut) -> Line {
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.len() > self.max {
            return Line::Skipped(Skip::TooLong(line.len()));
        }
        match std::str::from_utf8(&line) {
            Ok(_) => Line::Text(line.freeze()),
            Err(_) => Line::Skipped(Skip::NotUtf8),
        }
    }
}

impl Decoder for JsonLines {
    type Item = Line;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        let newline = memchr::memchr(b'\n', &buf[self.scanned..]);
        if let Some(dropped) = self.discarding {
            return Ok(match newline {
                Some(at) => {
                    let _ = buf.split_to(self.scanned + at + 1);
                    self.scanned = 0;
                    self.discarding = None;
                    Some(Line::Skipped(Skip::TooLong(dropped + at)))
                }
                None => {
                    self.discarding = Some(dropped + buf.len());
                    buf.clear();
                    None
                }
            });
        }
        match newline {
            Some(at) => {
                let mut line = buf.split_to(self.scanned + at + 1);
                line.truncate(line.len() - 1);
                self.scanned = 0;
                Ok(Some(self.finish(line)))
            }
            None if buf.len() > self.max => {
                // Too long already: drop what is buffered and the rest of the line as it comes.
                self.discarding = Some(buf.len());
                buf.clear();
                self.scanned = 0;
                Ok(None)
            }
            None => {
                self.scanned = buf.len();
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        if let Some(dropped) = self.discarding.take() {
            return Ok(Some(Line::Skipped(Skip::TooLong(dropped))));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let rest = buf.split();
        self.scanned = 0;
        Ok(Some(self.finish(rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use tokio_util::codec::FramedRead;

    async fn lines(input: &[u8], max: usize) -> Vec<Line> {
        FramedRead::new(input, JsonLines::new(max))
            .map(|l| l.unwrap())
            .collect()
            .await
    }

    fn text(s: &str) -> Line {
        Line::Text(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[tokio::test]
    async fn reading_goes_on_after_bad_lines() {
        let mut input = b"{\"a\":1}\r\n".to_vec();
        input.extend_from_slice(b"\xff\xfe not utf-8\n");
        input.extend_from_slice(&[b'x'; 100]);
        input.extend_from_slice(b"\n{\"b\":2}\n{\"c\":3}");
        assert_eq!(
            lines(&input, 50).await,
            vec![
                text("{\"a\":1}"),
                Line::Skipped(Skip::NotUtf8),
                Line::Skipped(Skip::TooLong(100)),
                text("{\"b\":2}"),
                text("{\"c\":3}"),
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_dropped_as_it_arrives_not_buffered() {
        let mut codec = JsonLines::new(8);
        let mut buf = BytesMut::from(&b"0123456789"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert!(buf.is_empty(), "the overlong line was kept");
        buf.extend_from_slice(b"abcdef");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert!(buf.is_empty());
        buf.extend_from_slice(b"gh\n{}\n");
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Line::Skipped(Skip::TooLong(18)))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(text("{}")));
    }
}
