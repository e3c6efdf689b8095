//! Checks that need more than types: names, transports, prefixes that would collide.

use std::collections::BTreeMap;

use super::schema::{Config, TransportKind};

/// Longest backend alias.
const MAX_ALIAS_LEN: usize = 32;

/// Returns every problem found, each starting with the field it concerns.
pub fn validate(config: &Config) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if config.separator.is_empty() || !config.separator.chars().all(is_name_char) {
        problems.push(format!(
            "separator: `{}` must be non-empty and use only A-Z a-z 0-9 _ -",
            config.separator
        ));
    }
    if config.max_sessions == 0 {
        problems.push("max_sessions: must be at least 1".into());
    }
    if config.max_connections == 0 {
        problems.push("max_connections: must be at least 1".into());
    }
    if config.header_read_timeout.is_zero() {
        problems.push("header_read_timeout: must be longer than 0".into());
    }
    for (field, value) in [
        ("request_body_timeout", config.request_body_timeout),
        ("connection_idle_timeout", config.connection_idle_timeout),
        ("client_request_timeout", config.client_request_timeout),
    ] {
        if value.is_zero() {
            problems.push(format!("{field}: must be longer than 0"));
        }
    }
    if config.replay_events == 0 || config.replay_bytes == 0 {
        problems.push("replay_events / replay_bytes: must be at least 1".into());
    }
    if config.max_client_info_bytes < 256 {
        problems.push("max_client_info_bytes: must be at least 256".into());
    }
    for (principal, token) in &config.auth.tokens {
        if principal.is_empty()
            || !principal
                .chars()
                .all(|c| is_name_char(c) || c == '.' || c == '@')
        {
            problems.push(format!(
                "auth.tokens.{principal}: a principal name uses only A-Z a-z 0-9 _ - . @"
            ));
        }
        if token.trim().is_empty() {
            problems.push(format!("auth.tokens.{principal}: the token is empty"));
        }
    }
    if let Err(why) = crate::telemetry::otel::resolve(&config.otel, |_| None) {
        problems.push(why);
    }
    if config.page_size == 0 {
        problems.push("page_size: must be at least 1".into());
    }
    if config.max_body_bytes < 1024 {
        problems.push("max_body_bytes: must be at least 1024".into());
    }
    let mut prefixes: BTreeMap<&str, &str> = BTreeMap::new();
    for (alias, backend) in &config.backends {
        let field = format!("backends.{alias}");
        if alias.is_empty() || alias.len() > MAX_ALIAS_LEN || !alias.chars().all(is_name_char) {
            problems.push(format!(
                "{field}: the alias must be 1-{MAX_ALIAS_LEN} characters of A-Z a-z 0-9 _ -"
            ));
        }
        if !config.separator.is_empty() && alias.contains(&config.separator) {
            problems.push(format!(
                "{field}: the alias must not contain the separator `{}`",
                config.separator
            ));
        }
        match backend.transport_kind() {
            None if backend.command.is_some() && backend.url.is_some() => problems.push(format!(
                "{field}: set either `command` (stdio) or `url` (streamable HTTP), not both"
            )),
            None => problems.push(format!(
                "{field}: set `command` (stdio backend) or `url` (streamable-HTTP backend)"
            )),
            Some(TransportKind::Stdio) => {
                if backend.argv().first().is_none_or(|p| p.trim().is_empty()) {
                    problems.push(format!(
                        "{field}.command: a stdio backend needs a program to run"
                    ));
                }
            }
            Some(
                kind @ (TransportKind::StreamableHttp | TransportKind::Sse | TransportKind::Ws),
            ) => match backend.url.as_deref() {
                None => problems.push(format!("{field}.url: this backend needs a url")),
                Some(url) => {
                    let schemes: &[&str] = if kind == TransportKind::Ws {
                        &["ws", "wss"]
                    } else {
                        &["http", "https"]
                    };
                    if let Err(why) = check_url(url, schemes) {
                        problems.push(format!("{field}.url: {why}"));
                    }
                }
            },
        }
        if backend.replicas == 0 {
            problems.push(format!("{field}.replicas: must be at least 1"));
        }
        if backend.max_processes == Some(0) {
            problems.push(format!("{field}.max_processes: must be at least 1"));
        }
        if backend.idle_timeout.is_zero() {
            problems.push(format!("{field}.idle_timeout: must be longer than 0"));
        }
        if backend.max_line_bytes < 1024 {
            problems.push(format!("{field}.max_line_bytes: must be at least 1024"));
        }
        if let Some(prefix) = &backend.prefix {
            if !prefix.chars().all(is_name_char) {
                problems.push(format!(
                    "{field}.prefix: `{prefix}` may use only A-Z a-z 0-9 _ -"
                ));
            }
        }
        for (kind, globs) in [
            ("allow", &backend.tools.allow),
            ("deny", &backend.tools.deny),
        ] {
            for glob in globs {
                if let Err(e) = globset::Glob::new(glob) {
                    problems.push(format!(
                        "{field}.tools.{kind}: `{glob}` is not a valid glob: {e}"
                    ));
                }
            }
        }
        for glob in &backend.idempotent_tools {
            if let Err(e) = globset::Glob::new(glob) {
                problems.push(format!(
                    "{field}.idempotent_tools: `{glob}` is not a valid glob: {e}"
                ));
            }
        }
        let prefix = backend.effective_prefix(alias);
        if prefix == crate::gateway::meta::PREFIX || prefix == crate::pipeline::PREFIX {
            problems.push(format!(
                "{field}.prefix: `{prefix}` is reserved for the gateway's own tools; give this backend another alias or `prefix`"
            ));
        }
        if backend.enabled {
            if let Some(other) = prefixes.insert(prefix, alias) {
                problems.push(format!(
                    "{field}.prefix: backends `{other}` and `{alias}` both expose names with prefix `{prefix}`, so their names would collide; give one a different `prefix`"
                ));
            }
        }
    }
    problems.extend(crate::pipeline::validate(config));
    if let Some(token) = &config.admin.token {
        if token.trim().is_empty() {
            problems.push(
                "admin.token: the token is empty; remove it to turn the admin API off".into(),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some(scheme) if schemes.contains(&scheme) && uri.host().is_some() => Ok(()),
        _ => Err(format!(
            "`{url}` must be a {} URL with a host",
            schemes
                .iter()
                .map(|s| format!("{s}://"))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        figment::Figment::from(
            <figment::providers::Toml as figment::providers::Format>::string(toml),
        )
        .extract()
        .unwrap()
    }

    #[test]
    fn rejects_colliding_prefixes_and_bad_aliases() {
        let problems = validate(&config(
            "[backends.a]\ncommand='x'\nprefix=''\n[backends.b]\ncommand='y'\nprefix=''\n[backends.'bad name']\ncommand='z'\n",
        ))
        .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("both expose names with prefix ``")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.starts_with("backends.bad name:")),
            "{problems:?}"
        );
    }

    #[test]
    fn requires_a_transport() {
        let problems = validate(&config("[backends.bad]\nenabled=true\n")).unwrap_err();
        assert!(problems[0].starts_with("backends.bad:"), "{problems:?}");
        let problems = validate(&config("[backends.web]\nurl='ftp://x'\n")).unwrap_err();
        assert!(problems[0].starts_with("backends.web.url:"), "{problems:?}");
    }

    #[test]
    fn rejects_zero_limits_by_name() {
        let problems = validate(&config(
            "max_sessions = 0\nmax_connections = 0\nheader_read_timeout = 0\n",
        ))
        .unwrap_err();
        for field in ["max_sessions:", "max_connections:", "header_read_timeout:"] {
            assert!(
                problems.iter().any(|p| p.starts_with(field)),
                "{field} {problems:?}"
            );
        }
    }

    #[test]
    fn accepts_a_plain_config() {
        validate(&config(
            "[backends.a]\ncommand=['x','y']\n[backends.b]\nurl='http://127.0.0.1:9/mcp'\n",
        ))
        .unwrap();
    }
}
