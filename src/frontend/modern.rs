//! `/mcp` for modern-era (2026-07-28) clients: stateless requests that carry their protocol
//! version and capabilities in `_meta` and repeat what routing needs in headers.
//!
//! The same endpoint serves legacy clients (`streamable_http`); a POST without a session whose
//! `MCP-Protocol-Version` is not a legacy one, or whose `_meta` names a protocol version, is a
//! modern client's. Each request is checked (headers against the body, the version, the
//! required `_meta`), then runs through the same `Gateway::call` as every other wire. What a
//! backend sends back during the call reaches the client on that request's own event stream;
//! a backend's request to the client (sampling, elicitation, roots) ends the round with an
//! `InputRequiredResult`, and the client's retry with `inputResponses` and `requestState`
//! resumes the same call (`gateway::parked`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::RETRY_AFTER;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::body::{self, Body};
use super::edge::{Edge, Kind};
use super::event_stream::{self, OnCut};
use super::listen;
use super::streamable_http::Accepted;
use crate::auth::Principal;
use crate::backend::http::PROTOCOL_VERSION;
use crate::gateway::parked::Binding;
use crate::gateway::{CallError, Gateway, Inbound};
use crate::protocol::error_codes::{
    HEADER_MISMATCH, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND,
    UNSUPPORTED_PROTOCOL_VERSION,
};
use crate::protocol::jsonrpc::{to_raw, write_response};
use crate::protocol::mcp::{LogLevel, LEGACY_VERSIONS, MODERN_VERSIONS, SUPPORTED_VERSIONS};
use crate::protocol::{
    ClientParams, ErrorObject, Id, Message, Outcome, RawJson, RawObject, Request,
};
use crate::session::client::ClientCaps;
use crate::session::{CallContext, ModernCall, PendingInput};

/// `_meta` key of the request's protocol version.
pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key of the request's client capabilities.
const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key of the log level the request wants messages at.
const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";

const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// How long clients may keep list and read results (`ttlMs`): the catalog changes with
/// backends, and only listening clients hear `list_changed`.
const LIST_TTL_MS: u64 = 60_000;

/// Methods of the legacy era that the 2026-07-28 revision removed (`initialize` never gets
/// here: it starts a session).
const REMOVED: &[&str] = &[
    "ping",
    "logging/setLevel",
    "resources/subscribe",
    "resources/unsubscribe",
];

/// Whether a POST to `/mcp` is a modern client's: no session (`has_session`: it carries
/// `Mcp-Session-Id`), and a version that is not a legacy one in the header, or the modern
/// version key in `_meta`.
pub(super) fn is_modern(headers: &HeaderMap, has_session: bool, message: &Message) -> bool {
    if has_session {
        return false;
    }
    let (method, params) = match message {
        Message::Request(r) => (&*r.method, r.params.as_deref()),
        Message::Notification(n) => (&*n.method, n.params.as_deref()),
        Message::Response(_) => return headers.contains_key(PROTOCOL_VERSION),
    };
    // `initialize` always starts a session, whatever version header came with it.
    if method == "initialize" {
        return false;
    }
    if let Some(version) = headers.get(PROTOCOL_VERSION) {
        return version
            .to_str()
            .map_or(true, |v| !LEGACY_VERSIONS.contains(&v));
    }
    params.is_some_and(|p| p.get().contains(META_VERSION))
}

