//! One load point: `concurrency` workers calling the echo tool back to back for a fixed time,
//! each on its own keep-alive connection and session (HTTP) or its own in-flight slot (stdio).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::client::{contains, tools_call, McpConn};
use crate::procs;
use crate::stats::{nanos, Latencies};
use crate::stdio::StdioPeer;
use crate::BoxError;

/// The text every call echoes.
pub const ECHO_TEXT: &str = "hello from mcpmux-bench";
/// A bound on calls per worker, besides the time bound.
const MAX_CALLS_PER_WORKER: u64 = 50_000_000;

/// What a load point drives.
#[derive(Debug, Clone)]
pub enum Target {
    /// An MCP streamable-HTTP endpoint (`/mcp`) and the tool name to call there.
    Http {
        /// Where.
        addr: SocketAddr,
        /// `echo` directly, `{alias}__echo` through the gateway.
        tool: Arc<str>,
    },
    /// The example server over stdio, directly.
    Stdio(Arc<StdioPeer>),
}

/// Shape of one load point.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// Workers, each with one request in flight.
    pub concurrency: usize,
    /// Calls made before measuring starts.
    pub warmup: Duration,
    /// How long calls are measured.
    pub duration: Duration,
}

/// What one load point measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Latencies of successful calls started in the measured window.
    pub latencies: Latencies,
    /// Failed calls in the window.
    pub errors: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// From the start of the window until the last call returned.
    pub elapsed: Duration,
    /// CPU time each watched process spent during the window (`None` if it was unreadable).
    pub cpu: Vec<Option<Duration>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    measure_from: Instant,
    end: Instant,
}

#[derive(Debug, Default)]
struct Tally {
    latencies_ns: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

// === impl Outcome ===

impl Outcome {
    /// Two measurements of the same path as one: samples pooled, counts, time and CPU summed.
    pub fn merge(self, other: Outcome) -> Outcome {
        Outcome {
            latencies: self.latencies.merge(other.latencies),
            errors: self.errors + other.errors,
            first_error: self.first_error.or(other.first_error),
            elapsed: self.elapsed + other.elapsed,
            cpu: self
                .cpu
                .iter()
                .zip(&other.cpu)
                .map(|(a, b)| Some((*a)? + (*b)?))
                .collect(),
        }
    }

    /// Successful calls per second.
    pub fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// CPU microseconds per successful call of watched process `i`.
    pub fn cpu_us_per_call(&self, i: usize) -> Option<f64> {
        let cpu = self.cpu.get(i).copied().flatten()?;
        (self.latencies.len() > 0).then(|| cpu.as_secs_f64() * 1e6 / self.latencies.len() as f64)
    }
}

// === impl Tally ===

impl Tally {
    fn fail(&mut self, counted: bool, why: impl FnOnce() -> String) {
        if counted {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(why());
            }
        }
    }
}

/// Runs one load point against `target`, measuring the CPU time of the `watched` pids.
pub async fn run(target: &Target, point: Point, watched: &[u32]) -> Result<Outcome, BoxError> {
    let mut conns = match target {
        Target::Http { addr, .. } => open_sessions(*addr, point.concurrency).await?,
        Target::Stdio(_) => Vec::new(),
    };
    let start = Instant::now();
    let window = Window {
        measure_from: start + point.warmup,
        end: start + point.warmup + point.duration,
    };
    let mut workers = JoinSet::new();
    match target {
        Target::Http { tool, .. } => {
            for conn in conns.drain(..) {
                workers.spawn(http_worker(conn, tool.clone(), window));
            }
        }
        Target::Stdio(peer) => {
            for _ in 0..point.concurrency {
                workers.spawn(stdio_worker(peer.clone(), window));
            }
        }
    }
    tokio::time::sleep_until(window.measure_from.into()).await;
    let before: Vec<Option<Duration>> = watched.iter().map(|p| procs::cpu_time(*p)).collect();
    let mut tallies = Vec::with_capacity(point.concurrency);
    while let Some(joined) = workers.join_next().await {
        let (tally, conn) = joined.map_err(|e| format!("a load worker panicked: {e}"))?;
        tallies.push(tally);
        conns.extend(conn);
    }
    let elapsed = window.measure_from.elapsed();
    let after: Vec<Option<Duration>> = watched.iter().map(|p| procs::cpu_time(*p)).collect();
    // Sessions are closed after the CPU snapshot, so closing them is not counted.
    for mut conn in conns {
        let _ = conn.close_session().await;
    }
    let cpu = before
        .iter()
        .zip(&after)
        .map(|(b, a)| Some(a.as_ref()?.saturating_sub((*b)?)))
        .collect();
    let mut samples = Vec::with_capacity(tallies.iter().map(|t| t.latencies_ns.len()).sum());
    let mut errors = 0;
    let mut first_error = None;
    for tally in tallies {
        samples.extend_from_slice(&tally.latencies_ns);
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    Ok(Outcome {
        latencies: Latencies::new(samples),
        errors,
        first_error,
        elapsed,
        cpu,
    })
}

/// Opens `n` connections, each with its own session.
pub async fn open_sessions(addr: SocketAddr, n: usize) -> Result<Vec<McpConn>, BoxError> {
    let mut opening = JoinSet::new();
    for _ in 0..n {
        opening.spawn(async move {
            let mut conn = McpConn::connect(addr).await?;
            conn.open_session().await?;
            Ok::<_, BoxError>(conn)
        });
    }
    let mut conns = Vec::with_capacity(n);
    while let Some(joined) = opening.join_next().await {
        conns.push(joined.map_err(|e| format!("session setup panicked: {e}"))??);
    }
    Ok(conns)
}

async fn http_worker(
    mut conn: McpConn,
    tool: Arc<str>,
    window: Window,
) -> (Tally, Option<McpConn>) {
    let mut tally = Tally::default();
    for _ in 0..MAX_CALLS_PER_WORKER {
        let t0 = Instant::now();
        if t0 >= window.end {
            break;
        }
        let counted = t0 >= window.measure_from;
        let id = conn.next_id();
        let reply = conn.post(tools_call(id, &tool, ECHO_TEXT)).await;
        let took = t0.elapsed();
        match reply {
            Ok(reply)
                if reply.status.is_success() && contains(&reply.body, ECHO_TEXT.as_bytes()) =>
            {
                if counted {
                    tally.latencies_ns.push(nanos(took));
                }
            }
            Ok(reply) => tally.fail(counted, || {
                format!(
                    "HTTP {}: {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                        .chars()
                        .take(200)
                        .collect::<String>()
                )
            }),
            Err(e) => {
                // The connection is in an unknown state: this worker stops.
                tally.fail(true, || format!("transport: {e}"));
                return (tally, None);
            }
        }
    }
    (tally, Some(conn))
}

async fn stdio_worker(peer: Arc<StdioPeer>, window: Window) -> (Tally, Option<McpConn>) {
    let params = format!(r#"{{"name":"echo","arguments":{{"text":"{ECHO_TEXT}"}}}}"#);
    let mut tally = Tally::default();
    for _ in 0..MAX_CALLS_PER_WORKER {
        let t0 = Instant::now();
        if t0 >= window.end {
            break;
        }
        let counted = t0 >= window.measure_from;
        let result = peer.request("tools/call", &params).await;
        let took = t0.elapsed();
        match result {
            Ok(()) => {
                if counted {
                    tally.latencies_ns.push(nanos(took));
                }
            }
            Err(e) => {
                tally.fail(true, || format!("stdio: {e}"));
                return (tally, None);
            }
        }
    }
    (tally, None)
}
