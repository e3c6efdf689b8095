//! mcpmux: one MCP endpoint in front of many MCP servers.
//!
//! The map is `ARCHITECTURE.md`: `protocol` (JSON-RPC envelope and MCP shapes), `backend` (one
//! transport per module, each a `tower::Service`), `steer` (routing, namespacing, catalog),
//! `session` (client sessions), `frontend` (wire adapters), `config`, `telemetry`.

pub mod auth;
pub mod backend;
pub mod cli;
pub mod config;
pub mod example_server;
pub mod frontend;
pub mod gateway;
pub mod pipeline;
pub mod protocol;
pub mod run;
pub mod runtime;
pub mod session;
pub mod steer;
pub mod telemetry;
pub mod util;

/// The error type at the edges where layers meet, as in tower.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
