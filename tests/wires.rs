//! Every way in: the legacy HTTP+SSE transport (`/sse`) and stdio (`mcpmux stdio`) with the
//! official Python SDK, and WebSocket (`/ws`) with tokio-tungstenite, each in front of
//! `@modelcontextprotocol/server-everything`: initialize, list, call, progress, a sampling
//! request answered by the client; then the bad inputs of each wire.

mod common;

use std::time::Duration;

use common::node::everything_js;
use common::python::run_script;
use common::raw::post;
use common::scrape::{scrape, value};
use common::{example_server_cmd, mcpmux_bin, poll_until, GatewayProcess, POLL_DEADLINE};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message as Frame;

fn everything_config(extra: &str) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = 0\n{extra}\n\n[backends.ev]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\npool = \"per-session\"\n",
        everything_js().display()
    )
}

fn assert_session_summary(summary: &Value) {
    assert_eq!(summary["server"], "mcpmux", "{summary}");
    let tools = summary["tools"].as_array().expect("tools");
    assert!(tools.iter().any(|t| t == "ev__echo"), "{summary}");
    assert_eq!(summary["echo"][0], "Echo: over the wire", "{summary}");
    assert!(
        summary["progress"].as_u64().unwrap_or(0) >= 1,
        "no progress: {summary}"
    );
    assert!(
        summary["sampling_prompt"]
            .as_str()
            .unwrap_or_default()
            .contains("say hi"),
        "{summary}"
    );
    assert!(
        summary["sampled"]
            .to_string()
            .contains("sampled over the legacy wire"),
        "{summary}"
    );
}

async fn wire_client(args: &[&str]) -> Value {
    let (code, stdout, stderr) = run_script("wire_client.py", args, Duration::from_secs(180)).await;
    assert_eq!(code, Some(0), "wire_client.py failed:\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("no JSON ({e}): {stdout}\n{stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_works_through_legacy_sse() {
    let gateway = GatewayProcess::start(&everything_config("")).await;
    gateway.wait_ready().await;
    let url = format!("{}/sse", gateway.base());
    assert_session_summary(&wire_client(&["sse", &url]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_launches_mcpmux_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcpmux.toml");
    std::fs::write(&config, everything_config("")).unwrap();
    let config = config.display().to_string();
    assert_session_summary(
        &wire_client(&["stdio", mcpmux_bin(), "stdio", "--config", &config]).await,
    );
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect_ws(gateway: &GatewayProcess) -> (Socket, Option<String>) {
    let mut request = format!("ws://{}/ws", gateway.addr())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "mcp".parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("ws connects");
    let protocol = response
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (socket, protocol)
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Frame::Text(message.to_string().into()))
        .await
        .unwrap();
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(POLL_DEADLINE, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a readable frame");
        if let Frame::Text(text) = frame {
            return serde_json::from_str(&text).expect("a JSON frame");
        }
    }
}

/// Frames until the response to `id`, answering sampling requests on the way.
async fn until_response(socket: &mut Socket, id: u64) -> (Vec<Value>, Value) {
    let mut before = Vec::new();
    loop {
        let message = next_json(socket).await;
        if message["id"] == json!(id)
            && (message.get("result").is_some() || message.get("error").is_some())
        {
            return (before, message);
        }
        if message["method"] == "sampling/createMessage" {
            let answer = json!({"jsonrpc": "2.0", "id": message["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "sampled over ws"}, "model": "m"}});
            send(socket, answer).await;
        }
        before.push(message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_gets_calls_progress_and_sampling() {
    let gateway = GatewayProcess::start(&everything_config("")).await;
    gateway.wait_ready().await;
    let (mut ws, protocol) = connect_ws(&gateway).await;
    assert_eq!(
        protocol.as_deref(),
        Some("mcp"),
        "the mcp subprotocol is selected"
    );
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {"sampling": {}}, "clientInfo": {"name": "ws-test", "version": "1"}}})).await;
    let (_, init) = until_response(&mut ws, 1).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "mcpmux", "{init}");
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    let (_, list) = until_response(&mut ws, 2).await;
    assert!(list.to_string().contains("ev__echo"), "{list}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ev__trigger-long-running-operation", "arguments": {"duration": 1, "steps": 2}, "_meta": {"progressToken": "p"}}})).await;
    let (before, done) = until_response(&mut ws, 3).await;
    let progress: Vec<_> = before
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "{before:?}");
    assert!(progress.iter().all(|m| m["params"]["progressToken"] == "p"));
    assert!(done.get("result").is_some(), "{done}");
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "ev__trigger-sampling-request", "arguments": {"prompt": "hi", "maxTokens": 5}}})).await;
    let (before, sampled) = until_response(&mut ws, 4).await;
    assert!(
        before
            .iter()
            .any(|m| m["method"] == "sampling/createMessage"),
        "{before:?}"
    );
    assert!(sampled.to_string().contains("sampled over ws"), "{sampled}");
}

