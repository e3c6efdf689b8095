//! The gateway's own tools (meta-tools and pipelines) as steer sees them: which names they
//! own, their catalog entries, and their calls. A call they make to a backend tool goes back
//! through steer in the caller's context, so it passes the same catalog filters and layers
//! (timeouts, breaker, rate limits) as a direct call, and its progress and requests reach the
//! same client.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use arc_swap::ArcSwap;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use tower::ServiceExt;

use super::meta::{self, MetaTool};
use super::{CallError, Gateway, Inner};
use crate::config::{Config, ToolExposure};
use crate::pipeline::{self, Pipelines};
use crate::protocol::jsonrpc::{to_raw, write_notification};
use crate::protocol::{JsonRpcRequest, RawJson, RawObject};
use crate::session::CallContext;
use crate::steer::catalog::{self, Catalog};
use crate::steer::search::{doc_from_tool_json, OwnedToolDoc, SearchIndex};
use crate::steer::{Local, Steer};

/// The gateway's own tools.
pub(super) struct LocalTools {
    gateway: Weak<Inner>,
    state: ArcSwap<State>,
    /// The search index of the last catalog snapshot searched.
    index: Mutex<Option<Indexed>>,
}

struct State {
    separator: String,
    meta: Vec<MetaTool>,
    pipelines: Pipelines,
}

struct Indexed {
    catalog: Weak<Catalog>,
    index: Arc<SearchIndex>,
    tools: Arc<Vec<Value>>,
}

/// A search hit as `mcpmux__search_tools` returns it.
#[derive(Debug, Serialize)]
pub struct Found {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "inputSchema", skip_serializing_if = "Option::is_none")]
    input_schema: Option<Value>,
    score: f32,
}

