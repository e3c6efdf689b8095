//! stdio backend: a supervised child process speaking newline-delimited JSON-RPC.
//!
//! One process serves every session; concurrent calls are multiplexed with gateway-assigned
//! ids. The supervisor restarts the process with backoff when it exits, and kills its whole
//! process group on shutdown.

use bytes::Bytes;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_util::codec::{FramedRead, LinesCodec};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use super::backoff::Backoff;
use super::error::BackendError;
use super::pending::Pending;
use super::status::{Health, Link, Status};
use super::{answer_server_request, handshake, BackendNotification};
use crate::protocol::jsonrpc::{self, write_notification, write_request, write_response};
use crate::protocol::{Id, JsonRpcRequest, JsonRpcResponse, Message};
use crate::BoxError;

/// Longest line accepted from a backend (64 MiB): a bound, not an expectation.
const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;
/// Messages queued for the child's stdin before senders wait.
const WRITE_QUEUE: usize = 1024;
/// A process that stayed up this long resets the restart backoff.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// How long a stopping process gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Debug, Clone)]
pub struct StdioSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Working directory.
    pub cwd: Option<std::path::PathBuf>,
    /// Limit for spawn + `initialize`.
    pub connect_timeout: Duration,
}

/// The `Service` handle: cheap to clone, shares one supervised process.
#[derive(Clone, Debug)]
pub struct StdioTransport {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    alias: Arc<str>,
    link: watch::Receiver<Link<Conn>>,
}

/// One running process: its stdin queue and its in-flight calls.
#[derive(Debug)]
struct Conn {
    writer: mpsc::Sender<Vec<u8>>,
    pending: Pending,
}

// === impl StdioTransport ===

impl StdioTransport {
    /// Starts the supervisor; the process is spawned in the background.
    pub fn spawn(
        alias: Arc<str>,
        spec: StdioSpec,
        status: watch::Sender<Status>,
        notifications: broadcast::Sender<BackendNotification>,
        shutdown: CancellationToken,
        tasks: &TaskTracker,
    ) -> Self {
        let (link_tx, link_rx) = watch::channel(Link::Starting);
        let supervisor = Supervisor {
            alias: alias.clone(),
            spec,
            link: link_tx,
            status,
            notifications,
            shutdown,
        };
        tasks.spawn(supervisor.run());
        StdioTransport {
            shared: Arc::new(Shared {
                alias,
                link: link_rx,
            }),
        }
    }
}

impl tower::Service<JsonRpcRequest> for StdioTransport {
    type Response = JsonRpcResponse;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<JsonRpcResponse, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Back-pressure is the bounded stdin queue, awaited inside the call.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: JsonRpcRequest) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { shared.call(req).await })
    }
}

impl Shared {
    async fn call(&self, req: JsonRpcRequest) -> Result<JsonRpcResponse, BoxError> {
        self.connection().await?.call(&self.alias, req).await
    }

    /// The live connection, waiting while the process starts; fails fast while it is down.
    async fn connection(&self) -> Result<Arc<Conn>, BoxError> {
        let mut link = self.link.clone();
        let current = link
            .wait_for(|l| !matches!(l, Link::Starting))
            .await
            .map_err(|_| {
                self.unavailable("the gateway is shutting down")
                    .never_sent()
            })?
            .clone();
        match current {
            Link::Up(conn) => Ok(conn),
            Link::Down(reason) => Err(BackendError::Unavailable {
                backend: self.alias.clone(),
                reason,
            }
            .never_sent()),
            Link::Starting => unreachable!("wait_for returned a non-starting link"),
        }
    }

    fn unavailable(&self, reason: &str) -> BackendError {
        BackendError::Unavailable {
            backend: self.alias.clone(),
            reason: reason.into(),
        }
    }
}

/// Cleans up a call whose caller stopped waiting (timeout, client gone): the id is forgotten and
/// the backend is told with `notifications/cancelled`.
struct InFlight<'a> {
    conn: &'a Conn,
    id: i64,
    armed: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed && self.conn.pending.forget(self.id) {
            let params = jsonrpc::to_raw(&serde_json::json!({
                "requestId": self.id,
                "reason": "cancelled by mcpmux: the caller stopped waiting",
            }));
            // Best effort: a full queue means the process is wedged, and the timeout says so.
            let _ = self
                .conn
                .writer
                .try_send(write_notification("notifications/cancelled", Some(&params)));
        }
    }
}

// === impl Supervisor ===

