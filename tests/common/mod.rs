//! Shared harness for the integration tests in `tests/`.
//!
//! Every test file does `mod common;` and uses what it needs:
//!
//! - [`GatewayProcess`]: the real `mcpmux` binary started on a config written to a tempdir,
//!   with its stderr captured line by line so tests can assert on log content.
//! - [`config`]: small builders for the TOML snippets the tests put together.
//! - [`raw`]: raw JSON-RPC over HTTP (`reqwest`), for tests that need to see status codes
//!   and headers, including a [`raw::RawSession`] that performs the legacy handshake.
//! - [`rmcp_backend`]: a streamable-HTTP MCP server built with `rmcp`, used as a remote backend.
//! - [`rmcp_client`]: an `rmcp` client over streamable HTTP and helpers to read its results.
//!
//! Synchronisation is always "poll until a condition holds or a generous deadline passes";
//! nothing here sleeps to wait for an event.
#![allow(dead_code)]

pub mod config;
pub mod events;
pub mod in_process;
pub mod node;
pub mod otlp;
pub mod python;
pub mod raw;
pub mod rmcp_backend;
pub mod rmcp_client;
pub mod scrape;
pub mod ws_backend;

use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::{oneshot, watch},
};

/// How long the gateway may take to print its `listening addr=` line.
pub const LISTEN_DEADLINE: Duration = Duration::from_secs(30);
/// How long every backend may take to finish its first connection attempt.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);
/// Generous deadline for anything else that is polled (restarts, log lines).
pub const POLL_DEADLINE: Duration = Duration::from_secs(60);
/// Interval between two polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The marker the gateway prints on stderr once its listener is bound.
const LISTENING_MARKER: &str = "listening addr=";
/// The marker of the admin listener's address (printed before the main one).
const ADMIN_MARKER: &str = "admin listening addr=";

/// Path of the `mcpmux` binary under test.
pub fn mcpmux_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mcpmux")
}

/// The command to put in a backend config to run the built-in example server
/// (`command = <this>`, `args = ["example-server", ...]`).
pub fn example_server_cmd() -> &'static str {
    mcpmux_bin()
}

/// A gateway config in front of the built-in example server as backend `ex` (no health checks,
/// no retries): loopback, a free port, debug logs, `client_request_timeout` as given, and `extra`
/// top-level lines.
pub fn example_gateway_config(client_request_timeout: &str, extra: &str) -> String {
    format!(
        r#"
host = "127.0.0.1"
port = 0
log_level = "debug"
client_request_timeout = "{client_request_timeout}"
{extra}

[backends.ex]
command = "{}"
args = ["example-server"]
health_check_interval = 0
retry = {{ enabled = false }}
"#,
        example_server_cmd()
    )
}

/// Root of the `mcpmux` package (where `Cargo.toml` and `tests/` are).
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `nth` (from 0) fenced block of language `lang` after the README heading `heading`
/// (e.g. `"### Pipelines"`), so tests run the README's examples as written.
pub fn readme_block(heading: &str, lang: &str, nth: usize) -> String {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("read README.md");
    let section = readme
        .split(&format!("\n{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README has a `{heading}` heading"));
    section
        .split(&format!("```{lang}\n"))
        .nth(nth + 1)
        .and_then(|block| block.split("```").next())
        .unwrap_or_else(|| panic!("README `{heading}` has {} ```{lang} block(s)", nth + 1))
        .to_string()
}

