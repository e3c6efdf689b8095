//! The README's curl session, run as written (only the address is changed to the test
//! gateway's), so the documented commands cannot drift from the behaviour.

mod common;

use common::{example_server_cmd, GatewayProcess};

/// The first ```sh block after the "A session with curl" heading.
fn readme_curl_session() -> String {
    let readme =
        std::fs::read_to_string(common::manifest_dir().join("README.md")).expect("read README.md");
    let section = readme
        .split("## A session with curl")
        .nth(1)
        .expect("README has a `## A session with curl` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .expect("the section has a sh block");
    block
        .split("```")
        .next()
        .expect("the block is closed")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_curl_session_works_as_written() {
    if std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("curl is needed for this test (apt-get install curl; .ci/run installs it)");
    }
    // The embedded default config, on an ephemeral port.
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[backends.example]\ncommand = \"{}\"\nargs = [\"example-server\"]\n",
        example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let dir = tempfile::tempdir().unwrap();
    let script = readme_curl_session()
        .replace("127.0.0.1:8080", &gateway.addr().to_string())
        .replace(
            "/tmp/mcpmux-init.txt",
            &dir.path().join("init.txt").display().to_string(),
        );
    let output = tokio::process::Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(&script)
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .await
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the README session failed:\n{script}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("mcp-session-id:"),
        "initialize returned a session id: {stdout}"
    );
    assert!(
        stdout.contains("\"name\":\"example__echo\""),
        "tools/list shows namespaced tools: {stdout}"
    );
    assert!(
        stdout.contains(
            r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"text":"5","type":"text"}]}}"#
        ),
        "the documented tools/call answer: {stdout}"
    );
}
