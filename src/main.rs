//! The `mcpmux` binary: argument parsing and process lifecycle only.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: the proxy path allocates and frees many short-lived
/// buffers (hyper's per-request read buffers among them), and with glibc that showed up as
/// ~14% of gateway CPU including `malloc_consolidate`. Measured with the load benchmark on the
/// 2-core machine: 7% less gateway CPU per call through an HTTP backend, 12% through stdio.
/// Our own `GlobalAlloc` over it rather than the `mimalloc` crate's: see `util::allocator`.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mcpmux::util::allocator::MiMalloc = mcpmux::util::allocator::MiMalloc;
use mcpmux::cli::{Cli, Command, StartArgs, EXAMPLE_CONFIG, EXAMPLE_JSON};
use mcpmux::{config, example_server, run, runtime, telemetry};

fn main() -> ExitCode {
    let code = run_command(Cli::parse());
    // Log lines still in the buffer (see `telemetry::log_writer`), as far as stderr takes them.
    telemetry::log_writer::flush_before_exit(telemetry::log_writer::EXIT_FLUSH_LIMIT);
    code
}

fn run_command(cli: Cli) -> ExitCode {
    match cli.command {
        None => start(cli.start),
        Some(Command::Start(args)) => {
            let args = StartArgs {
                config: args.config.or(cli.start.config),
                ..args
            };
            start(args)
        }
        Some(Command::Init { file, force }) => init(&file, force),
        Some(Command::Validate { file }) => validate(&file),
        Some(Command::Stdio { config, log_level }) => stdio(config, log_level),
        Some(Command::ExampleServer { tools, page_size }) => {
            let options = example_server::Options {
                extra_tools: tools,
                page_size,
            };
            let result = default_runtime().and_then(|rt| rt.block_on(example_server::run(options)));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("example-server: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The runtime of helper commands: the stock multi-thread scheduler.
fn default_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Loads the config and builds the runtime it asks for; on failure, the exit code (2 for a
/// config error) after saying why on stderr.
fn load_with_runtime(
    path: Option<&std::path::Path>,
    overrides: &config::Overrides,
) -> Result<(config::Loaded, runtime::Shape, tokio::runtime::Runtime), ExitCode> {
    let loaded = config::load(path, overrides).map_err(|e| {
        eprintln!("mcpmux: {e}");
        ExitCode::from(2)
    })?;
    let shape =
        runtime::Shape::for_setting(loaded.config.worker_threads, runtime::available_cores());
    let runtime = shape.build().map_err(|e| {
        eprintln!("mcpmux: cannot start the async runtime: {e}");
        ExitCode::FAILURE
    })?;
    Ok((loaded, shape, runtime))
}

fn start(args: StartArgs) -> ExitCode {
    match load_with_runtime(args.config.as_deref(), &args.overrides()) {
        Ok((loaded, shape, runtime)) => runtime.block_on(serve(loaded, args.overrides(), shape)),
        Err(code) => code,
    }
}

async fn serve(
    loaded: config::Loaded,
    overrides: config::Overrides,
    shape: runtime::Shape,
) -> ExitCode {
    let config = &loaded.config;
    let provider = match telemetry::otel::resolve(&config.otel, |k| std::env::var(k).ok())
        .and_then(|export| export.as_ref().map(telemetry::otel::provider).transpose())
    {
        Ok(provider) => provider,
        Err(e) => {
            eprintln!("mcpmux: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(
        &config.log_level,
        config.json_logs,
        provider.as_ref().map(telemetry::otel::tracer),
    );
    tracing::info!(workers = shape.workers(), scheduler = ?shape, "runtime started");
    let running = match run::start_loaded(loaded, overrides).await {
        Ok(running) => running,
        Err(e) => {
            tracing::error!(error = %e, "mcpmux failed to start");
            eprintln!("mcpmux: {e}");
            return ExitCode::FAILURE;
        }
    };
    wait_for_signal(&running.gateway).await;
    tracing::info!("shutting down");
    running.shutdown().await;
    if let Some(provider) = provider {
        let _ = tokio::task::spawn_blocking(move || telemetry::otel::shutdown(provider)).await;
    }
    ExitCode::SUCCESS
}

/// Waits for SIGTERM or Ctrl-C; SIGHUP reloads the config meanwhile.
async fn wait_for_signal(gateway: &mcpmux::gateway::Gateway) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return,
                _ = term.recv() => return,
                _ = hup.recv() => {
                    tracing::info!("SIGHUP: reloading the config");
                    if let Err(e) = gateway.reload().await {
                        tracing::warn!(error = %e, "SIGHUP reload kept the running config");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = gateway;
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `mcpmux stdio`: the gateway on stdin/stdout, logs on stderr, no listener.
fn stdio(config: Option<std::path::PathBuf>, log_level: Option<String>) -> ExitCode {
    let overrides = config::Overrides {
        log_level,
        ..config::Overrides::default()
    };
    let (loaded, _, runtime) = match load_with_runtime(config.as_deref(), &overrides) {
        Ok(ready) => ready,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        telemetry::init(&loaded.config.log_level, loaded.config.json_logs, None);
        match run::serve_stdio(loaded.config, tokio::io::stdin(), tokio::io::stdout()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "mcpmux stdio failed to start");
                eprintln!("mcpmux: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn init(file: &std::path::Path, force: bool) -> ExitCode {
    if file.exists() && !force {
        eprintln!(
            "mcpmux init: {} exists; pass --force to overwrite it",
            file.display()
        );
        return ExitCode::FAILURE;
    }
    let body = match file.extension().and_then(|e| e.to_str()) {
        Some("json") => EXAMPLE_JSON,
        _ => EXAMPLE_CONFIG,
    };
    match std::fs::write(file, body) {
        Ok(()) => {
            println!(
                "wrote an example config to {}; edit it, then run `mcpmux validate {}`",
                file.display(),
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcpmux init: cannot write {}: {e}", file.display());
            ExitCode::FAILURE
        }
    }
}

fn validate(file: &std::path::Path) -> ExitCode {
    match config::load(Some(file), &config::Overrides::default()) {
        Ok(loaded) => {
            let backends: Vec<&str> = loaded.config.backends.keys().map(String::as_str).collect();
            println!(
                "{} is valid: {} backend(s): {}",
                file.display(),
                backends.len(),
                backends.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcpmux validate: {e}");
            ExitCode::from(2)
        }
    }
}
