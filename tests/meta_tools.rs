//! The meta-tools through a real MCP client (rmcp over streamable HTTP): off by default; list,
//! help, call and search when enabled; a `mcpmux__call` passes the target's policy and layers;
//! the management tools only with `meta_tools.manage`; `tool_exposure = "search"`.

mod common;

use std::time::Duration;

use common::raw::RawSession;
use common::rmcp_client::{self, args, to_json, tool_text, Client};
use common::{example_server_cmd, poll_until, GatewayProcess};
use rmcp::model::CallToolRequestParams;
use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_secs(20);

fn example(alias: &str, extra: &str) -> String {
    format!(
        "[backends.{alias}]\ncommand = {}\nargs = [\"example-server\"]\nhealth_check_interval = 0\n{extra}\n",
        serde_json::to_string(example_server_cmd()).expect("path")
    )
}

async fn call(client: &Client, name: &str, arguments: Value) -> Result<Value, String> {
    client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(args(arguments)))
        .await
        .map(|r| to_json(&r))
        .map_err(|e| e.to_string())
}

async fn tool_names(client: &Client) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_tools_are_off_unless_enabled() {
    let gateway = GatewayProcess::start(&format!(
        "host = \"127.0.0.1\"\nport = 0\n{}",
        example("a", "")
    ))
    .await;
    gateway.wait_ready().await;
    let client = rmcp_client::connect(&gateway.url()).await;
    let names = tool_names(&client).await;
    assert!(names.iter().any(|n| n == "a__echo"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("mcpmux__")),
        "{names:?}"
    );
    let refused = call(&client, "mcpmux__list_servers", json!({})).await;
    assert!(
        refused.is_err_and(|e| e.contains("unknown tool")),
        "an unexposed meta-tool is an unknown tool"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_help_call_and_search_work_and_calls_keep_the_targets_policy() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[meta_tools]\nenabled = true\n{}{}",
        example(
            "a",
            "description = \"the first\"\nrate_limit = { per_tool = { echo = { requests_per_second = 0.001, burst = 1 } } }"
        ),
        example("b", "tools = { deny = [\"add\"] }"),
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let client = rmcp_client::connect(&gateway.url()).await;
    let names = tool_names(&client).await;
    for meta in [
        "mcpmux__list_servers",
        "mcpmux__help",
        "mcpmux__call",
        "mcpmux__search_tools",
    ] {
        assert!(names.iter().any(|n| n == meta), "{meta} listed: {names:?}");
    }
    assert!(
        !names.iter().any(|n| n.ends_with("_server")),
        "management tools need meta_tools.manage: {names:?}"
    );

    let servers = call(&client, "mcpmux__list_servers", json!({}))
        .await
        .expect("list_servers");
    let list = &servers["structuredContent"]["servers"];
    let tools_of = |name: &str| {
        list.as_array()
            .and_then(|l| l.iter().find(|s| s["name"] == name))
            .map(|s| (s["state"].clone(), s["tools"].as_u64().unwrap_or(0)))
    };
    let all = mcpmux::example_server::TOOL_NAMES.len() as u64;
    assert_eq!(tools_of("a"), Some((json!("up"), all)), "{servers}");
    assert_eq!(tools_of("b"), Some((json!("up"), all - 1)), "{servers}");
    assert_eq!(list[0]["description"], "the first");

    let help = call(&client, "mcpmux__help", json!({ "server": "a" }))
        .await
        .expect("help");
    let text = tool_text(&help);
    assert!(text.contains("- a__add: Adds"), "{text}");
    assert!(!text.contains("b__"), "only a: {text}");

    let sum = call(
        &client,
        "mcpmux__call",
        json!({ "server": "a", "tool": "add", "arguments": { "a": 2, "b": 3 } }),
    )
    .await
    .expect("call a add");
    assert_eq!(tool_text(&sum), "5");

    // b's tool filter hides `add`: through mcpmux__call it is as unknown as it is directly.
    let direct = call(&client, "b__add", json!({ "a": 1, "b": 1 })).await;
    let meta = call(
        &client,
        "mcpmux__call",
        json!({ "server": "b", "tool": "add", "arguments": { "a": 1, "b": 1 } }),
    )
    .await;
    let (Err(direct), Err(meta)) = (direct, meta) else {
        panic!("b__add must be refused both ways");
    };
    assert!(meta.contains("unknown tool `b__add`"), "{meta}");
    assert_eq!(direct, meta);

    // a's rate limit on `echo` (one call, then none for a long while) counts calls made
    // through mcpmux__call like direct ones.
    let first = call(&client, "a__echo", json!({ "text": "hi" }))
        .await
        .expect("first echo");
    assert_eq!(tool_text(&first), "hi");
    let limited = call(
        &client,
        "mcpmux__call",
        json!({ "server": "a", "tool": "echo", "arguments": { "text": "again" } }),
    )
    .await;
    // The gateway answers a rate-limited call with HTTP 429 and Retry-After.
    assert!(
        limited.as_ref().is_err_and(|e| e.contains("429")),
        "{limited:?}"
    );

    let found = call(
        &client,
        "mcpmux__search_tools",
        json!({ "query": "sum of two numbers", "limit": 3 }),
    )
    .await
    .expect("search");
    let hits = found["structuredContent"]["tools"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(hits.len() <= 3 && !hits.is_empty(), "{found}");
    assert_eq!(hits[0]["name"], "a__add", "{found}");
    assert!(hits[0]["inputSchema"].is_object(), "{found}");

    let unknown = call(
        &client,
        "mcpmux__call",
        json!({ "server": "nope", "tool": "x" }),
    )
    .await
    .expect("a tool error, not a protocol error");
    assert_eq!(unknown["isError"], true);
    assert!(tool_text(&unknown).contains("no server `nope`"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_tools_register_disable_enable_and_remove_servers() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n[meta_tools]\nenabled = true\nmanage = true\n{}",
        example("a", "")
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let client = rmcp_client::connect(&gateway.url()).await;
    let names = tool_names(&client).await;
    for tool in [
        "mcpmux__register_server",
        "mcpmux__remove_server",
        "mcpmux__enable_server",
        "mcpmux__disable_server",
    ] {
        assert!(names.iter().any(|n| n == tool), "{tool}: {names:?}");
    }

    let registered = call(
        &client,
        "mcpmux__register_server",
        json!({ "name": "c", "command": example_server_cmd(), "args": ["example-server"], "description": "added by the model" }),
    )
    .await
    .expect("register");
    assert_ne!(registered["isError"], true, "{registered}");
    assert_eq!(registered["structuredContent"]["added"], json!(["c"]));
    let pid = poll_until(DEADLINE, "c's tools", || async {
        call(&client, "c__pid", json!({}))
            .await
            .ok()
            .map(|r| tool_text(&r))
    })
    .await;

    let again = call(
        &client,
        "mcpmux__register_server",
        json!({ "name": "c", "command": "x" }),
    )
    .await
    .expect("a tool error");
    assert_eq!(again["isError"], true);
    assert!(tool_text(&again).contains("exists"), "{again}");
    let bad = call(
        &client,
        "mcpmux__register_server",
        json!({ "name": "d", "url": "ftp://nowhere" }),
    )
    .await
    .expect("a tool error");
    assert!(tool_text(&bad).contains("backends.d.url"), "{bad}");

    call(&client, "mcpmux__disable_server", json!({ "name": "c" }))
        .await
        .expect("disable");
    assert!(!tool_names(&client)
        .await
        .iter()
        .any(|n| n.starts_with("c__")));
    poll_until(DEADLINE, "c's process to stop", || async {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    })
    .await;
    call(&client, "mcpmux__enable_server", json!({ "name": "c" }))
        .await
        .expect("enable");
    poll_until(DEADLINE, "c back", || async {
        call(&client, "c__pid", json!({})).await.ok()
    })
    .await;
    call(&client, "mcpmux__remove_server", json!({ "name": "c" }))
        .await
        .expect("remove");
    let servers = call(&client, "mcpmux__list_servers", json!({}))
        .await
        .expect("list");
    assert_eq!(
        servers["structuredContent"]["servers"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{servers}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_exposure_lists_only_the_meta_tools_and_everything_still_routes() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\ntool_exposure = \"search\"\n{}{}\n[pipelines.double]\ninput_schema = {{ type = \"object\", properties = {{ x = {{ type = \"number\" }} }} }}\nsteps = [{{ id = \"sum\", tool = \"a__add\", arguments = {{ a = \"${{input.x}}\", b = \"${{input.x}}\" }} }}]\n",
        example("a", ""),
        example("b", ""),
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let mut names = session.tool_names().await;
    names.sort();
    assert_eq!(
        names,
        [
            "mcpmux__call",
            "mcpmux__help",
            "mcpmux__list_servers",
            "mcpmux__search_tools"
        ]
    );
    let found = session
        .call_tool(
            "mcpmux__search_tools",
            json!({ "query": "process id of the server" }),
        )
        .await;
    let hits = found["result"]["structuredContent"]["tools"].clone();
    let first: Vec<&str> = hits
        .as_array()
        .map(|h| h.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        first.iter().take(2).all(|n| n.ends_with("__pid")),
        "{found}"
    );
    let direct = session.call_tool("b__add", json!({ "a": 1, "b": 2 })).await;
    assert_eq!(common::raw::tool_text(&direct), Some("3"), "{direct}");
    let piped = session
        .call_tool("pipeline__double", json!({ "x": 4 }))
        .await;
    assert_eq!(
        piped["result"]["structuredContent"]["steps"]["sum"]["content"][0]["text"], "8",
        "{piped}"
    );
    let searched = session
        .call_tool("mcpmux__search_tools", json!({ "query": "double" }))
        .await;
    assert_eq!(
        searched["result"]["structuredContent"]["tools"][0]["name"], "pipeline__double",
        "pipelines are searchable though not listed: {searched}"
    );
}

/// The README's meta-tools config and REST calls, run as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_meta_tool_examples_work_as_written() {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n{}\n{}",
        common::readme_block("### Meta-tools and tool search", "toml", 0),
        example("example", "")
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    assert_eq!(
        session.tool_names().await.len(),
        4,
        "search exposure lists the meta-tools"
    );
    let script = common::readme_block("### Meta-tools and tool search", "sh", 0)
        .replace("127.0.0.1:8080", &gateway.addr().to_string());
    let stdout = common::run_script(&script, &[]).await;
    // curl prints each body without a newline: read them as a stream of JSON values.
    let outputs: Vec<Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(outputs.len(), 2, "{stdout}");
    assert_eq!(
        outputs[0]["structuredContent"]["tools"][0]["name"], "example__add",
        "{stdout}"
    );
    assert_eq!(outputs[1], json!({"content":[{"text":"5","type":"text"}]}));
}
