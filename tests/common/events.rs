//! Reading a reply or GET stream event by event while it is still open, as an MCP client does:
//! needed to answer a server's request in the middle of a call, or to stop reading on purpose.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::Value;

use super::raw::{client, RawSession};

/// How long one event may take to arrive.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(30);

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `id:`, if any.
    pub id: Option<String>,
    /// `retry:`, if any.
    pub retry: Option<u64>,
    /// `data:` lines joined.
    pub data: String,
}

/// An open response, read incrementally.
pub struct Events {
    /// The HTTP status.
    pub status: u16,
    /// `Content-Type` without parameters.
    pub content_type: String,
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: String,
}

impl Events {
    /// POSTs `body` on `session` (accepting JSON and event streams) and opens the reply.
    pub async fn post(session: &RawSession, body: &Value) -> Events {
        let mut request = client()
            .post(&session.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string());
        for (k, v) in session.session_headers() {
            request = request.header(k, v);
        }
        Self::open(request).await
    }

    /// GET on `session`, with `Last-Event-ID` if given.
    pub async fn get(session: &RawSession, last_event_id: Option<&str>) -> Events {
        let mut request = client()
            .get(&session.url)
            .header("accept", "text/event-stream");
        for (k, v) in session.session_headers() {
            request = request.header(k, v);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        Self::open(request).await
    }

    /// Sends `request` and opens its reply.
    pub async fn open(request: reqwest::RequestBuilder) -> Events {
        // No overall timeout: streams stay open as long as the test reads them.
        let response = request
            .timeout(Duration::from_secs(3600))
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        Events {
            status,
            content_type,
            body: response.bytes_stream().boxed(),
            buf: String::new(),
        }
    }

    /// The next event, or `None` when the stream ends.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let raw: String = self.buf.drain(..end + 2).collect();
                let mut event = Event {
                    id: None,
                    retry: None,
                    data: String::new(),
                };
                let mut data = Vec::new();
                let mut any = false;
                for line in raw.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().to_string());
                        any = true;
                    } else if let Some(v) = line.strip_prefix("retry:") {
                        event.retry = v.trim().parse().ok();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push(v.strip_prefix(' ').unwrap_or(v).to_string());
                        any = true;
                    }
                }
                event.data = data.join("\n");
                if any {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(EVENT_DEADLINE, self.body.next())
                .await
                .expect("an event within the deadline")?;
            let chunk = chunk.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next JSON-RPC message (events without data, like the priming event, are skipped),
    /// with its event id.
    pub async fn next_message(&mut self) -> Option<(Option<String>, Value)> {
        while let Some(event) = self.next_event().await {
            if event.data.trim().is_empty() {
                continue;
            }
            let value = serde_json::from_str(&event.data)
                .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", event.data));
            return Some((event.id, value));
        }
        None
    }

    /// The whole body, for a reply that is not an event stream.
    pub async fn rest(mut self) -> String {
        let mut out = std::mem::take(&mut self.buf);
        while let Some(Ok(chunk)) = self.body.next().await {
            out.push_str(&String::from_utf8_lossy(&chunk));
        }
        out
    }

    /// Messages until the response to `id`: (everything before it, the response).
    pub async fn until_response(&mut self, id: u64) -> (Vec<Value>, Value) {
        let mut before = Vec::new();
        while let Some((_, message)) = self.next_message().await {
            if message.get("id") == Some(&Value::from(id))
                && (message.get("result").is_some() || message.get("error").is_some())
            {
                return (before, message);
            }
            before.push(message);
        }
        panic!("the stream ended before the response to {id}; got {before:?}");
    }
}
