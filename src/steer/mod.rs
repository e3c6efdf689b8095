//! Steer: routes each request by method and namespaced name (or URI) to one backend stack,
//! rewriting names on the way in, and serves the merged lists from the catalog.

pub mod catalog;
pub mod names;
pub mod overlay;
pub mod page;
pub mod refresh;
pub mod search;
pub mod uri_template;

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use mcpmux_layers::request::RetrySafety;
use serde_json::value::RawValue;
use tower::ServiceExt;
use tracing::debug;

use crate::backend::Backend;
use crate::gateway::CallError;
use crate::protocol::jsonrpc::{raw_string, to_raw};
use crate::protocol::mcp::ListKind;
use crate::protocol::{JsonRpcRequest, RawJson, RawObject};
use crate::session::subscriptions::Subscriptions;
use catalog::{CatalogStore, Route};

/// How long a list waits for backends still on their first connection attempt.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(5);

/// The gateway's own tools: steer hands their calls over instead of routing to a backend.
pub trait Local: Send + Sync + std::fmt::Debug {
    /// Whether `name` is one of them.
    fn owns(&self, name: &str) -> bool;

    /// Runs one (`req` is the client's `tools/call`, in its context).
    fn call(
        &self,
        name: String,
        req: JsonRpcRequest,
    ) -> BoxFuture<'static, Result<RawJson, CallError>>;
}

/// No local tools.
#[derive(Debug)]
pub struct NoLocal;

impl Local for NoLocal {
    fn owns(&self, _name: &str) -> bool {
        false
    }

    fn call(
        &self,
        name: String,
        _req: JsonRpcRequest,
    ) -> BoxFuture<'static, Result<RawJson, CallError>> {
        Box::pin(async move { Err(CallError::UnknownName { kind: "tool", name }) })
    }
}

/// The steering service.
#[derive(Clone, Debug)]
pub struct Steer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    catalog: Arc<CatalogStore>,
    subscriptions: Arc<Subscriptions>,
    page_size: usize,
    local: Arc<dyn Local>,
}

// === impl Steer ===

impl Steer {
    /// Steers over `catalog`, keeping resource subscriptions in `subscriptions`.
    pub fn new(
        catalog: Arc<CatalogStore>,
        subscriptions: Arc<Subscriptions>,
        page_size: usize,
    ) -> Self {
        Self::with_local(catalog, subscriptions, page_size, Arc::new(NoLocal))
    }

    /// Steers over `catalog`, handing calls of `local`'s tools to it.
    pub fn with_local(
        catalog: Arc<CatalogStore>,
        subscriptions: Arc<Subscriptions>,
        page_size: usize,
        local: Arc<dyn Local>,
    ) -> Self {
        Steer {
            inner: Arc::new(Inner {
                catalog,
                subscriptions,
                page_size,
                local,
            }),
        }
    }

    /// The catalog it routes by.
    pub fn catalog(&self) -> &Arc<CatalogStore> {
        &self.inner.catalog
    }
}

impl tower::Service<JsonRpcRequest> for Steer {
    type Response = RawJson;
    type Error = CallError;
    type Future = BoxFuture<'static, Result<RawJson, CallError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        // Each backend stack applies its own back-pressure inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        self.route(req)
    }
}

impl Steer {
    /// The call's future, as [`Service::call`](tower::Service::call) makes it; steer is always
    /// ready, so the gateway calls this without a `poll_ready` (and without a `Oneshot` that
    /// would hold the request until its first poll).
    pub fn route(&self, mut req: JsonRpcRequest) -> BoxFuture<'static, Result<RawJson, CallError>> {
        if &*req.method == "tools/call" {
            if let Some((name, route)) = self.inner.tool_route_now(&req) {
                // Kept for the audit line, as `call_named` keeps it.
                let _ = req.ctx.keep_called(name);
                aim(&mut req, ListKind::Tools, &route);
                return Box::pin(forward(&route.backend, req));
            }
        }
        Box::pin(self.inner.clone().dispatch(req))
    }
}

