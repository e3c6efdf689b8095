//! Argument templates of pipeline steps: JSON values whose strings may hold `${input.PATH}` and
//! `${steps.ID.PATH}` references. A template is compiled once (at config load, so mistakes are
//! config errors) and filled per run.
//!
//! A string that is exactly one reference takes the referenced value as it is (a number stays
//! a number, an object an object); a reference inside a longer string is written into it (a
//! string as its text, anything else as JSON). `$${` writes a literal `${`.

use std::fmt;

use serde_json::{Map, Value};

/// Where a reference starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// The pipeline's input.
    Input,
    /// An earlier step's result, by step id.
    Step(String),
}

/// One `${...}` reference: its root and the path under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `input` or `steps.ID`.
    pub root: Root,
    /// Member names, or array indexes written as numbers.
    pub path: Vec<String>,
    text: String,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.text)
    }
}

/// A piece of a string template.
#[derive(Debug, Clone)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// A reference written into the text.
    Ref(Reference),
}

/// A compiled template.
#[derive(Debug, Clone)]
pub enum Template {
    /// No reference anywhere inside.
    Literal(Value),
    /// A string that is one whole reference.
    Whole(Reference),
    /// A string with references inside text.
    Text(Vec<Part>),
    /// An array with a reference somewhere inside.
    Array(Vec<Template>),
    /// An object with a reference somewhere inside.
    Object(Vec<(String, Template)>),
}

/// What the references are resolved against.
pub trait Scope {
    /// The pipeline's input.
    fn input(&self) -> &Value;
    /// The result of step `id`, if it has run.
    fn step(&self, id: &str) -> Option<&Value>;
}

/// Why a template cannot be compiled or filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A `${` without its `}`.
    #[error("`{0}` has a `${{` without a closing `}}`")]
    Unclosed(String),
    /// A reference that is not `input...` or `steps.ID...`.
    #[error("`${{{0}}}` must start with `input` or `steps.ID`")]
    BadRoot(String),
    /// An empty path segment (`input..x`).
    #[error("`${{{0}}}` has an empty path segment")]
    EmptySegment(String),
    /// The value under the reference does not exist in this run.
    #[error("{reference}: {why}")]
    Missing {
        /// The reference as written.
        reference: String,
        /// What was not there.
        why: String,
    },
}

// === impl Template ===

impl Template {
    /// Compiles a JSON value.
    pub fn compile(value: &Value) -> Result<Template, TemplateError> {
        Ok(match value {
            Value::String(s) => compile_string(s)?,
            Value::Array(items) => {
                let items = items
                    .iter()
                    .map(Template::compile)
                    .collect::<Result<Vec<_>, _>>()?;
                if items.iter().all(|t| matches!(t, Template::Literal(_))) {
                    Template::Literal(value.clone())
                } else {
                    Template::Array(items)
                }
            }
            Value::Object(members) => {
                let members = members
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), Template::compile(v)?)))
                    .collect::<Result<Vec<_>, TemplateError>>()?;
                if members
                    .iter()
                    .all(|(_, t)| matches!(t, Template::Literal(_)))
                {
                    Template::Literal(value.clone())
                } else {
                    Template::Object(members)
                }
            }
            other => Template::Literal(other.clone()),
        })
    }

    /// Every reference inside, in order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Reference>) {
        match self {
            Template::Literal(_) => {}
            Template::Whole(r) => out.push(r),
            Template::Text(parts) => out.extend(parts.iter().filter_map(|p| match p {
                Part::Ref(r) => Some(r),
                Part::Text(_) => None,
            })),
            Template::Array(items) => items.iter().for_each(|t| t.collect(out)),
            Template::Object(members) => members.iter().for_each(|(_, t)| t.collect(out)),
        }
    }

    /// Fills the template from `scope`.
    pub fn fill(&self, scope: &dyn Scope) -> Result<Value, TemplateError> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Whole(r) => r.lookup(scope)?.clone(),
            Template::Text(parts) => {
                let mut out = String::new();
                for part in parts {
                    match part {
                        Part::Text(t) => out.push_str(t),
                        Part::Ref(r) => match r.lookup(scope)? {
                            Value::String(s) => out.push_str(s),
                            other => out.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(out)
            }
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.fill(scope))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(members) => {
                let mut object = Map::with_capacity(members.len());
                for (k, t) in members {
                    object.insert(k.clone(), t.fill(scope)?);
                }
                Value::Object(object)
            }
        })
    }
}

fn compile_string(s: &str) -> Result<Template, TemplateError> {
    if !s.contains("${") {
        return Ok(Template::Literal(Value::String(s.to_string())));
    }
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        if rest[..at].ends_with('$') {
            // `$${` is an escaped `${`.
            text.push_str(&rest[..at - 1]);
            text.push_str("${");
            rest = &rest[at + 2..];
            continue;
        }
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| TemplateError::Unclosed(s.to_string()))?;
        if !text.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut text)));
        }
        parts.push(Part::Ref(Reference::parse(after[..end].trim())?));
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(match parts.as_slice() {
        [Part::Ref(r)] => Template::Whole(r.clone()),
        [Part::Text(t)] => Template::Literal(Value::String(t.clone())),
        _ => Template::Text(parts),
    })
}

