//! Logging: a `tracing` subscriber writing text or JSON lines to stderr (batched: see
//! `log_writer.rs`).

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber; `level` is a level or an `EnvFilter` directive. `RUST_LOG`
/// wins when set. With `tracer`, spans of [`super::otel::SPAN_TARGETS`] are exported too, at
/// DEBUG whatever the log level. Calling it twice is harmless (the second call does nothing).
pub fn init(level: &str, json: bool, tracer: Option<opentelemetry_sdk::trace::SdkTracer>) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(normalise(level)))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(super::log_writer::BufferedStderr::new())
        .with_timer(Rfc3339Micros);
    let audit_direct = !json && !ansi && tracer.is_none() && super::audit_line::passes(&filter);
    let fmt = if json {
        fmt.json().flatten_event(true).boxed()
    } else if ansi {
        fmt.with_ansi(true).boxed()
    } else {
        fmt.with_ansi(false)
            .fmt_fields(super::plain_fields::PlainFields)
            .event_format(super::plain_line::PlainLine::default())
            .boxed()
    };
    let otel = tracer.map(|tracer| {
        let targets = super::otel::SPAN_TARGETS
            .iter()
            .fold(tracing_subscriber::filter::Targets::new(), |t, target| {
                t.with_target(*target, tracing::Level::DEBUG)
            });
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_tracked_inactivity(false)
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_filter(targets)
    });
    // The admin log stream sees what the log sees.
    let stream_filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(normalise(level)))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(super::log_stream::StreamLayer.with_filter(stream_filter))
        .with(otel)
        .try_init();
    // Audit lines skip `tracing` only where they would be plain lines and nothing but the log
    // and the admin stream (which `audit_line` checks per line) takes events.
    if installed.is_ok() {
        super::audit_line::write_directly(audit_direct);
    }
}

/// Timestamps as `tracing-subscriber` writes them by default (RFC 3339, UTC, microseconds), with
/// the date and time of day formatted once per second per thread instead of on every line: the
/// default formatter's calendar arithmetic was a sixth of what an audit line costs.
#[derive(Debug, Clone, Copy)]
struct Rfc3339Micros;

impl FormatTime for Rfc3339Micros {
    fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(32);
        write_now(&mut text);
        w.write_str(&text)
    }
}

/// Appends the current time as [`Rfc3339Micros`] formats it.
pub(super) fn write_now(out: &mut String) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs();
    SECOND.with(|cached| {
        let mut cached = cached.borrow_mut();
        if cached.0 != seconds || cached.1.is_empty() {
            let whole = UNIX_EPOCH + Duration::from_secs(seconds);
            // "2026-11-30T11:05:03Z" without its "Z".
            let mut text = humantime::format_rfc3339_seconds(whole).to_string();
            text.pop();
            *cached = (seconds, text);
        }
        out.push_str(&cached.1);
    });
    let mut micros = *b".000000Z";
    let mut n = now.subsec_micros();
    for digit in micros[1..7].iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.push_str(std::str::from_utf8(&micros).expect("ASCII digits"));
}

thread_local! {
    /// The Unix second last formatted on this thread, and its text.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
}

/// Accepts the seed configs' level names (`WARNING`, `CRITICAL`) too.
fn normalise(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "warning" => "warn".into(),
        "critical" | "fatal" => "error".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted() -> String {
        let mut text = String::new();
        Rfc3339Micros
            .format_time(&mut Writer::new(&mut text))
            .expect("formats");
        text
    }

    #[test]
    fn timestamps_read_like_the_default_formatters() {
        let before = SystemTime::now();
        let text = formatted();
        let after = SystemTime::now();
        assert_eq!(text.len(), "2026-11-30T11:05:03.123456Z".len(), "{text}");
        let parsed = humantime::parse_rfc3339(&text).expect("RFC 3339");
        let floor = |t: SystemTime| {
            let d = t.duration_since(UNIX_EPOCH).expect("after 1970");
            UNIX_EPOCH + Duration::from_micros(d.as_micros() as u64)
        };
        assert!(floor(before) <= parsed && parsed <= after, "{text}");
        // The cached second is reused and still right.
        let again = formatted();
        assert!(humantime::parse_rfc3339(&again).expect("RFC 3339") >= parsed);
    }
}
