//! Hostile clients and broken backends: each defect found by probing the gateway from outside,
//! reproduced against a real gateway process on loopback, with raw sockets where the attack is
//! below HTTP.

mod common;

use std::time::Duration;

use common::raw::{self, client, tool_text, Framing, RawSession};
use common::{example_server_cmd, poll_until, GatewayProcess, POLL_DEADLINE};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common/fault_backend.rs"]
mod fault_backend;
use fault_backend::{Fault, FaultBackend};

fn example(extra_top: &str, extra_backend: &str) -> String {
    format!(
        "host = \"127.0.0.1\"\nport = 0\n{extra_top}\n\n[backends.ex]\ncommand = \"{}\"\nargs = [\"example-server\"]\n{extra_backend}\n",
        example_server_cmd()
    )
}

async fn started(config: &str) -> GatewayProcess {
    let gateway = GatewayProcess::start(config).await;
    gateway.wait_ready().await;
    gateway
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_the_gateway_reads_is_refused_when_repeated() {
    let gateway = started(&example("", "tools = { deny = [\"env\"] }")).await;
    let s = RawSession::initialize(&gateway.url()).await;
    let cases = [
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"tools/list","params":{}}"#,
            "`method` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"tools/list"}"#,
            "`id` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ex__echo","arguments":{"text":"a"},"name":"ex__env"}}"#,
            "`params.name` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"example://readme","uri":"file:///etc/passwd"}}"#,
            "`params.uri` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"a","cursor":"b"}}"#,
            "`params.cursor` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ex__echo","arguments":{"text":"a"},"_meta":{},"_meta":{}}}"#,
            "`params._meta` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ex__echo","arguments":{"text":"a"},"_meta":{"progressToken":1,"progressToken":2}}}"#,
            "`params._meta.progressToken` appears more than once",
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"ex__greet","name":"x"},"argument":{"name":"name","value":"a"}}}"#,
            "`params.ref.name` appears more than once",
        ),
    ];
    for (body, says) in cases {
        let response = s.post_raw(body).await;
        assert_eq!(response.status, 400, "{body}: {}", response.body);
        assert_eq!(response.error_code(), -32600, "{body}: {}", response.body);
        assert!(response.body.contains(says), "{body}: {}", response.body);
    }
    // A denied tool stays unreachable, and a request with each member once works.
    let denied = s.call_tool("ex__env", json!({"name": "PATH"})).await;
    assert_eq!(denied["error"]["code"], -32602, "{denied}");
    assert_eq!(
        tool_text(&s.call_tool("ex__echo", json!({"text": "ok"})).await),
        Some("ok")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_sockets_cannot_hold_the_connection_limit() {
    let gateway = started(&example(
        "max_connections = 4\nheader_read_timeout = \"1s\"\nconnection_idle_timeout = \"2s\"\nrequest_body_timeout = \"1s\"\nhttp2_keep_alive = \"1s\"",
        "",
    ))
    .await;
    let addr = gateway.addr();
    // Four kinds of socket that hold a connection without making progress.
    let silent = TcpStream::connect(addr).await.unwrap();
    let mut half_preface = TcpStream::connect(addr).await.unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    let mut idle_h2 = TcpStream::connect(addr).await.unwrap();
    // The preface and an empty SETTINGS frame, then nothing.
    idle_h2
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    let mut trickle = TcpStream::connect(addr).await.unwrap();
    trickle
        .write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
        .await
        .unwrap();
    let trickling = tokio::spawn(async move {
        // One byte at a time, for far longer than request_body_timeout.
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if trickle.write_all(b" ").await.is_err() {
                return true;
            }
        }
        false
    });
    // A live client is served again within the deadlines, while the sockets stay open on the
    // client side.
    poll_until(
        POLL_DEADLINE,
        "/healthz answered despite the silent sockets",
        || async {
            let response = client()
                .get(format!("http://{addr}/healthz"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .ok()?;
            (response.status() == 200).then_some(())
        },
    )
    .await;
    // Each silent socket was closed by the gateway.
    for (what, mut socket) in [
        ("silent", silent),
        ("half preface", half_preface),
        ("idle h2", idle_h2),
    ] {
        let mut buf = vec![0u8; 4096];
        let closed = tokio::time::timeout(POLL_DEADLINE, async {
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the {what} socket was never closed");
    }
    assert!(
        tokio::time::timeout(POLL_DEADLINE, trickling)
            .await
            .unwrap()
            .unwrap(),
        "the trickling body's connection was never closed"
    );
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padded_initialize_is_refused_and_sessions_stay_small() {
    let gateway = started(&example("", "")).await;
    let before = rss_kib(gateway.pid());
    let padding = "x".repeat(1024 * 1024);
    let body = json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"experimental": {"pad": padding}},
            "clientInfo": {"name": "padded", "version": "1"}
        }
    })
    .to_string();
    for _ in 0..150 {
        let response = raw::post(&gateway.url(), body.clone(), &[]).await;
        assert_eq!(
            response.status,
            400,
            "{}",
            &response.body[..200.min(response.body.len())]
        );
        assert_eq!(response.error_code(), -32602);
        assert!(
            response.body.contains("max_client_info_bytes"),
            "{}",
            response.body
        );
    }
    let grown_mib = rss_kib(gateway.pid()).saturating_sub(before) / 1024;
    // Before the bound, these 150 sessions kept 150 MiB. Transient buffers remain allowed.
    assert!(grown_mib < 64, "RSS grew by {grown_mib} MiB");
    // Within the bound, a session opens as usual.
    let small = RawSession::initialize(&gateway.url()).await;
    assert_eq!(
        tool_text(&small.call_tool("ex__echo", json!({"text": "hi"})).await),
        Some("hi")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_protocol_defects_get_the_documented_errors() {
    let gateway = started(&example("max_body_bytes = 4096", "")).await;
    let s = RawSession::initialize(&gateway.url()).await;
    // A request with `"id": null` is invalid, not a notification.
    let null_id = s
        .post_raw(r#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#)
        .await;
    assert_eq!(null_id.status, 400, "{}", null_id.body);
    assert_eq!(null_id.error_code(), -32600);
    // A body announced too large by Content-Length gets the JSON-RPC error, not plain text.
    let big = vec![b' '; 10_000];
    let headers = [
        ("content-type", "application/json"),
        ("mcp-session-id", s.session_id.as_str()),
    ];
    let (status, body) = raw::http1_post(
        gateway.addr(),
        "/mcp",
        &headers,
        &big,
        Framing::ContentLength,
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(
        body.contains("\"code\":-32600") && body.contains("max_body_bytes"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_authority_is_checked_like_host() {
    let gateway = started(&example("", "")).await;
    let addr = gateway.addr();
    let h2 = |host: &'static str| {
        reqwest::Client::builder()
            .no_proxy()
            .http2_prior_knowledge()
            .resolve(host, addr)
            .build()
            .unwrap()
    };
    let foreign = h2("evil.example")
        .get(format!("http://evil.example:{}/readyz", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.version(), reqwest::Version::HTTP_2);
    assert_eq!(foreign.status(), 403);
    let local = h2("localhost")
        .get(format!("http://localhost:{}/readyz", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backends_error_page_never_reaches_clients_or_logs() {
    let backend = FaultBackend::start().await;
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\nlog_level = \"trace\"\n\n[backends.web]\nurl = \"{}\"\nhealth_check_interval = 0\nretry = {{ enabled = false }}\nauth = {{ type = \"bearer\", credentials = {{ token = \"backend-secret-42\" }} }}\n",
        backend.url()
    );
    let gateway = started(&config).await;
    let s = RawSession::initialize(&gateway.url()).await;
    backend.set(Fault::EchoingError(401));
    let response = s.call_tool("web__write", json!({})).await;
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("HTTP 401"), "{response}");
    assert!(
        !response.to_string().contains("backend-secret-42"),
        "{response}"
    );
    // Lines are written in order: once the call's audit line is in, so is all it logged.
    gateway
        .wait_for_log("the audit line", |l| {
            l.contains("mcpmux::audit") && l.contains("web__write")
        })
        .await;
    assert!(
        !gateway.logs().contains("backend-secret-42"),
        "the secret reached the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_says_why() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n\n[backends.gone]\nurl = \"http://127.0.0.1:{port}/mcp\"\nhealth_check_interval = 0\nretry = {{ enabled = false }}\n\n[backends.ex]\ncommand = \"{}\"\nargs = [\"example-server\"]\n",
        example_server_cmd()
    );
    let gateway = started(&config).await;
    let s = RawSession::initialize(&gateway.url()).await;
    let response = s.call_tool("gone__anything", json!({})).await;
    let message = response["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert_eq!(response["error"]["code"], -32001, "{response}");
    assert!(message.contains("connection refused"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_admit_their_principal_only_and_never_leak() {
    let backend = FaultBackend::start().await;
    for json_logs in [false, true] {
        let config = format!(
            "host = \"127.0.0.1\"\nport = 0\nlog_level = \"trace\"\njson_logs = {json_logs}\n\n[auth.tokens]\nalice = \"alice-inbound-token-77\"\n\n[backends.web]\nurl = \"{}\"\nhealth_check_interval = 0\nforward_client_authorization = true\n",
            backend.url()
        );
        let gateway = started(&config).await;
        let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}).to_string();
        let none = raw::post(&gateway.url(), init.clone(), &[]).await;
        assert_eq!(none.status, 401, "{}", none.body);
        assert_eq!(
            none.header("www-authenticate"),
            Some("Bearer realm=\"mcpmux\"")
        );
        let wrong = raw::post(
            &gateway.url(),
            init.clone(),
            &[("authorization", "Bearer nope")],
        )
        .await;
        assert_eq!(wrong.status, 401);
        assert!(wrong
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token"));
        // Health needs no token.
        let health = client()
            .get(format!("{}/healthz", gateway.base()))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        let alice = RawSession::initialize_with(
            &gateway.url(),
            vec![(
                "authorization".into(),
                "Bearer alice-inbound-token-77".into(),
            )],
        )
        .await;
        // Even a backend that opts into the client's Authorization never gets the gateway's.
        let whoami = alice.call_tool("web__whoami", json!({})).await;
        assert_eq!(tool_text(&whoami), Some("none"), "{whoami}");
        // Another principal's token cannot use alice's session.
        let hijack = raw::post(
            &gateway.url(),
            json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}).to_string(),
            &[
                ("authorization", "Bearer nope"),
                ("mcp-session-id", alice.session_id.as_str()),
            ],
        )
        .await;
        assert_eq!(hijack.status, 401);
        gateway
            .wait_for_log("the principal named in the audit line", |l| {
                l.contains("mcpmux::audit") && l.contains("alice")
            })
            .await;
        let logs = gateway.logs();
        assert!(
            !logs.contains("alice-inbound-token-77"),
            "the token reached the logs"
        );
    }
}
