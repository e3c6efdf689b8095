//! The backend layer stack (`mcpmux_layers::build`: trace, rate limit, circuit breaker, retry,
//! timeout, auth inject) around an in-memory `tower::service_fn` backend, against the bare
//! backend: what the layers add to every call.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use mcpmux::protocol::jsonrpc::raw_string;
use mcpmux::protocol::{JsonRpcRequest, JsonRpcResponse};
use mcpmux::BoxError;
use mcpmux_layers::{StackConfig, StackHooks};
use serde_json::value::RawValue;
use tower::util::BoxCloneSyncService;
use tower::ServiceExt;

type Service = BoxCloneSyncService<JsonRpcRequest, JsonRpcResponse, BoxError>;

/// The in-memory backend: answers every call at once.
async fn backend(_req: JsonRpcRequest) -> Result<JsonRpcResponse, BoxError> {
    Ok(JsonRpcResponse {
        outcome: Ok(raw_string("ok").into()),
    })
}

fn stack(config: &str) -> Service {
    let config: StackConfig = serde_json::from_str(config).expect("a valid stack config");
    mcpmux_layers::build(
        "bench",
        &config,
        tower::service_fn(backend),
        StackHooks::default(),
    )
    .expect("the stack builds")
    .service
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let params = RawValue::from_string(r#"{"name":"echo","arguments":{"text":"hello"}}"#.into())
        .expect("JSON");
    let mut call = JsonRpcRequest::new("tools/call", Some(params));
    call.tool = Some("echo".into());
    let services = [
        (
            "bare_backend",
            BoxCloneSyncService::new(tower::service_fn(backend)),
        ),
        // trace, circuit breaker, retry, timeout, and auth inject stripping client credentials.
        ("default_stack", stack("{}")),
        (
            "every_layer",
            stack(
                r#"{
                    "tool_timeouts": {"echo": "10s"},
                    "rate_limit": {
                        "per_backend": {"requests_per_second": 1000000000, "burst": 1000000000},
                        "per_principal": {"requests_per_second": 1000000000, "burst": 1000000000}
                    },
                    "auth": {"type": "bearer", "credentials": {"token": "bench-token"}}
                }"#,
            ),
        ),
    ];
    let mut group = c.benchmark_group("layer_stack_tools_call");
    for (name, service) in services {
        let outcome = runtime
            .block_on(service.clone().oneshot(call.clone()))
            .expect("the stack answers")
            .outcome;
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
        group.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| service.clone().oneshot(black_box(call.clone())))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
