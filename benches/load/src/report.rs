//! The markdown report: machine, results, and each number against the README's performance
//! targets.

use std::fmt::Write;

use crate::args::{LoadPath as Path, Timings};
use crate::load::Outcome;
use crate::scenarios::{ListResult, MemoryResult, SoakResult, SOAK_CONCURRENCY};

/// One row of the load table.
#[derive(Debug, Clone)]
pub struct LoadRow {
    /// The path.
    pub path: Path,
    /// Workers.
    pub concurrency: usize,
    /// What was measured.
    pub outcome: Outcome,
    /// Backend CPU µs per call.
    pub backend_cpu_us: Option<f64>,
    /// Driver CPU µs per call.
    pub driver_cpu_us: Option<f64>,
    /// Gateway CPU µs per call.
    pub gateway_cpu_us: Option<f64>,
}

/// The machine the run was on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// `nproc`.
    pub cpus: usize,
    /// `model name` from /proc/cpuinfo.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// 1-minute load average when the run started (other work on the machine skews numbers).
    pub load_average: String,
    /// mcpmux revision (`git describe`), if known.
    pub revision: String,
    /// How an idle vCPU waits for work: the cpuidle driver and, under `haltpoll`, how long a
    /// guest polls before it halts. At concurrency 1 every process hop wakes an idle vCPU, so
    /// this sets most of the latency a hop adds (see benches/README.md).
    pub idle: String,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The machine.
    pub machine: Machine,
    /// Timings used.
    pub timings: Timings,
    /// Load points.
    pub load: Vec<LoadRow>,
    /// Gateway peak RSS (VmHWM) after the load matrix: (path, KiB).
    pub peak_rss: Vec<(&'static str, u64)>,
    /// Warm `tools/list` results.
    pub lists: Vec<ListResult>,
    /// Idle memory.
    pub memory: Option<MemoryResult>,
    /// The soak.
    pub soak: Option<SoakResult>,
    /// Threads of the driver's runtime.
    pub driver_threads: usize,
    /// Rounds pooled at concurrency 1.
    pub rounds_at_1: usize,
    /// Extra environment the gateways ran with (experiments), shown so numbers are not
    /// mistaken for the default build's.
    pub gateway_env: Vec<(String, String)>,
    /// `--pin`: where the gateways ran.
    pub placement: Option<crate::pin::Placement>,
}

/// A performance target (the README's table).
#[derive(Debug, Clone, Copy)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
    Below(f64),
}

// === impl Machine ===

impl Machine {
    /// Reads /proc and git.
    pub fn read(workspace: &std::path::Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        let load_average = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        let revision = std::process::Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(workspace)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            idle: idle_wait(),
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            kernel,
            load_average,
            revision,
        }
    }
}

/// The cpuidle driver and, when it is `haltpoll`, `guest_halt_poll_ns`.
fn idle_wait() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|v| v.trim().to_string())
    };
    let Some(driver) = read("/sys/devices/system/cpu/cpuidle/current_driver") else {
        return "cpuidle driver unknown".into();
    };
    match read("/sys/module/haltpoll/parameters/guest_halt_poll_ns") {
        Some(ns) if driver == "haltpoll" => format!("cpuidle haltpoll, guest_halt_poll_ns={ns}"),
        _ => format!("cpuidle {driver}"),
    }
}

// === impl Path ===

impl Path {
    fn label(self) -> &'static str {
        match self {
            Path::HttpDirect => "HTTP backend, direct",
            Path::HttpGateway => "HTTP backend, via mcpmux",
            Path::HttpRelay => "HTTP backend, via a byte relay (reference)",
            Path::StdioDirect => "stdio backend, direct",
            Path::StdioGateway => "stdio backend, via mcpmux",
        }
    }
}

// === impl Target ===

impl Target {
    fn passes(self, value: f64) -> bool {
        match self {
            Target::AtLeast(t) => value >= t,
            Target::AtMost(t) => value <= t,
            Target::Below(t) => value < t,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Target::AtLeast(t) => format!("≥ {t}{unit}"),
            Target::AtMost(t) => format!("≤ {t}{unit}"),
            Target::Below(t) => format!("< {t}{unit}"),
        }
    }
}

// === impl Report ===

impl Report {
    fn row(&self, path: Path, concurrency: usize) -> Option<&LoadRow> {
        self.load
            .iter()
            .find(|r| r.path == path && r.concurrency == concurrency)
    }

    /// gateway / direct throughput at `concurrency`.
    fn throughput_ratio(&self, gateway: Path, direct: Path, concurrency: usize) -> Option<f64> {
        let g = self.row(gateway, concurrency)?.outcome.throughput();
        let d = self.row(direct, concurrency)?.outcome.throughput();
        Some(g / d)
    }

