//! The breaker's state machine. Time is passed in, so it can be driven by tokio's clock (and
//! paused in tests); locking and notification live in `handle.rs`.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::{BreakerConfig, CircuitState, TripCause};

/// Why a call was refused and for how long the breaker expects to stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) cause: TripCause,
    pub(crate) retry_after: Duration,
}

/// An admitted call; its outcome counts only in the phase it was admitted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    generation: u64,
    probe: bool,
}

/// A state change to report once the lock is released.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) to: CircuitState,
    pub(crate) cause: TripCause,
    pub(crate) open_for: Duration,
}

#[derive(Debug)]
enum Phase {
    Closed,
    Open {
        until: Instant,
        cause: TripCause,
    },
    HalfOpen {
        in_flight: u32,
        succeeded: u32,
        cause: TripCause,
    },
}

#[derive(Debug)]
pub(crate) struct Machine {
    failure_threshold: u32,
    recovery_timeout: Duration,
    half_open_max_calls: u32,
    failure_rate: Option<f64>,
    minimum_calls: u32,
    phase: Phase,
    // Bumped on every transition so late outcomes of calls admitted earlier are ignored.
    generation: u64,
    consecutive_failures: u32,
    window: RateWindow,
    changed: Option<Transition>,
}

// === impl Machine ===

impl Machine {
    pub(crate) fn new(config: &BreakerConfig) -> Self {
        Self {
            failure_threshold: config.failure_threshold,
            recovery_timeout: config.recovery_timeout,
            half_open_max_calls: config.half_open_max_calls,
            failure_rate: config.failure_rate,
            minimum_calls: config.minimum_calls,
            phase: Phase::Closed,
            generation: 0,
            consecutive_failures: 0,
            window: RateWindow::new(config.window),
            changed: None,
        }
    }

