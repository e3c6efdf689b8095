//! `mcpmux-bench`: the end-to-end load benchmark, with the performance targets of the README.
//!
//! One run measures the same backends directly and through the gateway, so the ratios share
//! the machine's state: a fast streamable-HTTP backend (this binary in its hidden
//! `serve-backend` role, a separate process) and `mcpmux example-server` over stdio. It prints
//! one markdown report on stdout; progress goes to stderr. Every child process is killed at the
//! end (and on any failure, by `kill_on_drop`).
//!
//! ```sh
//! cargo run --release -p mcpmux-bench -- --quick
//! ```

mod args;
mod backend;
mod client;
mod load;
mod pin;
mod procs;
mod relay;
mod report;
mod scenarios;
mod stats;
mod stdio;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;

use args::{Args, LoadPath, Part, Role, Timings};
use load::{Point, Target};
use procs::{GatewayLauncher, Proc};
use report::{LoadRow, Machine, Report};
use stdio::StdioPeer;

/// Errors of the driver: each one ends the run with its message.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Tools in the big-catalog `tools/list` tests.
const LIST_TOOLS: usize = 5000;
/// Idle sessions opened for the memory test.
const SESSION_STEPS: [usize; 2] = [1000, 10_000];

fn main() {
    let args = Args::parse();
    match args.role {
        Some(Role::ServeBackend) => {
            backend::serve().expect("the fast HTTP backend failed");
            return;
        }
        Some(Role::Relay { upstream }) => {
            relay::serve(upstream).expect("the byte relay failed");
            return;
        }
        None => {}
    }
    let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mcpmux = match &args.mcpmux {
        Some(path) => path.clone(),
        None => build_mcpmux(&workspace),
    };
    // Before the runtime starts threads: they, and every process started from here, inherit it.
    let placement = match args.pin.then(pin::Placement::split).transpose() {
        Ok(None) => None,
        Ok(Some(Some(placement))) => match placement.confine_self() {
            Ok(()) => Some(placement),
            Err(e) => {
                eprintln!("mcpmux-bench: --pin: cannot set this process's CPUs: {e}");
                std::process::exit(1);
            }
        },
        Ok(Some(None)) => {
            eprintln!("mcpmux-bench: --pin needs at least two CPUs");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("mcpmux-bench: --pin: cannot read this process's CPUs: {e}");
            std::process::exit(1);
        }
    };
    let runtime = match args.driver_threads {
        0 | 1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(n);
            builder
        }
    }
    .enable_all()
    .build()
    .expect("cannot start the tokio runtime");
    let machine = Machine::read(&workspace);
    match runtime.block_on(run(&args, &mcpmux, machine, placement)) {
        Ok(report) => println!("{}", report.render()),
        Err(e) => {
            drop(runtime);
            eprintln!("mcpmux-bench: {e}");
            std::process::exit(1);
        }
    }
}

/// Builds the gateway binary in release mode (same target directory as this binary) and
/// returns its path.
fn build_mcpmux(workspace: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building mcpmux (cargo build --release -p mcpmux --bin mcpmux) ...");
    let status = std::process::Command::new(cargo)
        .args(["build", "--release", "-p", "mcpmux", "--bin", "mcpmux"])
        .current_dir(workspace)
        .status()
        .expect("cannot run cargo to build mcpmux; pass --mcpmux PATH instead");
    assert!(
        status.success(),
        "building mcpmux failed; pass --mcpmux PATH to use a built binary"
    );
    let exe = std::env::current_exe().expect("the path of this binary");
    let path = exe.with_file_name("mcpmux");
    assert!(
        path.is_file(),
        "{} is missing after the build; pass --mcpmux PATH",
        path.display()
    );
    path
}

async fn run(
    args: &Args,
    mcpmux: &Path,
    machine: Machine,
    placement: Option<pin::Placement>,
) -> Result<Report, BoxError> {
    let timings = args.timings();
    let dir = tempfile::Builder::new().prefix("mcpmux-bench-").tempdir()?;
    let launcher = GatewayLauncher {
        mcpmux: mcpmux.to_path_buf(),
        dir: dir.path().to_path_buf(),
        env: args.gateway_env.clone(),
        placement: placement.clone(),
    };
    let mut report = Report {
        machine,
        timings,
        load: Vec::new(),
        peak_rss: Vec::new(),
        lists: Vec::new(),
        memory: None,
        soak: None,
        gateway_env: args.gateway_env.clone(),
        placement,
        driver_threads: args.driver_threads,
        rounds_at_1: args.rounds_at_1,
    };
    eprintln!("starting the fast HTTP backend ...");
    let http_backend = procs::start_http_backend().await?;
    if args.runs(Part::Load) {
        load_matrix(args, &launcher, &http_backend, &mut report).await?;
    }
    if args.runs(Part::Lists) {
        for backends in [args.list_backends.max(1), 1] {
            eprintln!("tools/list: {backends} stdio backend(s), {LIST_TOOLS} tools ...");
            let list = scenarios::tools_list(
                &launcher,
                http_backend.addr,
                backends,
                LIST_TOOLS,
                timings.list_calls,
            )
            .await?;
            report.lists.push(list);
        }
    }
    if args.runs(Part::Memory) {
        eprintln!("idle memory: up to {} sessions ...", SESSION_STEPS[1]);
        report.memory = Some(scenarios::idle_memory(&launcher, &SESSION_STEPS).await?);
    }
    if args.runs(Part::Soak) {
        eprintln!(
            "soak: {:?} at concurrency {} ...",
            timings.soak,
            scenarios::SOAK_CONCURRENCY
        );
        report.soak = Some(scenarios::soak(&launcher, http_backend.addr, timings.soak).await?);
    }
    http_backend.stop().await;
    Ok(report)
}

