//! The direct stdio baseline: `mcpmux example-server` driven over its stdin/stdout, with as
//! many requests in flight as the load point's concurrency (one line per message, ids matched).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::client::{EXCHANGE_LIMIT, PROTOCOL_VERSION};
use crate::BoxError;

/// Longest line accepted from the server.
const MAX_LINE: usize = 64 * 1024 * 1024;

type Waiters = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<(), String>>>>>;

/// A running example server and the tasks that feed and read it.
#[derive(Debug)]
pub struct StdioPeer {
    /// Its pid.
    pub pid: u32,
    writer: mpsc::Sender<Vec<u8>>,
    waiters: Waiters,
    next_id: AtomicU64,
    tasks: [JoinHandle<()>; 2],
    _child: Child,
}

#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(default)]
    id: Option<u64>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

// === impl StdioPeer ===

impl StdioPeer {
    /// Starts `mcpmux example-server` and performs the `initialize` handshake.
    pub async fn start(mcpmux: &Path) -> Result<StdioPeer, BoxError> {
        let mut child = Command::new(mcpmux)
            .arg("example-server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_remove("RUST_LOG")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the example server: {e}"))?;
        let pid = child.id().ok_or("the example server exited at once")?;
        let stdin = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (writer, queue) = mpsc::channel(4096);
        let waiters = Waiters::default();
        let tasks = [
            tokio::spawn(write_lines(stdin, queue)),
            tokio::spawn(read_replies(stdout, waiters.clone())),
        ];
        let peer = StdioPeer {
            pid,
            writer,
            waiters,
            next_id: AtomicU64::new(0),
            tasks,
            _child: child,
        };
        let params = format!(
            r#"{{"protocolVersion":"{PROTOCOL_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcpmux-bench","version":"0.1.0"}}}}"#
        );
        peer.request("initialize", &params)
            .await
            .map_err(|e| format!("example server initialize: {e}"))?;
        peer.send(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec())
            .await?;
        Ok(peer)
    }

    /// Sends one request and waits for its result.
    pub async fn request(&self, method: &str, params: &str) -> Result<(), BoxError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, tx);
        let line =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#);
        self.send(line.into_bytes()).await?;
        match tokio::time::timeout(EXCHANGE_LIMIT, rx).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(error.into()),
            Ok(Err(_)) => Err("the example server exited".into()),
            Err(_) => {
                self.lock().remove(&id);
                Err(format!("no reply within {EXCHANGE_LIMIT:?}").into())
            }
        }
    }

    async fn send(&self, mut line: Vec<u8>) -> Result<(), BoxError> {
        line.push(b'\n');
        self.writer
            .send(line)
            .await
            .map_err(|_| "the example server's stdin is closed".into())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Result<(), String>>>> {
        self.waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for StdioPeer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Writes queued lines, batching whatever is queued into one write.
async fn write_lines(mut stdin: ChildStdin, mut queue: mpsc::Receiver<Vec<u8>>) {
    while let Some(mut batch) = queue.recv().await {
        while let Ok(more) = queue.try_recv() {
            batch.extend_from_slice(&more);
        }
        if stdin.write_all(&batch).await.is_err() || stdin.flush().await.is_err() {
            return;
        }
    }
}

/// Reads reply lines and hands each to the request with its id.
async fn read_replies(stdout: ChildStdout, waiters: Waiters) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) if line.len() > MAX_LINE => break,
            Ok(_) => {}
        }
        let Ok(reply) = serde_json::from_slice::<Reply<'_>>(&line) else {
            continue;
        };
        let Some(id) = reply.id else { continue };
        let outcome = match (reply.result, reply.error) {
            (Some(_), None) => Ok(()),
            (_, Some(error)) => Err(format!("error reply: {}", error.get())),
            _ => Err("a reply with neither result nor error".into()),
        };
        let waiter = waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
        if let Some(tx) = waiter {
            let _ = tx.send(outcome);
        }
    }
    // Wake everyone still waiting: their senders are dropped.
    waiters
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
}
