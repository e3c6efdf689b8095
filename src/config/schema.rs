//! The typed configuration: every field documented, every field with a default.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The whole gateway configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Config {
    /// Address to bind the MCP listener to. Default `127.0.0.1`.
    #[serde(default = "defaults::host")]
    pub host: IpAddr,
    /// Port of the MCP listener; `0` picks a free one (logged). Default `8080`.
    #[serde(default = "defaults::port")]
    pub port: u16,
    /// When `port` is taken, try the next ones (up to 100 further) and log the one bound,
    /// instead of failing. Default `false`.
    #[serde(default)]
    pub auto_port: bool,
    /// Log filter (`error`, `warn`, `info`, `debug`, `trace`, or an `EnvFilter` directive).
    /// Default `info`.
    #[serde(default = "defaults::log_level")]
    pub log_level: String,
    /// Write logs as JSON lines instead of text. Default `false`.
    #[serde(default)]
    pub json_logs: bool,
    /// Reload the config file when it changes. Default `true`.
    #[serde(default = "defaults::yes")]
    pub hot_reload: bool,
    /// Runtime worker threads; `0` (auto) uses one per core minus one, at least 1, and a single
    /// worker runs on the current-thread scheduler (see `runtime.rs` for why). Default `0`.
    #[serde(default)]
    pub worker_threads: usize,
    /// Largest accepted request body, in bytes; larger bodies get HTTP 413. Default 4 MiB.
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Items per page of `tools/list` and the other lists. Default 1000.
    #[serde(default = "defaults::page_size")]
    pub page_size: usize,
    /// Separator between a backend's prefix and its names. Default `__`.
    #[serde(default = "defaults::separator")]
    pub separator: String,
    /// `Origin` values accepted besides localhost ones, e.g. `https://app.example.com`.
    /// Requests with any other `Origin` get 403 (DNS rebinding protection). Default empty.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// `Host` values accepted when bound to a loopback address, besides `localhost`,
    /// `127.0.0.1` and `[::1]`. Default empty.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// A session idle this long is ended. Default 30 minutes.
    #[serde(
        default = "defaults::session_idle_timeout",
        with = "mcpmux_layers::duration"
    )]
    pub session_idle_timeout: Duration,
    /// Most live sessions; `initialize` beyond it gets HTTP 503 until sessions end or idle out,
    /// so a client opening sessions in a loop cannot exhaust memory. Default 100,000.
    #[serde(default = "defaults::max_sessions")]
    pub max_sessions: usize,
    /// Most open client connections; past it new connections wait in the listen backlog until
    /// one closes, so a flood of connections cannot exhaust memory or file descriptors.
    /// Default 10,000.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// A client must send a request's headers within this long, and an idle keep-alive
    /// connection is closed after it, so slow or silent clients cannot hold connections.
    /// Default 30 s.
    #[serde(
        default = "defaults::header_read_timeout",
        with = "mcpmux_layers::duration"
    )]
    pub header_read_timeout: Duration,
    /// A client must send each request's body within this long, so a body trickled in a byte
    /// at a time cannot hold a connection. Default 30 s.
    #[serde(
        default = "defaults::request_body_timeout",
        with = "mcpmux_layers::duration"
    )]
    pub request_body_timeout: Duration,
    /// A connection with no request in flight for this long is closed (HTTP/1 keep-alive and
    /// HTTP/2 alike). Open event streams count as requests in flight. Default 120 s.
    #[serde(
        default = "defaults::connection_idle_timeout",
        with = "mcpmux_layers::duration"
    )]
    pub connection_idle_timeout: Duration,
    /// HTTP/2 connections are pinged this often; a peer that does not answer within the same
    /// time is dropped. `0` disables. Default 30 s.
    #[serde(
        default = "defaults::http2_keep_alive",
        with = "mcpmux_layers::duration"
    )]
    pub http2_keep_alive: Duration,
    /// Largest `capabilities` plus `clientInfo` a client may send with `initialize`, in bytes.
    /// A session keeps only what the gateway needs of them. Default 16 KiB.
    #[serde(default = "defaults::max_client_info_bytes")]
    pub max_client_info_bytes: usize,
    /// Events each of a session's streams keeps for a client that reconnects with
    /// `Last-Event-ID`, or reads slowly. Default 256.
    #[serde(default = "defaults::replay_events")]
    pub replay_events: usize,
    /// Bytes each of a session's streams keeps for replay. Default 1 MiB.
    #[serde(default = "defaults::replay_bytes")]
    pub replay_bytes: usize,
    /// Bytes all streams of all sessions keep together for replay; past it a stream keeps only
    /// its newest event. Bounds the gateway's memory whatever the number of sessions.
    /// Default 64 MiB.
    #[serde(default = "defaults::replay_budget_bytes")]
    pub replay_budget_bytes: usize,
    /// How long a call whose event stream was cut keeps running, waiting for the client to
    /// resume it with `Last-Event-ID`, before it is cancelled. Default 10 s.
    #[serde(default = "defaults::resume_grace", with = "mcpmux_layers::duration")]
    pub resume_grace: Duration,
    /// How long a backend's request to a client (sampling, elicitation, roots) waits for the
    /// client's answer. Default 120 s.
    #[serde(
        default = "defaults::client_request_timeout",
        with = "mcpmux_layers::duration"
    )]
    pub client_request_timeout: Duration,
    /// Inbound authentication of clients.
    #[serde(default)]
    pub auth: InboundAuth,
    /// The admin listener: `/metrics`, `/healthz`, `/readyz`.
    #[serde(default)]
    pub admin: AdminConfig,
    /// Prometheus metrics.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// OpenTelemetry trace export (off unless an endpoint is set here or in
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`).
    #[serde(default)]
    pub otel: OtelConfig,
    /// The audit line written per tool call.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The REST bridge (`/api/*`, `/tools`, `/tools/call`) on the main listener.
    #[serde(default)]
    pub rest: RestConfig,
    /// On SIGTERM: how long calls in flight get to finish before backends are stopped.
    /// Default 20 s.
    #[serde(default = "defaults::shutdown_grace", with = "mcpmux_layers::duration")]
    pub shutdown_grace: Duration,
    /// More config files to merge (globs, JSON or TOML, relative to this file), e.g.
    /// `["servers.d/*.toml"]` or `["data/*/mcp_settings.json"]`. A file holds backends
    /// (`backends` or `mcpServers`) or is one backend with its `name` (`isActive = false`
    /// disables it). Default empty.
    #[serde(default)]
    pub include: Vec<String>,
    /// The gateway's own tools under the reserved prefix `mcpmux`.
    #[serde(default)]
    pub meta_tools: MetaToolsConfig,
    /// What `tools/list` shows: `all` (every backend's tools, plus the meta-tools when
    /// enabled) or `search` (only the meta-tools: a client finds the rest with
    /// `mcpmux__search_tools` and calls them by name or through `mcpmux__call`). Default `all`.
    #[serde(default)]
    pub tool_exposure: ToolExposure,
    /// Named workflows across backends, each exposed as the tool `pipeline__NAME`.
    #[serde(default)]
    pub pipelines: BTreeMap<String, PipelineConfig>,
    /// The backends, keyed by alias. A file's `mcpServers` (Claude Desktop, Cursor) is read as
    /// `backends`.
    #[serde(default)]
    pub backends: BTreeMap<String, BackendConfig>,
}

