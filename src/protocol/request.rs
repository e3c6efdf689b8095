//! `JsonRpcRequest` / `JsonRpcResponse`: what flows through steer and each backend's tower
//! stack. The request carries its call's context all the way down to the transport.

use std::sync::{Arc, LazyLock};

use http::{HeaderMap, HeaderName, HeaderValue};
use mcpmux_layers::request::{CallInfo, OutboundHeaders, RetrySafety};
use serde_json::value::RawValue;

use super::jsonrpc::Outcome;
use super::{RawJson, RawObject};
use crate::session::CallContext;

/// A call on its way to one backend: the method and raw params, plus its context.
///
/// Cheap to clone (the retry layer clones it per attempt): params and context are shared.
#[derive(Clone, Debug)]
pub struct JsonRpcRequest {
    /// The method, e.g. `tools/call`.
    pub method: Arc<str>,
    /// The params as the backend must see them (names already rewritten).
    pub params: Option<RawJson>,
    /// The client's params, parsed once at the edge for steer to read and rewrite; steer
    /// turns them into `params` before the request enters a backend stack.
    pub parsed: Option<ClientParams>,
    /// The backend's own name of the tool, for `tools/call`.
    pub tool: Option<Arc<str>>,
    /// Whether a failed attempt may be repeated.
    pub retry_safety: RetrySafety,
    /// Headers to send to an HTTP backend (auth injection adds here).
    pub headers: Headers,
    /// The call this request belongs to.
    pub ctx: Arc<CallContext>,
    /// Sent as a notification: no id, no answer awaited (transports answer `{}` at once).
    pub notification: bool,
}

/// A client's params object as read at the edge: the original text, the parsed members, and
/// whether a member was rewritten since.
#[derive(Clone, Debug)]
pub struct ClientParams {
    raw: RawJson,
    object: RawObject,
    changed: bool,
}

impl ClientParams {
    /// Wraps params already parsed from `raw`.
    pub fn new(raw: Box<RawValue>, object: RawObject) -> Self {
        ClientParams {
            raw: RawJson::from(raw),
            object,
            changed: false,
        }
    }

    /// The parsed members.
    pub fn object(&self) -> &RawObject {
        &self.object
    }

    /// Sets a member; the params will be serialised again.
    pub fn set(&mut self, key: &str, value: Box<RawValue>) {
        self.object.set(key, value);
        self.changed = true;
    }

    /// The params as the backend gets them: the client's own bytes when nothing changed.
    pub fn into_raw(self) -> RawJson {
        if self.changed {
            self.object.to_json()
        } else {
            self.raw
        }
    }
}

impl JsonRpcRequest {
    /// A request of the gateway's own (catalog fetches, pings, subscriptions): no client.
    pub fn new(method: impl Into<Arc<str>>, params: Option<Box<RawValue>>) -> Self {
        Self::with_ctx(method, params.map(RawJson::from), CallContext::internal())
    }

    /// A request in the context of `ctx`.
    pub fn with_ctx(
        method: impl Into<Arc<str>>,
        params: Option<RawJson>,
        ctx: Arc<CallContext>,
    ) -> Self {
        let method: Arc<str> = method.into();
        let retry_safety = if is_safe_method(&method) {
            RetrySafety::Safe
        } else {
            RetrySafety::Unsafe
        };
        JsonRpcRequest {
            method,
            params,
            parsed: None,
            tool: None,
            retry_safety,
            headers: Headers::default(),
            ctx,
            notification: false,
        }
    }

    /// A notification to a backend, in the context of `ctx` (which picks the connection).
    pub fn notification(
        method: impl Into<Arc<str>>,
        params: Option<RawJson>,
        ctx: Arc<CallContext>,
    ) -> Self {
        JsonRpcRequest {
            notification: true,
            ..Self::with_ctx(method, params, ctx)
        }
    }

    /// Turns parsed client params into what the backend is sent.
    pub fn seal(&mut self) {
        if let Some(parsed) = self.parsed.take() {
            self.params = Some(parsed.into_raw());
        }
    }
}

/// Methods that only read, and so may be repeated after a failure.
pub fn is_safe_method(method: &str) -> bool {
    matches!(
        method,
        "ping"
            | "tools/list"
            | "prompts/list"
            | "prompts/get"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "completion/complete"
            | "server/discover"
    )
}

impl CallInfo for JsonRpcRequest {
    fn method(&self) -> &str {
        &self.method
    }
    fn tool_name(&self) -> Option<&str> {
        self.tool.as_deref()
    }
    fn retry_safety(&self) -> RetrySafety {
        self.retry_safety
    }
    fn principal(&self) -> Option<&str> {
        self.ctx.principal().map(|p| &**p)
    }
    fn is_internal(&self) -> bool {
        self.ctx.client_id().is_none()
    }
}

impl OutboundHeaders for JsonRpcRequest {
    fn headers_mut(&mut self) -> &mut HeaderMap {
        self.headers.map_mut()
    }
}

/// The headers of a request toward a backend: boxed, and absent until one is set. The request
/// is moved through every layer of a call and cloned by the retry layer; an inline `HeaderMap`
/// made it 96 bytes larger on every call, most of which (stdio backends, HTTP backends without
/// injected credentials) send none.
#[derive(Clone, Debug, Default)]
pub struct Headers(Option<Box<HeaderMap>>);

/// What [`Headers`] reads as while none is set.
static NO_HEADERS: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);

impl Headers {
    /// Sets a header, replacing any of that name.
    pub fn insert(&mut self, name: HeaderName, value: HeaderValue) {
        self.map_mut().insert(name, value);
    }

    /// The map, made on first use.
    pub fn map_mut(&mut self) -> &mut HeaderMap {
        self.0.get_or_insert_with(Box::default)
    }
}

impl std::ops::Deref for Headers {
    type Target = HeaderMap;

    fn deref(&self) -> &HeaderMap {
        self.0.as_deref().unwrap_or(&NO_HEADERS)
    }
}

/// A backend's answer: its result or its JSON-RPC error, with client ids already restored.
#[derive(Debug)]
pub struct JsonRpcResponse {
    /// The result or error object.
    pub outcome: Outcome,
}
