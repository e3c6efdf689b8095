//! Inbound authentication: who is calling. Today one scheme, bearer tokens from config
//! (`auth.tokens`); JWT and OAuth fit beside it as further [`Scheme`]s that turn the same
//! request headers into the same [`Principal`].
//!
//! The principal names the caller in logs, keys the per-principal rate limits, and owns the
//! sessions it opens. The token itself is never logged and never forwarded to backends.

mod tokens;

use std::sync::Arc;

use http::header::AUTHORIZATION;
use http::HeaderMap;

pub use tokens::TokenSet;

use crate::config::InboundAuth;

/// Who made a request; `name` is `None` when the gateway authenticates nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// The principal's configured name.
    pub name: Option<Arc<str>>,
}

/// Why a request was not authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("this gateway requires `Authorization: Bearer <token>`")]
    Missing,
    /// A token that matches no principal.
    #[error("the bearer token is not valid for this gateway")]
    Invalid,
}

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum Scheme {
    /// Everyone is let in, unnamed.
    Open,
    /// A bearer token from a fixed set.
    Tokens(Arc<TokenSet>),
}

/// The gateway's authenticator.
#[derive(Debug, Clone)]
pub struct Authenticator {
    scheme: Scheme,
}

// === impl Authenticator ===

impl Authenticator {
    /// Builds the authenticator from config, resolving `${env:...}` / `${file:...}` tokens.
    pub fn from_config(config: &InboundAuth) -> Result<Authenticator, String> {
        if config.tokens.is_empty() {
            return Ok(Authenticator {
                scheme: Scheme::Open,
            });
        }
        Ok(Authenticator {
            scheme: Scheme::Tokens(Arc::new(TokenSet::from_config(&config.tokens)?)),
        })
    }

    /// Lets everyone in (tests, embedders).
    pub fn open() -> Authenticator {
        Authenticator {
            scheme: Scheme::Open,
        }
    }

    /// Whether requests must authenticate.
    pub fn is_required(&self) -> bool {
        !matches!(self.scheme, Scheme::Open)
    }

    /// The principal of a request.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        match &self.scheme {
            Scheme::Open => Ok(Principal::default()),
            Scheme::Tokens(tokens) => {
                let token = bearer(headers).ok_or(AuthError::Missing)?;
                tokens
                    .principal_of(token)
                    .map(|name| Principal { name: Some(name) })
                    .ok_or(AuthError::Invalid)
            }
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme name case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at(value.iter().position(|b| *b == b' ')?);
    scheme
        .eq_ignore_ascii_case(b"bearer")
        .then(|| token.trim_ascii())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use std::collections::BTreeMap;

    fn auth() -> Authenticator {
        let tokens: BTreeMap<String, String> = [
            ("alice".to_string(), "a-secret-token".to_string()),
            ("bob".to_string(), "b-secret-token".to_string()),
        ]
        .into();
        Authenticator::from_config(&InboundAuth { tokens }).unwrap()
    }

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn names_the_principal_of_a_known_token() {
        let p = auth().authenticate(&with("Bearer b-secret-token")).unwrap();
        assert_eq!(p.name.as_deref(), Some("bob"));
        let p = auth()
            .authenticate(&with("bearer  a-secret-token "))
            .unwrap();
        assert_eq!(p.name.as_deref(), Some("alice"));
    }

    #[test]
    fn refuses_missing_wrong_and_malformed_tokens() {
        let a = auth();
        assert_eq!(a.authenticate(&HeaderMap::new()), Err(AuthError::Missing));
        assert_eq!(
            a.authenticate(&with("Bearer nope")),
            Err(AuthError::Invalid)
        );
        assert_eq!(
            a.authenticate(&with("Basic a-secret-token")),
            Err(AuthError::Missing)
        );
        assert_eq!(a.authenticate(&with("Bearer")), Err(AuthError::Missing));
    }

    #[test]
    fn without_tokens_everyone_is_let_in_unnamed() {
        let open = Authenticator::from_config(&InboundAuth::default()).unwrap();
        assert!(!open.is_required());
        assert_eq!(
            open.authenticate(&HeaderMap::new()),
            Ok(Principal::default())
        );
    }
}