/// The admin listener.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Where it listens; keep it off the public network. Default `127.0.0.1:9090`.
    #[serde(default = "defaults::admin_listen")]
    pub listen: std::net::SocketAddr,
    /// Bearer token of the admin API (`/api/*`), e.g. `${env:MCPMUX_ADMIN_TOKEN}`. Without
    /// it the admin API is off (`/metrics`, `/healthz`, `/readyz` and `/health` stay open).
    #[serde(default)]
    pub token: Option<String>,
    /// Write changes made through the admin API or the management meta-tools back to the
    /// config file, so they survive a reload and a restart. Default `false`: they last until
    /// the file is next reloaded.
    #[serde(default)]
    pub persist: bool,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            listen: defaults::admin_listen(),
            token: None,
            persist: false,
        }
    }
}

/// The gateway's own `mcpmux__*` tools.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetaToolsConfig {
    /// Expose `mcpmux__list_servers`, `mcpmux__help`, `mcpmux__call` and
    /// `mcpmux__search_tools`. Default `false`.
    #[serde(default)]
    pub enabled: bool,
    /// Also expose `mcpmux__register_server`, `mcpmux__remove_server`,
    /// `mcpmux__enable_server` and `mcpmux__disable_server`, which let the model change the
    /// backends. Default `false`.
    #[serde(default)]
    pub manage: bool,
}

