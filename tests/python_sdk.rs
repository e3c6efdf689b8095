//! The official MCP Python SDK (`pip install mcp`) as the client, running
//! `tests/python/client_session.py` (interpreter: see `common::python`).

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::python::run_script;
use common::{config::ConfigBuilder, rmcp_backend::RmcpBackend, GatewayProcess};
use serde_json::{json, Value};

/// How long one run of the script may take.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(120);

/// Run the script against `url` with `plan` and return its JSON summary.
async fn run_client_session(url: &str, plan: &Value) -> Value {
    let plan = plan.to_string();
    let (code, stdout, stderr) =
        run_script("client_session.py", &[url, &plan], SCRIPT_DEADLINE).await;
    assert_eq!(
        code,
        Some(0),
        "client_session.py failed ({code:?}):\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("client_session.py printed no JSON summary ({e}):\n{stdout}\n{stderr}")
    })
}

fn string_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("expected strings, got {value}"))
                .to_string()
        })
        .collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_client_sees_every_backend_through_the_gateway() {
    let remote = RmcpBackend::start().await;
    let config = ConfigBuilder::new()
        .page_size(3)
        .example_backend("one", &[])
        .example_backend("two", &["--page-size", "2", "--tools", "5"])
        .http_backend("remote", &remote.url(), &[])
        .build();
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;

    let plan = json!({
        "calls": [
            ["one__echo", {"text": "hi from python"}],
            ["two__add", {"a": 40, "b": 2}],
            ["remote__weather", {"city": "Lima"}]
        ],
        "prompts": [["one__greet", {"name": "Grace"}], ["remote__summary", {"topic": "tides"}]],
        "reads": ["example://readme", "example://items/42", "remote://status"]
    });
    let summary = run_client_session(&gateway.url(), &plan).await;

    let version = summary["protocol_version"].as_str().unwrap_or_default();
    assert!(
        ["2025-03-26", "2025-06-18", "2025-11-25"].contains(&version),
        "negotiated {version}: {summary}"
    );

    let mut expected_tools = BTreeSet::new();
    for alias in ["one", "two"] {
        for tool in mcpmux::example_server::TOOL_NAMES {
            expected_tools.insert(format!("{alias}__{tool}"));
        }
    }
    expected_tools.extend((1..=5).map(|i| format!("two__extra_{i:04}")));
    expected_tools.extend(["remote__weather".to_string(), "remote__whoami".to_string()]);
    let tools = summary["tools"].as_array().map_or(0, Vec::len);
    assert_eq!(
        tools,
        expected_tools.len(),
        "a tool was listed twice or lost: {summary}"
    );
    assert_eq!(string_set(&summary["tools"]), expected_tools);
    assert!(
        summary["tool_pages"].as_u64().unwrap_or(0) >= 6,
        "33 tools at page_size 3 need at least 6 pages: {summary}"
    );

    assert_eq!(
        string_set(&summary["prompts"]),
        set_of(&["one__greet", "two__greet", "remote__summary"])
    );
    assert_eq!(
        string_set(&summary["resources"]),
        set_of(&["example://readme", "remote://status"])
    );
    assert!(
        string_set(&summary["resource_templates"]).contains("example://items/{id}"),
        "{summary}"
    );

    assert_eq!(
        summary["calls"],
        json!({"one__echo": "hi from python", "two__add": "42", "remote__weather": "sunny in Lima"})
    );
    assert_eq!(
        summary["prompt_messages"],
        json!({
            "one__greet": {"role": "user", "text": "Hello, Grace!"},
            "remote__summary": {"role": "user", "text": "Summarize tides"}
        })
    );
    assert_eq!(
        summary["reads"],
        json!({
            "example://readme": "mcpmux example server",
            "example://items/42": "item 42",
            "remote://status": "remote ok"
        })
    );
}

/// The script itself against the rmcp backend, without the gateway: if this fails, the
/// script or the Python setup is broken, not the gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_script_works_against_the_rmcp_backend_directly() {
    let remote = RmcpBackend::start().await;

    let plan = json!({
        "calls": [["weather", {"city": "Quito"}]],
        "prompts": [["summary", {"topic": "rain"}]],
        "reads": ["remote://status"]
    });
    let summary = run_client_session(&remote.url(), &plan).await;

    assert_eq!(
        string_set(&summary["tools"]),
        set_of(&["weather", "whoami"])
    );
    assert_eq!(summary["tool_pages"], json!(1));
    assert_eq!(summary["calls"], json!({"weather": "sunny in Quito"}));
    assert_eq!(
        summary["prompt_messages"],
        json!({"summary": {"role": "user", "text": "Summarize rain"}})
    );
    assert_eq!(summary["reads"], json!({"remote://status": "remote ok"}));
}
