//! Command-line options of the load benchmark.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

/// End-to-end load benchmark of mcpmux: the gateway against the same backends driven directly,
/// in one run, with the performance targets of the README.
#[derive(Debug, Parser)]
#[command(name = "mcpmux-bench")]
pub struct Args {
    /// A helper role this binary re-executes itself in; not for direct use.
    #[command(subcommand)]
    pub role: Option<Role>,
    /// Short run: 1 s per load point, a 20 s soak, fewer timed `tools/list` calls. Session
    /// counts and concurrencies stay the same.
    #[arg(long)]
    pub quick: bool,
    /// Seconds of measurement per load point. Default 5 (1 with `--quick`).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Seconds of the soak at concurrency 32 (sessions opened and closed while calling).
    /// Default 300 (20 with `--quick`); 0 skips it.
    #[arg(long)]
    pub soak: Option<u64>,
    /// The mcpmux binary to measure. Default: `cargo build --release --bin mcpmux`, then the
    /// binary next to this one.
    #[arg(long)]
    pub mcpmux: Option<PathBuf>,
    /// stdio backends in the 5,000-tool `tools/list` test (each lists 5,000 / N tools).
    #[arg(long, default_value_t = 50)]
    pub list_backends: usize,
    /// Parts to leave out.
    #[arg(long, value_delimiter = ',')]
    pub skip: Vec<Part>,
    /// Threads of the driver's runtime. Default 1: the driver then never takes more than one of
    /// the cores it shares with the gateway and the backend, and wakes no other thread.
    #[arg(long, default_value_t = 1)]
    pub driver_threads: usize,
    /// `NAME=VALUE` set in the environment of every gateway process (only), for experiments such
    /// as `TOKIO_WORKER_THREADS=1` or `LD_PRELOAD=libmimalloc.so`.
    #[arg(long, value_parser = parse_env)]
    pub gateway_env: Vec<(String, String)>,
    /// Concurrencies of the load matrix.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 32, 256])]
    pub concurrency: Vec<usize>,
    /// Rounds at concurrency 1, interleaved across paths and pooled. One process hop's latency
    /// on a small VM depends on whether the processes land on the same vCPU, which changes
    /// from one run to the next; several rounds average over it.
    #[arg(long, default_value_t = 3)]
    pub rounds_at_1: usize,
    /// Run each gateway (and the byte relay) on a CPU of its own, the last one this process
    /// may use, and the driver, the backends and the processes a gateway starts on the others:
    /// steadier CPU-per-call figures than wherever the scheduler puts them. Needs two CPUs.
    #[arg(long)]
    pub pin: bool,
    /// Paths of the load matrix (all by default); with one path, ratios are not reported.
    #[arg(long, value_delimiter = ',')]
    pub paths: Vec<LoadPath>,
}

/// The four ways a `tools/call` can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoadPath {
    /// Driver -> fast HTTP backend.
    HttpDirect,
    /// Driver -> mcpmux -> fast HTTP backend.
    HttpGateway,
    /// Driver -> a byte relay (no MCP, no HTTP) -> fast HTTP backend: the cost of any extra
    /// hop on this machine, for reference.
    HttpRelay,
    /// Driver -> example server over stdio.
    StdioDirect,
    /// Driver -> mcpmux -> example server over stdio.
    StdioGateway,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not NAME=VALUE"))
}

/// Hidden roles.
#[derive(Debug, Subcommand)]
pub enum Role {
    /// Serve the fast streamable-HTTP MCP backend on 127.0.0.1:0 until stdin closes.
    #[command(hide = true)]
    ServeBackend,
    /// Relay bytes from 127.0.0.1:0 to `upstream` until stdin closes.
    #[command(hide = true)]
    Relay {
        /// Where every accepted connection is relayed to.
        upstream: std::net::SocketAddr,
    },
}

/// The parts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// `tools/call` throughput and latency, direct and through the gateway.
    Load,
    /// Warm `tools/list` of 5,000 tools.
    Lists,
    /// Idle memory and memory per idle session.
    Memory,
    /// The soak.
    Soak,
}

/// Timings derived from the flags.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// Measured time per load point.
    pub point: Duration,
    /// Unmeasured time before each load point.
    pub warmup: Duration,
    /// Soak length; zero skips it.
    pub soak: Duration,
    /// Timed `tools/list` calls per list test.
    pub list_calls: usize,
}

// === impl Args ===

impl Args {
    /// The timings this run uses.
    pub fn timings(&self) -> Timings {
        let point = self.duration.unwrap_or(if self.quick { 1.0 } else { 5.0 });
        let soak = self.soak.unwrap_or(if self.quick { 20 } else { 300 });
        Timings {
            point: Duration::from_secs_f64(point.clamp(0.1, 3600.0)),
            warmup: Duration::from_secs_f64((point / 5.0).clamp(0.2, 1.0)),
            soak: Duration::from_secs(soak.min(24 * 3600)),
            list_calls: if self.quick { 100 } else { 500 },
        }
    }

    /// Whether load `path` runs.
    pub fn drives(&self, path: LoadPath) -> bool {
        self.paths.is_empty() || self.paths.contains(&path)
    }

    /// Whether `part` runs.
    pub fn runs(&self, part: Part) -> bool {
        !self.skip.contains(&part) && (part != Part::Soak || !self.timings().soak.is_zero())
    }
}
