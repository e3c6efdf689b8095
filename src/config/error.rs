//! Config errors: each names the file and the field.

use std::path::PathBuf;

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error("config file {} does not exist (run `mcpmux init {}` to write an example)", .0.display(), .0.display())]
    Missing(PathBuf),
    /// The file could not be parsed, or a value has the wrong type.
    #[error("{0}")]
    Load(Box<figment::Error>),
    /// The values parse but do not make sense together.
    #[error("invalid config in {source_name}:\n  - {}", problems.join("\n  - "))]
    Invalid {
        /// The main config file.
        source_name: String,
        /// One line per problem, each starting with the field.
        problems: Vec<String>,
    },
}
