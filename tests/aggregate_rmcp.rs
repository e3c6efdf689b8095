//! An rmcp client (streamable HTTP) in front of the gateway, which aggregates two stdio
//! example servers (`one`, and `two` with its own pagination and extra tools) and an rmcp
//! streamable-HTTP server (`remote`). The gateway pages its lists by 3.

mod common;

use std::collections::BTreeSet;

use common::{
    config::ConfigBuilder,
    rmcp_backend::{RmcpBackend, STATUS_TEXT, STATUS_URI},
    rmcp_client::{self, args, prompt_text, resource_text, to_json, tool_text, Client},
    GatewayProcess,
};
use rmcp::model::{
    CallToolRequestParams, GetPromptRequestParams, PaginatedRequestParams,
    ReadResourceRequestParams,
};
use serde_json::{json, Value};

/// The gateway's page size in this file.
const GATEWAY_PAGE_SIZE: usize = 3;
/// The example server's own tools.
const EXAMPLE_TOOLS: &[&str] = mcpmux::example_server::TOOL_NAMES;
/// `two` runs with `--tools 5`.
const TWO_EXTRA_TOOLS: usize = 5;

/// A gateway over `one`, `two` and `remote`, ready, with an rmcp client connected.
struct Fixture {
    client: Client,
    gateway: GatewayProcess,
    _remote: RmcpBackend,
}

// === impl Fixture ===

impl Fixture {
    async fn start() -> Self {
        Self::start_with(&[("X-Test", "1")], &[], &[]).await
    }

    /// `remote_headers`: configured for `remote`; `one_env`: configured for `one`'s child;
    /// `client_headers`: sent by the client to the gateway.
    async fn start_with(
        remote_headers: &[(&str, &str)],
        one_env: &[(&str, &str)],
        client_headers: &[(&'static str, &'static str)],
    ) -> Self {
        let remote = RmcpBackend::start().await;
        let config = ConfigBuilder::new()
            .page_size(GATEWAY_PAGE_SIZE)
            .example_backend_with_env("one", &[], one_env)
            .example_backend(
                "two",
                &["--page-size", "2", "--tools", &TWO_EXTRA_TOOLS.to_string()],
            )
            .http_backend("remote", &remote.url(), remote_headers)
            .build();
        let gateway = GatewayProcess::start(&config).await;
        let ready = gateway.wait_ready().await;
        for alias in ["one", "two", "remote"] {
            assert_eq!(
                ready["backends"][alias]["state"],
                json!("up"),
                "backend {alias} not up in /readyz: {ready}"
            );
        }
        let client = rmcp_client::connect_with_headers(&gateway.url(), client_headers).await;
        // rmcp offers its newest revision; the gateway answers `initialize` with one of the
        // revisions that have the handshake.
        let negotiated = client
            .peer_info()
            .expect("initialize result")
            .protocol_version
            .to_string();
        assert!(
            ["2025-03-26", "2025-06-18", "2025-11-25"].contains(&negotiated.as_str()),
            "negotiated protocol version {negotiated}"
        );
        Fixture {
            client,
            gateway,
            _remote: remote,
        }
    }

    async fn call(&self, name: &str, arguments: Value) -> String {
        let result = self
            .client
            .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args(arguments)))
            .await
            .unwrap_or_else(|e| panic!("tools/call {name}: {e}"));
        let json = to_json(&result);
        assert_ne!(
            json["isError"],
            json!(true),
            "{name} returned an error result: {json}"
        );
        tool_text(&result)
    }
}

