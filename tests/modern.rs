//! The 2026-07-28 era on `/mcp`: stateless clients beside legacy sessions, in front of the
//! built-in example server (a legacy stdio backend). The official Python SDK in `mode="auto"`
//! discovers the gateway, adopts the modern era and drives every flow; raw requests check the
//! transport's rules one by one: headers against the body, versions, required `_meta`,
//! removed methods, `resultType` and caching hints, and multi round-trip requests (a backend's
//! request to the client as an `InputRequiredResult`, answered by a retry).

mod common;

use std::time::Duration;

use common::example_gateway_config;
use common::in_process::InProcess;
use common::python::run_script;
use common::raw::{post, RawResponse, RawSession};
use serde_json::{json, Value};

const VERSION: &str = "2026-07-28";

fn config() -> String {
    example_gateway_config("5s", "")
}

async fn start() -> InProcess {
    let gateway = InProcess::start(&config()).await;
    gateway.wait_ready().await;
    gateway
}

/// The `_meta` every modern request carries, with `caps` and extra members.
fn meta(caps: Value, extra: Value) -> Value {
    let mut meta = json!({
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": { "name": "raw-modern", "version": "1" },
    });
    if let (Some(meta), Some(extra)) = (meta.as_object_mut(), extra.as_object()) {
        meta.extend(extra.clone());
    }
    meta
}

/// POSTs a modern request with the headers the transport asks for.
async fn request(url: &str, id: u64, method: &str, mut params: Value, meta: Value) -> RawResponse {
    params["_meta"] = meta;
    let name = params
        .get("name")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let mut headers = vec![("mcp-protocol-version", VERSION), ("mcp-method", method)];
    if let Some(name) = &name {
        headers.push(("mcp-name", name));
    }
    post(url, body.to_string(), &headers).await
}

async fn call_tool(url: &str, id: u64, tool: &str, arguments: Value, meta: Value) -> RawResponse {
    request(
        url,
        id,
        "tools/call",
        json!({ "name": format!("ex__{tool}"), "arguments": arguments }),
        meta,
    )
    .await
}

