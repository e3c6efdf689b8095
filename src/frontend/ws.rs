//! The WebSocket frontend at `/ws`: subprotocol `mcp` (selected when offered), one JSON-RPC
//! message per text frame both ways, ping/pong keep-alive, and close codes that say why. The
//! connection is a [`Link`]: its session lives as long as the socket does.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message as Frame};
use tokio_tungstenite::WebSocketStream;
use tracing::{debug, info};

use super::body::Body;
use crate::auth::Principal;
use crate::gateway::link::{Link, LinkReader};
use crate::gateway::Gateway;

/// How often the gateway pings; a peer that has not answered by the next ping is gone.
const PING_EVERY: Duration = Duration::from_secs(30);

/// `GET /ws` with `Upgrade: websocket`: answers 101 and serves the socket in the background.
pub fn upgrade(
    gateway: &Gateway,
    principal: Principal,
    mut request: Request<Incoming>,
) -> Response<Body> {
    let (upgraded, response, _) =
        match super::ws_handshake::accept(&mut request, "/ws", Some("mcp")) {
            Ok(accepted) => accepted,
            Err(refused) => return *refused,
        };
    let gateway = gateway.clone();
    let max = gateway.config().max_body_bytes;
    tokio::spawn(async move {
        match upgraded.await {
            Ok(io) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(max))
                    .max_frame_size(Some(max));
                let socket =
                    WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, Some(config))
                        .await;
                serve(gateway, principal, socket).await;
            }
            Err(e) => debug!(error = %e, "WebSocket upgrade failed"),
        }
    });
    response
}

/// Why the gateway closed a socket.
fn close(code: CloseCode, reason: &str) -> Frame {
    Frame::Close(Some(CloseFrame {
        code,
        reason: reason.to_string().into(),
    }))
}

async fn serve<S>(gateway: Gateway, principal: Principal, socket: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (link, reader) = Link::new(&gateway, principal.name.clone(), "ws");
    info!("WebSocket connection opened");
    let why = run(&gateway, &link, reader, socket).await;
    link.close();
    info!(reason = why, "WebSocket connection closed");
}

async fn run<S>(
    gateway: &Gateway,
    link: &Arc<Link>,
    mut reader: LinkReader,
    socket: WebSocketStream<S>,
) -> &'static str
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut frames) = socket.split();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut answered_ping = true;
    loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(Frame::Text(text))) => link.receive(text.as_bytes()),
                Some(Ok(Frame::Binary(_))) => {
                    let _ = sink.send(close(CloseCode::Unsupported, "binary frames are not MCP: send JSON-RPC as text frames")).await;
                    return "binary frame";
                }
                Some(Ok(Frame::Pong(_))) => answered_ping = true,
                Some(Ok(Frame::Ping(_) | Frame::Frame(_))) => {}
                Some(Ok(Frame::Close(_))) | None => return "closed by the client",
                Some(Err(tungstenite::Error::Capacity(_))) => {
                    let _ = sink.send(close(CloseCode::Size, "frame larger than max_body_bytes")).await;
                    return "frame too large";
                }
                Some(Err(e)) => {
                    debug!(error = %e, "WebSocket read failed");
                    return "read error";
                }
            },
            message = reader.next() => match message {
                Some(message) => {
                    let text = String::from_utf8_lossy(&message).into_owned();
                    if sink.send(Frame::Text(text.into())).await.is_err() {
                        return "write error";
                    }
                }
                None => {
                    let _ = sink.send(close(CloseCode::Normal, "the session ended")).await;
                    return "session ended";
                }
            },
            _ = ping.tick() => {
                if !answered_ping {
                    let _ = sink.send(close(CloseCode::Policy, "no pong to the last ping")).await;
                    return "no pong";
                }
                answered_ping = false;
                if sink.send(Frame::Ping(Vec::new().into())).await.is_err() {
                    return "write error";
                }
            }
            _ = gateway.shutdown_token().cancelled() => {
                let _ = sink.send(close(CloseCode::Away, "the gateway is shutting down")).await;
                return "shutdown";
            }
        }
    }
}
