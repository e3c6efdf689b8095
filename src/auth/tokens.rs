//! A set of bearer tokens, held as SHA-256 digests and compared in constant time, so neither
//! memory nor timing gives a token away.

use std::collections::BTreeMap;
use std::sync::Arc;

use mcpmux_layers::auth_inject::resolve;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Principals and the digests of their tokens.
pub struct TokenSet {
    entries: Vec<(Arc<str>, [u8; 32])>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.entries.iter().map(|(n, _)| &**n).collect();
        f.debug_struct("TokenSet")
            .field("principals", &names)
            .finish()
    }
}

// === impl TokenSet ===

impl TokenSet {
    /// Resolves each configured token (`${env:...}`, `${file:...}` or literal) and keeps its
    /// digest.
    pub fn from_config(tokens: &BTreeMap<String, String>) -> Result<TokenSet, String> {
        let mut entries = Vec::with_capacity(tokens.len());
        for (principal, reference) in tokens {
            let token = resolve(reference).map_err(|e| format!("auth.tokens.{principal}: {e}"))?;
            let token = token.expose().trim();
            if token.is_empty() {
                return Err(format!("auth.tokens.{principal}: the token is empty"));
            }
            entries.push((Arc::from(principal.as_str()), digest(token.as_bytes())));
        }
        Ok(TokenSet { entries })
    }

    /// The principal whose token this is. Every entry is compared, so the time taken does not
    /// depend on which one (if any) matches.
    pub fn principal_of(&self, token: &[u8]) -> Option<Arc<str>> {
        let presented = digest(token);
        let mut found = None;
        for (principal, expected) in &self.entries {
            if bool::from(expected.ct_eq(&presented)) {
                found = Some(principal.clone());
            }
        }
        found
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}
