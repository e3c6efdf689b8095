//! What runs, as the admin API and the meta-tools show it: each backend's state and tools.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::Gateway;
use crate::backend::Health;
use crate::config::{BackendConfig, TransportKind};

/// One backend, running or configured.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    /// Its alias.
    pub name: String,
    /// Its description, if configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `stdio`, `streamable-http`, `sse`, `ws`, or `http` (probed).
    pub transport: &'static str,
    /// Whether it is configured to run.
    pub enabled: bool,
    /// `up`, `starting`, `down`, `unhealthy` or `disabled`.
    pub state: &'static str,
    /// Why it is down or unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The breaker's state, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub circuit: Option<&'static str>,
    /// How many of its tools the catalog exposes.
    pub tools: usize,
    /// The prefix of its exposed names.
    pub prefix: String,
}

/// One tool as listings show it.
#[derive(Debug, Clone, Serialize)]
pub struct ToolSummary {
    /// The exposed (namespaced) name.
    pub name: String,
    /// The backend's own name.
    pub tool: String,
    /// Its description, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its input schema.
    #[serde(rename = "inputSchema", skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
}

fn transport_name(config: &BackendConfig) -> &'static str {
    match (config.transport, config.transport_kind()) {
        (None, Some(TransportKind::StreamableHttp)) => "http",
        (_, Some(TransportKind::Stdio)) => "stdio",
        (_, Some(TransportKind::StreamableHttp)) => "streamable-http",
        (_, Some(TransportKind::Sse)) => "sse",
        (_, Some(TransportKind::Ws)) => "ws",
        (_, None) => "unknown",
    }
}

// === impl Gateway ===

impl Gateway {
    /// Every configured backend, in alias order.
    pub fn instances(&self) -> Vec<Instance> {
        let config = self.config();
        let tools = self.tools_by_backend();
        config
            .backends
            .iter()
            .map(|(alias, backend_config)| {
                let running = self.registry().get(alias);
                let (state, reason) = match running.as_ref().map(|b| b.health()) {
                    None => ("disabled", None),
                    Some(Health::Up) => ("up", None),
                    Some(Health::Starting) => ("starting", None),
                    Some(Health::Down(why)) => ("down", Some(why.to_string())),
                    Some(Health::Unhealthy(why)) => ("unhealthy", Some(why.to_string())),
                };
                Instance {
                    name: alias.clone(),
                    description: backend_config.description.clone(),
                    transport: transport_name(backend_config),
                    enabled: backend_config.enabled,
                    state,
                    reason,
                    circuit: running.as_ref().and_then(|b| b.circuit()),
                    tools: tools.get(alias.as_str()).map_or(0, Vec::len),
                    prefix: backend_config.effective_prefix(alias).to_string(),
                }
            })
            .collect()
    }

    /// The catalog's tools by backend alias (listed or not), in catalog order.
    pub fn tools_by_backend(&self) -> BTreeMap<String, Vec<ToolSummary>> {
        let snapshot = self.catalog().snapshot();
        let mut out: BTreeMap<String, Vec<ToolSummary>> = BTreeMap::new();
        for raw in snapshot.all_tools() {
            let Ok(entry) = serde_json::from_str::<Value>(raw.get()) else {
                continue;
            };
            let Some(name) = entry.get("name").and_then(Value::as_str) else {
                continue;
            };
            let Some(route) = snapshot.tool(name) else {
                continue;
            };
            out.entry(route.backend.alias().to_string())
                .or_default()
                .push(ToolSummary {
                    name: name.to_string(),
                    tool: route.name.to_string(),
                    description: entry
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    input_schema: entry.get("inputSchema").cloned(),
                });
        }
        out
    }
}
