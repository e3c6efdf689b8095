//! Measures tool-search quality and speed on tool_corpus.json + tool_queries.json.
//!
//! `cargo bench --bench tool_search [-- FLAGS]`, flags: `--ablations` (one knob changed
//! at a time), `--grid` (the weight search, scored on the even "dev" queries only),
//! `--failures` (queries whose expected tool is not first), `--ranks` (for check_queries.py).

use std::time::Instant;

use mcpmux::steer::search::{doc_from_tool_json, FieldWeights, OwnedToolDoc, SearchIndex, Tuning};
use serde::Deserialize;

#[derive(Deserialize)]
struct Query {
    query: String,
    expected: String,
}

struct Quality {
    top1: usize,
    top5: usize,
    top10: usize,
    rr: f64,
    n: usize,
}

impl Quality {
    fn line(&self) -> String {
        let n = self.n as f64;
        format!(
            "top1 {:5.1}%  top5 {:5.1}%  top10 {:5.1}%  MRR {:.3}",
            100.0 * self.top1 as f64 / n,
            100.0 * self.top5 as f64 / n,
            100.0 * self.top10 as f64 / n,
            self.rr / n
        )
    }
}

fn load() -> (Vec<OwnedToolDoc>, Vec<Query>) {
    let dir = env!("CARGO_MANIFEST_DIR");
    let corpus: Vec<serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/tests/data/tool_search/tool_corpus.json"))
            .expect("corpus readable"),
    )
    .expect("corpus is JSON");
    let docs: Vec<OwnedToolDoc> = corpus.iter().filter_map(doc_from_tool_json).collect();
    let queries: Vec<Query> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/tests/data/tool_search/tool_queries.json"))
            .expect("queries readable"),
    )
    .expect("queries are JSON");
    (docs, queries)
}

/// Rank (1-based) of the expected tool, if in the first `limit`.
fn rank(index: &SearchIndex, docs: &[OwnedToolDoc], q: &Query, limit: usize) -> Option<usize> {
    index
        .search(&q.query, limit)
        .iter()
        .position(|h| docs[h.index].name == q.expected)
        .map(|p| p + 1)
}

fn quality<'q>(
    index: &SearchIndex,
    docs: &[OwnedToolDoc],
    qs: impl Iterator<Item = &'q Query>,
) -> Quality {
    let mut r = Quality {
        top1: 0,
        top5: 0,
        top10: 0,
        rr: 0.0,
        n: 0,
    };
    for q in qs {
        r.n += 1;
        if let Some(k) = rank(index, docs, q, 100) {
            r.top1 += usize::from(k == 1);
            r.top5 += usize::from(k <= 5);
            r.top10 += usize::from(k <= 10);
            r.rr += 1.0 / k as f64;
        }
    }
    r
}

fn build(docs: &[OwnedToolDoc], tuning: Tuning) -> SearchIndex {
    SearchIndex::build_tuned(docs.iter().map(OwnedToolDoc::as_doc), tuning)
}

/// Builds `rounds` times; the last index, mean and min build time in ms.
fn timed_builds(docs: &[OwnedToolDoc], rounds: usize) -> (SearchIndex, f64, f64) {
    let (mut total, mut min) = (0.0, f64::MAX);
    let mut index = build(docs, Tuning::default());
    for _ in 0..rounds {
        let t = Instant::now();
        index = build(docs, Tuning::default());
        let ms = t.elapsed().as_secs_f64() * 1e3;
        total += ms;
        min = min.min(ms);
    }
    (index, total / rounds as f64, min)
}