// === impl Reference ===

impl Reference {
    fn parse(text: &str) -> Result<Reference, TemplateError> {
        let segments: Vec<&str> = text.split('.').collect();
        if segments.iter().any(|s| s.is_empty()) {
            return Err(TemplateError::EmptySegment(text.to_string()));
        }
        let (root, path) = match segments.as_slice() {
            ["input", path @ ..] => (Root::Input, path),
            ["steps", id, path @ ..] => (Root::Step((*id).to_string()), path),
            _ => return Err(TemplateError::BadRoot(text.to_string())),
        };
        Ok(Reference {
            root,
            path: path.iter().map(|s| (*s).to_string()).collect(),
            text: text.to_string(),
        })
    }

    fn lookup<'a>(&self, scope: &'a dyn Scope) -> Result<&'a Value, TemplateError> {
        let missing = |why: String| TemplateError::Missing {
            reference: self.to_string(),
            why,
        };
        let mut value = match &self.root {
            Root::Input => scope.input(),
            Root::Step(id) => scope
                .step(id)
                .ok_or_else(|| missing(format!("step `{id}` has no result yet")))?,
        };
        for (depth, segment) in self.path.iter().enumerate() {
            let next = match value {
                Value::Object(members) => members.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            value = next.ok_or_else(|| {
                let at = if depth == 0 {
                    match &self.root {
                        Root::Input => "the input".to_string(),
                        Root::Step(id) => format!("step `{id}`'s result"),
                    }
                } else {
                    format!("`{}`", self.path[..depth].join("."))
                };
                missing(format!("{at} has no `{segment}`"))
            })?;
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Run {
        input: Value,
        steps: HashMap<String, Value>,
    }

    impl Scope for Run {
        fn input(&self) -> &Value {
            &self.input
        }
        fn step(&self, id: &str) -> Option<&Value> {
            self.steps.get(id)
        }
    }

    fn run() -> Run {
        Run {
            input: json!({ "city": "Oslo", "days": 3 }),
            steps: HashMap::from([(
                "forecast".to_string(),
                json!({ "structuredContent": { "temp": -4.5, "tags": ["cold", "dark"] } }),
            )]),
        }
    }

    #[test]
    fn a_whole_reference_keeps_its_type() {
        let t = Template::compile(&json!({
            "days": "${input.days}",
            "temp": "${steps.forecast.structuredContent.temp}",
            "tag": "${ steps.forecast.structuredContent.tags.1 }",
            "fixed": [1, "two"],
        }))
        .unwrap();
        assert_eq!(
            t.fill(&run()).unwrap(),
            json!({ "days": 3, "temp": -4.5, "tag": "dark", "fixed": [1, "two"] })
        );
    }

    #[test]
    fn references_inside_text_are_written_in() {
        let t = Template::compile(&json!(
            "${input.city}: ${steps.forecast.structuredContent.temp} C for ${input.days} days, $${literal}"
        ))
        .unwrap();
        assert_eq!(
            t.fill(&run()).unwrap(),
            json!("Oslo: -4.5 C for 3 days, ${literal}")
        );
    }

    #[test]
    fn literals_stay_literal_and_list_no_references() {
        let t = Template::compile(&json!({ "a": ["x", { "b": 2 }], "c": "$ {not}" })).unwrap();
        assert!(matches!(t, Template::Literal(_)));
        assert!(t.references().is_empty());
    }

    #[test]
    fn references_are_listed_for_validation() {
        let t =
            Template::compile(&json!({ "a": "${input.city} ${steps.a.x}", "b": ["${steps.b}"] }))
                .unwrap();
        let roots: Vec<_> = t.references().iter().map(|r| r.root.clone()).collect();
        assert_eq!(
            roots,
            vec![Root::Input, Root::Step("a".into()), Root::Step("b".into())]
        );
    }

    #[test]
    fn malformed_references_are_config_errors() {
        assert_eq!(
            Template::compile(&json!("${input.city")).unwrap_err(),
            TemplateError::Unclosed("${input.city".into())
        );
        assert!(matches!(
            Template::compile(&json!("${output.x}")).unwrap_err(),
            TemplateError::BadRoot(_)
        ));
        assert!(matches!(
            Template::compile(&json!("${steps}")).unwrap_err(),
            TemplateError::BadRoot(_)
        ));
        assert!(matches!(
            Template::compile(&json!("${input..x}")).unwrap_err(),
            TemplateError::EmptySegment(_)
        ));
    }

    #[test]
    fn a_missing_value_names_where_it_was_looked_for() {
        let t = Template::compile(&json!("${steps.forecast.structuredContent.wind}")).unwrap();
        assert_eq!(
            t.fill(&run()).unwrap_err().to_string(),
            "${steps.forecast.structuredContent.wind}: `structuredContent` has no `wind`"
        );
        let t = Template::compile(&json!("${steps.later.x}")).unwrap();
        assert_eq!(
            t.fill(&run()).unwrap_err().to_string(),
            "${steps.later.x}: step `later` has no result yet"
        );
        let t = Template::compile(&json!("${input.country}")).unwrap();
        assert_eq!(
            t.fill(&run()).unwrap_err().to_string(),
            "${input.country}: the input has no `country`"
        );
    }
}
