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
        let mut visitor = PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'a> {
    writer: Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Starts a field: the separator, and `name=` unless it is the message.
    fn begin(&mut self, name: &str) -> fmt::Result {
        if self.first {
            self.first = false;
        } else {
            self.writer.write_str(" ")?;
        }
        if name != "message" {
            self.writer
                .write_str(name.strip_prefix("r#").unwrap_or(name))?;
            self.writer.write_str("=")?;
        }
        Ok(())
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        self.result = self.begin(name).and_then(|()| {
            if name == "message" {
                Escaping(&mut self.writer).write_str(value)
            } else {
                write_quoted(&mut self.writer, value)
            }
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        // `log` records bridged by tracing-log carry their metadata as fields, shown elsewhere.
        if name.starts_with("log.") {
            return;
        }
        self.result = self.begin(name).and_then(|()| {
            if name == "message" {
                write!(Escaping(&mut self.writer), "{value:?}")
            } else {
                write!(self.writer, "{value:?}")
            }
        });
    }
}

/// A string as `{:?}` writes it, without the formatting machinery when nothing needs escaping.
fn write_quoted(writer: &mut Writer<'_>, value: &str) -> fmt::Result {
    let plain = value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if !plain {
        return write!(writer, "{value:?}");
    }
    // `write_char` would encode each quote into a buffer first.
    writer.write_str("\"")?;
    writer.write_str(value)?;
    writer.write_str("\"")
}

/// Escapes what a terminal would act on (ESC, BEL, BS, FF, DEL, C1 controls) in a message,
/// which may quote what a client sent.
struct Escaping<'a, 'b>(&'a mut Writer<'b>);

impl Write for Escaping<'_, '_> {
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
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    fn line(plain: bool, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(captured.clone())
            .with_ansi(false)
            .without_time();
        let subscriber: Box<dyn tracing::Subscriber + Send + Sync> = if plain {
            Box::new(
                tracing_subscriber::fmt()
                    .with_writer(captured.clone())
                    .with_ansi(false)
                    .without_time()
                    .fmt_fields(PlainFields)
                    .finish(),
            )
        } else {
            use tracing_subscriber::layer::SubscriberExt;
            Box::new(tracing_subscriber::registry().with(layer))
        };
        tracing::subscriber::with_default(subscriber, log);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
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
    fn terminal_controls_in_messages_are_escaped() {
        let event = || tracing::warn!("unknown tool {}", "\x1b[31mred\x07");
        let plain = line(true, event);
        assert!(plain.contains("unknown tool \\x1b[31mred\\x07"), "{plain}");
        assert_eq!(plain, line(false, event));
    }
}