/// What `tools/list` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolExposure {
    /// Every backend's tools.
    #[default]
    All,
    /// Only the meta-tools; the catalog is found through `mcpmux__search_tools`.
    Search,
}

/// A pipeline: steps across backends run as one tool.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// What it does, shown as the tool's description.
    #[serde(default)]
    pub description: Option<String>,
    /// JSON Schema of its input, shown as the tool's `inputSchema`. Default: an object with
    /// any properties.
    #[serde(default = "defaults::object_schema")]
    pub input_schema: serde_json::Value,
    /// Run every step at once (steps then cannot use each other's results). Default `false`:
    /// in order, each step seeing the results before it.
    #[serde(default)]
    pub parallel: bool,
    /// The steps.
    pub steps: Vec<StepConfig>,
}

/// One step of a pipeline.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepConfig {
    /// The step's name: its result is `${steps.ID...}` to later steps and `steps.ID` in the
    /// pipeline's result.
    #[serde(alias = "name")]
    pub id: String,
    /// The namespaced tool it calls, e.g. `weather__forecast`.
    pub tool: String,
    /// The tool's arguments; strings may hold `${input.PATH}` and `${steps.ID.PATH}`. A string
    /// that is one whole reference takes the referenced value as is (number, object, ...).
    #[serde(default = "defaults::empty_object")]
    pub arguments: serde_json::Value,
}

/// Prometheus metrics.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Also serve `/metrics` on the main listener (behind the same auth as MCP). Default
    /// `false`.
    #[serde(default)]
    pub on_main_listener: bool,
}

/// OTLP trace export.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OtelConfig {
    /// The collector, e.g. `http://otel-collector:4317` (gRPC) or `http://collector:4318`
    /// (HTTP). Default: `OTEL_EXPORTER_OTLP_ENDPOINT`, else no export.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `grpc` or `http/protobuf`. Default: `OTEL_EXPORTER_OTLP_PROTOCOL`, else `grpc`.
    #[serde(default)]
    pub protocol: Option<String>,
    /// `service.name` of the spans. Default: `OTEL_SERVICE_NAME`, else `mcpmux`.
    #[serde(default)]
    pub service_name: Option<String>,
    /// Share of root traces sampled, 0.0 to 1.0 (traces continued from a client's
    /// `traceparent` follow the client's decision). Default: `OTEL_TRACES_SAMPLER` /
    /// `OTEL_TRACES_SAMPLER_ARG`, else 1.0.
    #[serde(default)]
    pub sample_ratio: Option<f64>,
}

/// The REST bridge.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestConfig {
    /// Serve it. Default `true`.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig { enabled: true }
    }
}

/// The audit line per tool call.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Write the call's arguments into the line too. Default `false` (arguments may hold
    /// personal data or secrets).
    #[serde(default)]
    pub include_arguments: bool,
}

/// Inbound authentication: who may use the gateway.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InboundAuth {
    /// Bearer tokens by principal name, e.g. `{ alice = "${env:ALICE_TOKEN}" }`. When set,
    /// every MCP and REST request needs `Authorization: Bearer <token>`; the principal names
    /// the caller in logs and keys per-principal rate limits. Default empty (no auth).
    #[serde(default)]
    pub tokens: BTreeMap<String, String>,
}

/// How a backend's connections are shared among client sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PoolKind {
    /// One connection (or `replicas` processes) for every session.
    Shared,
    /// A process (stdio) or backend session (HTTP) per client session.
    #[serde(alias = "per_session")]
    PerSession,
}

