//! Legacy HTTP+SSE backend (MCP 2024-11-05, `transport = "sse"`): a GET opens the event stream,
//! whose `endpoint` event names where to POST messages; answers and everything else the
//! server sends arrive on the stream. Also what a streamable-HTTP URL falls back to when the
//! server answers the streamable probe with 400, 404 or 405 (see `http_auto.rs`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use super::conn::{self, dispatch, Conn, Ended, Linked, Wiring};
use super::http_client::Connector;
use super::pool::Spawner;
use super::sse_limit::EventLimit;
use super::status::Link;
use crate::protocol::{error_codes, ErrorObject, Message};

/// Messages queued for POSTing before senders wait.
const WRITE_QUEUE: usize = 1024;

type HttpClient = Client<Connector, Full<Bytes>>;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct SseSpec {
    /// The SSE endpoint.
    pub url: Uri,
    /// Static headers and credentials, sent with the GET and every POST.
    pub headers: HeaderMap,
    /// Limit for the endpoint event + `initialize`.
    pub connect_timeout: Duration,
    /// Largest event accepted.
    pub max_event_bytes: usize,
}

/// Starts connections of `spec` for a pool.
pub fn spawner(spec: SseSpec, connector: Connector, tasks: &TaskTracker) -> Spawner {
    let tasks = tasks.clone();
    let client: HttpClient = Client::builder(TokioExecutor::new()).build(connector);
    Arc::new(move |wiring: Wiring| {
        let (link_tx, link_rx) = watch::channel(Link::Starting);
        let alias = wiring.backend.alias.clone();
        let spec = spec.clone();
        let client = client.clone();
        tasks.spawn(async move {
            let connect = |wiring: Wiring, link: watch::Sender<Link<Conn>>, generation: u64| {
                let spec = spec.clone();
                let client = client.clone();
                async move { connect_once(&spec, &client, &wiring, &link, generation).await }
            };
            conn::supervise("SSE", wiring, link_tx, connect).await
        });
        Linked::new(alias, link_rx)
    })
}

