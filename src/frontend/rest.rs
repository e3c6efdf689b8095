//! The REST bridge, for callers that do not speak MCP: list and call tools, get prompts, read
//! resources, with plain JSON in and out. Calls go through the same core as `/mcp` (routing,
//! policy, layers, limits) without a session.
//!
//! | path | |
//! |---|---|
//! | `GET /api/tools`, `GET /tools` | every namespaced tool with its schema |
//! | `POST /api/tools/call`, `POST /tools/call` | `{"name", "arguments"}`: the tool's result |
//! | `GET /api/prompts`, `POST /api/prompts/get` | prompts; `{"name", "arguments"}` |
//! | `GET /api/resources`, `GET /api/resources/read?uri=` | resources and templates; one read |
//!
//! Errors are `{"error": {"code", "message"}}` with the status `edge::Kind::rest_status` gives:
//! 404 unknown tool, 400 bad JSON or arguments, 429 rate limited, 502 backend error, 503
//! unavailable or circuit open, 504 timeout. A tool result with `isError: true` is a 200: it is
//! the tool's answer.

use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::value::RawValue;

use super::body::{self, Body};
use super::edge::Edge;
use crate::auth::Principal;
use crate::gateway::{CallError, Gateway, Inbound};
use crate::protocol::jsonrpc::to_raw;
use crate::protocol::mcp::ListKind;
use crate::protocol::{Id, Request as RpcRequest};

/// Whether `path` belongs to the REST bridge.
pub fn handles(path: &str) -> bool {
    matches!(path, "/tools" | "/tools/call") || path.starts_with("/api/")
}

/// Serves one REST request.
pub async fn serve<B>(
    gateway: &Gateway,
    principal: Principal,
    request: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<crate::BoxError>,
{
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    match (method, path.as_str()) {
        (Method::GET, "/api/tools" | "/tools") => list(gateway, &[ListKind::Tools]),
        (Method::GET, "/api/prompts") => list(gateway, &[ListKind::Prompts]),
        (Method::GET, "/api/resources") => {
            list(gateway, &[ListKind::Resources, ListKind::ResourceTemplates])
        }
        (Method::POST, "/api/tools/call" | "/tools/call") => {
            named_call(gateway, principal, request, "tools/call").await
        }
        (Method::POST, "/api/prompts/get") => {
            named_call(gateway, principal, request, "prompts/get").await
        }
        (Method::GET, "/api/resources/read") => {
            let uri = request.uri().query().and_then(|q| {
                q.split('&')
                    .find_map(|kv| kv.strip_prefix("uri="))
                    .map(percent_decode)
            });
            match uri {
                Some(uri) => {
                    let params = to_raw(&serde_json::json!({ "uri": uri }));
                    let trace = Inbound::trace_headers(request.headers());
                    call(gateway, principal, "resources/read", params, trace).await
                }
                None => error(
                    StatusCode::BAD_REQUEST,
                    -32602,
                    "GET /api/resources/read needs ?uri=".into(),
                    None,
                ),
            }
        }
        (_, known) if is_known(known) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            -32601,
            format!("{known} does not take this method"),
            None,
        ),
        (_, other) => error(
            StatusCode::NOT_FOUND,
            -32601,
            format!("no REST endpoint `{other}`"),
            None,
        ),
    }
}

fn is_known(path: &str) -> bool {
    matches!(
        path,
        "/api/tools"
            | "/tools"
            | "/api/prompts"
            | "/api/resources"
            | "/api/tools/call"
            | "/tools/call"
            | "/api/prompts/get"
            | "/api/resources/read"
    )
}

/// The merged lists, whole.
fn list(gateway: &Gateway, kinds: &[ListKind]) -> Response<Body> {
    let snapshot = gateway.catalog().snapshot();
    let mut out = String::from("{");
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\"{}\":[", kind.field()));
        for (j, item) in snapshot.list(*kind).iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push_str(item.get());
        }
        out.push(']');
    }
    out.push('}');
    body::json(StatusCode::OK, out)
}

/// `{"name", "arguments"}` in, the method's result out.
async fn named_call<B>(
    gateway: &Gateway,
    principal: Principal,
    request: Request<B>,
    method: &str,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<crate::BoxError>,
{
    let (parts, incoming) = request.into_parts();
    let bytes = match body::read_limited(&gateway.config(), &parts.headers, incoming).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Named<'a> {
        name: String,
        #[serde(default, borrow)]
        arguments: Option<&'a RawValue>,
    }
    let named: Named<'_> = match serde_json::from_slice(&bytes) {
        Ok(named) => named,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                -32700,
                format!("the body must be JSON {{\"name\": ..., \"arguments\": {{...}}}}: {e}"),
                None,
            )
        }
    };
    let arguments = named.arguments.map_or("{}", RawValue::get);
    let params = match RawValue::from_string(format!(
        "{{\"name\":{},\"arguments\":{arguments}}}",
        serde_json::to_string(&named.name).unwrap_or_default()
    )) {
        Ok(params) => params,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                -32602,
                format!("arguments: {e}"),
                None,
            )
        }
    };
    let trace = Inbound::trace_headers(&parts.headers);
    call(gateway, principal, method, params, trace).await
}

/// Makes the call and answers it as REST; `trace` is the caller's W3C trace context, which
/// the call continues as a client's on `/mcp` would.
pub(crate) async fn call(
    gateway: &Gateway,
    principal: Principal,
    method: &str,
    params: Box<RawValue>,
    trace: Option<(HeaderValue, Option<HeaderValue>)>,
) -> Response<Body> {
    let request = RpcRequest {
        id: Id::Number(1),
        method: method.into(),
        params: Some(params),
    };
    let inbound = Inbound {
        session: None,
        principal: principal.name,
        authorization: None,
        streamable: false,
        trace,
        modern: None,
    };
    let result = match gateway.call(request, inbound) {
        Ok(call) => call.future.await,
        Err(e) => Err(e),
    };
    match result {
        Ok(result) => body::json(StatusCode::OK, result.bytes().clone()),
        Err(e) => failure(&e),
    }
}

fn failure(e: &CallError) -> Response<Body> {
    let edge = Edge::of(e);
    let status = edge.kind.rest_status(edge.error.code);
    error(
        status,
        edge.error.code,
        edge.error.message.clone(),
        edge.retry_after_secs(),
    )
}

pub(crate) fn error(
    status: StatusCode,
    code: i64,
    message: String,
    retry_after: Option<u64>,
) -> Response<Body> {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut response = body::json(status, body.to_string());
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Decodes `%XX` escapes (and `+` as space) of a query value.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let decoded = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(decoded) = decoded {
                out.push(decoded);
                i += 3;
                continue;
            }
        }
        out.push(if b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_values() {
        assert_eq!(
            percent_decode("example%3A%2F%2Fitems%2F42"),
            "example://items/42"
        );
        assert_eq!(percent_decode("a+b%20c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
