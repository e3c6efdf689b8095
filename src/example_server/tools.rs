//! The example server's tools.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::state::Server;
use super::Options;
use crate::protocol::mcp::LogLevel;
use crate::protocol::ErrorObject;

/// The tools every example server has.
pub(super) fn fixed(options: &Options) -> Vec<Value> {
    let text_arg = |name: &str| json!({ "type": "object", "properties": { name: { "type": "string" } }, "required": [name] });
    let object = json!({ "type": "object" });
    let mut tools = vec![
        json!({ "name": "echo", "description": "Returns its text", "inputSchema": text_arg("text"),
                "annotations": { "readOnlyHint": true } }),
        json!({ "name": "add", "description": "Adds two numbers", "inputSchema": {
            "type": "object", "properties": { "a": { "type": "number" }, "b": { "type": "number" } }, "required": ["a", "b"] },
            "annotations": { "readOnlyHint": true } }),
        json!({ "name": "sleep", "description": "Sleeps for ms milliseconds", "inputSchema": {
            "type": "object", "properties": { "ms": { "type": "integer" } }, "required": ["ms"] } }),
        json!({ "name": "crash", "description": "Exits the server process without answering",
                "inputSchema": object }),
        json!({ "name": "fail", "description": "Returns a tool error", "inputSchema": text_arg("message") }),
        json!({ "name": "progress", "description": "Reports `steps` progress notifications (each padded with `pad` bytes), then answers",
                "inputSchema": { "type": "object", "properties": { "steps": { "type": "integer" }, "pad": { "type": "integer" }, "delay_ms": { "type": "integer" } } } }),
        json!({ "name": "log", "description": "Sends a log message at `level`", "inputSchema": {
            "type": "object", "properties": { "level": { "type": "string" }, "text": { "type": "string" } } } }),
        json!({ "name": "ask", "description": "Sends `method` with `params` to the client and returns its answer",
                "inputSchema": { "type": "object", "properties": { "method": { "type": "string" }, "params": { "type": "object" } }, "required": ["method"] } }),
        json!({ "name": "ask_later", "description": "Answers at once, then sends `method` to the client (its outcome goes to stderr)",
                "inputSchema": { "type": "object", "properties": { "method": { "type": "string" } }, "required": ["method"] } }),
        json!({ "name": "add_tool", "description": "Adds a tool named `name` and announces tools/list_changed",
                "inputSchema": text_arg("name") }),
        json!({ "name": "touch", "description": "Announces resources/updated for `uri` if subscribed",
                "inputSchema": text_arg("uri") }),
        json!({ "name": "env", "description": "Returns the value of environment variable `name`",
                "inputSchema": text_arg("name") }),
        json!({ "name": "pid", "description": "Returns the server's process id", "inputSchema": object }),
        json!({ "name": "meta", "description": "Returns the `_meta` the call arrived with", "inputSchema": object }),
    ];
    tools.extend((1..=options.extra_tools).map(|i| {
        json!({ "name": format!("extra_{i:04}"), "description": "Echoes its text", "inputSchema": text_arg("text") })
    }));
    tools
}

/// A page of `items` under `field`, from the cursor in `params`.
pub(super) fn page(
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

fn text(t: impl Into<String>) -> Value {
    json!({ "content": [{ "type": "text", "text": t.into() }] })
}

fn tool_error(t: impl Into<String>) -> Value {
    json!({ "content": [{ "type": "text", "text": t.into() }], "isError": true })
}

/// Runs a tool.
pub(super) async fn call(server: &Arc<Server>, params: &Value) -> Result<Value, ErrorObject> {
    let args = &params["arguments"];
    let name = params["name"].as_str().unwrap_or_default();
    Ok(match name {
        "echo" => text(args["text"].as_str().unwrap_or_default()),
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
            eprintln!("example-server: sleeping {ms}ms");
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(format!("slept {ms}ms"))
        }
        "crash" => {
            eprintln!("example-server: crashing on request");
            std::process::exit(3);
        }
        "fail" => tool_error(args["message"].as_str().unwrap_or("failed")),
        "progress" => progress(server, params).await,
        "log" => {
            let level = args["level"]
                .as_str()
                .and_then(LogLevel::parse)
                .unwrap_or(LogLevel::Info);
            let sent = server
                .log(level, args["text"].as_str().unwrap_or("log"))
                .await;
            text(if sent {
                "logged"
            } else {
                "below the client's level"
            })
        }
        "ask" => {
            let method = args["method"].as_str().unwrap_or_default();
            let params = args.get("params").cloned().unwrap_or_else(|| json!({}));
            match server.ask(method, params).await {
                Ok(answer) => text(answer.to_string()),
                Err(e) => tool_error(format!("error {}: {}", e.code, e.message)),
            }
        }
        "ask_later" => {
            let method = args["method"].as_str().unwrap_or("roots/list").to_string();
            let server = server.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                match server.ask(&method, json!({})).await {
                    Ok(answer) => eprintln!("example-server: late {method} answered {answer}"),
                    Err(e) => eprintln!(
                        "example-server: late {method} failed {}: {}",
                        e.code, e.message
                    ),
                }
            });
            text("asking later")
        }
        "add_tool" => {
            let new = args["name"].as_str().unwrap_or("added");
            server.add_tool(new).await;
            text(format!("added {new}"))
        }
        "touch" => {
            let uri = args["uri"].as_str().unwrap_or_default();
            let sent = server.touch(uri).await;
            text(if sent { "updated" } else { "not subscribed" })
        }
        "pid" => text(std::process::id().to_string()),
        "meta" => text(params["_meta"].to_string()),
        "env" => {
            let var = args["name"].as_str().unwrap_or_default();
            text(std::env::var(var).unwrap_or_default())
        }
        extra if extra.starts_with("extra_") => text(args["text"].as_str().unwrap_or_default()),
        other if server.tools().iter().any(|t| t["name"] == other) => text(format!("{other} ran")),
        other => {
            return Err(ErrorObject::invalid_params(format!(
                "unknown tool `{other}`"
            )))
        }
    })
}

async fn progress(server: &Server, params: &Value) -> Value {
    let args = &params["arguments"];
    let steps = args["steps"].as_u64().unwrap_or(3);
    let pad = "x".repeat(args["pad"].as_u64().unwrap_or(0) as usize);
    let delay = Duration::from_millis(args["delay_ms"].as_u64().unwrap_or(0));
    let token = params["_meta"]["progressToken"].clone();
    if !token.is_null() {
        for step in 1..=steps {
            server
                .notify(
                    "notifications/progress",
                    json!({ "progressToken": token, "progress": step, "total": steps, "message": format!("step {step}{pad}") }),
                )
                .await;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    }
    text(format!("done {steps}"))
}
