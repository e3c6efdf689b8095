//! One `tracing` span per backend call, with the OpenTelemetry MCP attribute names.
//!
//! Fields: `mcp.method.name`, `mcp.backend`, `gen_ai.tool.name` (tool calls only),
//! `jsonrpc.request.id` (left empty for the gateway to record), and on completion `outcome`
//! (`ok`/`error`), plus `error.type` and `otel.status_code = "ERROR"` on failure. The span is the
//! parent of everything the inner layers and the transport log.
//!
//! The span is at DEBUG, as tower-http's `TraceLayer` does: at the default `info` level it is
//! disabled and costs a callsite check, where an enabled span cost about 10% of the gateway's
//! CPU per proxied call in the load benchmark. Run with `mcpmux_layers=debug` (or an exporter's
//! own filter) to get one span per backend call.

mod future;
mod layer;

pub use self::future::ResponseFuture;
pub use self::layer::TraceLayer;

use std::error::Error;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::Service;
use tracing::field::Empty;

use crate::circuit_breaker::CircuitOpen;
use crate::rate_limit::RateLimited;
use crate::request::{BoxError, CallInfo, NeverSent};
use crate::timeout::Elapsed;

/// A service that runs each call inside its own span.
#[derive(Debug, Clone)]
pub struct Trace<S> {
    inner: S,
    backend: Arc<str>,
}

/// A low-cardinality name for an error, for `error.type`: `timeout`, `circuit_open`,
/// `rate_limited`, `never_sent` (searched along the source chain), else `_OTHER`.
pub fn error_type(err: &(dyn Error + 'static)) -> &'static str {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<Elapsed>() {
            return "timeout";
        }
        if e.is::<CircuitOpen>() {
            return "circuit_open";
        }
        if e.is::<RateLimited>() {
            return "rate_limited";
        }
        if e.is::<NeverSent>() {
            return "never_sent";
        }
        current = e.source();
    }
    "_OTHER"
}

// === impl Trace ===

impl<S> Trace<S> {
    pub(crate) fn new(inner: S, backend: Arc<str>) -> Self {
        Self { inner, backend }
    }
}

impl<S, Req> Service<Req> for Trace<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    Req: CallInfo,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        let method = req.method();
        let tool = req.tool_name();
        let span = tracing::debug_span!(
            "backend call",
            otel.name = %format_args!("{method} {}", tool.unwrap_or(&self.backend)),
            otel.kind = "client",
            mcp.method.name = method,
            mcp.backend = &*self.backend,
            gen_ai.tool.name = tool,
            jsonrpc.request.id = Empty,
            outcome = Empty,
            error.type = Empty,
            otel.status_code = Empty,
        );
        let response = {
            // Entered while calling too, so work done synchronously in `call` is attributed.
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture::new(response, span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{ready, scripted, TestReq};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;
    use tower::{Layer, ServiceExt};
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
    use tracing_subscriber::registry::LookupSpan;

    /// A span's fields, as "name" -> "value" (`None` while declared but empty).
    type Fields = BTreeMap<String, Option<String>>;

    /// Name and fields of every span created.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<(String, Fields)>>>);

    struct FieldVisitor<'a>(&'a mut BTreeMap<String, Option<String>>);

    impl Visit for FieldVisitor<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0
                .insert(field.name().to_string(), Some(format!("{value:?}")));
        }
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0
                .insert(field.name().to_string(), Some(value.to_string()));
        }
    }

    impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Captured {
        fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: LayerContext<'_, S>) {
            let mut fields: BTreeMap<String, Option<String>> = attrs
                .fields()
                .iter()
                .map(|f| (f.name().to_string(), None))
                .collect();
            attrs.record(&mut FieldVisitor(&mut fields));
            self.0
                .lock()
                .unwrap()
                .push((attrs.metadata().name().to_string(), fields));
        }

        fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: LayerContext<'_, S>) {
            // Tests create one span at a time, so the last one is the one being recorded.
            let mut spans = self.0.lock().unwrap();
            if let Some((_, fields)) = spans.last_mut() {
                values.record(&mut FieldVisitor(fields));
            }
        }
    }

    fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn field(fields: &BTreeMap<String, Option<String>>, name: &str) -> Option<String> {
        fields.get(name).cloned().flatten()
    }

    #[tokio::test]
    async fn tool_call_span_carries_the_mcp_attributes() {
        let (captured, _guard) = capture();
        let (inner, _) = scripted(|_, _| ready(Ok("ok")));
        let svc = TraceLayer::new("github").layer(inner);

        svc.oneshot(TestReq::tool("search")).await.unwrap();

        let spans = captured.0.lock().unwrap();
        let (name, fields) = &spans[0];
        assert_eq!(name, "backend call");
        assert_eq!(
            field(fields, "mcp.method.name").as_deref(),
            Some("tools/call")
        );
        assert_eq!(field(fields, "mcp.backend").as_deref(), Some("github"));
        assert_eq!(field(fields, "gen_ai.tool.name").as_deref(), Some("search"));
        assert_eq!(
            field(fields, "otel.name").as_deref(),
            Some("tools/call search")
        );
        assert_eq!(field(fields, "outcome").as_deref(), Some("ok"));
        assert!(
            fields.contains_key("jsonrpc.request.id"),
            "declared for the gateway to record"
        );
        assert_eq!(field(fields, "error.type"), None);
    }

    #[tokio::test]
    async fn failed_call_records_error_type_and_outcome() {
        let (captured, _guard) = capture();
        let (inner, _) = scripted(|_, _| {
            ready(Err(Elapsed {
                backend: "github".into(),
                limit: Duration::from_secs(1),
            }
            .into()))
        });
        let svc = TraceLayer::new("github").layer(inner);

        svc.oneshot(TestReq::method("tools/list"))
            .await
            .unwrap_err();

        let spans = captured.0.lock().unwrap();
        let (_, fields) = &spans[0];
        assert_eq!(
            field(fields, "mcp.method.name").as_deref(),
            Some("tools/list")
        );
        assert_eq!(field(fields, "gen_ai.tool.name"), None);
        assert_eq!(field(fields, "outcome").as_deref(), Some("error"));
        assert_eq!(field(fields, "error.type").as_deref(), Some("timeout"));
        assert_eq!(field(fields, "otel.status_code").as_deref(), Some("ERROR"));
    }

    #[test]
    fn error_type_names_known_errors_anywhere_in_the_chain() {
        let never: BoxError = NeverSent::new("refused").into();
        assert_eq!(error_type(&*never), "never_sent");
        let other: BoxError = "boom".into();
        assert_eq!(error_type(&*other), "_OTHER");
    }
}
