//! The gateway core's per-request work without any wire: `Steer` routing a `tools/call` through
//! a catalog of 5,000 tools to an in-memory backend (name lookup, `params.name` rewrite, the
//! backend's service), and serving a warm `tools/list` of all 5,000 tools.

mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mcpmux::protocol::{JsonRpcRequest, Message, RawJson};
use mcpmux::session::subscriptions::Subscriptions;
use mcpmux::steer::Steer;
use std::sync::Arc;
use tower::ServiceExt;

fn request(body: &str) -> JsonRpcRequest {
    let Ok(Message::Request(request)) = Message::parse(body.as_bytes()) else {
        panic!("the bench request parses");
    };
    JsonRpcRequest::new(request.method, request.params)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let steer = Steer::new(
        support::catalog(50, 100),
        Arc::new(Subscriptions::default()),
        10_000,
    );
    let call = request(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"b042__tool_0042","arguments":{"text":"hello"}}}"#,
    );
    let list = request(r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#);
    let check = runtime
        .block_on(steer.clone().oneshot(call.clone()))
        .expect("steer answers");
    assert_eq!(check.get(), r#""ok""#);
    let listed = runtime
        .block_on(steer.clone().oneshot(list.clone()))
        .expect("listed");
    let listed: serde_json::Value = serde_json::from_str(listed.get()).expect("JSON");
    assert_eq!(listed["tools"].as_array().map(Vec::len), Some(5000));

    let mut group = c.benchmark_group("steer_5000_tools");
    group.bench_function("tools_call_in_memory_backend", |b| {
        b.to_async(&runtime)
            .iter(|| steer.clone().oneshot(black_box(call.clone())))
    });
    group.bench_function("tools_list_one_page", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = steer.clone().oneshot(black_box(list.clone())).await;
            let page: RawJson = response.expect("listed");
            page
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
