//! The fast streamable-HTTP MCP backend (legacy era), run in its own process so that its CPU is
//! not counted as the driver's: `initialize` (with an `Mcp-Session-Id`),
//! `notifications/initialized` (202), `ping`, `tools/list` and a `tools/call` echo, all answered
//! with JSON. It does as little as a real server could: one borrowed parse of the envelope and a
//! reply written from bytes.

use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::BoxError;

/// Largest request body accepted.
const MAX_BODY: usize = 16 * 1024 * 1024;

const TOOLS: &str = r#"{"tools":[{"name":"echo","description":"Returns its text","inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]},"annotations":{"readOnlyHint":true}}]}"#;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct InitializeParams<'a> {
    #[serde(borrow, rename = "protocolVersion")]
    protocol_version: &'a RawValue,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: &'a str,
    #[serde(borrow)]
    arguments: Option<EchoArguments<'a>>,
}

#[derive(Deserialize)]
struct EchoArguments<'a> {
    /// Kept as raw JSON: the reply embeds the string exactly as it arrived.
    #[serde(borrow)]
    text: Option<&'a RawValue>,
}

/// Serves on 127.0.0.1:0, prints `listening addr=...` on stdout, and exits when stdin closes
/// (so it never outlives the driver).
pub fn serve() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "listening addr={addr}")?;
            stdout.flush()?;
        }
        let sessions = Arc::new(AtomicU64::new(0));
        tokio::select! {
            result = accept_loop(listener, sessions) => result,
            _ = stdin_closed() => Ok(()),
        }
    })
}

pub(crate) async fn stdin_closed() {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    while let Ok(n) = stdin.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

async fn accept_loop(listener: TcpListener, sessions: Arc<AtomicU64>) -> Result<(), BoxError> {
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let sessions = sessions.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let sessions = sessions.clone();
                async move { Ok::<_, Infallible>(handle(request, &sessions).await) }
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(request: Request<Incoming>, sessions: &AtomicU64) -> Response<Full<Bytes>> {
    match *request.method() {
        Method::POST => {}
        Method::DELETE => return status(StatusCode::OK),
        Method::GET if request.uri().path().starts_with("/blob/") => {
            return blob(request.uri().path());
        }
        _ => {
            let mut response = status(StatusCode::METHOD_NOT_ALLOWED);
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST, DELETE"));
            return response;
        }
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return status(StatusCode::BAD_REQUEST),
    };
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(&body) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let (Some(id), Some(method)) = (envelope.id, envelope.method) else {
        // Notifications and responses.
        return status(StatusCode::ACCEPTED);
    };
    match method {
        "initialize" => {
            let version = envelope
                .params
                .and_then(|p| serde_json::from_str::<InitializeParams<'_>>(p.get()).ok())
                .map_or("\"2025-11-25\"", |p| p.protocol_version.get());
            let result = format!(
                r#"{{"protocolVersion":{version},"capabilities":{{"tools":{{}}}},"serverInfo":{{"name":"mcpmux-bench-backend","version":"0.1.0"}}}}"#
            );
            let mut response = json(reply(id, "result", &result));
            let session = format!("bench-{}", sessions.fetch_add(1, Ordering::Relaxed) + 1);
            if let Ok(value) = HeaderValue::from_str(&session) {
                response.headers_mut().insert("mcp-session-id", value);
            }
            response
        }
        "ping" => json(reply(id, "result", "{}")),
        "tools/list" => json(reply(id, "result", TOOLS)),
        "tools/call" => json(call(id, envelope.params)),
        other => json(reply(
            id,
            "error",
            &format!(r#"{{"code":-32601,"message":"method {other} not found"}}"#),
        )),
    }
}

/// `GET /blob/N`: a JSON-RPC result of N bytes, to time moving a reply of that size over the
/// same kind of connection without any gateway.
fn blob(path: &str) -> Response<Full<Bytes>> {
    const FRAME: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"pad":""}}"#;
    let Some(size) = path
        .strip_prefix("/blob/")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n <= MAX_BODY)
    else {
        return status(StatusCode::BAD_REQUEST);
    };
    let pad = "x".repeat(size.saturating_sub(FRAME.len()));
    json(format!(r#"{{"jsonrpc":"2.0","id":1,"result":{{"pad":"{pad}"}}}}"#).into_bytes())
}

fn call(id: &RawValue, params: Option<&RawValue>) -> Vec<u8> {
    let params = params.and_then(|p| serde_json::from_str::<CallParams<'_>>(p.get()).ok());
    match params {
        Some(CallParams {
            name: "echo",
            arguments,
        }) => {
            let text = arguments.and_then(|a| a.text).map_or("\"\"", RawValue::get);
            let result = format!(r#"{{"content":[{{"type":"text","text":{text}}}]}}"#);
            reply(id, "result", &result)
        }
        _ => reply(
            id,
            "error",
            r#"{"code":-32602,"message":"unknown tool: this backend has only `echo`"}"#,
        ),
    }
}

fn reply(id: &RawValue, member: &str, payload: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + payload.len());
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id.get().as_bytes());
    out.extend_from_slice(b",\"");
    out.extend_from_slice(member.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(payload.as_bytes());
    out.push(b'}');
    out
}

fn json(body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn status(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.into()).unwrap()
    }

    #[test]
    fn echoes_the_text_exactly() {
        let params = raw(r#"{"name":"echo","arguments":{"text":"a\"b \u00e9"}}"#);
        let out = call(&raw("7"), Some(&params));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"a\"b \u00e9"}]}}"#
        );
    }

    #[test]
    fn refuses_unknown_tools() {
        let params = raw(r#"{"name":"nope"}"#);
        let out = String::from_utf8(call(&raw("\"x\""), Some(&params))).unwrap();
        assert!(out.contains("\"error\":{\"code\":-32602"));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["id"], "x");
    }
}
