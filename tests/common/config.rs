//! Builders for gateway config files, so tests read as "which backends, which settings".

use super::example_server_cmd;

/// A TOML basic string holding `s` (JSON string escapes are valid TOML escapes).
pub fn toml_str(s: &str) -> String {
    serde_json::to_string(s).expect("string to JSON")
}

/// A TOML array of strings.
pub fn toml_str_array(items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// A TOML inline table of string values: `{ "K" = "v", ... }`.
pub fn inline_table(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{} = {}", toml_str(k), toml_str(v)))
        .collect();
    format!("{{ {} }}", pairs.join(", "))
}

/// A gateway config in TOML: top-level settings first, then one table per backend.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    settings: Vec<String>,
    backends: Vec<String>,
}

// === impl ConfigBuilder ===

impl ConfigBuilder {
    /// Loopback, ephemeral port, debug logs, no backends.
    pub fn new() -> Self {
        ConfigBuilder {
            settings: vec![
                "host = \"127.0.0.1\"".into(),
                "port = 0".into(),
                "log_level = \"debug\"".into(),
            ],
            backends: Vec::new(),
        }
    }

    /// A top-level setting; `raw_value` is TOML (`"3"`, `"\"30s\""`).
    pub fn setting(mut self, key: &str, raw_value: &str) -> Self {
        self.settings.push(format!("{key} = {raw_value}"));
        self
    }

    /// `page_size = N`: the gateway's own page size for list methods.
    pub fn page_size(self, n: usize) -> Self {
        self.setting("page_size", &n.to_string())
    }

    /// A stdio backend running `mcpmux example-server EXTRA_ARGS...`.
    pub fn example_backend(self, alias: &str, extra_args: &[&str]) -> Self {
        let mut args = vec!["example-server"];
        args.extend_from_slice(extra_args);
        self.stdio_backend(alias, example_server_cmd(), &args)
    }

    /// Like [`Self::example_backend`], with environment variables for the child.
    pub fn example_backend_with_env(
        self,
        alias: &str,
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut args = vec!["example-server"];
        args.extend_from_slice(extra_args);
        self.stdio_backend_with_env(alias, example_server_cmd(), &args, env)
    }

    /// A stdio backend running `command ARGS...`.
    pub fn stdio_backend(self, alias: &str, command: &str, args: &[&str]) -> Self {
        self.stdio_backend_with_env(alias, command, args, &[])
    }

    /// A stdio backend running `command ARGS...` with `env` added to its environment.
    pub fn stdio_backend_with_env(
        mut self,
        alias: &str,
        command: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut table = format!(
            "[backends.{alias}]\ncommand = {}\nargs = {}\ntimeout = \"30s\"\n",
            toml_str(command),
            toml_str_array(args)
        );
        if !env.is_empty() {
            table.push_str(&format!("env = {}\n", inline_table(env)));
        }
        self.backends.push(table);
        self
    }

    /// A streamable-HTTP backend at `url`, sending `headers` on every request.
    pub fn http_backend(mut self, alias: &str, url: &str, headers: &[(&str, &str)]) -> Self {
        let mut table = format!(
            "[backends.{alias}]\nurl = {}\ntimeout = \"30s\"\n",
            toml_str(url)
        );
        if !headers.is_empty() {
            table.push_str(&format!("headers = {}\n", inline_table(headers)));
        }
        self.backends.push(table);
        self
    }

    /// The config file's text.
    pub fn build(&self) -> String {
        format!(
            "{}\n\n{}",
            self.settings.join("\n"),
            self.backends.join("\n")
        )
    }
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self::new()
    }
}
