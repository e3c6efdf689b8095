//! JSON-RPC and MCP error codes, and the gateway's own server-error codes.
//!
//! The gateway codes sit in the JSON-RPC implementation-defined range (-32000..-32099); each
//! gateway failure maps to exactly one of them.

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters (also: unknown tool, prompt or resource).
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error.
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP: resource not found.
pub const RESOURCE_NOT_FOUND: i64 = -32002;
/// MCP 2026-07-28: a required header is missing or disagrees with the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// MCP 2026-07-28: the request needs a client capability the request did not declare.
pub const MISSING_CLIENT_CAPABILITY: i64 = -32021;
/// MCP 2026-07-28: the request's protocol version is not served.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// The backend cannot be reached (not running, connect refused, restarting).
pub const BACKEND_UNAVAILABLE: i64 = -32001;
/// The backend did not answer within its timeout.
pub const BACKEND_TIMEOUT: i64 = -32003;
/// The backend's circuit breaker is open.
pub const CIRCUIT_OPEN: i64 = -32004;
/// A rate limit was exceeded.
pub const RATE_LIMITED: i64 = -32005;
/// The backend answered with something that is not valid MCP.
pub const BACKEND_PROTOCOL: i64 = -32006;
/// The gateway holds `max_sessions` sessions already (HTTP 503 on `initialize`).
pub const TOO_MANY_SESSIONS: i64 = -32007;
/// A request the gateway forwarded to a client (sampling, elicitation, roots) got no answer in
/// time; the backend that asked gets this.
pub const CLIENT_DID_NOT_ANSWER: i64 = -32008;
/// The backend has `max_in_flight` calls running already; the call was not sent.
pub const OVERLOADED: i64 = -32009;
/// The client cancelled the call (only ever seen in logs and REST replies: MCP sends no
/// answer to a cancelled request).
pub const CANCELLED: i64 = -32800;
