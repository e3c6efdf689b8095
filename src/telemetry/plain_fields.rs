//! The fields of text log lines when stderr is not a terminal: `name=value` as
//! `tracing-subscriber`'s default writes them, without its styling.
//!
//! The default field formatter paints every field name (italic) and `=` (dimmed) through
//! `nu_ansi_term` even when colours are off, and that painting was two fifths of what the audit
//! line of each proxied `tools/call` cost. Lines read the same: fields in order, separated by
//! one space, the message bare and with terminal control characters escaped.

use std::fmt::{self, Debug, Write};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::FormatFields;

/// The field formatter of uncoloured text lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainFields;

impl<'writer> FormatFields<'writer> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor::new(writer);
        fields.record(&mut visitor);
        visitor.finish()
    }
}

/// Writes the fields it visits as `name=value` into `W`: a [`Writer`] for spans' fields, or the
/// line being built for an event's (see `plain_line.rs`).
pub(super) struct PlainVisitor<W> {
    writer: W,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> PlainVisitor<W> {
    /// A visitor writing the first field next.
    pub(super) fn new(writer: W) -> Self {
        PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        }
    }

    /// Whether every field was written.
    pub(super) fn finish(self) -> fmt::Result {
        self.result
    }

    /// Starts a field: the separator, and `name=` unless it is the message.
    fn begin(&mut self, name: &str) -> fmt::Result {
        // One-byte pieces as `write_char`: into the line's `String` that is a push, where
        // `write_str` is a call to `memcpy`.
        if self.first {
            self.first = false;
        } else {
            self.writer.write_char(' ')?;
        }
        if name != "message" {
            self.writer
                .write_str(name.strip_prefix("r#").unwrap_or(name))?;
            self.writer.write_char('=')?;
        }
        Ok(())
    }
}

impl<W: Write> PlainVisitor<W> {
    /// Writes one field with `value`, told whether the field is the message; nothing after an
    /// error, and nothing for a bridged `log` record's metadata (`log.*`), shown elsewhere.
    fn field(&mut self, name: &str, value: impl FnOnce(&mut W, bool) -> fmt::Result) {
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        self.result = self
            .begin(name)
            .and_then(|()| value(&mut self.writer, name == "message"));
    }
}

