//! The health checker: pings each backend on an interval, over its bare transport (not through
//! rate limits or retries), feeds the result to the breaker and shows it on `/readyz`.

use std::sync::Arc;
use std::time::Duration;

use mcpmux_layers::BreakerHandle;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{info, warn};

use super::{BackendService, Health, Status};
use crate::protocol::JsonRpcRequest;

/// The latest health-check verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Checked {
    /// No check has run yet.
    #[default]
    Unknown,
    /// The last ping was answered.
    Passing,
    /// The last ping failed, with why.
    Failing(Arc<str>),
}

/// Everything a health checker needs for one backend.
pub struct HealthCheck {
    /// The backend's alias.
    pub alias: Arc<str>,
    /// The bare transport.
    pub transport: BackendService,
    /// The connection state: nothing is pinged while the backend is not up (restarting).
    pub status: watch::Receiver<Status>,
    /// The breaker to feed, if the backend has one.
    pub breaker: Option<BreakerHandle>,
    /// Time between pings.
    pub interval: Duration,
    /// Limit for one ping.
    pub timeout: Duration,
    /// Where verdicts are published.
    pub verdict: watch::Sender<Checked>,
    /// Told to restart the backend after [`RESTART_AFTER`] failed pings in a row.
    pub restart: Option<Arc<Notify>>,
}

/// Failed pings in a row after which a backend that is up but not answering is restarted.
pub const RESTART_AFTER: u32 = 3;

impl HealthCheck {
    /// Runs until `shutdown`.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + self.interval, self.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failures = 0u32;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.cancelled() => return,
            }
            if self.status.borrow_and_update().health != Health::Up {
                // The transport is (re)connecting with its own backoff; a ping would only fail.
                continue;
            }
            let result = self.ping().await;
            failures = if result.is_ok() { 0 } else { failures + 1 };
            self.publish(result);
            if failures >= RESTART_AFTER {
                if let Some(restart) = &self.restart {
                    warn!(backend = %self.alias, failures, "backend up but not answering pings; restarting it");
                    restart.notify_one();
                    failures = 0;
                }
            }
        }
    }

    async fn ping(&self) -> Result<(), String> {
        let ping = JsonRpcRequest::new("ping", None);
        match tokio::time::timeout(self.timeout, self.transport.clone().oneshot(ping)).await {
            // Any JSON-RPC reply, even an error, shows the backend is alive and reading.
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer to ping within {:?}", self.timeout)),
        }
    }

    fn publish(&mut self, result: Result<(), String>) {
        let verdict = match result {
            Ok(()) => {
                if let Some(b) = &self.breaker {
                    b.record_success();
                }
                Checked::Passing
            }
            Err(why) => {
                if let Some(b) = &self.breaker {
                    b.record_failure();
                }
                Checked::Failing(why.into())
            }
        };
        self.verdict.send_if_modified(|current| {
            if *current == verdict {
                return false;
            }
            match &verdict {
                Checked::Failing(why) => {
                    warn!(backend = %self.alias, reason = %why, "health check failing")
                }
                Checked::Passing if *current != Checked::Unknown => {
                    info!(backend = %self.alias, "health check passing again")
                }
                _ => {}
            }
            *current = verdict.clone();
            true
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::raw_string;
    use crate::protocol::JsonRpcResponse;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tower::util::BoxCloneSyncService;

    #[tokio::test(start_paused = true)]
    async fn pings_up_backends_and_publishes_verdicts() {
        let alive = Arc::new(AtomicBool::new(true));
        let flag = alive.clone();
        let transport = BoxCloneSyncService::new(tower::service_fn(move |_req: JsonRpcRequest| {
            let up = flag.load(Ordering::SeqCst);
            async move {
                if up {
                    Ok(JsonRpcResponse {
                        outcome: Ok(raw_string("ok").into()),
                    })
                } else {
                    Err::<JsonRpcResponse, crate::BoxError>("connection refused".into())
                }
            }
        }));
        let status = Status {
            health: Health::Up,
            ..Status::default()
        };
        let (_status_tx, status_rx) = watch::channel(status);
        let (verdict_tx, mut verdict_rx) = watch::channel(Checked::Unknown);
        let check = HealthCheck {
            alias: "a".into(),
            transport,
            status: status_rx,
            breaker: None,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            verdict: verdict_tx,
            restart: None,
        };
        let shutdown = CancellationToken::new();
        tokio::spawn(check.run(shutdown.clone()));
        verdict_rx.changed().await.unwrap();
        assert_eq!(*verdict_rx.borrow(), Checked::Passing);
        alive.store(false, Ordering::SeqCst);
        verdict_rx.changed().await.unwrap();
        assert!(matches!(&*verdict_rx.borrow(), Checked::Failing(why) if why.contains("refused")));
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_backend_that_stops_answering_pings_is_restarted() {
        let transport = BoxCloneSyncService::new(tower::service_fn(|_req: JsonRpcRequest| async {
            std::future::pending::<Result<JsonRpcResponse, crate::BoxError>>().await
        }));
        let status = Status {
            health: Health::Up,
            ..Status::default()
        };
        let (_status_tx, status_rx) = watch::channel(status);
        let restart = Arc::new(Notify::new());
        let check = HealthCheck {
            alias: "wedged".into(),
            transport,
            status: status_rx,
            breaker: None,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(1),
            verdict: watch::channel(Checked::Unknown).0,
            restart: Some(restart.clone()),
        };
        let shutdown = CancellationToken::new();
        let started = tokio::time::Instant::now();
        tokio::spawn(check.run(shutdown.clone()));
        restart.notified().await;
        // Three pings, each unanswered within its timeout, one per interval.
        assert!(started.elapsed() >= Duration::from_secs(3 * 10));
        shutdown.cancel();
    }
}
