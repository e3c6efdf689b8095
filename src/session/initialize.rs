//! The gateway's own `initialize` answer: negotiated version, merged capabilities, merged
//! instructions.

use serde_json::value::RawValue;

use crate::backend::Health;
use crate::protocol::jsonrpc::to_raw;
use crate::protocol::mcp::{
    negotiate_version, GatewayInitializeResult, InitializeParams, ServerInfo, SUPPORTED_VERSIONS,
};
use crate::protocol::ErrorObject;
use crate::steer::catalog::Member;

/// Reads a client's `initialize` params.
pub fn parse_params(params: Option<&RawValue>) -> Result<InitializeParams, ErrorObject> {
    let params = params.ok_or_else(|| {
        ErrorObject::invalid_params("initialize needs params with a protocolVersion")
    })?;
    serde_json::from_str(params.get())
        .map_err(|e| ErrorObject::invalid_params(format!("initialize params: {e}")))
}

/// The version mcpmux answers with.
pub fn version_for(params: &InitializeParams) -> &'static str {
    negotiate_version(&params.protocol_version)
}

/// The `initialize` result: what the gateway can route. Tools, prompts and resources are always
/// offered (backends may appear later, announced by `list_changed`).
pub fn result(version: &str, members: &[Member]) -> Box<RawValue> {
    let capabilities = to_raw(&serde_json::json!({
        "tools": { "listChanged": true },
        "prompts": { "listChanged": true },
        "resources": { "listChanged": true, "subscribe": true },
        "completions": {},
        "logging": {},
    }));
    let instructions = merged_instructions(members);
    to_raw(&GatewayInitializeResult {
        protocol_version: version,
        capabilities: &capabilities,
        server_info: ServerInfo::default(),
        instructions: instructions.as_deref(),
    })
}

/// The `server/discover` result of the 2026-07-28 revision: every version the gateway serves,
/// the same capabilities as `initialize`, merged instructions, and caching hints.
pub fn discover_result(members: &[Member]) -> Box<RawValue> {
    let instructions = merged_instructions(members);
    let mut result = serde_json::json!({
        "resultType": "complete",
        "supportedVersions": SUPPORTED_VERSIONS,
        "capabilities": {
            "tools": { "listChanged": true },
            "prompts": { "listChanged": true },
            // In this revision `subscribe` means resource subscriptions over
            // `subscriptions/listen`.
            "resources": { "listChanged": true, "subscribe": true },
            "completions": {},
            "logging": {},
        },
        "_meta": { "io.modelcontextprotocol/serverInfo": ServerInfo::default() },
        "ttlMs": DISCOVER_TTL_MS,
        "cacheScope": "private",
    });
    if let Some(text) = instructions {
        result["instructions"] = serde_json::Value::String(text);
    }
    to_raw(&result)
}

/// How long a client may keep the discover result: backends come and go with reloads, and
/// `list_changed` reaches only listening clients.
const DISCOVER_TTL_MS: u64 = 60_000;

/// Each live backend's instructions under a heading naming its prefix.
fn merged_instructions(members: &[Member]) -> Option<String> {
    let mut out = String::new();
    for member in members {
        let status = member.backend.status();
        if status.health != Health::Up {
            continue;
        }
        let Some(text) = status.info.as_ref().and_then(|i| i.instructions.as_deref()) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let alias = member.backend.alias();
        let prefix = member.backend.config().effective_prefix(alias);
        out.push_str(&format!(
            "## {alias} (tools prefixed `{prefix}`)\n{}\n\n",
            text.trim()
        ));
    }
    (!out.is_empty()).then(|| out.trim_end().to_string())
}
