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
use std::hash::{Hash, Hasher};
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
        let key = Key::of(&labels);
        let handles = cache
            .entry(key)
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

/// The registered metrics of one label set.
struct Handles {
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

/// A label set by identity: the `&'static str`s by address, the names by their `Arc`.
struct Key {
    method: &'static str,
    backend: Option<Arc<str>>,
    tool: Option<Arc<str>>,
    outcome: &'static str,
}

impl Key {
    fn of(labels: &CallLabels<'_>) -> Key {
        Key {
            method: labels.method,
            backend: labels.backend.cloned(),
            tool: labels.tool.cloned(),
            outcome: labels.outcome,
        }
    }

    fn addresses(&self) -> [usize; 4] {
        let name = |n: &Option<Arc<str>>| {
            n.as_ref()
                .map_or(0, |n| Arc::as_ptr(n) as *const u8 as usize)
        };
        [
            self.method.as_ptr() as usize,
            name(&self.backend),
            name(&self.tool),
            self.outcome.as_ptr() as usize,
        ]
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        // Equal addresses with different lengths cannot happen for the Arcs (one allocation
        // each), but can for `&'static str`s that share a prefix in the binary.
        self.addresses() == other.addresses()
            && self.method.len() == other.method.len()
            && self.outcome.len() == other.outcome.len()
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.addresses().hash(state);
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
        assert!(Key::of(&labels(&a)) == Key::of(&labels(&a)));
        assert!(Key::of(&labels(&a)) != Key::of(&labels(&b)));
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
