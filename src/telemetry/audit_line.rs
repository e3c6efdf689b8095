//! The audit line of every `tools/call`: who called which tool through which backend, how it
//! ended and how long it took.
//!
//! It is one `tracing` event, except on the gateway's default path: text logs
//! ([`PlainLine`](super::plain_line::PlainLine)), no span export or span in scope, nobody on
//! the admin log stream. There the line is written straight into the log buffer, byte for byte what the
//! `tracing` path writes (a test holds them equal). Through `tracing` the event cost 2,500
//! instructions and 110 to 140 instruction-cache misses per call (callgrind): the dispatch to
//! three layers and two filters, the visitor's dynamic calls per field, and a second copy of
//! the line into the fmt layer's own buffer. Written directly it is the same appends the
//! formatter makes, once. JSON logs, span export and log-stream listeners all take the
//! `tracing` path, so whatever they see is unchanged; so does a filter that turns the line off
//! (`mcpmux::audit=off`), which both paths obey.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::Level;
use tracing_core::callsite::Callsite;
use tracing_core::field::FieldSet;
use tracing_core::metadata::Kind;
use tracing_core::subscriber::Interest;
use tracing_core::{identify_callsite, Metadata};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::{EnvFilter, Registry};

use super::log_stream;
use super::log_writer;
use super::logs::write_now;
use super::plain_fields::{write_f64, write_quoted};
use super::plain_line::with_line;

/// The `tracing` target of audit lines.
pub const TARGET: &str = "mcpmux::audit";

/// Whether audit lines are logged and the installed log format is one the direct path writes
/// (set once by `logs::init`: the gateway's log filter does not change while it runs).
static DIRECT: AtomicBool = AtomicBool::new(false);

/// Lets audit lines skip `tracing` (when the log writes plain text lines, nothing else takes
/// events, and the log's filter [`passes`] them).
pub(super) fn write_directly(on: bool) {
    DIRECT.store(on, Ordering::Relaxed);
}

/// An audit event as the log filter sees it, to ask the filter once instead of per line.
struct AuditCallsite;

static CALLSITE: AuditCallsite = AuditCallsite;

static META: Metadata<'static> = Metadata::new(
    "audit line",
    TARGET,
    Level::INFO,
    None,
    None,
    None,
    FieldSet::new(&[], identify_callsite!(&CALLSITE)),
    Kind::EVENT,
);

impl Callsite for AuditCallsite {
    fn set_interest(&self, _: Interest) {}

    fn metadata(&self) -> &Metadata<'_> {
        &META
    }
}

/// Whether `filter` lets audit lines through outside any span. (`tracing::enabled!` cannot
/// say: with per-layer filters it answers yes for events a layer's filter drops.)
pub(super) fn passes(filter: &EnvFilter) -> bool {
    <EnvFilter as Filter<Registry>>::callsite_enabled(filter, &META).is_always()
}

/// One call's audit record.
#[derive(Debug, Clone, Copy)]
pub struct AuditLine<'a> {
    /// The authenticated principal.
    pub principal: Option<&'a str>,
    /// The client session's id.
    pub session: Option<&'a str>,
    /// The tool as the client named it.
    pub tool: &'a str,
    /// The backend that answered (or `mcpmux`).
    pub backend: &'a str,
    /// `ok` or the error's kind.
    pub outcome: &'a str,
    /// Milliseconds, to the microsecond.
    pub duration_ms: f64,
    /// The JSON-RPC error code, when it failed.
    pub error_code: Option<i64>,
    /// The call's arguments, when `audit.include_arguments` is on.
    pub arguments: Option<&'a str>,
}

impl AuditLine<'_> {
    /// Logs the line.
    pub fn log(&self) {
        if DIRECT.load(Ordering::Relaxed)
            && !log_stream::has_listeners()
            // A span in scope would prefix the line with its name and fields.
            && tracing::dispatcher::get_default(|d| d.current_span().id().is_none())
        {
            with_line(|line| self.write(line));
            return;
        }
        let AuditLine {
            principal,
            session,
            tool,
            backend,
            outcome,
            duration_ms,
            error_code,
            arguments,
        } = *self;
        match arguments {
            Some(arguments) => tracing::info!(
                target: TARGET,
                principal, session, tool, backend, outcome, duration_ms, error_code, arguments,
                "tool call"
            ),
            None => tracing::info!(
                target: TARGET,
                principal, session, tool, backend, outcome, duration_ms, error_code,
                "tool call"
            ),
        }
    }

    fn write(&self, line: &mut String) {
        write_now(line);
        line.push(' ');
        self.build(line);
        log_writer::append_line(line.as_bytes());
    }

    /// The line after its timestamp, as `PlainLine` and `PlainFields` format the event.
    fn build(&self, line: &mut String) {
        // A `String` never fails to take a write; the results below are always `Ok`.
        line.push_str(" INFO ");
        line.push_str(TARGET);
        line.push_str(": tool call");
        if let Some(principal) = self.principal {
            line.push_str(" principal=");
            let _ = write_quoted(line, principal);
        }
        if let Some(session) = self.session {
            line.push_str(" session=");
            let _ = write_quoted(line, session);
        }
        line.push_str(" tool=");
        let _ = write_quoted(line, self.tool);
        line.push_str(" backend=");
        let _ = write_quoted(line, self.backend);
        line.push_str(" outcome=");
        let _ = write_quoted(line, self.outcome);
        line.push_str(" duration_ms=");
        let _ = write_f64(line, self.duration_ms);
        if let Some(code) = self.error_code {
            line.push_str(" error_code=");
            line.push_str(itoa::Buffer::new().format(code));
        }
        if let Some(arguments) = self.arguments {
            line.push_str(" arguments=");
            let _ = write_quoted(line, arguments);
        }
        line.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::captured::{written, Format};

    #[test]
    fn the_log_filter_is_asked_about_audit_lines() {
        let passes = |directives: &str| passes(&EnvFilter::new(directives));
        assert!(passes("info"));
        assert!(passes("trace"));
        assert!(passes("warn,mcpmux::audit=info"));
        assert!(passes("info,[mcp.request]=debug"));
        assert!(!passes("info,mcpmux::audit=off"));
        assert!(!passes("warn"));
        assert!(!passes("mcpmux=warn"));
    }

    fn direct(audit: &AuditLine<'_>) -> String {
        let mut line = String::new();
        audit.build(&mut line);
        line
    }

    #[test]
    fn the_direct_line_is_the_tracing_line() {
        let records = [
            AuditLine {
                principal: None,
                session: Some("2b0c7a52-5a0e-4b7e-9c1a-8f8f1d3c6e01"),
                tool: "github__search",
                backend: "github",
                outcome: "ok",
                duration_ms: 0.125,
                error_code: None,
                arguments: None,
            },
            AuditLine {
                principal: Some("alice"),
                session: None,
                tool: "we\"ird\\tool\n",
                backend: "mcpmux",
                outcome: "backend_error",
                duration_ms: 1234.5678,
                error_code: Some(-32603),
                arguments: Some(r#"{"q":"a \"b\"","n":[1,2]}"#),
            },
            AuditLine {
                principal: Some("bob ☃"),
                session: Some("s"),
                tool: "",
                backend: "files",
                outcome: "timeout",
                duration_ms: 3.0,
                error_code: Some(7),
                arguments: Some("{}"),
            },
        ];
        for record in &records {
            // Only `logs::init`, which no unit test calls, turns the direct path on: here
            // `log` takes the `tracing` path the direct one must match.
            let through_tracing = written(Format::PlainLine, || record.log());
            assert_eq!(direct(record), through_tracing, "{record:?}");
        }
    }
}
