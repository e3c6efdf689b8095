//! The legacy HTTP+SSE transport (MCP 2024-11-05): `GET /sse` opens the stream and names, in an
//! `endpoint` event, where to POST (`/messages?sessionId=...`); every answer and every message
//! for the client then travels on that one stream. The stream is a [`Link`]: its session lives
//! as long as the stream does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::{Request, Response, StatusCode};
use rand::RngCore;
use tracing::info;

use super::body::{self, Body};
use crate::auth::Principal;
use crate::gateway::link::{Link, LinkReader};
use crate::gateway::Gateway;
use crate::protocol::error_codes::INVALID_REQUEST;
use crate::protocol::ErrorObject;

/// How often an idle stream gets a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// An open stream's link and the principal that opened it.
type Open = (Arc<Link>, Principal);

/// The open SSE streams, by the `sessionId` their endpoint names.
#[derive(Debug, Default)]
pub struct Streams {
    links: Mutex<HashMap<Arc<str>, Open>>,
}

impl Streams {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Open>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Streams open now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `GET /sse`: opens a stream.
pub fn open(gateway: &Gateway, streams: &Arc<Streams>, principal: Principal) -> Response<Body> {
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let id: Arc<str> = raw
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into();
    let (link, reader) = Link::new(gateway, principal.name.clone(), "sse");
    streams.lock().insert(id.clone(), (link.clone(), principal));
    info!(stream = %id, "legacy SSE stream opened");
    let endpoint = Bytes::from(format!(
        "event: endpoint\ndata: /messages?sessionId={id}\n\n"
    ));
    let state = State {
        endpoint: Some(endpoint),
        reader,
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
        shutdown: gateway.shutdown_token().clone(),
        _open: Registered {
            id,
            streams: streams.clone(),
            link,
        },
    };
    super::event_stream::streaming(stream::unfold(state, |mut state| async move {
        let frame = state.next_frame().await?;
        Some((frame, state))
    }))
}

/// `POST /messages?sessionId=...`: one message from the client; its answer goes on the stream.
pub async fn message<B>(
    gateway: &Gateway,
    streams: &Streams,
    principal: &Principal,
    request: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<crate::BoxError>,
{
    let id = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("sessionId=")))
        .map(str::to_string);
    let Some(id) = id else {
        return reject(
            StatusCode::BAD_REQUEST,
            "POST /messages needs ?sessionId= from the endpoint event of GET /sse".into(),
        );
    };
    let link = match streams.lock().get(id.as_str()) {
        Some((link, owner)) if owner == principal => link.clone(),
        _ => {
            return reject(
                StatusCode::NOT_FOUND,
                format!("no open SSE stream has sessionId `{id}`: open one with GET /sse"),
            )
        }
    };
    let (parts, incoming) = request.into_parts();
    let bytes = match body::read_limited(&gateway.config(), &parts.headers, incoming).await {
        Ok(bytes) => bytes,
        Err(response) => return response,
    };
    link.receive(&bytes);
    body::status(StatusCode::ACCEPTED)
}

fn reject(status: StatusCode, message: String) -> Response<Body> {
    body::jsonrpc_error(status, None, ErrorObject::new(INVALID_REQUEST, message))
}

struct State {
    endpoint: Option<Bytes>,
    reader: LinkReader,
    keep_alive: tokio::time::Interval,
    shutdown: tokio_util::sync::CancellationToken,
    _open: Registered,
}

impl State {
    async fn next_frame(&mut self) -> Option<Bytes> {
        if let Some(endpoint) = self.endpoint.take() {
            return Some(endpoint);
        }
        tokio::select! {
            message = self.reader.next() => {
                let message = message?;
                let mut out = Vec::with_capacity(message.len() + 24);
                out.extend_from_slice(b"event: message\ndata: ");
                out.extend_from_slice(&message);
                out.extend_from_slice(b"\n\n");
                Some(Bytes::from(out))
            }
            _ = self.keep_alive.tick() => Some(Bytes::from_static(b": keep-alive\n\n")),
            _ = self.shutdown.cancelled() => None,
        }
    }
}

/// Removes the stream and ends its session when the body is dropped (the client went away).
struct Registered {
    id: Arc<str>,
    streams: Arc<Streams>,
    link: Arc<Link>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.streams.lock().remove(&self.id);
        self.link.close();
        info!(stream = %self.id, "legacy SSE stream closed");
    }
}
