//! JSON-RPC 2.0 envelope, the MCP shapes the gateway reads, protocol versions and error codes.

pub mod error_codes;
pub mod jsonrpc;
pub mod mcp;
pub mod raw_json;
pub mod raw_object;
pub mod request;

pub use jsonrpc::{ErrorObject, Id, Message, Notification, Outcome, Request, Response};
pub use raw_json::{JsonText, RawJson};
pub use raw_object::{ObjectError, RawObject};
pub use request::{ClientParams, JsonRpcRequest, JsonRpcResponse};
