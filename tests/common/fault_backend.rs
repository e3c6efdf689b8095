//! A streamable-HTTP MCP backend that misbehaves on command: hangs, fails the next N calls with
//! HTTP 500, or answers slowly. Built on hyper directly (not an SDK) because the faults live
//! below MCP: an SDK server cannot be told to drop a call or answer with a 500.
//!
//! Tools: `read` (annotated `readOnlyHint`), `write` (no hints), `whoami` (returns the
//! `authorization` header the backend received, or `none`), `trace` (the `traceparent` header
//! and the `_meta` it received). Each test file uses part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// What the backend does with the next `tools/call`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer normally.
    None,
    /// Never answer `tools/call` or `ping` (the connection stays open).
    Hang,
    /// Answer the next N `tools/call`s with HTTP 500, then normally.
    FailNext(usize),
    /// Answer after this delay.
    Slow(Duration),
    /// Answer `tools/call` with this HTTP status and a body that echoes the request's
    /// `authorization` header, as careless servers' error pages do.
    EchoingError(u16),
}

#[derive(Debug)]
struct State {
    fault: Fault,
    calls: HashMap<String, usize>,
    /// Sessions issued so far; only the latest is valid.
    sessions: usize,
    /// Whether the latest session has been expired.
    expired: bool,
}

/// A running fault backend.
#[derive(Clone)]
pub struct FaultBackend {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FaultBackend {
    /// Starts on an ephemeral loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fault backend");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State {
            fault: Fault::None,
            calls: HashMap::new(),
            sessions: 0,
            expired: false,
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultBackend { addr, state }
    }

    /// The MCP endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Sets the fault for the following calls.
    pub fn set(&self, fault: Fault) {
        self.state.lock().unwrap().fault = fault;
    }

    /// Forgets the current session: requests carrying it get HTTP 404, as from a restarted server.
    pub fn expire_session(&self) {
        self.state.lock().unwrap().expired = true;
    }

    /// How many sessions `initialize` has issued.
    pub fn sessions(&self) -> usize {
        self.state.lock().unwrap().sessions
    }

    /// How many `tools/call`s of `tool` reached the backend (including failed ones).
    pub fn calls(&self, tool: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(tool)
            .copied()
            .unwrap_or(0)
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != hyper::Method::POST {
        return Ok(status(StatusCode::METHOD_NOT_ALLOWED));
    }
    let presented = req
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    let traceparent = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let Some(id) = message.get("id").cloned() else {
        return Ok(status(StatusCode::ACCEPTED));
    };
    let method = message["method"].as_str().unwrap_or_default();
    if method != "initialize" {
        let state = state.lock().unwrap();
        let current = format!("fault-session-{}", state.sessions);
        if presented.as_deref() != Some(current.as_str()) || state.expired {
            return Ok(status(StatusCode::NOT_FOUND));
        }
    }
    let mut session = None;
    if method == "initialize" {
        let mut state = state.lock().unwrap();
        state.sessions += 1;
        state.expired = false;
        session = Some(format!("fault-session-{}", state.sessions));
    }
    let result = match method {
        "initialize" => json!({
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": { "tools": {} },
            "serverInfo": { "name": "fault-backend", "version": "1" },
        }),
        "ping" => {
            let hang = state.lock().unwrap().fault == Fault::Hang;
            if hang {
                std::future::pending::<()>().await;
            }
            json!({})
        }
        "tools/list" => json!({ "tools": [
            { "name": "read", "inputSchema": { "type": "object" }, "annotations": { "readOnlyHint": true } },
            { "name": "write", "inputSchema": { "type": "object" } },
            { "name": "whoami", "inputSchema": { "type": "object" } },
            { "name": "trace", "inputSchema": { "type": "object" } },
        ]}),
        "tools/call" => {
            let tool = message["params"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (fault, count) = {
                let mut state = state.lock().unwrap();
                let count = {
                    let c = state.calls.entry(tool.clone()).or_insert(0);
                    *c += 1;
                    *c
                };
                let fault = state.fault.clone();
                if let Fault::FailNext(n) = &mut state.fault {
                    *n -= 1;
                    if *n == 0 {
                        state.fault = Fault::None;
                    }
                }
                (fault, count)
            };
            match fault {
                Fault::EchoingError(code) => {
                    let mut r = Response::new(Full::new(Bytes::from(format!(
                        "denied: you sent authorization={authorization}"
                    ))));
                    *r.status_mut() = StatusCode::from_u16(code).unwrap();
                    return Ok(r);
                }
                Fault::Hang => std::future::pending::<()>().await,
                Fault::FailNext(_) => return Ok(status(StatusCode::INTERNAL_SERVER_ERROR)),
                Fault::Slow(d) => tokio::time::sleep(d).await,
                Fault::None => {}
            }
            let text = if tool == "whoami" {
                authorization
            } else if tool == "trace" {
                json!({ "header": traceparent, "meta": message["params"]["_meta"] }).to_string()
            } else {
                format!("{tool} #{count}")
            };
            json!({ "content": [{ "type": "text", "text": text }] })
        }
        _ => {
            let error = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": "no such method" } });
            return Ok(json_response(&error, None));
        }
    };
    Ok(json_response(
        &json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        session.as_deref(),
    ))
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

fn json_response(value: &Value, session: Option<&str>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    if let Some(s) = session {
        r.headers_mut().insert("mcp-session-id", s.parse().unwrap());
    }
    r
}
