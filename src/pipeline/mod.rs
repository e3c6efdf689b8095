//! Pipelines: named workflows across backends, each exposed as one tool `pipeline__NAME`.
//! Steps call namespaced tools with arguments templated from the pipeline's input and earlier
//! steps' results, in order or all at once.

pub mod run;
pub mod template;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::config::{Config, PipelineConfig};
use template::{Root, Template};

/// The prefix of pipeline tools.
pub const PREFIX: &str = "pipeline";

/// A compiled pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// Its config name.
    pub name: String,
    /// The exposed tool name, `pipeline__NAME`.
    pub tool: String,
    /// Run every step at once.
    pub parallel: bool,
    /// The steps, in config order.
    pub steps: Vec<Step>,
    /// Input members the schema requires.
    pub required: Vec<String>,
    /// The `tools/list` entry.
    pub listing: Value,
}

/// A compiled step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its id.
    pub id: String,
    /// The namespaced tool it calls.
    pub tool: String,
    /// Its arguments.
    pub arguments: Template,
}

/// Every pipeline of a config, by exposed tool name.
pub type Pipelines = Arc<BTreeMap<String, Pipeline>>;

/// Compiles every pipeline; the config has been validated, so problems here are not expected,
/// but a pipeline that fails is left out rather than stopping the gateway.
pub fn compile_all(config: &Config) -> Pipelines {
    let mut out = BTreeMap::new();
    for (name, pipeline) in &config.pipelines {
        match compile(name, pipeline, &config.separator) {
            Ok(p) => {
                out.insert(p.tool.clone(), p);
            }
            Err(problems) => {
                tracing::error!(pipeline = %name, problems = ?problems, "pipeline left out")
            }
        }
    }
    Arc::new(out)
}

/// Compiles one pipeline, or lists what is wrong with it (each problem names its field).
pub fn compile(
    name: &str,
    config: &PipelineConfig,
    separator: &str,
) -> Result<Pipeline, Vec<String>> {
    let field = format!("pipelines.{name}");
    let mut problems = Vec::new();
    let properties = config
        .input_schema
        .get("properties")
        .and_then(Value::as_object);
    if config.input_schema.get("type").and_then(Value::as_str) != Some("object") {
        problems.push(format!(
            "{field}.input_schema: must be an object schema (`type = \"object\"`)"
        ));
    }
    let required: Vec<String> = config
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if config.steps.is_empty() {
        problems.push(format!("{field}.steps: a pipeline needs at least one step"));
    }
    let mut steps = Vec::with_capacity(config.steps.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, step) in config.steps.iter().enumerate() {
        let step_field = format!("{field}.steps[{i}]");
        if step.id.is_empty()
            || !step
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push(format!(
                "{step_field}.id: `{}` must be 1 or more of A-Z a-z 0-9 _ -",
                step.id
            ));
        }
        if seen.contains(&step.id.as_str()) {
            problems.push(format!(
                "{step_field}.id: `{}` is used by an earlier step",
                step.id
            ));
        }
        let arguments = match Template::compile(&step.arguments) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{step_field}.arguments: {e}"));
                Template::Literal(Value::Null)
            }
        };
        if !step.arguments.is_object() {
            problems.push(format!("{step_field}.arguments: must be a table/object"));
        }
        for reference in arguments.references() {
            match &reference.root {
                Root::Input => {
                    let Some(first) = reference.path.first() else {
                        continue;
                    };
                    if !properties.is_some_and(|p| p.contains_key(first)) {
                        problems.push(format!(
                            "{step_field}.arguments: {reference} refers to `{first}`, which input_schema does not declare under `properties`"
                        ));
                    }
                }
                Root::Step(id) if config.parallel => problems.push(format!(
                    "{step_field}.arguments: {reference} refers to step `{id}`, but the steps of a parallel pipeline run at once and cannot use each other's results"
                )),
                Root::Step(id) if !seen.contains(&id.as_str()) => {
                    let later = config.steps.iter().any(|s| &s.id == id);
                    problems.push(if later {
                        format!("{step_field}.arguments: {reference} refers to step `{id}`, which runs later")
                    } else {
                        format!("{step_field}.arguments: {reference} refers to step `{id}`, which does not exist")
                    });
                }
                Root::Step(_) => {}
            }
        }
        seen.push(&step.id);
        steps.push(Step {
            id: step.id.clone(),
            tool: step.tool.clone(),
            arguments,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let tool = format!("{PREFIX}{separator}{name}");
    let description = config.description.clone().unwrap_or_else(|| {
        let tools: Vec<&str> = config.steps.iter().map(|s| s.tool.as_str()).collect();
        format!(
            "Pipeline `{name}`: runs {} {}",
            tools.join(", "),
            if config.parallel {
                "at once"
            } else {
                "in order"
            }
        )
    });
    let listing = json!({
        "name": tool,
        "description": description,
        "inputSchema": config.input_schema,
    });
    Ok(Pipeline {
        name: name.to_string(),
        tool,
        parallel: config.parallel,
        steps,
        required,
        listing,
    })
}

/// Config problems of every pipeline, including step tools that no backend could expose.
pub fn validate(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    let separator = &config.separator;
    let prefixes: Vec<&str> = config
        .backends
        .iter()
        .map(|(alias, b)| b.effective_prefix(alias))
        .collect();
    let unprefixed = prefixes.contains(&"");
    for (name, pipeline) in &config.pipelines {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            problems.push(format!(
                "pipelines.{name}: the name must be 1 or more of A-Z a-z 0-9 _ -"
            ));
        }
        if let Err(more) = compile(name, pipeline, separator) {
            problems.extend(more);
        }
        for (i, step) in pipeline.steps.iter().enumerate() {
            let field = format!("pipelines.{name}.steps[{i}].tool");
            match step.tool.split_once(separator.as_str()) {
                Some((prefix, _)) if prefix == PREFIX || prefix == crate::gateway::meta::PREFIX => {
                    problems.push(format!(
                        "{field}: `{}` is one of the gateway's own tools; a step calls a backend's tool",
                        step.tool
                    ))
                }
                Some((prefix, tool)) if !tool.is_empty() && prefixes.contains(&prefix) => {}
                _ if unprefixed && !step.tool.is_empty() => {}
                _ => problems.push(format!(
                    "{field}: `{}` is not a backend tool name: it must be PREFIX{separator}TOOL, where PREFIX is a backend's prefix ({})",
                    step.tool,
                    prefixes.join(", ")
                )),
            }
        }
    }
    problems
}
