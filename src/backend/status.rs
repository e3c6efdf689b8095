//! The externally visible state of a backend connection, and the link a transport holds.

use std::sync::Arc;

use crate::protocol::mcp::InitializeResult;

/// Health as shown by `/readyz` and used by the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Connecting or initializing, first time or after a restart.
    Starting,
    /// Initialized and answering.
    Up,
    /// Not available, with the reason.
    Down(Arc<str>),
    /// Connected, but failing health checks (reported by `/readyz`, never set by transports).
    Unhealthy(Arc<str>),
}

/// What the rest of the gateway sees of a backend connection.
#[derive(Debug, Clone)]
pub struct Status {
    /// Current health.
    pub health: Health,
    /// The backend's `initialize` result of the current connection.
    pub info: Option<Arc<InitializeResult>>,
    /// Bumped on every new connection, so watchers can tell a reconnect from no change.
    pub generation: u64,
    /// How many times the process was restarted or the session re-established.
    pub restarts: u64,
    /// Whether the first connection attempt has finished (successfully or not).
    pub attempted: bool,
}

impl Default for Status {
    fn default() -> Self {
        Status {
            health: Health::Starting,
            info: None,
            generation: 0,
            restarts: 0,
            attempted: false,
        }
    }
}

/// A transport's connection slot: calls wait while `Starting`, fail fast while `Down`.
#[derive(Debug)]
pub enum Link<C> {
    /// Connecting.
    Starting,
    /// Connected.
    Up(Arc<C>),
    /// Not connected, with the reason.
    Down(Arc<str>),
}

impl<C> Clone for Link<C> {
    fn clone(&self) -> Self {
        match self {
            Link::Starting => Link::Starting,
            Link::Up(c) => Link::Up(c.clone()),
            Link::Down(r) => Link::Down(r.clone()),
        }
    }
}
