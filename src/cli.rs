//! Command-line arguments: `start` (default), `stdio`, `init`, `validate`, `example-server`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// One MCP endpoint in front of many MCP servers.
#[derive(Debug, Parser)]
#[command(name = "mcpmux", version, about)]
pub struct Cli {
    /// What to do; `start` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `start`, also accepted without the subcommand.
    #[command(flatten)]
    pub start: StartArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default).
    Start(StartArgs),
    /// Write a commented example config to FILE.
    Init {
        /// Where to write it (.toml; .json writes the Claude Desktop shape).
        file: PathBuf,
        /// Overwrite FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Check a config file and exit non-zero with the problems if it is invalid.
    Validate {
        /// The config file.
        file: PathBuf,
    },
    /// Serve the gateway on stdin/stdout (for clients that launch MCP servers as a command).
    Stdio {
        /// Config file (default: the embedded example config).
        #[arg(short, long, env = "MCPMUX_CONFIG")]
        config: Option<PathBuf>,
        /// Log level for stderr (overrides config).
        #[arg(short, long)]
        log_level: Option<String>,
    },
    /// Run the built-in example MCP server on stdio.
    ExampleServer {
        /// Offer this many extra tools (extra_0001 ...).
        #[arg(long, default_value_t = 0)]
        tools: usize,
        /// Paginate its own lists with this page size (0: one page).
        #[arg(long, default_value_t = 0)]
        page_size: usize,
    },
}

/// Options of `start`.
#[derive(Debug, Args, Default, Clone)]
pub struct StartArgs {
    /// Config file (TOML, YAML, JSON, or Claude Desktop's mcpServers JSON). Default: the
    /// embedded example config.
    #[arg(short, long, env = "MCPMUX_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Address to bind (overrides config).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to bind (overrides config).
    #[arg(short, long)]
    pub port: Option<u16>,
    /// Log level: error, warn, info, debug, trace (overrides config).
    #[arg(short, long)]
    pub log_level: Option<String>,
    /// Log JSON lines instead of text.
    #[arg(long)]
    pub json_logs: bool,
    /// Do not reload the config file when it changes.
    #[arg(long)]
    pub no_hot_reload: bool,
    /// Address of the admin listener (/metrics, /healthz, /readyz), e.g. 0.0.0.0:9090.
    #[arg(long)]
    pub admin_listen: Option<String>,
}

impl StartArgs {
    /// The flags that override config values.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            host: self.host.clone(),
            port: self.port,
            log_level: self.log_level.clone(),
            json_logs: self.json_logs.then_some(true),
            hot_reload: self.no_hot_reload.then_some(false),
            admin: self
                .admin_listen
                .clone()
                .map(|listen| crate::config::load::AdminOverride { listen }),
        }
    }
}

/// The example config `mcpmux init` writes.
pub const EXAMPLE_CONFIG: &str = include_str!("../config/example.toml");

/// The example in Claude Desktop's JSON shape, for `mcpmux init config.json`.
pub const EXAMPLE_JSON: &str = include_str!("../config/example.json");