impl<W: Write> Visit for PlainVisitor<W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field.name(), |writer, message| {
            if message {
                Escaping(writer).write_str(value)
            } else {
                write_quoted(writer, value)
            }
        });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.field(field.name(), |writer, _| write_f64(writer, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let name = field.name();
        self.field(name, |writer, _| {
            write!(Escaping(&mut *writer), "{value}")?;
            let Some(mut source) = value.source() else {
                return Ok(());
            };
            let name = name.strip_prefix("r#").unwrap_or(name);
            write!(writer, " {name}.sources=[")?;
            loop {
                write!(Escaping(&mut *writer), "{source}")?;
                match source.source() {
                    Some(next) => {
                        writer.write_str(", ")?;
                        source = next;
                    }
                    None => return writer.write_str("]"),
                }
            }
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.field(field.name(), |writer, message| {
            if message {
                write!(Escaping(writer), "{value:?}")
            } else {
                write!(writer, "{value:?}")
            }
        });
    }
}

/// An `f64` as `{:?}` writes it. Durations in whole microseconds (`duration_ms=0.125`, one per
/// audit line) take a short path: the shortest decimal that reads back as such a value is its
/// thousandths with trailing zeros dropped, so the digit search of `{:?}` is not needed.
pub(super) fn write_f64(writer: &mut impl Write, value: f64) -> fmt::Result {
    let thousandths = (value * 1000.0).round();
    if !(0.001..1e9).contains(&value) || thousandths / 1000.0 != value {
        return write!(writer, "{value:?}");
    }
    let thousandths = thousandths as u64;
    let mut text = [0u8; 16];
    let mut start = text.len() - 4;
    let mut fraction = thousandths % 1000;
    let mut end = text.len();
    if fraction == 0 {
        text[start..start + 2].copy_from_slice(b".0");
        end = start + 2;
    } else {
        text[start] = b'.';
        for digit in text[start + 1..].iter_mut().rev() {
            *digit = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        while text[end - 1] == b'0' {
            end -= 1;
        }
    }
    let mut whole = thousandths / 1000;
    loop {
        start -= 1;
        text[start] = b'0' + (whole % 10) as u8;
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    writer.write_str(std::str::from_utf8(&text[start..end]).expect("ASCII digits"))
}

/// A string as `{:?}` writes it, without the formatting machinery when nothing needs escaping.
pub(super) fn write_quoted(writer: &mut impl Write, value: &str) -> fmt::Result {
    // No early exit, so that the check compiles to a few vector instructions per 16 bytes.
    let escaped = value.bytes().fold(false, |any, b| {
        any | !(0x20..0x7f).contains(&b) | (b == b'"') | (b == b'\\')
    });
    if escaped {
        return write!(writer, "{value:?}");
    }
    writer.write_char('"')?;
    writer.write_str(value)?;
    writer.write_char('"')
}

/// Escapes what a terminal would act on (ESC, BEL, BS, FF, DEL, C1 controls) in a message,
/// which may quote what a client sent.
struct Escaping<'a, W>(&'a mut W);

impl<W: Write> Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let needs_escape = |c: char| {
            matches!(
                c,
                '\x1b' | '\x07' | '\x08' | '\x0c' | '\x7f' | '\u{80}'..='\u{9f}'
            )
        };
        if !s.contains(needs_escape) {
            return self.0.write_str(s);
        }
        for c in s.chars() {
            if needs_escape(c) {
                if (c as u32) < 0x80 {
                    write!(self.0, "\\x{:02x}", c as u32)?;
                } else {
                    write!(self.0, "\\u{{{:x}}}", c as u32)?;
                }
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::captured::{written, Format};

    /// What `log` writes: with these fields, or with tracing-subscriber's default ones.
    fn line(plain: bool, log: impl FnOnce()) -> String {
        written(
            if plain {
                Format::PlainFields
            } else {
                Format::Default
            },
            log,
        )
    }

    #[test]
    fn lines_read_as_the_default_formatter_writes_them() {
        let event = || {
            let tool = "github__search";
            let quoted = "say \"hi\" \\ caf\u{e9}\n";
            let session: Option<&str> = Some("abc");
            let principal: Option<&str> = None;
            tracing::info!(target: "mcpmux::audit", principal, session, tool, quoted, outcome = "ok", duration_ms = 0.125, error_code = -32602, r#type = 3, "tool call")
        };
        let plain = line(true, event);
        assert_eq!(plain, line(false, event));
        assert!(
            plain.ends_with("tool call session=\"abc\" tool=\"github__search\" quoted=\"say \\\"hi\\\" \\\\ café\\n\" outcome=\"ok\" duration_ms=0.125 error_code=-32602 type=3\n"),
            "{plain}"
        );
    }

    #[test]
    fn errors_read_as_the_default_formatter_writes_them() {
        #[derive(Debug, thiserror::Error)]
        #[error("connect to \"files\" failed")]
        struct Outer(#[source] std::io::Error);
        let event = || {
            let error = Outer(std::io::Error::other("refused \x1b[1m"));
            let lone = std::io::Error::other("alone");
            tracing::warn!(
                error = &error as &(dyn std::error::Error + 'static),
                lone = &lone as &(dyn std::error::Error + 'static),
                "backend down"
            )
        };
        let plain = line(true, event);
        assert_eq!(plain, line(false, event));
        assert!(plain.contains("error.sources=["), "{plain}");
    }

    #[test]
    fn durations_read_as_debug_formatting_writes_them() {
        let check = |value: f64| {
            let mut text = String::new();
            write_f64(&mut text, value).expect("writes");
            assert_eq!(text, format!("{value:?}"), "{value:?}");
        };
        for micros in (0..2_000_000u64).chain((0..50_000).map(|n| n * 19_999_999_967)) {
            check(micros as f64 / 1000.0);
        }
        for value in [
            0.1 + 0.2,
            1e-7,
            0.0005,
            -0.0,
            -1.5,
            1e9,
            1e300,
            f64::NAN,
            f64::INFINITY,
        ] {
            check(value);
        }
    }

    #[test]
    fn terminal_controls_in_messages_are_escaped() {
        let event = || tracing::warn!("unknown tool {}", "\x1b[31mred\x07");
        let plain = line(true, event);
        assert!(plain.contains("unknown tool \\x1b[31mred\\x07"), "{plain}");
        assert_eq!(plain, line(false, event));
    }
}
