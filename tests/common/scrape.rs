//! Scraping `/metrics` and reading it with a Prometheus exposition parser.

use prometheus_parse::{Sample, Scrape, Value};

use super::raw::client;

/// The parsed exposition of `base` + `/metrics`.
pub async fn scrape(base: &str) -> Scrape {
    let text = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("valid exposition")
}

/// The value of the sample named `name` whose labels include all of `labels` (0 if absent).
/// Histograms are read by their `_count`/`_sum` series or bucket `le` label.
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && has_labels(s, labels))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => 0.0,
        })
        .sum()
}

fn has_labels(sample: &Sample, labels: &[(&str, &str)]) -> bool {
    labels
        .iter()
        .all(|(k, v)| sample.labels.get(k).is_some_and(|actual| actual == *v))
}

/// Every label value of every sample.
pub fn label_values(scrape: &Scrape) -> Vec<String> {
    scrape
        .samples
        .iter()
        .flat_map(|s| s.labels.values().map(|v| v.to_string()).collect::<Vec<_>>())
        .collect()
}
