//! Generic tower layers for an mcpmux backend stack: timeout, retry, circuit breaker, rate
//! limit, in-flight bound, auth header injection and tracing, plus [`stack::build`] that assembles them from a
//! backend's [`StackConfig`].
//!
//! The layers know nothing about MCP beyond the [`CallInfo`] and [`OutboundHeaders`] traits
//! that the gateway's request type implements. Every layer's error is [`BoxError`]; each layer's
//! own error type (`Elapsed`, `CircuitOpen`, `RateLimited`) can be found with `downcast_ref`.

#![warn(missing_docs)]

pub mod auth_inject;
pub mod circuit_breaker;
mod config_error;
pub mod duration;
pub mod in_flight;
pub mod rate_limit;
pub mod request;
pub mod retry;
pub mod stack;
pub mod timeout;
pub mod trace;

#[cfg(test)]
mod test_support;

pub use crate::circuit_breaker::{BreakerHandle, CircuitOpen, CircuitState};
pub use crate::config_error::InvalidConfig;
pub use crate::in_flight::Overloaded;
pub use crate::rate_limit::{RateLimited, Scope};
pub use crate::request::{
    never_sent, shed, BoxError, CallInfo, NeverSent, OutboundHeaders, RetrySafety, Shed,
};
pub use crate::stack::{build, Stack, StackConfig, StackError, StackHooks};
pub use crate::timeout::Elapsed;
