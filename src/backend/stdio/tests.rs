//! The stdio transport against real child processes: small `sh` scripts that speak just
//! enough JSON-RPC, each misbehaving in one way.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch, Notify};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::*;
use crate::backend::conn::WEDGED_AFTER;
use crate::backend::Status;
use crate::protocol::jsonrpc::to_raw;
use crate::session::{BackendRef, SessionStore, WayBack};
use crate::BoxError;

/// A server loop in `sh`: reads a request line, pulls out its id and method with `sed`, and
/// runs `cases` (a `case "$method" in ... esac` body) after answering `initialize`.
fn script(cases: &str) -> String {
    format!(
        r#"while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
  method=$(printf '%s' "$line" | sed -n 's/.*"method":"\([^"]*\)".*/\1/p')
  case "$method" in
    initialize) printf '{{"jsonrpc":"2.0","id":%s,"result":{{"protocolVersion":"2025-11-25","capabilities":{{"tools":{{}}}},"serverInfo":{{"name":"t","version":"1"}}}}}}\n' "$id";;
    {cases}
  esac
done"#
    )
}

struct Started {
    transport: StdioTransport,
    status: watch::Receiver<Status>,
    shutdown: CancellationToken,
}

fn start(cases: &str, env: Vec<(String, String)>) -> Started {
    let (status_tx, status) = watch::channel(Status::default());
    let shutdown = CancellationToken::new();
    let sessions = Arc::new(SessionStore::new(Duration::from_secs(60), 10));
    let wiring = Wiring {
        backend: BackendRef {
            alias: "t".into(),
            slot: 0,
        },
        status: status_tx,
        notifications: broadcast::channel(8).0,
        shutdown: shutdown.clone(),
        way_back: Arc::new(WayBack::new(sessions, Duration::from_secs(5))),
        owner: None,
        restart: Arc::new(Notify::new()),
    };
    let spec = StdioSpec {
        argv: vec!["sh".into(), "-c".into(), script(cases)],
        env,
        inherit_env: false,
        cwd: None,
        connect_timeout: Duration::from_secs(30),
        max_line_bytes: 1024,
    };
    let transport = StdioTransport::spawn(spec, wiring, &TaskTracker::new());
    Started {
        transport,
        status,
        shutdown,
    }
}

async fn call(t: &StdioTransport, method: &str) -> Result<JsonRpcResponse, BoxError> {
    let req = JsonRpcRequest::new(method.to_string(), Some(to_raw(&serde_json::json!({}))));
    t.clone().oneshot(req).await
}

async fn wait_up(status: &mut watch::Receiver<Status>, generation: u64) {
    tokio::time::timeout(
        Duration::from_secs(30),
        status.wait_for(|s| s.health == crate::backend::Health::Up && s.generation >= generation),
    )
    .await
    .expect("the process came up")
    .expect("status sender alive");
}

#[tokio::test]
async fn a_bad_line_is_skipped_and_the_next_answer_still_arrives() {
    let mut s = start(
        r#"tools/list)
      printf '\377\376 not utf-8\n'
      head -c 2000 /dev/zero | tr '\0' 'x'; printf '\n'
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[]}}\n' "$id";;"#,
        Vec::new(),
    );
    wait_up(&mut s.status, 1).await;
    for _ in 0..2 {
        let answer = call(&s.transport, "tools/list").await.expect("answered");
        assert_eq!(answer.outcome.unwrap().get(), r#"{"tools":[]}"#);
    }
    assert_eq!(s.status.borrow().restarts, 0);
    s.shutdown.cancel();
}

#[tokio::test]
async fn a_process_that_stops_answering_is_restarted() {
    let mut s = start(
        r#"ping) printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id";;
    tools/call) ;;"#,
        Vec::new(),
    );
    wait_up(&mut s.status, 1).await;
    for _ in 0..WEDGED_AFTER {
        let abandoned =
            tokio::time::timeout(Duration::from_millis(50), call(&s.transport, "tools/call")).await;
        assert!(abandoned.is_err(), "the script never answers tools/call");
    }
    wait_up(&mut s.status, 2).await;
    assert!(call(&s.transport, "ping").await.is_ok());
    s.shutdown.cancel();
}

#[tokio::test]
async fn a_child_sees_its_own_env_but_not_the_gateways() {
    // SAFETY: the variable is unique to this test; nothing else reads or writes it.
    unsafe { std::env::set_var("MCPMUX_TEST_GATEWAY_SECRET", "leaked") };
    let mut s = start(
        r#"tools/call) printf '{"jsonrpc":"2.0","id":%s,"result":{"own":"%s","gateway":"%s","path":"%s"}}\n' "$id" "$OWN" "$MCPMUX_TEST_GATEWAY_SECRET" "${PATH:+set}";;"#,
        vec![("OWN".into(), "mine".into())],
    );
    wait_up(&mut s.status, 1).await;
    let answer = call(&s.transport, "tools/call").await.unwrap();
    assert_eq!(
        answer.outcome.unwrap().get(),
        r#"{"own":"mine","gateway":"","path":"set"}"#
    );
    s.shutdown.cancel();
}
