//! Modern-era clients' `subscriptions/listen` streams: each asked for some kinds of
//! `list_changed`, and hears exactly those, tagged with its subscription id.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use bytes::Bytes;
use serde_json::value::RawValue;

use crate::protocol::jsonrpc::{to_raw, write_notification, write_response};
use crate::protocol::mcp::ListKind;
use crate::protocol::{Id, RawJson};
use crate::session::events::EventLog;

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

    /// The filter as the acknowledgement names it: only what is honoured.
    pub fn to_json(self) -> serde_json::Value {
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
        serde_json::Value::Object(out)
    }
}

/// One open listen stream.
#[derive(Debug)]
struct Listener {
    id: Id,
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
    /// Registers a stream for the listen request `id`.
    pub fn add(&self, id: Id, filter: Filter, log: &Arc<EventLog>) {
        self.lock().push(Listener {
            id,
            filter,
            log: Arc::downgrade(log),
        });
    }

    /// Tells every stream that asked for `kind`.
    pub fn list_changed(&self, kind: ListKind) {
        let mut list = self.lock();
        list.retain(|l| l.log.strong_count() > 0);
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
        listeners.add(Id::Number(7), filter, &log);
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
        listeners.add(Id::Number(1), Filter::default(), &log);
        assert_eq!(listeners.len(), 1);
        drop(log);
        assert!(listeners.is_empty());
    }
}
