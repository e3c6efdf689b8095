//! Traces over OTLP to a real receiver inside the test (gRPC and HTTP/protobuf): one
//! `tools/call` gives a server span and a backend span in one trace with the MCP attributes, a
//! client's `traceparent` is continued (on `/mcp` and through the REST bridge), and both an
//! HTTP backend and a stdio backend receive the trace context.

mod common;

use common::otlp::{self, ReceivedSpan, Spans};
use common::raw::{tool_text, RawSession};
use common::{example_server_cmd, poll_until, GatewayProcess, POLL_DEADLINE};
use serde_json::{json, Value};

#[path = "common/fault_backend.rs"]
mod fault_backend;
use fault_backend::FaultBackend;

const CLIENT_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// A REST caller's trace, distinct from the `/mcp` client's so that its spans can be told apart.
const REST_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const REST_PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

async fn gateway(endpoint: &str, protocol: &str, http_backend: &str) -> GatewayProcess {
    let config = format!(
        r#"
host = "127.0.0.1"
port = 0

[otel]
endpoint = "{endpoint}"
protocol = "{protocol}"

[backends.ex]
command = "{exe}"
args = ["example-server"]
health_check_interval = 0

[backends.web]
url = "{http_backend}"
health_check_interval = 0
"#,
        exe = example_server_cmd()
    );
    // Export spans at once rather than on the default 5 s schedule.
    let gateway =
        GatewayProcess::start_with_env(&config, &[("OTEL_BSP_SCHEDULE_DELAY", "100")]).await;
    gateway.wait_ready().await;
    gateway
}

/// Calls `tool` with the client's `traceparent` header and returns the tool's text.
async fn traced_call(session: &RawSession, tool: &str) -> String {
    let mut headers = session.session_headers();
    headers.push(("traceparent".into(), CLIENT_PARENT.into()));
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": {}}});
    let response = common::raw::post(&session.url, body.to_string(), &headers).await;
    tool_text(&response.message())
        .unwrap_or_default()
        .to_string()
}

async fn spans_named(spans: &Spans, name: &str, kind: i32) -> ReceivedSpan {
    poll_until(
        POLL_DEADLINE,
        &format!("a span `{name}` of kind {kind}"),
        || async {
            spans
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.name == name && s.kind == kind)
                .cloned()
        },
    )
    .await
}

async fn one_call_is_one_trace_through_both_backends(
    endpoint: String,
    protocol: &str,
    spans: Spans,
) {
    let web = FaultBackend::start().await;
    let gateway = gateway(&endpoint, protocol, &web.url()).await;
    let session = RawSession::initialize(&gateway.url()).await;

    // stdio backend: the trace context travels in `_meta`.
    let meta: Value = serde_json::from_str(&traced_call(&session, "ex__meta").await).unwrap();
    let server = spans_named(&spans, "tools/call ex__meta", 2).await;
    assert_eq!(
        server.trace_id, CLIENT_TRACE,
        "the client's trace is continued"
    );
    assert_eq!(server.parent_span_id, "00f067aa0ba902b7");
    assert_eq!(server.attributes["mcp.method.name"], "tools/call");
    assert_eq!(server.attributes["gen_ai.tool.name"], "ex__meta");
    assert_eq!(server.attributes["jsonrpc.request.id"], "7");
    assert_eq!(server.attributes["mcp.session.id"], session.session_id);
    assert_eq!(server.attributes["mcp.backend"], "ex");
    let client = poll_until(POLL_DEADLINE, "the backend span", || async {
        spans
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.kind == 3 && s.parent_span_id == server.span_id)
            .cloned()
    })
    .await;
    assert_eq!(client.trace_id, CLIENT_TRACE);
    assert_eq!(client.attributes["mcp.backend"], "ex");
    assert_eq!(client.attributes["mcp.method.name"], "tools/call");
    let sent = meta["traceparent"].as_str().unwrap_or_default();
    assert!(sent.contains(CLIENT_TRACE), "the stdio backend got {meta}");

    // HTTP backend: the header too.
    let seen: Value = serde_json::from_str(&traced_call(&session, "web__trace").await).unwrap();
    assert!(
        seen["header"]
            .as_str()
            .unwrap_or_default()
            .contains(CLIENT_TRACE),
        "{seen}"
    );
    assert!(
        seen["meta"]["traceparent"]
            .as_str()
            .unwrap_or_default()
            .contains(CLIENT_TRACE),
        "{seen}"
    );
    let web_server = spans_named(&spans, "tools/call web__trace", 2).await;
    assert_eq!(web_server.attributes["mcp.backend"], "web");

    // The REST bridge continues its caller's trace the same way.
    let response = common::raw::client()
        .post(format!("{}/api/tools/call", gateway.base()))
        .header("content-type", "application/json")
        .header("traceparent", REST_PARENT)
        .body(json!({"name": "ex__meta", "arguments": {}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let result: Value = response.json().await.unwrap();
    let meta: Value =
        serde_json::from_str(result["content"][0]["text"].as_str().unwrap_or("{}")).unwrap();
    let sent = meta["traceparent"].as_str().unwrap_or_default();
    assert!(
        sent.contains(REST_TRACE),
        "the stdio backend got {meta} via REST"
    );
    let rest_server = poll_until(POLL_DEADLINE, "the REST call's server span", || async {
        spans
            .lock()
            .unwrap()
            .iter()
            .find(|s| s.kind == 2 && s.trace_id == REST_TRACE)
            .cloned()
    })
    .await;
    assert_eq!(rest_server.name, "tools/call ex__meta");
    assert_eq!(rest_server.parent_span_id, "b7ad6b7169203331");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_go_out_over_grpc() {
    let (addr, spans) = otlp::grpc().await;
    one_call_is_one_trace_through_both_backends(format!("http://{addr}"), "grpc", spans).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_go_out_over_http_protobuf() {
    let (addr, spans) = otlp::http().await;
    one_call_is_one_trace_through_both_backends(format!("http://{addr}"), "http/protobuf", spans)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_is_marked_on_its_span() {
    let (addr, spans) = otlp::grpc().await;
    let web = FaultBackend::start().await;
    let gateway = gateway(&format!("http://{addr}"), "grpc", &web.url()).await;
    let session = RawSession::initialize(&gateway.url()).await;
    let response = session.call_tool("ex__add", json!({"a": "x"})).await;
    assert!(response.get("error").is_some(), "{response}");
    let server = spans_named(&spans, "tools/call ex__add", 2).await;
    assert_eq!(server.attributes["error.type"], "error");
}
