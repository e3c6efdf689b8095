//! Telemetry: logs (`tracing`, text or JSON lines on stderr), Prometheus metrics, and OTLP
//! traces. Metric names live in `metrics.rs`; nothing else in the gateway spells them.

pub mod audit_line;
pub mod call_metrics;
#[cfg(test)]
mod captured;
pub mod log_stream;
pub mod log_writer;
pub mod logs;
pub mod metrics;
pub mod otel;
pub mod plain_fields;
pub mod plain_line;

pub use logs::init;
