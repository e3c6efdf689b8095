//! Loading: embedded defaults or a file (TOML, YAML, JSON, or Claude Desktop's `mcpServers`
//! JSON), its `include`s, then `MCPMUX_*` environment variables, then command-line flags.

use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Json, Serialized, Toml, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::error::ConfigError;
use super::schema::Config;
use super::validate;

/// The config `cargo run` serves when no file is given: the example server under alias `example`.
pub const EMBEDDED_DEFAULT: &str = include_str!("../../config/default.toml");

/// Top-level keys an `MCPMUX_*` variable may set; other `MCPMUX_*` variables are not config.
const ENV_KEYS: &[&str] = &[
    "host",
    "port",
    "log_level",
    "json_logs",
    "hot_reload",
    "worker_threads",
    "max_body_bytes",
    "page_size",
    "separator",
    "allowed_origins",
    "allowed_hosts",
    "session_idle_timeout",
    "max_sessions",
    "max_connections",
    "header_read_timeout",
    "request_body_timeout",
    "connection_idle_timeout",
    "http2_keep_alive",
    "max_client_info_bytes",
    "replay_events",
    "replay_bytes",
    "replay_budget_bytes",
    "resume_grace",
    "client_request_timeout",
    "auth",
    "admin",
    "metrics",
    "otel",
    "audit",
    "rest",
    "shutdown_grace",
    "auto_port",
    "meta_tools",
    "tool_exposure",
    "pipelines",
    "backends",
];

/// Values given on the command line, which win over everything else.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Overrides {
    /// `--host`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `--port`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `--log-level`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// `--json-logs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_logs: Option<bool>,
    /// `--no-hot-reload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hot_reload: Option<bool>,
    /// `--admin-listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin: Option<AdminOverride>,
}

/// `--admin-listen`, as the `admin` table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdminOverride {
    /// The address.
    pub listen: String,
}

/// A validated config and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The config.
    pub config: Config,
    /// The main file, if any (the embedded default otherwise).
    pub path: Option<PathBuf>,
    /// Every file that contributed (for the reload watcher).
    pub files: Vec<PathBuf>,
}

/// Loads and validates the config.
pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<Loaded, ConfigError> {
    let source_name = path.map_or_else(
        || "<embedded default config>".to_string(),
        |p| p.display().to_string(),
    );
    let mut figment = Figment::new();
    let mut files = Vec::new();
    match path {
        None => figment = figment.merge(Toml::string(EMBEDDED_DEFAULT)),
        Some(path) => {
            if !path.is_file() {
                return Err(ConfigError::Missing(path.to_path_buf()));
            }
            figment = merge_file(figment, path);
            files.push(path.to_path_buf());
            for include in includes_of(&figment, path)? {
                figment = merge_file(figment, &include);
                files.push(include);
            }
        }
    }
    figment = figment
        .merge(Env::prefixed("MCPMUX_").split("__").filter(|k| {
            // figment hands the key over in the variable's own case (`HOST`, `BACKENDS.X.URL`).
            let top = k.as_str().split('.').next().unwrap_or_default();
            ENV_KEYS.iter().any(|known| top.eq_ignore_ascii_case(known))
        }))
        .merge(Serialized::defaults(overrides));

    let config: Config = figment
        .extract()
        .map_err(|e| ConfigError::Load(Box::new(e)))?;
    check_unknown_keys(&figment, &source_name)?;
    validate::validate(&config).map_err(|problems| ConfigError::Invalid {
        source_name: source_name.clone(),
        problems,
    })?;
    Ok(Loaded {
        config,
        path: path.map(Path::to_path_buf),
        files,
    })
}

fn merge_file(figment: Figment, path: &Path) -> Figment {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => figment.merge(McpServers(Json::file_exact(path))),
        Some("yaml" | "yml") => figment.merge(McpServers(Yaml::file_exact(path))),
        _ => figment.merge(McpServers(Toml::file_exact(path))),
    }
}

/// Reads Claude Desktop's and Cursor's `mcpServers` key as `backends`, per file, so a file of
/// either shape merges with the others (a serde alias would see both keys and fail). A file
/// that is one backend (`mcp_settings.json` of per-provider directories: `name` with `command`
/// or `url`) becomes `backends.NAME`. Entries' `isActive`, `disabled` and `type` (other tools'
/// spellings) become `enabled` and `transport`.
struct McpServers<P>(P);

impl<P: Provider> Provider for McpServers<P> {
    fn metadata(&self) -> Metadata {
        self.0.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut data = self.0.data()?;
        for dict in data.values_mut() {
            if let Some((alias, entry)) = single_backend(dict) {
                dict.clear();
                let mut backends = Dict::new();
                backends.insert(alias, Value::from(entry));
                dict.insert("backends".into(), Value::from(backends));
            }
            if let Some(servers) = dict.remove("mcpServers") {
                match (dict.get_mut("backends"), servers) {
                    (Some(Value::Dict(_, backends)), Value::Dict(_, more)) => backends.extend(more),
                    (_, servers) => {
                        dict.insert("backends".into(), servers);
                    }
                }
            }
            if let Some(Value::Dict(_, backends)) = dict.get_mut("backends") {
                for entry in backends.values_mut() {
                    if let Value::Dict(_, entry) = entry {
                        normalize_entry(entry);
                    }
                }
            }
        }
        Ok(data)
    }
}