/// Serves one modern client's message.
pub(super) async fn serve(
    gateway: &Gateway,
    principal: Principal,
    headers: &HeaderMap,
    message: Message,
    accepted: Accepted,
) -> Response<Body> {
    let req = match message {
        Message::Request(req) => req,
        // Cancellation is closing the request's stream; other client notifications are not
        // defined over HTTP in this revision. Accepted and dropped.
        Message::Notification(n) => {
            tracing::debug!(method = %n.method, "modern client notification ignored");
            return body::status(StatusCode::ACCEPTED);
        }
        Message::Response(_) => {
            return body::jsonrpc_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorObject::new(
                    INVALID_REQUEST,
                    "modern clients send no responses: answer input requests with `inputResponses` on a retry",
                ),
            )
        }
    };
    let checked = match Checked::of(headers, &req) {
        Ok(checked) => checked,
        Err(refused) => return refused.response(Some(&req.id)),
    };
    match &*req.method {
        "server/discover" => body::json(
            StatusCode::OK,
            write_response(Some(&req.id), &Ok(gateway.discover())),
        ),
        "subscriptions/listen" => listen::open(gateway, req, &checked.params).await,
        _ => call(gateway, principal, headers, req, checked, accepted).await,
    }
}

/// What a checked request carries.
struct Checked {
    params: RawObject,
    caps: ClientCaps,
    log_level: Option<LogLevel>,
}

/// A request refused before it runs: the status and error the 2026-07-28 transport gives.
struct Refused {
    status: StatusCode,
    error: ErrorObject,
}

impl Refused {
    fn header(message: String) -> Refused {
        Refused {
            status: StatusCode::BAD_REQUEST,
            error: ErrorObject::new(HEADER_MISMATCH, message),
        }
    }

    fn params(message: String) -> Refused {
        Refused {
            status: StatusCode::BAD_REQUEST,
            error: ErrorObject::new(INVALID_PARAMS, message),
        }
    }

    fn response(self, id: Option<&Id>) -> Response<Body> {
        body::jsonrpc_error(self.status, id, self.error)
    }
}

impl Checked {
    /// The checks of the transport, in order: version served, headers equal to the body,
    /// required `_meta`, method known.
    fn of(headers: &HeaderMap, req: &Request) -> Result<Checked, Refused> {
        let header = |name: &HeaderName| -> Result<Option<&str>, Refused> {
            headers
                .get(name)
                .map(|v| {
                    v.to_str().map_err(|_| {
                        Refused::header(format!("the {name} header is not visible ASCII"))
                    })
                })
                .transpose()
        };
        let params = match req.params.as_deref() {
            Some(raw) => RawObject::parse(raw)
                .map_err(|e| Refused::params(format!("{} params: {e}", req.method)))?,
            None => RawObject::default(),
        };
        let meta = match params.get("_meta") {
            Some(raw) => Some(
                RawObject::parse(raw)
                    .map_err(|e| Refused::params(format!("{} params._meta: {e}", req.method)))?,
            ),
            None => None,
        };
        let meta_string = |key: &str| -> Result<Option<String>, Refused> {
            match meta.as_ref().and_then(|m| m.get(key)) {
                None => Ok(None),
                Some(raw) => serde_json::from_str::<String>(raw.get())
                    .map(Some)
                    .map_err(|_| {
                        Refused::params(format!("params._meta[\"{key}\"] must be a string"))
                    }),
            }
        };
        let header_version = header(&PROTOCOL_VERSION)?;
        let body_version = meta_string(META_VERSION)?;
        let requested = header_version
            .or(body_version.as_deref())
            .unwrap_or_default();
        if !MODERN_VERSIONS.contains(&requested) {
            return Err(Refused {
                status: StatusCode::BAD_REQUEST,
                error: ErrorObject {
                    code: UNSUPPORTED_PROTOCOL_VERSION,
                    message: format!(
                        "unsupported protocol version `{requested}`: without a session this endpoint serves {}; legacy clients send initialize",
                        MODERN_VERSIONS.join(", ")
                    ),
                    data: Some(to_raw(&serde_json::json!({
                        "supported": SUPPORTED_VERSIONS,
                        "requested": requested,
                    }))),
                },
            });
        }
        let Some(header_version) = header_version else {
            return Err(Refused::header(
                "missing MCP-Protocol-Version header (every request names its version)".into(),
            ));
        };
        let Some(body_version) = body_version else {
            return Err(Refused::params(format!(
                "params._meta[\"{META_VERSION}\"] is required"
            )));
        };
        if header_version != body_version {
            return Err(Refused::header(format!(
                "MCP-Protocol-Version header `{header_version}` does not match params._meta version `{body_version}`"
            )));
        }
        match header(&MCP_METHOD)? {
            None => return Err(Refused::header("missing Mcp-Method header".into())),
            Some(method) if method != &*req.method => {
                return Err(Refused::header(format!(
                    "Mcp-Method header `{method}` does not match the body's method `{}`",
                    req.method
                )))
            }
            Some(_) => {}
        }
        if let Some(member) = named_by(&req.method) {
            let body_name = params
                .get(member)
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok());
            let header_name = header(&MCP_NAME)?.map(decode_header_value).transpose()?;
            match (header_name, body_name) {
                (None, _) => {
                    return Err(Refused::header(format!(
                        "missing Mcp-Name header ({} names its target in it)",
                        req.method
                    )))
                }
                (Some(h), Some(b)) if h == b => {}
                (Some(h), b) => {
                    return Err(Refused::header(format!(
                        "Mcp-Name header `{h}` does not match params.{member} `{}`",
                        b.unwrap_or_default()
                    )))
                }
            }
        }
        let caps = match meta.as_ref().and_then(|m| m.get(META_CAPABILITIES)) {
            Some(raw) => ClientCaps::parse(Some(raw)),
            None => {
                return Err(Refused::params(format!(
                    "params._meta[\"{META_CAPABILITIES}\"] is required (send {{}} for none)"
                )))
            }
        };
        let log_level = match meta_string(META_LOG_LEVEL)? {
            None => None,
            Some(level) => Some(LogLevel::parse(&level).ok_or_else(|| {
                Refused::params(format!(
                    "params._meta[\"{META_LOG_LEVEL}\"]: unknown level `{level}`"
                ))
            })?),
        };
        if REMOVED.contains(&&*req.method) {
            return Err(Refused {
                status: StatusCode::NOT_FOUND,
                error: ErrorObject::new(
                    METHOD_NOT_FOUND,
                    format!(
                        "`{}` is not part of protocol version {header_version}",
                        req.method
                    ),
                ),
            });
        }
        Ok(Checked {
            params,
            caps,
            log_level,
        })
    }
}

