//! `/healthz` (the process answers) and `/readyz` (every backend finished its first attempt).

use http::{Response, StatusCode};
use serde::Serialize;
use std::collections::BTreeMap;

use super::body::{self, Body};
use crate::backend::Health;
use crate::gateway::Gateway;

/// `GET /healthz`.
pub fn healthz() -> Response<Body> {
    body::text(StatusCode::OK, "ok\n")
}

#[derive(Serialize)]
struct Readiness<'a> {
    status: &'a str,
    backends: BTreeMap<&'a str, BackendState<'a>>,
}

#[derive(Serialize)]
struct BackendState<'a> {
    state: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    circuit: Option<&'a str>,
}

/// `GET /readyz`: 200 once every backend is up or has failed its first attempt, else 503.
pub fn readyz(gateway: &Gateway) -> Response<Body> {
    let (ready, states) = gateway.readiness();
    let backends = states
        .iter()
        .map(|b| {
            let (state, error) = match &b.health {
                Health::Starting => ("starting", None),
                Health::Up => ("up", None),
                Health::Down(reason) => ("down", Some(&**reason)),
                Health::Unhealthy(reason) => ("unhealthy", Some(&**reason)),
            };
            let line = BackendState {
                state,
                error,
                circuit: b.circuit,
            };
            (&*b.alias, line)
        })
        .collect();
    let draining = gateway.is_draining();
    let ready = ready && !draining;
    let body = Readiness {
        status: match (draining, ready) {
            (true, _) => "stopping",
            (false, true) => "ready",
            (false, false) => "starting",
        },
        backends,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    body::json(status, serde_json::to_vec(&body).unwrap_or_default())
}
