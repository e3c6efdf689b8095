//! Runs one stdio backend's process: spawn, `initialize`, read and write until it exits or
//! stops answering, then restart with backoff. Everything the process writes that is not an
//! answer the connection waits for goes to the way back.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{mpsc, watch};
use tokio_util::codec::FramedRead;
use tracing::{debug, info, warn};

use super::env::child_env;
use super::lines::{JsonLines, Line};
use super::StdioSpec;
use crate::backend::backoff::Backoff;
use crate::backend::conn::{self, dispatch, Conn, LevelSource, Wiring};
use crate::backend::handshake;
use crate::backend::status::{Health, Link};
use crate::protocol::jsonrpc::{write_notification, NO_PARAMS};

/// Messages queued for the child's stdin before senders wait.
const WRITE_QUEUE: usize = 1024;
/// A process that stayed up this long resets the restart backoff.
const STABLE_AFTER: Duration = Duration::from_secs(10);
/// How long a stopping process gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(2);

pub(super) struct Supervisor {
    spec: StdioSpec,
    wiring: Wiring,
    link: watch::Sender<Link<Conn>>,
}

/// Why a process run ended.
enum Ended {
    /// It exited, failed to start, or was restarted; restart it.
    Down(String),
    /// The gateway is stopping (or the owning session ended).
    Stopped,
}

impl Supervisor {
    pub(super) fn new(spec: StdioSpec, wiring: Wiring, link: watch::Sender<Link<Conn>>) -> Self {
        Supervisor { spec, wiring, link }
    }

    fn alias(&self) -> &Arc<str> {
        &self.wiring.backend.alias
    }

    pub(super) async fn run(self) {
        let mut backoff = Backoff::default();
        let mut generation = 0u64;
        loop {
            self.link.send_replace(Link::Starting);
            self.wiring
                .status
                .send_modify(|s| s.health = Health::Starting);
            generation += 1;
            let started = Instant::now();
            let reason = match self.run_once(generation).await {
                Ended::Down(reason) => reason,
                Ended::Stopped => {
                    self.link
                        .send_replace(Link::Down("the backend is stopping".into()));
                    return;
                }
            };
            if self.wiring.shutdown.is_cancelled() {
                self.link
                    .send_replace(Link::Down("the backend is stopping".into()));
                return;
            }
            if started.elapsed() >= STABLE_AFTER {
                backoff.reset();
            }
            let delay = backoff.next_delay();
            warn!(backend = %self.alias(), reason = %reason, retry_in = ?delay, "stdio backend down; restarting");
            let shown: Arc<str> =
                format!("{reason} (restarting in {:.1}s)", delay.as_secs_f64()).into();
            self.link.send_replace(Link::Down(shown.clone()));
            self.wiring.status.send_modify(|s| {
                s.health = Health::Down(shown);
                s.info = None;
                s.attempted = true;
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.wiring.shutdown.cancelled() => return,
            }
            self.wiring.status.send_modify(|s| s.restarts += 1);
            metrics::counter!(crate::telemetry::metrics::STDIO_RESTARTS, "backend" => self.alias().to_string())
                .increment(1);
        }
    }

    /// Runs one process to its end.
    async fn run_once(&self, generation: u64) -> Ended {
        let mut child = match self.spawn_child() {
            Ok(child) => child,
            Err(reason) => return Ended::Down(reason),
        };
        let pid = child.id();
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            stop_child(&mut child, pid).await;
            return Ended::Down("the child has no stdin or stdout".into());
        };
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(log_stderr(self.alias().clone(), stderr));
        }
        let (writer_tx, writer_rx) = mpsc::channel(WRITE_QUEUE);
        let conn = Arc::new(Conn::new(writer_tx, self.wiring.owner.clone(), "exited"));
        tokio::spawn(write_lines(stdin, writer_rx));
        let reader = tokio::spawn(read_lines(
            self.wiring.clone(),
            FramedRead::new(stdout, JsonLines::new(self.spec.max_line_bytes)),
            conn.clone(),
        ));

        let info = tokio::select! {
            r = tokio::time::timeout(self.spec.connect_timeout, handshake::initialize_over(self.alias(), |req| {
                conn.clone().call(self.alias().clone(), req)
            })) => r,
            status = child.wait() => {
                reader.abort();
                return Ended::Down(format!("exited during initialize ({})", describe_exit(status)));
            }
            _ = self.wiring.shutdown.cancelled() => {
                stop_child(&mut child, pid).await;
                reader.abort();
                return Ended::Stopped;
            }
        };
        let info = match info {
            Ok(Ok(info)) => info,
            failed => {
                stop_child(&mut child, pid).await;
                reader.abort();
                return Ended::Down(match failed {
                    Ok(Err(e)) => format!("initialize failed: {e}"),
                    _ => format!(
                        "no answer to initialize within {:?}",
                        self.spec.connect_timeout
                    ),
                });
            }
        };
        conn.try_send(write_notification("notifications/initialized", NO_PARAMS));
        info!(backend = %self.alias(), pid = ?pid, protocol = %info.protocol_version, "stdio backend up");
        let logs = info.capabilities.logging.is_some();
        self.link.send_replace(Link::Up(conn.clone()));
        self.wiring.status.send_modify(|s| {
            s.health = Health::Up;
            s.info = Some(Arc::new(info));
            s.generation = generation;
            s.attempted = true;
        });

