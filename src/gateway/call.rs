//! Starting a client call: its params are read once (repeated members refused), its context is
//! built (progress token swapped for a gateway-unique one), and the call is registered with its
//! session so that `notifications/cancelled` finds it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use http::HeaderValue;
use serde_json::value::RawValue;

use super::{CallError, Gateway};
use crate::protocol::jsonrpc::raw_string;
use crate::protocol::mcp::LogLevel;
use crate::protocol::{ClientParams, Id, JsonRpcRequest, RawJson, RawObject, Request};
use crate::session::progress::ProgressGuard;
use crate::session::{CallContext, CallGuard, CallParts, ModernCall, Session};
use crate::telemetry::audit_line::AuditLine;
use crate::telemetry::call_metrics::CallLabels;
use crate::telemetry::metrics as metrics_names;
use crate::telemetry::otel;
use crate::util::watched::{watched, Either};
use tracing::Instrument;

const TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
const TRACESTATE: http::HeaderName = http::HeaderName::from_static("tracestate");

/// The server span of a client request, with the OpenTelemetry MCP attributes. At DEBUG under
/// `mcpmux::otel`: it costs nothing unless spans are exported.
fn request_span(
    method: &str,
    id: &crate::protocol::Id,
    session: Option<&Session>,
    params: Option<&ClientParams>,
) -> tracing::Span {
    if !otel::enabled() {
        return tracing::Span::none();
    }
    let target = params
        .and_then(|p| p.object().get("name").or_else(|| p.object().get("uri")))
        .and_then(|n| serde_json::from_str::<String>(n.get()).ok());
    let name = match &target {
        Some(target) => format!("{method} {target}"),
        None => method.to_string(),
    };
    let tool = (method == "tools/call")
        .then_some(target.as_deref())
        .flatten();
    tracing::debug_span!(
        target: "mcpmux::otel",
        "mcp.request",
        otel.name = %name,
        otel.kind = "server",
        mcp.method.name = method,
        mcp.session.id = session.map(|s| &*s.id),
        jsonrpc.request.id = %id,
        gen_ai.tool.name = tool,
        mcp.backend = tracing::field::Empty,
        "error.type" = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    )
}

/// The client's trace context: its headers, else `_meta.traceparent` / `_meta.tracestate`.
fn client_trace(
    headers: Option<&(HeaderValue, Option<HeaderValue>)>,
    meta: Option<&RawObject>,
) -> Option<(String, Option<String>)> {
    if let Some((parent, state)) = headers {
        let parent = parent.to_str().ok()?.to_string();
        let state = state
            .as_ref()
            .and_then(|s| s.to_str().ok())
            .map(str::to_string);
        return Some((parent, state));
    }
    let meta = meta?;
    let read = |key: &str| {
        meta.get(key)
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
    };
    Some((read("traceparent")?, read("tracestate")))
}

/// Records where the call went and how it ended on the request's span.
fn record_outcome(ctx: &CallContext, result: &Result<RawJson, CallError>) {
    // Without export there is no span (see `request_span`): not even a lookup of the current one.
    if !otel::enabled() {
        return;
    }
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    if let Some(routed) = ctx.routed() {
        span.record("mcp.backend", &*routed.backend);
    }
    if let Err(e) = result {
        let edge = crate::frontend::edge::Edge::of(e);
        span.record("error.type", edge.kind.label());
        span.record("otel.status_code", "ERROR");
    }
}

/// What is recorded of a call when it ends: metrics for every call, and for `tools/call` the
/// audit line (arguments only when `audit.include_arguments`). The tool's name is the one steer
/// kept in the call's context (see `CallContext::keep_called`): read once per call.
struct Audit {
    method: &'static str,
    arguments: Option<Box<RawValue>>,
}

impl Audit {
    fn of(method: &str, params: Option<&ClientParams>, with_arguments: bool) -> Audit {
        let method = metrics_names::method_label(method);
        let arguments = (method == "tools/call" && with_arguments)
            .then(|| params.and_then(|p| p.object().get("arguments")))
            .flatten()
            .map(RawValue::to_owned);
        Audit { method, arguments }
    }

