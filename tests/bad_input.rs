//! What the gateway does with bad input and broken backends, observed on the wire with raw
//! HTTP (status codes and JSON-RPC error objects exactly as sent).

mod common;

use common::{
    config::ConfigBuilder,
    poll_until,
    raw::{self, tool_text, Framing, RawSession},
    GatewayProcess, POLL_DEADLINE,
};
use serde_json::{json, Value};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// A ready gateway over one example server (`one`), with extra top-level `settings`.
async fn gateway_with_one_backend(settings: &[(&str, &str)]) -> GatewayProcess {
    let mut config = ConfigBuilder::new();
    for (key, value) in settings {
        config = config.setting(key, value);
    }
    let gateway = GatewayProcess::start(&config.example_backend("one", &[]).build()).await;
    gateway.wait_ready().await;
    gateway
}

/// Whether a `tools/call` response message is a success with text content.
fn is_success(response: &Value) -> bool {
    response.get("error").is_none()
        && response["result"]["isError"] != json!(true)
        && tool_text(response).is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gets_http_400_and_parse_error_with_null_id() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    let response = session
        .post_raw(r#"{"jsonrpc": "2.0", "id": 1, "method": "#)
        .await;

    assert_eq!(response.status, 400, "body: {}", response.body);
    let message = response.message();
    assert_eq!(message["error"]["code"], json!(PARSE_ERROR), "{message}");
    assert_eq!(message["id"], Value::Null, "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_that_is_not_an_object_gets_http_400_and_invalid_request() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    for body in ["42", r#""x""#, "[]"] {
        let response = session.post_raw(body).await;
        assert_eq!(response.status, 400, "body {body}: {}", response.body);
        assert_eq!(
            response.error_code(),
            INVALID_REQUEST,
            "body {body}: {}",
            response.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_method_gets_method_not_found() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    let response = session.request("no/such_method", json!({})).await;

    assert_eq!(
        response["error"]["code"],
        json!(METHOD_NOT_FOUND),
        "{response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tool_gets_invalid_params_naming_the_tool() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    // No backend has this alias.
    let response = session.call_tool("ghost__nothing", json!({})).await;
    assert_eq!(
        response["error"]["code"],
        json!(INVALID_PARAMS),
        "{response}"
    );
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("ghost__nothing"),
        "message does not name the tool: {response}"
    );

    // The alias exists but the backend has no such tool.
    let response = session.call_tool("one__no_such_tool", json!({})).await;
    assert_eq!(
        response["error"]["code"],
        json!(INVALID_PARAMS),
        "{response}"
    );
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("no_such_tool"),
        "message does not name the tool: {response}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_without_session_before_initialize_gets_http_400() {
    let gateway = gateway_with_one_backend(&[]).await;

    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let response = raw::post(&gateway.url(), body.to_string(), &[]).await;

    assert_eq!(response.status, 400, "body: {}", response.body);
    let message = response.message();
    assert_eq!(
        message["error"]["code"],
        json!(INVALID_REQUEST),
        "{message}"
    );
    let text = message["error"]["message"].as_str().unwrap_or_default();
    assert!(
        text.to_lowercase().contains("initialize"),
        "message does not mention initialize: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_session_id_gets_http_404() {
    let gateway = gateway_with_one_backend(&[]).await;

    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}});
    let response = raw::post(
        &gateway.url(),
        body.to_string(),
        &[
            ("mcp-session-id", "no-such-session-0123456789"),
            ("mcp-protocol-version", raw::PROTOCOL_VERSION),
        ],
    )
    .await;

    assert_eq!(response.status, 404, "body: {}", response.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_max_body_bytes_gets_http_413_and_one_under_it_works() {
    const LIMIT: usize = 65536;
    let gateway = gateway_with_one_backend(&[("max_body_bytes", &LIMIT.to_string())]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    let under = "u".repeat(LIMIT / 2);
    let response = session.call_tool("one__echo", json!({"text": under})).await;
    assert_eq!(
        tool_text(&response),
        Some(under.as_str()),
        "a body under the limit must work"
    );

    let over = "o".repeat(LIMIT * 2);
    let body = json!({
        "jsonrpc": "2.0", "id": 99, "method": "tools/call",
        "params": {"name": "one__echo", "arguments": {"text": over}}
    })
    .to_string();
    let headers = [
        ("mcp-session-id", session.session_id.as_str()),
        ("mcp-protocol-version", session.protocol_version.as_str()),
    ];
    // Announced by Content-Length, and streamed without one: both are refused.
    for framing in [Framing::ContentLength, Framing::Chunked] {
        let (status, response) =
            raw::http1_post(gateway.addr(), "/mcp", &headers, body.as_bytes(), framing).await;
        assert_eq!(status, 413, "{framing:?}: {response}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_with_missing_command_is_down_while_the_others_work() {
    let config = ConfigBuilder::new()
        .example_backend("one", &[])
        .stdio_backend("ghost", "/nonexistent/mcpmux-test-no-such-binary", &[])
        .build();
    let gateway = GatewayProcess::start(&config).await;

    let ready = gateway.wait_ready().await;
    assert_eq!(ready["status"], json!("ready"), "{ready}");
    assert_eq!(ready["backends"]["one"]["state"], json!("up"), "{ready}");
    assert_eq!(
        ready["backends"]["ghost"]["state"],
        json!("down"),
        "{ready}"
    );
    let error = ready["backends"]["ghost"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(!error.is_empty(), "a down backend must say why: {ready}");

    let session = RawSession::initialize(&gateway.url()).await;
    let tools = session.tool_names().await;
    assert!(tools.iter().any(|t| t == "one__echo"), "{tools:?}");
    assert!(!tools.iter().any(|t| t.starts_with("ghost__")), "{tools:?}");

    let echo = session
        .call_tool("one__echo", json!({"text": "still here"}))
        .await;
    assert_eq!(tool_text(&echo), Some("still here"), "{echo}");
    let ghost = session.call_tool("ghost__echo", json!({"text": "x"})).await;
    assert!(
        !is_success(&ghost),
        "a call to a down backend cannot succeed: {ghost}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_crash_mid_call_errors_then_backend_restarts() {
    // Aliases that occur in no ordinary word, so "the message names the backend" means it.
    let config = ConfigBuilder::new()
        .example_backend("crashy", &[])
        .example_backend("steady", &[])
        .build();
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;

    let before = session
        .call_tool("crashy__echo", json!({"text": "before"}))
        .await;
    assert_eq!(tool_text(&before), Some("before"), "{before}");

    let logged_before_crash = gateway.log_line_count();
    let crash = session.call_tool("crashy__crash", json!({})).await;
    let error = crash
        .get("error")
        .unwrap_or_else(|| panic!("a crashed call must get a JSON-RPC error: {crash}"));
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.replace("crashy__crash", "").contains("crashy"),
        "the error does not name the backend (beyond the tool name): {crash}"
    );

    // The crash is logged as a warning or error carrying the backend field.
    poll_until(
        POLL_DEADLINE,
        "a WARN/ERROR log line with backend=crashy",
        || {
            let lines = gateway.logs_since(logged_before_crash);
            async move {
                lines.into_iter().find(|line| {
                    (line.contains("WARN") || line.contains("ERROR"))
                        && line.contains("backend=crashy")
                })
            }
        },
    )
    .await;

    // Other backends are not affected.
    let other = session
        .call_tool("steady__echo", json!({"text": "unaffected"}))
        .await;
    assert_eq!(tool_text(&other), Some("unaffected"), "{other}");

    // The crashed process cannot answer; a successful call means the gateway restarted it.
    let session = &session;
    let after = poll_until(
        POLL_DEADLINE,
        "crashy__echo to work after the crash",
        || async move {
            let response = session
                .call_tool("crashy__echo", json!({"text": "after"}))
                .await;
            is_success(&response).then_some(response)
        },
    )
    .await;
    assert_eq!(tool_text(&after), Some("after"), "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_ends_the_session() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;
    let ping = session.request("ping", json!({})).await;
    assert!(ping.get("result").is_some(), "{ping}");

    let deleted = session.delete().await;
    assert!(
        (200..300).contains(&deleted.status),
        "DELETE: HTTP {}: {}",
        deleted.status,
        deleted.body
    );

    let body = json!({"jsonrpc": "2.0", "id": 5, "method": "ping"});
    let response = session.post_json(&body).await;
    assert_eq!(response.status, 404, "after DELETE: {}", response.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_post_gets_202() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    let body = json!({
        "jsonrpc": "2.0",
        "method": "notifications/cancelled",
        "params": {"requestId": 12345, "reason": "test"}
    });
    let response = session.post_json(&body).await;

    assert_eq!(response.status, 202, "body: {}", response.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_opens_an_event_stream_for_the_session() {
    let gateway = gateway_with_one_backend(&[]).await;
    let session = RawSession::initialize(&gateway.url()).await;

    let response = raw::client()
        .get(gateway.url())
        .header("accept", "text/event-stream")
        .header("mcp-session-id", &session.session_id)
        .header("mcp-protocol-version", &session.protocol_version)
        .send()
        .await
        .expect("GET /mcp");

    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("text/event-stream"),
        "content-type: {content_type}"
    );
    // The stream stays open; dropping the response closes it.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_past_max_sessions_gets_503_and_other_sessions_keep_working() {
    let gateway = gateway_with_one_backend(&[("max_sessions", "2")]).await;
    let first = RawSession::initialize(&gateway.url()).await;
    let second = RawSession::initialize(&gateway.url()).await;

    let init = json!({
        "jsonrpc": "2.0", "id": 5, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "one-too-many", "version": "0"}}
    });
    let refused = raw::post(&gateway.url(), init.to_string(), &[]).await;
    assert_eq!(refused.status, 503, "body: {}", refused.body);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(refused.header("mcp-session-id").is_none());
    let message = refused.message();
    assert_eq!(message["id"], json!(5), "{message}");
    assert_eq!(message["error"]["code"], json!(-32007), "{message}");
    assert!(
        message["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("maximum of 2 sessions")),
        "{message}"
    );
    poll_until(POLL_DEADLINE, "the refusal in the log", || async {
        gateway
            .logs()
            .contains("session limit reached")
            .then_some(())
    })
    .await;

    // The sessions already open are untouched.
    let echoed = second
        .call_tool("one__echo", json!({"text": "still here"}))
        .await;
    assert!(is_success(&echoed), "{echoed}");

    // Ending one makes room.
    assert_eq!(first.delete().await.status, 204);
    let third = RawSession::initialize(&gateway.url()).await;
    let echoed = third.call_tool("one__echo", json!({"text": "room"})).await;
    assert!(is_success(&echoed), "{echoed}");
}

/// A request for `/healthz` written on a raw connection.
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// Reads from `stream` until a whole response head has arrived (or the peer closes).
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    while !received.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(POLL_DEADLINE, stream.read(&mut buf))
            .await
            .expect("a response within the deadline")
            .expect("read");
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_max_connections_new_connections_wait_until_one_closes() {
    use tokio::io::AsyncWriteExt;
    let gateway = gateway_with_one_backend(&[("max_connections", "2")]).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(gateway.addr())
            .await
            .expect("connect");
        stream.write_all(HEALTHZ).await.expect("write");
        assert!(read_head(&mut stream).await.starts_with("HTTP/1.1 200"));
        open.push(stream);
    }

    // The third connects (the kernel's backlog) but is not served while two are open.
    let mut waiting = tokio::net::TcpStream::connect(gateway.addr())
        .await
        .expect("connect");
    waiting.write_all(HEALTHZ).await.expect("write");
    gateway
        .wait_for_log("about the connection limit", |line| {
            line.contains("connection limit reached")
        })
        .await;
    let mut buf = [0u8; 64];
    assert!(
        matches!(waiting.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "no answer while the limit holds"
    );

    // Closing one lets it in; the other open connection still works.
    drop(open.pop());
    assert!(read_head(&mut waiting).await.starts_with("HTTP/1.1 200"));
    let still_open = &mut open[0];
    still_open.write_all(HEALTHZ).await.expect("write");
    assert!(read_head(still_open).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let gateway = gateway_with_one_backend(&[("header_read_timeout", "\"300ms\"")]).await;
    let mut slow = tokio::net::TcpStream::connect(gateway.addr())
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .expect("write");
    // The gateway ends the connection: end of stream (or a 408 before it).
    let head = read_head(&mut slow).await;
    assert!(
        head.is_empty() || head.starts_with("HTTP/1.1 408"),
        "got {head:?}"
    );
    // Other clients are unaffected.
    let session = RawSession::initialize(&gateway.url()).await;
    let echoed = session
        .call_tool("one__echo", json!({"text": "fine"}))
        .await;
    assert!(is_success(&echoed), "{echoed}");
}
