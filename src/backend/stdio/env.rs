//! The environment of a stdio backend: not the gateway's. A child gets a cleared environment,
//! the variables on the allow-list below (what programs need to run: paths, user, locale,
//! temp dirs, proxies), and its own configured `env`. A secret meant for one backend
//! (`${env:GITHUB_TOKEN}` in another backend's `auth`) is then never visible to every child.
//! `inherit_env = true` opts a backend back into the whole environment.

use std::ffi::OsString;

/// Variables passed through by name.
const ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TMPDIR",
    "TMP",
    "TEMP",
    "TERM",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "SYSTEMROOT",
];

/// Variables passed through by prefix (`LC_ALL`, `LC_CTYPE`, `XDG_CACHE_HOME`, ...).
const ALLOWED_PREFIXES: &[&str] = &["LC_", "XDG_"];

/// Whether a variable of the gateway's environment reaches children that do not inherit it.
pub fn allowed(name: &str) -> bool {
    ALLOWED.contains(&name) || ALLOWED_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The child's environment: the allowed part of `parent` (or all of it with `inherit`), then
/// the backend's own variables, which win.
pub fn child_env(
    parent: impl IntoIterator<Item = (OsString, OsString)>,
    inherit: bool,
    own: &[(String, String)],
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = parent
        .into_iter()
        .filter(|(k, _)| inherit || k.to_str().is_some_and(allowed))
        .collect();
    for (k, v) in own {
        env.retain(|(existing, _)| existing != k.as_str());
        env.push((k.into(), v.into()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/bin"),
            ("LC_ALL", "C"),
            ("GITHUB_TOKEN", "secret"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("HOME", "/root"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
    }

    fn names(env: &[(OsString, OsString)]) -> Vec<String> {
        env.iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn secrets_of_the_gateway_do_not_reach_children() {
        let env = child_env(parent(), false, &[("API_KEY".into(), "mine".into())]);
        assert_eq!(names(&env), ["PATH", "LC_ALL", "HOME", "API_KEY"]);
    }

    #[test]
    fn inherit_passes_everything_and_own_values_win() {
        let env = child_env(parent(), true, &[("HOME".into(), "/srv".into())]);
        assert!(names(&env).contains(&"GITHUB_TOKEN".to_string()));
        let home: Vec<_> = env.iter().filter(|(k, _)| k == "HOME").collect();
        assert_eq!(home.len(), 1);
        assert_eq!(home[0].1, "/srv");
    }
}
