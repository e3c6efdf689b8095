//! Everything that flows from a backend back to a client, through a real gateway process in
//! front of the built-in example server (stdio, shared by every session), driven by raw HTTP
//! clients that read their streams event by event: progress, requests to the client and the
//! answers, cancellation, logs, subscriptions, list changes, resumption, and the bad inputs of
//! each.

mod common;

use common::events::Events;
use common::raw::{post, RawSession};
use common::scrape::{scrape, value};
use common::{example_gateway_config, GatewayProcess};
use serde_json::{json, Value};

fn config(extra: &str) -> String {
    example_gateway_config("2s", extra)
}

async fn start(extra: &str) -> GatewayProcess {
    let gateway = GatewayProcess::start(&config(extra)).await;
    gateway.wait_ready().await;
    gateway
}

fn every_capability() -> Value {
    json!({ "sampling": {}, "elicitation": {}, "roots": { "listChanged": true } })
}

async fn session(gateway: &GatewayProcess, caps: Value) -> RawSession {
    RawSession::initialize_full(&gateway.url(), caps, Vec::new()).await
}

fn call(id: u64, tool: &str, arguments: Value, meta: Option<Value>) -> Value {
    let mut params = json!({ "name": format!("ex__{tool}"), "arguments": arguments });
    if let Some(meta) = meta {
        params["_meta"] = meta;
    }
    json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params })
}

fn text_of(response: &Value) -> String {
    response["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {response}"))
        .to_string()
}