impl Inner {
    /// The route of a `tools/call` when nothing needs to be waited for: the session's lists
    /// are settled and the catalog names a backend's tool (with the name the client called).
    /// The call's future is then the backend stack's own, boxed once, where `dispatch` nests
    /// three state machines that each keep a copy of the request (2 KB instead of 184 bytes
    /// per call, written and read again while the call is in flight). `None` (a local tool, a
    /// name not listed yet, every error) leaves the request to `dispatch`.
    fn tool_route_now(&self, req: &JsonRpcRequest) -> Option<(String, Route)> {
        let session = req.ctx.session();
        if session.is_some_and(|s| s.lists_pending()) {
            return None;
        }
        let name = str_member(req, "name").ok()??;
        if self.local.owns(&name) {
            return None;
        }
        let route = self.catalog.view(session.map(|s| &*s.id)).tool(&name)?;
        Some((name, route))
    }

    /// The call's whole future: it owns the router, so no wrapper is needed around it.
    async fn dispatch(self: Arc<Self>, req: JsonRpcRequest) -> Result<RawJson, CallError> {
        if let Some(kind) = ListKind::from_method(&req.method) {
            return self.list(kind, &req).await;
        }
        match &*req.method {
            "ping" => Ok(RawJson::empty_object()),
            "tools/call" => self.call_named(ListKind::Tools, req).await,
            "prompts/get" => self.call_named(ListKind::Prompts, req).await,
            "resources/read" => self.call_by_uri(req).await,
            "resources/subscribe" => self.subscribe(req).await,
            "resources/unsubscribe" => self.unsubscribe(req).await,
            "completion/complete" => self.complete(req).await,
            "logging/setLevel" => self.set_level(req).await,
            other => Err(CallError::MethodNotFound(other.to_string())),
        }
    }

    async fn list(&self, kind: ListKind, req: &JsonRpcRequest) -> Result<RawJson, CallError> {
        let cursor = str_member(req, "cursor")?;
        if cursor.is_none() {
            // A client that lists right after the gateway starts sees backends that are still
            // connecting, within a bound.
            self.catalog.wait_settled(FIRST_LIST_WAIT).await;
        }
        let start =
            page::start_of(cursor.as_deref()).map_err(|e| CallError::InvalidParams(e.message))?;
        Ok(view(&self.catalog, req)
            .await
            .page(kind, start, self.page_size))
    }

    async fn call_named(
        &self,
        kind: ListKind,
        mut req: JsonRpcRequest,
    ) -> Result<RawJson, CallError> {
        let what = if kind == ListKind::Tools {
            "tool"
        } else {
            "prompt"
        };
        let name = str_member(&req, "name")?.ok_or_else(|| {
            CallError::InvalidParams(format!(
                "{} needs params with a string `name` naming the {what}",
                req.method
            ))
        })?;
        // The call's context keeps the name for the audit line; steer borrows it from there.
        let ctx = req.ctx.clone();
        let own;
        let name: &str = match ctx.keep_called(name) {
            Ok(kept) => kept,
            Err(name) => {
                own = name;
                &own
            }
        };
        if kind == ListKind::Tools && self.local.owns(name) {
            return self.local.call(name.to_string(), req).await;
        }
        let lookup = |snapshot: &catalog::Catalog| match kind {
            ListKind::Tools => snapshot.tool(name),
            _ => snapshot.prompt(name),
        };
        let mut route = lookup(&*view(&self.catalog, &req).await);
        if route.is_none() && !self.catalog.unsettled().is_empty() {
            // A backend that is still starting (just after the gateway, or just added) may
            // be about to list it: wait for it, within the bound a first list waits.
            self.catalog.wait_settled(FIRST_LIST_WAIT).await;
            route = lookup(&*view(&self.catalog, &req).await);
        }
        let route = route.ok_or_else(|| CallError::UnknownName {
            kind: what,
            name: name.to_string(),
        })?;
        aim(&mut req, kind, &route);
        forward(&route.backend, req).await
    }

