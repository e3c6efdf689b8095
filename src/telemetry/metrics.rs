//! Prometheus metrics, all prefixed `mcpmux_`, recorded through the `metrics` facade and
//! rendered by `metrics-exporter-prometheus` at `/metrics`.
//!
//! Labels are bounded: methods outside the MCP set are `other`, tool names come from the
//! catalog (a name the catalog does not know is `unknown`), and no session id, principal or
//! argument value is ever a label.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{describe_counter, describe_gauge, describe_histogram, gauge, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::protocol::mcp::ListKind;

/// Client requests, by method, backend (`mcpmux` when the gateway answered) and outcome.
pub const REQUESTS: &str = "mcpmux_requests_total";
/// `tools/call`s by backend, the backend's tool name and outcome.
pub const TOOL_CALLS: &str = "mcpmux_tool_calls_total";
/// How long client requests took, by method and backend.
pub const REQUEST_DURATION: &str = "mcpmux_request_duration_seconds";
/// 1 when a backend is connected and passing health checks, else 0.
pub const BACKEND_UP: &str = "mcpmux_backend_up";
/// A backend's circuit: 0 closed, 1 half-open, 2 open.
pub const CIRCUIT_STATE: &str = "mcpmux_circuit_state";
/// Retries of backend calls.
pub const RETRIES: &str = "mcpmux_retries_total";
/// Calls refused by a rate limit, by scope (`backend`, `principal`, `tool`).
pub const RATE_LIMITED: &str = "mcpmux_rate_limited_total";
/// Live client sessions.
pub const SESSIONS_ACTIVE: &str = "mcpmux_sessions_active";
/// Open event streams to clients, by kind (`get`, `call`).
pub const STREAMS_ACTIVE: &str = "mcpmux_streams_active";
/// Client streams ended because the client fell behind the replay window, by kind.
pub const STREAM_OVERFLOWS: &str = "mcpmux_stream_overflows_total";
/// Restarts of stdio backend processes.
pub const STDIO_RESTARTS: &str = "mcpmux_stdio_restarts_total";
/// Lines from stdio backends that were skipped (too long, not UTF-8), by reason.
pub const STDIO_SKIPPED_LINES: &str = "mcpmux_stdio_skipped_lines_total";
/// Entries in the catalog, by backend and list kind.
pub const CATALOG_ITEMS: &str = "mcpmux_catalog_items";
/// Config reloads, by outcome (`ok`, `error`).
pub const CONFIG_RELOADS: &str = "mcpmux_config_reloads_total";
/// Always 1, labelled with the version.
pub const BUILD_INFO: &str = "mcpmux_build_info";
/// Connections closed for not making progress, by phase (`first_bytes`, `idle`).
pub const CONNECTIONS_TIMED_OUT: &str = "mcpmux_connections_timed_out_total";
/// Requests refused for a missing or wrong bearer token.
pub const AUTH_FAILURES: &str = "mcpmux_auth_failures_total";
/// Log lines dropped because stderr took text more slowly than the gateway wrote it.
pub const LOG_LINES_DROPPED: &str = "mcpmux_log_lines_dropped_total";

/// Histogram buckets of request durations: 100 µs to 60 s.
const DURATION_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// How often histograms are compacted.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once and returns its handle (later calls return the
/// same one: embedders and tests may start several gateways in one process).
pub fn install() -> Result<PrometheusHandle, String> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), DURATION_BUCKETS)
        .map_err(|e| format!("metrics: {e}"))?
        .build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        // Another recorder was installed first (an embedder's); ours renders nothing then.
        tracing::warn!(
            "a metrics recorder was already installed; /metrics shows only what it renders"
        );
    }
    let handle = HANDLE.get_or_init(|| handle).clone();
    describe();
    register_zeros();
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(UPKEEP_EVERY);
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Ok(handle)
}

/// Whether [`install`] has run: metric handles taken before it go nowhere.
pub fn installed() -> bool {
    HANDLE.get().is_some()
}

/// The exposition text, if the recorder is installed.
pub fn render() -> Option<String> {
    HANDLE.get().map(PrometheusHandle::render)
}

