//! The streamable-HTTP backend client against a server that loses sessions.

mod common;
#[path = "common/fault_backend.rs"]
mod fault_backend;

use common::raw::{tool_text, RawSession};
use common::GatewayProcess;
use fault_backend::FaultBackend;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_backend_session_is_reinitialized_transparently() {
    let backend = FaultBackend::start().await;
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[backends.web]\nurl = \"{}\"\npool = \"shared\"\nhealth_check_interval = 0\n\
         retry = {{ enabled = false }}\n",
        backend.url()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let response = session.call_tool("web__write", json!({})).await;
    assert_eq!(tool_text(&response), Some("write #1"), "{response}");
    // The transport probe's own session (initialized, then deleted) may come before ours.
    let before = backend.sessions();
    assert!((1..=2).contains(&before), "{before} sessions");

    // The backend restarts and forgets the session: the next call is answered 404, and the
    // gateway re-initializes and resends it (a 404 means it never ran) without the client
    // seeing anything, even though retries are off.
    backend.expire_session();
    let response = session.call_tool("web__write", json!({})).await;
    assert_eq!(tool_text(&response), Some("write #2"), "{response}");
    assert_eq!(backend.sessions(), before + 1, "exactly one re-initialize");
    assert_eq!(
        backend.calls("write"),
        2,
        "the rejected attempt never reached the tool"
    );
    gateway
        .wait_for_log("the re-initialization", |l| l.contains("re-initializing"))
        .await;
}
