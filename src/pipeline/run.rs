//! Running a pipeline: fill each step's arguments, call its tool, keep its result for the
//! steps after it; the first failure stops the rest and is named in the result.

use futures_util::future::BoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Map, Value};

use super::template::Scope;
use super::Pipeline;

/// Calls a step's tool; `Ok` is the tool's result object (which may itself say `isError`).
pub trait Caller: Send + Sync {
    /// Calls the namespaced `tool` with `arguments`.
    fn call(&self, tool: &str, arguments: Value) -> BoxFuture<'static, Result<Value, String>>;

    /// Told after each step, for progress notifications.
    fn step_done(&self, _done: usize, _total: usize, _step: &str) {}
}

struct Run<'a> {
    input: &'a Value,
    steps: &'a Map<String, Value>,
}

impl Scope for Run<'_> {
    fn input(&self) -> &Value {
        self.input
    }
    fn step(&self, id: &str) -> Option<&Value> {
        self.steps.get(id)
    }
}

/// Why a pipeline could not start: its input does not fit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Runs `pipeline` on `input`; the result is a `tools/call` result.
pub async fn run(
    pipeline: &Pipeline,
    input: Value,
    caller: &dyn Caller,
) -> Result<Value, BadInput> {
    let input = match input {
        Value::Null => Value::Object(Map::new()),
        Value::Object(_) => input,
        _ => {
            return Err(BadInput(format!(
                "{}: `arguments` must be an object",
                pipeline.tool
            )))
        }
    };
    let missing: Vec<&str> = pipeline
        .required
        .iter()
        .filter(|r| input.get(r.as_str()).is_none())
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(BadInput(format!(
            "{}: missing required argument(s): {}",
            pipeline.tool,
            missing.join(", ")
        )));
    }
    let mut results = Map::new();
    let total = pipeline.steps.len();
    let failure = if pipeline.parallel {
        run_parallel(pipeline, &input, caller, &mut results).await
    } else {
        let mut failure = None;
        for step in &pipeline.steps {
            let arguments = match step.arguments.fill(&Run {
                input: &input,
                steps: &results,
            }) {
                Ok(a) => a,
                Err(e) => {
                    failure = Some((step.id.clone(), step.tool.clone(), e.to_string()));
                    break;
                }
            };
            match outcome(caller.call(&step.tool, arguments).await) {
                Ok(result) => {
                    results.insert(step.id.clone(), result);
                    caller.step_done(results.len(), total, &step.id);
                }
                Err(why) => {
                    failure = Some((step.id.clone(), step.tool.clone(), why));
                    break;
                }
            }
        }
        failure
    };
    Ok(match failure {
        None => {
            let structured = json!({ "pipeline": pipeline.name, "steps": results });
            json!({
                "content": [{ "type": "text", "text": structured.to_string() }],
                "structuredContent": structured,
            })
        }
        Some((id, tool, why)) => {
            let text = format!(
                "pipeline `{}` failed at step `{id}` ({tool}): {why}",
                pipeline.name
            );
            json!({
                "content": [{ "type": "text", "text": text }],
                "structuredContent": {
                    "pipeline": pipeline.name,
                    "failedStep": id,
                    "error": why,
                    "steps": results,
                },
                "isError": true,
            })
        }
    })
}

/// Starts every step; the first failure drops the others (which cancels their calls).
async fn run_parallel(
    pipeline: &Pipeline,
    input: &Value,
    caller: &dyn Caller,
    results: &mut Map<String, Value>,
) -> Option<(String, String, String)> {
    let empty = Map::new();
    let mut running = FuturesUnordered::new();
    for (i, step) in pipeline.steps.iter().enumerate() {
        let arguments = match step.arguments.fill(&Run {
            input,
            steps: &empty,
        }) {
            Ok(a) => a,
            Err(e) => return Some((step.id.clone(), step.tool.clone(), e.to_string())),
        };
        let call = caller.call(&step.tool, arguments);
        running.push(async move { (i, call.await) });
    }
    let total = pipeline.steps.len();
    while let Some((i, result)) = running.next().await {
        let step = &pipeline.steps[i];
        match outcome(result) {
            Ok(result) => {
                results.insert(step.id.clone(), result);
                caller.step_done(results.len(), total, &step.id);
            }
            Err(why) => return Some((step.id.clone(), step.tool.clone(), why)),
        }
    }
    None
}

