/// Auth config that cannot be turned into headers; never contains a secret value.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// An `${env:NAME}` reference to a variable that is unset or not UTF-8.
    #[error("`${{env:{name}}}` is not set")]
    MissingEnv {
        /// The variable's name.
        name: String,
    },
    /// A `${file:PATH}` reference to a file that cannot be read as UTF-8 text.
    #[error("cannot read `${{file:{path}}}`")]
    UnreadableFile {
        /// The file's path.
        path: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// A `${env:` or `${file:` without its closing `}`.
    #[error("a `${{env:...}}` or `${{file:...}}` reference is missing its closing `}}`")]
    Unterminated,
    /// A custom header name that HTTP does not allow.
    #[error("`{name}` is not a valid header name")]
    InvalidHeaderName {
        /// The configured name.
        name: String,
    },
    /// A resolved value that cannot be sent in a header (e.g. it contains a newline).
    #[error("the value of header `{header}` contains characters not allowed in a header")]
    InvalidHeaderValue {
        /// The header whose value is bad.
        header: String,
    },
}
