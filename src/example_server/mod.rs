//! `mcpmux example-server`: a small stdio MCP server built into the binary, so the embedded
//! default config serves something real and tests have a backend that can also misbehave
//! (sleep, crash, fail) and talk back (progress, logs, requests to the client, list and
//! resource changes) on command.

mod state;
mod tools;

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::protocol::jsonrpc::{to_raw, write_response};
use crate::protocol::mcp::{negotiate_version, LogLevel};
use crate::protocol::{ErrorObject, Message, Outcome};
use state::Server;

/// The names of the tools every example server has (without `--tools`).
pub const TOOL_NAMES: &[&str] = &[
    "echo",
    "add",
    "sleep",
    "crash",
    "fail",
    "progress",
    "log",
    "ask",
    "ask_later",
    "add_tool",
    "touch",
    "env",
    "pid",
    "meta",
];

/// Options of the example server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra tools `extra_0001`.. to make big catalogs.
    pub extra_tools: usize,
    /// Page size of its own lists; 0 means one page.
    pub page_size: usize,
}

/// Runs the server on stdin/stdout until stdin closes.
pub async fn run(options: Options) -> std::io::Result<()> {
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(1024);
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(mut line) = rx.recv().await {
            line.push(b'\n');
            while let Ok(mut more) = rx.try_recv() {
                more.push(b'\n');
                line.extend_from_slice(&more);
            }
            if stdout.write_all(&line).await.is_err() || stdout.flush().await.is_err() {
                return;
            }
        }
    });
    let server = Arc::new(Server::new(options, tx.clone()));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match Message::parse(line.as_bytes()) {
            Ok(Message::Request(req)) => {
                let tx = tx.clone();
                let server = server.clone();
                tokio::spawn(async move {
                    let params: Value = req
                        .params
                        .as_deref()
                        .and_then(|p| serde_json::from_str(p.get()).ok())
                        .unwrap_or(Value::Null);
                    let outcome = handle(&server, &req.method, &params).await;
                    let _ = tx.send(write_response(Some(&req.id), &outcome)).await;
                });
            }
            Ok(Message::Response(resp)) => server.answered(resp),
            Ok(Message::Notification(n)) => server.notified(&n),
            Err(_) => {}
        }
    }
    drop(tx);
    let _ = writer.await;
    Ok(())
}

async fn handle(server: &Arc<Server>, method: &str, params: &Value) -> Outcome {
    let result = match method {
        "initialize" => {
            let requested = params["protocolVersion"].as_str().unwrap_or_default();
            server.set_client_capabilities(&params["capabilities"]);
            json!({
                "protocolVersion": negotiate_version(requested),
                "capabilities": {
                    "tools": { "listChanged": true },
                    "prompts": {},
                    "resources": { "subscribe": true },
                    "completions": {},
                    "logging": {},
                },
                "serverInfo": { "name": "mcpmux-example", "version": env!("CARGO_PKG_VERSION") },
                "instructions": "Example tools: echo, add, sleep, crash, fail; progress, log, ask, add_tool, touch talk back.",
            })
        }
        "ping" => json!({}),
        "tools/list" => tools::page(server.tools(), "tools", server.options.page_size, params)?,
        "tools/call" => tools::call(server, params).await?,
        "prompts/list" => json!({ "prompts": [{
            "name": "greet",
            "description": "Greets someone by name",
            "arguments": [{ "name": "name", "required": true }],
        }]}),
        "prompts/get" => {
            let name = params["arguments"]["name"].as_str().unwrap_or("world");
            json!({ "messages": [{ "role": "user", "content": { "type": "text", "text": format!("Hello, {name}!") } }] })
        }
        "resources/list" => json!({ "resources": [{
            "uri": "example://readme", "name": "readme", "mimeType": "text/plain",
        }]}),
        "resources/templates/list" => json!({ "resourceTemplates": [{
            "uriTemplate": "example://items/{id}", "name": "item", "mimeType": "text/plain",
        }]}),
        "resources/read" => {
            let uri = params["uri"].as_str().unwrap_or_default();
            let text = if uri == "example://readme" {
                "mcpmux example server".to_string()
            } else if let Some(id) = uri.strip_prefix("example://items/") {
                format!("item {id}")
            } else {
                return Err(ErrorObject::new(
                    -32002,
                    format!("resource not found: {uri}"),
                ));
            };
            json!({ "contents": [{ "uri": uri, "mimeType": "text/plain", "text": text }] })
        }
        "resources/subscribe" | "resources/unsubscribe" => {
            let uri = params["uri"].as_str().unwrap_or_default();
            server.subscribe(uri, method == "resources/subscribe");
            json!({})
        }
        "logging/setLevel" => {
            let level = params["level"].as_str().and_then(LogLevel::parse);
            let Some(level) = level else {
                return Err(ErrorObject::invalid_params("unknown level"));
            };
            server.set_level(level);
            json!({})
        }
        "completion/complete" => {
            json!({ "completion": { "values": ["alice", "bob"], "hasMore": false } })
        }
        other => return Err(ErrorObject::method_not_found(other)),
    };
    Ok(to_raw(&result).into())
}