/// A file that is one backend: its alias (`name`) and its entry.
fn single_backend(dict: &Dict) -> Option<(String, Dict)> {
    if dict.contains_key("backends") || dict.contains_key("mcpServers") {
        return None;
    }
    let name = dict.get("name")?.as_str()?.to_string();
    if !dict.contains_key("command") && !dict.contains_key("url") {
        return None;
    }
    let mut entry = dict.clone();
    entry.remove("name");
    if let Some(provider) = entry.remove("provider") {
        if !entry.contains_key("description") {
            if let Some(provider) = provider.as_str() {
                entry.insert(
                    "description".into(),
                    Value::from(format!("provider {provider}")),
                );
            }
        }
    }
    Some((name, entry))
}

/// Other tools' spellings of `enabled` and `transport`.
fn normalize_entry(entry: &mut Dict) {
    if let Some(active) = entry.remove("isActive") {
        entry.entry("enabled".into()).or_insert(active);
    }
    if let Some(disabled) = entry.remove("disabled") {
        if let Some(disabled) = disabled.to_bool() {
            entry
                .entry("enabled".into())
                .or_insert(Value::from(!disabled));
        }
    }
    if let Some(kind) = entry.remove("type") {
        entry.entry("transport".into()).or_insert(kind);
    }
}

/// Expands the `include` globs of the main file, relative to its directory, sorted.
fn includes_of(figment: &Figment, main: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let patterns: Vec<String> = figment.extract_inner("include").unwrap_or_default();
    let base = main.parent().unwrap_or_else(|| Path::new("."));
    let mut found = Vec::new();
    for pattern in patterns {
        let full = base.join(&pattern);
        let full = full.to_string_lossy();
        let paths = glob::glob(&full).map_err(|e| ConfigError::Invalid {
            source_name: main.display().to_string(),
            problems: vec![format!("include: `{pattern}` is not a valid glob: {e}")],
        })?;
        let mut matched: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        matched.sort();
        found.extend(matched);
    }
    Ok(found)
}

/// Rejects keys the schema does not know, naming each with the file it came from.
fn check_unknown_keys(figment: &Figment, source_name: &str) -> Result<(), ConfigError> {
    let value: figment::value::Value = figment
        .extract()
        .map_err(|e| ConfigError::Load(Box::new(e)))?;
    let mut unknown = Vec::new();
    let _: Config = serde_ignored::deserialize(&value, |path| unknown.push(path.to_string()))
        .map_err(|e| ConfigError::Load(Box::new(e)))?;
    unknown.extend(unknown_backend_keys(&value));
    if unknown.is_empty() {
        return Ok(());
    }
    let problems = unknown
        .into_iter()
        .map(|key| {
            let origin = figment
                .find_metadata(&key)
                .and_then(|m| m.source.as_ref().map(|s| format!(" (from {s})")))
                .unwrap_or_default();
            format!("{key}: unknown key{origin}")
        })
        .collect();
    Err(ConfigError::Invalid {
        source_name: source_name.to_string(),
        problems,
    })
}

/// Keys of `BackendConfig` itself; the layer stack's keys come from `StackConfig`.
const BACKEND_KEYS: &[&str] = &[
    "transport",
    "name",
    "description",
    "command",
    "args",
    "env",
    "cwd",
    "url",
    "headers",
    "enabled",
    "prefix",
    "tools",
    "connect_timeout",
    "health_check_interval",
    "idempotent_tools",
    "pool",
    "replicas",
    "max_processes",
    "idle_timeout",
    "inherit_env",
    "max_line_bytes",
];

/// Unknown keys in backend tables. `serde_ignored` cannot see through the `#[serde(flatten)]`
/// that embeds the layer stack's config, so backend tables are checked against the known keys.
fn unknown_backend_keys(value: &figment::value::Value) -> Vec<String> {
    let Some(Value::Dict(_, backends)) = value.find_ref("backends") else {
        return Vec::new();
    };
    let mut unknown = Vec::new();
    for (alias, backend) in backends {
        let Value::Dict(_, keys) = backend else {
            continue;
        };
        unknown.extend(
            unknown_entry_keys(keys)
                .into_iter()
                .map(|key| format!("backends.{alias}.{key}")),
        );
    }
    unknown
}

