use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;
use tokio::time::Instant;

use super::state::{Machine, Rejection, Ticket, Transition};
use super::{BreakerConfig, CircuitOpen, CircuitState, StateHook};

/// Reads and feeds one backend's breaker from outside the stack (metrics, health checks).
#[derive(Clone)]
pub struct BreakerHandle {
    shared: Arc<Shared>,
}

/// The breaker state shared by the layer, every service it built, and the handles.
pub(crate) struct Shared {
    backend: Arc<str>,
    machine: Mutex<Machine>,
    state_tx: watch::Sender<CircuitState>,
    on_change: Option<StateHook>,
}

/// A call's claim on the breaker; cancelling the call (dropping this) frees a probe slot.
pub(crate) struct Permit {
    shared: Arc<Shared>,
    ticket: Option<Ticket>,
}

// === impl BreakerHandle ===

impl BreakerHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The backend's alias.
    pub fn backend(&self) -> &str {
        &self.shared.backend
    }

    /// The current state; an open breaker whose recovery timeout has passed reads half-open.
    pub fn state(&self) -> CircuitState {
        self.shared.with(|m, now| m.state(now))
    }

    /// A receiver that sees every state change (it does not see the lazy open -> half-open
    /// move until something reads the state or a call arrives).
    pub fn subscribe(&self) -> watch::Receiver<CircuitState> {
        self.shared.state_tx.subscribe()
    }

    /// Feeds a successful health check: counts as a success; while open, it moves the breaker
    /// to half-open at once so real calls can probe.
    pub fn record_success(&self) {
        self.shared.with(|m, now| m.record_health(true, now));
    }

    /// Feeds a failed health check: counts as a failure; while open, it restarts the recovery
    /// timeout so no probe is sent to a backend known to be down.
    pub fn record_failure(&self) {
        self.shared.with(|m, now| m.record_health(false, now));
    }
}

impl std::fmt::Debug for BreakerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreakerHandle")
            .field("backend", &self.shared.backend)
            .field("state", &self.state())
            .finish()
    }
}

// === impl Shared ===

impl Shared {
    pub(crate) fn new(
        backend: Arc<str>,
        config: &BreakerConfig,
        on_change: Option<StateHook>,
    ) -> Self {
        Self {
            backend,
            machine: Mutex::new(Machine::new(config)),
            state_tx: watch::Sender::new(CircuitState::Closed),
            on_change,
        }
    }

    /// Refuses outright while open; used by `poll_ready` to fail fast without waiting on the
    /// inner service.
    pub(crate) fn refusing(&self) -> Option<CircuitOpen> {
        self.with(|m, now| m.refusing(now))
            .map(|r| self.open_error(r))
    }

    /// Admits a call or says why not.
    pub(crate) fn admit(self: &Arc<Self>) -> Result<Permit, CircuitOpen> {
        match self.with(|m, now| m.admit(now)) {
            Ok(ticket) => Ok(Permit {
                shared: self.clone(),
                ticket: Some(ticket),
            }),
            Err(rejection) => Err(self.open_error(rejection)),
        }
    }

    fn open_error(&self, r: Rejection) -> CircuitOpen {
        CircuitOpen::new(self.backend.clone(), r.cause, r.retry_after)
    }

    /// Runs `f` under the lock. A transition is published to watchers under the lock (so they
    /// see changes in order), then logged and passed to the hook with the lock released, so a
    /// hook that reads the state cannot deadlock.
    fn with<R>(&self, f: impl FnOnce(&mut Machine, Instant) -> R) -> R {
        let (result, transition) = {
            let mut machine = self.lock();
            let result = f(&mut machine, Instant::now());
            let transition = machine.take_transition();
            if let Some(t) = transition {
                self.state_tx.send_replace(t.to);
            }
            (result, transition)
        };
        if let Some(t) = transition {
            self.report(t);
        }
        result
    }

    fn lock(&self) -> MutexGuard<'_, Machine> {
        // The machine is consistent after every method, so a panic elsewhere cannot corrupt it.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report(&self, t: Transition) {
        let backend = &*self.backend;
        match t.to {
            CircuitState::Open => tracing::warn!(
                backend,
                cause = %t.cause,
                retry_after_s = t.open_for.as_secs_f64(),
                "circuit opened"
            ),
            CircuitState::HalfOpen => tracing::info!(backend, "circuit half-open; probing"),
            CircuitState::Closed => tracing::info!(backend, "circuit closed"),
        }
        if let Some(hook) = &self.on_change {
            // The latest state rather than `t.to`: hooks of racing transitions may run out of
            // order, and a gauge set from them must still end on the current state.
            let latest = *self.state_tx.borrow();
            hook(backend, latest);
        }
    }
}

// === impl Permit ===

impl Permit {
    /// Records the call's outcome.
    pub(crate) fn complete(mut self, ok: bool) {
        if let Some(ticket) = self.ticket.take() {
            self.shared.with(|m, now| m.complete(ticket, ok, now));
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.shared.with(|m, _| m.cancel(ticket));
        }
    }
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("ticket", &self.ticket)
            .finish()
    }
}