/// The four paths at each concurrency, interleaved so that drift on a shared machine hits all
/// of them alike.
async fn load_matrix(
    args: &Args,
    launcher: &GatewayLauncher,
    http_backend: &Proc,
    report: &mut Report,
) -> Result<(), BoxError> {
    let timings: Timings = args.timings();
    let header = procs::gateway_config_header(1000);
    let config = format!(
        "{header}{}",
        scenarios::http_backend("web", http_backend.addr)
    );
    let gateway_http = procs::start_gateway(launcher, "gateway-http", &config).await?;
    let config = format!(
        "{header}{}",
        scenarios::stdio_backend("fast", &launcher.mcpmux, 0)
    );
    let gateway_stdio = procs::start_gateway(launcher, "gateway-stdio", &config).await?;
    for (gateway, tool) in [(&gateway_http, "web__echo"), (&gateway_stdio, "fast__echo")] {
        scenarios::wait_ready(gateway).await?;
        scenarios::probe(gateway, tool).await?;
    }
    let gateway_child = procs::children_of(gateway_stdio.pid)
        .first()
        .copied()
        .ok_or("the stdio gateway has no example-server child")?;
    let relay = procs::start_relay(http_backend.addr, launcher.placement.as_ref()).await?;
    let direct_stdio = Arc::new(StdioPeer::start(&launcher.mcpmux).await?);
    let driver = std::process::id();
    eprintln!(
        "pids: driver {driver}, HTTP backend {}, gateway-http {}, gateway-stdio {} (its example server {gateway_child}), direct example server {}",
        http_backend.pid, gateway_http.pid, gateway_stdio.pid, direct_stdio.pid
    );
    let paths = [
        (
            LoadPath::HttpDirect,
            Target::Http {
                addr: http_backend.addr,
                tool: "echo".into(),
            },
            vec![http_backend.pid, driver],
        ),
        (
            LoadPath::HttpGateway,
            Target::Http {
                addr: gateway_http.addr,
                tool: "web__echo".into(),
            },
            vec![http_backend.pid, driver, gateway_http.pid],
        ),
        (
            LoadPath::HttpRelay,
            Target::Http {
                addr: relay.addr,
                tool: "echo".into(),
            },
            vec![http_backend.pid, driver, relay.pid],
        ),
        (
            LoadPath::StdioDirect,
            Target::Stdio(direct_stdio.clone()),
            vec![direct_stdio.pid, driver],
        ),
        (
            LoadPath::StdioGateway,
            Target::Http {
                addr: gateway_stdio.addr,
                tool: "fast__echo".into(),
            },
            vec![gateway_child, driver, gateway_stdio.pid],
        ),
    ];
    for &concurrency in &args.concurrency {
        let point = Point {
            concurrency,
            warmup: timings.warmup,
            duration: timings.point,
        };
        let rounds = if concurrency == 1 {
            args.rounds_at_1.max(1)
        } else {
            1
        };
        let driven: Vec<_> = paths.iter().filter(|(p, ..)| args.drives(*p)).collect();
        let mut pooled: Vec<Option<load::Outcome>> = driven.iter().map(|_| None).collect();
        for round in 1..=rounds {
            for ((path, target, watched), slot) in driven.iter().zip(pooled.iter_mut()) {
                eprintln!(
                    "load: {path:?} at concurrency {concurrency} (round {round}/{rounds}) ..."
                );
                let outcome = load::run(target, point, watched).await?;
                *slot = Some(match slot.take() {
                    Some(earlier) => earlier.merge(outcome),
                    None => outcome,
                });
            }
        }
        for ((path, ..), outcome) in driven.iter().zip(pooled) {
            let outcome = outcome.expect("every driven path ran at least one round");
            report.load.push(LoadRow {
                path: *path,
                concurrency,
                backend_cpu_us: outcome.cpu_us_per_call(0),
                driver_cpu_us: outcome.cpu_us_per_call(1),
                gateway_cpu_us: outcome.cpu_us_per_call(2),
                outcome,
            });
        }
    }
    for (label, gateway) in [("HTTP", &gateway_http), ("stdio", &gateway_stdio)] {
        if let Some(kib) = procs::peak_rss_kib(gateway.pid) {
            report.peak_rss.push((label, kib));
        }
    }
    drop(paths);
    drop(direct_stdio);
    gateway_http.stop().await;
    gateway_stdio.stop().await;
    relay.stop().await;
    Ok(())
}
