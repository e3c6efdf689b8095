//! Frontends: thin adapters between a wire and the gateway core. No routing or policy here.

pub mod admin;
pub mod admin_api;
pub mod body;
pub mod conn;
pub mod edge;
pub mod event_stream;
pub mod guard;
pub mod health;
pub mod listen;
pub mod modern;
pub mod prefixed;
pub mod rest;
pub mod server;
pub mod sse;
pub mod stdio;
pub mod streamable_http;
pub mod ws;
pub mod ws_handshake;