fn unknown_entry_keys(entry: &Dict) -> Vec<String> {
    let stack_keys: Vec<String> = match serde_json::to_value(mcpmux_layers::StackConfig::default())
    {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    entry
        .keys()
        .filter(|key| {
            !BACKEND_KEYS.contains(&key.as_str()) && !stack_keys.iter().any(|k| k == *key)
        })
        .cloned()
        .collect()
}

/// Reads one backend's config given as JSON (admin API, management meta-tools), with the same
/// spellings and checks as a file; problems name `backends.ALIAS.KEY`.
pub fn backend_from_json(
    alias: &str,
    json: &serde_json::Value,
) -> Result<super::BackendConfig, Vec<String>> {
    let field = format!("backends.{alias}");
    let value = Value::serialize(json).map_err(|e| vec![format!("{field}: {e}")])?;
    let Value::Dict(_, mut entry) = value else {
        return Err(vec![format!("{field}: a backend's config is an object")]);
    };
    normalize_entry(&mut entry);
    let unknown = unknown_entry_keys(&entry);
    if !unknown.is_empty() {
        return Err(unknown
            .into_iter()
            .map(|key| format!("{field}.{key}: unknown key"))
            .collect());
    }
    Value::from(entry)
        .deserialize::<super::BackendConfig>()
        .map_err(|e| {
            e.into_iter()
                .map(|e| {
                    let path = e.path.join(".");
                    let at = if path.is_empty() {
                        field.clone()
                    } else {
                        format!("{field}.{path}")
                    };
                    format!("{at}: {}", e.kind)
                })
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        path
    }

    #[test]
    fn embedded_default_is_valid() {
        let loaded = load(None, &Overrides::default()).unwrap();
        assert!(loaded.config.backends.contains_key("example"));
    }

    #[test]
    fn claude_desktop_json_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "claude.json",
            r#"{"mcpServers":{"fs":{"command":"npx","args":["-y","server"],"env":{"A":"1"}},"web":{"url":"http://127.0.0.1:1/mcp","timeout":5}}}"#,
        );
        let cfg = load(Some(&path), &Overrides::default()).unwrap().config;
        assert_eq!(cfg.backends["fs"].argv(), ["npx", "-y", "server"]);
        assert_eq!(
            cfg.backends["web"].stack.timeout,
            Some(std::time::Duration::from_secs(5))
        );
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "bad.toml", "port = \"abc\"\n");
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("port") && err.contains("bad.toml"), "{err}");

        let path = write(
            dir.path(),
            "typo.toml",
            "[backends.a]\ncommand = \"x\"\ntimeuot = 3\n",
        );
        let err = load(Some(&path), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("backends.a.timeuot") && err.contains("typo.toml"),
            "{err}"
        );
    }

    #[test]
    fn every_documented_backend_key_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "full.toml",
            r#"
[backends.a]
transport = "stdio"
name = "A"
description = "all keys"
command = ["x", "y"]
args = ["z"]
env = { K = "v" }
cwd = "/tmp"
enabled = true
prefix = "aa"
tools = { allow = ["*"], deny = ["rm"] }
connect_timeout = "5s"
health_check_interval = 0
idempotent_tools = ["get_*"]
timeout = 2.5
tool_timeouts = { slow = "2m" }
retry = { max_attempts = 2, wait_min = 0.1, wait_max = 1, exponential_base = 3.0 }
circuit_breaker = { failure_threshold = 3, recovery_timeout = "10s", half_open_max_calls = 1 }
rate_limit = { per_backend = { requests_per_second = 5.0 } }
auth = { type = "bearer", credentials = { token = "t" } }
forward_client_authorization = false
[backends.b]
url = "http://127.0.0.1:9/mcp"
headers = { X = "1" }
"#,
        );
        let cfg = load(Some(&path), &Overrides::default()).unwrap().config;
        assert_eq!(cfg.backends["a"].stack.retry.max_attempts, 2);
        assert_eq!(
            cfg.backends["a"].stack.timeout,
            Some(std::time::Duration::from_millis(2500))
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        // Only this test reads session_idle_timeout, so the process-wide variable cannot
        // disturb the other tests running in parallel.
        std::env::set_var("MCPMUX_SESSION_IDLE_TIMEOUT", "7m");
        let loaded = load(None, &Overrides::default());
        std::env::remove_var("MCPMUX_SESSION_IDLE_TIMEOUT");
        let config = loaded.unwrap().config;
        assert_eq!(
            config.session_idle_timeout,
            std::time::Duration::from_secs(420)
        );
    }

    #[test]
    fn includes_and_overrides_merge_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("servers.d")).unwrap();
        write(
            dir.path(),
            "servers.d/a.toml",
            "[backends.a]\ncommand = \"x\"\n",
        );
        write(
            dir.path(),
            "servers.d/b.json",
            r#"{"mcpServers":{"b":{"url":"http://127.0.0.1:9/mcp"}}}"#,
        );
        let path = write(
            dir.path(),
            "main.toml",
            "port = 1\ninclude = [\"servers.d/*\"]\n",
        );
        let overrides = Overrides {
            port: Some(2),
            ..Overrides::default()
        };
        let loaded = load(Some(&path), &overrides).unwrap();
        assert_eq!(loaded.config.port, 2);
        assert_eq!(loaded.config.backends.len(), 2);
        assert_eq!(loaded.files.len(), 3);
    }
}
