//! The `mcpmux` command line: `validate`, `init`, and starting the gateway from config files.

mod common;

use std::{path::Path, process::Stdio, time::Duration};

use common::{config::ConfigBuilder, example_server_cmd, mcpmux_bin};
use tokio::process::Command;

/// Exit success and stdout + stderr of `mcpmux ARGS...` (killed after 30 s: none of these
/// commands may start a server).
async fn mcpmux(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let child = Command::new(mcpmux_bin())
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn mcpmux");
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("mcpmux {args:?} did not exit within 30 s"))
        .expect("wait for mcpmux");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn validate(path: &Path) -> (bool, String) {
    mcpmux(&["validate".as_ref(), path.as_os_str()]).await
}

/// Write `contents` to `name` in `dir` and return the path.
fn write(dir: &tempfile::TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).expect("write config");
    path
}

#[tokio::test]
async fn validate_accepts_a_good_toml_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigBuilder::new()
        .page_size(10)
        .example_backend("one", &[])
        .http_backend("remote", "http://127.0.0.1:9/mcp", &[("X-Test", "1")])
        .build();
    let path = write(&dir, "good.toml", &config);

    let (ok, output) = validate(&path).await;

    assert!(ok, "validate rejected a good config:\n{config}\n{output}");
}

#[tokio::test]
async fn validate_accepts_the_claude_desktop_json_shape() {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({
        "mcpServers": {
            "example": {"command": example_server_cmd(), "args": ["example-server"]}
        }
    })
    .to_string();
    let path = write(&dir, "claude_desktop_config.json", &config);

    let (ok, output) = validate(&path).await;

    assert!(
        ok,
        "validate rejected the mcpServers shape:\n{config}\n{output}"
    );
}

#[tokio::test]
async fn validate_accepts_a_yaml_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "host: \"127.0.0.1\"\nport: 0\nbackends:\n  one:\n    command: {}\n    args: [\"example-server\"]\n",
        serde_json::to_string(example_server_cmd()).unwrap()
    );
    let path = write(&dir, "mcpmux.yaml", &config);

    let (ok, output) = validate(&path).await;

    assert!(ok, "validate rejected a YAML config:\n{config}\n{output}");
}

#[tokio::test]
async fn validate_rejects_a_non_numeric_port_naming_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigBuilder::new()
        .example_backend("one", &[])
        .build()
        .replace("port = 0", "port = \"abc\"");
    assert!(config.contains("port = \"abc\""));
    let path = write(&dir, "bad-port.toml", &config);

    let (ok, output) = validate(&path).await;

    assert!(!ok, "validate accepted port = \"abc\":\n{output}");
    assert!(
        output.contains("bad-port.toml"),
        "the message does not name the file:\n{output}"
    );
    assert!(
        output.contains("port"),
        "the message does not name the field:\n{output}"
    );
}

#[tokio::test]
async fn validate_rejects_a_backend_with_neither_command_nor_url() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "{}\n[backends.bad]\ntimeout = \"5s\"\n",
        ConfigBuilder::new().example_backend("one", &[]).build()
    );
    let path = write(&dir, "no-transport.toml", &config);

    let (ok, output) = validate(&path).await;

    assert!(
        !ok,
        "validate accepted a backend without command or url:\n{output}"
    );
    assert!(
        output.contains("no-transport.toml"),
        "the message does not name the file:\n{output}"
    );
    assert!(
        output.contains("backends.bad"),
        "the message does not name the backend:\n{output}"
    );
}

#[tokio::test]
async fn validate_rejects_a_missing_file_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("does-not-exist.toml");

    let (ok, output) = validate(&path).await;

    assert!(!ok, "validate accepted a missing file:\n{output}");
    assert!(
        output.contains("does-not-exist.toml"),
        "the message does not name the file:\n{output}"
    );
}

#[tokio::test]
async fn init_writes_a_config_that_validate_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mcpmux.toml");

    let (ok, output) = mcpmux(&["init".as_ref(), path.as_os_str()]).await;
    assert!(ok, "init failed:\n{output}");
    let written = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("init did not write {}: {e}\n{output}", path.display()));
    assert!(!written.trim().is_empty(), "init wrote an empty file");

    let (ok, output) = validate(&path).await;
    assert!(
        ok,
        "validate rejected what init wrote:\n{written}\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bare_config_flag_starts_the_gateway_with_health_endpoints() {
    let config = ConfigBuilder::new().example_backend("one", &[]).build();
    let gateway = common::GatewayProcess::launch(&[], "config.toml", &config).await;

    let health = common::raw::client()
        .get(format!("{}/healthz", gateway.base()))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(health.status().as_u16(), 200);

    let ready = gateway.wait_ready().await;
    assert_eq!(ready["status"], serde_json::json!("ready"), "{ready}");
    assert_eq!(
        ready["backends"]["one"]["state"],
        serde_json::json!("up"),
        "{ready}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_desktop_json_config_starts_the_gateway() {
    let config = serde_json::json!({
        "host": "127.0.0.1",
        "port": 0,
        "mcpServers": {
            "desk": {"command": example_server_cmd(), "args": ["example-server"]}
        }
    })
    .to_string();
    let gateway =
        common::GatewayProcess::start_with_file("claude_desktop_config.json", &config).await;

    let ready = gateway.wait_ready().await;
    assert_eq!(
        ready["backends"]["desk"]["state"],
        serde_json::json!("up"),
        "{ready}"
    );
    let session = common::raw::RawSession::initialize(&gateway.url()).await;
    let echo = session
        .call_tool("desk__echo", serde_json::json!({"text": "from json"}))
        .await;
    assert_eq!(common::raw::tool_text(&echo), Some("from json"), "{echo}");
}