/// The params member a method names its target with (and `Mcp-Name` repeats).
fn named_by(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// A header value as the client meant it: `=?base64?...?=` carries UTF-8 that headers cannot.
fn decode_header_value(value: &str) -> Result<String, Refused> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    else {
        return Ok(value.to_string());
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            Refused::header(format!(
                "Mcp-Name header `{value}` is not valid base64 UTF-8"
            ))
        })
}

/// Runs a call (or resumes one waiting for input) and replies as JSON, or as an event stream
/// once the backend sends something before its answer.
async fn call(
    gateway: &Gateway,
    principal: Principal,
    headers: &HeaderMap,
    req: Request,
    checked: Checked,
    accepted: Accepted,
) -> Response<Body> {
    let Request { id, method, params } = req;
    let cacheable = cache_hint(&method);
    let target = named_by(&method).and_then(|member| {
        checked
            .params
            .get(member)
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
    });
    let binding = Binding {
        principal: principal.name.clone(),
        method: method.clone(),
        target: target.map(Into::into),
    };
    let state = checked
        .params
        .get("requestState")
        .and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    if let Some(state) = state.filter(|_| named_by(&method).is_some()) {
        return resume(
            gateway,
            id,
            &state,
            &checked.params,
            binding,
            accepted,
            cacheable,
        )
        .await;
    }
    let modern = ModernCall::new(
        checked.caps,
        checked.log_level,
        gateway.window().clone(),
        accepted.sse,
    );
    let inbound = Inbound {
        session: None,
        principal: principal.name,
        authorization: headers.get(http::header::AUTHORIZATION).cloned(),
        streamable: accepted.sse,
        trace: Inbound::trace_headers(headers),
        modern: Some(modern),
    };
    let read = params.map(|raw| ClientParams::new(raw, checked.params));
    match gateway.call_read(id.clone(), method, read, inbound) {
        Ok(call) => {
            drive(
                gateway,
                Round {
                    id,
                    ctx: call.ctx,
                    future: call.future,
                    binding,
                    accepted,
                    cacheable,
                },
            )
            .await
        }
        Err(error) => error_reply(Some(&id), &error, accepted),
    }
}

