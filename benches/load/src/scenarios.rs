//! The measurements besides the load matrix: warm `tools/list` of a big catalog, idle memory
//! per session, and the soak. Each starts its own gateway so its numbers are its own.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, StatusCode};
use tokio::task::JoinSet;

use crate::client::{contains, get_status, tools_call, McpConn};
use crate::load::ECHO_TEXT;
use crate::procs::{self, GatewayLauncher, Proc};
use crate::stats::{nanos, Latencies};
use crate::BoxError;

/// How long a gateway gets to become ready (50 backends start in parallel).
const READY_LIMIT: Duration = Duration::from_secs(120);
/// Connections used to open idle sessions.
const SESSION_OPENERS: usize = 16;
/// The tools the example server has before `--tools` adds more (src/example_server/tools.rs);
/// if they drift apart, the list check fails and says how many it got.
const EXAMPLE_SERVER_OWN_TOOLS: usize = 14;
/// Calls per session in the soak before it is closed.
const SOAK_CALLS_PER_SESSION: u64 = 8;
/// Workers in the soak.
pub const SOAK_CONCURRENCY: usize = 32;

/// A stdio backend entry running `mcpmux example-server` with `extra` extra tools.
pub fn stdio_backend(alias: &str, mcpmux: &Path, extra_tools: usize) -> String {
    let program = toml_string(&mcpmux.to_string_lossy());
    let mut entry =
        format!("\n[backends.{alias}]\ncommand = {program}\nargs = [\"example-server\"");
    if extra_tools > 0 {
        entry.push_str(&format!(", \"--tools\", \"{extra_tools}\""));
    }
    entry.push_str("]\n");
    entry
}

/// A streamable-HTTP backend entry.
pub fn http_backend(alias: &str, addr: SocketAddr) -> String {
    format!("\n[backends.{alias}]\nurl = \"http://{addr}/mcp\"\n")
}

