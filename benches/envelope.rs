//! The per-message work of a proxied `tools/call`, without I/O: parse the client's envelope,
//! rewrite `params.name` through `RawObject` (as `steer::call_named` does), serialise the backend
//! request; then parse the backend's reply and write the client's response.
//!
//! Arguments of 1 KiB and 100 KiB: the gateway must stay linear in them and never build a
//! `serde_json::Value` tree.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mcpmux::protocol::jsonrpc::{raw_string, write_request, write_response};
use mcpmux::protocol::{ClientParams, RawObject};
use mcpmux::protocol::{Id, JsonRpcRequest, Message};

/// A JSON object of roughly `bytes` bytes: nested items with strings and numbers, like a real
/// tool argument.
fn arguments(bytes: usize) -> String {
    let mut out = String::from(r#"{"query":"find the quarterly numbers","items":["#);
    let mut i = 0;
    while out.len() < bytes {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"id":{i},"score":{:.6},"big":18446744073709551617,"tags":["alpha","beta"],"text":"lorem ipsum dolor sit amet \"quoted\""}}"#,
            i as f64 / 7.0
        ));
        i += 1;
    }
    out.push_str("]}");
    out
}

fn client_request(bytes: usize) -> Vec<u8> {
    format!(
        r#"{{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{{"name":"files__search","arguments":{},"_meta":{{"progressToken":"p-1"}}}}}}"#,
        arguments(bytes)
    )
    .into_bytes()
}

fn backend_reply(bytes: usize) -> Vec<u8> {
    let text = serde_json::to_string(&arguments(bytes)).expect("a string serialises");
    format!(r#"{{"jsonrpc":"2.0","id":7,"result":{{"content":[{{"type":"text","text":{text}}}],"isError":false}}}}"#)
        .into_bytes()
}

/// Client bytes in, backend bytes out.
fn forward_request(bytes: &[u8]) -> Vec<u8> {
    let Ok(Message::Request(request)) = Message::parse(bytes) else {
        panic!("the bench request parses");
    };
    let raw = request.params.expect("tools/call has params");
    let object = RawObject::parse(&raw).expect("params are an object");
    let mut params = ClientParams::new(raw, object);
    let name: String = params
        .object()
        .get("name")
        .and_then(|n| serde_json::from_str(n.get()).ok())
        .expect("params.name is a string");
    black_box(&name);
    // The route lookup is benchmarked in `catalog.rs`; here the backend name is fixed.
    params.set("name", raw_string("search"));
    let mut call = JsonRpcRequest::new(request.method, None);
    call.params = Some(params.into_raw());
    write_request(&Id::Number(7), &call.method, call.params.as_ref())
}

/// Backend bytes in, client bytes out (the client's id restored).
fn forward_reply(bytes: &[u8], client_id: &Id) -> Vec<u8> {
    let Ok(Message::Response(response)) = Message::parse(bytes) else {
        panic!("the bench reply parses");
    };
    write_response(Some(client_id), &response.outcome)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("tools_call_envelope");
    for (label, size) in [("1KiB", 1024), ("100KiB", 100 * 1024)] {
        let request = client_request(size);
        let forwarded = forward_request(&request);
        assert!(String::from_utf8_lossy(&forwarded).contains(r#""name":"search""#));
        group.throughput(Throughput::Bytes(request.len() as u64));
        group.bench_with_input(BenchmarkId::new("request", label), &request, |b, req| {
            b.iter(|| forward_request(black_box(req)))
        });
        let reply = backend_reply(size);
        let client_id = Id::Number(42);
        group.throughput(Throughput::Bytes(reply.len() as u64));
        group.bench_with_input(BenchmarkId::new("reply", label), &reply, |b, reply| {
            b.iter(|| forward_reply(black_box(reply), &client_id))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
