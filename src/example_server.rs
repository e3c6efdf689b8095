//! `mcpmux example-server`: a small stdio MCP server built into the binary, so the embedded
//! default config serves something real and tests have a backend that can also misbehave
//! (sleep, crash, fail) on command.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::protocol::jsonrpc::{to_raw, write_response};
use crate::protocol::mcp::negotiate_version;
use crate::protocol::{ErrorObject, Message, Outcome};

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
    let options = Arc::new(options);
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
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let Ok(Message::Request(req)) = Message::parse(line.as_bytes()) else {
            continue;
        };
        let tx = tx.clone();
        let options = options.clone();
        tokio::spawn(async move {
            let params: Value = req
                .params
                .as_deref()
                .and_then(|p| serde_json::from_str(p.get()).ok())
                .unwrap_or(Value::Null);
            let outcome = handle(&options, &req.method, &params).await;
            let _ = tx.send(write_response(Some(&req.id), &outcome)).await;
        });
    }
    drop(tx);
    let _ = writer.await;
    Ok(())
}

async fn handle(options: &Options, method: &str, params: &Value) -> Outcome {
    let result = match method {
        "initialize" => {
            let requested = params["protocolVersion"].as_str().unwrap_or_default();
            json!({
                "protocolVersion": negotiate_version(requested),
                "capabilities": { "tools": {}, "prompts": {}, "resources": {}, "completions": {} },
                "serverInfo": { "name": "mcpmux-example", "version": env!("CARGO_PKG_VERSION") },
                "instructions": "Example tools: echo, add, sleep, crash, fail.",
            })
        }
        "ping" => json!({}),
        "tools/list" => page(tools(options), "tools", options.page_size, params)?,
        "tools/call" => call_tool(params).await?,
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
        "completion/complete" => {
            json!({ "completion": { "values": ["alice", "bob"], "hasMore": false } })
        }
        other => return Err(ErrorObject::method_not_found(other)),
    };
    Ok(to_raw(&result).into())
}

fn tools(options: &Options) -> Vec<Value> {
    let text_arg = |name: &str| json!({ "type": "object", "properties": { name: { "type": "string" } }, "required": [name] });
    let mut tools = vec![
        json!({ "name": "echo", "description": "Returns its text", "inputSchema": text_arg("text"),
                "annotations": { "readOnlyHint": true } }),
        json!({ "name": "add", "description": "Adds two numbers", "inputSchema": {
            "type": "object", "properties": { "a": { "type": "number" }, "b": { "type": "number" } }, "required": ["a", "b"] },
            "annotations": { "readOnlyHint": true } }),
        json!({ "name": "sleep", "description": "Sleeps for ms milliseconds", "inputSchema": {
            "type": "object", "properties": { "ms": { "type": "integer" } }, "required": ["ms"] } }),
        json!({ "name": "crash", "description": "Exits the server process without answering",
                "inputSchema": { "type": "object" } }),
        json!({ "name": "fail", "description": "Returns a tool error", "inputSchema": text_arg("message") }),
    ];
    tools.extend((1..=options.extra_tools).map(|i| {
        json!({ "name": format!("extra_{i:04}"), "description": "Echoes its text", "inputSchema": text_arg("text") })
    }));
    tools
}

fn page(
    items: Vec<Value>,
    field: &str,
    page_size: usize,
    params: &Value,
) -> Result<Value, ErrorObject> {
    if page_size == 0 {
        return Ok(json!({ field: items }));
    }
    let start = match params["cursor"].as_str() {
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| ErrorObject::invalid_params("bad cursor"))?,
        None => 0,
    };
    let end = (start + page_size).min(items.len());
    let mut out = json!({ field: items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        out["nextCursor"] = json!(end.to_string());
    }
    Ok(out)
}

async fn call_tool(params: &Value) -> Result<Value, ErrorObject> {
    let args = &params["arguments"];
    let text = |t: String| json!({ "content": [{ "type": "text", "text": t }] });
    let name = params["name"].as_str().unwrap_or_default();
    Ok(match name {
        "echo" => text(args["text"].as_str().unwrap_or_default().to_string()),
        "add" => {
            let (a, b) = (args["a"].as_f64(), args["b"].as_f64());
            let (Some(a), Some(b)) = (a, b) else {
                return Err(ErrorObject::invalid_params("add needs numbers a and b"));
            };
            let sum = a + b;
            text(if sum.fract() == 0.0 && sum.abs() < 1e15 {
                format!("{}", sum as i64)
            } else {
                sum.to_string()
            })
        }
        "sleep" => {
            let ms = args["ms"].as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(format!("slept {ms}ms"))
        }
        "crash" => {
            eprintln!("example-server: crashing on request");
            std::process::exit(3);
        }
        "fail" => {
            json!({ "content": [{ "type": "text", "text": args["message"].as_str().unwrap_or("failed") }], "isError": true })
        }
        extra if extra.starts_with("extra_") => {
            text(args["text"].as_str().unwrap_or_default().to_string())
        }
        other => {
            return Err(ErrorObject::invalid_params(format!(
                "unknown tool `{other}`"
            )))
        }
    })
}
