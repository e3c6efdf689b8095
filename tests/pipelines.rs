//! Pipelines through the gateway: sequential steps using earlier results, parallel steps, a
//! failing step that stops the rest, progress per step, and a bad template caught by
//! `mcpmux validate`.

mod common;

use common::raw::RawSession;
use common::{example_server_cmd, GatewayProcess};
use serde_json::json;

fn example(alias: &str) -> String {
    format!(
        "[backends.{alias}]\ncommand = {}\nargs = [\"example-server\"]\nhealth_check_interval = 0\n",
        serde_json::to_string(example_server_cmd()).expect("path")
    )
}

/// Pipelines over two example servers, besides the README's (over `example`).
const PIPELINES: &str = r#"
[pipelines.report]
description = "Adds two numbers on one server and announces the sum on another"
input_schema = { type = "object", properties = { x = { type = "number" }, y = { type = "number" }, who = { type = "string" } }, required = ["x", "y"] }
steps = [
  { id = "sum", tool = "math__add", arguments = { a = "${input.x}", b = "${input.y}" } },
  { id = "say", tool = "voice__echo", arguments = { text = "${input.who}: the sum is ${steps.sum.content.0.text}" } },
]

[pipelines.both]
parallel = true
steps = [
  { id = "math", tool = "math__pid" },
  { id = "voice", tool = "voice__pid" },
]

[pipelines.broken]
steps = [
  { id = "first", tool = "math__echo", arguments = { text = "ran" } },
  { id = "fails", tool = "voice__fail", arguments = { message = "the printer is on fire" } },
  { id = "never", tool = "math__crash" },
]
"#;

async fn gateway() -> GatewayProcess {
    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n{}{}{}{PIPELINES}\n{}",
        example("math"),
        example("voice"),
        example("example"),
        common::readme_block("### Pipelines", "toml", 0)
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    gateway
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_steps_use_the_input_and_earlier_results() {
    let gateway = gateway().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let names = session.tool_names().await;
    for tool in [
        "pipeline__report",
        "pipeline__both",
        "pipeline__broken",
        "pipeline__sum_and_say",
    ] {
        assert!(names.iter().any(|n| n == tool), "{tool}: {names:?}");
    }
    let listed = session.request("tools/list", json!({})).await;
    let report = listed["result"]["tools"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "pipeline__report"))
        .cloned()
        .expect("listed");
    assert_eq!(report["inputSchema"]["required"], json!(["x", "y"]));

    // With a progress token, each finished step is reported before the result.
    let id = session.next_id();
    let response = session
        .post_json(
            &json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {
                "name": "pipeline__report",
                "arguments": { "x": 2, "y": 40, "who": "mcpmux" },
                "_meta": { "progressToken": "p1" }
            }}),
        )
        .await;
    let messages = response.messages();
    let progress: Vec<_> = messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| {
            (
                m["params"]["progressToken"].clone(),
                m["params"]["progress"].clone(),
                m["params"]["total"].clone(),
            )
        })
        .collect();
    assert_eq!(
        progress,
        [
            (json!("p1"), json!(1), json!(2)),
            (json!("p1"), json!(2), json!(2))
        ],
        "{messages:?}"
    );
    let result = &messages.last().expect("a result")["result"];
    assert_eq!(result["isError"], json!(null), "{result}");
    let steps = &result["structuredContent"]["steps"];
    assert_eq!(steps["sum"]["content"][0]["text"], "42");
    assert_eq!(steps["say"]["content"][0]["text"], "mcpmux: the sum is 42");

    // The README's pipeline, as written.
    let readme = session
        .call_tool(
            "pipeline__sum_and_say",
            json!({ "x": 2, "y": 3, "who": "Ada" }),
        )
        .await;
    assert_eq!(
        readme["result"]["structuredContent"]["steps"]["say"]["content"][0]["text"],
        "Ada: the sum is 5",
        "{readme}"
    );

    let missing = session
        .call_tool("pipeline__report", json!({ "x": 1 }))
        .await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");
    assert!(missing["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("missing required argument(s): y")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_steps_run_on_every_backend() {
    let gateway = gateway().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let response = session.call_tool("pipeline__both", json!({})).await;
    let steps = &response["result"]["structuredContent"]["steps"];
    let math = steps["math"]["content"][0]["text"]
        .as_str()
        .expect("math pid");
    let voice = steps["voice"]["content"][0]["text"]
        .as_str()
        .expect("voice pid");
    assert_ne!(math, voice, "two processes: {response}");
    let children: Vec<String> = gateway.child_pids().iter().map(u32::to_string).collect();
    assert!(children.iter().any(|c| c == math) && children.iter().any(|c| c == voice));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_step_is_named_and_stops_the_rest() {
    let gateway = gateway().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let math_pid = common::raw::tool_text(&session.call_tool("math__pid", json!({})).await)
        .expect("pid")
        .to_string();
    let response = session.call_tool("pipeline__broken", json!({})).await;
    let result = &response["result"];
    assert_eq!(result["isError"], true, "{response}");
    assert_eq!(
        result["content"][0]["text"],
        "pipeline `broken` failed at step `fails` (voice__fail): the printer is on fire"
    );
    assert_eq!(result["structuredContent"]["failedStep"], "fails");
    assert_eq!(
        result["structuredContent"]["steps"]["first"]["content"][0]["text"],
        "ran"
    );
    // The third step (which would crash math) never ran: math is the same process.
    let after = session.call_tool("math__pid", json!({})).await;
    assert_eq!(common::raw::tool_text(&after), Some(math_pid.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_templates_and_tools_are_caught_by_validate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        format!(
            "{}{}\n[pipelines.p]\ninput_schema = {{ type = \"object\", properties = {{ city = {{}} }} }}\nsteps = [\n  {{ id = \"a\", tool = \"math__add\", arguments = {{ x = \"${{input.country}}\" }} }},\n  {{ id = \"b\", tool = \"math__echo\", arguments = {{ text = \"${{steps.c.content}}\" }} }},\n  {{ id = \"c\", tool = \"nowhere__echo\" }},\n]\n",
            example("math"),
            example("voice")
        ),
    )
    .expect("write");
    let output = std::process::Command::new(common::mcpmux_bin())
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run mcpmux validate");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "pipelines.p.steps[0].arguments: ${input.country} refers to `country`, which input_schema does not declare",
        "pipelines.p.steps[1].arguments: ${steps.c.content} refers to step `c`, which runs later",
        "pipelines.p.steps[2].tool: `nowhere__echo` is not a backend tool name",
    ] {
        assert!(stderr.contains(expected), "{expected}\n---\n{stderr}");
    }
}