fn text_of(message: &Value) -> String {
    message["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {message}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_adopts_the_modern_era_and_every_flow_works() {
    let gateway = start().await;
    let (code, stdout, stderr) = run_script(
        "modern_client.py",
        &[&gateway.url()],
        Duration::from_secs(180),
    )
    .await;
    assert_eq!(
        code,
        Some(0),
        "modern_client.py failed:\n{stdout}\n{stderr}"
    );
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("no JSON ({e}): {stdout}\n{stderr}"));
    assert_eq!(summary["era"], "modern", "{summary}");
    assert!(summary["supported_versions"]
        .as_array()
        .is_some_and(|v| v.contains(&json!(VERSION)) && v.contains(&json!("2025-11-25"))));
    assert!(summary["tools"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("ex__echo")) && !t.contains(&json!("ex__late"))));
    assert_eq!(summary["echo"], json!(["stateless"]));
    assert_eq!(summary["progress"], 3, "{summary}");
    // Logs at the request's level only: the warning, not the debug line.
    let logs = summary["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), 1, "{summary}");
    assert_eq!(logs[0]["level"], "warning");
    // Each request to the client came back to the backend through a retry.
    assert_eq!(
        summary["asked"],
        json!(["sampling", "elicitation", "roots"]),
        "{summary}"
    );
    assert!(summary["sampled"][0]
        .as_str()
        .is_some_and(|t| t.contains("sampled for a stateless client")));
    assert!(summary["elicited"][0]
        .as_str()
        .is_some_and(|t| t.contains("octocat")));
    assert!(summary["roots"][0]
        .as_str()
        .is_some_and(|t| t.contains("file:///work/project")));
    assert_eq!(summary["honored"], json!({ "toolsListChanged": true }));
    assert!(summary["event"].as_str().is_some(), "{summary}");
    assert!(summary["tools_after"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("ex__late"))));
    assert_eq!(summary["honored_resources"], json!(["example://readme"]));
    assert_eq!(summary["touched"], json!(["updated"]));
    assert_eq!(summary["resource_uri"], "example://readme", "{summary}");
    assert!(
        gateway.gateway().parked().is_empty(),
        "no call left waiting"
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_answers_with_every_version_and_results_carry_their_type() {
    let gateway = start().await;
    let url = gateway.url();
    let discover = request(
        &url,
        1,
        "server/discover",
        json!({}),
        meta(json!({}), json!({})),
    )
    .await;
    assert_eq!(discover.status, 200, "{}", discover.body);
    let result = discover.message()["result"].clone();
    assert_eq!(result["resultType"], "complete");
    assert_eq!(result["supportedVersions"][0], VERSION);
    assert!(result["capabilities"]["tools"].is_object());
    assert_eq!(result["capabilities"]["resources"]["subscribe"], true);
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "mcpmux"
    );
    assert!(result["ttlMs"].is_u64() && result["cacheScope"].is_string());
    assert!(discover.header("mcp-session-id").is_none(), "no session");

    let list = request(&url, 2, "tools/list", json!({}), meta(json!({}), json!({}))).await;
    let list = list.message()["result"].clone();
    assert_eq!(list["resultType"], "complete");
    assert_eq!(list["cacheScope"], "private");
    assert!(list["ttlMs"].is_u64());
    assert!(list["tools"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["name"] == "ex__echo")));

    let echo = call_tool(
        &url,
        3,
        "echo",
        json!({ "text": "hi" }),
        meta(json!({}), json!({})),
    )
    .await;
    assert_eq!(echo.status, 200);
    let echo = echo.message();
    assert_eq!(echo["result"]["resultType"], "complete");
    assert_eq!(text_of(&echo), "hi");
    assert!(
        echo["result"].get("ttlMs").is_none(),
        "calls are not cacheable"
    );

    // A legacy session works beside it on the same endpoint.
    let legacy = RawSession::initialize(&url).await;
    assert_eq!(
        legacy
            .call_tool("ex__echo", json!({ "text": "legacy" }))
            .await["result"]["content"][0]["text"],
        "legacy"
    );
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_break_the_transport_rules_get_its_errors() {
    let gateway = start().await;
    let url = gateway.url();
    let list = |meta: Value| {
        json!({ "jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": { "_meta": meta } })
            .to_string()
    };
    let good_meta = meta(json!({}), json!({}));

    // An unknown version: -32022 naming what is served.
    let mut old = good_meta.clone();
    old["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let r = post(
        &url,
        list(old),
        &[
            ("mcp-protocol-version", "2099-01-01"),
            ("mcp-method", "tools/list"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32022), "{}", r.body);
    let data = r.message()["error"]["data"].clone();
    assert_eq!(data["requested"], "2099-01-01");
    assert!(data["supported"]
        .as_array()
        .is_some_and(|s| s.contains(&json!(VERSION))));

    // Headers missing or disagreeing with the body: -32020.
    let r = post(
        &url,
        list(good_meta.clone()),
        &[("mcp-method", "tools/list")],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32020), "{}", r.body);
    let r = post(
        &url,
        list(good_meta.clone()),
        &[("mcp-protocol-version", VERSION)],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32020), "{}", r.body);
    let r = post(
        &url,
        list(good_meta.clone()),
        &[
            ("mcp-protocol-version", VERSION),
            ("mcp-method", "prompts/list"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32020), "{}", r.body);
    let call = json!({ "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": "ex__echo", "arguments": { "text": "x" }, "_meta": good_meta } });
    let r = post(
        &url,
        call.to_string(),
        &[
            ("mcp-protocol-version", VERSION),
            ("mcp-method", "tools/call"),
            ("mcp-name", "ex__fail"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32020), "{}", r.body);
    // Mcp-Name may carry its value base64-encoded.
    let r = post(
        &url,
        call.to_string(),
        &[
            ("mcp-protocol-version", VERSION),
            ("mcp-method", "tools/call"),
            ("mcp-name", "=?base64?ZXhfX2VjaG8=?="),
        ],
    )
    .await;
    assert_eq!(text_of(&r.message()), "x");

    // Required `_meta` missing: -32602.
    let no_caps = json!({ "io.modelcontextprotocol/protocolVersion": VERSION });
    let r = post(
        &url,
        list(no_caps),
        &[
            ("mcp-protocol-version", VERSION),
            ("mcp-method", "tools/list"),
        ],
    )
    .await;
    assert_eq!((r.status, r.error_code()), (400, -32602), "{}", r.body);

    // Methods this revision removed, and unknown ones: 404, -32601.
    for method in ["ping", "logging/setLevel", "resources/subscribe", "no/such"] {
        let r = request(&url, 5, method, json!({}), meta(json!({}), json!({}))).await;
        assert_eq!(
            (r.status, r.error_code()),
            (404, -32601),
            "{method}: {}",
            r.body
        );
    }
    // A missing resource is -32602 in this revision.
    let r = request(
        &url,
        6,
        "resources/read",
        json!({ "uri": "nothing://here" }),
        meta(json!({}), json!({})),
    )
    .await;
    assert_eq!(r.error_code(), -32602, "{}", r.body);
    // Clients of this revision send no responses.
    let r = post(
        &url,
        json!({ "jsonrpc": "2.0", "id": 1, "result": {} }).to_string(),
        &[("mcp-protocol-version", VERSION)],
    )
    .await;
    assert_eq!(r.status, 400);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backends_request_becomes_input_required_and_the_retry_answers_it() {
    let gateway = start().await;
    let url = gateway.url();
    let caps = json!({ "sampling": {} });
    let ask =
        json!({ "method": "sampling/createMessage", "params": { "messages": [], "maxTokens": 5 } });

    // Without the capability the backend hears why at once, and the tool says so.
    let refused = call_tool(&url, 1, "ask", ask.clone(), meta(json!({}), json!({}))).await;
    let refused = refused.message();
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert!(text_of(&refused).contains("sampling"), "{refused}");

    // With it: an InputRequiredResult naming the backend's request.
    let first = call_tool(&url, 2, "ask", ask.clone(), meta(caps.clone(), json!({}))).await;
    let first = first.message();
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let requests = result["inputRequests"].as_object().expect("inputRequests");
    assert_eq!(requests.len(), 1);
    let (key, asked) = requests.iter().next().expect("one request");
    assert_eq!(asked["method"], "sampling/createMessage");
    assert_eq!(asked["params"]["maxTokens"], 5);
    let state = result["requestState"]
        .as_str()
        .expect("requestState")
        .to_string();
    assert_eq!(gateway.gateway().parked().len(), 1);

    // A retry naming another tool is refused and leaves the call waiting.
    let mismatch = request(
        &url,
        3,
        "tools/call",
        json!({ "name": "ex__echo", "arguments": { "text": "x" }, "requestState": state }),
        meta(caps.clone(), json!({})),
    )
    .await;
    assert_eq!(mismatch.error_code(), -32602, "{}", mismatch.body);
    assert_eq!(gateway.gateway().parked().len(), 1);

    // The retry with the answer: the backend gets it and the call completes.
    let answer = json!({ "role": "assistant", "content": { "type": "text", "text": "from the retry" }, "model": "m" });
    let retry = request(
        &url,
        4,
        "tools/call",
        json!({ "name": "ex__ask", "arguments": ask, "requestState": state, "inputResponses": { key.clone(): answer } }),
        meta(caps.clone(), json!({})),
    )
    .await;
    let retry = retry.message();
    assert_eq!(retry["id"], 4);
    assert_eq!(retry["result"]["resultType"], "complete", "{retry}");
    assert!(text_of(&retry).contains("from the retry"), "{retry}");
    assert!(gateway.gateway().parked().is_empty());

    // The state was used once.
    let again = request(
        &url,
        5,
        "tools/call",
        json!({ "name": "ex__ask", "arguments": {}, "requestState": state }),
        meta(caps, json!({})),
    )
    .await;
    assert_eq!(again.error_code(), -32602, "{}", again.body);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_and_logs_travel_on_the_requests_own_stream_only_when_asked() {
    let gateway = start().await;
    let url = gateway.url();
    // Two clients use the same progress token at once; each hears only its own.
    let a = call_tool(
        &url,
        1,
        "progress",
        json!({ "steps": 2 }),
        meta(json!({}), json!({ "progressToken": "t" })),
    );
    let b = call_tool(
        &url,
        1,
        "progress",
        json!({ "steps": 3 }),
        meta(json!({}), json!({ "progressToken": "t" })),
    );
    let (a, b) = tokio::join!(a, b);
    for (response, steps) in [(&a, 2), (&b, 3)] {
        assert_eq!(
            response.content_type(),
            "text/event-stream",
            "{}",
            response.body
        );
        let messages = response.messages();
        let progress: Vec<&Value> = messages
            .iter()
            .filter(|m| m["method"] == "notifications/progress")
            .collect();
        assert_eq!(progress.len(), steps, "{}", response.body);
        assert!(progress.iter().all(|p| p["params"]["progressToken"] == "t"));
        assert_eq!(response.message()["result"]["resultType"], "complete");
    }
    // No log level in the request: no log message, a plain JSON answer.
    let quiet = call_tool(
        &url,
        2,
        "log",
        json!({ "level": "error", "text": "x" }),
        meta(json!({}), json!({})),
    )
    .await;
    assert_eq!(quiet.content_type(), "application/json", "{}", quiet.body);
    // With one: the messages at or above it, on the request's stream.
    let loud = call_tool(
        &url,
        3,
        "log",
        json!({ "level": "error", "text": "heard" }),
        meta(
            json!({}),
            json!({ "io.modelcontextprotocol/logLevel": "warning" }),
        ),
    )
    .await;
    let logs: Vec<Value> = loud
        .messages()
        .into_iter()
        .filter(|m| m["method"] == "notifications/message")
        .collect();
    assert_eq!(logs.len(), 1, "{}", loud.body);
    assert_eq!(logs[0]["params"]["level"], "error");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_discover_example_works_as_written() {
    let gateway = start().await;
    let addr = gateway
        .url()
        .trim_start_matches("http://")
        .trim_end_matches("/mcp")
        .to_string();
    let script = common::readme_block("### Stateless clients (2026-07-28)", "sh", 0)
        .replace("127.0.0.1:8080", &addr);
    let stdout = common::run_script(&script, &[]).await;
    let reply: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(reply["result"]["supportedVersions"][0], VERSION, "{reply}");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listen_stream_hears_its_resources_and_releases_them_when_it_goes() {
    let gateway = start().await;
    let url = gateway.url();
    let params = json!({
        "notifications": {
            "toolsListChanged": true,
            "resourceSubscriptions": ["example://readme", "nothing://here"],
        },
        "_meta": meta(json!({}), json!({})),
    });
    let body = json!({ "jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen", "params": params });
    let mut stream = common::events::Events::open(
        common::raw::client()
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", VERSION)
            .header("mcp-method", "subscriptions/listen")
            .body(body.to_string()),
    )
    .await;
    assert_eq!(stream.content_type, "text/event-stream");
    let (_, ack) = stream.next_message().await.expect("the acknowledgement");
    assert_eq!(
        ack["method"], "notifications/subscriptions/acknowledged",
        "{ack}"
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({ "toolsListChanged": true, "resourceSubscriptions": ["example://readme"] }),
        "only what a backend serves is honoured"
    );
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );

    let touch = |id: u64| {
        call_tool(
            &url,
            id,
            "touch",
            json!({ "uri": "example://readme" }),
            meta(json!({}), json!({})),
        )
    };
    assert_eq!(
        text_of(&touch(1).await.message()),
        "updated",
        "the backend is subscribed"
    );
    let (_, update) = stream.next_message().await.expect("the update");
    assert_eq!(
        update["method"], "notifications/resources/updated",
        "{update}"
    );
    assert_eq!(update["params"]["uri"], "example://readme");
    assert_eq!(
        update["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        "listen-1"
    );

    // The client goes away: its watch is released and the backend unsubscribed.
    drop(stream);
    let mut id = 10;
    common::poll_until(Duration::from_secs(60), "the backend unsubscribed", || {
        id += 1;
        let (gateway, touch) = (&gateway, &touch);
        let id = id;
        async move {
            gateway.gateway().prune_listeners();
            (text_of(&touch(id).await.message()) == "not subscribed").then_some(())
        }
    })
    .await;
    gateway.stop().await;
}