    async fn call_by_uri(&self, req: JsonRpcRequest) -> Result<RawJson, CallError> {
        let (backend, _) = self.by_uri(&req).await?;
        forward(&backend, req).await
    }

    async fn by_uri(&self, req: &JsonRpcRequest) -> Result<(Arc<Backend>, String), CallError> {
        let uri = str_member(req, "uri")?.ok_or_else(|| {
            CallError::InvalidParams(format!("{} needs a string `uri`", req.method))
        })?;
        match view(&self.catalog, req).await.resource(&uri) {
            Some(backend) => Ok((backend, uri)),
            None => Err(CallError::UnknownResource(uri)),
        }
    }

    /// The backend is subscribed on the first watcher (always, for a per-session backend:
    /// each client has its own connection there).
    async fn subscribe(&self, req: JsonRpcRequest) -> Result<RawJson, CallError> {
        let (backend, uri) = self.by_uri(&req).await?;
        let Some(session) = req.ctx.session().cloned() else {
            return Err(CallError::InvalidRequest(
                "resources/subscribe needs a session: send initialize first".into(),
            ));
        };
        let first = self.subscriptions.add(backend.alias(), &uri, &session.id);
        if first || backend.is_per_session() {
            if let Err(e) = forward(&backend, req).await {
                self.subscriptions
                    .remove(backend.alias(), &uri, &session.id);
                return Err(e);
            }
        }
        Ok(RawJson::empty_object())
    }

    /// The backend is unsubscribed when its last watcher leaves.
    async fn unsubscribe(&self, req: JsonRpcRequest) -> Result<RawJson, CallError> {
        let (backend, uri) = self.by_uri(&req).await?;
        let Some(session) = req.ctx.session().cloned() else {
            return Ok(RawJson::empty_object());
        };
        let last = self
            .subscriptions
            .remove(backend.alias(), &uri, &session.id);
        if last || backend.is_per_session() {
            forward(&backend, req).await?;
        }
        Ok(RawJson::empty_object())
    }

    /// Forwards a client's `logging/setLevel` to the backends that keep a level per client
    /// (per-session ones); shared backends follow the most verbose level any session asked for
    /// (see `session::log_levels`).
    async fn set_level(&self, req: JsonRpcRequest) -> Result<RawJson, CallError> {
        let mut req = req;
        req.seal();
        for member in self.catalog.members().iter() {
            let backend = &member.backend;
            if backend.is_per_session() && backend.is_up() {
                if let Err(e) = forward(backend, req.clone()).await {
                    debug!(backend = %backend.alias(), error = %e, "logging/setLevel not forwarded");
                }
            }
        }
        Ok(RawJson::empty_object())
    }

    /// `completion/complete` routes by its `ref`: a prompt name or a resource template URI.
    async fn complete(&self, mut req: JsonRpcRequest) -> Result<RawJson, CallError> {
        let reference = member(&req, "ref")?
            .ok_or_else(|| CallError::InvalidParams("completion/complete needs a `ref`".into()))?;
        let reference = RawObject::parse(&reference)
            .map_err(|e| CallError::nested("completion/complete", "ref", e))?;
        let string = |key: &str| {
            reference
                .get(key)
                .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
        };
        let snapshot = view(&self.catalog, &req).await;
        match (string("type").as_deref(), string("name"), string("uri")) {
            (Some("ref/prompt"), Some(name), _) => {
                let route = snapshot.prompt(&name).ok_or(CallError::UnknownName {
                    kind: "prompt",
                    name,
                })?;
                let rewritten = serde_json::json!({ "type": "ref/prompt", "name": &*route.name });
                set_member(&mut req, "ref", to_raw(&rewritten));
                forward(&route.backend, req).await
            }
            (Some("ref/resource"), _, Some(uri)) => {
                let backend = snapshot
                    .resource(&uri)
                    .ok_or(CallError::UnknownResource(uri))?;
                forward(&backend, req).await
            }
            _ => Err(CallError::InvalidParams(
                "`ref` must be a ref/prompt with a name or a ref/resource with a uri".into(),
            )),
        }
    }
}