/// A retry with `requestState`: the client's answers go to the backend's waiting requests, and
/// the call goes on as this request's answer.
async fn resume(
    gateway: &Gateway,
    id: Id,
    state: &str,
    params: &RawObject,
    binding: Binding,
    accepted: Accepted,
    cacheable: bool,
) -> Response<Body> {
    let mut responses = match input_responses(params) {
        Ok(responses) => responses,
        Err(message) => return invalid_params(&id, message, accepted),
    };
    let parked = match gateway.parked().resume(state, &binding) {
        Ok(parked) => parked,
        Err(e) => return invalid_params(&id, e.to_string(), accepted),
    };
    let Some(modern) = parked.ctx.modern().cloned() else {
        return invalid_params(
            &id,
            "`requestState` does not name a modern call".into(),
            accepted,
        );
    };
    let mut unanswered = Vec::new();
    for input in parked.inputs {
        match responses.remove(&input.key) {
            Some(answer) => {
                // The backend may have stopped waiting (timed out); its loss, not the client's.
                let _ = input.answer.send(Ok(RawJson::from(answer)));
            }
            None => unanswered.push(input),
        }
    }
    modern.next_round(accepted.sse, unanswered);
    let result = parked.result;
    let future: BoxFuture<'static, Result<RawJson, CallError>> =
        Box::pin(async move { result.await.unwrap_or(Err(CallError::Cancelled)) });
    drive(
        gateway,
        Round {
            id,
            ctx: parked.ctx,
            future,
            binding: parked.binding,
            accepted,
            cacheable,
        },
    )
    .await
}

/// `inputResponses` of a retry, by key.
fn input_responses(params: &RawObject) -> Result<HashMap<String, Box<RawValue>>, String> {
    match params.get("inputResponses") {
        None => Ok(HashMap::new()),
        Some(raw) => {
            let object = RawObject::parse(raw).map_err(|e| {
                format!("`inputResponses` must be an object of answers by key: {e}")
            })?;
            Ok(object
                .members()
                .map(|(k, v)| (k.to_string(), v.to_owned()))
                .collect())
        }
    }
}

/// One round of a modern call: the request it answers and the call behind it.
struct Round {
    id: Id,
    ctx: Arc<CallContext>,
    future: BoxFuture<'static, Result<RawJson, CallError>>,
    binding: Binding,
    accepted: Accepted,
    cacheable: bool,
}

/// Waits for the round's end (the answer, or input the backend needs): JSON if nothing came
/// first, else an event stream carrying what the backend sends, then the end.
async fn drive(gateway: &Gateway, round: Round) -> Response<Body> {
    let Round {
        id,
        ctx,
        future,
        binding,
        accepted,
        cacheable,
    } = round;
    let Some(modern) = ctx.modern().cloned() else {
        return body::status(StatusCode::INTERNAL_SERVER_ERROR);
    };
    let parked = gateway.parked().clone();
    let settle_ctx = ctx.clone();
    let settle_modern = modern.clone();
    let mut settle = Box::pin(async move {
        let mut future = future;
        tokio::select! {
            biased;
            result = &mut future => Settled::Done(result),
            _ = settle_modern.input_needed() => {
                let inputs = settle_modern.take_inputs();
                let requests = input_requests(&inputs);
                let parked = parked.park(settle_ctx, future, inputs, binding);
                match parked {
                    Some(state) => Settled::Input(requests, state),
                    None => Settled::Done(Err(CallError::Answer(ErrorObject::internal(
                        "too many calls wait for their clients' input; try again",
                    )))),
                }
            }
        }
    });
    tokio::select! {
        biased;
        settled = &mut settle => {
            match modern.stream() {
                Some(stream) => {
                    finish(&stream, &id, settled, cacheable);
                    stream_reply(gateway, &ctx, &stream)
                }
                None => settled_reply(&id, settled, accepted, cacheable),
            }
        }
        _ = modern.opened(), if accepted.sse => {
            let Some(stream) = modern.stream() else {
                return body::status(StatusCode::INTERNAL_SERVER_ERROR);
            };
            let task_stream = stream.clone();
            tokio::spawn(async move {
                let settled = settle.await;
                finish(&task_stream, &id, settled, cacheable);
            });
            stream_reply(gateway, &ctx, &stream)
        }
    }
}

