//! Hot reload: backends added, changed and removed by editing the config file; an invalid
//! edit keeps the running config; sessions and calls in flight on unchanged backends carry
//! on; no child process outlives its backend; per-provider include directories; SIGHUP.

mod common;

use std::path::Path;
use std::time::Duration;

use common::raw::{tool_text, RawSession};
use common::scrape::{scrape, value};
use common::{example_server_cmd, poll_until, GatewayProcess};
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(20);

fn backend(alias: &str, extra: &str) -> String {
    format!(
        "[backends.{alias}]\ncommand = {}\nargs = [\"example-server\"]\nhealth_check_interval = 0\n{extra}\n",
        toml_string(example_server_cmd())
    )
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a path serialises")
}

/// Replaces a file the way editors and Kubernetes do: a new file renamed over the old one.
fn replace(path: &Path, contents: &str) {
    let temp = path.with_extension("new");
    std::fs::write(&temp, contents).expect("write the new config");
    std::fs::rename(&temp, path).expect("rename it over the old one");
}

/// Waits for the next reload outcome logged after line `from`; returns the line.
async fn next_reload(gateway: &GatewayProcess, from: usize) -> String {
    poll_until(DEADLINE, "a config reload log line", || async {
        gateway
            .logs_since(from)
            .into_iter()
            .find(|l| l.contains("config reloaded") || l.contains("config reload failed"))
    })
    .await
}

async fn pid_of(session: &RawSession, tool: &str) -> String {
    let response = session.call_tool(tool, json!({})).await;
    tool_text(&response)
        .unwrap_or_else(|| panic!("{tool}: {response}"))
        .to_string()
}

fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_file_adds_changes_and_removes_backends_while_sessions_carry_on() {
    let base = "host = \"127.0.0.1\"\nport = 0\n".to_string();
    let mut gateway =
        GatewayProcess::start(&format!("{base}{}{}", backend("a", ""), backend("b", ""))).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let a_pid = pid_of(&session, "a__pid").await;
    let b_pid = pid_of(&session, "b__pid").await;

    // A call in flight on `a` while the file changes: it must finish normally.
    let slow = {
        let url = gateway.url();
        let headers = session.session_headers();
        tokio::spawn(async move {
            let body = json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
                              "params": {"name": "a__sleep", "arguments": {"ms": 6000}}});
            let extra: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            common::raw::post(&url, body.to_string(), &extra).await
        })
    };

    // Add `c`, change `b` (a new environment variable restarts it), leave `a` alone.
    let from = gateway.log_line_count();
    replace(
        gateway.config_path(),
        &format!(
            "{base}{}{}{}",
            backend("a", ""),
            backend("b", "env = { MARK = \"2\" }"),
            backend("c", "")
        ),
    );
    let line = next_reload(&gateway, from).await;
    assert!(line.contains("config reloaded"), "{line}");
    assert!(
        !slow.is_finished(),
        "the slow call should still be running during the reload"
    );
    let names = poll_until(DEADLINE, "c's tools in the catalog", || async {
        let names = session.tool_names().await;
        names.iter().any(|n| n == "c__pid").then_some(names)
    })
    .await;
    assert!(names.iter().any(|n| n == "a__pid"), "{names:?}");
    assert_eq!(pid_of(&session, "a__pid").await, a_pid, "a was not touched");
    let b_pid2 = pid_of(&session, "b__pid").await;
    assert_ne!(b_pid2, b_pid, "b restarted with its new config");
    poll_until(DEADLINE, "b's old process to exit", || async {
        (!alive(&b_pid)).then_some(())
    })
    .await;
    let slow = slow.await.expect("the slow call's task");
    assert_eq!(slow.status, 200, "{}", slow.body);
    assert_eq!(tool_text(&slow.message()), Some("slept 6000ms"));

    // Remove `b`: its tools go, its process is stopped, the session keeps working.
    let from = gateway.log_line_count();
    replace(
        gateway.config_path(),
        &format!("{base}{}{}", backend("a", ""), backend("c", "")),
    );
    assert!(next_reload(&gateway, from)
        .await
        .contains("config reloaded"));
    let names = session.tool_names().await;
    assert!(!names.iter().any(|n| n.starts_with("b__")), "{names:?}");
    let gone = session.call_tool("b__pid", json!({})).await;
    assert!(
        gone["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown tool")),
        "{gone}"
    );
    poll_until(DEADLINE, "b's process to exit", || async {
        (!alive(&b_pid2)).then_some(())
    })
    .await;
    assert_eq!(pid_of(&session, "a__pid").await, a_pid);

    // An invalid edit keeps the running config and says why, in the log and the metrics.
    let from = gateway.log_line_count();
    replace(
        gateway.config_path(),
        &format!(
            "{base}{}[backends.bad]\nurl = \"ftp://nowhere\"\n",
            backend("a", "")
        ),
    );
    let line = next_reload(&gateway, from).await;
    assert!(line.contains("config reload failed"), "{line}");
    assert!(line.contains("backends.bad.url"), "{line}");
    assert_eq!(pid_of(&session, "a__pid").await, a_pid);
    assert!(session.tool_names().await.iter().any(|n| n == "c__pid"));
    let metrics = scrape(&gateway.admin_base()).await;
    assert_eq!(
        value(
            &metrics,
            "mcpmux_config_reloads_total",
            &[("outcome", "error")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &metrics,
            "mcpmux_config_reloads_total",
            &[("outcome", "ok")]
        ),
        2.0
    );

    // No backend process outlives the gateway.
    let children = gateway.child_pids();
    assert_eq!(children.len(), 2, "a and c: {children:?}");
    gateway.terminate().await;
    for pid in children {
        poll_until(DEADLINE, "backend processes to exit", || async {
            (!alive(&pid.to_string())).then_some(())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_provider_directories_are_included_and_watched() {
    // The README's include line and mcp_settings.json, as written (the provider's name and
    // the example server's path changed per use).
    let include = common::readme_block("### Hot reload", "toml", 0);
    let template: serde_json::Value =
        serde_json::from_str(&common::readme_block("### Hot reload", "json", 0))
            .expect("the README's mcp_settings.json parses");
    let gateway =
        GatewayProcess::start(&format!("host = \"127.0.0.1\"\nport = 0\n{include}")).await;
    let dir = gateway
        .config_path()
        .parent()
        .expect("the config has a directory")
        .to_path_buf();
    let settings = |name: &str, active: bool| {
        let mut file = template.clone();
        file["provider"] = json!(name);
        file["name"] = json!(name);
        file["isActive"] = json!(active);
        file["command"] = json!(example_server_cmd());
        file.to_string()
    };
    // The gateway started with no provider directory at all; it appears later, whole (built
    // aside and renamed into place), and the watcher sees it.
    let staging = dir.join("data.staging");
    std::fs::create_dir_all(staging.join("one")).expect("mkdir");
    std::fs::create_dir_all(staging.join("two")).expect("mkdir");
    std::fs::write(staging.join("one/mcp_settings.json"), settings("one", true)).expect("write");
    std::fs::write(
        staging.join("two/mcp_settings.json"),
        settings("two", false),
    )
    .expect("write");
    let from = gateway.log_line_count();
    std::fs::rename(&staging, dir.join("data")).expect("rename the provider directory into place");
    assert!(next_reload(&gateway, from)
        .await
        .contains("config reloaded"));
    let session = RawSession::initialize(&gateway.url()).await;
    let names = poll_until(DEADLINE, "one's tools", || async {
        let names = session.tool_names().await;
        names.iter().any(|n| n == "one__pid").then_some(names)
    })
    .await;
    assert!(!names.iter().any(|n| n.starts_with("two__")), "{names:?}");

    // A new provider directory and an activated one are picked up by the watcher alone.
    std::fs::create_dir_all(dir.join("data/three")).expect("mkdir");
    std::fs::write(
        dir.join("data/three/mcp_settings.json"),
        settings("three", true),
    )
    .expect("write");
    poll_until(DEADLINE, "three's tools", || async {
        session
            .tool_names()
            .await
            .iter()
            .any(|n| n == "three__pid")
            .then_some(())
    })
    .await;
    replace(
        &dir.join("data/two/mcp_settings.json"),
        &settings("two", true),
    );
    poll_until(DEADLINE, "two's tools once active", || async {
        session
            .tool_names()
            .await
            .iter()
            .any(|n| n == "two__pid")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_the_no_reload_flag_is_honoured() {
    let base = "host = \"127.0.0.1\"\nport = 0\nhot_reload = false\n";
    let gateway = GatewayProcess::start(&format!("{base}{}", backend("a", ""))).await;
    assert!(!gateway.logs().contains("watching the config"));
    replace(
        gateway.config_path(),
        &format!("{base}{}{}", backend("a", ""), backend("b", "")),
    );
    let from = gateway.log_line_count();
    let status = std::process::Command::new("kill")
        .arg("-HUP")
        .arg(gateway.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    assert!(next_reload(&gateway, from)
        .await
        .contains("config reloaded"));
    let session = RawSession::initialize(&gateway.url()).await;
    poll_until(DEADLINE, "b's tools", || async {
        session
            .tool_names()
            .await
            .iter()
            .any(|n| n == "b__pid")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_need_a_restart_are_reported_and_keep_their_value() {
    let gateway = GatewayProcess::start(&format!(
        "host = \"127.0.0.1\"\nport = 0\npage_size = 100\n{}",
        backend("a", "")
    ))
    .await;
    let from = gateway.log_line_count();
    replace(
        gateway.config_path(),
        &format!(
            "host = \"127.0.0.1\"\nport = 0\npage_size = 7\n{}",
            backend("a", "")
        ),
    );
    let line = poll_until(DEADLINE, "the restart warning", || async {
        gateway
            .logs_since(from)
            .into_iter()
            .find(|l| l.contains("take effect only after a restart"))
    })
    .await;
    assert!(line.contains("page_size"), "{line}");
    let session = RawSession::initialize(&gateway.url()).await;
    let page = session.request("tools/list", json!({})).await;
    assert!(
        page["result"]["tools"].as_array().map(Vec::len) > Some(7),
        "page_size stays 100 until a restart: {page}"
    );
}
