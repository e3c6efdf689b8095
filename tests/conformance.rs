//! The official `@modelcontextprotocol/conformance` server suite (0.1.16, revision 2025-11-25,
//! `--suite all`) against the fixture server of `tests/conformance` directly, and against mcpmux
//! fronting that fixture with `prefix = ""`, over a stdio and over a streamable-HTTP backend.
//! Every scenario must pass; `tests/conformance/expected-failures.txt` lists any that may not,
//! each with its reason. Needs what `.ci/run` installs (Node packages; Node 22 comes from npm).

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::node::INSTALL_HINT;
use common::{manifest_dir, GatewayProcess};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// One run of the suite.
const SUITE_DEADLINE: Duration = Duration::from_secs(600);

/// The fixture in HTTP mode on a free port; killed when dropped.
struct Fixture {
    _child: Child,
    url: String,
}

impl Fixture {
    async fn start() -> Fixture {
        let mut child = Command::new("node")
            .current_dir(manifest_dir().join("tests/conformance"))
            .args(["fixture.mjs", "--http", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node: {e}. {INSTALL_HINT}"));
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("http://127.0.0.1:") {
                    return Some(line[at..].split_whitespace().next()?.to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the fixture printed no URL. {INSTALL_HINT}"));
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Fixture { _child: child, url }
    }
}

/// Runs `run.sh` against `url` and asserts it passed, printing its report either way.
async fn suite_passes(url: &str, target: &str) {
    let dir = manifest_dir().join("tests/conformance");
    let child = Command::new("bash")
        .current_dir(&dir)
        .arg("run.sh")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bash runs");
    let output = tokio::time::timeout(SUITE_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!("the suite against {target} did not finish in {SUITE_DEADLINE:?}")
        })
        .expect("wait for run.sh");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- conformance against {target} ---\n{stdout}");
    assert!(
        output.status.success(),
        "conformance against {target} failed:\n{stdout}\n{stderr}\n{INSTALL_HINT}"
    );
    assert!(stdout.contains("conformance: passed"), "{stdout}\n{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixture_passes_the_suite_directly() {
    let fixture = Fixture::start().await;
    suite_passes(&fixture.url, "the fixture directly").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcpmux_passes_the_suite_in_front_of_a_stdio_fixture() {
    let fixture = manifest_dir().join("tests/conformance/fixture.mjs");
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n\n[backends.fx]\ncommand = \"node\"\nargs = [\"{}\", \"--stdio\"]\nprefix = \"\"\n",
        fixture.display()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    suite_passes(&gateway.url(), "mcpmux with a stdio backend").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcpmux_passes_the_suite_in_front_of_an_http_fixture() {
    let fixture = Fixture::start().await;
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n\n[backends.fx]\nurl = \"{}\"\nprefix = \"\"\n",
        fixture.url
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    suite_passes(&gateway.url(), "mcpmux with a streamable-HTTP backend").await;
}