/// How a round ended.
enum Settled {
    /// The call's result.
    Done(Result<RawJson, CallError>),
    /// The backend needs the client's input: the requests, and the `requestState`.
    Input(Box<RawValue>, String),
}

impl Settled {
    /// The JSON-RPC outcome the client gets; `None` for a cancelled call (no answer).
    fn outcome(self, cacheable: bool) -> Option<Result<RawJson, (Edge, ErrorObject)>> {
        match self {
            Settled::Done(Ok(result)) => Some(Ok(complete(result, cacheable))),
            Settled::Done(Err(CallError::Cancelled)) => None,
            Settled::Done(Err(error)) => {
                let edge = Edge::of(&error);
                let error = modern_error(edge.error.clone());
                Some(Err((edge, error)))
            }
            Settled::Input(requests, state) => {
                Some(Ok(RawJson::from(to_raw(&serde_json::json!({
                    "resultType": "input_required",
                    "inputRequests": requests,
                    "requestState": state,
                })))))
            }
        }
    }
}

/// Puts the round's end last on its stream and closes it.
fn finish(stream: &crate::session::events::EventLog, id: &Id, settled: Settled, cacheable: bool) {
    if let Some(outcome) = settled.outcome(cacheable) {
        let outcome: Outcome = outcome.map_err(|(_, error)| error);
        stream.push(Bytes::from(write_response(Some(id), &outcome)));
    }
    stream.close();
}

fn settled_reply(id: &Id, settled: Settled, accepted: Accepted, cacheable: bool) -> Response<Body> {
    match settled.outcome(cacheable) {
        None => body::status(StatusCode::NO_CONTENT),
        Some(Ok(result)) => {
            let payload = write_response(Some(id), &Ok(result));
            if accepted.sse_only() {
                super::streamable_http::sse_single(payload)
            } else {
                body::json(StatusCode::OK, payload)
            }
        }
        Some(Err((edge, error))) => edge_reply(id, &edge, error, accepted),
    }
}

fn error_reply(id: Option<&Id>, error: &CallError, accepted: Accepted) -> Response<Body> {
    let edge = Edge::of(error);
    let modern = modern_error(edge.error.clone());
    match id {
        Some(id) => edge_reply(id, &edge, modern, accepted),
        None => body::jsonrpc_error(edge.kind.mcp_status(), None, modern),
    }
}

fn invalid_params(id: &Id, message: String, accepted: Accepted) -> Response<Body> {
    error_reply(Some(id), &CallError::InvalidParams(message), accepted)
}

