//! Exposed names: `{prefix}{separator}{name}`, filtered by allow/deny globs and kept within the
//! portable budget `^[A-Za-z0-9_-]{1,64}$` that LLM APIs enforce.

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::schema::ToolFilter;

/// Longest portable name.
pub const MAX_NAME_LEN: usize = 64;

/// How one backend's names are exposed.
#[derive(Debug, Clone)]
pub struct Namer {
    prefix: String,
    separator: String,
    allow: Option<GlobSet>,
    deny: Option<GlobSet>,
    idempotent: Option<GlobSet>,
}

impl Namer {
    /// Builds the namer; globs were checked by config validation.
    pub fn new(prefix: &str, separator: &str, filter: &ToolFilter) -> Result<Self, globset::Error> {
        Ok(Namer {
            prefix: prefix.to_string(),
            separator: separator.to_string(),
            allow: glob_set(&filter.allow)?,
            deny: glob_set(&filter.deny)?,
            idempotent: None,
        })
    }

    /// Also treats tools matching `globs` as safe to retry (`idempotent_tools` in config).
    pub fn with_idempotent(mut self, globs: &[String]) -> Result<Self, globset::Error> {
        self.idempotent = glob_set(globs)?;
        Ok(self)
    }

    /// Whether config declares this backend-side tool safe to repeat.
    pub fn configured_idempotent(&self, name: &str) -> bool {
        self.idempotent.as_ref().is_some_and(|g| g.is_match(name))
    }

    /// Whether a tool with this backend-side name is exposed.
    pub fn allows(&self, name: &str) -> bool {
        self.allow.as_ref().is_none_or(|g| g.is_match(name))
            && !self.deny.as_ref().is_some_and(|g| g.is_match(name))
    }

    /// The exposed form of a backend-side name, and whether it had to be shortened or cleaned.
    pub fn expose(&self, name: &str) -> (String, bool) {
        let full = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}{}{}", self.prefix, self.separator, name)
        };
        portable(full)
    }
}

fn glob_set(globs: &[String]) -> Result<Option<GlobSet>, globset::Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g)?);
    }
    builder.build().map(Some)
}

/// Makes a name portable: illegal characters become `_`; a name over 64 characters keeps its
/// first 55 and gets `_` plus a stable 8-hex-digit hash of the whole original name.
pub fn portable(name: String) -> (String, bool) {
    let legal = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if !name.is_empty() && name.len() <= MAX_NAME_LEN && name.chars().all(legal) {
        return (name, false);
    }
    let mut cleaned: String = name
        .chars()
        .map(|c| if legal(c) { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        cleaned.push('_');
    }
    if cleaned.len() > MAX_NAME_LEN {
        let hash = fnv1a(name.as_bytes());
        cleaned.truncate(MAX_NAME_LEN - 9);
        cleaned = format!("{cleaned}_{:08x}", hash as u32);
    }
    (cleaned, true)
}

/// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn namer(prefix: &str, allow: &[&str], deny: &[&str]) -> Namer {
        let filter = ToolFilter {
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
        };
        Namer::new(prefix, "__", &filter).unwrap()
    }

    #[test]
    fn prefixes_or_passes_through() {
        assert_eq!(
            namer("github", &[], &[]).expose("search").0,
            "github__search"
        );
        assert_eq!(namer("", &[], &[]).expose("search").0, "search");
    }

    #[test]
    fn filters_with_allow_then_deny() {
        let n = namer("a", &["read_*", "list"], &["read_secret"]);
        assert!(n.allows("read_file"));
        assert!(n.allows("list"));
        assert!(!n.allows("write_file"));
        assert!(!n.allows("read_secret"));
    }

    #[test]
    fn shortens_deterministically() {
        let long = "x".repeat(80);
        let (a, changed) = namer("svc", &[], &[]).expose(&long);
        let (b, _) = namer("svc", &[], &[]).expose(&long);
        assert!(changed);
        assert_eq!(a, b);
        assert_eq!(a.len(), MAX_NAME_LEN);
        let (other, _) = namer("svc", &[], &[]).expose(&"x".repeat(81));
        assert_ne!(a, other);
        assert_eq!(portable("a.b c".into()), ("a_b_c".to_string(), true));
    }
}
