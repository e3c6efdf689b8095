//! Steer: routes each request by method and namespaced name (or URI) to one backend stack,
//! rewriting names on the way in, and serves the merged lists from the catalog.

pub mod catalog;
pub mod errors;
pub mod names;
pub mod page;
pub mod refresh;
pub mod uri_template;

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use mcpmux_layers::request::RetrySafety;
use serde_json::value::RawValue;
use tower::ServiceExt;
use tracing::debug;

use crate::protocol::jsonrpc::{raw_string, to_raw, RawObject};
use crate::protocol::mcp::{CursorParams, ListKind};
use crate::protocol::{ErrorObject, JsonRpcRequest, JsonRpcResponse, Outcome, RawJson};
use crate::BoxError;
use catalog::{CatalogStore, Route};

/// How long a list waits for backends still on their first connection attempt.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(5);

/// The steering service.
#[derive(Clone, Debug)]
pub struct Steer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    catalog: Arc<CatalogStore>,
    page_size: usize,
}

// === impl Steer ===

impl Steer {
    /// Steers over `catalog`.
    pub fn new(catalog: Arc<CatalogStore>, page_size: usize) -> Self {
        Steer {
            inner: Arc::new(Inner { catalog, page_size }),
        }
    }

    /// The catalog it routes by.
    pub fn catalog(&self) -> &Arc<CatalogStore> {
        &self.inner.catalog
    }
}

impl tower::Service<JsonRpcRequest> for Steer {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Each backend stack applies its own back-pressure inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            let outcome = inner.dispatch(req).await;
            Ok(JsonRpcResponse { outcome })
        })
    }
}

impl Inner {
    async fn dispatch(&self, req: JsonRpcRequest) -> Outcome {
        if let Some(kind) = ListKind::from_method(&req.method) {
            return self.list(kind, req.params.as_deref()).await;
        }
        match &*req.method {
            "ping" => Ok(RawJson::empty_object()),
            "tools/call" => self.call_named(ListKind::Tools, req).await,
            "prompts/get" => self.call_named(ListKind::Prompts, req).await,
            "resources/read" => self.call_by_uri(req).await,
            "completion/complete" => self.complete(req).await,
            // Accepted so clients that set a level anyway are not refused; per-session levels
            // forwarded to backends come with the session bridge.
            "logging/setLevel" => Ok(RawJson::empty_object()),
            other => Err(ErrorObject::method_not_found(other)),
        }
    }

    async fn list(&self, kind: ListKind, params: Option<&RawValue>) -> Outcome {
        let cursor = match params {
            Some(p) => {
                serde_json::from_str::<CursorParams>(p.get())
                    .map_err(|e| ErrorObject::invalid_params(format!("{}: {e}", kind.method())))?
                    .cursor
            }
            None => None,
        };
        if cursor.is_none() {
            // A client that lists right after the gateway starts sees backends that are still
            // connecting, within a bound.
            self.catalog.wait_settled(FIRST_LIST_WAIT).await;
        }
        let start = page::start_of(cursor.as_deref())?;
        Ok(self.catalog.snapshot().page(kind, start, self.page_size))
    }

    async fn call_named(&self, kind: ListKind, mut req: JsonRpcRequest) -> Outcome {
        let what = if kind == ListKind::Tools {
            "tool"
        } else {
            "prompt"
        };
        let (mut params, name) = named_params(&req, what)?;
        let snapshot = self.catalog.snapshot();
        let route = match kind {
            ListKind::Tools => snapshot.tool(&name),
            _ => snapshot.prompt(&name),
        };
        let Some(route) = route else {
            return Err(ErrorObject::invalid_params(format!(
                "unknown {what} `{name}`: it is not in the catalog (list {}s to see what is available)",
                what
            )));
        };
        params.set("name", raw_string(&route.name));
        req.params = Some(Arc::from(params.to_raw()));
        if kind == ListKind::Tools {
            req.tool = Some(route.name.clone());
            if route.retry_safe {
                req.retry_safety = RetrySafety::Safe;
            }
        }
        forward(&route, req).await
    }

