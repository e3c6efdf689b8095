//! DNS-rebinding protection from the MCP transport spec: `Origin` must be a local or allowed
//! origin, and on a loopback listener `Host` must name the loopback.

use std::net::IpAddr;

use http::header::{HOST, ORIGIN};
use http::HeaderMap;

/// Which `Origin` and `Host` values are accepted.
#[derive(Debug, Clone)]
pub struct OriginGuard {
    loopback: bool,
    allowed_origins: Vec<String>,
    allowed_hosts: Vec<String>,
}

impl OriginGuard {
    /// A guard for a listener bound to `bind`.
    pub fn new(bind: IpAddr, allowed_origins: &[String], allowed_hosts: &[String]) -> Self {
        OriginGuard {
            loopback: bind.is_loopback(),
            allowed_origins: allowed_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        }
    }

    /// `Err` with the reason when the request must be refused with 403. The host is the
    /// `Host` header, or for HTTP/2 the request's `:authority` (which hyper puts in the URI).
    pub fn check(&self, headers: &HeaderMap, uri: &http::Uri) -> Result<(), String> {
        if let Some(origin) = headers.get(ORIGIN) {
            let origin = origin
                .to_str()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_ascii_lowercase();
            let local = origin.split_once("://").is_some_and(|(scheme, rest)| {
                matches!(scheme, "http" | "https") && is_local_host(rest)
            });
            if !local && !self.allowed_origins.contains(&origin) {
                return Err(format!(
                    "Origin `{origin}` is not allowed; add it to `allowed_origins`"
                ));
            }
        }
        if self.loopback {
            // Compared without case rather than lowered into a new string: this runs for every
            // request on a loopback listener.
            let host = headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .or_else(|| uri.authority().map(|a| a.as_str()))
                .unwrap_or_default();
            let allowed = is_local_host(host)
                || self.allowed_hosts.iter().any(|h| {
                    h.eq_ignore_ascii_case(host) || h.eq_ignore_ascii_case(strip_port(host))
                });
            if !host.is_empty() && !allowed {
                return Err(format!(
                    "Host `{}` is not a loopback name; this listener only answers localhost (add it to `allowed_hosts`)",
                    host.to_ascii_lowercase()
                ));
            }
        }
        Ok(())
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(host, |(h, _)| h);
    }
    host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    })
}

/// Whether an `Origin` (lower case, no trailing slash) is a local one.
pub fn is_local_origin(origin: &str) -> bool {
    origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && is_local_host(rest))
}

/// Whether a host (any case, with or without a port) names the loopback.
fn is_local_host(host_and_port: &str) -> bool {
    let host = strip_port(host_and_port);
    ["localhost", "127.0.0.1", "::1"]
        .iter()
        .any(|local| host.eq_ignore_ascii_case(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    impl OriginGuard {
        fn check_headers(&self, headers: &HeaderMap) -> Result<(), String> {
            self.check(headers, &http::Uri::from_static("/mcp"))
        }
    }

    #[test]
    fn an_http2_authority_is_checked_like_host() {
        let guard = OriginGuard::new("127.0.0.1".parse().unwrap(), &[], &[]);
        let evil = http::Uri::from_static("http://evil.example:8080/mcp");
        assert!(guard.check(&HeaderMap::new(), &evil).is_err());
        let local = http::Uri::from_static("http://127.0.0.1:8080/mcp");
        assert!(guard.check(&HeaderMap::new(), &local).is_ok());
    }

    fn headers(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn loopback_listener_refuses_foreign_hosts_and_origins() {
        let guard = OriginGuard::new("127.0.0.1".parse().unwrap(), &[], &[]);
        assert!(guard
            .check_headers(&headers(&[(HOST, "127.0.0.1:8080")]))
            .is_ok());
        assert!(guard
            .check_headers(&headers(&[
                (HOST, "localhost:8080"),
                (ORIGIN, "http://localhost:3000")
            ]))
            .is_ok());
        assert!(guard
            .check_headers(&headers(&[(HOST, "[::1]:8080")]))
            .is_ok());
        assert!(guard
            .check_headers(&headers(&[(HOST, "evil.example:8080")]))
            .is_err());
        assert!(guard
            .check_headers(&headers(&[
                (HOST, "127.0.0.1:8080"),
                (ORIGIN, "https://evil.example")
            ]))
            .is_err());
    }

    #[test]
    fn allowed_lists_extend_the_defaults() {
        let guard = OriginGuard::new(
            "0.0.0.0".parse().unwrap(),
            &["https://app.example.com".into()],
            &[],
        );
        assert!(guard
            .check_headers(&headers(&[
                (HOST, "mcp.example.com"),
                (ORIGIN, "https://app.example.com")
            ]))
            .is_ok());
        assert!(guard
            .check_headers(&headers(&[(ORIGIN, "https://other.example.com")]))
            .is_err());
        let guard = OriginGuard::new(
            "127.0.0.1".parse().unwrap(),
            &[],
            &["gateway.internal".into()],
        );
        assert!(guard
            .check_headers(&headers(&[(HOST, "gateway.internal:8080")]))
            .is_ok());
    }

    #[test]
    fn hosts_are_compared_without_case() {
        let guard = OriginGuard::new(
            "127.0.0.1".parse().expect("an IP address"),
            &[],
            &["gateway.internal".into()],
        );
        for host in ["LocalHost:8080", "GATEWAY.internal", "Gateway.Internal:443"] {
            assert!(
                guard.check_headers(&headers(&[(HOST, host)])).is_ok(),
                "{host}"
            );
        }
        let refused = guard
            .check_headers(&headers(&[(HOST, "Evil.Example")]))
            .expect_err("a foreign host is refused");
        assert!(
            refused.starts_with("Host `evil.example` is not a loopback name"),
            "{refused}"
        );
    }
}
