//! Backends of every transport behind `/mcp`: the old HTTP+SSE transport
//! (server-everything's `sse` mode), named or found by the streamable probe's fallback, and a
//! WebSocket server with credentials on the upgrade, reconnects and clear errors when the
//! socket drops.

mod common;

use common::events::Events;
use common::node::EverythingHttp;
use common::raw::{tool_text, RawSession};
use common::ws_backend::WsBackend;
use common::{poll_until, GatewayProcess, POLL_DEADLINE};
use serde_json::json;

async fn gateway_with(backend: &str) -> GatewayProcess {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\nlog_level = \"debug\"\n\n[backends.ev]\n{backend}\n"
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    gateway
}

async fn echo_and_progress(gateway: &GatewayProcess) {
    let session = RawSession::initialize(&gateway.url()).await;
    let echo = session
        .call_tool("ev__echo", json!({"message": "over sse"}))
        .await;
    assert_eq!(tool_text(&echo), Some("Echo: over sse"), "{echo}");
    let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "ev__trigger-long-running-operation", "arguments": {"duration": 1, "steps": 2}, "_meta": {"progressToken": 5}}});
    let mut stream = Events::post(&session, &call).await;
    let (before, done) = stream.until_response(9).await;
    assert!(
        before
            .iter()
            .any(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == 5),
        "{before:?}"
    );
    assert!(done.get("result").is_some(), "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sse_only_backend_named_as_such() {
    let everything = EverythingHttp::start_sse().await;
    let gateway = gateway_with(&format!(
        "url = \"{}\"\ntransport = \"sse\"",
        everything.url
    ))
    .await;
    echo_and_progress(&gateway).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sse_only_backend_found_by_the_streamable_probe() {
    let everything = EverythingHttp::start_sse().await;
    let gateway = gateway_with(&format!("url = \"{}\"", everything.url)).await;
    echo_and_progress(&gateway).await;
    gateway
        .wait_for_log("the probe's finding", |l| {
            l.contains("speaks the old HTTP+SSE transport")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_backend_with_credentials_reconnects_and_fails_calls_clearly() {
    let backend = WsBackend::start("ws-secret").await;
    let gateway = gateway_with(&format!(
        "url = \"{}\"\nhealth_check_interval = 0\nretry = {{ enabled = false }}\nauth = {{ type = \"bearer\", credentials = {{ token = \"ws-secret\" }} }}",
        backend.url
    ))
    .await;
    let session = RawSession::initialize(&gateway.url()).await;
    assert!(session.tool_names().await.contains(&"ev__echo".to_string()));
    assert_eq!(
        tool_text(
            &session
                .call_tool("ev__echo", json!({"text": "over ws"}))
                .await
        ),
        Some("over ws")
    );
    // Progress comes back through the socket too.
    let call = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "ev__echo", "arguments": {"text": "p"}, "_meta": {"progressToken": "t"}}});
    let (before, _) = Events::post(&session, &call).await.until_response(4).await;
    assert!(
        before.iter().any(|m| m["params"]["progressToken"] == "t"),
        "{before:?}"
    );

    // A call in flight when the socket drops fails at once, saying so; later calls go through
    // the new connection.
    let hung = {
        let url = session.url.clone();
        let headers = session.session_headers();
        tokio::spawn(async move {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let body = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "ev__hang", "arguments": {}}});
            common::raw::post(&url, body.to_string(), &headers)
                .await
                .message()
        })
    };
    poll_until(POLL_DEADLINE, "the hung call in flight", || async {
        (backend.hung_calls() == 1).then_some(())
    })
    .await;
    backend.drop_connections();
    let failed = hung.await.unwrap();
    let message = failed["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("closed the connection"), "{failed}");
    poll_until(POLL_DEADLINE, "a reconnect", || async {
        (backend.connections() >= 2).then_some(())
    })
    .await;
    poll_until(
        POLL_DEADLINE,
        "calls through the new connection",
        || async {
            let r = session
                .call_tool("ev__echo", json!({"text": "again"}))
                .await;
            (tool_text(&r) == Some("again")).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_backend_refusing_the_credentials_is_down_with_the_reason() {
    let backend = WsBackend::start("right").await;
    let gateway = gateway_with(&format!(
        "url = \"{}\"\nauth = {{ type = \"bearer\", credentials = {{ token = \"wrong\" }} }}",
        backend.url
    ))
    .await;
    let (_, ready) = gateway.readyz().await;
    let error = ready["backends"]["ev"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(ready["backends"]["ev"]["state"], "down", "{ready}");
    assert!(error.contains("401"), "{error}");
}