fn request(
    spec: &SseSpec,
    method: Method,
    uri: &Uri,
    body: Bytes,
) -> Result<http::Request<Full<Bytes>>, String> {
    let mut request = http::Request::builder()
        .method(method.clone())
        .uri(uri.clone())
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let headers = request.headers_mut();
    for (k, v) in &spec.headers {
        headers.insert(k, v.clone());
    }
    if method == Method::GET {
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    } else {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(request)
}

/// The POST endpoint an `endpoint` event names, against the stream's URL.
pub fn resolve_endpoint(base: &Uri, endpoint: &str) -> Option<Uri> {
    let endpoint = endpoint.trim();
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        return endpoint.parse().ok();
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let path = if endpoint.starts_with('/') {
        endpoint.to_string()
    } else {
        let dir = base.path().rsplit_once('/').map_or("", |(d, _)| d);
        format!("{dir}/{endpoint}")
    };
    format!("{scheme}://{authority}{path}").parse().ok()
}

async fn connect_once(
    spec: &SseSpec,
    client: &HttpClient,
    wiring: &Wiring,
    link: &watch::Sender<Link<Conn>>,
    generation: u64,
) -> Ended {
    let alias = wiring.backend.alias.clone();
    let get = match request(spec, Method::GET, &spec.url, Bytes::new()) {
        Ok(get) => get,
        Err(e) => return Ended::Down(format!("bad request to {}: {e}", spec.url)),
    };
    let response = tokio::select! {
        r = tokio::time::timeout(spec.connect_timeout, client.request(get)) => match r {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Ended::Down(format!("cannot open the event stream at {}: {}", spec.url, super::error::chain(&e))),
            Err(_) => return Ended::Down(format!("no answer from {} within {:?}", spec.url, spec.connect_timeout)),
        },
        _ = wiring.shutdown.cancelled() => return Ended::Stopped,
    };
    if response.status() != StatusCode::OK {
        return Ended::Down(format!(
            "{} answered the event stream request with HTTP {}",
            spec.url,
            response.status()
        ));
    }
    let mut events =
        sse_stream::SseStream::new(EventLimit::new(response.into_body(), spec.max_event_bytes));
    // The first thing on the stream names where to POST.
    let endpoint = tokio::select! {
        first = tokio::time::timeout(spec.connect_timeout, async {
            while let Some(event) = events.next().await {
                match event {
                    Ok(e) if e.event.as_deref() == Some("endpoint") => return e.data,
                    Ok(_) => continue,
                    Err(_) => return None,
                }
            }
            None
        }) => first.ok().flatten(),
        _ = wiring.shutdown.cancelled() => return Ended::Stopped,
    };
    let Some(endpoint) = endpoint.and_then(|e| resolve_endpoint(&spec.url, &e)) else {
        return Ended::Down(format!("{} sent no usable `endpoint` event", spec.url));
    };
    let (writer_tx, mut writer_rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    let conn = Arc::new(Conn::new(
        writer_tx,
        wiring.owner.clone(),
        "closed the event stream",
    ));
    // Messages are POSTed in order; a refused request fails its own call at once.
    let writer = {
        let conn = conn.clone();
        let spec = spec.clone();
        let client = client.clone();
        let alias = alias.clone();
        tokio::spawn(async move {
            while let Some(message) = writer_rx.recv().await {
                let bytes = Bytes::from(message);
                let outcome = match request(&spec, Method::POST, &endpoint, bytes.clone()) {
                    Ok(post) => client
                        .request(post)
                        .await
                        .map_err(|e| super::error::chain(&e))
                        .and_then(|r| {
                            if r.status().is_success() {
                                Ok(())
                            } else {
                                Err(format!("HTTP {}", r.status()))
                            }
                        }),
                    Err(e) => Err(e),
                };
                if let Err(why) = outcome {
                    warn!(backend = %alias, reason = %why, "the SSE backend refused a message");
                    if let Ok(Message::Request(r)) = Message::parse(&bytes) {
                        if let crate::protocol::Id::Number(id) = r.id {
                            conn.fail_call(
                                id,
                                ErrorObject::new(
                                    error_codes::BACKEND_UNAVAILABLE,
                                    format!("backend `{alias}` refused the message: {why}"),
                                ),
                            );
                        }
                    }
                }
            }
        })
    };
    let reader_wiring = wiring.clone();
    let reader_conn = conn.clone();
    let reader = tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Ok(e) if matches!(e.event.as_deref(), None | Some("message")) => {
                    if let Some(data) = e.data.filter(|d| !d.is_empty()) {
                        dispatch(&reader_wiring, &reader_conn, &Bytes::from(data));
                    }
                }
                Ok(other) => {
                    debug!(backend = %reader_wiring.backend.alias, event = ?other.event, "event of another kind; skipped");
                    reader_conn.heard_from();
                }
                Err(e) => return format!("the event stream broke: {e}"),
            }
        }
        "closed the event stream".to_string()
    });
    let target = spec.url.to_string();
    conn::serve(
        conn::Serving {
            kind: "SSE",
            target: &target,
            connect_timeout: spec.connect_timeout,
            generation,
            writer,
        },
        wiring,
        link,
        &conn,
        reader,
    )
    .await
}

/// Whether a response body is an event stream.
pub fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Drains a body (so a probe's connection can be reused).
pub async fn drain<B: http_body::Body>(body: B) {
    let _ = body.collect().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_against_the_stream_url() {
        let base: Uri = "http://127.0.0.1:3001/mcp/sse".parse().unwrap();
        assert_eq!(
            resolve_endpoint(&base, "/messages?sessionId=abc")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:3001/messages?sessionId=abc"
        );
        assert_eq!(
            resolve_endpoint(&base, "message?sessionId=1")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:3001/mcp/message?sessionId=1"
        );
        assert_eq!(
            resolve_endpoint(&base, "https://other.example/m")
                .unwrap()
                .to_string(),
            "https://other.example/m"
        );
    }
}