fn expected_tools() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for alias in ["one", "two"] {
        names.extend(EXAMPLE_TOOLS.iter().map(|t| format!("{alias}__{t}")));
    }
    names.extend((1..=TWO_EXTRA_TOOLS).map(|i| format!("two__extra_{i:04}")));
    names.extend(["remote__weather".to_string(), "remote__whoami".to_string()]);
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_of_every_backend_are_listed_namespaced_across_gateway_pages() {
    let fixture = Fixture::start().await;
    let client = &fixture.client;

    // Follow the gateway's cursors by hand.
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let params = cursor
            .clone()
            .map(|c| PaginatedRequestParams::default().with_cursor(Some(c)));
        let page = client
            .list_tools(params)
            .await
            .unwrap_or_else(|e| panic!("tools/list page {}: {e}", pages.len() + 1));
        assert!(
            page.tools.len() <= GATEWAY_PAGE_SIZE,
            "page {} has {} tools, page_size is {GATEWAY_PAGE_SIZE}",
            pages.len() + 1,
            page.tools.len()
        );
        pages.push(page.tools.iter().map(|t| t.name.to_string()).collect());
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
        assert!(pages.len() < 100, "tools/list never ends: {pages:?}");
    }
    assert!(pages.len() > 1, "expected several pages, got {pages:?}");
    let by_hand: Vec<String> = pages.concat();

    let unique: BTreeSet<String> = by_hand.iter().cloned().collect();
    assert_eq!(
        unique.len(),
        by_hand.len(),
        "a tool was listed twice: {by_hand:?}"
    );
    assert_eq!(unique, expected_tools());

    // rmcp's own pagination helper sees the same list, in the same (deterministic) order.
    let all: Vec<String> = client
        .list_all_tools()
        .await
        .expect("list_all_tools")
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert_eq!(all, by_hand);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_calls_reach_the_backend_that_owns_the_tool() {
    let fixture = Fixture::start().await;

    assert_eq!(
        fixture
            .call("one__echo", json!({"text": "hello from rmcp"}))
            .await,
        "hello from rmcp"
    );
    assert_eq!(fixture.call("two__add", json!({"a": 2, "b": 3})).await, "5");
    assert_eq!(
        fixture
            .call("remote__weather", json!({"city": "Paris"}))
            .await,
        "sunny in Paris"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_are_listed_namespaced_and_fetched_from_their_backend() {
    let fixture = Fixture::start().await;
    let client = &fixture.client;

    let prompts: BTreeSet<String> = client
        .list_all_prompts()
        .await
        .expect("list_all_prompts")
        .into_iter()
        .map(|p| p.name)
        .collect();
    let expected: BTreeSet<String> = ["one__greet", "two__greet", "remote__summary"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(prompts, expected);

    let greet = client
        .get_prompt(
            GetPromptRequestParams::new("one__greet").with_arguments(args(json!({"name": "Ada"}))),
        )
        .await
        .expect("prompts/get one__greet");
    assert_eq!(
        prompt_text(&greet),
        ("user".to_string(), "Hello, Ada!".to_string())
    );

    let summary = client
        .get_prompt(
            GetPromptRequestParams::new("remote__summary")
                .with_arguments(args(json!({"topic": "rust"}))),
        )
        .await
        .expect("prompts/get remote__summary");
    assert_eq!(
        prompt_text(&summary),
        ("user".to_string(), "Summarize rust".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_and_templates_of_every_backend_are_listed_and_read_by_uri() {
    let fixture = Fixture::start().await;
    let client = &fixture.client;

    // URIs are not renamed; `example://readme` is offered by both `one` and `two`.
    let uris: BTreeSet<String> = client
        .list_all_resources()
        .await
        .expect("list_all_resources")
        .into_iter()
        .map(|r| r.uri)
        .collect();
    let expected: BTreeSet<String> = ["example://readme", STATUS_URI]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(uris, expected);

    let templates: BTreeSet<String> = client
        .list_all_resource_templates()
        .await
        .expect("list_all_resource_templates")
        .into_iter()
        .map(|t| t.uri_template)
        .collect();
    assert!(
        templates.contains("example://items/{id}"),
        "template missing: {templates:?}"
    );

    let read = |uri: &'static str| async move {
        let result = client
            .read_resource(ReadResourceRequestParams::new(uri))
            .await
            .unwrap_or_else(|e| panic!("resources/read {uri}: {e}"));
        resource_text(&result)
    };
    assert_eq!(read("example://readme").await, "mcpmux example server");
    assert_eq!(read("example://items/7").await, "item 7");
    assert_eq!(read(STATUS_URI).await, STATUS_TEXT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_headers_reach_the_backend_and_client_headers_and_secrets_do_not() {
    const BACKEND_TOKEN: &str = "Bearer backend-secret-7f3a";
    const ENV_SECRET: &str = "env-secret-91c2";
    const CLIENT_TOKEN: &str = "Bearer client-token-55d1";
    let fixture = Fixture::start_with(
        &[("X-Test", "1"), ("Authorization", BACKEND_TOKEN)],
        &[("MCPMUX_TEST_API_KEY", ENV_SECRET)],
        &[
            ("x-client-only", "must-not-leak"),
            ("authorization", CLIENT_TOKEN),
        ],
    )
    .await;

    let seen: Value = serde_json::from_str(&fixture.call("remote__whoami", json!({})).await)
        .expect("whoami returns JSON");
    assert_eq!(
        seen["x-test"],
        json!("1"),
        "configured header not sent: {seen}"
    );
    assert_eq!(
        seen["authorization"],
        json!(BACKEND_TOKEN),
        "the backend must get its configured credentials, not the client's: {seen}"
    );
    assert_eq!(
        seen["x-client-only"],
        Value::Null,
        "client header forwarded: {seen}"
    );
    assert_eq!(
        fixture.call("one__echo", json!({"text": "env"})).await,
        "env"
    );

    // The gateway logs at debug level here; no credential may appear in them. Lines are
    // written in order: once the last call's audit line is in, so is all it logged.
    fixture
        .gateway
        .wait_for_log("the last audit line", |l| {
            l.contains("mcpmux::audit") && l.contains("one__echo")
        })
        .await;
    let logs = fixture.gateway.logs();
    for secret in ["backend-secret-7f3a", ENV_SECRET, "client-token-55d1"] {
        assert!(
            !logs.contains(secret),
            "`{secret}` appears in the gateway logs:\n{logs}"
        );
    }
}