fn describe() {
    describe_counter!(REQUESTS, "Client requests, by method, backend and outcome");
    describe_counter!(
        TOOL_CALLS,
        "tools/call requests, by backend, tool and outcome"
    );
    describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of client requests, by method and backend"
    );
    describe_gauge!(
        BACKEND_UP,
        "1 when the backend is connected and passing health checks, else 0"
    );
    describe_gauge!(
        CIRCUIT_STATE,
        "Circuit breaker state: 0 closed, 1 half-open, 2 open"
    );
    describe_counter!(RETRIES, "Retries of backend calls");
    describe_counter!(RATE_LIMITED, "Calls refused by a rate limit, by scope");
    describe_gauge!(SESSIONS_ACTIVE, "Live client sessions");
    describe_gauge!(STREAMS_ACTIVE, "Open event streams to clients, by kind");
    describe_counter!(
        STREAM_OVERFLOWS,
        "Client streams ended because the client stopped reading, by kind"
    );
    describe_counter!(STDIO_RESTARTS, "Restarts of stdio backend processes");
    describe_counter!(
        STDIO_SKIPPED_LINES,
        "Skipped stdout lines of stdio backends, by reason"
    );
    describe_gauge!(CATALOG_ITEMS, "Catalog entries, by backend and kind");
    describe_counter!(CONFIG_RELOADS, "Config reloads, by outcome");
    describe_gauge!(BUILD_INFO, "Always 1; the version is a label");
    describe_counter!(
        CONNECTIONS_TIMED_OUT,
        "Connections closed for making no progress, by phase"
    );
    describe_counter!(
        AUTH_FAILURES,
        "Requests refused for a missing or wrong bearer token"
    );
    describe_counter!(
        LOG_LINES_DROPPED,
        "Log lines dropped because stderr took text more slowly than the gateway wrote it"
    );
}

/// Series with bounded labels exist from the start (at zero), so dashboards and `rate()` see
/// them before the first event and a scrape shows every name the gateway exports.
fn register_zeros() {
    use metrics::counter;
    for outcome in ["ok", "error"] {
        counter!(CONFIG_RELOADS, "outcome" => outcome).absolute(0);
    }
    for scope in ["backend", "principal", "tool"] {
        counter!(RATE_LIMITED, "scope" => scope).absolute(0);
    }
    for kind in ["get", "call", "listen"] {
        counter!(STREAM_OVERFLOWS, "kind" => kind).absolute(0);
        gauge!(STREAMS_ACTIVE, "kind" => kind).increment(0.0);
    }
    for phase in ["first_bytes", "idle"] {
        counter!(CONNECTIONS_TIMED_OUT, "phase" => phase).absolute(0);
    }
    counter!(AUTH_FAILURES).absolute(0);
    counter!(LOG_LINES_DROPPED).absolute(0);
    gauge!(SESSIONS_ACTIVE).increment(0.0);
}

/// Zero series of one backend, registered when it starts.
pub fn register_backend(backend: &str, stdio: bool) {
    use metrics::counter;
    counter!(RETRIES, "backend" => backend.to_string()).absolute(0);
    gauge!(CIRCUIT_STATE, "backend" => backend.to_string()).set(0.0);
    if stdio {
        counter!(STDIO_RESTARTS, "backend" => backend.to_string()).absolute(0);
    }
}

/// The `method` label: MCP methods by name, anything else `other`.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "initialize",
        "ping",
        "tools/list",
        "tools/call",
        "prompts/list",
        "prompts/get",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "completion/complete",
        "logging/setLevel",
    ];
    KNOWN
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// The `kind` label of a catalog list.
pub fn kind_label(kind: ListKind) -> &'static str {
    match kind {
        ListKind::Tools => "tools",
        ListKind::Prompts => "prompts",
        ListKind::Resources => "resources",
        ListKind::ResourceTemplates => "resource_templates",
    }
}

/// The `circuit_state` value of a breaker state.
pub fn circuit_value(state: mcpmux_layers::CircuitState) -> f64 {
    match state {
        mcpmux_layers::CircuitState::Closed => 0.0,
        mcpmux_layers::CircuitState::HalfOpen => 1.0,
        mcpmux_layers::CircuitState::Open => 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_bounded() {
        assert_eq!(method_label("tools/call"), "tools/call");
        assert_eq!(method_label("x/../../etc"), "other");
    }
}
