//! What operators see: `/metrics` scraped and parsed after real calls, the audit line of a
//! failing call, and graceful shutdown under load, against a real gateway process.

mod common;

use std::time::Duration;

use common::raw::{client, tool_text, RawSession};
use common::scrape::{label_values, scrape, value};
use common::{example_server_cmd, poll_until, GatewayProcess, POLL_DEADLINE};
use serde_json::json;

fn config(extra: &str) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = 0\n{extra}\n\n[backends.ex]\ncommand = \"{}\"\nargs = [\"example-server\"]\nhealth_check_interval = 0\nretry = {{ enabled = false }}\n",
        example_server_cmd()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_by_exactly_the_calls_made_and_carry_no_session_or_argument() {
    let gateway = GatewayProcess::start(&config("")).await;
    gateway.wait_ready().await;
    let admin = gateway.admin_base();
    let s = RawSession::initialize(&gateway.url()).await;
    let before = scrape(&admin).await;
    let marker = "argument-value-7f3a";
    for _ in 0..3 {
        assert_eq!(
            tool_text(&s.call_tool("ex__echo", json!({"text": marker})).await),
            Some(marker)
        );
    }
    let unknown = s.call_tool("ex__nope", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602);
    s.tool_names().await;
    let after = scrape(&admin).await;

    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert_eq!(
        delta(
            "mcpmux_requests_total",
            &[
                ("method", "tools/call"),
                ("backend", "ex"),
                ("outcome", "ok")
            ]
        ),
        3.0
    );
    assert_eq!(
        delta(
            "mcpmux_tool_calls_total",
            &[("backend", "ex"), ("tool", "echo"), ("outcome", "ok")]
        ),
        3.0
    );
    assert_eq!(
        delta(
            "mcpmux_request_duration_seconds",
            &[("method", "tools/call"), ("backend", "ex")]
        ),
        3.0
    );
    assert_eq!(
        delta(
            "mcpmux_requests_total",
            &[
                ("method", "tools/call"),
                ("backend", "mcpmux"),
                ("outcome", "invalid")
            ]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "mcpmux_tool_calls_total",
            &[("tool", "unknown"), ("outcome", "invalid")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "mcpmux_requests_total",
            &[("method", "tools/list"), ("outcome", "ok")]
        ),
        1.0
    );
    assert_eq!(
        value(&after, "mcpmux_backend_up", &[("backend", "ex")]),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "mcpmux_catalog_items",
            &[("backend", "ex"), ("kind", "tools")]
        ),
        mcpmux::example_server::TOOL_NAMES.len() as f64
    );
    assert!(value(&after, "mcpmux_sessions_active", &[]) >= 1.0);
    assert_eq!(
        value(
            &after,
            "mcpmux_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    for label in label_values(&after) {
        assert!(
            !label.contains(&s.session_id),
            "a session id as a label: {label}"
        );
        assert!(!label.contains(marker), "an argument as a label: {label}");
        assert!(
            !label.contains("nope"),
            "an unknown tool name as a label: {label}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_up_follows_a_backend_going_down_and_up() {
    let gateway = GatewayProcess::start(&config("")).await;
    gateway.wait_ready().await;
    let admin = gateway.admin_base();
    let s = RawSession::initialize(&gateway.url()).await;
    let up = |want: f64| {
        let admin = admin.clone();
        async move {
            poll_until(POLL_DEADLINE, &format!("backend_up == {want}"), || {
                let admin = admin.clone();
                async move {
                    (value(
                        &scrape(&admin).await,
                        "mcpmux_backend_up",
                        &[("backend", "ex")],
                    ) == want)
                        .then_some(())
                }
            })
            .await
        }
    };
    up(1.0).await;
    let _ = s.call_tool("ex__crash", json!({})).await;
    up(0.0).await;
    up(1.0).await;
    let restarts = value(
        &scrape(&admin).await,
        "mcpmux_stdio_restarts_total",
        &[("backend", "ex")],
    );
    assert!(restarts >= 1.0, "{restarts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_call_gets_one_audit_line_with_its_outcome() {
    let gateway = GatewayProcess::start(&config("")).await;
    gateway.wait_ready().await;
    let s = RawSession::initialize(&gateway.url()).await;
    let _ = s.call_tool("ex__add", json!({"a": "not a number"})).await;
    let line = gateway
        .wait_for_log("the audit line", |l| {
            l.contains("mcpmux::audit") && l.contains("ex__add")
        })
        .await;
    for field in [
        "tool=\"ex__add\"",
        "backend=\"ex\"",
        "outcome=\"error\"",
        "error_code=-32602",
        "duration_ms=",
        &s.session_id,
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    assert!(
        !line.contains("not a number"),
        "arguments are not logged by default: {line}"
    );
    assert_eq!(
        gateway.count_log_lines("mcpmux::audit"),
        1,
        "one line per call"
    );
}

/// Audit lines are written straight to the log, past `tracing`; the log filter still decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_that_turns_audit_lines_off_is_obeyed() {
    let gateway =
        GatewayProcess::start_with_env(&config(""), &[("RUST_LOG", "info,mcpmux::audit=off")])
            .await;
    gateway.wait_ready().await;
    let s = RawSession::initialize(&gateway.url()).await;
    s.call_tool("ex__echo", json!({"text": "unaudited"})).await;
    s.delete().await;
    // Lines are written in order: once the session's end is in, so would the call's line be.
    gateway
        .wait_for_log("the session's end", |l| {
            l.contains("session ended by client")
        })
        .await;
    let logs = gateway.logs();
    assert!(!logs.contains("mcpmux::audit"), "{logs}");
    assert!(
        logs.contains("session started"),
        "other info lines still come: {logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arguments_are_audited_only_when_asked() {
    let gateway = GatewayProcess::start(&config("audit = { include_arguments = true }")).await;
    gateway.wait_ready().await;
    let s = RawSession::initialize(&gateway.url()).await;
    s.call_tool("ex__echo", json!({"text": "audit-me"})).await;
    let line = gateway
        .wait_for_log("the audit line", |l| l.contains("mcpmux::audit"))
        .await;
    assert!(line.contains("audit-me"), "{line}");
}

/// A gateway that audits arguments, and a session on it: what the unread-stderr tests load.
async fn auditing_gateway() -> (GatewayProcess, RawSession) {
    let gateway = GatewayProcess::start(&config("audit = { include_arguments = true }")).await;
    gateway.wait_ready().await;
    let s = RawSession::initialize(&gateway.url()).await;
    (gateway, s)
}

/// Echoes an 8 KiB text (so each audit line carries 8 KiB), failing the test if the call takes
/// 30 s: the gateway would be waiting on its stderr.
async fn echo_8_kib(s: &RawSession, call: usize) {
    let text = "x".repeat(8 * 1024);
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        s.call_tool("ex__echo", json!({ "text": text })),
    )
    .await
    .unwrap_or_else(|_| panic!("call {call} waited on the unread stderr"));
    assert_eq!(tool_text(&answer), Some(text.as_str()), "call {call}");
}

/// A stderr nobody reads (a stalled log shipper) costs log lines, counted and reported, and
/// never a call: the gateway's workers do not wait on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stderr_nobody_reads_drops_log_lines_and_stalls_no_call() {
    let (gateway, s) = auditing_gateway().await;
    let admin = gateway.admin_base();
    let dropped =
        |text: &prometheus_parse::Scrape| value(text, "mcpmux_log_lines_dropped_total", &[]);
    assert_eq!(dropped(&scrape(&admin).await), 0.0);
    gateway.pause_stderr();
    // Each audit line carries the 8 KiB argument: the pipe (64 KiB) and the gateway's backlog
    // (4 MiB) fill after some 520 calls.
    let mut calls = 0;
    let mut calls_after_drops = None;
    while calls_after_drops.is_none_or(|n| n < 50) {
        echo_8_kib(&s, calls).await;
        calls += 1;
        if let Some(n) = calls_after_drops.as_mut() {
            *n += 1;
        } else if calls % 50 == 0 && dropped(&scrape(&admin).await) > 0.0 {
            calls_after_drops = Some(0);
        }
        assert!(calls < 5_000, "no log line was dropped after {calls} calls");
    }
    gateway.resume_stderr();
    let report = gateway
        .wait_for_log("the report of dropped lines", |l| {
            l.contains("log line(s) dropped")
        })
        .await;
    let reported: f64 = report
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count in {report}"));
    assert!(reported > 0.0, "{report}");
    assert!(
        reported <= dropped(&scrape(&admin).await),
        "the report counts lines the metric counted: {report}"
    );
}

/// An exit waits only so long for a stderr nobody reads: the process ends, it does not hang in
/// its last write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_whose_stderr_nobody_reads_still_exits_on_sigterm() {
    let (mut gateway, s) = auditing_gateway().await;
    gateway.pause_stderr();
    // 200 audit lines of 8 KiB: far more than a pipe holds, so the log writer is stuck in a
    // write when the signal comes.
    for call in 0..200 {
        echo_8_kib(&s, call).await;
    }
    // `terminate` gives the process 30 s; a process that waited for its stderr would never end.
    let status = gateway.terminate().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_at_once_and_loses_no_call_in_flight() {
    let mut gateway = GatewayProcess::start(&config("shutdown_grace = \"20s\"")).await;
    gateway.wait_ready().await;
    let admin = gateway.admin_base();
    let sessions: Vec<RawSession> = {
        let mut v = Vec::new();
        for _ in 0..6 {
            v.push(RawSession::initialize(&gateway.url()).await);
        }
        v
    };
    let calls: Vec<_> = sessions
        .into_iter()
        .map(|s| tokio::spawn(async move { s.call_tool("ex__sleep", json!({"ms": 1500})).await }))
        .collect();
    poll_until(POLL_DEADLINE, "six calls in the backend", || async {
        (gateway
            .logs()
            .matches("example-server: sleeping 1500ms")
            .count()
            == 6)
            .then_some(())
    })
    .await;
    let backends = gateway.child_pids();
    assert!(!backends.is_empty());
    gateway.signal_terminate();
    poll_until(POLL_DEADLINE, "/readyz failing while draining", || async {
        let response = client().get(format!("{admin}/readyz")).send().await.ok()?;
        (response.status() == 503).then_some(())
    })
    .await;
    for call in calls {
        let response = call.await.unwrap();
        assert_eq!(tool_text(&response), Some("slept 1500ms"), "{response}");
    }
    let status = gateway.wait_exit(Duration::from_secs(30)).await;
    assert!(status.success(), "{status}");
    for pid in backends {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let running = state.split_whitespace().nth(2).is_some_and(|s| s != "Z");
        assert!(!running, "backend process {pid} left behind: {state}");
    }
}