    fn record(&self, ctx: &CallContext, took: Duration, result: &Result<RawJson, CallError>) {
        let routed = ctx.routed();
        let backend: &str = routed.map_or("mcpmux", |r| &r.backend);
        let (outcome, code) = match result {
            Ok(_) => ("ok", None),
            Err(e) => {
                let edge = crate::frontend::edge::Edge::of(e);
                (edge.kind.label(), Some(edge.error.code))
            }
        };
        crate::telemetry::call_metrics::record(
            CallLabels {
                method: self.method,
                backend: routed.map(|r| &r.backend),
                tool: routed.and_then(|r| r.tool.as_ref()),
                outcome,
            },
            took,
        );
        if self.method != "tools/call" {
            return;
        }
        AuditLine {
            principal: ctx.principal().map(|p| &**p),
            session: ctx.session().map(|s| &*s.id),
            tool: ctx.called().unwrap_or(""),
            backend,
            outcome,
            // Whole microseconds: as precise as the clock is useful, and short to print.
            duration_ms: took.as_micros() as f64 / 1000.0,
            error_code: code,
            arguments: self.arguments.as_deref().map(RawValue::get),
        }
        .log();
    }
}

/// Where a call comes from, as its frontend knows it.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// The client session (legacy clients).
    pub session: Option<Arc<Session>>,
    /// The authenticated principal.
    pub principal: Option<Arc<str>>,
    /// The client's own `Authorization`, which reaches only backends that opt in.
    pub authorization: Option<HeaderValue>,
    /// Whether the reply may be an event stream (else messages go to the GET stream).
    pub streamable: bool,
    /// The client's W3C `traceparent` and `tracestate` headers.
    pub trace: Option<(HeaderValue, Option<HeaderValue>)>,
    /// A modern-era client's call state (its request's capabilities and log level).
    pub modern: Option<Arc<ModernCall>>,
}

impl Inbound {
    /// The client's `traceparent` and `tracestate` headers, as [`Inbound::trace`] keeps them.
    /// Looked up by constant names: a `&str` name is parsed again on every lookup.
    pub fn trace_headers(headers: &http::HeaderMap) -> Option<(HeaderValue, Option<HeaderValue>)> {
        let parent = headers.get(TRACEPARENT)?.clone();
        Some((parent, headers.get(TRACESTATE).cloned()))
    }
}

/// A started call: its context (the frontend reads the call's stream from it) and the future
/// of its result.
pub struct Call {
    /// The call's context.
    pub ctx: Arc<CallContext>,
    /// Resolves to the result; dropping it abandons the call (the backend is told).
    pub future: BoxFuture<'static, Result<RawJson, CallError>>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("ctx", &self.ctx)
            .finish_non_exhaustive()
    }
}

// === impl Gateway ===

impl Gateway {
    /// Starts a client request. Fails at once when its params cannot be read.
    pub fn call(&self, request: Request, inbound: Inbound) -> Result<Call, CallError> {
        let Request { id, method, params } = request;
        let parsed = match params {
            Some(raw) => {
                let object = RawObject::parse(&raw).map_err(|e| CallError::params(&method, e))?;
                Some(ClientParams::new(raw, object))
            }
            None => None,
        };
        self.call_read(id, method, parsed, inbound)
    }

