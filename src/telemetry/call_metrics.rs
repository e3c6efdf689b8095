//! The metrics of every client call (`requests_total`, `request_duration_seconds` and, for
//! `tools/call`, `tool_calls_total`), recorded through handles cached per thread.
//!
//! `metrics::counter!` with labels builds a key (allocating each label value), hashes it and
//! looks it up in the recorder's registry on every call; that was a tenth of the gateway's own
//! instructions per proxied call. The label values of a call are already interned (the method
//! and outcome are `&'static str`, the backend and tool are the catalog's `Arc<str>`), so a
//! call's handles are found by pointer identity instead. The cache holds the `Arc`s it is keyed
//! by, so a pointer is never reused for another name while its entry lives.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use metrics::{Counter, Histogram};
use rustc_hash::FxBuildHasher;

use super::metrics::{installed, REQUESTS, REQUEST_DURATION, TOOL_CALLS};

/// Entries one thread keeps before it starts over: the label sets are bounded by the catalog,
/// but hot reloads replace its `Arc`s, and stale entries must not pile up.
const MAX_ENTRIES: usize = 4096;

/// The backend label of calls the gateway answered itself.
static GATEWAY: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("mcpmux"));

/// What a call is labelled with.
#[derive(Debug, Clone, Copy)]
pub struct CallLabels<'a> {
    /// The method label (`metrics::method_label`).
    pub method: &'static str,
    /// The backend's alias, `None` when the gateway answered.
    pub backend: Option<&'a Arc<str>>,
    /// The backend's own tool name, for `tools/call` (`None` is `unknown`).
    pub tool: Option<&'a Arc<str>>,
    /// The outcome label.
    pub outcome: &'static str,
}

/// Records one finished call.
pub fn record(labels: CallLabels<'_>, took: Duration) {
    if !installed() {
        // Without the process recorder the handles would be no-ops; nothing to cache.
        return;
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        let handles = cache
            .entry(labels.key())
            .or_insert_with(|| Handles::register(&labels));
        handles.requests.increment(1);
        handles.duration.record(took.as_secs_f64());
        if let Some(tool_calls) = &handles.tool_calls {
            tool_calls.increment(1);
        }
    });
}

thread_local! {
    /// Keyed by addresses, so the Fx hash (no flooding to fear: clients choose no address).
    static CACHE: RefCell<HashMap<Key, Handles, FxBuildHasher>> =
        const { RefCell::new(HashMap::with_hasher(FxBuildHasher)) };
}

/// The registered metrics of one label set, and the names its key points into (held so that
/// their addresses are not reused for other names while the entry lives).
struct Handles {
    _names: (Option<Arc<str>>, Option<Arc<str>>),
    requests: Counter,
    duration: Histogram,
    tool_calls: Option<Counter>,
}

impl Handles {
    fn register(labels: &CallLabels<'_>) -> Handles {
        let backend = labels.backend.unwrap_or(&GATEWAY).to_string();
        let method = labels.method;
        let outcome = labels.outcome;
        Handles {
            _names: (labels.backend.cloned(), labels.tool.cloned()),
            requests: metrics::counter!(REQUESTS, "method" => method, "backend" => backend.clone(), "outcome" => outcome),
            duration: metrics::histogram!(REQUEST_DURATION, "method" => method, "backend" => backend.clone()),
            // The tool label is the backend's own name, bounded by the catalog; an unknown
            // name never becomes a label.
            tool_calls: (method == "tools/call").then(|| {
                let tool = labels.tool.map_or("unknown", |t| &**t).to_string();
                metrics::counter!(TOOL_CALLS, "backend" => backend, "tool" => tool, "outcome" => outcome)
            }),
        }
    }
}

/// A label set by identity: the address and length of each value. Lengths, because two
/// `&'static str`s may start at the same address (one a prefix of the other in the binary).
type Key = [usize; 8];

impl CallLabels<'_> {
    fn key(&self) -> Key {
        let name = |n: Option<&Arc<str>>| n.map_or((0, 0), |n| (n.as_ptr() as usize, n.len()));
        let (backend, backend_len) = name(self.backend);
        let (tool, tool_len) = name(self.tool);
        [
            self.method.as_ptr() as usize,
            self.method.len(),
            backend,
            backend_len,
            tool,
            tool_len,
            self.outcome.as_ptr() as usize,
            self.outcome.len(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_in_different_allocations_are_different_keys() {
        let a: Arc<str> = Arc::from("github");
        let b: Arc<str> = Arc::from("github");
        let labels = |backend| CallLabels {
            method: "tools/call",
            backend: Some(backend),
            tool: None,
            outcome: "ok",
        };
        assert!(labels(&a).key() == labels(&a).key());
        assert!(labels(&a).key() != labels(&b).key());
    }

    #[tokio::test]
    async fn calls_are_counted_under_their_labels() {
        let handle = super::super::metrics::install().expect("recorder installs");
        let backend: Arc<str> = Arc::from("cached_metrics_backend");
        // The same name in another allocation (a catalog rebuilt by a reload) counts into the
        // same series.
        let reloaded: Arc<str> = Arc::from("cached_metrics_backend");
        let tool: Arc<str> = Arc::from("echo");
        for (backend, outcome) in [(&backend, "ok"), (&reloaded, "ok"), (&backend, "timeout")] {
            record(
                CallLabels {
                    method: "tools/call",
                    backend: Some(backend),
                    tool: Some(&tool),
                    outcome,
                },
                Duration::from_millis(3),
            );
        }
        let text = handle.render();
        let series = |prefix: &str, outcome: &str| {
            text.lines()
                .find(|l| {
                    l.starts_with(prefix)
                        && l.contains("cached_metrics_backend")
                        && l.contains(outcome)
                })
                .unwrap_or_else(|| panic!("no {prefix} {outcome} in:\n{text}"))
                .rsplit(' ')
                .next()
                .expect("a value")
                .to_string()
        };
        assert_eq!(series("mcpmux_tool_calls_total{", "outcome=\"ok\""), "2");
        assert_eq!(series("mcpmux_requests_total{", "outcome=\"timeout\""), "1");
        assert_eq!(series("mcpmux_request_duration_seconds_count{", ""), "3");
    }
}
