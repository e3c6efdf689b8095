//! OTLP trace export: a server span per client request and a client span per backend call,
//! with the OpenTelemetry MCP attributes, exported over gRPC or HTTP/protobuf. Off unless an
//! endpoint is configured (`otel.endpoint`, or `OTEL_EXPORTER_OTLP_ENDPOINT`).
//!
//! W3C trace context comes in from the client's `traceparent`/`tracestate` headers or its
//! `_meta.traceparent`, and goes out to backends in `_meta` (every transport) and in the
//! `traceparent` header (HTTP backends).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::Context;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::config::OtelConfig;

/// Whether spans are exported (so propagation has a context to send).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The span targets exported at DEBUG: the gateway's request spans and the layers' backend
/// call spans. They stay disabled (free) when nothing exports them.
pub const SPAN_TARGETS: &[&str] = &["mcpmux::otel", "mcpmux_layers::trace"];

/// Where and how spans go.
#[derive(Debug, Clone, PartialEq)]
pub struct Export {
    /// The collector endpoint, as the exporter takes it.
    pub endpoint: String,
    /// gRPC or HTTP/protobuf.
    pub protocol: Protocol,
    /// `service.name`.
    pub service_name: String,
    /// Share of root traces sampled, when set (else the SDK reads `OTEL_TRACES_SAMPLER`).
    pub sample_ratio: Option<f64>,
}

/// Resolves config and the standard `OTEL_*` variables (config wins); `None`: no export.
pub fn resolve(
    config: &OtelConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Export>, String> {
    let endpoint = config
        .endpoint
        .clone()
        .or_else(|| env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        .or_else(|| env("OTEL_EXPORTER_OTLP_ENDPOINT"));
    let Some(endpoint) = endpoint.filter(|e| !e.trim().is_empty()) else {
        return Ok(None);
    };
    let protocol_name = config
        .protocol
        .clone()
        .or_else(|| env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
        .or_else(|| env("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_else(|| "grpc".into());
    let protocol = match protocol_name.as_str() {
        "grpc" => Protocol::Grpc,
        "http/protobuf" => Protocol::HttpBinary,
        other => {
            return Err(format!(
                "otel.protocol: `{other}` is not supported; use `grpc` or `http/protobuf`"
            ))
        }
    };
    // The HTTP exporter takes the full traces URL; a base endpoint gets the standard path.
    let endpoint = if protocol == Protocol::HttpBinary && !endpoint.ends_with("/v1/traces") {
        format!("{}/v1/traces", endpoint.trim_end_matches('/'))
    } else {
        endpoint
    };
    if let Some(ratio) = config.sample_ratio {
        if !(0.0..=1.0).contains(&ratio) {
            return Err(format!(
                "otel.sample_ratio: {ratio} is not between 0.0 and 1.0"
            ));
        }
    }
    Ok(Some(Export {
        endpoint,
        protocol,
        service_name: config
            .service_name
            .clone()
            .or_else(|| env("OTEL_SERVICE_NAME"))
            .unwrap_or_else(|| "mcpmux".into()),
        sample_ratio: config.sample_ratio,
    }))
}

/// Builds the tracer provider. Must run inside the tokio runtime that will carry the exports.
pub fn provider(export: &Export) -> Result<SdkTracerProvider, String> {
    let exporter = match export.protocol {
        Protocol::Grpc => SpanExporter::builder()
            .with_tonic()
            .with_protocol(Protocol::Grpc)
            .with_endpoint(&export.endpoint)
            .build(),
        _ => SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(&export.endpoint)
            .build(),
    }
    .map_err(|e| {
        format!(
            "otel: cannot build the exporter for {}: {e}",
            export.endpoint
        )
    })?;
    let processor = batch(exporter);
    let mut builder = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            Resource::builder()
                .with_service_name(export.service_name.clone())
                .build(),
        );
    if let Some(ratio) = export.sample_ratio {
        builder = builder.with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            ratio,
        ))));
    } else if std::env::var_os("OTEL_TRACES_SAMPLER").is_none() {
        builder = builder.with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    ENABLED.store(true, Ordering::Release);
    Ok(builder.build())
}

/// The batch processor. Its `TokioCurrentThread` flavour runs exports on a thread of its own
/// (with its own small runtime), whatever runtime the gateway runs: exports never take a
/// gateway worker, and flushing at shutdown cannot deadlock a single-threaded runtime.
fn batch(
    exporter: SpanExporter,
) -> opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor<
    opentelemetry_sdk::runtime::TokioCurrentThread,
> {
    opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
        exporter,
        opentelemetry_sdk::runtime::TokioCurrentThread,
    )
    .build()
}

