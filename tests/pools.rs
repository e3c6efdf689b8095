//! stdio pool modes through a real gateway process: per-session processes are separate, bounded
//! and reaped; shared replicas; and what a child process may see of the gateway's environment.

mod common;

use std::collections::BTreeSet;

use common::raw::{tool_text, RawSession};
use common::{example_server_cmd, poll_until, GatewayProcess, POLL_DEADLINE};
use serde_json::json;

fn config(pool: &str) -> String {
    format!(
        r#"
host = "127.0.0.1"
port = 0
log_level = "debug"

[backends.ex]
command = "{}"
args = ["example-server"]
health_check_interval = 0
{pool}
"#,
        example_server_cmd()
    )
}

async fn pid_of(session: &RawSession) -> u32 {
    let response = session.call_tool("ex__pid", json!({})).await;
    tool_text(&response)
        .unwrap_or_else(|| panic!("pid: {response}"))
        .parse()
        .expect("a pid")
}

async fn children_become(gateway: &GatewayProcess, n: usize) {
    poll_until(POLL_DEADLINE, &format!("{n} child processes"), || async {
        (gateway.child_pids().len() == n).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_session_processes_are_separate_bounded_and_reaped_when_their_session_ends() {
    let gateway = GatewayProcess::start(&config("pool = \"per-session\"\nmax_processes = 2")).await;
    gateway.wait_ready().await;
    // One process serves the gateway's own calls (catalog, health).
    children_become(&gateway, 1).await;
    let shared = gateway.child_pids();
    let a = RawSession::initialize(&gateway.url()).await;
    let b = RawSession::initialize(&gateway.url()).await;
    let (pid_a, pid_b) = (pid_of(&a).await, pid_of(&b).await);
    assert_ne!(pid_a, pid_b, "each session has its own process");
    assert!(!shared.contains(&pid_a) && !shared.contains(&pid_b));
    assert_eq!(pid_of(&a).await, pid_a, "a session keeps its process");
    children_become(&gateway, 3).await;

    // At max_processes, a third session is refused with a clear error.
    let c = RawSession::initialize(&gateway.url()).await;
    let refused = c.call_tool("ex__pid", json!({})).await;
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(refused["error"]["code"], -32001, "{refused}");
    assert!(message.contains("max_processes"), "{message}");
    // Refusals by the gateway's own bound are not the backend's failures: however many, the
    // circuit stays closed for the sessions that have a process.
    for _ in 0..8 {
        let refused = c.call_tool("ex__pid", json!({})).await;
        assert_eq!(refused["error"]["code"], -32001, "{refused}");
    }
    assert_eq!(pid_of(&b).await, pid_b, "the circuit did not open");

    // A session that ends takes its process with it; the freed slot serves the next one.
    assert_eq!(a.delete().await.status, 204);
    children_become(&gateway, 2).await;
    assert!(!gateway.child_pids().contains(&pid_a));
    let pid_c = pid_of(&c).await;
    assert!(![pid_a, pid_b].contains(&pid_c));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_per_session_process_is_stopped_and_started_again_on_use() {
    let gateway =
        GatewayProcess::start(&config("pool = \"per-session\"\nidle_timeout = \"1s\"")).await;
    gateway.wait_ready().await;
    let a = RawSession::initialize(&gateway.url()).await;
    let first = pid_of(&a).await;
    children_become(&gateway, 2).await;
    children_become(&gateway, 1).await;
    let again = pid_of(&a).await;
    assert_ne!(first, again, "a new process after the idle one stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_replicas_are_separate_processes_serving_every_session() {
    let gateway = GatewayProcess::start(&config("replicas = 3")).await;
    gateway.wait_ready().await;
    children_become(&gateway, 3).await;
    let a = RawSession::initialize(&gateway.url()).await;
    let b = RawSession::initialize(&gateway.url()).await;
    let pids: BTreeSet<u32> = [pid_of(&a).await, pid_of(&b).await].into();
    assert!(pids.iter().all(|p| gateway.child_pids().contains(p)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_sees_the_allow_list_and_its_own_env_but_not_the_gateways_secrets() {
    let secret = ("MCPMUX_TEST_ONLY_SECRET", "s3cr3t-value");
    let body = format!(
        r#"
host = "127.0.0.1"
port = 0

[backends.plain]
command = "{exe}"
args = ["example-server"]
env = {{ FROM_REF = "${{env:MCPMUX_TEST_ONLY_SECRET}}" }}

[backends.inherits]
command = "{exe}"
args = ["example-server"]
inherit_env = true
"#,
        exe = example_server_cmd()
    );
    let gateway = GatewayProcess::start_with_env(&body, &[secret]).await;
    gateway.wait_ready().await;
    let s = RawSession::initialize(&gateway.url()).await;
    let env = |backend: &'static str, name: &'static str| {
        let s = &s;
        async move {
            let response = s
                .call_tool(&format!("{backend}__env"), json!({"name": name}))
                .await;
            tool_text(&response).unwrap_or_default().to_string()
        }
    };
    assert_eq!(
        env("plain", "MCPMUX_TEST_ONLY_SECRET").await,
        "",
        "not on the allow-list"
    );
    assert_eq!(
        env("plain", "FROM_REF").await,
        "s3cr3t-value",
        "its own env, references resolved"
    );
    assert!(
        !env("plain", "PATH").await.is_empty(),
        "PATH is on the allow-list"
    );
    assert_eq!(
        env("inherits", "MCPMUX_TEST_ONLY_SECRET").await,
        "s3cr3t-value"
    );
}