/// How a backend is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    /// A child process speaking newline-delimited JSON-RPC on stdin/stdout.
    Stdio,
    /// A streamable-HTTP MCP server (`url`).
    #[serde(alias = "http", alias = "streamableHttp", alias = "streamable_http")]
    StreamableHttp,
    /// A legacy HTTP+SSE MCP server (MCP 2024-11-05): `url` is its SSE endpoint.
    Sse,
    /// A WebSocket MCP server (`url` is `ws://` or `wss://`).
    #[serde(alias = "websocket")]
    Ws,
}

/// One backend.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct BackendConfig {
    /// `stdio`, `streamable-http`, `sse` (legacy HTTP+SSE) or `ws`; inferred when absent:
    /// `command` is stdio, a `ws://`/`wss://` url is ws, another url is streamable HTTP (falling
    /// back to legacy SSE when the server answers the probe with 400, 404 or 405).
    #[serde(default)]
    pub transport: Option<TransportKind>,
    /// Display name (seed compatibility); the alias (the key) is what names are prefixed with.
    #[serde(default)]
    pub name: Option<String>,
    /// Free-text description shown by admin listings.
    #[serde(default)]
    pub description: Option<String>,
    /// stdio: the program, or the program and its arguments as an array. `${self}` is the
    /// running mcpmux binary.
    #[serde(default)]
    pub command: Option<Command>,
    /// stdio: arguments appended after `command`.
    #[serde(default)]
    pub args: Vec<String>,
    /// stdio: the process's own environment variables (values may be `${env:NAME}` or
    /// `${file:PATH}` references), added to the allow-listed part of the gateway's.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// stdio: working directory. Default: the gateway's.
    #[serde(default)]
    pub cwd: Option<PathBuf>,
    /// streamable HTTP: the endpoint, e.g. `https://mcp.example.com/mcp`.
    #[serde(default)]
    pub url: Option<String>,
    /// streamable HTTP: static headers sent with every request.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Off switch. Default `true`.
    #[serde(default = "defaults::yes")]
    pub enabled: bool,
    /// Prefix of exposed names; default the alias; `""` exposes names unchanged.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Which tools to expose.
    #[serde(default)]
    pub tools: ToolFilter,
    /// How long connecting and the `initialize` handshake may take. Default 30 s.
    #[serde(default = "defaults::timeout", with = "mcpmux_layers::duration")]
    pub connect_timeout: Duration,
    /// How often the health checker pings the backend; `0` disables it. Default 30 s.
    #[serde(
        default = "defaults::health_check_interval",
        with = "mcpmux_layers::duration"
    )]
    pub health_check_interval: Duration,
    /// `shared` or `per-session`. Default: `shared` for stdio and WebSocket (one process or
    /// connection for every session), `per-session` for streamable HTTP and legacy SSE (one
    /// backend session per client session, so the backend sees each client as its own).
    #[serde(default)]
    pub pool: Option<PoolKind>,
    /// stdio, `pool = "shared"`: how many processes serve the backend. Default 1.
    #[serde(default = "defaults::one")]
    pub replicas: usize,
    /// `pool = "per-session"`: most per-session processes or backend sessions at once.
    /// Default 64 processes (stdio) or 1,024 backend sessions (HTTP, SSE): a backend session is
    /// a few KiB, a process megabytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_processes: Option<usize>,
    /// `pool = "per-session"`: a per-session process or backend session idle this long is
    /// stopped, and started again on next use. Default 10 minutes.
    #[serde(default = "defaults::idle_timeout", with = "mcpmux_layers::duration")]
    pub idle_timeout: Duration,
    /// stdio: pass the gateway's whole environment to the process instead of only the
    /// allow-list (PATH, HOME, USER, LANG, LC_*, TZ, TMPDIR, proxies, ...). Default `false`.
    #[serde(default)]
    pub inherit_env: bool,
    /// stdio: longest line accepted from the process; longer lines are skipped. Default 64 MiB.
    #[serde(default = "defaults::max_line_bytes")]
    pub max_line_bytes: usize,
    /// `tools/call` of these tools (backend-side names, globs) may be retried although the
    /// backend does not annotate them `readOnlyHint` or `idempotentHint`. Default empty.
    #[serde(default)]
    pub idempotent_tools: Vec<String>,
    /// The layer stack: `timeout` (default 30 s), `tool_timeouts`, `retry`, `circuit_breaker`,
    /// `rate_limit`, `auth`, `forward_client_authorization`. See `mcpmux_layers::StackConfig`.
    #[serde(flatten)]
    pub stack: mcpmux_layers::StackConfig,
}

