use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::AuthConfigError;

/// A credential, as written in config or resolved; it never shows itself in logs.
///
/// `Debug` and `Display` print `[redacted]`. Serializing writes the text back only when it is a
/// single `${env:...}` / `${file:...}` reference (which names, not reveals, the secret), and
/// `[redacted]` otherwise.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

// === impl Secret ===

impl Secret {
    /// Wraps a value (literal or containing references).
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself; call only where it is sent, never where it is logged.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every `${env:NAME}` and `${file:PATH}` in the value with the variable's value or
    /// the file's contents (one trailing newline dropped); other text is kept as written.
    pub fn resolve(&self) -> Result<Secret, AuthConfigError> {
        resolve(&self.0)
    }

    fn is_single_reference(&self) -> bool {
        let s = self.0.as_str();
        (s.starts_with("${env:") || s.starts_with("${file:"))
            && s.ends_with('}')
            && s.matches("${").count() == 1
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_single_reference() {
            s.serialize_str(&self.0)
        } else {
            s.serialize_str("[redacted]")
        }
    }
}

/// Resolves `${env:NAME}` and `${file:PATH}` references in `text`, as [`Secret::resolve`]
/// does; the gateway uses it for stdio backends' `env` values too.
pub fn resolve(text: &str) -> Result<Secret, AuthConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_reference(rest) {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(AuthConfigError::Unterminated)?;
        out.push_str(&lookup(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Secret(out))
}

/// The byte offset of the next `${env:` or `${file:`; any other `${` is literal text.
fn find_reference(text: &str) -> Option<usize> {
    let mut offset = 0;
    while let Some(i) = text[offset..].find("${") {
        let at = offset + i;
        let tail = &text[at + 2..];
        if tail.starts_with("env:") || tail.starts_with("file:") {
            return Some(at);
        }
        offset = at + 2;
    }
    None
}

fn lookup(reference: &str) -> Result<String, AuthConfigError> {
    if let Some(name) = reference.strip_prefix("env:") {
        return std::env::var(name).map_err(|_| AuthConfigError::MissingEnv {
            name: name.to_string(),
        });
    }
    let path = reference.strip_prefix("file:").unwrap_or(reference);
    let mut contents =
        std::fs::read_to_string(path).map_err(|source| AuthConfigError::UnreadableFile {
            path: path.to_string(),
            source,
        })?;
    // Secret files written by `echo` or editors end in a newline that is not part of the secret.
    if contents.ends_with('\n') {
        contents.pop();
        if contents.ends_with('\r') {
            contents.pop();
        }
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn literals_are_kept_and_references_replaced() {
        std::env::set_var("MCPMUX_TEST_SECRET_A", "s3cret");
        assert_eq!(resolve("plain").unwrap().expose(), "plain");
        assert_eq!(
            resolve("${env:MCPMUX_TEST_SECRET_A}").unwrap().expose(),
            "s3cret"
        );
        assert_eq!(
            resolve("Token ${env:MCPMUX_TEST_SECRET_A}!")
                .unwrap()
                .expose(),
            "Token s3cret!"
        );
        assert_eq!(resolve("cost ${5} ok").unwrap().expose(), "cost ${5} ok");
    }

    #[test]
    fn file_references_read_the_file_without_its_trailing_newline() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "from-file").unwrap();
        let text = format!("${{file:{}}}", file.path().display());
        assert_eq!(resolve(&text).unwrap().expose(), "from-file");
    }

    #[test]
    fn missing_references_are_named_in_the_error() {
        let err = resolve("${env:MCPMUX_TEST_SURELY_UNSET}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`${env:MCPMUX_TEST_SURELY_UNSET}` is not set"
        );
        let err = resolve("${file:/nonexistent/mcpmux/token}").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read `${file:/nonexistent/mcpmux/token}`"),
            "{err}"
        );
        assert!(matches!(
            resolve("${env:OOPS"),
            Err(AuthConfigError::Unterminated)
        ));
    }

    #[test]
    fn secrets_never_print_and_serialize_only_references() {
        let literal = Secret::new("hunter2");
        assert_eq!(format!("{literal:?} {literal}"), "[redacted] [redacted]");
        assert_eq!(serde_json::to_string(&literal).unwrap(), r#""[redacted]""#);
        let reference = Secret::new("${env:GITHUB_TOKEN}");
        assert_eq!(
            serde_json::to_string(&reference).unwrap(),
            r#""${env:GITHUB_TOKEN}""#
        );
        let mixed = Secret::new("x${env:GITHUB_TOKEN}");
        assert_eq!(serde_json::to_string(&mixed).unwrap(), r#""[redacted]""#);
    }
}