struct Supervisor {
    alias: Arc<str>,
    spec: StdioSpec,
    link: watch::Sender<Link<Conn>>,
    status: watch::Sender<Status>,
    notifications: broadcast::Sender<BackendNotification>,
    shutdown: CancellationToken,
}

impl Supervisor {
    async fn run(self) {
        let mut backoff = Backoff::default();
        let mut generation = 0u64;
        loop {
            self.link.send_replace(Link::Starting);
            self.status.send_modify(|s| s.health = Health::Starting);
            generation += 1;
            let started = Instant::now();
            let reason = match self.run_once(generation).await {
                Ok(reason) => reason,
                Err(reason) => reason,
            };
            if self.shutdown.is_cancelled() {
                self.link
                    .send_replace(Link::Down("the gateway is shutting down".into()));
                return;
            }
            if started.elapsed() >= STABLE_AFTER {
                backoff.reset();
            }
            let delay = backoff.next_delay();
            warn!(backend = %self.alias, reason = %reason, retry_in = ?delay, "stdio backend down; restarting");
            let shown: Arc<str> =
                format!("{reason} (restarting in {:.1}s)", delay.as_secs_f64()).into();
            self.link.send_replace(Link::Down(shown.clone()));
            self.status.send_modify(|s| {
                s.health = Health::Down(shown);
                s.info = None;
                s.attempted = true;
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.shutdown.cancelled() => return,
            }
            self.status.send_modify(|s| s.restarts += 1);
        }
    }

    /// Runs one process to its end; returns why it ended.
    async fn run_once(&self, generation: u64) -> Result<String, String> {
        let mut child = self.spawn_child()?;
        let pid = child.id();
        let stdin = child.stdin.take().ok_or("the child has no stdin")?;
        let stdout = child.stdout.take().ok_or("the child has no stdout")?;
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(log_stderr(self.alias.clone(), stderr));
        }
        let (writer_tx, writer_rx) = mpsc::channel(WRITE_QUEUE);
        let conn = Arc::new(Conn {
            writer: writer_tx,
            pending: Pending::default(),
        });
        tokio::spawn(write_lines(stdin, writer_rx));
        let reader = tokio::spawn(read_lines(
            self.alias.clone(),
            FramedRead::new(stdout, LinesCodec::new_with_max_length(MAX_LINE_BYTES)),
            conn.clone(),
            self.notifications.clone(),
        ));

        let init = tokio::select! {
            r = tokio::time::timeout(self.spec.connect_timeout, handshake::initialize_over(&self.alias, |req| {
                let conn = conn.clone();
                let alias = self.alias.clone();
                async move { conn.call(&alias, req).await }
            })) => r,
            status = child.wait() => {
                return Err(format!("exited during initialize ({})", describe_exit(status)));
            }
            _ = self.shutdown.cancelled() => {
                stop_child(&mut child, pid).await;
                return Ok("shutdown".into());
            }
        };
        let info = match init {
            Ok(Ok(info)) => info,
            Ok(Err(e)) => {
                stop_child(&mut child, pid).await;
                return Err(format!("initialize failed: {e}"));
            }
            Err(_) => {
                stop_child(&mut child, pid).await;
                return Err(format!(
                    "no answer to initialize within {:?}",
                    self.spec.connect_timeout
                ));
            }
        };
        let _ = conn
            .writer
            .send(write_notification("notifications/initialized", None))
            .await;
        info!(backend = %self.alias, pid = ?pid, protocol = %info.protocol_version, "stdio backend up");
        self.link.send_replace(Link::Up(conn.clone()));
        self.status.send_modify(|s| {
            s.health = Health::Up;
            s.info = Some(Arc::new(info));
            s.generation = generation;
            s.attempted = true;
        });

        let ended = tokio::select! {
            status = child.wait() => Ok(format!("exited ({})", describe_exit(status))),
            _ = self.shutdown.cancelled() => {
                stop_child(&mut child, pid).await;
                Ok("shutdown".to_string())
            }
        };
        reader.abort();
        let lost = conn.pending.fail_all();
        if lost > 0 {
            warn!(backend = %self.alias, calls = lost, "stdio backend ended with calls in flight");
        }
        ended
    }

    fn spawn_child(&self) -> Result<Child, String> {
        let (program, args) = self
            .spec
            .argv
            .split_first()
            .ok_or("no command configured")?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        if let Some(cwd) = &self.spec.cwd {
            cmd.current_dir(cwd);
        }
        cmd.spawn()
            .map_err(|e| format!("failed to start `{program}`: {e}"))
    }
}

