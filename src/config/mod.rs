//! Configuration: the typed schema, figment loading (defaults, file, env, CLI) and validation.

pub mod edit;
pub mod error;
pub mod load;
pub mod persist;
pub mod schema;
pub mod validate;
pub mod watch;

pub use error::ConfigError;
pub use load::{load, Loaded, Overrides};
pub use schema::{
    AdminConfig, AuditConfig, BackendConfig, Config, InboundAuth, MetaToolsConfig, MetricsConfig,
    OtelConfig, PipelineConfig, PoolKind, StepConfig, ToolExposure, TransportKind,
};
