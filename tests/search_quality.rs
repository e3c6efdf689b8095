//! Ranking-quality regression test: the natural-language query set must keep finding its
//! expected tool among the first five hits of the realistic catalog.
//!
//! In the gateway: use `mcpmux::steer::search` and point `CORPUS`/`QUERIES` at wherever the two
//! JSON files are kept (e.g. `tests/data/`).

use mcpmux::steer::search::{doc_from_tool_json, OwnedToolDoc, SearchIndex};
use serde::Deserialize;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tool_search/tool_corpus.json"
);
const QUERIES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/tool_search/tool_queries.json"
);

/// Measured 76.5% top-5 and 53.3% top-1 (319 queries, 1,220 tools); the floors leave room for
/// harmless reordering, not for a regression.
const TOP5_FLOOR: f64 = 0.73;
const TOP1_FLOOR: f64 = 0.50;

#[derive(Deserialize)]
struct Query {
    query: String,
    expected: String,
}

#[test]
fn query_set_finds_expected_tools() {
    let corpus: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(CORPUS).expect("corpus file"))
            .expect("corpus is JSON");
    let docs: Vec<OwnedToolDoc> = corpus.iter().filter_map(doc_from_tool_json).collect();
    assert_eq!(docs.len(), corpus.len(), "every corpus tool has a name");
    let queries: Vec<Query> =
        serde_json::from_str(&std::fs::read_to_string(QUERIES).expect("queries file"))
            .expect("queries are JSON");
    assert!(docs.len() >= 1000 && queries.len() >= 200);

    let index = SearchIndex::build(docs.iter().map(OwnedToolDoc::as_doc));
    let (mut top1, mut top5) = (0usize, 0usize);
    for q in &queries {
        assert!(
            docs.iter().any(|d| d.name == q.expected),
            "expected tool {} is in the corpus",
            q.expected
        );
        let hits = index.search(&q.query, 5);
        let rank = hits.iter().position(|h| docs[h.index].name == q.expected);
        top1 += usize::from(rank == Some(0));
        top5 += usize::from(rank.is_some());
    }
    let n = queries.len() as f64;
    let (top1, top5) = (top1 as f64 / n, top5 as f64 / n);
    assert!(
        top5 >= TOP5_FLOOR,
        "top-5 share {top5:.3} fell below {TOP5_FLOOR}"
    );
    assert!(
        top1 >= TOP1_FLOOR,
        "top-1 share {top1:.3} fell below {TOP1_FLOOR}"
    );
}
