//! The catalog of 5,000 tools (50 backends × 100): routing a namespaced name, rebuilding the
//! merged snapshot, and rendering `tools/list` pages straight from the stored raw entries.

mod support;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mcpmux::protocol::mcp::ListKind;
use mcpmux::steer::page;
use serde_json::value::RawValue;

const BACKENDS: usize = 50;
const TOOLS_PER_BACKEND: usize = 100;

fn resolve(c: &mut Criterion) {
    let store = support::catalog(BACKENDS, TOOLS_PER_BACKEND);
    let snapshot = store.snapshot();
    let names: Vec<String> = (0..BACKENDS * TOOLS_PER_BACKEND)
        .map(|i| {
            format!(
                "b{:03}__tool_{:04}",
                (i * 7) % BACKENDS,
                (i * 13) % TOOLS_PER_BACKEND
            )
        })
        .collect();
    let mut group = c.benchmark_group("catalog_5000_tools");
    group.bench_function("resolve_listed_name", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % names.len();
            black_box(snapshot.tool(black_box(&names[i])))
        })
    });
    // Not listed but under a known prefix: the fallback for a backend that is coming back.
    group.bench_function("resolve_unlisted_name_by_prefix", |b| {
        b.iter(|| black_box(snapshot.tool(black_box("b042__not_listed"))))
    });
    group.bench_function("resolve_unknown_name", |b| {
        b.iter(|| black_box(snapshot.tool(black_box("nobody__nothing"))))
    });
    group.bench_function("snapshot_load", |b| b.iter(|| black_box(store.snapshot())));
    // A backend's tools/list_changed: one backend's list replaced, the snapshot rebuilt.
    let alias: Arc<str> = "b007".into();
    let lists = [list(TOOLS_PER_BACKEND, "a"), list(TOOLS_PER_BACKEND, "b")];
    group.bench_function("rebuild_after_one_backend_changed", |b| {
        let mut flip = 0;
        b.iter(|| {
            flip ^= 1;
            store.set_list(&alias, ListKind::Tools, lists[flip].clone());
        })
    });
    group.finish();
}

fn list(n: usize, variant: &str) -> Vec<Arc<RawValue>> {
    (0..n)
        .map(|i| {
            let raw = format!(r#"{{"name":"tool_{i:04}","description":"variant {variant}","inputSchema":{{"type":"object"}}}}"#);
            Arc::from(RawValue::from_string(raw).expect("JSON"))
        })
        .collect()
}

/// A one-page `tools/list` result built with `to_raw_value`, which trusts its serialiser.
fn render_without_revalidation(items: &[Arc<RawValue>]) -> Box<RawValue> {
    #[derive(serde::Serialize)]
    struct Page<'a> {
        tools: &'a [Arc<RawValue>],
    }
    serde_json::value::to_raw_value(&Page { tools: items }).expect("raw entries serialise")
}

fn render(c: &mut Criterion) {
    let store = support::catalog(BACKENDS, TOOLS_PER_BACKEND);
    let snapshot = store.snapshot();
    let tools = snapshot.list(ListKind::Tools);
    let whole = page::render(ListKind::Tools, tools, None, 10_000).expect("renders");
    let mut group = c.benchmark_group("tools_list_page");
    group.throughput(Throughput::Bytes(whole.get().len() as u64));
    group.bench_with_input(
        BenchmarkId::new("render", "5000_of_5000"),
        &tools,
        |b, tools| b.iter(|| page::render(ListKind::Tools, black_box(tools), None, 10_000)),
    );
    // For comparison, not the gateway's code: the same page serialised through serde_json, which
    // writes each stored `RawValue` verbatim and does not validate the result again.
    group.bench_with_input(
        BenchmarkId::new("serialize_without_revalidation", "5000_of_5000"),
        &tools,
        |b, tools| b.iter(|| render_without_revalidation(black_box(tools))),
    );
    assert_eq!(render_without_revalidation(tools).get(), whole.get());
    // What a warm `tools/list` costs: the snapshot's cached page, shared.
    snapshot.page(ListKind::Tools, 0, 10_000);
    group.bench_function(BenchmarkId::new("cached", "5000_of_5000"), |b| {
        b.iter(|| snapshot.page(ListKind::Tools, black_box(0), 10_000))
    });
    // The last page of 1,000, reached with the cursor the gateway minted.
    let first = page::render(ListKind::Tools, tools, None, 4000).expect("renders");
    let first: serde_json::Value = serde_json::from_str(first.get()).expect("a page is JSON");
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    group.throughput(Throughput::Bytes(whole.get().len() as u64 / 5));
    group.bench_with_input(
        BenchmarkId::new("render", "last_1000_of_5000"),
        &tools,
        |b, tools| b.iter(|| page::render(ListKind::Tools, black_box(tools), Some(&cursor), 1000)),
    );
    group.finish();
}

criterion_group!(benches, resolve, render);
criterion_main!(benches);
