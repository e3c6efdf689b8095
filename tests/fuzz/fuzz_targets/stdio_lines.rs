//! The stdio backends' line decoder, `JsonLines::new(64)`, fed the input cut into reads at
//! fuzz-chosen boundaries (see `mcpmux_fuzz::chunks`), driven as `FramedRead` drives it:
//! `decode` until `None` after each read, then `decode_eof` until `None`.
//!
//! Invariants (a panic is a finding):
//! - decoding never errors;
//! - every `Line::Text` is valid UTF-8 and at most 64 bytes;
//! - the lines match a plain model (split on `\n`, drop one trailing `\r`, skip what is longer
//!   than 64 bytes or not UTF-8): the same number of lines, the same texts, a skip where the
//!   model skips. One difference is allowed: a line of exactly 65 bytes ending in `\r` may be
//!   skipped as too long when its `\n` arrives in a later read (the decoder drops a line once
//!   more than 64 bytes are buffered, before it can know the `\r` is part of the ending).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mcpmux::backend::stdio::lines::{JsonLines, Line, Skip};
use tokio_util::codec::Decoder;

const MAX: usize = 64;

fuzz_target!(|data: &[u8]| {
    let (payload, chunks) = mcpmux_fuzz::chunks(data);
    let mut codec = JsonLines::new(MAX);
    let mut buf = BytesMut::new();
    let mut lines = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(line) = codec.decode(&mut buf).expect("decode never errors") {
            lines.push(line);
        }
    }
    while let Some(line) = codec.decode_eof(&mut buf).expect("decode_eof never errors") {
        lines.push(line);
    }
    assert!(buf.is_empty(), "bytes left after eof: {buf:?}");

    for line in &lines {
        match line {
            Line::Text(text) => {
                assert!(text.len() <= MAX, "a {}-byte line passed", text.len());
                assert!(std::str::from_utf8(text).is_ok(), "not UTF-8: {text:?}");
            }
            Line::Skipped(Skip::TooLong(n)) => assert!(*n > MAX, "TooLong({n})"),
            Line::Skipped(Skip::NotUtf8) => {}
        }
    }

    let model = model(payload);
    assert_eq!(lines.len(), model.len(), "line count: {lines:?} vs model {model:?}");
    for (got, (raw, want)) in lines.iter().zip(&model) {
        let ok = match (got, want) {
            (Line::Text(a), Line::Text(b)) => a == b,
            (Line::Skipped(Skip::NotUtf8), Line::Skipped(Skip::NotUtf8))
            | (Line::Skipped(Skip::TooLong(_)), Line::Skipped(Skip::TooLong(_))) => true,
            // The allowed difference: 65 bytes ending in `\r`, cut before its `\n`.
            (Line::Skipped(Skip::TooLong(_)), _) => raw.len() == MAX + 1 && raw.ends_with(b"\r"),
            _ => false,
        };
        assert!(ok, "got {got:?}, model {want:?} for line {raw:?}");
    }
});

/// The lines of `input` as the decoder is meant to read them, each with its raw bytes.
fn model(input: &[u8]) -> Vec<(&[u8], Line)> {
    let mut parts: Vec<&[u8]> = input.split(|b| *b == b'\n').collect();
    if parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
        .into_iter()
        .map(|raw| {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let kind = if line.len() > MAX {
                Line::Skipped(Skip::TooLong(line.len()))
            } else if std::str::from_utf8(line).is_err() {
                Line::Skipped(Skip::NotUtf8)
            } else {
                Line::Text(bytes::Bytes::copy_from_slice(line))
            };
            (raw, kind)
        })
        .collect()
}