/// A stdio command: `"npx"` or `["npx", "-y", "server"]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Command {
    /// A program name or path.
    Program(String),
    /// Program followed by arguments.
    Argv(Vec<String>),
}

/// Allow/deny globs over a backend's own tool names.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ToolFilter {
    /// Only tools matching one of these globs are exposed. Default: all.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Tools matching one of these globs are hidden, even if allowed. Default: none.
    #[serde(default)]
    pub deny: Vec<String>,
}

impl BackendConfig {
    /// The transport, explicit or inferred.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        self.transport.or(match (&self.command, &self.url) {
            (Some(_), None) => Some(TransportKind::Stdio),
            (None, Some(url)) if url.starts_with("ws://") || url.starts_with("wss://") => {
                Some(TransportKind::Ws)
            }
            (None, Some(_)) => Some(TransportKind::StreamableHttp),
            _ => None,
        })
    }

    /// The program and all its arguments.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = match &self.command {
            Some(Command::Program(p)) => vec![p.clone()],
            Some(Command::Argv(v)) => v.clone(),
            None => Vec::new(),
        };
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// The pool mode, explicit or the transport's default.
    pub fn pool_kind(&self) -> PoolKind {
        self.pool.unwrap_or(match self.transport_kind() {
            Some(TransportKind::StreamableHttp | TransportKind::Sse) => PoolKind::PerSession,
            _ => PoolKind::Shared,
        })
    }

    /// The bound on per-session processes or backend sessions, explicit or the transport's.
    pub fn effective_max_processes(&self) -> usize {
        self.max_processes.unwrap_or(match self.transport_kind() {
            Some(TransportKind::StreamableHttp | TransportKind::Sse) => 1024,
            _ => 64,
        })
    }

    /// The prefix of exposed names.
    pub fn effective_prefix<'a>(&'a self, alias: &'a str) -> &'a str {
        self.prefix.as_deref().unwrap_or(alias)
    }
}

mod defaults {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    pub fn host() -> IpAddr {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
    pub fn port() -> u16 {
        8080
    }
    pub fn log_level() -> String {
        "info".into()
    }
    pub fn yes() -> bool {
        true
    }
    pub fn max_body_bytes() -> usize {
        4 * 1024 * 1024
    }
    pub fn page_size() -> usize {
        1000
    }
    pub fn separator() -> String {
        "__".into()
    }
    pub fn session_idle_timeout() -> Duration {
        Duration::from_secs(30 * 60)
    }
    pub fn max_sessions() -> usize {
        100_000
    }
    pub fn max_connections() -> usize {
        10_000
    }
    pub fn header_read_timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub fn health_check_interval() -> Duration {
        Duration::from_secs(30)
    }
    pub fn timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub fn request_body_timeout() -> Duration {
        Duration::from_secs(30)
    }
    pub fn connection_idle_timeout() -> Duration {
        Duration::from_secs(120)
    }
    pub fn http2_keep_alive() -> Duration {
        Duration::from_secs(30)
    }
    pub fn max_client_info_bytes() -> usize {
        16 * 1024
    }
    pub fn replay_events() -> usize {
        256
    }
    pub fn replay_bytes() -> usize {
        1024 * 1024
    }
    pub fn replay_budget_bytes() -> usize {
        64 * 1024 * 1024
    }
    pub fn resume_grace() -> Duration {
        Duration::from_secs(10)
    }
    pub fn shutdown_grace() -> Duration {
        Duration::from_secs(20)
    }
    pub fn admin_listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 9090))
    }
    pub fn client_request_timeout() -> Duration {
        Duration::from_secs(120)
    }
    pub fn one() -> usize {
        1
    }
    pub fn idle_timeout() -> Duration {
        Duration::from_secs(600)
    }
    pub fn max_line_bytes() -> usize {
        64 * 1024 * 1024
    }
    pub fn object_schema() -> serde_json::Value {
        serde_json::json!({ "type": "object" })
    }
    pub fn empty_object() -> serde_json::Value {
        serde_json::json!({})
    }
}
