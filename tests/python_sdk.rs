//! The official MCP Python SDK (`pip install mcp`) as the client, running
//! `tests/python/client_session.py`. The interpreter is `$MCPMUX_PYTHON`, else the
//! project's `.venv/bin/python` (made by `.ci/run`), else `python3`.

mod common;

use std::{collections::BTreeSet, path::PathBuf, process::Stdio, time::Duration};

use common::{config::ConfigBuilder, manifest_dir, rmcp_backend::RmcpBackend, GatewayProcess};
use serde_json::{json, Value};
use tokio::process::Command;

/// How long one run of the script may take.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(120);

fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("MCPMUX_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = manifest_dir().join(".venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// The script exits with this status when `import mcp` fails.
const EXIT_SDK_MISSING: i32 = 3;

/// How to get the SDK; the test fails (never skips) without it: CI installs it, so its
/// absence is a setup bug.
const INSTALL_HINT: &str = "Run `.ci/run` (it installs `mcp` into .venv), or `pip install mcp`, \
                            or set MCPMUX_PYTHON to an interpreter that has it.";

/// Run the script against `url` with `plan` and return its JSON summary.
async fn run_client_session(url: &str, plan: &Value) -> Value {
    let python = python();
    let script = manifest_dir().join("tests/python/client_session.py");
    let child = Command::new(&python)
        .arg(&script)
        .arg(url)
        .arg(plan.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}. {INSTALL_HINT}", python.display()));
    let output = tokio::time::timeout(SCRIPT_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} did not finish within {SCRIPT_DEADLINE:?}",
                script.display()
            )
        })
        .expect("wait for python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.code() == Some(EXIT_SDK_MISSING) {
        panic!(
            "the MCP Python SDK is not importable with {}: {stderr}\n{INSTALL_HINT}",
            python.display()
        );
    }
    assert!(
        output.status.success(),
        "client_session.py failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
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
        for tool in ["echo", "add", "sleep", "crash", "fail"] {
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
        "17 tools at page_size 3 need at least 6 pages: {summary}"
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
