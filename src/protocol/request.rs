//! `JsonRpcRequest` / `JsonRpcResponse`: what flows through a backend's tower stack.

use std::sync::Arc;

use http::HeaderMap;
use mcpmux_layers::request::{CallInfo, OutboundHeaders, RetrySafety};
use serde_json::value::RawValue;

use super::jsonrpc::Outcome;

/// A call on its way to one backend: the method and raw params, plus its context.
///
/// Cheap to clone (the retry layer clones it per attempt): params are shared, not copied.
#[derive(Clone, Debug)]
pub struct JsonRpcRequest {
    /// The method, e.g. `tools/call`.
    pub method: Arc<str>,
    /// The params as the backend must see them (names already rewritten).
    pub params: Option<Arc<RawValue>>,
    /// The backend's own name of the tool, for `tools/call`.
    pub tool: Option<Arc<str>>,
    /// Whether a failed attempt may be repeated.
    pub retry_safety: RetrySafety,
    /// The authenticated client principal, if any.
    pub principal: Option<Arc<str>>,
    /// Headers to send to an HTTP backend (auth injection adds here).
    pub headers: HeaderMap,
}

impl JsonRpcRequest {
    /// A request with no context, as the gateway itself sends (catalog fetches, pings).
    pub fn new(method: impl Into<Arc<str>>, params: Option<Box<RawValue>>) -> Self {
        let method: Arc<str> = method.into();
        let retry_safety = if is_safe_method(&method) {
            RetrySafety::Safe
        } else {
            RetrySafety::Unsafe
        };
        JsonRpcRequest {
            method,
            params: params.map(Arc::from),
            tool: None,
            retry_safety,
            principal: None,
            headers: HeaderMap::new(),
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
        self.principal.as_deref()
    }
}

impl OutboundHeaders for JsonRpcRequest {
    fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
}

/// A backend's answer: its result or its JSON-RPC error, with client ids already restored.
#[derive(Debug)]
pub struct JsonRpcResponse {
    /// The result or error object.
    pub outcome: Outcome,
}