// === impl Conn ===

impl Conn {
    /// Sends one request on this process and waits for its answer. Used for calls and for the
    /// handshake (before the connection is published); a caller that stops waiting cancels it.
    async fn call(
        &self,
        alias: &Arc<str>,
        req: JsonRpcRequest,
    ) -> Result<JsonRpcResponse, BoxError> {
        let (id, answer) = self.pending.register();
        let mut in_flight = InFlight {
            conn: self,
            id,
            armed: true,
        };
        let line = write_request(&Id::Number(id), &req.method, req.params.as_deref());
        if self.writer.send(line).await.is_err() {
            in_flight.armed = false;
            self.pending.forget(id);
            return Err(BackendError::Unavailable {
                backend: alias.clone(),
                reason: "the process exited before the call was sent".into(),
            }
            .never_sent());
        }
        let outcome = answer.await;
        in_flight.armed = false;
        match outcome {
            Ok(outcome) => Ok(JsonRpcResponse { outcome }),
            Err(_) => Err(Box::new(BackendError::Lost {
                backend: alias.clone(),
                method: req.method.clone(),
                what: "exited".into(),
            })),
        }
    }
}

fn describe_exit(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    }
}

/// SIGTERM to the process group, then SIGKILL after a grace period.
async fn stop_child(child: &mut Child, pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        // SAFETY: killpg only sends a signal; the group id is the child's pid because it was
        // spawned with process_group(0).
        unsafe {
            libc::killpg(pid, libc::SIGTERM);
        }
        if tokio::time::timeout(KILL_GRACE, child.wait()).await.is_ok() {
            // The leader exited; stragglers in the group still get SIGKILL below.
        }
        unsafe {
            libc::killpg(pid, libc::SIGKILL);
        }
    }
    let _ = child.kill().await;
}

async fn write_lines(stdin: ChildStdin, mut rx: mpsc::Receiver<Vec<u8>>) {
    let mut out = BufWriter::new(stdin);
    while let Some(line) = rx.recv().await {
        if out.write_all(&line).await.is_err() || out.write_all(b"\n").await.is_err() {
            return;
        }
        // Let the other ready tasks of this scheduler tick queue their lines first, so a burst
        // of calls becomes one write to the pipe (and one wake-up of the child) instead of
        // one each: the woken writer would otherwise run first and find nothing else queued.
        tokio::task::yield_now().await;
        // Coalesce whatever else is queued into the same flush.
        while let Ok(line) = rx.try_recv() {
            if out.write_all(&line).await.is_err() || out.write_all(b"\n").await.is_err() {
                return;
            }
        }
        if out.flush().await.is_err() {
            return;
        }
    }
}

async fn read_lines(
    alias: Arc<str>,
    mut lines: FramedRead<tokio::process::ChildStdout, LinesCodec>,
    conn: Arc<Conn>,
    notifications: broadcast::Sender<BackendNotification>,
) {
    while let Some(line) = lines.next().await {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                warn!(backend = %alias, error = %e, "unreadable line from stdio backend; skipped");
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        // Owned by `Bytes` so a large result is handed to the client without another copy.
        let line = Bytes::from(line);
        match Message::parse_shared(&line) {
            Ok(Message::Response(resp)) => match resp.id {
                Some(Id::Number(id)) if conn.pending.complete(id, resp.outcome) => {}
                other => {
                    debug!(backend = %alias, id = ?other, "reply to no call in flight (late or cancelled)")
                }
            },
            Ok(Message::Notification(n)) => {
                let _ = notifications.send(Arc::new(n));
            }
            Ok(Message::Request(req)) => {
                let outcome = answer_server_request(&req.method);
                let _ = conn
                    .writer
                    .try_send(write_response(Some(&req.id), &outcome));
            }
            Err(e) => {
                let shown: String = String::from_utf8_lossy(&line).chars().take(200).collect();
                warn!(backend = %alias, error = %e, line = %shown, "stdout line is not JSON-RPC; skipped (servers must log to stderr)");
            }
        }
    }
}

async fn log_stderr(alias: Arc<str>, stderr: tokio::process::ChildStderr) {
    let mut lines = FramedRead::new(stderr, LinesCodec::new_with_max_length(64 * 1024));
    while let Some(line) = lines.next().await {
        match line {
            Ok(line) => info!(target: "mcpmux::backend::stderr", backend = %alias, "{line}"),
            Err(_) => continue,
        }
    }
}
