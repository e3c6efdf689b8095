//! An `rmcp` client over streamable HTTP, and helpers to read results as the JSON they are on
//! the wire (so assertions do not depend on the shape of rmcp's Rust types).

use std::collections::HashMap;

use rmcp::{
    service::RunningService,
    transport::{
        streamable_http_client::StreamableHttpClientTransportConfig, StreamableHttpClientTransport,
    },
    RoleClient, ServiceExt,
};
use serde::Serialize;
use serde_json::Value;

/// A connected rmcp client (legacy `initialize` handshake, rmcp's default lifecycle).
pub type Client = RunningService<RoleClient, ()>;

/// Connect to the MCP endpoint at `url`.
pub async fn connect(url: &str) -> Client {
    connect_with_headers(url, &[]).await
}

/// Connect to `url`, sending `headers` on every HTTP request.
pub async fn connect_with_headers(url: &str, headers: &[(&'static str, &'static str)]) -> Client {
    let custom_headers: HashMap<_, _> = headers
        .iter()
        .map(|(name, value)| {
            (
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            )
        })
        .collect();
    let config = StreamableHttpClientTransportConfig::with_uri(url).custom_headers(custom_headers);
    let transport = StreamableHttpClientTransport::from_config(config);
    ().serve(transport)
        .await
        .unwrap_or_else(|e| panic!("rmcp client could not connect to {url}: {e}"))
}

/// Any rmcp result as JSON.
pub fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serialize rmcp type")
}

/// `content[0].text` of a `CallToolResult`.
pub fn tool_text<T: Serialize>(result: &T) -> String {
    let json = to_json(result);
    json["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("tool result without text content: {json}"))
        .to_string()
}

/// `messages[0].content.text` of a `GetPromptResult`, with the message's role.
pub fn prompt_text<T: Serialize>(result: &T) -> (String, String) {
    let json = to_json(result);
    let message = &json["messages"][0];
    match (
        message["role"].as_str(),
        message["content"]["text"].as_str(),
    ) {
        (Some(role), Some(text)) => (role.to_string(), text.to_string()),
        _ => panic!("prompt result without a text message: {json}"),
    }
}

/// `contents[0].text` of a `ReadResourceResult`.
pub fn resource_text<T: Serialize>(result: &T) -> String {
    let json = to_json(result);
    json["contents"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("resource result without text contents: {json}"))
        .to_string()
}

/// `{"k": v, ...}` as the argument map rmcp requests take.
pub fn args(value: Value) -> rmcp::model::JsonObject {
    match value {
        Value::Object(map) => map,
        other => panic!("arguments must be a JSON object, got {other}"),
    }
}
