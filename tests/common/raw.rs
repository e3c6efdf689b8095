//! Raw JSON-RPC over HTTP with `reqwest`: for tests that assert on status codes, headers and
//! error objects exactly as they are on the wire.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde_json::{json, Value};

/// The legacy protocol revision the raw client asks for in `initialize`.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// A loopback HTTP client: no proxy (a developer's `HTTP_PROXY` must not intercept
/// 127.0.0.1), and a per-request timeout so a hung gateway fails the test instead of
/// hanging it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("build reqwest client")
}

/// An HTTP response, fully read.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

// === impl RawResponse ===

impl RawResponse {
    async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("read response body");
        RawResponse {
            status,
            headers,
            body,
        }
    }

    /// A header's value, if present and ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` without parameters (`application/json`, `text/event-stream`).
    pub fn content_type(&self) -> &str {
        self.header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
    }

    /// Every JSON-RPC message in the body: a JSON body (object or batch array), or the
    /// `data:` of each event of an SSE body.
    pub fn messages(&self) -> Vec<Value> {
        if self.content_type() == "text/event-stream" {
            return sse_data(&self.body)
                .iter()
                .filter_map(|data| serde_json::from_str(data).ok())
                .collect();
        }
        match serde_json::from_str(&self.body) {
            Ok(Value::Array(items)) => items,
            Ok(value) => vec![value],
            Err(_) => Vec::new(),
        }
    }

    /// The one JSON-RPC response (a message with `result` or `error`) in the body.
    pub fn message(&self) -> Value {
        let mut responses: Vec<Value> = self
            .messages()
            .into_iter()
            .filter(|m| m.get("result").is_some() || m.get("error").is_some())
            .collect();
        assert_eq!(
            responses.len(),
            1,
            "expected exactly one JSON-RPC response; HTTP {} {:?}: {}",
            self.status,
            self.content_type(),
            self.body
        );
        responses.remove(0)
    }

    /// `error.code` of the one JSON-RPC response, panicking if it is not an error.
    pub fn error_code(&self) -> i64 {
        let message = self.message();
        message["error"]["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("expected a JSON-RPC error, got {message}"))
    }
}

/// The `data` payload of each event in an SSE body (multi-line data joined with `\n`).
pub fn sse_data(body: &str) -> Vec<String> {
    let mut events = Vec::new();
    let mut data: Vec<&str> = Vec::new();
    for line in body.lines().chain(std::iter::once("")) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            if !data.is_empty() {
                events.push(data.join("\n"));
                data.clear();
            }
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    events
}

/// POST `body` to `url` as JSON, accepting JSON or SSE, with extra `headers`.
pub async fn post(
    url: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut request = client()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    RawResponse::read(request.send().await.expect("POST to the gateway")).await
}

/// How an [`http1_post`] body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    ContentLength,
    Chunked,
}

/// POST `body` to `addr` + `path` over a bare HTTP/1.1 connection and return the response's
/// status code and whatever of the response arrived.
///
/// For rejections of large bodies: a server may answer (413) and close before it has read
/// the whole body, which an HTTP client library can report as a broken connection instead of
/// the answer. Here write errors are ignored and the status line is taken from the bytes that
/// did arrive.
pub async fn http1_post(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    framing: Framing,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\nconnection: close\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut wire = Vec::new();
    match framing {
        Framing::ContentLength => {
            head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
            wire.extend_from_slice(head.as_bytes());
            wire.extend_from_slice(body);
        }
        Framing::Chunked => {
            head.push_str("transfer-encoding: chunked\r\n\r\n");
            wire.extend_from_slice(head.as_bytes());
            for chunk in body.chunks(8192) {
                wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                wire.extend_from_slice(chunk);
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(b"0\r\n\r\n");
        }
    }

    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connect to the gateway");
        let (mut reader, mut writer) = stream.split();
        let mut received = Vec::new();
        // Write the request, then wait: the exchange ends when the reader sees the end of
        // the response (or an error), whether or not the server read the whole body.
        let write = async {
            let _ = writer.write_all(&wire).await;
            let _ = writer.flush().await;
            std::future::pending::<()>().await
        };
        let read = async {
            let mut buf = [0u8; 16384];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
        };
        tokio::select! {
            _ = write => {}
            _ = read => {}
        }
        received
    };
    let received = tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .expect("HTTP/1.1 exchange timed out");
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP/1.1 status line in the response: {text:?}"));
    (status, text)
}

/// The text of the first content block of a `tools/call` response, if any.
pub fn tool_text(response: &Value) -> Option<&str> {
    response["result"]["content"][0]["text"].as_str()
}