    /// Starts a client request whose params the frontend has already read once.
    pub fn call_read(
        &self,
        id: Id,
        method: Box<str>,
        mut parsed: Option<ClientParams>,
        inbound: Inbound,
    ) -> Result<Call, CallError> {
        let meta = match parsed.as_ref().and_then(|p| p.object().get("_meta")) {
            Some(raw) if raw.get() != "null" => Some((
                raw.to_owned(),
                RawObject::parse(raw).map_err(|e| CallError::nested(&method, "_meta", e))?,
            )),
            _ => None,
        };
        let progress_token = meta
            .as_ref()
            .and_then(|(_, m)| m.get("progressToken"))
            .filter(|t| t.get() != "null")
            .map(RawValue::to_owned);
        if &*method == "logging/setLevel" {
            self.set_level(inbound.session.as_deref(), parsed.as_ref())?;
        }
        let span = request_span(&method, &id, inbound.session.as_deref(), parsed.as_ref());
        let client_trace = client_trace(inbound.trace.as_ref(), meta.as_ref().map(|(_, m)| m));
        if let Some((traceparent, tracestate)) = &client_trace {
            if let Some(parent) = otel::extract(Some(traceparent), tracestate.as_deref()) {
                otel::set_parent(&span, parent);
            }
        }
        let has_token = progress_token.is_some();
        let version = match (&inbound.session, &inbound.modern) {
            (Some(session), _) => session.version(),
            (None, Some(_)) => crate::protocol::mcp::MODERN_VERSIONS[0],
            (None, None) => crate::protocol::mcp::LATEST_LEGACY,
        };
        let ctx = CallContext::new(CallParts {
            session: inbound.session,
            client_id: Some(id),
            progress_token,
            meta: meta.as_ref().map(|(raw, _)| raw.clone()),
            principal: inbound.principal,
            version,
            streamable: inbound.streamable,
            deadline: None,
            modern: inbound.modern,
        });
        // `_meta` toward the backend: the gateway's progress token, and the trace context of
        // this request's span when spans are exported.
        let outgoing_trace = span.in_scope(otel::current);
        let mut progress = None;
        if has_token || outgoing_trace.is_some() {
            if let Some(params) = &mut parsed {
                let mut meta = meta.map(|(_, m)| m).unwrap_or_default();
                if has_token {
                    let (token, guard) = self.inner.way_back.progress().register(&ctx);
                    meta.set("progressToken", token);
                    progress = Some(guard);
                }
                if let Some((traceparent, tracestate)) = &outgoing_trace {
                    meta.set("traceparent", raw_string(traceparent));
                    if let Some(state) = tracestate {
                        meta.set("tracestate", raw_string(state));
                    }
                }
                params.set("_meta", meta.to_raw());
            }
        }
        let audit = Audit::of(
            &method,
            parsed.as_ref(),
            self.inner.config.load().audit.include_arguments,
        );
        let mut req = JsonRpcRequest::with_ctx(method, None, ctx.clone());
        req.parsed = parsed;
        if let Some(value) = inbound.authorization {
            req.headers.insert(http::header::AUTHORIZATION, value);
        }
        // Without export, a client's trace context still reaches HTTP backends as it came.
        if let (None, Some((traceparent, tracestate))) = (&outgoing_trace, client_trace) {
            if let Ok(value) = HeaderValue::from_str(&traceparent) {
                req.headers.insert(TRACEPARENT, value);
            }
            if let Some(value) = tracestate.and_then(|s| HeaderValue::from_str(&s).ok()) {
                req.headers.insert(TRACESTATE, value);
            }
        }
        // Steered now: the future holds the routed call (a box), not the request.
        let steered = self.inner.steer.route(req);
        let future_ctx = ctx.clone();
        let future = Box::pin(
            async move {
                let started = Instant::now();
                let _call = CallGuard::start(&future_ctx);
                let _progress: Option<ProgressGuard> = progress;
                // The cancellation is looked at only when it fires, not on every wake of the
                // call (see `util::watched`); a call cancelled before it starts is not sent.
                let result = if future_ctx.is_cancelled() {
                    Err(CallError::Cancelled)
                } else {
                    match watched(steered, future_ctx.cancelled()).await {
                        Either::Main(result) => result,
                        Either::Watcher(()) => Err(CallError::Cancelled),
                    }
                };
                audit.record(&future_ctx, started.elapsed(), &result);
                record_outcome(&future_ctx, &result);
                result
            }
            .instrument(span),
        );
        Ok(Call { ctx, future })
    }

    /// Stores a session's `logging/setLevel`; shared backends follow the most verbose level
    /// any session asked for.
    fn set_level(
        &self,
        session: Option<&Session>,
        params: Option<&ClientParams>,
    ) -> Result<(), CallError> {
        let level = params
            .and_then(|p| p.object().get("level"))
            .and_then(|l| serde_json::from_str::<String>(l.get()).ok())
            .ok_or_else(|| {
                CallError::InvalidParams("logging/setLevel needs a string `level`".into())
            })?;
        let level = LogLevel::parse(&level).ok_or_else(|| {
            CallError::InvalidParams(format!(
                "logging/setLevel: unknown level `{level}`; use debug, info, notice, warning, error, critical, alert or emergency"
            ))
        })?;
        if let Some(session) = session {
            let old = session.set_log_level(level);
            self.inner.way_back.levels().change(old, Some(level));
        }
        Ok(())
    }
}
