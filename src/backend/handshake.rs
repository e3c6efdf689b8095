//! The legacy `initialize` handshake the gateway performs as a client of each backend.

use std::future::Future;

use crate::protocol::jsonrpc::to_raw;
use crate::protocol::mcp::{InitializeResult, LATEST_LEGACY, LEGACY_VERSIONS};
use crate::protocol::{JsonRpcRequest, JsonRpcResponse};
use crate::BoxError;

/// The params mcpmux sends: its own identity, and the client capabilities it can bridge, so
/// backends offer the tools that need them. Whether a given client can answer is checked when
/// a backend asks (a client that cannot gets nothing; the backend gets an error at once).
pub fn initialize_params() -> JsonRpcRequest {
    JsonRpcRequest::new(
        "initialize",
        Some(to_raw(&serde_json::json!({
            "protocolVersion": LATEST_LEGACY,
            "capabilities": {
                "roots": { "listChanged": true },
                "sampling": {},
                "elicitation": { "form": {}, "url": {} },
            },
            "clientInfo": { "name": "mcpmux", "version": env!("CARGO_PKG_VERSION") },
        }))),
    )
}

/// Sends `initialize` through `call` and reads the result; the caller sends `initialized`.
pub async fn initialize_over<F, Fut>(alias: &str, call: F) -> Result<InitializeResult, String>
where
    F: FnOnce(JsonRpcRequest) -> Fut,
    Fut: Future<Output = Result<JsonRpcResponse, BoxError>>,
{
    let response = call(initialize_params()).await.map_err(|e| e.to_string())?;
    let result = response
        .outcome
        .map_err(|e| format!("the backend refused initialize: {} ({})", e.message, e.code))?;
    let info: InitializeResult = serde_json::from_str(result.get())
        .map_err(|e| format!("the initialize result is not valid MCP: {e}"))?;
    if !LEGACY_VERSIONS.contains(&info.protocol_version.as_str()) {
        tracing::warn!(
            backend = %alias,
            version = %info.protocol_version,
            "backend agreed to a protocol version mcpmux does not know; continuing"
        );
    }
    Ok(info)
}