/// A tool result that says `isError` is a failure too, with its text.
fn outcome(result: Result<Value, String>) -> Result<Value, String> {
    let result = result?;
    if result.get("isError").and_then(Value::as_bool) == Some(true) {
        let text: Vec<&str> = result
            .get("content")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|item| item.get("text").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        return Err(if text.is_empty() {
            "the tool reported an error".to_string()
        } else {
            text.join(" ")
        });
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PipelineConfig, StepConfig};
    use std::sync::{Arc, Mutex};

    /// Records calls; `weather__forecast` answers a temperature, `fail__*` fails, everything
    /// else echoes its arguments. `slow__*` never answers (to show parallel failure stops it).
    #[derive(Default)]
    struct Tools {
        calls: Arc<Mutex<Vec<(String, Value)>>>,
        dropped: Arc<Mutex<usize>>,
    }

    struct CountDrop(Arc<Mutex<usize>>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            *self.0.lock().unwrap() += 1;
        }
    }

    impl Caller for Tools {
        fn call(&self, tool: &str, arguments: Value) -> BoxFuture<'static, Result<Value, String>> {
            self.calls
                .lock()
                .unwrap()
                .push((tool.to_string(), arguments.clone()));
            let tool = tool.to_string();
            let dropped = CountDrop(self.dropped.clone());
            Box::pin(async move {
                let _dropped = dropped;
                if tool.starts_with("slow__") {
                    std::future::pending::<()>().await;
                }
                tokio::task::yield_now().await;
                match tool.as_str() {
                    "weather__forecast" => Ok(json!({
                        "content": [{ "type": "text", "text": "-4" }],
                        "structuredContent": { "temp": -4 }
                    })),
                    "fail__answer" => Ok(json!({
                        "content": [{ "type": "text", "text": "no such city" }],
                        "isError": true
                    })),
                    "fail__transport" => Err("backend `fail` is unavailable".into()),
                    _ => Ok(json!({ "structuredContent": arguments })),
                }
            })
        }
    }

    fn pipeline(parallel: bool, steps: &[(&str, &str, Value)]) -> Pipeline {
        let config = PipelineConfig {
            description: None,
            input_schema: json!({
                "type": "object",
                "properties": { "city": { "type": "string" } },
                "required": ["city"]
            }),
            parallel,
            steps: steps
                .iter()
                .map(|(id, tool, arguments)| StepConfig {
                    id: id.to_string(),
                    tool: tool.to_string(),
                    arguments: arguments.clone(),
                })
                .collect(),
        };
        super::super::compile("trip", &config, "__").unwrap()
    }

    #[tokio::test]
    async fn sequential_steps_see_earlier_results() {
        let p = pipeline(
            false,
            &[
                (
                    "forecast",
                    "weather__forecast",
                    json!({ "city": "${input.city}" }),
                ),
                (
                    "note",
                    "notes__write",
                    json!({ "text": "${input.city} is ${steps.forecast.structuredContent.temp} C", "t": "${steps.forecast.structuredContent.temp}" }),
                ),
            ],
        );
        let tools = Tools::default();
        let result = run(&p, json!({ "city": "Oslo" }), &tools).await.unwrap();
        assert_eq!(
            result["structuredContent"]["steps"]["note"]["structuredContent"],
            json!({ "text": "Oslo is -4 C", "t": -4 })
        );
        assert!(result.get("isError").is_none());
        let calls = tools.calls.lock().unwrap();
        assert_eq!(
            calls[0],
            ("weather__forecast".into(), json!({ "city": "Oslo" }))
        );
    }

    #[tokio::test]
    async fn a_failing_step_is_named_and_stops_the_rest() {
        let p = pipeline(
            false,
            &[
                ("forecast", "weather__forecast", json!({})),
                ("lookup", "fail__answer", json!({})),
                ("never", "notes__write", json!({})),
            ],
        );
        let tools = Tools::default();
        let result = run(&p, json!({ "city": "Oslo" }), &tools).await.unwrap();
        assert_eq!(result["isError"], json!(true));
        assert_eq!(result["structuredContent"]["failedStep"], json!("lookup"));
        assert_eq!(
            result["content"][0]["text"],
            json!("pipeline `trip` failed at step `lookup` (fail__answer): no such city")
        );
        assert!(result["structuredContent"]["steps"]["forecast"].is_object());
        assert_eq!(
            tools.calls.lock().unwrap().len(),
            2,
            "the third step never ran"
        );
    }

    #[tokio::test]
    async fn parallel_steps_all_start_and_a_failure_cancels_the_others() {
        let p = pipeline(
            true,
            &[
                ("hang", "slow__wait", json!({})),
                ("a", "weather__forecast", json!({ "city": "${input.city}" })),
                ("broken", "fail__transport", json!({})),
            ],
        );
        let tools = Tools::default();
        let result = run(&p, json!({ "city": "Oslo" }), &tools).await.unwrap();
        assert_eq!(result["structuredContent"]["failedStep"], json!("broken"));
        assert_eq!(tools.calls.lock().unwrap().len(), 3, "every step started");
        assert_eq!(
            *tools.dropped.lock().unwrap(),
            3,
            "the hanging call was dropped"
        );
    }

    #[tokio::test]
    async fn parallel_results_are_all_kept() {
        let p = pipeline(
            true,
            &[
                ("a", "weather__forecast", json!({})),
                ("b", "notes__write", json!({ "x": "${input.city}" })),
            ],
        );
        let result = run(&p, json!({ "city": "Oslo" }), &Tools::default())
            .await
            .unwrap();
        let steps = &result["structuredContent"]["steps"];
        assert_eq!(steps["b"]["structuredContent"], json!({ "x": "Oslo" }));
        assert_eq!(steps["a"]["structuredContent"]["temp"], json!(-4));
    }

    #[tokio::test]
    async fn input_that_does_not_fit_is_refused_before_any_step() {
        let p = pipeline(false, &[("a", "weather__forecast", json!({}))]);
        let tools = Tools::default();
        let e = run(&p, json!({}), &tools).await.unwrap_err();
        assert_eq!(e.0, "pipeline__trip: missing required argument(s): city");
        assert!(run(&p, json!([1]), &tools).await.is_err());
        assert!(tools.calls.lock().unwrap().is_empty());
    }

    #[test]
    fn bad_references_are_caught_at_compile_time() {
        let config = |parallel, steps: Vec<(&str, Value)>| PipelineConfig {
            description: None,
            input_schema: json!({ "type": "object", "properties": { "city": {} } }),
            parallel,
            steps: steps
                .into_iter()
                .map(|(id, arguments)| StepConfig {
                    id: id.into(),
                    tool: "w__f".into(),
                    arguments,
                })
                .collect(),
        };
        let problems = |c: &PipelineConfig| super::super::compile("p", c, "__").unwrap_err();
        let p = problems(&config(
            false,
            vec![("a", json!({ "x": "${input.country}" }))],
        ));
        assert!(p[0].contains("input_schema does not declare"), "{p:?}");
        let p = problems(&config(
            false,
            vec![("a", json!({ "x": "${steps.b.y}" })), ("b", json!({}))],
        ));
        assert!(p[0].contains("which runs later"), "{p:?}");
        let p = problems(&config(false, vec![("a", json!({ "x": "${steps.zz}" }))]));
        assert!(p[0].contains("does not exist"), "{p:?}");
        let p = problems(&config(
            true,
            vec![("a", json!({})), ("b", json!({ "x": "${steps.a}" }))],
        ));
        assert!(p[0].contains("parallel pipeline"), "{p:?}");
        let p = problems(&config(false, vec![("a", json!({})), ("a", json!({}))]));
        assert!(p[0].contains("used by an earlier step"), "{p:?}");
    }
}
