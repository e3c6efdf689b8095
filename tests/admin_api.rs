//! The admin API on the admin listener: every path, 401 without the token, secrets redacted,
//! the log stream over WebSocket, and edits that last until the next file reload unless
//! `admin.persist` writes them back.

mod common;

use std::time::Duration;

use common::raw::client;
use common::{example_server_cmd, poll_until, GatewayProcess};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN: &str = "admin-secret-1";
const DEADLINE: Duration = Duration::from_secs(20);

fn example(alias: &str, extra: &str) -> String {
    format!(
        "[backends.{alias}]\ncommand = {}\nargs = [\"example-server\"]\nhealth_check_interval = 0\n{extra}\n",
        serde_json::to_string(example_server_cmd()).expect("path")
    )
}

fn base_config(extra_admin: &str) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = 0\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"${{env:TEST_ADMIN_TOKEN}}\"\n{extra_admin}\n{}",
        example("a", "env = { API_KEY = \"sk-live-very-secret\" }")
    )
}

async fn start(extra_admin: &str) -> GatewayProcess {
    let gateway =
        GatewayProcess::start_with_env(&base_config(extra_admin), &[("TEST_ADMIN_TOKEN", TOKEN)])
            .await;
    gateway.wait_ready().await;
    gateway
}

/// Sends a request to the admin API; returns the status and the JSON body.
async fn api(
    gateway: &GatewayProcess,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> (u16, Value) {
    let url = format!("{}{path}", gateway.admin_base());
    let mut request = client().request(method.parse().expect("method"), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("admin request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn admin(
    gateway: &GatewayProcess,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    api(gateway, method, path, body, Some(TOKEN)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_needs_the_token() {
    let gateway = start("").await;
    let paths = [
        ("GET", "/api/instances"),
        ("GET", "/api/instances/a"),
        ("POST", "/api/instances"),
        ("PATCH", "/api/instances/a"),
        ("DELETE", "/api/instances/a"),
        ("POST", "/api/instances/a/enable"),
        ("POST", "/api/instances/a/disable"),
        ("GET", "/api/tools"),
        ("GET", "/api/tools/a"),
        ("POST", "/api/call"),
        ("GET", "/api/config"),
        ("POST", "/api/reload"),
        ("GET", "/api/logs"),
    ];
    for (method, path) in paths {
        let (status, body) = api(&gateway, method, path, Some(json!({})), None).await;
        assert_eq!(status, 401, "{method} {path}: {body}");
        let (status, _) = api(&gateway, method, path, Some(json!({})), Some("wrong")).await;
        assert_eq!(status, 401, "{method} {path} with a wrong token");
    }
    // Still running, untouched; probes and /health need no token.
    let (status, instances) = admin(&gateway, "GET", "/api/instances", None).await;
    assert_eq!(status, 200);
    assert_eq!(instances["instances"][0]["state"], "up", "{instances}");
    let (status, health) = api(&gateway, "GET", "/health", None, None).await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["backends"]["a"]["state"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_tools_call_and_config() {
    let gateway = start("").await;

    let (status, a) = admin(&gateway, "GET", "/api/instances/a", None).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["transport"], "stdio");
    assert_eq!(a["tools"], mcpmux::example_server::TOOL_NAMES.len());
    assert_eq!(a["config"]["env"]["API_KEY"], "[redacted]", "{a}");
    assert!(!a.to_string().contains("sk-live"), "{a}");
    let (status, _) = admin(&gateway, "GET", "/api/instances/zz", None).await;
    assert_eq!(status, 404);

    // Add, refuse a duplicate and an invalid one, change, disable, enable, remove.
    let b = json!({ "name": "b", "command": example_server_cmd(), "args": ["example-server"], "health_check_interval": 0 });
    let (status, added) = admin(&gateway, "POST", "/api/instances", Some(b.clone())).await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["applied"]["added"], json!(["b"]));
    let (status, dup) = admin(&gateway, "POST", "/api/instances", Some(b)).await;
    assert_eq!(status, 409, "{dup}");
    let (status, bad) = admin(
        &gateway,
        "POST",
        "/api/instances",
        Some(json!({ "name": "c", "url": "ftp://x", "timeuot": 1 })),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    let message = bad["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("backends.c.timeuot: unknown key"), "{bad}");
    let tools = poll_until(DEADLINE, "b's tools", || async {
        let (_, tools) = admin(&gateway, "GET", "/api/tools/b", None).await;
        (tools["tools"].as_array().map(Vec::len) > Some(0)).then_some(tools)
    })
    .await;
    assert!(tools["tools"].as_array().is_some_and(|t| t
        .iter()
        .any(|t| t["name"] == "b__echo" && t["tool"] == "echo")));

    let (status, patched) = admin(
        &gateway,
        "PATCH",
        "/api/instances/b",
        Some(json!({ "description": "patched at runtime" })),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["applied"]["restarted"], json!(["b"]));
    assert_eq!(patched["instance"]["description"], "patched at runtime");

    let (status, off) = admin(&gateway, "POST", "/api/instances/b/disable", None).await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["instance"]["state"], "disabled");
    let (_, on) = admin(&gateway, "POST", "/api/instances/b/enable", None).await;
    assert_eq!(on["applied"]["added"], json!(["b"]), "{on}");

    let (_, all) = admin(&gateway, "GET", "/api/tools", None).await;
    assert!(all["tools"].as_array().is_some_and(|t| t
        .iter()
        .any(|t| t["instance"] == "a" && t["name"] == "a__add")));

    let (status, sum) = admin(
        &gateway,
        "POST",
        "/api/call",
        Some(json!({ "instance": "a", "tool": "add", "params": { "a": 20, "b": 22 } })),
    )
    .await;
    assert_eq!(status, 200, "{sum}");
    assert_eq!(sum["content"][0]["text"], "42");
    let (status, unknown) = admin(
        &gateway,
        "POST",
        "/api/call",
        Some(json!({ "instance": "a", "tool": "nope" })),
    )
    .await;
    assert_eq!(status, 404, "{unknown}");

    let (status, config) = admin(&gateway, "GET", "/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        config["config"]["admin"]["token"],
        "${env:TEST_ADMIN_TOKEN}"
    );
    assert_eq!(
        config["config"]["backends"]["b"]["description"],
        "patched at runtime"
    );
    assert!(!config.to_string().contains("sk-live"), "{config}");
    assert!(config["source"]
        .as_str()
        .is_some_and(|s| s.ends_with("config.toml")));

    let (status, removed) = admin(&gateway, "DELETE", "/api/instances/b", None).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["applied"]["removed"], json!(["b"]));
    let (status, _) = admin(&gateway, "GET", "/api/instances/b", None).await;
    assert_eq!(status, 404);
    let (status, _) = admin(&gateway, "DELETE", "/api/instances/b", None).await;
    assert_eq!(status, 404);
}

/// `GET /api/logs?level=LEVEL` with the token: the stream and the handshake's status.
async fn log_stream(
    gateway: &GatewayProcess,
    level: &str,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
) {
    let url = format!("ws://{}/api/logs?level={level}", gateway.admin_addr());
    let mut request = url.as_str().into_client_request().expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the log stream accepts the token");
    (socket, response.status().as_u16())
}

/// `POST /api/call` of backend `a`'s `echo` (an info line: its audit line).
async fn echo_through_the_api(gateway: &GatewayProcess) {
    let (status, _) = admin(
        gateway,
        "POST",
        "/api/call",
        Some(json!({ "instance": "a", "tool": "echo", "params": { "text": "x" } })),
    )
    .await;
    assert_eq!(status, 200);
}

/// The audit line is written straight to the log while nobody listens; a listener must still
/// get it, as a JSON line with its fields, and the log must get it once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_stream_listener_gets_the_audit_line_too() {
    let gateway = start("").await;
    let (mut socket, _) = log_stream(&gateway, "info").await;
    echo_through_the_api(&gateway).await;
    let audit = tokio::time::timeout(DEADLINE, async {
        loop {
            let frame = socket
                .next()
                .await
                .expect("the stream is open")
                .expect("a frame");
            let line: Value =
                serde_json::from_str(frame.to_text().expect("text")).expect("JSON line");
            if line["target"] == "mcpmux::audit" {
                return line;
            }
        }
    })
    .await
    .expect("the audit line within the deadline");
    assert_eq!(audit["message"], "tool call", "{audit}");
    assert_eq!(audit["outcome"], "ok", "{audit}");
    assert_eq!(audit["principal"], "admin", "{audit}");
    assert!(audit["duration_ms"].is_number(), "{audit}");
    let logged = gateway
        .wait_for_log("the audit line", |l| l.contains("mcpmux::audit"))
        .await;
    assert!(logged.contains("outcome=\"ok\""), "{logged}");
    assert_eq!(
        gateway.count_log_lines("mcpmux::audit"),
        1,
        "one line per call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_stream_delivers_lines_at_the_asked_level() {
    let gateway = start("").await;
    let (mut socket, status) = log_stream(&gateway, "warn").await;
    assert_eq!(status, 101);

    // An info line (the audit line of a call), then a warning (a reload of a broken file).
    echo_through_the_api(&gateway).await;
    std::fs::write(gateway.config_path(), "port = \"not a port\"\n").expect("break the file");
    let (status, _) = admin(&gateway, "POST", "/api/reload", None).await;
    assert_eq!(status, 400);

    let frame = tokio::time::timeout(DEADLINE, socket.next())
        .await
        .expect("a log line within the deadline")
        .expect("the stream is open")
        .expect("a frame");
    let line: Value = serde_json::from_str(frame.to_text().expect("text")).expect("JSON line");
    assert_eq!(line["level"], "WARN", "info lines are filtered out: {line}");
    assert!(line["message"]
        .as_str()
        .is_some_and(|m| m.contains("config reload failed")));

    let refused = format!("ws://{}/api/logs", gateway.admin_addr());
    assert!(
        tokio_tungstenite::connect_async(refused).await.is_err(),
        "no token, no stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_last_until_the_next_reload_unless_persisted() {
    // Without persist: the file wins at the next reload.
    let gateway = start("").await;
    let b = json!({ "name": "b", "command": example_server_cmd(), "args": ["example-server"] });
    assert_eq!(
        admin(&gateway, "POST", "/api/instances", Some(b)).await.0,
        201
    );
    let (_, reloaded) = admin(&gateway, "POST", "/api/reload", None).await;
    assert_eq!(reloaded["applied"]["removed"], json!(["b"]), "{reloaded}");
    drop(gateway);

    // With persist: the file holds the change, and a reload keeps it.
    let gateway = start("persist = true").await;
    let b = json!({ "name": "b", "command": example_server_cmd(), "args": ["example-server"], "description": "kept" });
    assert_eq!(
        admin(&gateway, "POST", "/api/instances", Some(b)).await.0,
        201
    );
    let file = std::fs::read_to_string(gateway.config_path()).expect("read the config");
    assert!(
        file.contains("[backends.b]") && file.contains("description = \"kept\""),
        "{file}"
    );
    assert!(
        file.contains("token = \"${env:TEST_ADMIN_TOKEN}\""),
        "the rest of the file is kept: {file}"
    );
    let (_, reloaded) = admin(&gateway, "POST", "/api/reload", None).await;
    assert_eq!(reloaded["applied"]["removed"], json!([]), "{reloaded}");
    assert_eq!(
        admin(&gateway, "POST", "/api/instances/b/disable", None)
            .await
            .0,
        200
    );
    let file = std::fs::read_to_string(gateway.config_path()).expect("read the config");
    assert!(file.contains("enabled = false"), "{file}");
    assert_eq!(
        admin(&gateway, "DELETE", "/api/instances/b", None).await.0,
        200
    );
    let file = std::fs::read_to_string(gateway.config_path()).expect("read the config");
    assert!(!file.contains("[backends.b]"), "{file}");
    let (status, _) = admin(&gateway, "GET", "/api/instances/b", None).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_api_is_off() {
    let gateway = GatewayProcess::start(&format!(
        "host = \"127.0.0.1\"\nport = 0\n{}",
        example("a", "")
    ))
    .await;
    let (status, body) = api(&gateway, "GET", "/api/instances", None, Some(TOKEN)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("set admin.token")));
    let (status, _) = api(&gateway, "GET", "/readyz", None, None).await;
    assert!(status == 200 || status == 503);
}

/// The README's admin API block, run as written (the admin address and the example server's
/// path are the only changes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_admin_examples_work_as_written() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"${{env:MCPMUX_ADMIN_TOKEN}}\"\n{}",
        example("example", "")
    );
    let gateway = GatewayProcess::start_with_env(&config, &[("MCPMUX_ADMIN_TOKEN", TOKEN)]).await;
    gateway.wait_ready().await;
    let script = common::readme_block("### Admin API", "sh", 0)
        .replace("127.0.0.1:9090", &gateway.admin_addr().to_string())
        .replace(
            "\"command\":\"mcpmux\"",
            &format!(
                "\"command\":{}",
                serde_json::to_string(example_server_cmd()).expect("path")
            ),
        );
    let stdout = common::run_script(&script, &[("MCPMUX_ADMIN_TOKEN", TOKEN)]).await;
    assert!(
        stdout.contains(r#"{"content":[{"text":"5","type":"text"}]}"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""description":"still a calculator""#),
        "{stdout}"
    );
    let (status, _) = admin(&gateway, "GET", "/api/instances/calc", None).await;
    assert_eq!(status, 404, "the block ends by removing calc");
}
