//! The MCP shapes the gateway must read or write; everything else passes through raw.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Legacy-era protocol revisions the gateway serves, newest first.
pub const LEGACY_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// Modern-era (stateless) protocol revisions the gateway serves, newest first.
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];

/// Every revision the gateway serves, newest first (`server/discover`, `-32022`).
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];

/// The revision mcpmux offers when a client asks for one it does not know.
pub const LATEST_LEGACY: &str = LEGACY_VERSIONS[0];

/// Picks the revision to answer an `initialize` with: the client's if served, else the latest.
pub fn negotiate_version(requested: &str) -> &'static str {
    LEGACY_VERSIONS
        .iter()
        .find(|v| **v == requested)
        .copied()
        .unwrap_or(LATEST_LEGACY)
}

/// The `requestId` a `notifications/cancelled` names, if its params hold one.
pub fn cancelled_request_id(params: Option<&RawValue>) -> Option<super::Id> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Cancelled {
        request_id: super::Id,
    }
    serde_json::from_str::<Cancelled>(params?.get())
        .ok()
        .map(|c| c.request_id)
}

/// `initialize` params as sent by a client.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The revision the client asks for.
    pub protocol_version: String,
    /// The client's capabilities, kept raw.
    #[serde(default)]
    pub capabilities: Option<Box<RawValue>>,
    /// The client's name and version, kept raw.
    #[serde(default)]
    pub client_info: Option<Box<RawValue>>,
}

/// The parts of a backend's `initialize` result the gateway uses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The revision the backend agreed to.
    #[serde(default)]
    pub protocol_version: String,
    /// What the backend offers.
    #[serde(default)]
    pub capabilities: ServerCapabilities,
    /// The backend's own description for the model.
    #[serde(default)]
    pub instructions: Option<String>,
}

/// Server capabilities the gateway routes (presence is what matters).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerCapabilities {
    /// The backend offers tools.
    #[serde(default)]
    pub tools: Option<serde::de::IgnoredAny>,
    /// The backend offers prompts.
    #[serde(default)]
    pub prompts: Option<serde::de::IgnoredAny>,
    /// The backend offers resources.
    #[serde(default)]
    pub resources: Option<serde::de::IgnoredAny>,
    /// The backend offers completions.
    #[serde(default)]
    pub completions: Option<serde::de::IgnoredAny>,
    /// The backend sends log messages and takes `logging/setLevel`.
    #[serde(default)]
    pub logging: Option<serde::de::IgnoredAny>,
}

/// The kinds of list the catalog serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    /// `tools/list`.
    Tools,
    /// `prompts/list`.
    Prompts,
    /// `resources/list`.
    Resources,
    /// `resources/templates/list`.
    ResourceTemplates,
}

impl ListKind {
    /// All kinds, in the order the catalog fetches them.
    pub const ALL: [ListKind; 4] = [
        ListKind::Tools,
        ListKind::Prompts,
        ListKind::Resources,
        ListKind::ResourceTemplates,
    ];

    /// The list method.
    pub fn method(self) -> &'static str {
        match self {
            ListKind::Tools => "tools/list",
            ListKind::Prompts => "prompts/list",
            ListKind::Resources => "resources/list",
            ListKind::ResourceTemplates => "resources/templates/list",
        }
    }

    /// The result member holding the items.
    pub fn field(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources => "resources",
            ListKind::ResourceTemplates => "resourceTemplates",
        }
    }

    /// The kind served by a list method.
    pub fn from_method(method: &str) -> Option<ListKind> {
        ListKind::ALL.into_iter().find(|k| k.method() == method)
    }

    /// The notification a backend sends when this list changes.
    pub fn changed_notification(self) -> &'static str {
        match self {
            ListKind::Tools => "notifications/tools/list_changed",
            ListKind::Prompts => "notifications/prompts/list_changed",
            ListKind::Resources | ListKind::ResourceTemplates => {
                "notifications/resources/list_changed"
            }
        }
    }
}

