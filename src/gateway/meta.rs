//! The meta-tools: the gateway's own tools under the reserved prefix `mcpmux`, for models that
//! work with many backends: list them, read a summary of their tools, search the catalog, call
//! a tool by server and name, and (with `meta_tools.manage`) register, remove, enable and
//! disable backends.

use serde_json::{json, Value};

use super::change::Edit;
use super::{CallError, Gateway};
use crate::config::{Config, ToolExposure};
use crate::protocol::RawJson;

/// The reserved prefix of the meta-tools.
pub const PREFIX: &str = "mcpmux";

/// Longest search result list.
const MAX_SEARCH_LIMIT: usize = 50;

/// One meta-tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaTool {
    /// `mcpmux__list_servers`.
    ListServers,
    /// `mcpmux__help`.
    Help,
    /// `mcpmux__call`.
    Call,
    /// `mcpmux__search_tools`.
    SearchTools,
    /// `mcpmux__register_server`.
    Register,
    /// `mcpmux__remove_server`.
    Remove,
    /// `mcpmux__enable_server`.
    Enable,
    /// `mcpmux__disable_server`.
    Disable,
}

const BASE: [MetaTool; 4] = [
    MetaTool::ListServers,
    MetaTool::Help,
    MetaTool::Call,
    MetaTool::SearchTools,
];
const MANAGE: [MetaTool; 4] = [
    MetaTool::Register,
    MetaTool::Remove,
    MetaTool::Enable,
    MetaTool::Disable,
];

impl MetaTool {
    /// The name after the prefix.
    pub fn short_name(self) -> &'static str {
        match self {
            MetaTool::ListServers => "list_servers",
            MetaTool::Help => "help",
            MetaTool::Call => "call",
            MetaTool::SearchTools => "search_tools",
            MetaTool::Register => "register_server",
            MetaTool::Remove => "remove_server",
            MetaTool::Enable => "enable_server",
            MetaTool::Disable => "disable_server",
        }
    }

    /// The meta-tools a config exposes: the base ones with `meta_tools.enabled` or
    /// `tool_exposure = "search"`, the management ones only with `meta_tools.manage` too.
    pub fn exposed(config: &Config) -> Vec<MetaTool> {
        let base = config.meta_tools.enabled || config.tool_exposure == ToolExposure::Search;
        let mut out = Vec::new();
        if base {
            out.extend(BASE);
            if config.meta_tools.manage {
                out.extend(MANAGE);
            }
        }
        out
    }

    /// Its `tools/list` entry.
    pub fn listing(self, separator: &str) -> Value {
        let name = format!("{PREFIX}{separator}{}", self.short_name());
        let server = json!({ "type": "string", "description": "The server (backend) name, as mcpmux__list_servers shows it" });
        let (description, schema, read_only) = match self {
            MetaTool::ListServers => (
                "List the MCP servers behind this gateway: name, description, transport, state (up, starting, down, disabled) and how many tools each exposes.",
                json!({ "type": "object", "properties": {} }),
                true,
            ),
            MetaTool::Help => (
                "Summarise every server's tools, one line each (or one server's, with `server`). Use it to see what is available before calling.",
                json!({ "type": "object", "properties": { "server": server } }),
                true,
            ),
            MetaTool::Call => (
                "Call a tool of one server: `server` names the server, `tool` the tool as that server names it (without the prefix), `arguments` its arguments. The call passes the same limits and policy as calling the tool directly.",
                json!({
                    "type": "object",
                    "properties": {
                        "server": server,
                        "tool": { "type": "string", "description": "The tool's name on that server" },
                        "arguments": { "type": "object", "description": "The tool's arguments" }
                    },
                    "required": ["server", "tool"]
                }),
                false,
            ),
            MetaTool::SearchTools => (
                "Search every server's tools by what they do. Returns the best matches with their full names, descriptions and input schemas; call one by its name or through mcpmux__call.",
                json!({
                    "type": "object",
                    "properties": {
                        "query": { "type": "string", "description": "What you want to do, in a few words" },
                        "limit": { "type": "integer", "minimum": 1, "maximum": MAX_SEARCH_LIMIT, "description": "How many results (default 5)" }
                    },
                    "required": ["query"]
                }),
                true,
            ),
            MetaTool::Register => (
                "Register a new MCP server at runtime: a local program (`command` and `args`) or a remote server (`url`).",
                json!({
                    "type": "object",
                    "properties": {
                        "name": { "type": "string", "description": "Its name: letters, digits, _ and -; its tools are exposed as NAME__tool" },
                        "command": { "type": "string", "description": "The program to run (stdio server)" },
                        "args": { "type": "array", "items": { "type": "string" }, "description": "The program's arguments" },
                        "url": { "type": "string", "description": "The server's URL (HTTP, SSE or WebSocket server)" },
                        "description": { "type": "string", "description": "What the server is for" }
                    },
                    "required": ["name"]
                }),
                false,
            ),
            MetaTool::Remove => (
                "Stop and remove an MCP server.",
                json!({ "type": "object", "properties": { "name": server }, "required": ["name"] }),
                false,
            ),
            MetaTool::Enable => (
                "Start a disabled MCP server again.",
                json!({ "type": "object", "properties": { "name": server }, "required": ["name"] }),
                false,
            ),
            MetaTool::Disable => (
                "Stop an MCP server, keeping its configuration so it can be enabled again.",
                json!({ "type": "object", "properties": { "name": server }, "required": ["name"] }),
                false,
            ),
        };
        json!({
            "name": name,
            "description": description,
            "inputSchema": schema,
            "annotations": { "readOnlyHint": read_only },
        })
    }

    /// The tool called `short` among `exposed`.
    pub fn find(exposed: &[MetaTool], short: &str) -> Option<MetaTool> {
        exposed.iter().copied().find(|t| t.short_name() == short)
    }
}