/// The catalog as the request's session sees it, once its own lists (per-session backends)
/// are refetched after a change it was told of.
async fn view(catalog: &CatalogStore, req: &JsonRpcRequest) -> Arc<catalog::Catalog> {
    let session = req.ctx.session();
    if let Some(session) = session {
        session.lists_settled(FIRST_LIST_WAIT).await;
    }
    catalog.view(session.map(|s| &*s.id))
}

/// Sends a request to a backend's stack; its JSON-RPC error is its answer. The request is
/// marked routed when the future is made, that is when the call is steered (nothing is sent
/// before the future is polled). Not an `async fn`: that would keep two more copies of the
/// request in its state.
fn forward(
    backend: &Arc<Backend>,
    mut req: JsonRpcRequest,
) -> impl Future<Output = Result<RawJson, CallError>> + Send + 'static {
    req.seal();
    req.ctx.route_to(backend.alias(), req.tool.as_ref());
    if let Some(session) = req.ctx.session() {
        session.mark_used(backend.slot());
    }
    let alias = backend.alias().clone();
    backend
        .service()
        .oneshot(req)
        .map(move |answer| match answer {
            Ok(response) => response.outcome.map_err(CallError::Answer),
            Err(source) => Err(CallError::Backend {
                backend: alias,
                source,
            }),
        })
}

/// Points a `tools/call` or `prompts/get` at its route: the backend's own name, and for a
/// tool, its name for the layers and whether a retry is safe.
fn aim(req: &mut JsonRpcRequest, kind: ListKind, route: &Route) {
    set_member(req, "name", raw_string(&route.name));
    if kind == ListKind::Tools {
        req.tool = Some(route.name.clone());
        if route.retry_safe {
            req.retry_safety = RetrySafety::Safe;
        }
    }
}

/// A member of the request's params, raw.
fn member(req: &JsonRpcRequest, key: &str) -> Result<Option<Box<RawValue>>, CallError> {
    if let Some(parsed) = &req.parsed {
        return Ok(parsed.object().get(key).map(RawValue::to_owned));
    }
    let Some(params) = &req.params else {
        return Ok(None);
    };
    let object =
        RawObject::parse_text(params.get()).map_err(|e| CallError::params(&req.method, e))?;
    Ok(object.get(key).map(RawValue::to_owned))
}

/// A string member of the request's params; a member of another type is an error. Read from
/// the params where they lie: this is every `tools/call`'s tool name.
fn str_member(req: &JsonRpcRequest, key: &str) -> Result<Option<String>, CallError> {
    let read = |raw: Option<&RawValue>| match raw {
        None => Ok(None),
        Some(raw) if raw.get() == "null" => Ok(None),
        Some(raw) => serde_json::from_str::<String>(raw.get())
            .map(Some)
            .map_err(|_| {
                CallError::InvalidParams(format!("{}: `{key}` must be a string", req.method))
            }),
    };
    if let Some(parsed) = &req.parsed {
        return read(parsed.object().get(key));
    }
    let Some(params) = &req.params else {
        return Ok(None);
    };
    let object =
        RawObject::parse_text(params.get()).map_err(|e| CallError::params(&req.method, e))?;
    read(object.get(key))
}

/// Rewrites a member of the request's params.
fn set_member(req: &mut JsonRpcRequest, key: &str, value: Box<RawValue>) {
    if let Some(parsed) = &mut req.parsed {
        parsed.set(key, value);
        return;
    }
    if let Some(params) = &req.params {
        if let Ok(mut object) = RawObject::parse_text(params.get()) {
            object.set(key, value);
            req.params = Some(object.to_json());
        }
    }
}

/// The route of an exposed tool name, for callers outside the MCP methods (REST bridge).
pub fn route_tool(catalog: &CatalogStore, exposed: &str) -> Option<Route> {
    catalog.snapshot().tool(exposed)
}