fn progress_tokens(messages: &[Value]) -> Vec<Value> {
    messages
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| m["params"]["progressToken"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_reaches_only_its_caller_under_the_callers_own_token() {
    let gateway = start("").await;
    let (a, b) = (
        session(&gateway, json!({})).await,
        session(&gateway, json!({})).await,
    );
    // Both clients use token 1 at once; the backend sees two different tokens.
    let mut on_a = Events::post(
        &a,
        &call(
            5,
            "progress",
            json!({"steps": 3, "delay_ms": 20}),
            Some(json!({"progressToken": 1})),
        ),
    )
    .await;
    let mut on_b = Events::post(
        &b,
        &call(
            5,
            "progress",
            json!({"steps": 5, "delay_ms": 20}),
            Some(json!({"progressToken": 1})),
        ),
    )
    .await;
    assert_eq!(on_a.content_type, "text/event-stream");
    let (before_a, answer_a) = on_a.until_response(5).await;
    let (before_b, answer_b) = on_b.until_response(5).await;
    assert_eq!(progress_tokens(&before_a), vec![json!(1); 3]);
    assert_eq!(progress_tokens(&before_b), vec![json!(1); 5]);
    assert_eq!(text_of(&answer_a), "done 3");
    assert_eq!(text_of(&answer_b), "done 5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backends_request_reaches_the_calling_client_and_the_answer_goes_back() {
    let gateway = start("").await;
    let a = session(&gateway, every_capability()).await;
    let _b = session(&gateway, every_capability()).await;
    let ask =
        json!({"method": "sampling/createMessage", "params": {"messages": [], "maxTokens": 5}});
    let mut stream = Events::post(&a, &call(9, "ask", ask, None)).await;
    let (_, request) = stream.next_message().await.expect("the sampling request");
    assert_eq!(request["method"], "sampling/createMessage", "{request}");
    let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": {"role": "assistant", "content": {"type": "text", "text": "sampled by A"}, "model": "m"}});
    let accepted = a.post_json(&answer).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let (_, response) = stream.until_response(9).await;
    assert!(text_of(&response).contains("sampled by A"), "{response}");

    // The same id again, or one never sent: refused, with the reason.
    for bad in [
        answer.clone(),
        json!({"jsonrpc": "2.0", "id": 424242, "result": {}}),
    ] {
        let refused = a.post_json(&bad).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.error_code(), -32600);
        assert!(
            refused
                .body
                .contains("is waiting for this session's answer"),
            "{}",
            refused.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_the_capability_is_not_asked_and_the_backend_hears_why() {
    let gateway = start("").await;
    let plain = session(&gateway, json!({})).await;
    let ask = json!({"method": "elicitation/create", "params": {"message": "name?", "requestedSchema": {"type": "object"}}});
    let response = plain.call_tool("ex__ask", ask).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    let text = text_of(&response);
    assert!(text.starts_with("error -32601"), "{text}");
    assert!(
        text.contains("did not declare the `elicitation (form mode)` capability"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_answers_times_out_and_nothing_is_left_waiting() {
    let gateway = start("").await;
    let a = session(&gateway, every_capability()).await;
    let mut stream = Events::post(&a, &call(3, "ask", json!({"method": "roots/list"}), None)).await;
    let (_, request) = stream.next_message().await.expect("the roots request");
    assert_eq!(request["method"], "roots/list");
    // Not answered: after client_request_timeout the backend gets an error, and the client
    // is told the request is withdrawn.
    let (before, response) = stream.until_response(3).await;
    let withdrawn: Vec<_> = before
        .iter()
        .filter(|m| m["method"] == "notifications/cancelled")
        .collect();
    assert_eq!(withdrawn.len(), 1, "{before:?}");
    assert_eq!(withdrawn[0]["params"]["requestId"], request["id"]);
    let text = text_of(&response);
    assert!(text.starts_with("error -32008"), "{text}");
    assert!(
        text.contains("did not answer `roots/list` within 2s"),
        "{text}"
    );
    // The late answer finds nothing waiting.
    let late = a
        .post_json(&json!({"jsonrpc": "2.0", "id": request["id"], "result": {"roots": []}}))
        .await;
    assert_eq!(late.status, 400, "{}", late.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_reaches_the_backend_under_its_own_id_and_gets_no_answer() {
    let gateway = start("").await;
    let a = session(&gateway, json!({})).await;
    let sleeping = tokio::spawn({
        let url = a.url.clone();
        let headers = a.session_headers();
        async move {
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            post(
                &url,
                call(77, "sleep", json!({"ms": 60000}), None).to_string(),
                &headers,
            )
            .await
        }
    });
    gateway
        .wait_for_log("the backend has the call", |l| {
            l.contains("example-server: sleeping 60000ms")
        })
        .await;
    let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 77, "reason": "user"}});
    assert_eq!(a.post_json(&cancel).await.status, 202);
    let reply = sleeping.await.unwrap();
    assert!(
        reply.messages().is_empty(),
        "a cancelled call is not answered: {}",
        reply.body
    );
    let told = gateway
        .wait_for_log("the backend told of the cancel", |l| {
            l.contains("example-server: cancelled") && l.contains("requestId")
        })
        .await;
    assert!(
        !told.contains("\"requestId\":77"),
        "the backend's own id, not the client's: {told}"
    );
    // A cancel for nothing in flight is accepted and changes nothing.
    let stray = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 12345}});
    assert_eq!(a.post_json(&stray).await.status, 202);
    assert_eq!(
        text_of(&a.call_tool("ex__echo", json!({"text": "still here"})).await),
        "still here"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_messages_follow_the_calls_session_at_its_level() {
    let gateway = start("").await;
    let (a, b) = (
        session(&gateway, json!({})).await,
        session(&gateway, json!({})).await,
    );
    a.request("logging/setLevel", json!({"level": "warning"}))
        .await;
    b.request("logging/setLevel", json!({"level": "debug"}))
        .await;
    let mut b_stream = Events::get(&b, None).await;
    b.request(
        "resources/subscribe",
        json!({"uri": "example://items/marker"}),
    )
    .await;
    // A's call logs at error: A gets it on its call's stream.
    let mut on_a = Events::post(
        &a,
        &call(1, "log", json!({"level": "error", "text": "for A"}), None),
    )
    .await;
    let (before, _) = on_a.until_response(1).await;
    assert!(
        before.iter().any(|m| m["params"]["data"] == "for A"),
        "{before:?}"
    );
    // A's call logs at info: the backend sends it (it runs at the most verbose level any
    // session asked for), A's level filters it out, and B, whose level would admit it, does
    // not get another session's log.
    let response = a
        .call_tool("ex__log", json!({"level": "info", "text": "quiet"}))
        .await;
    assert_eq!(text_of(&response), "logged");
    assert_eq!(
        text_of(
            &a.call_tool("ex__touch", json!({"uri": "example://items/marker"}))
                .await
        ),
        "updated"
    );
    let (_, first) = b_stream.next_message().await.expect("B's marker");
    assert_eq!(
        first["method"], "notifications/resources/updated",
        "B got something else first: {first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_updates_reach_subscribers_and_the_backend_is_unsubscribed_by_the_last() {
    let gateway = start("").await;
    let (a, b) = (
        session(&gateway, json!({})).await,
        session(&gateway, json!({})).await,
    );
    let mut a_stream = Events::get(&a, None).await;
    let mut b_stream = Events::get(&b, None).await;
    a.request("resources/subscribe", json!({"uri": "example://readme"}))
        .await;
    gateway
        .wait_for_log("the backend subscribed", |l| {
            l.contains("example-server: subscribed example://readme")
        })
        .await;
    assert_eq!(
        text_of(
            &b.call_tool("ex__touch", json!({"uri": "example://readme"}))
                .await
        ),
        "updated"
    );
    let (_, update) = a_stream.next_message().await.expect("A's update");
    assert_eq!(update["method"], "notifications/resources/updated");
    assert_eq!(update["params"]["uri"], "example://readme");
    // B did not subscribe: its stream carries nothing but what B does next.
    b.request("resources/subscribe", json!({"uri": "example://items/1"}))
        .await;
    assert_eq!(
        text_of(
            &a.call_tool("ex__touch", json!({"uri": "example://items/1"}))
                .await
        ),
        "updated"
    );
    let (_, first_for_b) = b_stream.next_message().await.expect("B's update");
    assert_eq!(
        first_for_b["params"]["uri"], "example://items/1",
        "B saw A's update first: {first_for_b}"
    );
    // A leaves: the backend is unsubscribed from A's URI, not from B's.
    a.delete().await;
    gateway
        .wait_for_log("the backend unsubscribed", |l| {
            l.contains("example-server: unsubscribed example://readme")
        })
        .await;
    assert!(!gateway.logs().contains("unsubscribed example://items/1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_change_reaches_every_session_and_the_list_shows_it() {
    let gateway = start("").await;
    let (a, b) = (
        session(&gateway, json!({})).await,
        session(&gateway, json!({})).await,
    );
    let mut a_stream = Events::get(&a, None).await;
    let mut b_stream = Events::get(&b, None).await;
    assert_eq!(
        text_of(&a.call_tool("ex__add_tool", json!({"name": "fresh"})).await),
        "added fresh"
    );
    for stream in [&mut a_stream, &mut b_stream] {
        let (_, changed) = stream.next_message().await.expect("list_changed");
        assert_eq!(changed["method"], "notifications/tools/list_changed");
    }
    assert!(b.tool_names().await.contains(&"ex__fresh".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backends_request_after_its_call_ended_gets_an_error_at_once() {
    let gateway = start("").await;
    let a = session(&gateway, every_capability()).await;
    assert_eq!(
        text_of(
            &a.call_tool("ex__ask_later", json!({"method": "roots/list"}))
                .await
        ),
        "asking later"
    );
    let line = gateway
        .wait_for_log("the backend's late request answered", |l| {
            l.contains("example-server: late roots/list")
        })
        .await;
    assert!(line.contains("failed -32603"), "{line}");
    assert!(line.contains("no client call is in flight"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roots_come_from_the_asking_client_and_its_changes_reach_the_backend() {
    let gateway = start("").await;
    let a = session(&gateway, every_capability()).await;
    let mut stream = Events::post(&a, &call(4, "ask", json!({"method": "roots/list"}), None)).await;
    let (_, request) = stream.next_message().await.expect("roots/list");
    let roots = json!({"roots": [{"uri": "file:///work/a", "name": "a"}]});
    assert_eq!(
        a.post_json(&json!({"jsonrpc": "2.0", "id": request["id"], "result": roots}))
            .await
            .status,
        202
    );
    let (_, response) = stream.until_response(4).await;
    assert!(text_of(&response).contains("file:///work/a"), "{response}");
    let changed = json!({"jsonrpc": "2.0", "method": "notifications/roots/list_changed"});
    assert_eq!(a.post_json(&changed).await.status, 202);
    gateway
        .wait_for_log("the backend heard roots changed", |l| {
            l.contains("example-server: roots changed")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_stream_resumes_with_last_event_id_from_where_it_was() {
    let gateway = start("").await;
    let a = session(&gateway, json!({})).await;
    let mut stream = Events::post(
        &a,
        &call(
            6,
            "progress",
            json!({"steps": 4, "delay_ms": 150}),
            Some(json!({"progressToken": "t"})),
        ),
    )
    .await;
    let priming = stream.next_event().await.expect("priming event");
    assert!(
        priming.data.is_empty() && priming.id.is_some(),
        "{priming:?}"
    );
    assert!(priming.retry.is_some(), "the priming event carries retry");
    let (first_id, first) = stream.next_message().await.expect("first progress");
    assert_eq!(first["params"]["progress"], 1);
    drop(stream);
    // The client comes back with the last id it saw and gets the rest, then the answer.
    let mut resumed = Events::get(&a, first_id.as_deref()).await;
    assert_eq!(resumed.status, 200);
    let (rest, response) = resumed.until_response(6).await;
    let steps: Vec<i64> = rest
        .iter()
        .filter_map(|m| m["params"]["progress"].as_i64())
        .collect();
    assert_eq!(steps, vec![2, 3, 4]);
    assert_eq!(text_of(&response), "done 4");
    // An id the gateway never issued is refused.
    let bad = Events::get(&a, Some("not-an-id")).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_loses_its_own_stream_only() {
    let gateway = start("replay_events = 8\nreplay_bytes = 8192").await;
    let (a, b) = (
        session(&gateway, json!({})).await,
        session(&gateway, json!({})).await,
    );
    // Megabytes of progress that A never reads.
    let stalled = Events::post(
        &a,
        &call(
            1,
            "progress",
            json!({"steps": 4000, "pad": 4000}),
            Some(json!({"progressToken": 1})),
        ),
    )
    .await;
    gateway
        .wait_for_log("the overflow", |l| {
            l.contains("fell behind the replay window")
        })
        .await;
    drop(stalled);
    let metrics = scrape(&gateway.admin_base()).await;
    assert_eq!(
        value(
            &metrics,
            "mcpmux_stream_overflows_total",
            &[("kind", "call")]
        ),
        1.0,
        "a counter says so"
    );
    // The backend and the other client carry on.
    assert_eq!(
        text_of(&b.call_tool("ex__echo", json!({"text": "fine"})).await),
        "fine"
    );
    assert_eq!(
        text_of(&a.call_tool("ex__echo", json!({"text": "A too"})).await),
        "A too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_protocol_version_header_is_accepted_on_a_newer_session() {
    let gateway = start("").await;
    let a = session(&gateway, json!({})).await;
    let headers = [
        ("mcp-session-id", a.session_id.as_str()),
        ("mcp-protocol-version", "2025-03-26"),
    ];
    let response = post(
        &a.url,
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string(),
        &headers,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
}
