//! A real streamable-HTTP MCP server built with `rmcp`, used as the gateway's remote backend.
//!
//! It offers:
//! - tool `weather {city}` -> text `sunny in {city}`;
//! - tool `whoami {}` -> text: a JSON object with the `authorization`, `x-test` and
//!   `x-client-only` request headers it received (null when absent);
//! - prompt `summary {topic}` -> one user message `Summarize {topic}`;
//! - resource `remote://status` (text/plain) -> text `remote ok`.
//!
//! The server is rmcp's `StreamableHttpService` (legacy session mode, its defaults) served by
//! hyper on 127.0.0.1:0 in a tokio task, at path `/mcp`.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::{body::Incoming, service::service_fn, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rmcp::{
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
        GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, JsonObject,
        ListPromptsResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams, Prompt,
        PromptArgument, PromptMessage, ReadResourceRequestParams, ReadResourceResponse,
        ReadResourceResult, Resource, ResourceContents, Role, ServerCapabilities, ServerConfig,
        Tool,
    },
    service::RequestContext,
    transport::streamable_http_server::{
        session::local::LocalSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    },
    ErrorData, RoleServer, ServerHandler,
};
use serde_json::{json, Value};
use tokio::{net::TcpListener, task::JoinHandle};

/// URI of the one resource this backend offers.
pub const STATUS_URI: &str = "remote://status";
/// Text of that resource.
pub const STATUS_TEXT: &str = "remote ok";
/// Request headers `whoami` reports.
pub const REPORTED_HEADERS: [&str; 3] = ["authorization", "x-test", "x-client-only"];

/// The MCP behaviour of the remote backend.
#[derive(Debug, Clone, Default)]
pub struct RemoteBackend;

/// A running [`RemoteBackend`] on loopback; the server task stops when this is dropped.
pub struct RmcpBackend {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
}

// === impl RmcpBackend ===

impl RmcpBackend {
    /// Bind 127.0.0.1:0 and serve [`RemoteBackend`] at `/mcp`.
    pub async fn start() -> Self {
        let service: StreamableHttpService<RemoteBackend, LocalSessionManager> =
            StreamableHttpService::new(
                || Ok(RemoteBackend),
                Arc::new(LocalSessionManager::default()),
                StreamableHttpServerConfig::default(),
            );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the rmcp backend");
        let addr = listener.local_addr().expect("rmcp backend address");
        let accept_loop = tokio::spawn(accept_loop(listener, service));
        RmcpBackend { addr, accept_loop }
    }

    /// `http://127.0.0.1:PORT/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }
}

impl Drop for RmcpBackend {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    service: StreamableHttpService<RemoteBackend, LocalSessionManager>,
) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            continue;
        };
        let service = service.clone();
        let hyper_service = service_fn(move |request: Request<Incoming>| {
            let service = service.clone();
            async move { Ok::<_, Infallible>(route(&service, request).await) }
        });
        tokio::spawn(async move {
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), hyper_service)
                .await;
        });
    }
}

async fn route(
    service: &StreamableHttpService<RemoteBackend, LocalSessionManager>,
    request: Request<Incoming>,
) -> Response<BoxBody<Bytes, Infallible>> {
    if request.uri().path() == "/mcp" {
        return service.handle(request).await;
    }
    Response::builder()
        .status(404)
        .body(Full::new(Bytes::from_static(b"not found")).boxed())
        .expect("static 404 response")
}

// === impl RemoteBackend ===

impl RemoteBackend {
    fn tools() -> Vec<Tool> {
        vec![
            Tool::new(
                "weather",
                "Weather for a city",
                object_schema(json!({"city": {"type": "string"}}), &["city"]),
            ),
            Tool::new(
                "whoami",
                "The request headers this backend received",
                object_schema(json!({}), &[]),
            ),
        ]
    }

    fn whoami(context: &RequestContext<RoleServer>) -> String {
        let parts = context.extensions.get::<http::request::Parts>();
        let mut seen = serde_json::Map::new();
        for name in REPORTED_HEADERS {
            let value = parts
                .and_then(|p| p.headers.get(name))
                .and_then(|v| v.to_str().ok())
                .map_or(Value::Null, |v| Value::String(v.to_string()));
            seen.insert(name.to_string(), value);
        }
        Value::Object(seen).to_string()
    }
}

impl ServerHandler for RemoteBackend {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("rmcp-remote-backend", "0.0.0"))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(Self::tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let text = match request.name.as_ref() {
            "weather" => format!("sunny in {}", string_arg(&request.arguments, "city")?),
            "whoami" => Self::whoami(&context),
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool: {other}"),
                    None,
                ))
            }
        };
        Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let summary = Prompt::new(
            "summary",
            Some("Summarize a topic"),
            Some(vec![PromptArgument::new("topic").with_required(true)]),
        );
        Ok(ListPromptsResult::with_all_items(vec![summary]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != "summary" {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt: {}", request.name),
                None,
            ));
        }
        let topic = string_arg(&request.arguments, "topic")?;
        let message = PromptMessage::new_text(Role::User, format!("Summarize {topic}"));
        Ok(GetPromptResult::new(vec![message]).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let status = Resource::new(STATUS_URI, "status").with_mime_type("text/plain");
        Ok(ListResourcesResult::with_all_items(vec![status]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if request.uri != STATUS_URI {
            return Err(ErrorData::resource_not_found(
                format!("no resource {}", request.uri),
                None,
            ));
        }
        Ok(ReadResourceResult::new(vec![ResourceContents::text(STATUS_TEXT, request.uri)]).into())
    }
}

/// `{"type": "object", "properties": ..., "required": [...]}`.
fn object_schema(properties: Value, required: &[&str]) -> JsonObject {
    let schema = json!({"type": "object", "properties": properties, "required": required});
    match schema {
        Value::Object(map) => map,
        _ => unreachable!("built as an object"),
    }
}

fn string_arg(arguments: &Option<JsonObject>, name: &str) -> Result<String, ErrorData> {
    arguments
        .as_ref()
        .and_then(|args| args.get(name))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ErrorData::invalid_params(format!("missing string argument `{name}`"), None))
}
