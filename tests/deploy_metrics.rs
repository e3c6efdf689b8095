//! Every metric the Grafana dashboard and the Prometheus alert rules in `deploy/` use is one
//! the binary exports: checked by scraping a running gateway after one call.

mod common;

use std::collections::BTreeSet;

use common::raw::{tool_text, RawSession};
use common::scrape::scrape;
use common::{example_server_cmd, manifest_dir, GatewayProcess};
use serde_json::json;

/// The `mcpmux_*` metric names in `text`, without the `_bucket`/`_sum`/`_count` suffixes of
/// histogram series.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("mcpmux_") {
        let start = at + found;
        let preceded =
            start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |e| start + e);
        if !preceded {
            let name = &text[start..end];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            names.insert(base.to_string());
        }
        at = end;
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_alerts_use_only_exported_metrics() {
    let deploy = manifest_dir().join("deploy");
    let mut used = BTreeSet::new();
    for file in [
        "grafana/mcpmux-dashboard.json",
        "prometheus/mcpmux-alerts.yaml",
    ] {
        let text = std::fs::read_to_string(deploy.join(file)).expect("deploy file");
        used.extend(metric_names(&text));
    }
    assert!(used.len() >= 10, "suspiciously few metrics found: {used:?}");

    let config = format!(
        "host = \"127.0.0.1\"\nport = 0\n\n[backends.ex]\ncommand = \"{}\"\nargs = [\"example-server\"]\n",
        example_server_cmd()
    );
    let gateway = GatewayProcess::start(&config).await;
    gateway.wait_ready().await;
    let session = RawSession::initialize(&gateway.url()).await;
    let _ = tool_text(&session.call_tool("ex__echo", json!({"text": "x"})).await);
    let exported: BTreeSet<String> = scrape(&gateway.admin_base())
        .await
        .samples
        .into_iter()
        .map(|s| {
            ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| s.metric.strip_suffix(suffix).map(str::to_string))
                .unwrap_or(s.metric)
        })
        .collect();
    let missing: Vec<_> = used.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "used by deploy/ but not exported: {missing:?}\nexported: {exported:?}"
    );
}