    /// gateway p50 - direct p50 at concurrency 1, µs.
    fn added_p50(&self, gateway: Path, direct: Path) -> Option<f64> {
        Some(
            self.row(gateway, 1)?.outcome.latencies.p50()
                - self.row(direct, 1)?.outcome.latencies.p50(),
        )
    }

    /// The whole report as markdown.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "Machine: {} CPUs ({}), Linux {}, {}, load average {} at start; mcpmux {}; {:.0} s per load point after {:.1} s warm-up, one keep-alive HTTP/1.1 connection and session per worker, driver on {} runtime thread(s); concurrency 1 pools {} interleaved rounds.\n",
            m.cpus,
            m.cpu_model,
            m.kernel,
            m.idle,
            m.load_average,
            m.revision,
            self.timings.point.as_secs_f64(),
            self.timings.warmup.as_secs_f64(),
            self.driver_threads.max(1),
            self.rounds_at_1.max(1)
        );
        if !self.gateway_env.is_empty() {
            let env: Vec<String> = self
                .gateway_env
                .iter()
                .map(|(k, v)| format!("`{k}={v}`"))
                .collect();
            let _ = writeln!(out, "Gateways ran with {}.\n", env.join(", "));
        }
        if let Some(placement) = &self.placement {
            let _ = writeln!(
                out,
                "Pinned (`--pin`): gateways and the byte relay on CPU {:?}, the driver, the backends and the gateways' children on CPU {:?}.\n",
                placement.gateway, placement.others
            );
        }
        if !self.load.is_empty() {
            self.render_load(&mut out);
        }
        self.render_targets(&mut out);
        out
    }

    fn render_load(&self, out: &mut String) {
        out.push_str("| `tools/call` echo | conc. | req/s | p50 µs | p99 µs | p99.9 µs | gateway CPU µs/call | backend CPU µs/call | driver CPU µs/call | errors |\n");
        out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for row in &self.load {
            let o = &row.outcome;
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} |",
                row.path.label(),
                row.concurrency,
                o.throughput(),
                o.latencies.p50(),
                o.latencies.p99(),
                o.latencies.p999(),
                opt(row.gateway_cpu_us, 1),
                opt(row.backend_cpu_us, 1),
                opt(row.driver_cpu_us, 1),
                o.errors
            );
        }
        out.push('\n');
        for row in self.load.iter().filter(|r| r.outcome.errors > 0) {
            let _ = writeln!(
                out,
                "- first error, {} at {}: {}",
                row.path.label(),
                row.concurrency,
                row.outcome.first_error.as_deref().unwrap_or("?")
            );
        }
    }

    fn render_targets(&self, out: &mut String) {
        out.push_str("| performance target | measured | target | |\n|---|---:|---:|---|\n");
        let mut line =
            |what: &str, value: Option<f64>, shown: String, target: Option<(Target, &str)>| {
                let (target_text, verdict) = match (target, value) {
                    (Some((t, unit)), Some(v)) => {
                        (t.text(unit), if t.passes(v) { "pass" } else { "**miss**" })
                    }
                    (Some((t, unit)), None) => (t.text(unit), "not measured"),
                    (None, _) => ("—".to_string(), ""),
                };
                let _ = writeln!(out, "| {what} | {shown} | {target_text} | {verdict} |");
            };
        use Path::*;
        if !self.load.is_empty() {
            for (c, targets) in [(32, true), (1, false), (256, false)] {
                let http = self.throughput_ratio(HttpGateway, HttpDirect, c);
                let stdio = self.throughput_ratio(StdioGateway, StdioDirect, c);
                if !targets && http.is_none() && stdio.is_none() {
                    continue;
                }
                line(
                    &format!("throughput via mcpmux / direct, HTTP, c={c}"),
                    http,
                    opt(http, 2),
                    targets.then_some((Target::AtLeast(0.55), "")),
                );
                // The stdio target measures the stdio path against the direct HTTP backend, with
                // one HTTP client driving both; against the direct pipe (no HTTP client at all) the
                // ratio is shown for reference only.
                let stdio_vs_http = self.throughput_ratio(StdioGateway, HttpDirect, c);
                line(
                    &format!("throughput via mcpmux (stdio backend) / direct HTTP backend, c={c}"),
                    stdio_vs_http,
                    opt(stdio_vs_http, 2),
                    targets.then_some((Target::AtLeast(0.80), "")),
                );
                line(
                    &format!("reference: throughput via mcpmux / direct pipe, stdio, c={c}"),
                    stdio,
                    opt(stdio, 2),
                    None,
                );
            }
            for c in [32, 1] {
                let relay = self.throughput_ratio(HttpRelay, HttpDirect, c);
                if relay.is_some() {
                    line(
                        &format!("reference: throughput via a byte relay / direct, HTTP, c={c}"),
                        relay,
                        opt(relay, 2),
                        None,
                    );
                }
            }
            let relay = self.added_p50(HttpRelay, HttpDirect);
            if relay.is_some() {
                line(
                    "reference: added p50 latency of a byte relay, HTTP, c=1",
                    relay,
                    unit(relay, 0, " µs"),
                    None,
                );
            }
            let http = self.added_p50(HttpGateway, HttpDirect);
            line(
                "added p50 latency, HTTP, c=1",
                http,
                unit(http, 0, " µs"),
                Some((Target::AtMost(25.0), " µs")),
            );
            let stdio = self.added_p50(StdioGateway, StdioDirect);
            line(
                "added p50 latency, stdio, c=1",
                stdio,
                unit(stdio, 0, " µs"),
                Some((Target::AtMost(25.0), " µs")),
            );
            for (path, name, limit) in [(HttpGateway, "HTTP", 20.0), (StdioGateway, "stdio", 12.0)]
            {
                for c in [1, 32, 256] {
                    let cpu = self.row(path, c).and_then(|r| r.gateway_cpu_us);
                    if c != 32 && cpu.is_none() {
                        continue;
                    }
                    line(
                        &format!("gateway CPU per `tools/call`, {name}, c={c}"),
                        cpu,
                        unit(cpu, 1, " µs"),
                        (c == 32).then_some((Target::AtMost(limit), " µs")),
                    );
                }
            }
            for (label, kib) in &self.peak_rss {
                let mib = *kib as f64 / 1024.0;
                line(
                    &format!("gateway peak RSS (VmHWM) after the {label} load points"),
                    Some(mib),
                    format!("{mib:.1} MiB"),
                    None,
                );
            }
        }
        if let Some(memory) = &self.memory {
            let idle = memory.idle_kib as f64 / 1024.0;
            line(
                "idle gateway RSS (one stdio backend, no sessions)",
                Some(idle),
                format!("{idle:.1} MiB"),
                Some((Target::Below(12.0), " MiB")),
            );
            for (n, kib) in &memory.with_sessions {
                let per = memory.per_session_kib(*n);
                line(
                    &format!(
                        "RSS with {n} idle legacy sessions ({:.1} MiB)",
                        *kib as f64 / 1024.0
                    ),
                    per,
                    unit(per, 2, " KiB/session"),
                    Some((Target::Below(10.0), " KiB/session")),
                );
            }
        }
        for list in &self.lists {
            let p50 = list.latencies.p50() / 1000.0;
            line(
                &format!(
                    "warm `tools/list`, {} backend(s) × {} tools = {} tools, one page of {:.0} KiB (p50; p99 {:.2} ms)",
                    list.backends,
                    list.tools / list.backends.max(1),
                    list.tools,
                    list.reply_bytes as f64 / 1024.0,
                    list.latencies.p99() / 1000.0
                ),
                Some(p50),
                format!("{p50:.2} ms"),
                Some((Target::Below(1.0), " ms")),
            );
            line(
                &format!(
                    "… p50 above the transfer floor (a same-size reply from the fast HTTP backend: p50 {:.2} ms); gateway CPU per call {:.0} µs",
                    list.transfer_floor.p50() / 1000.0,
                    list.gateway_cpu_us
                ),
                None,
                format!("{:.2} ms", (list.latencies.p50() - list.transfer_floor.p50()) / 1000.0),
                None,
            );
        }
        if let Some(soak) = &self.soak {
            let mib = |k: u64| k as f64 / 1024.0;
            line(
                &format!(
                    "soak {:.0} s at c={SOAK_CONCURRENCY}: {} sessions opened and deleted, {} calls ({:.0}/s), {} errors; RSS start → 10% → end (max)",
                    soak.elapsed.as_secs_f64(),
                    soak.sessions,
                    soak.calls,
                    soak.calls as f64 / soak.elapsed.as_secs_f64(),
                    soak.errors
                ),
                None,
                format!(
                    "{:.1} → {:.1} → {:.1} ({:.1}) MiB",
                    mib(soak.rss_start_kib),
                    mib(soak.rss_warm_kib),
                    mib(soak.rss_end_kib),
                    mib(soak.rss_max_kib)
                ),
                None,
            );
            if let Some(e) = &soak.first_error {
                let _ = writeln!(out, "\n- first soak error: {e}");
            }
        }
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.decimals$}"))
}

fn unit(value: Option<f64>, decimals: usize, unit: &str) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v:.decimals$}{unit}"))
}