/// Mean µs per search over `rounds` passes of the query set, and a sink for the results.
fn timed_queries(index: &SearchIndex, queries: &[Query], rounds: usize) -> (f64, usize) {
    let mut sink = 0;
    let t = Instant::now();
    for _ in 0..rounds {
        for q in queries {
            sink += index.search(&q.query, 10).len();
        }
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / (rounds * queries.len()) as f64;
    (us, sink)
}

/// `text` with a marker letter after every word of five letters or more.
fn respell(text: &str, marker: u8) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for word in text.split_inclusive(|c: char| !c.is_alphanumeric()) {
        let (w, sep) = word.split_at(word.trim_end_matches(|c: char| !c.is_alphanumeric()).len());
        out.push_str(w);
        if w.len() >= 5 {
            out.push(char::from(marker));
        }
        out.push_str(sep);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (docs, queries) = load();
    let backends: std::collections::BTreeSet<&str> = docs
        .iter()
        .filter_map(|d| d.name.split_once("__").map(|(a, _)| a))
        .collect();

    // Timing: build several times, query every query several times. Mean as asked; min too,
    // since a shared machine's other load only ever adds time.
    let rounds = 20;
    let (index, build_ms, build_min_ms) = timed_builds(&docs, rounds);
    let (query_us, mut sink) = timed_queries(&index, &queries, rounds);

    let all = quality(&index, &docs, queries.iter());
    println!(
        "tools {}  backends {}  queries {}",
        docs.len(),
        backends.len(),
        queries.len()
    );
    println!("all queries      {}", all.line());
    let dev = quality(&index, &docs, queries.iter().step_by(2));
    let held = quality(&index, &docs, queries.iter().skip(1).step_by(2));
    println!("dev (even)       {}", dev.line());
    println!("held-out (odd)   {}", held.line());
    println!(
        "{} tools: build {build_ms:.2} ms (mean of {rounds}, min {build_min_ms:.2})  query {query_us:.1} µs (mean of {} searches, limit 10)",
        docs.len(),
        rounds * queries.len()
    );

    // A ~5,000-tool gateway: the catalog four times under other aliases. Exact copies add no
    // vocabulary, so a second variant also gives every longer word of each copy's descriptions
    // and argument descriptions its own spelling: a harder case than a real catalog.
    for fresh_words in [false, true] {
        let big: Vec<OwnedToolDoc> = (0..4u8)
            .flat_map(|copy| {
                docs.iter().map(move |d| OwnedToolDoc {
                    name: format!("c{copy}{}", d.name),
                    description: if fresh_words && copy > 0 {
                        respell(&d.description, b'q' + copy)
                    } else {
                        d.description.clone()
                    },
                    arguments: d
                        .arguments
                        .iter()
                        .map(|(n, doc)| {
                            if fresh_words && copy > 0 {
                                (n.clone(), respell(doc, b'q' + copy))
                            } else {
                                (n.clone(), doc.clone())
                            }
                        })
                        .collect(),
                    ..d.clone()
                })
            })
            .collect();
        let (big_index, big_ms, big_min_ms) = timed_builds(&big, rounds);
        let (big_query_us, s) = timed_queries(&big_index, &queries, rounds);
        sink += s;
        println!(
            "{} tools ({}): build {big_ms:.2} ms (min {big_min_ms:.2})  query {big_query_us:.1} µs",
            big.len(),
            if fresh_words {
                "copies with fresh words"
            } else {
                "4 copies"
            },
        );
    }
    // A yardstick for this machine's speed at the moment: parsing the corpus JSON.
    let raw = std::fs::read_to_string(format!(
        "{}/tests/data/tool_search/tool_corpus.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("corpus readable");
    let t = Instant::now();
    for _ in 0..rounds {
        let v: serde_json::Value = serde_json::from_str(&raw).expect("corpus is JSON");
        sink += usize::from(v.is_array());
    }
    println!(
        "yardstick: serde_json parses the {} KB corpus in {:.2} ms (mean of {rounds})",
        raw.len() / 1024,
        t.elapsed().as_secs_f64() * 1e3 / rounds as f64
    );
    if args.iter().any(|a| a == "--ranks") {
        for (i, q) in queries.iter().enumerate() {
            let r = rank(&index, &docs, q, 100).unwrap_or(0);
            println!("rank\t{i}\t{r}");
        }
    }

    if args.iter().any(|a| a == "--ablations") {
        let base = Tuning::default();
        let mut variants: Vec<(String, Tuning)> = vec![("default".into(), base)];
        let mut v = |label: &str, f: &dyn Fn(&mut Tuning)| {
            let mut t = base;
            f(&mut t);
            variants.push((label.to_string(), t));
        };
        v("no stemming", &|t| t.stem = false);
        v("no stop words", &|t| t.stop_words = false);
        v("no synonyms", &|t| t.synonym_weight = 0.0);
        v("synonyms 0.2", &|t| t.synonym_weight = 0.2);
        v("synonyms 0.6", &|t| t.synonym_weight = 0.6);
        v("synonyms 1.0", &|t| t.synonym_weight = 1.0);
        v("all fields weight 1", &|t| {
            t.weights = FieldWeights::uniform(1.0);
        });
        v("description only", &|t| {
            let w = &mut t.weights;
            (
                w.name,
                w.namespace,
                w.title,
                w.argument_names,
                w.argument_docs,
            ) = (0.0, 0.0, 0.0, 0.0, 0.0);
        });
        v("name only (+namespace)", &|t| {
            let w = &mut t.weights;
            (w.title, w.description, w.argument_names, w.argument_docs) = (0.0, 0.0, 0.0, 0.0);
        });
        for name in [0.5, 2.0, 3.0, 5.0] {
            v(&format!("name {name}"), &|t| t.weights.name = name);
        }
        for ns in [0.0, 1.0, 2.0, 5.0] {
            v(&format!("namespace {ns}"), &|t| t.weights.namespace = ns);
        }
        for title in [0.0, 3.0] {
            v(&format!("title {title}"), &|t| t.weights.title = title);
        }
        for an in [0.0, 0.5, 2.0] {
            v(&format!("arg names {an}"), &|t| {
                t.weights.argument_names = an
            });
        }
        for ad in [0.0, 0.3, 0.6] {
            v(&format!("arg docs {ad}"), &|t| t.weights.argument_docs = ad);
        }
        for k1 in [0.9, 1.5, 2.0] {
            v(&format!("k1 {k1}"), &|t| t.k1 = k1);
        }
        for b in [0.25, 0.75, 0.9] {
            v(&format!("b {b}"), &|t| t.b = b);
        }
        v("first guess (name 3, ns 2, argd 0.3, b 0.75)", &|t| {
            t.b = 0.75;
            let w = &mut t.weights;
            (w.name, w.namespace, w.argument_docs) = (3.0, 2.0, 0.3);
        });
        v("plain BM25-ish (no stem/stop/syn, flat)", &|t| {
            t.stem = false;
            t.stop_words = false;
            t.synonym_weight = 0.0;
            t.weights = FieldWeights::uniform(1.0);
        });
        println!("\nablations (dev = even queries, held = odd queries)");
        for (label, tuning) in &variants {
            let idx = build(&docs, *tuning);
            let a = quality(&idx, &docs, queries.iter());
            let d = quality(&idx, &docs, queries.iter().step_by(2));
            let h = quality(&idx, &docs, queries.iter().skip(1).step_by(2));
            println!(
                "{label:42} all: {}  | dev top5 {:5.1}%  held top5 {:5.1}%",
                a.line(),
                100.0 * d.top5 as f64 / d.n as f64,
                100.0 * h.top5 as f64 / h.n as f64
            );
        }
    }

    if args.iter().any(|a| a == "--grid") {
        // Chosen on the dev half only; the held-out half shows whether the choice generalises.
        let mut results: Vec<(f64, f64, String, String)> = Vec::new();
        for name in [0.5, 1.0, 1.5, 2.0, 3.0] {
            for namespace in [1.0, 2.0, 3.0, 5.0] {
                for title in [0.5, 1.5] {
                    for argument_names in [0.5, 1.0, 2.0] {
                        for argument_docs in [0.15, 0.3, 0.6] {
                            for k1 in [0.9, 1.2, 1.5] {
                                for b in [0.5, 0.75] {
                                    for syn in [0.2, 0.4] {
                                        let base = Tuning::default();
                                        let t = Tuning {
                                            k1,
                                            b,
                                            synonym_weight: syn,
                                            weights: FieldWeights {
                                                name,
                                                namespace,
                                                title,
                                                argument_names,
                                                argument_docs,
                                                ..base.weights
                                            },
                                            ..base
                                        };
                                        let idx = build(&docs, t);
                                        let d = quality(&idx, &docs, queries.iter().step_by(2));
                                        let h =
                                            quality(&idx, &docs, queries.iter().skip(1).step_by(2));
                                        let dev_mrr = d.rr / d.n as f64;
                                        let dev_top5 = d.top5 as f64 / d.n as f64;
                                        results.push((
                                            dev_mrr,
                                            dev_top5,
                                            format!("name {name} ns {namespace} title {title} argn {argument_names} argd {argument_docs} k1 {k1} b {b} syn {syn}"),
                                            format!("dev {}  | held {}", d.line(), h.line()),
                                        ));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        results.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.total_cmp(&a.1)));
        println!("\n{} settings; best 15 by dev MRR:", results.len());
        for r in results.iter().take(15) {
            println!("{:78} {}", r.2, r.3);
        }
        results.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.total_cmp(&a.0)));
        println!("best 5 by dev top5:");
        for r in results.iter().take(5) {
            println!("{:78} {}", r.2, r.3);
        }
    }

    if args.iter().any(|a| a == "--failures") {
        println!("\nqueries whose expected tool is not first:");
        for (i, q) in queries.iter().enumerate() {
            let hits = index.search(&q.query, 5);
            if hits.first().map(|h| docs[h.index].name.as_str()) != Some(q.expected.as_str()) {
                let r = rank(&index, &docs, q, 100).map_or("-".to_string(), |r| r.to_string());
                let top: Vec<&str> = hits
                    .iter()
                    .take(3)
                    .map(|h| docs[h.index].name.as_str())
                    .collect();
                println!(
                    "[{}{i:3}] rank {r:>3}  {:60} want {:40} got {}",
                    if i % 2 == 0 { "d" } else { "h" },
                    q.query,
                    q.expected,
                    top.join(", ")
                );
            }
        }
    }
    assert!(sink > 0);
}
