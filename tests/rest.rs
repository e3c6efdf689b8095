//! The REST bridge: every status it documents, against a real gateway process in front of the
//! example server, and the README's REST curl examples run as written.

mod common;

use common::raw::client;
use common::{example_server_cmd, GatewayProcess};
use serde_json::{json, Value};

async fn gateway(extra_backend: &str, extra_top: &str) -> GatewayProcess {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n{extra_top}\n\n[backends.ex]\ncommand = \"{exe}\"\nargs = [\"example-server\"]\nhealth_check_interval = 0\nretry = {{ enabled = false }}\n{extra_backend}\n\n[backends.gone]\ncommand = \"/nonexistent/mcp-server\"\nhealth_check_interval = 0\n",
        exe = example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    gateway
}

async fn call(gateway: &GatewayProcess, body: &str) -> (u16, Value, Option<String>) {
    let response = client()
        .post(format!("{}/api/tools/call", gateway.base()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body, retry)
}

fn tool(name: &str, arguments: Value) -> String {
    json!({"name": name, "arguments": arguments}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_status() {
    let gateway = gateway("timeout = \"1s\"", "").await;
    let (status, body, _) = call(&gateway, &tool("ex__echo", json!({"text": "hi"}))).await;
    assert_eq!(
        (status, body["content"][0]["text"].as_str()),
        (200, Some("hi")),
        "{body}"
    );
    let (status, body, _) = call(&gateway, &tool("ex__fail", json!({"message": "no"}))).await;
    assert_eq!(
        (status, body["isError"].as_bool()),
        (200, Some(true)),
        "a tool's own error is its answer: {body}"
    );
    let (status, body, _) = call(&gateway, &tool("ex__nope", json!({}))).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ex__nope"));
    let (status, body, _) = call(&gateway, "{not json").await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(-32700)),
        "{body}"
    );
    let (status, body, _) = call(&gateway, &tool("ex__add", json!({"a": "x"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (400, Some(-32602)),
        "bad arguments: {body}"
    );
    let (status, body, _) = call(&gateway, &tool("ex__sleep", json!({"ms": 3000}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (504, Some(-32003)),
        "{body}"
    );
    let (status, body, _) = call(&gateway, &tool("gone__anything", json!({}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (503, Some(-32001)),
        "{body}"
    );
    let (status, body, _) = call(&gateway, &tool("ex__crash", json!({}))).await;
    assert_eq!(status, 502, "the backend died mid-call: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_call_is_429_with_retry_after() {
    let gateway = gateway(
        "rate_limit = { per_backend = { requests_per_second = 0.01, burst = 1 } }",
        "",
    )
    .await;
    let (status, _, _) = call(&gateway, &tool("ex__echo", json!({"text": "1"}))).await;
    assert_eq!(status, 200);
    let (status, body, retry) = call(&gateway, &tool("ex__echo", json!({"text": "2"}))).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (429, Some(-32005)),
        "{body}"
    );
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_prompts_resources_and_health() {
    let gateway = gateway("", "").await;
    let get = |path: &str| {
        let url = format!("{}{path}", gateway.base());
        async move {
            let r = client().get(url).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, tools) = get("/api/tools").await;
    assert_eq!(status, 200);
    let echo = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ex__echo")
        .cloned();
    assert!(
        echo.is_some_and(|t| t["inputSchema"]["type"] == "object"),
        "{tools}"
    );
    assert_eq!(
        get("/tools").await.1,
        tools,
        "the seed's path serves the same"
    );
    let (_, prompts) = get("/api/prompts").await;
    assert_eq!(prompts["prompts"][0]["name"], "ex__greet");
    let (_, resources) = get("/api/resources").await;
    assert_eq!(resources["resources"][0]["uri"], "example://readme");
    assert!(resources["resourceTemplates"].is_array());
    let (status, read) = get("/api/resources/read?uri=example%3A%2F%2Fitems%2F42").await;
    assert_eq!(
        (status, read["contents"][0]["text"].as_str()),
        (200, Some("item 42")),
        "{read}"
    );
    let (status, _) = get("/api/resources/read?uri=nope%3A%2F%2Fx").await;
    assert_eq!(status, 404);
    let (status, health) = get("/health").await;
    assert_eq!(health["backends"]["ex"]["state"], "up", "{health}");
    assert_eq!(health["backends"]["gone"]["state"], "down", "{health}");
    assert_eq!(status, 200);
    let prompt = client()
        .post(format!("{}/api/prompts/get", gateway.base()))
        .json(&json!({"name": "ex__greet", "arguments": {"name": "Ada"}}))
        .send()
        .await
        .unwrap();
    let prompt: Value = prompt.json().await.unwrap();
    assert!(prompt.to_string().contains("Hello, Ada!"), "{prompt}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_can_be_turned_off() {
    let gateway = gateway("", "rest = { enabled = false }").await;
    let (status, _, _) = call(&gateway, &tool("ex__echo", json!({"text": "hi"}))).await;
    assert_eq!(status, 404);
}

/// The README's REST block, run as written against a gateway on the embedded default's alias.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_rest_examples_work_as_written() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[backends.example]\ncommand = \"{}\"\nargs = [\"example-server\"]\n",
        example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let readme = std::fs::read_to_string(common::manifest_dir().join("README.md")).unwrap();
    let block = readme
        .split("- **REST bridge**")
        .nth(1)
        .and_then(|s| s.split("```sh\n").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the README's REST block");
    let script = block.replace("127.0.0.1:8080", &gateway.addr().to_string());
    let output = tokio::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script}\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("{\"content\":[{\"text\":\"5\",\"type\":\"text\"}]}"),
        "{stdout}"
    );
    assert!(
        stdout.contains("404\n"),
        "the unknown tool's status: {stdout}"
    );
    assert!(stdout.contains("Hello, Ada!"), "{stdout}");
    assert!(stdout.contains("mcpmux example server"), "{stdout}");
}
