//! stdio backends are supervised child processes: on shutdown the gateway kills each one's
//! whole process group, so nothing a backend started outlives the gateway.

mod common;

use std::time::Duration;

use common::{example_server_cmd, poll_until, GatewayProcess};

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_backends_and_their_children() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("grandchild.pid");
    // The backend starts a long-lived grandchild, then becomes the example server.
    let script = format!(
        "sleep 300 & echo $! > {}; exec {} example-server",
        pid_file.display(),
        example_server_cmd()
    );
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[backends.spawner]\ncommand = \"sh\"\nargs = [\"-c\", {script:?}]\n"
    );
    let mut gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let grandchild: u32 = poll_until(
        Duration::from_secs(20),
        "the grandchild's pid file",
        || async {
            std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse().ok())
        },
    )
    .await;
    assert!(
        alive(grandchild),
        "the grandchild runs while the gateway does"
    );

    let status = gateway.terminate().await;
    assert!(status.success(), "a SIGTERM shutdown is clean: {status:?}");
    poll_until(
        Duration::from_secs(20),
        "the grandchild to be gone",
        || async { (!alive(grandchild)).then_some(()) },
    )
    .await;
    assert!(
        gateway.logs().contains("shutting down"),
        "{}",
        gateway.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateway_takes_its_backends_with_it() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[backends.a]\ncommand = {:?}\nargs = [\"example-server\"]\n[backends.b]\ncommand = {:?}\nargs = [\"example-server\"]\n",
        example_server_cmd(),
        example_server_cmd()
    );
    let mut gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let children = gateway.child_pids();
    assert_eq!(children.len(), 2, "{children:?}");
    // SIGKILL: the gateway gets no chance to stop anything itself.
    let status = std::process::Command::new("kill")
        .arg("-KILL")
        .arg(gateway.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
    gateway.wait_exit(Duration::from_secs(10)).await;
    for pid in children {
        poll_until(
            Duration::from_secs(20),
            "an orphaned backend to die",
            || async { (!alive(pid)).then_some(()) },
        )
        .await;
    }
}