    /// The state now, after moving from open to half-open if the recovery timeout has passed.
    pub(crate) fn state(&mut self, now: Instant) -> CircuitState {
        self.recover_if_due(now);
        match self.phase {
            Phase::Closed => CircuitState::Closed,
            Phase::Open { .. } => CircuitState::Open,
            Phase::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// Whether calls are being refused outright (open, recovery timeout not yet passed).
    pub(crate) fn refusing(&mut self, now: Instant) -> Option<Rejection> {
        self.recover_if_due(now);
        match self.phase {
            Phase::Open { until, cause } => Some(Rejection {
                cause,
                retry_after: until.saturating_duration_since(now),
            }),
            _ => None,
        }
    }

    /// Lets a call through, as a probe when half-open, or refuses it.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<Ticket, Rejection> {
        self.recover_if_due(now);
        let generation = self.generation;
        match &mut self.phase {
            Phase::Closed => Ok(Ticket {
                generation,
                probe: false,
            }),
            Phase::Open { until, cause } => Err(Rejection {
                cause: *cause,
                retry_after: until.saturating_duration_since(now),
            }),
            Phase::HalfOpen {
                in_flight,
                succeeded,
                cause,
            } => {
                if *in_flight + *succeeded < self.half_open_max_calls {
                    *in_flight += 1;
                    Ok(Ticket {
                        generation,
                        probe: true,
                    })
                } else {
                    // All probes are out; the answer is a probe's round trip away.
                    Err(Rejection {
                        cause: *cause,
                        retry_after: Duration::ZERO,
                    })
                }
            }
        }
    }

    /// Records the outcome of an admitted call.
    pub(crate) fn complete(&mut self, ticket: Ticket, ok: bool, now: Instant) {
        if ticket.generation != self.generation {
            return;
        }
        if ticket.probe {
            self.release_probe();
        }
        self.record(ok, now);
    }

    /// Gives back the probe slot of a call that was cancelled before it answered.
    pub(crate) fn cancel(&mut self, ticket: Ticket) {
        if ticket.probe && ticket.generation == self.generation {
            self.release_probe();
        }
    }

    /// Records a health check result: it counts like a call, and while open a success moves
    /// the breaker to half-open early and a failure restarts the recovery timeout.
    pub(crate) fn record_health(&mut self, ok: bool, now: Instant) {
        self.recover_if_due(now);
        match &mut self.phase {
            Phase::Open { cause, .. } if ok => {
                let cause = *cause;
                self.half_open(cause);
            }
            Phase::Open { until, .. } => *until = now + self.recovery_timeout,
            _ => self.record(ok, now),
        }
    }

    /// The last transition since this was last called.
    pub(crate) fn take_transition(&mut self) -> Option<Transition> {
        self.changed.take()
    }

    fn record(&mut self, ok: bool, now: Instant) {
        match &mut self.phase {
            Phase::Closed => self.record_closed(ok, now),
            Phase::HalfOpen { succeeded, .. } if ok => {
                *succeeded += 1;
                if *succeeded >= self.half_open_max_calls {
                    self.close();
                }
            }
            Phase::HalfOpen { .. } => self.open(TripCause::FailedProbe, now),
            Phase::Open { .. } => {}
        }
    }

    fn record_closed(&mut self, ok: bool, now: Instant) {
        self.window.record(ok, now);
        if ok {
            self.consecutive_failures = 0;
            return;
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures >= self.failure_threshold {
            let cause = TripCause::ConsecutiveFailures(self.consecutive_failures);
            return self.open(cause, now);
        }
        let Some(threshold) = self.failure_rate else {
            return;
        };
        let (calls, failures) = self.window.totals(now);
        if calls >= self.minimum_calls && f64::from(failures) >= threshold * f64::from(calls) {
            self.open(TripCause::FailureRate { failures, calls }, now);
        }
    }

    fn release_probe(&mut self) {
        if let Phase::HalfOpen { in_flight, .. } = &mut self.phase {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    fn recover_if_due(&mut self, now: Instant) {
        if let Phase::Open { until, cause } = self.phase {
            if now >= until {
                self.half_open(cause);
            }
        }
    }

    fn open(&mut self, cause: TripCause, now: Instant) {
        self.phase = Phase::Open {
            until: now + self.recovery_timeout,
            cause,
        };
        self.transitioned(CircuitState::Open, cause, self.recovery_timeout);
    }

    fn half_open(&mut self, cause: TripCause) {
        self.phase = Phase::HalfOpen {
            in_flight: 0,
            succeeded: 0,
            cause,
        };
        self.transitioned(CircuitState::HalfOpen, cause, Duration::ZERO);
    }

    fn close(&mut self) {
        let cause = match self.phase {
            Phase::Open { cause, .. } | Phase::HalfOpen { cause, .. } => cause,
            Phase::Closed => return,
        };
        self.phase = Phase::Closed;
        self.transitioned(CircuitState::Closed, cause, Duration::ZERO);
    }

    fn transitioned(&mut self, to: CircuitState, cause: TripCause, open_for: Duration) {
        self.generation += 1;
        self.consecutive_failures = 0;
        self.window.clear();
        self.changed = Some(Transition {
            to,
            cause,
            open_for,
        });
    }
}

/// Calls and failures over a sliding time window, kept in ten buckets so memory stays constant
/// whatever the call rate.
#[derive(Debug)]
struct RateWindow {
    span: Duration,
    bucket_width: Duration,
    buckets: VecDeque<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    start: Instant,
    calls: u32,
    failures: u32,
}

// === impl RateWindow ===

impl RateWindow {
    const BUCKETS: u32 = 10;

    fn new(span: Duration) -> Self {
        Self {
            span,
            bucket_width: (span / Self::BUCKETS).max(Duration::from_millis(1)),
            buckets: VecDeque::with_capacity(Self::BUCKETS as usize + 1),
        }
    }

    fn record(&mut self, ok: bool, now: Instant) {
        self.evict(now);
        let width = self.bucket_width;
        if self.buckets.back().is_none_or(|b| now >= b.start + width) {
            self.buckets.push_back(Bucket {
                start: now,
                calls: 0,
                failures: 0,
            });
        }
        if let Some(bucket) = self.buckets.back_mut() {
            bucket.calls += 1;
            bucket.failures += u32::from(!ok);
        }
    }

    /// Calls and failures within the window ending at `now`.
    fn totals(&mut self, now: Instant) -> (u32, u32) {
        self.evict(now);
        self.buckets
            .iter()
            .fold((0, 0), |(c, f), b| (c + b.calls, f + b.failures))
    }

    fn evict(&mut self, now: Instant) {
        while let Some(front) = self.buckets.front() {
            if front.start + self.bucket_width + self.span <= now {
                self.buckets.pop_front();
            } else {
                break;
            }
        }
    }

    fn clear(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(config: BreakerConfig) -> Machine {
        Machine::new(&config)
    }

    #[test]
    fn rate_window_forgets_calls_older_than_its_span() {
        let t0 = Instant::now();
        let mut w = RateWindow::new(Duration::from_secs(10));
        w.record(false, t0);
        w.record(true, t0 + Duration::from_secs(5));
        assert_eq!(w.totals(t0 + Duration::from_secs(6)), (2, 1));
        assert_eq!(w.totals(t0 + Duration::from_secs(12)), (1, 0));
        assert_eq!(w.totals(t0 + Duration::from_secs(30)), (0, 0));
    }

    #[test]
    fn late_outcome_from_before_a_transition_is_ignored() {
        let t0 = Instant::now();
        let mut m = machine(BreakerConfig {
            failure_threshold: 1,
            ..BreakerConfig::default()
        });
        let early = m.admit(t0).unwrap();
        let tripping = m.admit(t0).unwrap();
        m.complete(tripping, false, t0);
        assert_eq!(m.state(t0), CircuitState::Open);

        // The earlier call's success must not count as a half-open probe or close the breaker.
        m.complete(early, true, t0);
        assert_eq!(m.state(t0), CircuitState::Open);
    }

    #[test]
    fn cancelled_probe_gives_its_slot_back() {
        let t0 = Instant::now();
        let mut m = machine(BreakerConfig {
            failure_threshold: 1,
            recovery_timeout: Duration::from_secs(1),
            ..BreakerConfig::default()
        });
        let t = m.admit(t0).unwrap();
        m.complete(t, false, t0);
        let later = t0 + Duration::from_secs(1);
        let probe = m.admit(later).unwrap();
        assert!(m.admit(later).is_err(), "only one probe at a time");
        m.cancel(probe);
        assert!(m.admit(later).is_ok(), "the slot is free again");
    }
}
