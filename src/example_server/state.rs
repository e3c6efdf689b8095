//! What the example server remembers: the client's capabilities and log level, subscriptions,
//! tools added at run time, its own requests to the client waiting for answers, and the calls
//! the client cancelled.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use super::Options;
use crate::protocol::jsonrpc::{to_raw, write_notification, write_request};
use crate::protocol::mcp::LogLevel;
use crate::protocol::{ErrorObject, Id, Notification, Response};

/// The server's state, shared by its request tasks.
pub(super) struct Server {
    pub options: Options,
    out: mpsc::Sender<Vec<u8>>,
    inner: Mutex<Inner>,
    next_id: AtomicI64,
}

#[derive(Default)]
struct Inner {
    client_capabilities: Value,
    level: Option<LogLevel>,
    subscribed: HashSet<String>,
    added_tools: Vec<String>,
    asks: HashMap<i64, oneshot::Sender<Result<Value, ErrorObject>>>,
}

impl Server {
    pub(super) fn new(options: Options, out: mpsc::Sender<Vec<u8>>) -> Self {
        Server {
            options,
            out,
            inner: Mutex::new(Inner::default()),
            next_id: AtomicI64::new(0),
        }
    }

    pub(super) fn set_client_capabilities(&self, caps: &Value) {
        self.lock().client_capabilities = caps.clone();
    }

    pub(super) fn set_level(&self, level: LogLevel) {
        self.lock().level = Some(level);
        eprintln!("example-server: log level {}", level.as_str());
    }

    pub(super) fn subscribe(&self, uri: &str, on: bool) {
        let mut inner = self.lock();
        if on {
            inner.subscribed.insert(uri.to_string());
        } else {
            inner.subscribed.remove(uri);
        }
        eprintln!(
            "example-server: {} {uri}",
            if on { "subscribed" } else { "unsubscribed" }
        );
    }

    /// Every tool, including those added at run time.
    pub(super) fn tools(&self) -> Vec<Value> {
        let added = self.lock().added_tools.clone();
        let mut tools = super::tools::fixed(&self.options);
        tools.extend(added.into_iter().map(|name| {
            json!({ "name": name, "description": "Added at run time", "inputSchema": { "type": "object" } })
        }));
        tools
    }

    /// Adds a tool and tells the client the list changed.
    pub(super) async fn add_tool(&self, name: &str) {
        self.lock().added_tools.push(name.to_string());
        self.notify("notifications/tools/list_changed", json!({}))
            .await;
    }

    /// Sends `notifications/resources/updated` if the client subscribed to `uri`.
    pub(super) async fn touch(&self, uri: &str) -> bool {
        let subscribed = self.lock().subscribed.contains(uri);
        if subscribed {
            self.notify("notifications/resources/updated", json!({ "uri": uri }))
                .await;
        }
        subscribed
    }

    /// Sends a log message if the client's level admits it.
    pub(super) async fn log(&self, level: LogLevel, data: &str) -> bool {
        let wanted = self.lock().level;
        if wanted.is_some_and(|w| level < w) {
            return false;
        }
        self.notify(
            "notifications/message",
            json!({ "level": level.as_str(), "logger": "example", "data": data }),
        )
        .await;
        true
    }

    pub(super) async fn notify(&self, method: &str, params: Value) {
        let _ = self
            .out
            .send(write_notification(method, Some(&to_raw(&params))))
            .await;
    }

    /// Sends a request to the client and waits for its answer.
    pub(super) async fn ask(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        self.lock().asks.insert(id, tx);
        let _ = self
            .out
            .send(write_request(
                &Id::Number(id),
                method,
                Some(&to_raw(&params)),
            ))
            .await;
        rx.await
            .unwrap_or_else(|_| Err(ErrorObject::internal("the server stopped waiting")))
    }

    pub(super) fn answered(&self, response: Response) {
        let Some(Id::Number(id)) = response.id else {
            return;
        };
        let waiting = self.lock().asks.remove(&id);
        if let Some(tx) = waiting {
            let outcome = match response.outcome {
                Ok(result) => serde_json::from_str(result.get())
                    .map_err(|e| ErrorObject::internal(e.to_string())),
                Err(e) => Err(e),
            };
            let _ = tx.send(outcome);
        }
    }

    pub(super) fn notified(&self, n: &Notification) {
        match &*n.method {
            "notifications/cancelled" => {
                let params = n.params.as_deref().map(|p| p.get()).unwrap_or("{}");
                eprintln!("example-server: cancelled {params}");
            }
            "notifications/roots/list_changed" => {
                eprintln!("example-server: roots changed");
            }
            _ => {}
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