        let ended = self.serve(&mut child, pid, &conn, logs).await;
        reader.abort();
        let lost = conn.fail_all();
        if lost > 0 {
            warn!(backend = %self.alias(), calls = lost, "stdio backend ended with calls in flight");
        }
        ended
    }

    /// Waits for the process to end while keeping its log level in step with the clients'.
    async fn serve(
        &self,
        child: &mut Child,
        pid: Option<u32>,
        conn: &Arc<Conn>,
        logs: bool,
    ) -> Ended {
        let mut level = LevelSource::of(&self.wiring);
        let mut wanted = if logs { level.current() } else { None };
        loop {
            if let Some(l) = wanted.take() {
                conn::set_level(conn, self.alias(), l);
            }
            tokio::select! {
                status = child.wait() => return Ended::Down(format!("exited ({})", describe_exit(status))),
                _ = self.wiring.shutdown.cancelled() => {
                    stop_child(child, pid).await;
                    return Ended::Stopped;
                }
                _ = conn.wedged() => {
                    warn!(backend = %self.alias(), calls = conn::WEDGED_AFTER, "stdio backend stopped answering: calls were abandoned with no output from it; restarting");
                    stop_child(child, pid).await;
                    return Ended::Down("stopped answering (calls timed out with no output)".into());
                }
                _ = self.wiring.restart.notified() => {
                    stop_child(child, pid).await;
                    return Ended::Down("restarted after failed health checks".into());
                }
                next = level.changed(), if logs => wanted = next,
            }
        }
    }

    fn spawn_child(&self) -> Result<Child, String> {
        let (program, args) = self
            .spec
            .argv
            .split_first()
            .ok_or("no command configured")?;
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(child_env(
                std::env::vars_os(),
                self.spec.inherit_env,
                &self.spec.env,
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        cmd.process_group(0);
        #[cfg(target_os = "linux")]
        die_with_the_gateway(&mut cmd);
        if let Some(cwd) = &self.spec.cwd {
            cmd.current_dir(cwd);
        }
        cmd.spawn()
            .map_err(|e| format!("failed to start `{program}`: {e}"))
    }
}

/// A backend process is killed if the gateway dies without stopping it (SIGKILL, the OOM
/// killer): otherwise it would live on, orphaned, holding its resources. The signal follows
/// the thread that spawned the child; spawns happen on runtime worker threads, which live as
/// long as the gateway (never on `spawn_blocking` threads, which come and go).
#[cfg(target_os = "linux")]
fn die_with_the_gateway(cmd: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the child between fork and exec and only makes
    // async-signal-safe calls (getppid, prctl, _exit).
    let gateway = unsafe { libc::getpid() };
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The gateway may have died before the prctl took effect.
            if libc::getppid() != gateway {
                libc::_exit(1);
            }
            Ok(())
        });
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
        // SAFETY: as above.
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
    wiring: Wiring,
    mut lines: FramedRead<ChildStdout, JsonLines>,
    conn: Arc<Conn>,
) {
    let alias = wiring.backend.alias.clone();
    while let Some(line) = lines.next().await {
        let line = match line {
            Ok(Line::Text(line)) => line,
            Ok(Line::Skipped(skip)) => {
                conn.heard_from();
                warn!(backend = %alias, reason = skip.reason(), "unreadable line from stdio backend; skipped, reading on");
                metrics::counter!(crate::telemetry::metrics::STDIO_SKIPPED_LINES, "backend" => alias.to_string(), "reason" => skip.reason())
                    .increment(1);
                continue;
            }
            Err(e) => {
                debug!(backend = %alias, error = %e, "stdout closed");
                return;
            }
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            conn.heard_from();
            continue;
        }
        dispatch(&wiring, &conn, &line);
    }
}

async fn log_stderr(alias: Arc<str>, stderr: tokio::process::ChildStderr) {
    let mut lines = FramedRead::new(stderr, JsonLines::new(64 * 1024));
    while let Some(line) = lines.next().await {
        match line {
            Ok(Line::Text(line)) => {
                info!(target: "mcpmux::backend::stderr", backend = %alias, "{}", String::from_utf8_lossy(&line))
            }
            Ok(Line::Skipped(_)) => continue,
            Err(_) => return,
        }
    }
}
