//! WebSocket backend (`transport = "ws"`, `ws://` or `wss://`): one JSON-RPC message per text
//! frame, subprotocol `mcp`, the backend's headers and credentials on the upgrade request.
//! The supervisor reconnects with backoff; calls in flight when the socket drops fail at once
//! with an error that says the connection closed.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::HeaderMap;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::Connector;
use tokio_util::task::TaskTracker;
use tracing::warn;

use super::conn::{self, dispatch, Conn, Ended, Linked, Wiring};
use super::pool::Spawner;
use super::status::Link;

/// Messages queued for the socket before senders wait.
const WRITE_QUEUE: usize = 1024;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct WsSpec {
    /// `ws://` or `wss://` URL.
    pub url: String,
    /// Static headers and credentials for the upgrade request.
    pub headers: HeaderMap,
    /// Limit for connecting + `initialize`.
    pub connect_timeout: Duration,
    /// Largest message accepted.
    pub max_message_bytes: usize,
}

/// Starts connections of `spec` for a pool.
pub fn spawner(spec: WsSpec, tasks: &TaskTracker) -> Spawner {
    let tasks = tasks.clone();
    Arc::new(move |wiring: Wiring| {
        let (link_tx, link_rx) = watch::channel(Link::Starting);
        let alias = wiring.backend.alias.clone();
        let spec = spec.clone();
        tasks.spawn(async move {
            let connect = |wiring: Wiring, link: watch::Sender<Link<Conn>>, generation: u64| {
                let spec = spec.clone();
                async move { connect_once(&spec, &wiring, &link, generation).await }
            };
            conn::supervise("WebSocket", wiring, link_tx, connect).await
        });
        Linked::new(alias, link_rx)
    })
}

/// The TLS setup of `wss://` backends: rustls with ring and the webpki roots, as for HTTP.
fn tls() -> Result<Connector, String> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("TLS setup failed: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

async fn connect_once(
    spec: &WsSpec,
    wiring: &Wiring,
    link: &watch::Sender<Link<Conn>>,
    generation: u64,
) -> Ended {
    let mut request = match spec.url.as_str().into_client_request() {
        Ok(request) => request,
        Err(e) => return Ended::Down(format!("url `{}`: {e}", spec.url)),
    };
    for (name, value) in &spec.headers {
        request.headers_mut().insert(name, value.clone());
    }
    request.headers_mut().insert(
        "sec-websocket-protocol",
        http::HeaderValue::from_static("mcp"),
    );
    let connector = match tls() {
        Ok(connector) => connector,
        Err(e) => return Ended::Down(e),
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(spec.max_message_bytes))
        .max_frame_size(Some(spec.max_message_bytes));
    let connecting = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(config),
        true,
        Some(connector),
    );
    let socket = tokio::select! {
        connected = tokio::time::timeout(spec.connect_timeout, connecting) => match connected {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(e)) => return Ended::Down(format!("cannot connect to {}: {e}", spec.url)),
            Err(_) => return Ended::Down(format!("no connection to {} within {:?}", spec.url, spec.connect_timeout)),
        },
        _ = wiring.shutdown.cancelled() => return Ended::Stopped,
    };
    let (mut sink, mut frames) = socket.split();
    let (writer_tx, mut writer_rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    let conn = Arc::new(Conn::new(
        writer_tx,
        wiring.owner.clone(),
        "closed the connection",
    ));
    let writer = tokio::spawn(async move {
        while let Some(message) = writer_rx.recv().await {
            // The queue holds the gateway's own JSON, always UTF-8: no copy.
            let text = String::from_utf8(message)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            if sink.send(Frame::Text(text.into())).await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    });
    let reader_wiring = wiring.clone();
    let reader_conn = conn.clone();
    let reader = tokio::spawn(async move {
        while let Some(frame) = frames.next().await {
            match frame {
                Ok(Frame::Text(text)) => dispatch(
                    &reader_wiring,
                    &reader_conn,
                    &bytes::Bytes::from(text.as_bytes().to_vec()),
                ),
                Ok(Frame::Binary(_)) => {
                    warn!(backend = %reader_wiring.backend.alias, "binary frame from a WebSocket backend; skipped (MCP is text)");
                    reader_conn.heard_from();
                }
                Ok(Frame::Close(frame)) => {
                    return frame.map_or_else(
                        || "closed the connection".to_string(),
                        |f| format!("closed the connection ({}: {})", f.code, f.reason),
                    );
                }
                Ok(_) => reader_conn.heard_from(),
                Err(e) => return format!("connection failed: {e}"),
            }
        }
        "closed the connection".to_string()
    });
    conn::serve(
        conn::Serving {
            kind: "WebSocket",
            target: &spec.url,
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
