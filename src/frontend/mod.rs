//! Frontends: thin adapters between a wire and the gateway core. No routing or policy here.

pub mod body;
pub mod guard;
pub mod health;
pub mod server;
pub mod streamable_http;
