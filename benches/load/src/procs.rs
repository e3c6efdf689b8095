//! Child processes of the benchmark (the fast HTTP backend, gateways, example servers) and what
//! `/proc` says about them: CPU time and resident memory.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

use crate::BoxError;

/// How long a process gets to print its address.
const STARTUP: Duration = Duration::from_secs(30);
/// How long a process gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Lines of a gateway's stderr kept for error messages.
const TAIL_LINES: usize = 20;

/// A child process that is killed when dropped.
#[derive(Debug)]
pub struct Proc {
    /// What it is, for messages.
    pub label: String,
    /// Its pid.
    pub pid: u32,
    /// The address it listens on, if it serves HTTP.
    pub addr: SocketAddr,
    child: Child,
    tail: Arc<Mutex<VecDeque<String>>>,
}

// === impl Proc ===

impl Proc {
    /// Starts `program args` and waits for a `listening addr=HOST:PORT` line on `stream`.
    async fn start(label: &str, mut command: Command, stream: Stream) -> Result<Proc, BoxError> {
        // The benchmark's own RUST_LOG is not the measured process's, unless it was set for
        // it on purpose (`--gateway-env RUST_LOG=...`).
        let set_for_it = command
            .as_std()
            .get_envs()
            .any(|(name, value)| name == "RUST_LOG" && value.is_some());
        command.stdin(Stdio::piped()).kill_on_drop(true);
        if !set_for_it {
            command.env_remove("RUST_LOG");
        }
        match stream {
            Stream::Stdout => command.stdout(Stdio::piped()).stderr(Stdio::null()),
            Stream::Stderr => command.stdout(Stdio::null()).stderr(Stdio::piped()),
        };
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {label}: {e}"))?;
        let pid = child.id().ok_or("the child exited at once")?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (addr_tx, addr_rx) = oneshot::channel();
        match stream {
            Stream::Stdout => {
                let out = child.stdout.take().ok_or("no stdout pipe")?;
                tokio::spawn(drain(out, addr_tx, tail.clone()));
            }
            Stream::Stderr => {
                let out = child.stderr.take().ok_or("no stderr pipe")?;
                tokio::spawn(drain(out, addr_tx, tail.clone()));
            }
        }
        let addr = match tokio::time::timeout(STARTUP, addr_rx).await {
            Ok(Ok(addr)) => addr,
            _ => {
                let _ = child.start_kill();
                let tail = tail_text(&tail);
                return Err(format!(
                    "{label} did not print `listening addr=` within {STARTUP:?}; its output ends with:\n{tail}"
                )
                .into());
            }
        };
        Ok(Proc {
            label: label.into(),
            pid,
            addr,
            child,
            tail,
        })
    }

    /// The last lines the process wrote.
    pub fn tail(&self) -> String {
        tail_text(&self.tail)
    }