impl std::fmt::Debug for LocalTools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.load();
        f.debug_struct("LocalTools")
            .field("meta", &state.meta)
            .field("pipelines", &state.pipelines.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl State {
    fn of(config: &Config) -> State {
        State {
            separator: config.separator.clone(),
            meta: MetaTool::exposed(config),
            pipelines: pipeline::compile_all(config),
        }
    }

    fn meta_tool(&self, name: &str) -> Option<MetaTool> {
        let short = name
            .strip_prefix(meta::PREFIX)?
            .strip_prefix(self.separator.as_str())?;
        MetaTool::find(&self.meta, short)
    }
}

impl LocalTools {
    pub(super) fn new(gateway: Weak<Inner>, config: &Config) -> LocalTools {
        LocalTools {
            gateway,
            state: ArcSwap::from_pointee(State::of(config)),
            index: Mutex::new(None),
        }
    }

    /// Takes the tools `config` asks for and lists them in the catalog.
    pub(super) fn publish(&self, config: &Config) {
        let state = State::of(config);
        let entries = |values: Vec<Value>| -> Vec<Arc<RawValue>> {
            values.iter().map(|v| Arc::from(to_raw(v))).collect()
        };
        let listing = catalog::LocalTools {
            meta: entries(
                state
                    .meta
                    .iter()
                    .map(|t| t.listing(&state.separator))
                    .collect(),
            ),
            pipelines: entries(
                state
                    .pipelines
                    .values()
                    .map(|p| p.listing.clone())
                    .collect(),
            ),
            only: config.tool_exposure == ToolExposure::Search,
        };
        self.state.store(Arc::new(state));
        if let Some(inner) = self.gateway.upgrade() {
            inner.steer.catalog().set_local(listing);
        }
    }

    /// Ranks every tool of `snapshot` against `query`.
    pub(super) fn search(&self, snapshot: &Arc<Catalog>, query: &str, limit: usize) -> Vec<Found> {
        let indexed = {
            let mut cached = self.index.lock().unwrap_or_else(PoisonError::into_inner);
            match cached.as_ref() {
                Some(i)
                    if i.catalog
                        .upgrade()
                        .is_some_and(|c| Arc::ptr_eq(&c, snapshot)) =>
                {
                    (i.index.clone(), i.tools.clone())
                }
                _ => {
                    let tools: Vec<Value> = snapshot
                        .all_tools()
                        .filter_map(|raw| serde_json::from_str(raw.get()).ok())
                        .collect();
                    // Hits index the docs; a tool without a name is left out of both.
                    let tools: Vec<Value> = tools
                        .into_iter()
                        .filter(|t| doc_from_tool_json(t).is_some())
                        .collect();
                    let docs: Vec<OwnedToolDoc> =
                        tools.iter().filter_map(doc_from_tool_json).collect();
                    let index = Arc::new(SearchIndex::build(docs.iter().map(OwnedToolDoc::as_doc)));
                    let tools = Arc::new(tools);
                    *cached = Some(Indexed {
                        catalog: Arc::downgrade(snapshot),
                        index: index.clone(),
                        tools: tools.clone(),
                    });
                    (index, tools)
                }
            }
        };
        let (index, tools) = indexed;
        index
            .search(query, limit)
            .into_iter()
            .filter_map(|hit| {
                let tool = tools.get(hit.index)?;
                Some(Found {
                    name: tool.get("name")?.as_str()?.to_string(),
                    description: tool
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    input_schema: tool.get("inputSchema").cloned(),
                    score: hit.score,
                })
            })
            .collect()
    }
}

impl Local for LocalTools {
    fn owns(&self, name: &str) -> bool {
        let state = self.state.load();
        state.meta_tool(name).is_some() || state.pipelines.contains_key(name)
    }

    fn call(
        &self,
        name: String,
        req: JsonRpcRequest,
    ) -> BoxFuture<'static, Result<RawJson, CallError>> {
        let state = self.state.load_full();
        let gateway = self.gateway.upgrade().map(|inner| Gateway { inner });
        Box::pin(async move {
            let Some(gateway) = gateway else {
                return Err(CallError::Internal("the gateway is shutting down".into()));
            };
            let arguments = arguments_of(&req)?;
            let backend: Arc<str> = Arc::from(meta::PREFIX);
            let tool: Arc<str> = Arc::from(name.as_str());
            if let Some(pipeline) = state.pipelines.get(&name) {
                req.ctx.route_to(&backend, Some(&tool));
                return run_pipeline(&gateway, pipeline, arguments, &req).await;
            }
            let Some(meta_tool) = state.meta_tool(&name) else {
                return Err(CallError::UnknownName { kind: "tool", name });
            };
            if meta_tool != MetaTool::Call {
                req.ctx.route_to(&backend, Some(&tool));
            }
            match meta_tool {
                MetaTool::ListServers => Ok(gateway.meta_list_servers()),
                MetaTool::Help => gateway.meta_help(&arguments),
                MetaTool::SearchTools => gateway.meta_search(&arguments),
                MetaTool::Call => meta_call(&gateway, &state, &arguments, &req).await,
                other => gateway.meta_manage(other, &arguments).await,
            }
        })
    }
}

/// The call's `arguments`, `{}` when absent.
fn arguments_of(req: &JsonRpcRequest) -> Result<Value, CallError> {
    let raw = match &req.parsed {
        Some(parsed) => parsed.object().get("arguments").map(RawValue::to_owned),
        None => req
            .params
            .as_ref()
            .and_then(|p| RawObject::parse_text(p.get()).ok())
            .and_then(|o| o.get("arguments").map(RawValue::to_owned)),
    };
    match raw {
        None => Ok(Value::Object(serde_json::Map::new())),
        Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(v @ (Value::Object(_) | Value::Null)) => Ok(v),
            _ => Err(CallError::InvalidParams(
                "tools/call: `arguments` must be an object".into(),
            )),
        },
    }
}

/// The client's `_meta` as the gateway rewrote it (progress token, trace context), without
/// the progress token when the nested call must not report progress under it.
fn meta_of(req: &JsonRpcRequest, keep_progress: bool) -> Option<Box<RawValue>> {
    let meta = req.parsed.as_ref()?.object().get("_meta")?;
    if keep_progress {
        return Some(meta.to_owned());
    }
    let mut object = RawObject::parse(meta).ok()?;
    object.remove("progressToken");
    Some(object.to_raw())
}

