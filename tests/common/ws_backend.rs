//! A WebSocket MCP server for tests, on tokio-tungstenite: `initialize`, `tools/list` and
//! `tools/call` of `echo` (which reports progress when asked) and `hang` (never answers). It
//! refuses upgrades without the expected `Authorization`, and can drop every connection on
//! command.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message as Frame;

/// A running server.
pub struct WsBackend {
    pub url: String,
    connections: Arc<AtomicUsize>,
    hung: Arc<AtomicUsize>,
    drop_all: watch::Sender<u64>,
}

impl WsBackend {
    /// Starts on a free loopback port, expecting `Authorization: Bearer {token}`.
    pub async fn start(token: &'static str) -> WsBackend {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/mcp", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let hung = Arc::new(AtomicUsize::new(0));
        let hung_counter = hung.clone();
        let (drop_all, drops) = watch::channel(0u64);
        let counter = connections.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let counter = counter.clone();
                let hung_counter = hung_counter.clone();
                let mut drops = drops.clone();
                tokio::spawn(async move {
                    // tungstenite fixes the callback's error type; its size is not ours.
                    #[allow(clippy::result_large_err)]
                    let check = |request: &Request,
                                 mut response: Response|
                     -> Result<Response, ErrorResponse> {
                        let expected = format!("Bearer {token}");
                        let auth = request
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok());
                        if auth != Some(expected.as_str()) {
                            let mut refused =
                                ErrorResponse::new(Some("missing or wrong token".into()));
                            *refused.status_mut() = http::StatusCode::UNAUTHORIZED;
                            return Err(refused);
                        }
                        response
                            .headers_mut()
                            .insert("sec-websocket-protocol", "mcp".parse().unwrap());
                        Ok(response)
                    };
                    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, check).await
                    else {
                        return;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    drops.borrow_and_update();
                    let (mut sink, mut frames) = socket.split();
                    loop {
                        tokio::select! {
                            frame = frames.next() => {
                                let Some(Ok(Frame::Text(text))) = frame else { return };
                                let message: Value = serde_json::from_str(&text).unwrap();
                                if message["params"]["name"] == "hang" {
                                    hung_counter.fetch_add(1, Ordering::SeqCst);
                                }
                                for out in answer(&message) {
                                    if sink.send(Frame::Text(out.to_string().into())).await.is_err() {
                                        return;
                                    }
                                }
                            }
                            _ = drops.changed() => return,
                        }
                    }
                });
            }
        });
        WsBackend {
            url,
            connections,
            hung,
            drop_all,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// `hang` calls received so far.
    pub fn hung_calls(&self) -> usize {
        self.hung.load(Ordering::SeqCst)
    }

    /// Drops every open connection, as a server restart would.
    pub fn drop_connections(&self) {
        self.drop_all.send_modify(|n| *n += 1);
    }
}

fn answer(message: &Value) -> Vec<Value> {
    let Some(id) = message.get("id").cloned() else {
        return Vec::new();
    };
    let reply = |result: Value| json!({"jsonrpc": "2.0", "id": id, "result": result});
    match message["method"].as_str().unwrap_or_default() {
        "initialize" => vec![reply(json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "ws-backend", "version": "1"}
        }))],
        "ping" => vec![reply(json!({}))],
        "tools/list" => vec![reply(json!({"tools": [
            {"name": "echo", "inputSchema": {"type": "object"}},
            {"name": "hang", "inputSchema": {"type": "object"}}
        ]}))],
        "tools/call" if message["params"]["name"] == "hang" => Vec::new(),
        "tools/call" => {
            let mut out = Vec::new();
            let token = &message["params"]["_meta"]["progressToken"];
            if !token.is_null() {
                out.push(json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": token, "progress": 1, "total": 1}}));
            }
            let text = message["params"]["arguments"]["text"]
                .as_str()
                .unwrap_or("")
                .to_string();
            out.push(reply(json!({"content": [{"type": "text", "text": text}]})));
            out
        }
        other => vec![
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("no {other}")}}),
        ],
    }
}