    /// Stops the process with SIGTERM (SIGKILL after a grace period), then kills any of its
    /// children that outlived it.
    pub async fn stop(mut self) {
        let children = children_of(self.pid);
        signal(self.pid, libc::SIGTERM);
        if tokio::time::timeout(STOP_GRACE, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        for pid in children {
            // A child still alive after its parent stopped is killed; the pid cannot have been
            // reused in the few milliseconds since it was listed.
            if Path::new(&format!("/proc/{pid}")).exists() {
                signal(pid, libc::SIGKILL);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Reads lines until the first `listening addr=`, then bytes until EOF, keeping the last few
/// lines.
async fn drain(
    out: impl tokio::io::AsyncRead + Unpin,
    addr_tx: oneshot::Sender<SocketAddr>,
    tail: Arc<Mutex<VecDeque<String>>>,
) {
    let mut addr_tx = Some(addr_tx);
    let mut lines = BufReader::new(out).lines();
    while addr_tx.is_some() {
        let Ok(Some(line)) = lines.next_line().await else {
            return;
        };
        // The gateway logs its admin listener (`admin listening addr=`) first.
        let main_listener = !line.contains("admin listening addr=");
        if let Some(rest) = line
            .split("listening addr=")
            .nth(1)
            .filter(|_| main_listener)
        {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            if let (Some(tx), Ok(addr)) = (addr_tx.take(), addr.parse()) {
                let _ = tx.send(addr);
            }
        }
        push_tail(&tail, line);
    }
    // From here on the lines are kept only for an error message. A gateway logs a line per
    // call (its audit line); splitting and copying each one on the driver's runtime, which
    // shares a CPU with the load, made the gateway's log a cost of the driver.
    let mut reader = lines.into_inner();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut unfinished = Vec::new();
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        unfinished.extend_from_slice(&chunk[..n]);
        let Some(end) = unfinished.iter().rposition(|&b| b == b'\n') else {
            if unfinished.len() > chunk.len() {
                unfinished.drain(..unfinished.len() - chunk.len());
            }
            continue;
        };
        let last: Vec<String> = unfinished[..end]
            .rsplit(|&b| b == b'\n')
            .take(TAIL_LINES)
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect();
        for line in last.into_iter().rev() {
            push_tail(&tail, line);
        }
        unfinished.drain(..=end);
    }
}

fn push_tail(tail: &Mutex<VecDeque<String>>, line: String) {
    let mut tail = tail
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    tail.push_back(line);
}

fn tail_text(tail: &Mutex<VecDeque<String>>) -> String {
    let tail = tail
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tail.iter().cloned().collect::<Vec<_>>().join("\n")
}

fn signal(pid: u32, sig: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) has no memory-safety preconditions; a stale pid only yields ESRCH.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Starts the fast HTTP backend: this binary re-executed in its `serve-backend` role.
pub async fn start_http_backend() -> Result<Proc, BoxError> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.arg("serve-backend");
    Proc::start("fast HTTP backend", command, Stream::Stdout).await
}

/// Starts the reference byte relay in front of `upstream`: this binary in its `relay` role.
pub async fn start_relay(
    upstream: std::net::SocketAddr,
    placement: Option<&crate::pin::Placement>,
) -> Result<Proc, BoxError> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.arg("relay").arg(upstream.to_string());
    if let Some(placement) = placement {
        run_on(&mut command, &placement.gateway);
    }
    Proc::start("byte relay", command, Stream::Stdout).await
}

/// Starts `command`'s process on `cpus` (before it runs anything, so all its threads inherit).
fn run_on(command: &mut Command, cpus: &[usize]) {
    let set = crate::pin::set_of(cpus);
    // SAFETY: the closure runs between fork and exec and only makes one system call.
    unsafe {
        command.pre_exec(move || crate::pin::set(0, &set));
    }
}

/// How gateways are started: the binary, where configs go, extra environment.
#[derive(Debug, Clone)]
pub struct GatewayLauncher {
    /// The mcpmux binary.
    pub mcpmux: std::path::PathBuf,
    /// Where config files are written.
    pub dir: std::path::PathBuf,
    /// Extra environment of gateway processes.
    pub env: Vec<(String, String)>,
    /// `--pin`: the gateway's CPUs and everyone else's.
    pub placement: Option<crate::pin::Placement>,
}

/// Starts a gateway on `config` (TOML text), written into the launcher's directory.
pub async fn start_gateway(
    launcher: &GatewayLauncher,
    label: &str,
    config: &str,
) -> Result<Proc, BoxError> {
    let file = launcher.dir.join(format!("{label}.toml"));
    std::fs::write(&file, config)?;
    let mut command = Command::new(&launcher.mcpmux);
    command
        .arg("start")
        .arg("--config")
        .arg(&file)
        .envs(launcher.env.iter().map(|(k, v)| (k, v)));
    let Some(placement) = &launcher.placement else {
        return Proc::start(label, command, Stream::Stderr).await;
    };
    run_on(&mut command, &placement.gateway);
    let gateway = Proc::start(label, command, Stream::Stderr).await?;
    // Its stdio backends started with the gateway's CPU; they belong with the other backends.
    for child in children_of(gateway.pid) {
        crate::pin::move_process(child, &placement.others)
            .map_err(|e| format!("--pin: cannot move {label}'s child {child}: {e}"))?;
    }
    Ok(gateway)
}

/// The header of every gateway config: loopback, a free port, the default log level (so the
/// numbers include what logging costs in a default deployment).
pub fn gateway_config_header(page_size: usize) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = 0\nlog_level = \"info\"\nhot_reload = false\npage_size = {page_size}\n[admin]\nlisten = \"127.0.0.1:0\"\n"
    )
}

// === /proc ===

/// Ticks per second of `utime`/`stime` in `/proc/PID/stat`.
fn clock_ticks() -> u64 {
    // SAFETY: sysconf(3) only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
}

/// User plus system CPU time of all threads of `pid` (`None` once it has exited).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15; `after` starts at field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = clock_ticks();
    Some(Duration::from_nanos(
        (utime + stime).saturating_mul(1_000_000_000 / ticks),
    ))
}

/// CPU time of all live threads of `pid` from the scheduler's nanosecond counters
/// (`/proc/PID/task/*/schedstat`): precise enough for short measurements, but blind to threads
/// that exited in between.
pub fn cpu_time_precise(pid: u32) -> Option<Duration> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += schedstat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

/// A `Vm*` line of `/proc/PID/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// Current resident memory, KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS")
}

/// Peak resident memory, KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM")
}

/// Direct children of `pid`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| parent_of(*child) == Some(pid))
        .collect()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_cpu_and_memory() {
        let me = std::process::id();
        let spin = std::time::Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(cpu_time(me).is_some_and(|t| t > Duration::ZERO));
        assert!(cpu_time_precise(me).is_some_and(|t| t >= Duration::from_millis(20)));
        assert!(rss_kib(me).is_some_and(|k| k > 0));
        // Current first: other test threads may grow RSS between the reads, and the peak
        // (read second) can only have grown since.
        let current = rss_kib(me);
        assert!(peak_rss_kib(me) >= current);
        assert_eq!(parent_of(me), Some(std::os::unix::process::parent_id()));
    }
}
