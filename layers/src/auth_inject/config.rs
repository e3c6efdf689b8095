use std::collections::BTreeMap;

use base64::Engine;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

use super::{AuthConfigError, Secret};

/// Credentials a backend expects (`auth = { type = "...", credentials = { ... } }`).
///
/// Every value may be a literal or contain `${env:NAME}` / `${file:PATH}` references, resolved
/// once when the stack is built.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(
    tag = "type",
    content = "credentials",
    rename_all = "lowercase",
    deny_unknown_fields
)]
pub enum AuthConfig {
    /// `Authorization: Bearer <token>`; `credentials = { token = "..." }`.
    Bearer(BearerCredentials),
    /// `Authorization: Basic <base64(username:password)>`;
    /// `credentials = { username = "...", password = "..." }`.
    Basic(BasicCredentials),
    /// Every entry is a header: `credentials = { "X-Api-Key" = "..." }`.
    Custom(BTreeMap<String, Secret>),
}

/// Credentials of [`AuthConfig::Bearer`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BearerCredentials {
    /// The bearer token.
    pub token: Secret,
}

/// Credentials of [`AuthConfig::Basic`].
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasicCredentials {
    /// The user name.
    pub username: Secret,
    /// The password.
    pub password: Secret,
}

/// Auth headers with every reference resolved, ready to be set on each request.
#[derive(Clone, Default)]
pub struct ResolvedAuth {
    headers: HeaderMap,
}

// === impl AuthConfig ===

impl AuthConfig {
    /// Resolves the references and builds the headers; errors name the missing reference or the
    /// bad header, never a secret value.
    pub fn resolve(&self) -> Result<ResolvedAuth, AuthConfigError> {
        let mut headers = HeaderMap::new();
        match self {
            AuthConfig::Bearer(c) => {
                let token = c.token.resolve()?;
                headers.insert(
                    AUTHORIZATION,
                    value("authorization", &format!("Bearer {}", token.expose()))?,
                );
            }
            AuthConfig::Basic(c) => {
                let pair = format!(
                    "{}:{}",
                    c.username.resolve()?.expose(),
                    c.password.resolve()?.expose()
                );
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                headers.insert(
                    AUTHORIZATION,
                    value("authorization", &format!("Basic {encoded}"))?,
                );
            }
            AuthConfig::Custom(entries) => {
                for (name, secret) in entries {
                    let header = HeaderName::from_bytes(name.as_bytes())
                        .map_err(|_| AuthConfigError::InvalidHeaderName { name: name.clone() })?;
                    headers.insert(header, value(name, secret.resolve()?.expose())?);
                }
            }
        }
        Ok(ResolvedAuth { headers })
    }
}

// Values are marked sensitive so HTTP/2 never indexes them and `Debug` of a map hides them.
fn value(header: &str, text: &str) -> Result<HeaderValue, AuthConfigError> {
    let mut value =
        HeaderValue::from_str(text).map_err(|_| AuthConfigError::InvalidHeaderValue {
            header: header.to_string(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

// === impl ResolvedAuth ===

impl ResolvedAuth {
    /// The headers to set on every outbound request.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Sets these headers on `headers`, replacing any of the same name.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
    }
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.headers.keys()).finish()
    }
}
