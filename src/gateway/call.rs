//! Starting a client call: its params are read once (repeated members refused), its context is
//! built (progress token swapped for a gateway-unique one), and the call is registered with its
//! session so that `notifications/cancelled` finds it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use http::HeaderValue;
use serde_json::value::RawValue;
use tower::ServiceExt;

use super::{CallError, Gateway};
use crate::protocol::mcp::LogLevel;
use crate::protocol::{ClientParams, JsonRpcRequest, RawJson, RawObject, Request};
use crate::session::progress::ProgressGuard;
use crate::session::{CallContext, CallGuard, CallParts, Session};
use crate::telemetry::metrics as metrics_names;

/// What is recorded of a call when it ends: metrics for every call, and for `tools/call` the
/// audit line (arguments only when `audit.include_arguments`).
struct Audit {
    method: &'static str,
    /// The exposed tool name the client called.
    tool: Option<Box<str>>,
    arguments: Option<Box<RawValue>>,
}

impl Audit {
    fn of(method: &str, params: Option<&ClientParams>, with_arguments: bool) -> Audit {
        let method = metrics_names::method_label(method);
        let is_tool_call = method == "tools/call";
        let member = |key: &str| params.and_then(|p| p.object().get(key));
        Audit {
            method,
            tool: is_tool_call
                .then(|| {
                    member("name").and_then(|n| serde_json::from_str::<Box<str>>(n.get()).ok())
                })
                .flatten(),
            arguments: (is_tool_call && with_arguments)
                .then(|| member("arguments").map(RawValue::to_owned))
                .flatten(),
        }
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
        metrics::counter!(metrics_names::REQUESTS, "method" => self.method, "backend" => backend.to_string(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!(metrics_names::REQUEST_DURATION, "method" => self.method, "backend" => backend.to_string())
            .record(took.as_secs_f64());
        if self.method != "tools/call" {
            return;
        }
        // The tool label is the backend's own name, bounded by the catalog; an unknown name
        // never becomes a label.
        let tool = routed.and_then(|r| r.tool.as_deref()).unwrap_or("unknown");
        metrics::counter!(metrics_names::TOOL_CALLS, "backend" => backend.to_string(), "tool" => tool.to_string(), "outcome" => outcome)
            .increment(1);
        let session = ctx.session().map(|s| &*s.id);
        let principal = ctx.principal().map(|p| &**p);
        let exposed = self.tool.as_deref().unwrap_or("");
        let duration_ms = took.as_secs_f64() * 1000.0;
        match &self.arguments {
            Some(arguments) => tracing::info!(
                target: "mcpmux::audit",
                principal, session, tool = exposed, backend, outcome, duration_ms, error_code = code,
                arguments = arguments.get(),
                "tool call"
            ),
            None => tracing::info!(
                target: "mcpmux::audit",
                principal, session, tool = exposed, backend, outcome, duration_ms, error_code = code,
                "tool call"
            ),
        }
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
        let mut parsed = match params {
            Some(raw) => {
                let object = RawObject::parse(&raw).map_err(|e| CallError::params(&method, e))?;
                Some(ClientParams::new(raw, object))
            }
            None => None,
        };
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
        let has_token = progress_token.is_some();
        let version = inbound
            .session
            .as_ref()
            .map_or(crate::protocol::mcp::LATEST_LEGACY, |s| s.version());
        let ctx = CallContext::new(CallParts {
            session: inbound.session,
            client_id: Some(id),
            progress_token,
            meta: meta.as_ref().map(|(raw, _)| raw.clone()),
            principal: inbound.principal,
            version,
            streamable: inbound.streamable,
            deadline: None,
        });
        let progress = match (has_token, meta, &mut parsed) {
            (true, Some((_, mut meta)), Some(params)) => {
                let (token, guard) = self.inner.way_back.progress().register(&ctx);
                meta.set("progressToken", token);
                params.set("_meta", meta.to_raw());
                Some(guard)
            }
            _ => None,
        };
        let audit = Audit::of(
            &method,
            parsed.as_ref(),
            self.inner.config.audit.include_arguments,
        );
        let mut req = JsonRpcRequest::with_ctx(method, None, ctx.clone());
        req.parsed = parsed;
        if let Some(value) = inbound.authorization {
            req.headers.insert(http::header::AUTHORIZATION, value);
        }
        let steer = self.inner.steer.clone();
        let future_ctx = ctx.clone();
        let future = Box::pin(async move {
            let started = Instant::now();
            let _call = CallGuard::start(&future_ctx);
            let _progress: Option<ProgressGuard> = progress;
            let result = tokio::select! {
                biased;
                _ = future_ctx.cancel_token().cancelled() => Err(CallError::Cancelled),
                result = steer.oneshot(req) => result,
            };
            audit.record(&future_ctx, started.elapsed(), &result);
            result
        });
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
