//! CORS for browser clients on the main listener: preflights from an allowed origin are
//! answered with the headers MCP clients send (both eras), answers expose `Mcp-Session-Id`,
//! and a foreign origin gets no grant.

mod common;

use common::in_process::InProcess;
use common::raw::client;

const APP: &str = "https://app.example.com";

async fn start() -> InProcess {
    InProcess::start(&format!(
        "host = \"127.0.0.1\"\nport = 0\nallowed_origins = [\"{APP}\"]\n"
    ))
    .await
}

async fn preflight(url: &str, origin: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,mcp-session-id,mcp-protocol-version,mcp-method,mcp-name",
        )
        .send()
        .await
        .expect("preflight")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_may_call_and_read_the_session_header() {
    let gateway = start().await;
    let url = gateway.url();
    let granted = preflight(&url, APP).await;
    assert!(granted.status().is_success(), "{}", granted.status());
    assert_eq!(header(&granted, "access-control-allow-origin"), APP);
    let allowed = header(&granted, "access-control-allow-headers").to_ascii_lowercase();
    for name in [
        "mcp-session-id",
        "mcp-protocol-version",
        "mcp-method",
        "mcp-name",
    ] {
        assert!(allowed.contains(name), "{name} not allowed: {allowed}");
    }

    let initialize = client()
        .post(&url)
        .header("origin", APP)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"browser","version":"1"}}}"#)
        .send()
        .await
        .expect("initialize");
    assert_eq!(initialize.status(), 200);
    assert_eq!(header(&initialize, "access-control-allow-origin"), APP);
    assert!(header(&initialize, "access-control-expose-headers")
        .to_ascii_lowercase()
        .contains("mcp-session-id"));
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_origin_gets_no_grant_and_its_calls_are_refused() {
    let gateway = start().await;
    let url = gateway.url();
    let refused = preflight(&url, "https://evil.example").await;
    assert_eq!(header(&refused, "access-control-allow-origin"), "");
    let call = client()
        .post(&url)
        .header("origin", "https://evil.example")
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(call.status(), 403);
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_vary_on_origin_whether_or_not_the_client_sent_one() {
    let gateway = start().await;
    let url = gateway.url();
    let initialize = |origin: Option<&'static str>| {
        let mut request = client()
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let from_browser = initialize(Some(APP)).await.expect("initialize");
    let from_sdk = initialize(None).await.expect("initialize");
    assert_eq!(from_sdk.status(), 200);
    // A cache must not serve an answer without CORS grants to a browser, nor the reverse.
    let vary = header(&from_browser, "vary").to_ascii_lowercase();
    assert!(vary.contains("origin"), "{vary}");
    assert_eq!(header(&from_sdk, "vary").to_ascii_lowercase(), vary);
    assert_eq!(header(&from_sdk, "access-control-allow-origin"), "");
    gateway.stop().await;
}
