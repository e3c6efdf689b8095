//! The rmcp test backend on its own, without the gateway: an rmcp client talks to it
//! directly. If this fails, the gateway tests that use the backend cannot be trusted.

mod common;

use common::{
    rmcp_backend::{RmcpBackend, STATUS_TEXT, STATUS_URI},
    rmcp_client::{self, args, prompt_text, resource_text, tool_text},
};
use rmcp::model::{CallToolRequestParams, GetPromptRequestParams, ReadResourceRequestParams};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_backend_serves_tools_prompts_and_resources_to_an_rmcp_client() {
    let backend = RmcpBackend::start().await;
    let client = rmcp_client::connect(&backend.url()).await;

    let mut tools: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    tools.sort();
    assert_eq!(tools, ["weather", "whoami"]);

    let weather = client
        .call_tool(
            CallToolRequestParams::new("weather").with_arguments(args(json!({"city": "Oslo"}))),
        )
        .await
        .expect("call weather");
    assert_eq!(tool_text(&weather), "sunny in Oslo");

    let prompts: Vec<String> = client
        .list_all_prompts()
        .await
        .expect("prompts/list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(prompts, ["summary"]);
    let summary = client
        .get_prompt(
            GetPromptRequestParams::new("summary").with_arguments(args(json!({"topic": "tides"}))),
        )
        .await
        .expect("get summary");
    assert_eq!(
        prompt_text(&summary),
        ("user".to_string(), "Summarize tides".to_string())
    );

    let resources: Vec<String> = client
        .list_all_resources()
        .await
        .expect("resources/list")
        .into_iter()
        .map(|r| r.uri)
        .collect();
    assert_eq!(resources, [STATUS_URI]);
    let status = client
        .read_resource(ReadResourceRequestParams::new(STATUS_URI))
        .await
        .expect("read status");
    assert_eq!(resource_text(&status), STATUS_TEXT);

    client.cancel().await.expect("close the client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_backend_whoami_reports_the_request_headers_it_received() {
    let backend = RmcpBackend::start().await;
    let client = rmcp_client::connect_with_headers(&backend.url(), &[("x-test", "direct")]).await;

    let whoami = client
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .expect("call whoami");
    let seen: Value = serde_json::from_str(&tool_text(&whoami)).expect("whoami returns JSON");
    assert_eq!(seen["x-test"], json!("direct"), "whoami: {seen}");
    assert_eq!(seen["x-client-only"], Value::Null, "whoami: {seen}");

    client.cancel().await.expect("close the client");
}
