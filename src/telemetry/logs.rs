//! Logging: a `tracing` subscriber writing text or JSON lines to stderr.

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
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json().flatten_event(true).boxed()
    } else {
        fmt.with_ansi(ansi).boxed()
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
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(super::log_stream::StreamLayer.with_filter(stream_filter))
        .with(otel)
        .try_init();
}

/// Accepts the seed configs' level names (`WARNING`, `CRITICAL`) too.
fn normalise(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "warning" => "warn".into(),
        "critical" | "fatal" => "error".into(),
        other => other.to_string(),
    }
}
