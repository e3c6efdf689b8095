//! Configuration: the typed schema, figment loading (defaults, file, env, CLI) and validation.

pub mod error;
pub mod load;
pub mod schema;
pub mod validate;

pub use error::ConfigError;
pub use load::{load, Loaded, Overrides};
pub use schema::{
    AdminConfig, AuditConfig, BackendConfig, Config, InboundAuth, MetricsConfig, OtelConfig,
    PoolKind, TransportKind,
};