/// The tracer of a provider, for the `tracing` layer.
pub fn tracer(provider: &SdkTracerProvider) -> opentelemetry_sdk::trace::SdkTracer {
    provider.tracer("mcpmux")
}

/// Whether spans are exported.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Acquire)
}

/// The trace context in a client's `traceparent`/`tracestate`.
pub fn extract(traceparent: Option<&str>, tracestate: Option<&str>) -> Option<Context> {
    let traceparent = traceparent?;
    let mut carrier = HashMap::with_capacity(2);
    carrier.insert("traceparent".to_string(), traceparent.to_string());
    if let Some(state) = tracestate {
        carrier.insert("tracestate".to_string(), state.to_string());
    }
    Some(TraceContextPropagator::new().extract(&carrier))
}

/// Makes `parent` the parent of `span` (before the span is entered).
pub fn set_parent(span: &tracing::Span, parent: Context) {
    let _ = span.set_parent(parent);
}

/// The `traceparent` and `tracestate` of the current span, when spans are exported.
pub fn current() -> Option<(String, Option<String>)> {
    if !enabled() {
        return None;
    }
    let cx = tracing::Span::current().context();
    let mut carrier: HashMap<String, String> = HashMap::with_capacity(2);
    TraceContextPropagator::new().inject_context(&cx, &mut carrier);
    let traceparent = carrier.remove("traceparent")?;
    Some((
        traceparent,
        carrier.remove("tracestate").filter(|s| !s.is_empty()),
    ))
}

/// Flushes and stops the exporter (blocking: call from a blocking thread).
pub fn shutdown(provider: SdkTracerProvider) {
    if let Err(e) = provider.shutdown() {
        eprintln!("mcpmux: flushing traces failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn off_without_an_endpoint_and_config_wins_over_env() {
        assert_eq!(resolve(&OtelConfig::default(), env(&[])).unwrap(), None);
        let from_env = resolve(
            &OtelConfig::default(),
            env(&[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(from_env.endpoint, "http://c:4318/v1/traces");
        assert_eq!(from_env.protocol, Protocol::HttpBinary);
        let config = OtelConfig {
            endpoint: Some("http://mine:4317".into()),
            service_name: Some("gw".into()),
            ..OtelConfig::default()
        };
        let chosen = resolve(
            &config,
            env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(chosen.endpoint, "http://mine:4317");
        assert_eq!(chosen.protocol, Protocol::Grpc);
        assert_eq!(chosen.service_name, "gw");
    }

    #[test]
    fn bad_protocols_and_ratios_are_config_errors() {
        let config = OtelConfig {
            endpoint: Some("http://c".into()),
            protocol: Some("thrift".into()),
            ..OtelConfig::default()
        };
        assert!(resolve(&config, env(&[]))
            .unwrap_err()
            .contains("otel.protocol"));
        let config = OtelConfig {
            endpoint: Some("http://c".into()),
            sample_ratio: Some(2.0),
            ..OtelConfig::default()
        };
        assert!(resolve(&config, env(&[]))
            .unwrap_err()
            .contains("sample_ratio"));
    }

    #[test]
    fn a_client_traceparent_is_read() {
        let cx = extract(
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            None,
        )
        .unwrap();
        use opentelemetry::trace::TraceContextExt;
        assert_eq!(
            cx.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }
}