/// Calls a backend tool by its exposed name in the context of `parent`, through steer.
async fn nested_call(
    steer: Steer,
    ctx: Arc<CallContext>,
    headers: crate::protocol::request::Headers,
    name: &str,
    arguments: &Value,
    meta: Option<&RawValue>,
) -> Result<RawJson, CallError> {
    #[derive(Serialize)]
    struct Params<'a> {
        name: &'a str,
        arguments: &'a Value,
        #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
        meta: Option<&'a RawValue>,
    }
    let params = to_raw(&Params {
        name,
        arguments,
        meta,
    });
    let mut req = JsonRpcRequest::with_ctx("tools/call", Some(RawJson::from(params)), ctx);
    req.headers = headers;
    steer.oneshot(req).await
}

/// `mcpmux__call`: the backend's answer, unchanged.
async fn meta_call(
    gateway: &Gateway,
    state: &State,
    arguments: &Value,
    req: &JsonRpcRequest,
) -> Result<RawJson, CallError> {
    let field = |key: &str| {
        arguments.get(key).and_then(Value::as_str).ok_or_else(|| {
            CallError::InvalidParams(format!("mcpmux__call: `{key}` must be a string"))
        })
    };
    let server = field("server")?;
    let tool = field("tool")?;
    let tool_arguments = match arguments.get("arguments") {
        None | Some(Value::Null) => Value::Object(serde_json::Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Err(CallError::InvalidParams(
                "mcpmux__call: `arguments` must be an object".into(),
            ))
        }
    };
    let config = gateway.config();
    let Some(backend) = config.backends.get(server) else {
        return Ok(meta::failure(format!(
            "no server `{server}`; mcpmux__list_servers shows the servers"
        )));
    };
    let prefix = backend.effective_prefix(server);
    let exposed = if prefix.is_empty() {
        tool.to_string()
    } else {
        format!("{prefix}{}{tool}", state.separator)
    };
    if state.meta_tool(&exposed).is_some() || state.pipelines.contains_key(&exposed) {
        return Err(CallError::InvalidParams(
            "mcpmux__call calls servers' tools, not the gateway's own".into(),
        ));
    }
    nested_call(
        gateway.inner.steer.clone(),
        req.ctx.clone(),
        req.headers.clone(),
        &exposed,
        &tool_arguments,
        meta_of(req, true).as_deref(),
    )
    .await
}

/// Calls pipeline steps as nested calls; reports progress per finished step under the
/// client's own token (the steps' own progress is not forwarded: several tools reporting
/// under one token would not be monotonic).
struct StepCaller {
    steer: Steer,
    ctx: Arc<CallContext>,
    headers: crate::protocol::request::Headers,
    meta: Option<Arc<RawValue>>,
    pipeline: String,
}

impl pipeline::run::Caller for StepCaller {
    fn call(&self, tool: &str, arguments: Value) -> BoxFuture<'static, Result<Value, String>> {
        let steer = self.steer.clone();
        let ctx = self.ctx.clone();
        let headers = self.headers.clone();
        let meta = self.meta.clone();
        let tool = tool.to_string();
        Box::pin(async move {
            let result = nested_call(steer, ctx, headers, &tool, &arguments, meta.as_deref()).await;
            match result {
                Ok(raw) => serde_json::from_str(raw.get()).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn step_done(&self, done: usize, total: usize, step: &str) {
        let Some(token) = self.ctx.progress_token() else {
            return;
        };
        let params = serde_json::json!({
            "progressToken": serde_json::from_str::<Value>(token.get()).unwrap_or(Value::Null),
            "progress": done,
            "total": total,
            "message": format!("pipeline `{}`: step `{step}` done", self.pipeline),
        });
        let message = write_notification("notifications/progress", Some(&to_raw(&params)));
        self.ctx.push(Bytes::from(message));
    }
}

async fn run_pipeline(
    gateway: &Gateway,
    pipeline: &pipeline::Pipeline,
    arguments: Value,
    req: &JsonRpcRequest,
) -> Result<RawJson, CallError> {
    let caller = StepCaller {
        steer: gateway.inner.steer.clone(),
        ctx: req.ctx.clone(),
        headers: req.headers.clone(),
        meta: meta_of(req, false).map(Arc::from),
        pipeline: pipeline.name.clone(),
    };
    let result = pipeline::run::run(pipeline, arguments, &caller)
        .await
        .map_err(|e| CallError::InvalidParams(e.0))?;
    Ok(RawJson::from(to_raw(&result)))
}
