//! `@modelcontextprotocol/server-everything` (npm) behind mcpmux, over stdio and over streamable
//! HTTP, driven by two official Python SDK clients at once (`tests/python/flows.py`): progress,
//! cancellation, sampling, elicitation, roots, logging, resource subscriptions and list_changed
//! each reach the right client and never the other one. Needs what `.ci/run` installs.

mod common;

use std::time::Duration;

use common::node::{everything_js, EverythingHttp};
use common::python::run_script;
use common::raw::RawSession;
use common::GatewayProcess;
use serde_json::{json, Value};

/// How long the whole flow script may take.
const FLOWS_DEADLINE: Duration = Duration::from_secs(240);

async fn flows_pass_through(gateway: &GatewayProcess) {
    let url = gateway.url();
    let (code, stdout, stderr) =
        run_script("flows.py", &[&url, "--timeout", "30"], FLOWS_DEADLINE).await;
    let summary: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("flows.py printed no JSON ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(code, Some(0), "flows.py failed:\n{summary:#}\n{stderr}");
    for step in [
        "progress",
        "cancellation",
        "sampling",
        "elicitation",
        "roots",
        "logging",
        "subscriptions",
        "list_changed",
    ] {
        assert_eq!(summary[step], "ok", "step {step}: {summary:#}");
    }
}

fn stdio_config(extra: &str) -> String {
    format!(
        r#"
host = "127.0.0.1"
port = 0
log_level = "debug"

[backends.ev]
command = "node"
args = ["{}", "stdio"]
pool = "per-session"
{extra}
"#,
        everything_js().display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_reaches_the_right_client_through_a_stdio_backend() {
    let gateway = GatewayProcess::start(&stdio_config("")).await;
    gateway.wait_ready().await;
    flows_pass_through(&gateway).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_reaches_the_right_client_through_an_http_backend() {
    let everything = EverythingHttp::start().await;
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\nlog_level = \"debug\"\n\n[backends.ev]\nurl = \"{}\"\n",
        everything.url
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    flows_pass_through(&gateway).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_name_cannot_reach_a_denied_tool() {
    let gateway = GatewayProcess::start(&stdio_config("tools = { deny = [\"get-env\"] }")).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    // Routed and checked on the first `name`; Node's JSON.parse keeps the last one.
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ev__echo","arguments":{"message":"x"},"name":"get-env"}}"#;
    let refused = session.post_raw(body).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.error_code(), -32600, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("`params.name` appears more than once"),
        "{}",
        refused.body
    );
    assert!(
        !refused.body.contains("PATH"),
        "the environment leaked: {}",
        refused.body
    );
    // The denied tool is not reachable by its own name either.
    let direct = session.call_tool("ev__get-env", json!({})).await;
    assert_eq!(direct["error"]["code"], -32602, "{direct}");
}
