//! Modern-era clients' `subscriptions/listen` streams: each asked for some kinds of
//! `list_changed` and some resources, and hears exactly those, tagged with its subscription id.
//! A stream watches resources under a watcher id of its own (`listen-N`) in the same
//! `Subscriptions` that sessions use, so backends are subscribed once for everyone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::protocol::jsonrpc::{to_raw, write_notification, write_response};
use crate::protocol::mcp::ListKind;
use crate::protocol::{Id, RawJson, RawObject};
use crate::session::events::EventLog;

/// Numbers of listen streams, for their watcher ids.
static NEXT_LISTENER: AtomicU64 = AtomicU64::new(1);

/// The watcher-id prefix of listen streams (session ids never start with it).
const WATCHER_PREFIX: &str = "listen-";

/// `_meta` key naming the listen request a notification belongs to.
pub const META_SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// Which notifications a listen stream asked for (and the gateway honours).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    /// `notifications/tools/list_changed`.
    pub tools: bool,
    /// `notifications/prompts/list_changed`.
    pub prompts: bool,
    /// `notifications/resources/list_changed`.
    pub resources: bool,
}

impl Filter {
    fn wants(self, kind: ListKind) -> bool {
        match kind {
            ListKind::Tools => self.tools,
            ListKind::Prompts => self.prompts,
            ListKind::Resources | ListKind::ResourceTemplates => self.resources,
        }
    }

    /// The filter as the acknowledgement names it: only what is honoured, with the resources
    /// it watches.
    pub fn to_json(self, resources: &[String]) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (key, on) in [
            ("toolsListChanged", self.tools),
            ("promptsListChanged", self.prompts),
            ("resourcesListChanged", self.resources),
        ] {
            if on {
                out.insert(key.into(), serde_json::Value::Bool(true));
            }
        }
        if !resources.is_empty() {
            out.insert("resourceSubscriptions".into(), resources.into());
        }
        serde_json::Value::Object(out)
    }
}

/// One open listen stream.
#[derive(Debug)]
struct Listener {
    id: Id,
    watcher: Arc<str>,
    filter: Filter,
    /// Weak: the stream's response body owns it, and a client that goes away takes it along.
    log: Weak<EventLog>,
}

/// The open listen streams.
#[derive(Debug, Default)]
pub struct Listeners {
    list: Mutex<Vec<Listener>>,
}

// === impl Listeners ===

impl Listeners {
    /// A watcher id for a new stream's resource subscriptions.
    pub fn new_watcher() -> Arc<str> {
        format!(
            "{WATCHER_PREFIX}{}",
            NEXT_LISTENER.fetch_add(1, Ordering::Relaxed)
        )
        .into()
    }

    /// Whether `watcher` names a listen stream rather than a session.
    pub fn is_watcher(watcher: &str) -> bool {
        watcher.starts_with(WATCHER_PREFIX)
    }

    /// Registers a stream for the listen request `id`, watching resources as `watcher`.
    pub fn add(&self, id: Id, watcher: Arc<str>, filter: Filter, log: &Arc<EventLog>) {
        self.lock().push(Listener {
            id,
            watcher,
            filter,
            log: Arc::downgrade(log),
        });
    }

    /// Sends a backend's `notifications/resources/updated` to the stream `watcher`, tagged.
    /// False when that stream is gone.
    pub fn resource_updated(&self, watcher: &str, params: Option<&RawValue>) -> bool {
        let list = self.lock();
        let Some((listener, log)) = list
            .iter()
            .filter(|l| &*l.watcher == watcher)
            .find_map(|l| l.log.upgrade().map(|log| (l, log)))
        else {
            return false;
        };
        let mut object = params
            .and_then(|p| RawObject::parse(p).ok())
            .unwrap_or_default();
        object.set(
            "_meta",
            to_raw(&serde_json::json!({ META_SUBSCRIPTION_ID: &listener.id })),
        );
        log.push(Bytes::from(write_notification(
            "notifications/resources/updated",
            Some(&object.to_raw()),
        )));
        true
    }