/// A legacy-era session opened with `initialize` + `notifications/initialized`.
pub struct RawSession {
    pub url: String,
    pub session_id: String,
    pub protocol_version: String,
    pub initialize_result: Value,
    /// Headers sent with every request (e.g. `authorization`).
    pub headers: Vec<(String, String)>,
    next_id: AtomicU64,
}

// === impl RawSession ===

impl RawSession {
    /// Perform the handshake against `url` (the gateway's `/mcp`), asserting the parts of it
    /// that every later request depends on.
    pub async fn initialize(url: &str) -> Self {
        Self::initialize_with(url, Vec::new()).await
    }

    /// Like [`Self::initialize`], sending `headers` with every request of the session.
    pub async fn initialize_with(url: &str, headers: Vec<(String, String)>) -> Self {
        Self::initialize_full(url, json!({}), headers).await
    }

    /// Like [`Self::initialize`], declaring client `capabilities` and sending `headers` with
    /// every request of the session.
    pub async fn initialize_full(
        url: &str,
        capabilities: Value,
        headers: Vec<(String, String)>,
    ) -> Self {
        let init = json!({
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": capabilities,
                "clientInfo": {"name": "mcpmux-raw-test", "version": "0.0.0"}
            }
        });
        let extra: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = post(url, init.to_string(), &extra).await;
        assert_eq!(response.status, 200, "initialize: {}", response.body);
        let session_id = response
            .header("mcp-session-id")
            .unwrap_or_else(|| {
                panic!(
                    "initialize returned no Mcp-Session-Id: {:?}",
                    response.headers
                )
            })
            .to_string();
        let message = response.message();
        assert_eq!(message["id"], json!(0), "initialize response id: {message}");
        let result = message["result"].clone();
        let protocol_version = result["protocolVersion"]
            .as_str()
            .unwrap_or_else(|| panic!("initialize result without protocolVersion: {message}"))
            .to_string();

        let session = RawSession {
            url: url.to_string(),
            session_id,
            protocol_version,
            initialize_result: result,
            headers,
            next_id: AtomicU64::new(1),
        };
        let initialized = session
            .post_json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        assert_eq!(
            initialized.status, 202,
            "notifications/initialized: {}",
            initialized.body
        );
        session
    }

    /// POST any body with this session's headers.
    pub async fn post_raw(&self, body: impl Into<reqwest::Body>) -> RawResponse {
        let mut headers: Vec<(&str, &str)> = vec![
            ("mcp-session-id", &self.session_id),
            ("mcp-protocol-version", &self.protocol_version),
        ];
        headers.extend(self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        post(&self.url, body, &headers).await
    }

    /// The headers of this session, for requests built by hand.
    pub fn session_headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![
            ("mcp-session-id".to_string(), self.session_id.clone()),
            (
                "mcp-protocol-version".to_string(),
                self.protocol_version.clone(),
            ),
        ];
        headers.extend(self.headers.iter().cloned());
        headers
    }

    /// A fresh request id.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// POST a JSON value with this session's headers.
    pub async fn post_json(&self, body: &Value) -> RawResponse {
        self.post_raw(body.to_string()).await
    }

    /// Send a request and return its JSON-RPC response message, asserting HTTP 200 and
    /// that the response carries the request's id.
    pub async fn request(&self, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = self.post_json(&body).await;
        assert_eq!(
            response.status, 200,
            "{method}: HTTP {}: {}",
            response.status, response.body
        );
        let message = response.message();
        assert_eq!(message["id"], json!(id), "{method}: response id: {message}");
        message
    }

    /// `tools/call` and return the JSON-RPC response message.
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Value {
        self.request("tools/call", json!({"name": name, "arguments": arguments}))
            .await
    }

    /// All tool names, following `nextCursor` to the end.
    pub async fn tool_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        for _page in 0..1000 {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let message = self.request("tools/list", params).await;
            let result = &message["result"];
            let tools = result["tools"]
                .as_array()
                .unwrap_or_else(|| panic!("tools/list without tools: {message}"));
            names.extend(
                tools
                    .iter()
                    .map(|t| t["name"].as_str().unwrap_or("").to_string()),
            );
            cursor = result["nextCursor"].as_str().map(str::to_string);
            if cursor.is_none() {
                return names;
            }
        }
        panic!("tools/list did not end after 1000 pages");
    }

    /// `DELETE /mcp` for this session.
    pub async fn delete(&self) -> RawResponse {
        let mut request = client()
            .delete(&self.url)
            .header("mcp-session-id", &self.session_id)
            .header("mcp-protocol-version", &self.protocol_version);
        for (k, v) in &self.headers {
            request = request.header(k, v);
        }
        let response = request.send().await.expect("DELETE /mcp");
        RawResponse::read(response).await
    }
}