/// A failed round: unknown methods are 404 in this revision; the rest as on legacy `/mcp`.
fn edge_reply(id: &Id, edge: &Edge, error: ErrorObject, accepted: Accepted) -> Response<Body> {
    let outcome: Outcome = Err(error);
    let payload = write_response(Some(id), &outcome);
    let mut response = if accepted.sse_only() {
        super::streamable_http::sse_single(payload)
    } else {
        body::json(StatusCode::OK, payload)
    };
    *response.status_mut() = match edge.kind {
        Kind::MethodNotFound => StatusCode::NOT_FOUND,
        kind => kind.mcp_status(),
    };
    if let Some(secs) = edge.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Error codes this revision renamed: a missing resource is `-32602`, not `-32002`.
fn modern_error(mut error: ErrorObject) -> ErrorObject {
    if error.code == RESOURCE_NOT_FOUND {
        error.code = INVALID_PARAMS;
    }
    error
}

/// Whether results of `method` carry caching hints (`ttlMs`, `cacheScope`).
fn cache_hint(method: &str) -> bool {
    matches!(
        method,
        "tools/list"
            | "prompts/list"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
    )
}

/// A result as this revision wants it: `resultType` (legacy backends do not send it), and
/// caching hints on lists and reads. The result's own members are kept as they are.
fn complete(result: RawJson, cacheable: bool) -> RawJson {
    let text = result.get();
    let Some(open) = text.find('{') else {
        return result;
    };
    // A member name in the text may be nested; only then is the object read to be sure.
    let has = |quoted: &str| {
        text.contains(quoted)
            && serde_json::from_str::<&RawValue>(text)
                .ok()
                .and_then(|raw| RawObject::parse(raw).ok())
                .is_none_or(|o| o.get(&quoted[1..quoted.len() - 1]).is_some())
    };
    let mut added = String::new();
    if !has("\"resultType\"") {
        added.push_str("\"resultType\":\"complete\",");
    }
    if cacheable {
        if !has("\"ttlMs\"") {
            added.push_str(&format!("\"ttlMs\":{LIST_TTL_MS},"));
        }
        if !has("\"cacheScope\"") {
            // The catalog is filtered by policy per backend, not per principal, but a backend
            // may answer per caller: never shared across callers.
            added.push_str("\"cacheScope\":\"private\",");
        }
    }
    if added.is_empty() {
        return result;
    }
    let rest = &text[open + 1..];
    if rest.trim_start().starts_with('}') {
        added.pop();
    }
    let mut out = String::with_capacity(text.len() + added.len());
    out.push_str(&text[..=open]);
    out.push_str(&added);
    out.push_str(rest);
    match RawValue::from_string(out) {
        Ok(raw) => RawJson::from(raw),
        Err(_) => result,
    }
}

/// The `inputRequests` member: each backend request under its key.
fn input_requests(inputs: &[PendingInput]) -> Box<RawValue> {
    let mut object = RawObject::default();
    for input in inputs {
        let request = match &input.params {
            Some(params) => serde_json::json!({ "method": &*input.method, "params": params }),
            None => serde_json::json!({ "method": &*input.method }),
        };
        object.set(&input.key, to_raw(&request));
    }
    object.to_raw()
}

fn stream_reply(
    gateway: &Gateway,
    ctx: &Arc<CallContext>,
    stream: &Arc<crate::session::events::EventLog>,
) -> Response<Body> {
    // Closing a modern request's stream is how its client cancels: no grace, no resumption.
    let on_cut = OnCut {
        log: stream.clone(),
        call: ctx.clone(),
        grace: Duration::ZERO,
    };
    event_stream::response(
        stream.reader(0),
        event_stream::Kind::Call,
        false,
        CancellationToken::new(),
        gateway.shutdown_token().clone(),
        Some(on_cut),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: RawJson) -> String {
        raw.get().to_string()
    }

    fn raw(text: &str) -> RawJson {
        RawJson::from(RawValue::from_string(text.to_string()).unwrap())
    }

    #[test]
    fn results_get_a_result_type_and_lists_their_caching_hints() {
        let plain = raw(r#"{"content":[]}"#);
        assert_eq!(
            text(complete(plain, false)),
            r#"{"resultType":"complete","content":[]}"#
        );
        let empty = raw("{ }");
        assert_eq!(
            text(complete(empty, false)),
            r#"{"resultType":"complete" }"#
        );
        let list = raw(r#"{"tools":[]}"#);
        assert_eq!(
            text(complete(list, true)),
            r#"{"resultType":"complete","ttlMs":60000,"cacheScope":"private","tools":[]}"#
        );
        let own = raw(r#"{"resultType":"complete","ttlMs":5,"x":{"cacheScope":1}}"#);
        assert_eq!(
            text(complete(own, true)),
            r#"{"cacheScope":"private","resultType":"complete","ttlMs":5,"x":{"cacheScope":1}}"#
        );
    }

    #[test]
    fn base64_header_values_are_decoded() {
        assert_eq!(decode_header_value("plain").ok().as_deref(), Some("plain"));
        assert_eq!(
            decode_header_value("=?base64?w6lsw6h2ZQ==?=")
                .ok()
                .as_deref(),
            Some("élève")
        );
        assert!(decode_header_value("=?base64?***?=").is_err());
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn request(method: &str, params: serde_json::Value) -> Request {
        Request {
            id: Id::Number(1),
            method: method.into(),
            params: Some(to_raw(&params)),
        }
    }

    fn meta() -> serde_json::Value {
        serde_json::json!({ META_VERSION: "2026-07-28", META_CAPABILITIES: {} })
    }

    fn code(headers: &HeaderMap, req: &Request) -> Option<(u16, i64)> {
        Checked::of(headers, req)
            .err()
            .map(|r| (r.status.as_u16(), r.error.code))
    }

    #[test]
    fn requests_are_checked_in_the_order_of_the_transport() {
        let call = request(
            "tools/call",
            serde_json::json!({ "name": "a__b", "arguments": {}, "_meta": meta() }),
        );
        let good = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "a__b"),
        ]);
        assert_eq!(code(&good, &call), None);
        let old = headers(&[("mcp-protocol-version", "2099-01-01")]);
        assert_eq!(code(&old, &call), Some((400, UNSUPPORTED_PROTOCOL_VERSION)));
        let no_method = headers(&[("mcp-protocol-version", "2026-07-28")]);
        assert_eq!(code(&no_method, &call), Some((400, HEADER_MISMATCH)));
        let other_name = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "a__c"),
        ]);
        assert_eq!(code(&other_name, &call), Some((400, HEADER_MISMATCH)));
        let no_caps = request(
            "tools/list",
            serde_json::json!({ "_meta": { META_VERSION: "2026-07-28" } }),
        );
        let list = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/list"),
        ]);
        assert_eq!(code(&list, &no_caps), Some((400, INVALID_PARAMS)));
        let ping = request("ping", serde_json::json!({ "_meta": meta() }));
        let ping_headers = headers(&[
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "ping"),
        ]);
        assert_eq!(code(&ping_headers, &ping), Some((404, METHOD_NOT_FOUND)));
    }

    /// `is_modern` as the POST handler asks it: whether the headers hold a session id.
    fn modern(headers: &HeaderMap, message: &Message) -> bool {
        is_modern(
            headers,
            headers.contains_key(crate::backend::http::SESSION_ID),
            message,
        )
    }

    #[test]
    fn modern_posts_are_told_from_legacy_ones() {
        let call = Message::Request(request(
            "tools/list",
            serde_json::json!({ "_meta": meta() }),
        ));
        assert!(modern(&HeaderMap::new(), &call));
        assert!(modern(
            &headers(&[("mcp-protocol-version", "2026-07-28")]),
            &call
        ));
        assert!(!modern(
            &headers(&[("mcp-protocol-version", "2025-11-25")]),
            &call
        ));
        assert!(!modern(&headers(&[("mcp-session-id", "s")]), &call));
        let init = Message::Request(request("initialize", serde_json::json!({})));
        assert!(!modern(&HeaderMap::new(), &init));
        assert!(!modern(
            &headers(&[("mcp-protocol-version", "2026-07-28")]),
            &init
        ));
    }
}
