//! Matching concrete URIs against RFC 6570 URI templates, to route `resources/read`.
//!
//! Routing needs only "could this template have produced this URI", not expansion, so literals
//! must match exactly and each expression matches a run of characters: simple expressions stop
//! at `/`, `?`, `#` and `,`; reserved (`{+x}`), fragment (`{#x}`) and exploded ones match anything.

/// A parsed template.
#[derive(Debug, Clone)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    /// `true` when the expression may span `/` and other delimiters.
    Expr {
        greedy: bool,
        prefix: Option<char>,
    },
}

impl UriTemplate {
    /// Parses a template; unbalanced braces are treated as literals.
    pub fn parse(template: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let expr = &rest[open + 1..open + close];
            let op = expr.chars().next();
            let exploded = expr.ends_with('*');
            let (greedy, prefix) = match op {
                Some('+') => (true, None),
                Some('#') => (true, Some('#')),
                Some('/') => (exploded, Some('/')),
                Some('.') => (exploded, Some('.')),
                Some(';') => (exploded, Some(';')),
                Some('?') => (true, Some('?')),
                Some('&') => (true, Some('&')),
                _ => (exploded, None),
            };
            parts.push(Part::Expr { greedy, prefix });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        UriTemplate { parts }
    }

    /// Whether `uri` could be an expansion of this template.
    pub fn matches(&self, uri: &str) -> bool {
        match_parts(&self.parts, uri)
    }

    /// Length of the literal text, used to prefer the most specific template.
    pub fn specificity(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.len(),
                Part::Expr { .. } => 0,
            })
            .sum()
    }
}

fn match_parts(parts: &[Part], uri: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return uri.is_empty();
    };
    match first {
        Part::Literal(lit) => uri
            .strip_prefix(lit.as_str())
            .is_some_and(|u| match_parts(rest, u)),
        Part::Expr { greedy, prefix } => {
            let mut uri = uri;
            if let Some(p) = prefix {
                // Operator expressions may expand to nothing at all (undefined variable).
                if match_parts(rest, uri) {
                    return true;
                }
                match uri.strip_prefix(*p) {
                    Some(u) => uri = u,
                    None => return false,
                }
            }
            // The expression consumes a non-empty run; try each length (a literal may follow).
            let end = if *greedy {
                uri.len()
            } else {
                uri.find(['/', '?', '#', ',']).unwrap_or(uri.len())
            };
            (1..=end)
                .filter(|i| uri.is_char_boundary(*i))
                .any(|i| match_parts(rest, &uri[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_expressions_stop_at_slashes() {
        let t = UriTemplate::parse("example://items/{id}");
        assert!(t.matches("example://items/42"));
        assert!(!t.matches("example://items/"));
        assert!(!t.matches("example://items/4/2"));
        assert!(!t.matches("other://items/42"));
    }

    #[test]
    fn reserved_and_path_expressions_span_segments() {
        assert!(UriTemplate::parse("file:///{+path}").matches("file:///a/b/c.txt"));
        assert!(UriTemplate::parse("repo://{owner}/{repo}/blob{/path*}")
            .matches("repo://o/r/blob/src/main.rs"));
        assert!(UriTemplate::parse("db://{table}{?limit}").matches("db://users?limit=3"));
        assert!(UriTemplate::parse("db://{table}{?limit}").matches("db://users"));
    }

    #[test]
    fn specificity_prefers_longer_literals() {
        assert!(
            UriTemplate::parse("a://x/{id}").specificity()
                > UriTemplate::parse("a://{id}").specificity()
        );
    }
}
