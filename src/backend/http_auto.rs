//! A `url` backend whose transport is not named: the backwards-compatible probe of the MCP
//! transport spec. A streamable-HTTP `initialize` POST is tried first; a server that answers it
//! with 400, 404 or 405 but serves an event stream on GET is an old HTTP+SSE server, and is
//! spoken to that way. Until the probe decides, calls wait (or fail fast, saying why, while the
//! server cannot be reached).

use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::info;

use super::backoff::Backoff;
use super::error::BackendError;
use super::http_client::Connector;
use super::status::{Health, Status};
use super::{sse, BackendService};
use crate::protocol::jsonrpc::write_request;
use crate::protocol::{Id, JsonRpcRequest, JsonRpcResponse};
use crate::BoxError;

/// What the probe found.
#[derive(Clone)]
enum Choice {
    Probing,
    Down(Arc<str>),
    // The transport is in `Probed::chosen`.
    Chosen,
}

/// Which transport a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoken {
    /// Streamable HTTP.
    Streamable,
    /// The old HTTP+SSE transport.
    LegacySse,
}

/// The service in front of whichever transport the probe picks.
pub struct AutoHttp {
    probed: Arc<Probed>,
    // The chosen transport, cloned by `poll_ready` once the probe has decided, and taken by
    // `call`: a decided backend's call is the transport's own, with no wait or box around it.
    ready: Option<BackendService>,
}

/// What every clone of an [`AutoHttp`] shares.
struct Probed {
    alias: Arc<str>,
    // Set once, when the probe decides; read on every call without a lock.
    chosen: OnceLock<BackendService>,
    // For calls made while the probe is still deciding (or the server is down).
    choice: watch::Receiver<Choice>,
}

impl Clone for AutoHttp {
    fn clone(&self) -> Self {
        // A clone has not been polled ready.
        AutoHttp {
            probed: self.probed.clone(),
            ready: None,
        }
    }
}

/// Builds the chosen transport (once).
pub type Build = Box<dyn FnOnce(Spoken) -> BackendService + Send>;

impl AutoHttp {
    /// Starts probing `url` in the background; `build` makes the transport it decides on.
    pub fn spawn(
        alias: Arc<str>,
        url: Uri,
        headers: HeaderMap,
        connector: Connector,
        status: watch::Sender<Status>,
        shutdown: CancellationToken,
        build: Build,
    ) -> AutoHttp {
        let (tx, rx) = watch::channel(Choice::Probing);
        let probed = Arc::new(Probed {
            alias: alias.clone(),
            chosen: OnceLock::new(),
            choice: rx,
        });
        let task_alias = alias;
        let task_probed = probed.clone();
        tokio::spawn(async move {
            let client: Client<Connector, Full<Bytes>> =
                Client::builder(TokioExecutor::new()).build(connector);
            let mut backoff = Backoff::default();
            loop {
                let probed = tokio::select! {
                    p = probe(&client, &url, &headers) => p,
                    _ = shutdown.cancelled() => return,
                };
                match probed {
                    Ok(spoken) => {
                        if spoken == Spoken::LegacySse {
                            info!(backend = %task_alias, url = %url, "the server speaks the old HTTP+SSE transport; using it");
                        }
                        // Before the watch: a call woken by it finds the transport set.
                        let _ = task_probed.chosen.set(build(spoken));
                        tx.send_replace(Choice::Chosen);
                        return;
                    }
                    Err(reason) => {
                        let reason: Arc<str> = reason.into();
                        status.send_modify(|s| {
                            s.health = Health::Down(reason.clone());
                            s.attempted = true;
                        });
                        tx.send_replace(Choice::Down(reason));
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(backoff.next_delay()) => {}
                    _ = shutdown.cancelled() => return,
                }
            }
        });
        AutoHttp {
            probed,
            ready: None,
        }
    }
}

/// POSTs an `initialize`; on 400/404/405, checks for an event stream on GET.
pub async fn probe(
    client: &Client<Connector, Full<Bytes>>,
    url: &Uri,
    headers: &HeaderMap,
) -> Result<Spoken, String> {
    let init = super::handshake::initialize_params();
    let body = write_request(&Id::Number(0), &init.method, init.params.as_ref());
    let mut post = http::Request::builder()
        .method(Method::POST)
        .uri(url.clone())
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    for (k, v) in headers {
        post.headers_mut().insert(k, v.clone());
    }
    post.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    post.headers_mut().insert(
        ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );
    let response = tokio::time::timeout(Duration::from_secs(10), client.request(post))
        .await
        .map_err(|_| format!("no answer from {url} within 10s"))?
        .map_err(|e| format!("cannot reach {url}: {}", super::error::chain(&e)))?;
    let status = response.status();
    let session = response.headers().get("mcp-session-id").cloned();
    sse::drain(response.into_body()).await;
    if !matches!(
        status,
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    ) {
        // Streamable (or failing in a way its own transport will report). The probe's session
        // is not used: end it.
        if let Some(session) = session {
            if let Ok(mut delete) = http::Request::builder()
                .method(Method::DELETE)
                .uri(url.clone())
                .body(Full::new(Bytes::new()))
            {
                for (k, v) in headers {
                    delete.headers_mut().insert(k, v.clone());
                }
                delete.headers_mut().insert("mcp-session-id", session);
                let _ = tokio::time::timeout(Duration::from_secs(2), client.request(delete)).await;
            }
        }
        return Ok(Spoken::Streamable);
    }
    let mut get = http::Request::builder()
        .method(Method::GET)
        .uri(url.clone())
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    for (k, v) in headers {
        get.headers_mut().insert(k, v.clone());
    }
    get.headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    let legacy = match tokio::time::timeout(Duration::from_secs(10), client.request(get)).await {
        // The stream is dropped unread: the SSE transport opens its own.
        Ok(Ok(r)) => r.status() == StatusCode::OK && sse::is_event_stream(r.headers()),
        _ => false,
    };
    Ok(if legacy {
        Spoken::LegacySse
    } else {
        Spoken::Streamable
    })
}

impl tower::Service<JsonRpcRequest> for AutoHttp {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        if self.ready.is_none() {
            self.ready = self.probed.chosen.get().cloned();
        }
        match &mut self.ready {
            Some(service) => service.poll_ready(cx),
            // Still probing: `call` waits for the decision.
            None => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        if let Some(mut service) = self.ready.take() {
            return service.call(req);
        }
        let probed = self.probed.clone();
        let mut choice = probed.choice.clone();
        Box::pin(async move {
            let alias = &probed.alias;
            let current = choice
                .wait_for(|c| !matches!(c, Choice::Probing))
                .await
                .map_err(|_| {
                    BackendError::Unavailable {
                        backend: alias.clone(),
                        reason: "the gateway is shutting down".into(),
                    }
                    .never_sent()
                })?
                .clone();
            match current {
                Choice::Chosen => {
                    let service = probed
                        .chosen
                        .get()
                        .cloned()
                        .expect("the probe sets the transport before it says Chosen");
                    service.oneshot(req).await
                }
                Choice::Down(reason) => Err(BackendError::Unavailable {
                    backend: alias.clone(),
                    reason,
                }
                .never_sent()),
                Choice::Probing => unreachable!("wait_for returned a decided choice"),
            }
        })
    }
}
