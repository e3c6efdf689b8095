//! JSON-RPC 2.0 envelope, the MCP shapes the gateway reads, protocol versions and error codes.

pub mod error_codes;
pub mod jsonrpc;
pub mod mcp;
pub mod request;

pub use jsonrpc::{ErrorObject, Id, Message, Notification, Outcome, RawObject, Request, Response};
pub use request::{JsonRpcRequest, JsonRpcResponse};