async fn example_gateway() -> GatewayProcess {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\nmax_body_bytes = 4096\n\n[backends.ex]\ncommand = \"{}\"\nargs = [\"example-server\"]\npool = \"per-session\"\n",
        example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    gateway
}

async fn closed_with(ws: &mut Socket) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(POLL_DEADLINE, ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Frame::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => continue,
            _ => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_websocket_frames_get_errors_or_a_close_code_that_says_why() {
    let gateway = example_gateway().await;
    // Invalid JSON: a parse error, and the socket stays usable.
    let (mut ws, _) = connect_ws(&gateway).await;
    ws.send(Frame::Text("{not json".into())).await.unwrap();
    let error = next_json(&mut ws).await;
    assert_eq!(error["error"]["code"], -32700, "{error}");
    send(
        &mut ws,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
    )
    .await;
    let refused = next_json(&mut ws).await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("initialize"),
        "{refused}"
    );
    // A binary frame: closed with 1003.
    ws.send(Frame::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(closed_with(&mut ws).await, Some(CloseCode::Unsupported));
    // A frame over max_body_bytes: closed with 1009.
    let (mut ws, _) = connect_ws(&gateway).await;
    ws.send(Frame::Text("x".repeat(10_000).into()))
        .await
        .unwrap();
    assert_eq!(closed_with(&mut ws).await, Some(CloseCode::Size));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_sse_session_is_404_and_a_client_that_leaves_releases_everything() {
    let gateway = example_gateway().await;
    let unknown = post(
        &format!("{}/messages?sessionId=nope", gateway.base()),
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string(),
        &[],
    )
    .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(
        unknown.body.contains("no open SSE stream"),
        "{}",
        unknown.body
    );

    // A WebSocket client opens a session and a per-session process, then vanishes.
    let sessions = |gateway: &GatewayProcess| {
        let admin = gateway.admin_base();
        async move { value(&scrape(&admin).await, "mcpmux_sessions_active", &[]) }
    };
    let (mut ws, _) = connect_ws(&gateway).await;
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})).await;
    next_json(&mut ws).await;
    send(&mut ws, json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "ex__pid", "arguments": {}}})).await;
    next_json(&mut ws).await;
    assert_eq!(sessions(&gateway).await, 1.0);
    poll_until(POLL_DEADLINE, "the per-session process", || async {
        (gateway.child_pids().len() == 2).then_some(())
    })
    .await;
    drop(ws);
    poll_until(POLL_DEADLINE, "session and process released", || async {
        (sessions(&gateway).await == 0.0 && gateway.child_pids().len() == 1).then_some(())
    })
    .await;
    // The same over legacy SSE: a session opened on a stream ends when the stream closes.
    let mut sse = reqwest_get_stream(&format!("{}/sse", gateway.base()))
        .await
        .bytes_stream();
    let mut seen = String::new();
    while !seen.contains("\n\n") {
        let chunk = tokio::time::timeout(POLL_DEADLINE, sse.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let endpoint = seen
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("the endpoint event")
        .to_string();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2024-11-05", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let accepted = post(
        &format!("{}{endpoint}", gateway.base()),
        init.to_string(),
        &[],
    )
    .await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    poll_until(POLL_DEADLINE, "the SSE session", || async {
        (sessions(&gateway).await == 1.0).then_some(())
    })
    .await;
    drop(sse);
    poll_until(POLL_DEADLINE, "the SSE session released", || async {
        (sessions(&gateway).await == 0.0).then_some(())
    })
    .await;
}

async fn reqwest_get_stream(url: &str) -> reqwest::Response {
    common::raw::client()
        .get(url)
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .expect("GET /sse")
}
