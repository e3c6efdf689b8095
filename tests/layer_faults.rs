//! The backend layer stack under real faults: a real gateway process in front of the in-test
//! fault backend (streamable HTTP) and the example server (stdio).

mod common;
#[path = "common/fault_backend.rs"]
mod fault_backend;

use std::time::{Duration, Instant};

use common::raw::{tool_text, RawSession};
use common::{example_server_cmd, poll_until, GatewayProcess};
use fault_backend::{Fault, FaultBackend};
use serde_json::json;

/// A gateway config: the fault backend as `flaky` with `flaky_keys`, the example server as `ok`.
fn config(fault_url: &str, flaky_keys: &str) -> String {
    format!(
        r#"
host = "127.0.0.1"
port = 0
log_level = "debug"

[backends.flaky]
url = "{fault_url}"
health_check_interval = 0
{flaky_keys}

[backends.ok]
command = "{exe}"
args = ["example-server"]
"#,
        exe = example_server_cmd()
    )
}

async fn start(flaky_keys: &str) -> (FaultBackend, GatewayProcess, RawSession) {
    let backend = FaultBackend::start().await;
    let gateway = GatewayProcess::start(&config(&backend.url(), flaky_keys)).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    (backend, gateway, session)
}

fn error_of(response: &serde_json::Value) -> (i64, String) {
    let error = &response["error"];
    (
        error["code"]
            .as_i64()
            .unwrap_or_else(|| panic!("expected an error, got {response}")),
        error["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_backend_times_out_without_delaying_others() {
    let (backend, _gateway, session) = start("timeout = \"3s\"\nretry = { enabled = false }").await;
    backend.set(Fault::Hang);

    let hung = {
        let session_url = session.url.clone();
        let session_id = session.session_id.clone();
        tokio::spawn(async move {
            let body = json!({"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":"flaky__write","arguments":{}}});
            let response = common::raw::post(
                &session_url,
                body.to_string(),
                &[("mcp-session-id", &session_id)],
            )
            .await;
            (Instant::now(), response.message())
        })
    };
    poll_until(
        Duration::from_secs(20),
        "the hung call to reach the backend",
        || async { (backend.calls("write") == 1).then_some(()) },
    )
    .await;

    // While that call hangs, the other backend answers every call.
    let mut last_echo = Instant::now();
    for i in 0..20 {
        let response = session
            .call_tool("ok__echo", json!({ "text": format!("n{i}") }))
            .await;
        assert_eq!(
            tool_text(&response),
            Some(format!("n{i}").as_str()),
            "{response}"
        );
        last_echo = Instant::now();
    }
    let (hung_done, hung_response) = hung.await.unwrap();
    assert!(
        last_echo < hung_done,
        "the echo calls finished before the hung call timed out"
    );
    let (code, message) = error_of(&hung_response);
    assert_eq!(code, -32003, "{hung_response}");
    assert!(
        message.contains("`flaky`") && message.contains("3s"),
        "names backend and limit: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_backend_opens_the_breaker_and_a_probe_closes_it() {
    let (backend, _gateway, session) = start(
        "retry = { enabled = false }\ncircuit_breaker = { failure_threshold = 3, recovery_timeout = \"1s\", half_open_max_calls = 1 }",
    )
    .await;
    backend.set(Fault::FailNext(1000));
    for _ in 0..3 {
        let (code, message) = error_of(&session.call_tool("flaky__write", json!({})).await);
        assert_eq!(code, -32001, "{message}");
        assert!(message.contains("500"), "{message}");
    }
    assert_eq!(backend.calls("write"), 3);

    // Open: calls fail fast without reaching the backend.
    let (code, message) = error_of(&session.call_tool("flaky__write", json!({})).await);
    assert_eq!(code, -32004, "{message}");
    assert!(
        message.contains("circuit open after 3 consecutive failures"),
        "{message}"
    );
    assert_eq!(
        backend.calls("write"),
        3,
        "an open breaker must not call the backend"
    );

    // The backend recovers; after the recovery timeout a half-open probe closes the breaker.
    backend.set(Fault::None);
    let text = poll_until(
        Duration::from_secs(20),
        "the half-open probe to succeed",
        || async {
            let response = session.call_tool("flaky__write", json!({})).await;
            tool_text(&response).map(str::to_string)
        },
    )
    .await;
    assert!(text.starts_with("write #"), "{text}");
    for _ in 0..3 {
        let response = session.call_tool("flaky__write", json!({})).await;
        assert!(tool_text(&response).is_some(), "closed again: {response}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_tool_is_retried_and_a_side_effecting_one_is_not() {
    let (backend, _gateway, session) =
        start("retry = { max_attempts = 3, wait_min = \"10ms\", wait_max = \"50ms\" }").await;

    backend.set(Fault::FailNext(2));
    let response = session.call_tool("flaky__read", json!({})).await;
    assert_eq!(
        tool_text(&response),
        Some("read #3"),
        "retried to success: {response}"
    );
    assert_eq!(backend.calls("read"), 3);

    backend.set(Fault::FailNext(1));
    let (code, message) = error_of(&session.call_tool("flaky__write", json!({})).await);
    assert_eq!(code, -32001, "{message}");
    assert_eq!(
        backend.calls("write"),
        1,
        "a call that may have executed is never retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_tools_from_config_are_retried() {
    let (backend, _gateway, session) = start(
        "idempotent_tools = [\"wr*\"]\nretry = { max_attempts = 2, wait_min = \"10ms\", wait_max = \"10ms\" }",
    )
    .await;
    backend.set(Fault::FailNext(1));
    let response = session.call_tool("flaky__write", json!({})).await;
    assert_eq!(tool_text(&response), Some("write #2"), "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_per_principal_and_a_new_session_does_not_reset_them() {
    let backend = FaultBackend::start().await;
    let config = format!(
        r#"
host = "127.0.0.1"
port = 0

[auth.tokens]
alice = "alice-token-0123456789"
bob = "bob-token-0123456789"

[backends.flaky]
url = "{}"
health_check_interval = 0
rate_limit = {{ per_principal = {{ requests_per_second = 0.01, burst = 2 }} }}

[backends.ok]
command = "{}"
args = ["example-server"]
"#,
        backend.url(),
        example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let as_ = |token: &str| vec![("authorization".to_string(), format!("Bearer {token}"))];
    let alice = RawSession::initialize_with(&gateway.url(), as_("alice-token-0123456789")).await;
    let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flaky__read","arguments":{}}});
    for _ in 0..2 {
        let response = alice.post_json(&call).await;
        assert_eq!(response.status, 200, "{}", response.body);
    }
    let refused = alice.post_json(&call).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry_after >= 1, "{retry_after}");
    assert_eq!(refused.error_code(), -32005, "{}", refused.body);

    // A new session of the same principal shares the bucket: it cannot reset the limit.
    let alice_again =
        RawSession::initialize_with(&gateway.url(), as_("alice-token-0123456789")).await;
    assert_eq!(alice_again.post_json(&call).await.status, 429);

    // Another principal has its own bucket; the other backend is not limited at all.
    let bob = RawSession::initialize_with(&gateway.url(), as_("bob-token-0123456789")).await;
    assert_eq!(bob.post_json(&call).await.status, 200);
    let echo = alice.call_tool("ok__echo", json!({"text": "free"})).await;
    assert_eq!(tool_text(&echo), Some("free"), "{echo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_token_reaches_the_backend_and_never_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token-0451\n").unwrap();
    let keys = format!(
        "auth = {{ type = \"bearer\", credentials = {{ token = \"${{file:{}}}\" }} }}",
        token_file.display()
    );
    let (_backend, gateway, session) = start(&keys).await;
    let response = session.call_tool("flaky__whoami", json!({})).await;
    assert_eq!(
        tool_text(&response),
        Some("Bearer s3cret-token-0451"),
        "{response}"
    );
    // Lines are written in order: once the call's audit line is in, so is all it logged.
    gateway
        .wait_for_log("the audit line", |l| {
            l.contains("mcpmux::audit") && l.contains("flaky__whoami")
        })
        .await;
    let logs = gateway.logs();
    assert!(logs.contains("flaky"), "debug logs were captured");
    assert!(
        !logs.contains("s3cret-token-0451"),
        "the token leaked into the logs:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_authorization_is_not_forwarded_unless_opted_in() {
    let (_backend, _gateway, session) = start("").await;
    let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flaky__whoami","arguments":{}}});
    let response = common::raw::post(
        &session.url,
        call.to_string(),
        &[
            ("mcp-session-id", &session.session_id),
            ("authorization", "Bearer client-token"),
        ],
    )
    .await;
    assert_eq!(
        tool_text(&response.message()),
        Some("none"),
        "{}",
        response.body
    );

    let (_backend, _gateway, session) = start("forward_client_authorization = true").await;
    let response = common::raw::post(
        &session.url,
        call.to_string(),
        &[
            ("mcp-session-id", &session.session_id),
            ("authorization", "Bearer client-token"),
        ],
    )
    .await;
    assert_eq!(
        tool_text(&response.message()),
        Some("Bearer client-token"),
        "{}",
        response.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_tool_timeout_overrides_the_backend_timeout() {
    let (backend, _gateway, session) = start(
        "timeout = \"20s\"\ntool_timeouts = { read = \"300ms\" }\nretry = { enabled = false }",
    )
    .await;
    backend.set(Fault::Slow(Duration::from_millis(1500)));
    let (code, message) = error_of(&session.call_tool("flaky__read", json!({})).await);
    assert_eq!(code, -32003, "{message}");
    assert!(
        message.contains("300ms"),
        "names the per-tool limit: {message}"
    );
    // The same slowness is within the backend-wide limit for other tools.
    let response = session.call_tool("flaky__write", json!({})).await;
    assert_eq!(tool_text(&response), Some("write #1"), "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_feed_readiness_and_the_breaker() {
    let backend = FaultBackend::start().await;
    let config = config(&backend.url(), "").replace(
        "health_check_interval = 0",
        "health_check_interval = \"200ms\"\ntimeout = \"500ms\"\nretry = { enabled = false }\ncircuit_breaker = { failure_threshold = 2, recovery_timeout = \"60s\" }",
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;

    backend.set(Fault::Hang);
    let state = poll_until(
        Duration::from_secs(20),
        "/readyz to show flaky unhealthy",
        || async {
            let (_, body) = gateway.readyz().await;
            (body["backends"]["flaky"]["state"] == "unhealthy").then_some(body)
        },
    )
    .await;
    assert!(
        state["backends"]["flaky"]["error"]
            .as_str()
            .unwrap()
            .contains("ping"),
        "{state}"
    );
    assert_eq!(state["backends"]["ok"]["state"], "up", "{state}");

    // Two failed pings open the breaker; then a call fails fast without reaching the backend.
    poll_until(
        Duration::from_secs(20),
        "failed pings to open the breaker",
        || async {
            let (_, body) = gateway.readyz().await;
            (body["backends"]["flaky"]["circuit"] == "open").then_some(())
        },
    )
    .await;
    let (code, message) = error_of(&session.call_tool("flaky__write", json!({})).await);
    assert_eq!(code, -32004, "{message}");
    assert_eq!(backend.calls("write"), 0);

    // A passing ping moves the open breaker to half-open, and readiness recovers.
    backend.set(Fault::None);
    poll_until(
        Duration::from_secs(20),
        "/readyz to show flaky up again",
        || async {
            let (_, body) = gateway.readyz().await;
            (body["backends"]["flaky"]["state"] == "up").then_some(())
        },
    )
    .await;
    let text = poll_until(
        Duration::from_secs(20),
        "a call to succeed after recovery",
        || async {
            tool_text(&session.call_tool("flaky__write", json!({})).await).map(str::to_string)
        },
    )
    .await;
    assert!(text.starts_with("write #"), "{text}");
}
