//! A minimal MCP streamable-HTTP client (legacy era) on one keep-alive HTTP/1.1 connection.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::BoxError;

/// The protocol revision the client asks for.
pub const PROTOCOL_VERSION: &str = "2025-11-25";
/// Any single exchange taking longer than this fails the caller.
pub const EXCHANGE_LIMIT: Duration = Duration::from_secs(30);

const SESSION_ID: &str = "mcp-session-id";
const ACCEPT_BOTH: HeaderValue = HeaderValue::from_static("application/json, text/event-stream");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// One connection, optionally in a session.
#[derive(Debug)]
pub struct McpConn {
    sender: SendRequest<Full<Bytes>>,
    host: HeaderValue,
    session: Option<HeaderValue>,
    next_id: u64,
    driver: JoinHandle<()>,
}

/// A reply: status, session id header (if any) and body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// `Mcp-Session-Id`, if the server set one.
    pub session: Option<HeaderValue>,
    /// The whole body.
    pub body: Bytes,
}

// === impl McpConn ===

impl McpConn {
    /// Opens a connection (no session yet).
    pub async fn connect(addr: SocketAddr) -> Result<McpConn, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(McpConn {
            sender,
            host: HeaderValue::from_str(&addr.to_string())?,
            session: None,
            next_id: 0,
            driver,
        })
    }

    /// A fresh request id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends one request to `path` and reads the whole reply.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<Reply, BoxError> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(Full::new(body))?;
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, JSON);
        headers.insert(ACCEPT, ACCEPT_BOTH);
        if let Some(session) = &self.session {
            headers.insert(SESSION_ID, session.clone());
            headers.insert(
                "mcp-protocol-version",
                HeaderValue::from_static(PROTOCOL_VERSION),
            );
        }
        let exchange = async {
            self.sender.ready().await?;
            let response = self.sender.send_request(request).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, BoxError>(Reply {
                status: parts.status,
                session: parts.headers.get(SESSION_ID).cloned(),
                body,
            })
        };
        tokio::time::timeout(EXCHANGE_LIMIT, exchange)
            .await
            .map_err(|_| format!("no reply within {EXCHANGE_LIMIT:?}"))?
    }

    /// POSTs a JSON-RPC message to `/mcp`.
    pub async fn post(&mut self, body: Bytes) -> Result<Reply, BoxError> {
        self.send(Method::POST, "/mcp", body).await
    }

    /// `initialize` + `notifications/initialized`: afterwards every POST carries the session.
    pub async fn open_session(&mut self) -> Result<(), BoxError> {
        self.session = None;
        let id = self.next_id();
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcpmux-bench","version":"0.1.0"}}}}}}"#
        );
        let reply = self.post(Bytes::from(body)).await?;
        if reply.status != StatusCode::OK || !contains(&reply.body, b"\"result\"") {
            return Err(reply.failure("initialize").into());
        }
        self.session = Some(
            reply
                .session
                .ok_or("initialize returned no Mcp-Session-Id")?,
        );
        let reply = self
            .post(Bytes::from_static(
                br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            ))
            .await?;
        if reply.status != StatusCode::ACCEPTED {
            return Err(reply.failure("notifications/initialized").into());
        }
        Ok(())
    }

    /// DELETEs the session.
    pub async fn close_session(&mut self) -> Result<(), BoxError> {
        let reply = self.send(Method::DELETE, "/mcp", Bytes::new()).await?;
        self.session = None;
        if !reply.status.is_success() {
            return Err(reply.failure("DELETE").into());
        }
        Ok(())
    }

    /// A JSON-RPC request whose reply must be a result (not an error) with status 200.
    pub async fn request(&mut self, body: Bytes) -> Result<Bytes, BoxError> {
        let reply = self.post(body).await?;
        if reply.status != StatusCode::OK || !contains(&reply.body, b"\"result\"") {
            return Err(reply.failure("request").into());
        }
        Ok(reply.body)
    }
}

impl Drop for McpConn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

// === impl Reply ===

impl Reply {
    fn failure(&self, what: &str) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(300).collect();
        format!("{what}: HTTP {}: {body}", self.status)
    }
}

/// A `tools/call` of `tool` with `{"text": text}`.
pub fn tools_call(id: u64, tool: &str, text: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{{"text":"{text}"}}}}}}"#
    ))
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// GETs `path` on a fresh connection and returns the status.
pub async fn get_status(addr: SocketAddr, path: &str) -> Result<StatusCode, BoxError> {
    let mut conn = McpConn::connect(addr).await?;
    Ok(conn.send(Method::GET, path, Bytes::new()).await?.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_call_and_finds_substrings() {
        let body = tools_call(7, "web__echo", "hi");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["params"]["name"], "web__echo");
        assert_eq!(v["params"]["arguments"]["text"], "hi");
        assert!(contains(b"{\"result\":1}", b"\"result\""));
        assert!(!contains(b"{\"error\":1}", b"\"result\""));
    }
}