/// One page of a backend list result: the items stay raw.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    /// Items under `tools`, `prompts`, `resources` or `resourceTemplates`.
    #[serde(
        alias = "tools",
        alias = "prompts",
        alias = "resources",
        alias = "resourceTemplates"
    )]
    pub items: Vec<Box<RawValue>>,
    /// The backend's cursor for the next page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// `{ "cursor": ... }` params of list methods.
#[derive(Debug, Default, Deserialize)]
pub struct CursorParams {
    /// The gateway-minted cursor, if any.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// `{ "cursor": ... }` for a backend list request.
#[derive(Debug, Serialize)]
pub struct BackendCursor<'a> {
    /// The backend's own cursor.
    pub cursor: &'a str,
}

/// The identifying members of a tool or prompt entry.
#[derive(Debug, Deserialize)]
pub struct NamedEntry {
    /// The entry's name.
    pub name: String,
    /// Tool annotations (behaviour hints), if any.
    #[serde(default)]
    pub annotations: Option<ToolAnnotations>,
}

/// Tool behaviour hints the gateway uses for retry safety.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    /// The tool does not modify its environment.
    #[serde(default)]
    pub read_only_hint: Option<bool>,
    /// Calling the tool twice with the same arguments has no further effect.
    #[serde(default)]
    pub idempotent_hint: Option<bool>,
}

/// The identifying member of a resource entry.
#[derive(Debug, Deserialize)]
pub struct UriEntry {
    /// The resource URI.
    pub uri: String,
}

/// The identifying member of a resource template entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateEntry {
    /// The RFC 6570 URI template.
    pub uri_template: String,
}

/// The gateway's `initialize` answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayInitializeResult<'a> {
    /// The negotiated revision.
    pub protocol_version: &'a str,
    /// What the gateway can route.
    pub capabilities: &'a RawValue,
    /// mcpmux's name and version.
    pub server_info: ServerInfo,
    /// The backends' instructions, merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<&'a str>,
}

/// `serverInfo` of the gateway.
#[derive(Debug, Serialize)]
pub struct ServerInfo {
    /// Always `mcpmux`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Default for ServerInfo {
    fn default() -> Self {
        ServerInfo {
            name: "mcpmux",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// MCP log levels (RFC 5424 severities), least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `notice`.
    Notice,
    /// `warning`.
    Warning,
    /// `error`.
    Error,
    /// `critical`.
    Critical,
    /// `alert`.
    Alert,
    /// `emergency`.
    Emergency,
}

impl LogLevel {
    /// Every level, least severe first.
    pub const ALL: [LogLevel; 8] = [
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Notice,
        LogLevel::Warning,
        LogLevel::Error,
        LogLevel::Critical,
        LogLevel::Alert,
        LogLevel::Emergency,
    ];

    /// The level named `name` as MCP spells it.
    pub fn parse(name: &str) -> Option<LogLevel> {
        LogLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// The MCP name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Error => "error",
            LogLevel::Critical => "critical",
            LogLevel::Alert => "alert",
            LogLevel::Emergency => "emergency",
        }
    }

    /// A small integer for atomics: the index in [`LogLevel::ALL`].
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The level of index `i`.
    pub fn from_index(i: u8) -> Option<LogLevel> {
        LogLevel::ALL.get(usize::from(i)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_known_versions_and_falls_back_to_latest() {
        assert_eq!(negotiate_version("2025-03-26"), "2025-03-26");
        assert_eq!(negotiate_version("1999-01-01"), LATEST_LEGACY);
    }

    #[test]
    fn list_page_reads_every_kind() {
        for (json, n) in [
            (r#"{"tools":[{"name":"a"}],"nextCursor":"x"}"#, 1),
            (
                r#"{"resourceTemplates":[{"uriTemplate":"a://{x}"},{"uriTemplate":"b"}]}"#,
                2,
            ),
        ] {
            let page: ListPage = serde_json::from_str(json).unwrap();
            assert_eq!(page.items.len(), n);
        }
    }
}