    async fn call_by_uri(&self, req: JsonRpcRequest) -> Outcome {
        let uri = string_param(&req, "uri")?;
        let Some(backend) = self.catalog.snapshot().resource(&uri) else {
            return Err(ErrorObject::new(
                crate::protocol::error_codes::RESOURCE_NOT_FOUND,
                format!("unknown resource `{uri}`: no backend lists it or a template matching it"),
            ));
        };
        send(&backend.alias, backend.service.clone(), req).await
    }

    /// `completion/complete` routes by its `ref`: a prompt name or a resource template URI.
    async fn complete(&self, mut req: JsonRpcRequest) -> Outcome {
        #[derive(serde::Deserialize)]
        struct Reference {
            #[serde(rename = "type")]
            kind: String,
            name: Option<String>,
            uri: Option<String>,
        }
        let params = req
            .params
            .as_deref()
            .ok_or_else(|| ErrorObject::invalid_params("completion/complete needs params"))?;
        let mut object =
            RawObject::parse(params).map_err(|e| ErrorObject::invalid_params(e.to_string()))?;
        let reference: Reference = object
            .get("ref")
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .ok_or_else(|| ErrorObject::invalid_params("completion/complete needs a `ref`"))?;
        let snapshot = self.catalog.snapshot();
        match (reference.kind.as_str(), reference.name, reference.uri) {
            ("ref/prompt", Some(name), _) => {
                let route = snapshot.prompt(&name).ok_or_else(|| {
                    ErrorObject::invalid_params(format!("unknown prompt `{name}`"))
                })?;
                let rewritten = serde_json::json!({ "type": "ref/prompt", "name": &*route.name });
                object.set("ref", to_raw(&rewritten));
                req.params = Some(Arc::from(object.to_raw()));
                forward(&route, req).await
            }
            ("ref/resource", _, Some(uri)) => {
                let backend = snapshot.resource(&uri).ok_or_else(|| {
                    ErrorObject::invalid_params(format!("unknown resource template `{uri}`"))
                })?;
                send(&backend.alias, backend.service.clone(), req).await
            }
            _ => Err(ErrorObject::invalid_params(
                "`ref` must be a ref/prompt with a name or a ref/resource with a uri",
            )),
        }
    }
}

async fn forward(route: &Route, req: JsonRpcRequest) -> Outcome {
    send(&route.backend.alias, route.backend.service.clone(), req).await
}

async fn send(
    alias: &str,
    service: crate::backend::BackendService,
    req: JsonRpcRequest,
) -> Outcome {
    let method = req.method.clone();
    match service.oneshot(req).await {
        Ok(response) => response.outcome,
        Err(e) => {
            debug!(backend = %alias, method = %method, error = %e, "backend call failed");
            Err(errors::error_object(alias, &e))
        }
    }
}

/// Parses params as a raw object and reads its `name`.
fn named_params(req: &JsonRpcRequest, what: &str) -> Result<(RawObject, String), ErrorObject> {
    let params = req.params.as_deref().ok_or_else(|| {
        ErrorObject::invalid_params(format!("{} needs params with a `name`", req.method))
    })?;
    let object = RawObject::parse(params)
        .map_err(|e| ErrorObject::invalid_params(format!("params must be an object: {e}")))?;
    let name = object
        .get("name")
        .and_then(|n| serde_json::from_str::<String>(n.get()).ok())
        .ok_or_else(|| {
            ErrorObject::invalid_params(format!(
                "{} needs a string `name` naming the {what}",
                req.method
            ))
        })?;
    Ok((object, name))
}

fn string_param(req: &JsonRpcRequest, key: &str) -> Result<String, ErrorObject> {
    req.params
        .as_deref()
        .and_then(|p| RawObject::parse(p).ok())
        .and_then(|o| {
            o.get(key)
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
        })
        .ok_or_else(|| {
            ErrorObject::invalid_params(format!("{} needs a string `{key}`", req.method))
        })
}