/// A TOML basic string (JSON string escapes are valid TOML).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Waits until `/readyz` answers 200.
pub async fn wait_ready(gateway: &Proc) -> Result<(), BoxError> {
    let deadline = Instant::now() + READY_LIMIT;
    loop {
        if let Ok(StatusCode::OK) = get_status(gateway.addr, "/readyz").await {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{} was not ready within {READY_LIMIT:?}; its log ends with:\n{}",
                gateway.label,
                gateway.tail()
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One call of `tool` through `addr`, so a broken setup fails before anything is measured.
pub async fn probe(gateway: &Proc, tool: &str) -> Result<(), BoxError> {
    let mut conn = McpConn::connect(gateway.addr).await?;
    conn.open_session().await?;
    let id = conn.next_id();
    let body = conn
        .request(tools_call(id, tool, ECHO_TEXT))
        .await
        .map_err(|e| format!("probe call of `{tool}` through {}: {e}", gateway.label))?;
    if !contains(&body, ECHO_TEXT.as_bytes()) {
        return Err(format!(
            "probe call of `{tool}` did not echo: {}",
            String::from_utf8_lossy(&body)
        )
        .into());
    }
    conn.close_session().await
}

// === tools/list ===

/// Warm `tools/list` latency of one catalog.
#[derive(Debug, Clone)]
pub struct ListResult {
    /// Backends in the catalog.
    pub backends: usize,
    /// Tools in the catalog.
    pub tools: usize,
    /// Size of one reply.
    pub reply_bytes: usize,
    /// Client-side latency of each timed call (request sent to last byte read).
    pub latencies: Latencies,
    /// Gateway CPU per call, µs.
    pub gateway_cpu_us: f64,
    /// Latency of fetching a reply of the same size from the fast HTTP backend: the floor set by
    /// the HTTP exchange and the driver itself.
    pub transfer_floor: Latencies,
}

/// Starts a gateway with `backends` example servers of `tools / backends` tools each (one page)
/// and times `calls` warm `tools/list` calls.
pub async fn tools_list(
    launcher: &GatewayLauncher,
    floor_server: SocketAddr,
    backends: usize,
    tools: usize,
    calls: usize,
) -> Result<ListResult, BoxError> {
    let per_backend = tools / backends;
    let extra = per_backend
        .checked_sub(EXAMPLE_SERVER_OWN_TOOLS)
        .ok_or("fewer tools per backend than the example server has of its own")?;
    let mut config = procs::gateway_config_header(tools * 2);
    for i in 0..backends {
        config.push_str(&stdio_backend(&format!("b{i:03}"), &launcher.mcpmux, extra));
    }
    let label = format!("gateway-list-{backends}x{per_backend}");
    let gateway = procs::start_gateway(launcher, &label, &config).await?;
    wait_ready(&gateway).await?;
    let expected = backends * per_backend;
    let result = time_lists(&gateway, expected, calls).await;
    gateway.stop().await;
    let (reply_bytes, latencies, gateway_cpu) = result?;
    let transfer_floor = time_blobs(floor_server, reply_bytes, calls).await?;
    Ok(ListResult {
        backends,
        tools: expected,
        reply_bytes,
        latencies,
        gateway_cpu_us: gateway_cpu.as_secs_f64() * 1e6 / calls.max(1) as f64,
        transfer_floor,
    })
}

async fn time_lists(
    gateway: &Proc,
    expected: usize,
    calls: usize,
) -> Result<(usize, Latencies, Duration), BoxError> {
    let mut conn = McpConn::connect(gateway.addr).await?;
    conn.open_session().await?;
    let list = |id: u64| {
        Bytes::from(format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list"}}"#
        ))
    };
    // The catalog fills as backends list; wait (bounded) until it holds every tool.
    let deadline = Instant::now() + READY_LIMIT;
    let reply_bytes = loop {
        let id = conn.next_id();
        let body = conn.request(list(id)).await?;
        let reply: serde_json::Value = serde_json::from_slice(&body)?;
        let listed = reply["result"]["tools"].as_array().map_or(0, Vec::len);
        if listed == expected && reply["result"].get("nextCursor").is_none() {
            break body.len();
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{}: tools/list returned {listed} tools, expected {expected} in one page",
                gateway.label
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for _ in 0..20 {
        let id = conn.next_id();
        conn.request(list(id)).await?;
    }
    let mut samples = Vec::with_capacity(calls);
    let cpu = || procs::cpu_time_precise(gateway.pid).ok_or("the gateway exited");
    let cpu_before = cpu()?;
    for _ in 0..calls {
        let id = conn.next_id();
        let t0 = Instant::now();
        let body = conn.request(list(id)).await?;
        samples.push(nanos(t0.elapsed()));
        // Only the id's digits may differ.
        if body.len().abs_diff(reply_bytes) > 20 {
            return Err("tools/list replies changed size while timing".into());
        }
    }
    let cpu_used = cpu()?.saturating_sub(cpu_before);
    let _ = conn.close_session().await;
    Ok((reply_bytes, Latencies::new(samples), cpu_used))
}

/// Times `calls` fetches of a `bytes`-byte reply from the fast backend.
async fn time_blobs(server: SocketAddr, bytes: usize, calls: usize) -> Result<Latencies, BoxError> {
    let mut conn = McpConn::connect(server).await?;
    let path = format!("/blob/{bytes}");
    let mut samples = Vec::with_capacity(calls);
    for i in 0..calls + 20 {
        let t0 = Instant::now();
        let reply = conn.send(Method::GET, &path, Bytes::new()).await?;
        let took = t0.elapsed();
        if reply.status != StatusCode::OK || reply.body.len() != bytes {
            return Err(format!(
                "GET {path}: HTTP {}, {} bytes",
                reply.status,
                reply.body.len()
            )
            .into());
        }
        if i >= 20 {
            samples.push(nanos(took));
        }
    }
    Ok(Latencies::new(samples))
}

// === idle memory ===

/// Gateway memory with no sessions and after opening idle sessions.
#[derive(Debug, Clone)]
pub struct MemoryResult {
    /// RSS after startup, no sessions, KiB.
    pub idle_kib: u64,
    /// (sessions open, RSS KiB), in increasing order.
    pub with_sessions: Vec<(usize, u64)>,
}

// === impl MemoryResult ===

impl MemoryResult {
    /// KiB per session between none and `sessions`.
    pub fn per_session_kib(&self, sessions: usize) -> Option<f64> {
        let (_, kib) = self.with_sessions.iter().find(|(n, _)| *n == sessions)?;
        Some((*kib as f64 - self.idle_kib as f64) / sessions as f64)
    }
}

/// Starts a gateway with one stdio backend, reads its idle RSS, then opens idle legacy sessions
/// (initialize + initialized, connection closed) up to each of `steps`.
pub async fn idle_memory(
    launcher: &GatewayLauncher,
    steps: &[usize],
) -> Result<MemoryResult, BoxError> {
    let mut config = procs::gateway_config_header(1000);
    config.push_str(&stdio_backend("fast", &launcher.mcpmux, 0));
    let gateway = procs::start_gateway(launcher, "gateway-memory", &config).await?;
    let result = measure_sessions(&gateway, steps).await;
    gateway.stop().await;
    result
}

async fn measure_sessions(gateway: &Proc, steps: &[usize]) -> Result<MemoryResult, BoxError> {
    wait_ready(gateway).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = || procs::rss_kib(gateway.pid).ok_or("the gateway exited");
    let idle_kib = rss()?;
    let mut with_sessions = Vec::new();
    let mut open = 0;
    for &target in steps {
        open_idle_sessions(gateway.addr, target.saturating_sub(open)).await?;
        open = open.max(target);
        tokio::time::sleep(Duration::from_millis(500)).await;
        with_sessions.push((open, rss()?));
    }
    Ok(MemoryResult {
        idle_kib,
        with_sessions,
    })
}

async fn open_idle_sessions(addr: SocketAddr, n: usize) -> Result<(), BoxError> {
    let left = Arc::new(AtomicU64::new(n as u64));
    let mut openers = JoinSet::new();
    for _ in 0..SESSION_OPENERS.min(n) {
        let left = left.clone();
        openers.spawn(async move {
            let mut conn = McpConn::connect(addr).await?;
            while left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(1))
                .is_ok()
            {
                conn.open_session().await?;
            }
            Ok::<_, BoxError>(())
        });
    }
    while let Some(joined) = openers.join_next().await {
        joined.map_err(|e| format!("a session opener panicked: {e}"))??;
    }
    Ok(())
}

// === soak ===

/// What the soak saw.
#[derive(Debug, Clone)]
pub struct SoakResult {
    /// How long it ran.
    pub elapsed: Duration,
    /// Sessions opened (and closed with DELETE).
    pub sessions: u64,
    /// Successful calls.
    pub calls: u64,
    /// Failed calls or session operations.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// RSS when ready, before any load, KiB.
    pub rss_start_kib: u64,
    /// RSS after a tenth of the soak (allocator warm), KiB.
    pub rss_warm_kib: u64,
    /// RSS at the end, KiB.
    pub rss_end_kib: u64,
    /// Largest RSS sampled, KiB.
    pub rss_max_kib: u64,
}

#[derive(Debug, Default)]
struct SoakCounts {
    sessions: AtomicU64,
    calls: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

// === impl SoakCounts ===

impl SoakCounts {
    fn fail(&self, why: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self
            .first_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(why);
    }
}

/// Runs concurrency-32 calls for `duration` through a gateway with an HTTP and a stdio backend,
/// each worker opening a session, calling both backends, and closing it with DELETE.
pub async fn soak(
    launcher: &GatewayLauncher,
    backend: SocketAddr,
    duration: Duration,
) -> Result<SoakResult, BoxError> {
    let mut config = procs::gateway_config_header(1000);
    config.push_str(&http_backend("web", backend));
    config.push_str(&stdio_backend("fast", &launcher.mcpmux, 0));
    let gateway = procs::start_gateway(launcher, "gateway-soak", &config).await?;
    let result = run_soak(&gateway, duration).await;
    gateway.stop().await;
    result
}

async fn run_soak(gateway: &Proc, duration: Duration) -> Result<SoakResult, BoxError> {
    wait_ready(gateway).await?;
    probe(gateway, "web__echo").await?;
    probe(gateway, "fast__echo").await?;
    let rss = || procs::rss_kib(gateway.pid).ok_or("the gateway exited during the soak");
    let rss_start_kib = rss()?;
    let counts = Arc::new(SoakCounts::default());
    let start = Instant::now();
    let end = start + duration;
    let mut workers = JoinSet::new();
    for _ in 0..SOAK_CONCURRENCY {
        workers.spawn(soak_worker(gateway.addr, end, counts.clone()));
    }
    let tenth = duration / 10;
    let mut rss_warm_kib = rss_start_kib;
    let mut rss_max_kib = rss_start_kib;
    let mut tick = 1;
    while Instant::now() < end {
        tokio::time::sleep_until((start + tenth * tick).min(end).into()).await;
        let now = rss()?;
        if tick == 1 {
            rss_warm_kib = now;
        }
        rss_max_kib = rss_max_kib.max(now);
        eprintln!(
            "  soak {:>6.1} s: gateway RSS {now} KiB, {} sessions, {} calls, {} errors",
            start.elapsed().as_secs_f64(),
            counts.sessions.load(Ordering::Relaxed),
            counts.calls.load(Ordering::Relaxed),
            counts.errors.load(Ordering::Relaxed)
        );
        tick += 1;
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| format!("a soak worker panicked: {e}"))?;
    }
    let elapsed = start.elapsed();
    let rss_end_kib = rss()?;
    let first_error = counts
        .first_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    Ok(SoakResult {
        elapsed,
        sessions: counts.sessions.load(Ordering::Relaxed),
        calls: counts.calls.load(Ordering::Relaxed),
        errors: counts.errors.load(Ordering::Relaxed),
        first_error,
        rss_start_kib,
        rss_warm_kib,
        rss_end_kib,
        rss_max_kib: rss_max_kib.max(rss_end_kib),
    })
}

async fn soak_worker(addr: SocketAddr, end: Instant, counts: Arc<SoakCounts>) {
    const TOOLS: [&str; 2] = ["web__echo", "fast__echo"];
    // Bounded by time; the count bound guards against a loop that fails instantly.
    'connections: for _ in 0..10_000 {
        if Instant::now() >= end {
            return;
        }
        let mut conn = match McpConn::connect(addr).await {
            Ok(conn) => conn,
            Err(e) => {
                counts.fail(format!("connect: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        while Instant::now() < end {
            if let Err(e) = conn.open_session().await {
                counts.fail(format!("open session: {e}"));
                continue 'connections;
            }
            counts.sessions.fetch_add(1, Ordering::Relaxed);
            for k in 0..SOAK_CALLS_PER_SESSION {
                let id = conn.next_id();
                let tool = TOOLS[(k % 2) as usize];
                match conn.request(tools_call(id, tool, ECHO_TEXT)).await {
                    Ok(_) => counts.calls.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        counts.fail(format!("{tool}: {e}"));
                        continue 'connections;
                    }
                };
            }
            if let Err(e) = conn.close_session().await {
                counts.fail(format!("DELETE: {e}"));
                continue 'connections;
            }
        }
        return;
    }
}
