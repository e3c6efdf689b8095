//! Large lists and results through the gateway: they leave as shared buffers (not copied into
//! one), so check on the wire that nothing is lost or mangled and the length is exact.

mod common;

use common::{
    config::ConfigBuilder,
    raw::{tool_text, RawSession},
    rmcp_backend::RmcpBackend,
    GatewayProcess,
};
use serde_json::{json, Value};

/// Extra tools the example server lists, enough for a list result of several hundred KiB.
const EXTRA_TOOLS: &str = "3000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_tools_list_arrives_whole_with_an_exact_content_length() {
    let config = ConfigBuilder::new()
        .page_size(10_000)
        .example_backend("big", &["--tools", EXTRA_TOOLS])
        .build();
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;

    let list = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/list", "params": {}});
    let first = session.post_json(&list).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.len() > 100_000, "{} bytes", first.body.len());
    assert_eq!(
        first.header("content-length"),
        Some(first.body.len().to_string().as_str()),
        "a shared-buffer body must still announce its exact length"
    );
    let message: Value = serde_json::from_str(&first.body).expect("the list is one JSON message");
    assert_eq!(message["id"], json!(9));
    let tools = message["result"]["tools"].as_array().expect("tools");
    assert!(tools.len() > 3000, "{} tools", tools.len());
    assert!(tools
        .iter()
        .all(|t| t["name"].as_str().is_some_and(|n| n.starts_with("big__"))));
    assert!(message["result"].get("nextCursor").is_none());

    // The warm list is served from the snapshot's cached page: byte-identical.
    let again = session.post_json(&list).await;
    assert_eq!(again.body, first.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_tool_results_round_trip_from_stdio_and_http_backends() {
    let remote = RmcpBackend::start().await;
    let config = ConfigBuilder::new()
        .example_backend("local", &[])
        .http_backend("remote", &remote.url(), &[])
        .build();
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;

    // Quotes, backslashes and non-ASCII survive, and the size crosses every buffer boundary.
    let text: String = "ab\"c\\dé ✓ ".repeat(20_000);
    let echoed = session
        .call_tool("local__echo", json!({"text": &text}))
        .await;
    assert_eq!(tool_text(&echoed), Some(text.as_str()), "stdio echo");

    let weather = session
        .call_tool("remote__weather", json!({"city": &text}))
        .await;
    assert_eq!(
        tool_text(&weather),
        Some(format!("sunny in {text}").as_str()),
        "HTTP backend result"
    );
}