/// Runs a README shell block with bash (`-euo pipefail`), `env` set; returns stdout, or
/// panics with everything when it fails.
pub async fn run_script(script: &str, env: &[(&str, &str)]) -> String {
    let output = tokio::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the README block failed ({}):\n{script}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Poll `check` until it returns `Some`, or panic with `what` once `deadline` has passed.
pub async fn poll_until<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() >= give_up {
            panic!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

// === impl GatewayProcess ===

/// A running `mcpmux start --config FILE`, killed when dropped.
pub struct GatewayProcess {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
    stdout: Arc<Mutex<Vec<String>>>,
    /// `true` while the test keeps the gateway's stderr unread (the pipe stays open).
    stderr_paused: watch::Sender<bool>,
    config_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Write `config_toml` to `config.toml` in a fresh tempdir and start the gateway on it.
    pub async fn start(config_toml: &str) -> Self {
        Self::start_with_file("config.toml", config_toml).await
    }

    /// Like [`Self::start`], with the file name chosen by the caller (the extension selects
    /// the format: `.toml`, `.json`, `.yaml`).
    pub async fn start_with_file(file_name: &str, contents: &str) -> Self {
        Self::launch(&["start"], file_name, contents).await
    }

    /// Run `mcpmux SUBCOMMAND... --config FILE` with `contents` written to `file_name`
    /// (an empty `subcommand` runs the default command).
    pub async fn launch(subcommand: &[&str], file_name: &str, contents: &str) -> Self {
        Self::launch_with_env(subcommand, file_name, contents, &[]).await
    }

    /// Like [`Self::start`], with extra environment variables for the gateway process.
    pub async fn start_with_env(config_toml: &str, env: &[(&str, &str)]) -> Self {
        Self::launch_with_env(&["start"], "config.toml", config_toml, env).await
    }

    /// Like [`Self::launch`], with extra environment variables for the gateway process.
    pub async fn launch_with_env(
        subcommand: &[&str],
        file_name: &str,
        contents: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let dir = tempfile::tempdir().expect("create tempdir for the gateway config");
        let config_path = dir.path().join(file_name);
        std::fs::write(&config_path, contents).expect("write gateway config");

        let mut command = Command::new(mcpmux_bin());
        command
            .args(subcommand)
            .arg("--config")
            .arg(&config_path)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        scrub_environment(&mut command);
        // Gateways run side by side in tests: the admin listener takes a free port too
        // (a test's own `admin.listen` or env wins).
        command.env("MCPMUX_ADMIN__LISTEN", "127.0.0.1:0");
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("spawn mcpmux");

        let stderr = Arc::new(Mutex::new(Vec::new()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = oneshot::channel();
        let (stderr_paused, paused) = watch::channel(false);
        tokio::spawn(collect_lines(
            child.stderr.take().expect("piped stderr"),
            stderr.clone(),
            Some(addr_tx),
            Some(paused),
        ));
        tokio::spawn(collect_lines(
            child.stdout.take().expect("piped stdout"),
            stdout.clone(),
            None,
            None,
        ));

        let addr = match tokio::time::timeout(LISTEN_DEADLINE, addr_rx).await {
            Ok(Ok(addr)) => addr,
            Ok(Err(_)) => {
                let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                panic!(
                    "mcpmux closed stderr without a `{LISTENING_MARKER}` line (exit: {status:?}).\n\
                     config:\n{contents}\nstderr:\n{}",
                    join(&stderr)
                );
            }
            Err(_) => panic!(
                "mcpmux printed no `{LISTENING_MARKER}` line within {LISTEN_DEADLINE:?}.\n\
                 config:\n{contents}\nstderr:\n{}",
                join(&stderr)
            ),
        };

        GatewayProcess {
            child,
            addr,
            stderr,
            stdout,
            stderr_paused,
            config_path,
            _dir: dir,
        }
    }

    /// Stops reading the gateway's stderr, keeping the pipe open: once the pipe is full, the
    /// gateway's writes to stderr wait, as behind a log shipper that stalled.
    pub fn pause_stderr(&self) {
        self.stderr_paused.send_replace(true);
    }

    /// Reads the gateway's stderr again after [`Self::pause_stderr`].
    pub fn resume_stderr(&self) {
        self.stderr_paused.send_replace(false);
    }

    /// The admin listener's address (from its `admin listening addr=` log line).
    pub fn admin_addr(&self) -> SocketAddr {
        let logs = self.stderr.lock().unwrap();
        logs.iter()
            .find_map(|l| {
                let at = l.find(ADMIN_MARKER)? + ADMIN_MARKER.len();
                let token: String = l[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
                    .collect();
                token.parse().ok()
            })
            .expect("the gateway logged its admin address")
    }

    /// `http://ADMIN_ADDR`.
    pub fn admin_base(&self) -> String {
        format!("http://{}", self.admin_addr())
    }

    /// Socket address the gateway listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` without a trailing slash.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR/mcp`.
    pub fn url(&self) -> String {
        format!("{}/mcp", self.base())
    }

    /// Path of the config file the gateway was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// Everything the gateway wrote to stderr so far, one line per log line.
    pub fn logs(&self) -> String {
        join(&self.stderr)
    }

    /// Everything the gateway wrote to stdout so far.
    pub fn stdout(&self) -> String {
        join(&self.stdout)
    }

    /// How many stderr lines captured so far contain `needle`.
    pub fn count_log_lines(&self, needle: &str) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Number of stderr lines captured so far (to look only at lines logged after a point).
    pub fn log_line_count(&self) -> usize {
        self.stderr.lock().unwrap().len()
    }

    /// Stderr lines from index `from` on.
    pub fn logs_since(&self, from: usize) -> Vec<String> {
        self.stderr.lock().unwrap()[from..].to_vec()
    }

    /// `GET /readyz`: status code and body (JSON, or `Null` if the body is not JSON).
    pub async fn readyz(&self) -> (u16, serde_json::Value) {
        let response = raw::client()
            .get(format!("{}/readyz", self.base()))
            .send()
            .await
            .expect("GET /readyz");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Poll `GET /readyz` until it answers 200, and return its JSON body.
    pub async fn wait_ready(&self) -> serde_json::Value {
        let give_up = tokio::time::Instant::now() + READY_DEADLINE;
        loop {
            let (status, body) = self.readyz().await;
            if status == 200 {
                return body;
            }
            if tokio::time::Instant::now() >= give_up {
                panic!(
                    "/readyz still {status} after {READY_DEADLINE:?}: {body}\nstderr:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Poll the captured stderr until a line satisfies `pred`; returns that line.
    pub async fn wait_for_log(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let give_up = tokio::time::Instant::now() + POLL_DEADLINE;
        loop {
            if let Some(line) = self.stderr.lock().unwrap().iter().find(|l| pred(l)) {
                return line.clone();
            }
            if tokio::time::Instant::now() >= give_up {
                panic!(
                    "no log line {what} within {POLL_DEADLINE:?}; stderr:\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// The process ids of the gateway's child processes (its stdio backends) now.
    pub fn child_pids(&self) -> Vec<u32> {
        child_pids(self.pid())
    }

    /// Sends SIGTERM without waiting for the exit.
    pub fn signal_terminate(&self) {
        let status = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit.
    pub async fn wait_exit(&mut self, deadline: Duration) -> std::process::ExitStatus {
        tokio::time::timeout(deadline, self.child.wait())
            .await
            .expect("the gateway exits in time")
            .expect("wait for the gateway")
    }

    /// Whether the gateway process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The gateway's process id.
    pub fn pid(&self) -> u32 {
        self.child
            .id()
            .expect("the gateway has not been waited for")
    }

    /// Sends SIGTERM (what Kubernetes sends) and waits for the exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal_terminate();
        self.wait_exit(Duration::from_secs(30)).await
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        // A failing test prints what the gateway said; cargo shows it with the failure.
        if std::thread::panicking() {
            eprintln!("----- mcpmux stderr ({}) -----\n{}", self.addr, self.logs());
            let stdout = self.stdout();
            if !stdout.is_empty() {
                eprintln!("----- mcpmux stdout -----\n{stdout}");
            }
        }
        let _ = self.child.start_kill();
    }
}

/// The children of process `pid`, from `/proc/PID/task/*/children`.
pub fn child_pids(pid: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return pids;
    };
    for task in tasks.flatten() {
        if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                children
                    .split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Keep the child's behaviour independent of the developer's shell: the gateway reads
/// `MCPMUX_*` variables as config overrides and `RUST_LOG` may change its logging.
fn scrub_environment(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("MCPMUX_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
}

/// Read `stream` line by line into `sink`; the first line carrying the listening marker
/// resolves `addr_tx`.
async fn collect_lines(
    stream: impl AsyncRead + Unpin,
    sink: Arc<Mutex<Vec<String>>>,
    mut addr_tx: Option<oneshot::Sender<SocketAddr>>,
    mut paused: Option<watch::Receiver<bool>>,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(addr) = addr_tx.is_some().then(|| listening_addr(&line)).flatten() {
            let _ = addr_tx.take().expect("checked above").send(addr);
        }
        sink.lock().unwrap().push(line);
        if let Some(paused) = paused.as_mut() {
            // A dropped sender (the process handle is gone) ends the pause.
            let _ = paused.wait_for(|paused| !paused).await;
        }
    }
}

/// The address in a line like `... listening addr=127.0.0.1:4242 ...`.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    if line.contains(ADMIN_MARKER) {
        return None;
    }
    let rest = &line[line.find(LISTENING_MARKER)? + LISTENING_MARKER.len()..];
    // Text logs end the address with a space, JSON logs with a quote.
    let token: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    token.parse().ok()
}

fn join(lines: &Mutex<Vec<String>>) -> String {
    lines.lock().unwrap().join("\n")
}
