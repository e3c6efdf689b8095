//! `backend::pending::Pending`: the id map of a multiplexed backend connection (register a call,
//! complete it from the reader, receive the answer).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mcpmux::backend::pending::Pending;
use mcpmux::protocol::jsonrpc::raw_string;
use mcpmux::session::CallContext;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("pending");
    for in_flight in [0usize, 255] {
        let pending: Pending<Arc<CallContext>> = Pending::default();
        let ctx = CallContext::internal();
        // Other calls in flight, so the map has a realistic size.
        let _others: Vec<_> = (0..in_flight)
            .map(|_| pending.register(ctx.clone()))
            .collect();
        let answer: mcpmux::protocol::RawJson = raw_string("ok").into();
        group.bench_with_input(
            BenchmarkId::new(
                "register_complete_receive",
                format!("{}_others_in_flight", in_flight),
            ),
            &pending,
            |b, pending| {
                b.iter(|| {
                    let (id, mut rx) = pending.register(ctx.clone());
                    assert!(pending.complete(black_box(id), Ok(answer.clone())));
                    black_box(rx.try_recv())
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
