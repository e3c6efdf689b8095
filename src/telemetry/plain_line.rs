//! Whole text log lines when stderr is not a terminal, as `tracing-subscriber`'s default (full)
//! format writes them without colours: `time level span{fields}:...: target: fields`.
//!
//! The default format writes each piece through `Writer`, a `&mut dyn fmt::Write`, and most of
//! them through `write!` and `nu_ansi_term` styles that are empty when colours are off: some
//! twenty dynamic calls and formatting passes per line, about half of what the audit line of
//! each proxied `tools/call` cost. Here the line is built in a reused `String` with plain
//! appends and handed to the writer once.

use std::cell::RefCell;
use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::logs::write_now;
use super::plain_fields::{PlainFields, PlainVisitor};

/// The event formatter of uncoloured text lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainLine {
    /// Without timestamps (tests compare lines).
    pub(super) without_time: bool,
}

thread_local! {
    /// The line being built; kept between events so that its allocation is reused.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S> FormatEvent<S, PlainFields> for PlainLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, PlainFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        with_line(|line| {
            self.build(ctx, line, event)?;
            writer.write_str(line)
        })
    }
}

/// Runs `f` with this thread's reused, empty line buffer.
pub(super) fn with_line<R>(f: impl FnOnce(&mut String) -> R) -> R {
    LINE.with(|line| match line.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            f(&mut line)
        }
        // A line built while this thread builds another (an event logged by a field's `Debug`).
        Err(_) => f(&mut String::new()),
    })
}

impl PlainLine {
    fn build<S>(
        &self,
        ctx: &FmtContext<'_, S, PlainFields>,
        line: &mut String,
        event: &Event<'_>,
    ) -> fmt::Result
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        // `log` records bridged into `tracing` carry their real target and level as fields.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        if !self.without_time {
            write_now(line);
            line.push(' ');
        }
        line.push_str(level_text(meta.level()));
        line.push(' ');
        if let Some(scope) = ctx.event_scope() {
            let mut seen = false;
            for span in scope.from_root() {
                seen = true;
                line.push_str(span.metadata().name());
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<PlainFields>>() {
                    if !fields.is_empty() {
                        line.push('{');
                        line.push_str(fields);
                        line.push('}');
                    }
                }
                line.push(':');
            }
            if seen {
                line.push(' ');
            }
        }
        line.push_str(meta.target());
        line.push_str(": ");
        let mut visitor = PlainVisitor::new(&mut *line);
        event.record(&mut visitor);
        visitor.finish()?;
        line.push('\n');
        Ok(())
    }
}

/// The level as the default format writes it: five columns, right-aligned.
fn level_text(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        _ => "ERROR",
    }
}

#[cfg(test)]
mod tests {
    use crate::telemetry::captured::{written, Format};

    /// What `log` writes: through this formatter, or through tracing-subscriber's default.
    fn lines(plain: bool, log: impl FnOnce()) -> String {
        written(
            if plain {
                Format::PlainLine
            } else {
                Format::Default
            },
            log,
        )
    }

    #[test]
    fn lines_read_as_the_default_format_writes_them() {
        let log = || {
            tracing::info!(target: "mcpmux::audit", principal = "alice", session = "s-1", tool = "github__search", outcome = "ok", duration_ms = 0.125, error_code = -32602, "tool call");
            tracing::warn!(backend = "files", "backend \"files\" restarted");
            tracing::error!("plain message");
            tracing::debug!("filtered out by no one");
            let outer = tracing::info_span!("conn", peer = "127.0.0.1:9", n = 3);
            let _outer = outer.enter();
            let bare = tracing::info_span!("bare");
            let _bare = bare.enter();
            let inner = tracing::info_span!("call", method = "tools/call");
            let _inner = inner.enter();
            tracing::info!(answer = 42, ok = true, "inside three spans");
            tracing::trace!(target: "other::target", quoted = "a \"b\"\n", "trace \x1b[31mred");
        };
        let plain = lines(true, log);
        assert_eq!(plain, lines(false, log));
        assert!(
            plain.contains(" INFO mcpmux::audit: tool call principal=\"alice\" session=\"s-1\" tool=\"github__search\" outcome=\"ok\" duration_ms=0.125 error_code=-32602\n"),
            "{plain}"
        );
        assert!(
            plain.contains(
                " INFO conn{peer=\"127.0.0.1:9\" n=3}:bare:call{method=\"tools/call\"}: "
            ),
            "{plain}"
        );
        assert_eq!(plain.lines().count(), 6, "{plain}");
    }

    #[test]
    fn log_records_keep_their_own_target() {
        // The bridge is process-wide; a second `init` (another test) fails harmlessly.
        let _ = tracing_log::LogTracer::init();
        let log = || log::warn!(target: "hyper::proto", "from the log crate");
        let plain = lines(true, log);
        assert_eq!(plain, lines(false, log));
        assert!(
            plain.starts_with(" WARN hyper::proto: from the log crate"),
            "{plain}"
        );
    }

    #[test]
    fn a_field_that_logs_while_the_line_is_built_does_not_break_it() {
        struct Noisy;
        impl std::fmt::Debug for Noisy {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                tracing::warn!("from inside Debug");
                f.write_str("noisy")
            }
        }
        let log = || tracing::info!(value = ?Noisy, "outer");
        let plain = lines(true, log);
        // tracing drops events dispatched from inside a dispatch; the outer line is whole.
        assert_eq!(plain, lines(false, log));
        assert_eq!(
            plain,
            " INFO mcpmux::telemetry::plain_line::tests: outer value=noisy\n"
        );
    }
}