    /// Forgets the streams whose clients went away; returns their watcher ids, so their
    /// resource subscriptions can be released.
    pub fn prune(&self) -> Vec<Arc<str>> {
        let mut gone = Vec::new();
        self.lock().retain(|l| {
            let live = l.log.strong_count() > 0;
            if !live {
                gone.push(l.watcher.clone());
            }
            live
        });
        gone
    }

    /// Tells every stream that asked for `kind`.
    pub fn list_changed(&self, kind: ListKind) {
        let list = self.lock();
        for listener in list.iter().filter(|l| l.filter.wants(kind)) {
            if let Some(log) = listener.log.upgrade() {
                let params = tagged(&listener.id, serde_json::Map::new());
                log.push(Bytes::from(write_notification(
                    kind.changed_notification(),
                    Some(&params),
                )));
            }
        }
    }

    /// Ends every stream the way the revision asks: the listen request's result, then close.
    pub fn close_all(&self) {
        for listener in self.lock().drain(..) {
            if let Some(log) = listener.log.upgrade() {
                let result = tagged(&listener.id, {
                    let mut m = serde_json::Map::new();
                    m.insert("resultType".into(), "complete".into());
                    m
                });
                log.push(Bytes::from(write_response(
                    Some(&listener.id),
                    &Ok(RawJson::from(result)),
                )));
                log.close();
            }
        }
    }

    /// How many streams are open.
    pub fn len(&self) -> usize {
        self.lock()
            .iter()
            .filter(|l| l.log.strong_count() > 0)
            .count()
    }

    /// Whether no stream is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Listener>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `members` with `_meta` naming the subscription.
pub fn tagged(id: &Id, mut members: serde_json::Map<String, serde_json::Value>) -> Box<RawValue> {
    members.insert(
        "_meta".into(),
        serde_json::json!({ META_SUBSCRIPTION_ID: id }),
    );
    to_raw(&members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::events::{Next, Window};

    #[tokio::test]
    async fn a_stream_hears_what_it_asked_for_tagged_and_its_end() {
        let listeners = Listeners::default();
        let log = Arc::new(EventLog::new(1, Window::default()));
        let mut reader = log.reader(0);
        let filter = Filter {
            tools: true,
            ..Filter::default()
        };
        listeners.add(Id::Number(7), Listeners::new_watcher(), filter, &log);
        listeners.list_changed(ListKind::Prompts);
        listeners.list_changed(ListKind::Tools);
        let Next::Event(_, first) = reader.next().await else {
            panic!("an event")
        };
        let first: serde_json::Value = serde_json::from_slice(&first).unwrap();
        assert_eq!(first["method"], "notifications/tools/list_changed");
        assert_eq!(first["params"]["_meta"][META_SUBSCRIPTION_ID], 7);
        listeners.close_all();
        let Next::Event(_, last) = reader.next().await else {
            panic!("the result")
        };
        let last: serde_json::Value = serde_json::from_slice(&last).unwrap();
        assert_eq!(last["id"], 7);
        assert_eq!(last["result"]["resultType"], "complete");
        assert!(matches!(reader.next().await, Next::Closed));
    }

    #[test]
    fn a_gone_stream_is_forgotten() {
        let listeners = Listeners::default();
        let log = Arc::new(EventLog::new(1, Window::default()));
        let watcher = Listeners::new_watcher();
        assert!(Listeners::is_watcher(&watcher));
        listeners.add(Id::Number(1), watcher.clone(), Filter::default(), &log);
        assert!(listeners.resource_updated(&watcher, None));
        assert_eq!(listeners.len(), 1);
        drop(log);
        assert!(listeners.is_empty());
        assert!(!listeners.resource_updated(&watcher, None));
        assert_eq!(listeners.prune(), vec![watcher]);
    }
}