/// A tool result with text and structured content.
pub(super) fn result(structured: Value, text: String) -> RawJson {
    RawJson::from(crate::protocol::jsonrpc::to_raw(&json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": structured,
    })))
}

/// A tool result that reports a failure the model can act on.
pub(super) fn failure(text: String) -> RawJson {
    RawJson::from(crate::protocol::jsonrpc::to_raw(&json!({
        "content": [{ "type": "text", "text": text }],
        "isError": true,
    })))
}

fn string_arg(arguments: &Value, tool: &str, key: &str) -> Result<String, CallError> {
    arguments
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CallError::InvalidParams(format!("{tool}: `{key}` must be a string")))
}

// === impl Gateway ===

impl Gateway {
    /// `mcpmux__list_servers`.
    pub(super) fn meta_list_servers(&self) -> RawJson {
        let instances = self.instances();
        let text = instances
            .iter()
            .map(|i| {
                let mut line = format!(
                    "{} ({}, {}, {} tools)",
                    i.name, i.transport, i.state, i.tools
                );
                if let Some(d) = &i.description {
                    line.push_str(": ");
                    line.push_str(d);
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n");
        result(json!({ "servers": instances }), text)
    }

    /// `mcpmux__help`.
    pub(super) fn meta_help(&self, arguments: &Value) -> Result<RawJson, CallError> {
        let only = arguments.get("server").and_then(Value::as_str);
        let instances = self.instances();
        if let Some(only) = only {
            if !instances.iter().any(|i| i.name == only) {
                return Ok(failure(format!(
                    "no server `{only}`; mcpmux__list_servers shows the servers"
                )));
            }
        }
        let tools = self.tools_by_backend();
        let mut text = String::new();
        let mut structured = serde_json::Map::new();
        for instance in instances
            .iter()
            .filter(|i| only.is_none_or(|o| o == i.name))
        {
            text.push_str(&format!("## {} ({})", instance.name, instance.state));
            if let Some(d) = &instance.description {
                text.push_str(&format!(": {d}"));
            }
            text.push('\n');
            let mut lines = Vec::new();
            for tool in tools.get(&instance.name).map_or(&[][..], Vec::as_slice) {
                let summary = tool
                    .description
                    .as_deref()
                    .map(first_sentence)
                    .unwrap_or_default();
                text.push_str(&format!("- {}: {summary}\n", tool.name));
                lines.push(json!({ "name": tool.name, "summary": summary }));
            }
            structured.insert(instance.name.clone(), Value::Array(lines));
        }
        let pipelines: Vec<Value> = self
            .config()
            .pipelines
            .iter()
            .map(|(name, p)| json!({ "name": format!("{}{}{name}", crate::pipeline::PREFIX, self.config().separator), "summary": p.description.as_deref().map(first_sentence).unwrap_or_default() }))
            .collect();
        if !pipelines.is_empty() && only.is_none() {
            text.push_str("## pipelines\n");
            for p in &pipelines {
                text.push_str(&format!(
                    "- {}: {}\n",
                    p["name"].as_str().unwrap_or_default(),
                    p["summary"].as_str().unwrap_or_default()
                ));
            }
        }
        Ok(result(
            json!({ "servers": structured, "pipelines": pipelines }),
            text,
        ))
    }

    /// `mcpmux__search_tools`.
    pub(super) fn meta_search(&self, arguments: &Value) -> Result<RawJson, CallError> {
        let tool = "mcpmux__search_tools";
        let query = string_arg(arguments, tool, "query")?;
        let limit = match arguments.get("limit") {
            None | Some(Value::Null) => 5,
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_SEARCH_LIMIT as u64).contains(n))
                .ok_or_else(|| {
                    CallError::InvalidParams(format!(
                        "{tool}: `limit` must be an integer from 1 to {MAX_SEARCH_LIMIT}"
                    ))
                })? as usize,
        };
        let hits = self
            .inner
            .local
            .search(&self.catalog().snapshot(), &query, limit);
        let text = if hits.is_empty() {
            format!("no tool matches `{query}`; mcpmux__help lists every tool")
        } else {
            serde_json::to_string(&hits).unwrap_or_default()
        };
        Ok(result(json!({ "tools": hits }), text))
    }

    /// The management meta-tools.
    pub(super) async fn meta_manage(
        &self,
        tool: MetaTool,
        arguments: &Value,
    ) -> Result<RawJson, CallError> {
        let full = format!("{PREFIX}__{}", tool.short_name());
        let name = string_arg(arguments, &full, "name")?;
        let edit = match tool {
            MetaTool::Register => {
                let mut config = serde_json::Map::new();
                for key in ["command", "args", "url", "description", "transport"] {
                    if let Some(v) = arguments.get(key).filter(|v| !v.is_null()) {
                        config.insert(key.into(), v.clone());
                    }
                }
                Edit::Add {
                    name: name.clone(),
                    config: Value::Object(config),
                }
            }
            MetaTool::Remove => Edit::Remove { name: name.clone() },
            MetaTool::Enable => Edit::SetEnabled {
                name: name.clone(),
                enabled: true,
            },
            MetaTool::Disable => Edit::SetEnabled {
                name: name.clone(),
                enabled: false,
            },
            _ => {
                return Err(CallError::Internal(format!(
                    "{full} is not a management tool"
                )))
            }
        };
        match self.edit(edit).await {
            Ok(applied) => Ok(result(
                serde_json::to_value(&applied).unwrap_or_default(),
                format!("{}: done for `{name}`", tool.short_name()),
            )),
            Err(e) => Ok(failure(format!("{}: {e}", tool.short_name()))),
        }
    }
}

/// The first sentence (or line) of a description, for one-line summaries.
fn first_sentence(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default().trim();
    match line.find(". ") {
        Some(at) => line[..=at].to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_one_sentence() {
        assert_eq!(
            first_sentence("Adds two numbers. Returns the sum."),
            "Adds two numbers."
        );
        assert_eq!(first_sentence("First line\nsecond"), "First line");
    }

    #[test]
    fn management_tools_need_both_switches() {
        let mut config: Config = figment::Figment::from(figment::providers::Serialized::defaults(
            serde_json::json!({}),
        ))
        .extract()
        .unwrap();
        assert!(MetaTool::exposed(&config).is_empty());
        config.meta_tools.manage = true;
        assert!(
            MetaTool::exposed(&config).is_empty(),
            "manage alone exposes nothing"
        );
        config.meta_tools.enabled = true;
        assert_eq!(MetaTool::exposed(&config).len(), 8);
        config.meta_tools = Default::default();
        config.tool_exposure = ToolExposure::Search;
        assert_eq!(MetaTool::exposed(&config), BASE.to_vec());
    }
}
