//! The realtime log stream of the admin API (`/api/logs`): every log event the gateway's log
//! filter lets through, as a JSON object, broadcast to whoever listens. Nothing is formatted
//! while nobody listens; a listener that falls behind misses lines (and is told how many)
//! rather than slowing the gateway.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines kept for a listener that is behind.
const BACKLOG: usize = 1024;

/// One log event.
#[derive(Debug)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// The event as a JSON object: `ts_ms`, `level`, `target`, `message` and its fields.
    pub json: String,
}

fn sender() -> &'static broadcast::Sender<Arc<LogLine>> {
    static STREAM: OnceLock<broadcast::Sender<Arc<LogLine>>> = OnceLock::new();
    STREAM.get_or_init(|| broadcast::channel(BACKLOG).0)
}

/// Listeners subscribed now. Counted apart from the channel, whose own count sits behind its
/// lock: it is read for every log event, and for every call's audit line.
static LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// Whether anyone listens (events need not be built for the stream otherwise).
pub fn has_listeners() -> bool {
    LISTENERS.load(Ordering::Relaxed) > 0
}

/// Receives every log line from now on.
pub fn subscribe() -> Listener {
    LISTENERS.fetch_add(1, Ordering::Relaxed);
    Listener(sender().subscribe())
}

/// A subscription to the stream: the channel's receiver, counted while it lives.
#[derive(Debug)]
pub struct Listener(broadcast::Receiver<Arc<LogLine>>);

impl Deref for Listener {
    type Target = broadcast::Receiver<Arc<LogLine>>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Listener {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        LISTENERS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The `tracing` layer that feeds the stream.
#[derive(Debug, Default)]
pub struct StreamLayer;

impl<S: Subscriber> Layer<S> for StreamLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !has_listeners() {
            return;
        }
        let tx = sender();
        let meta = event.metadata();
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut object = Map::new();
        let ts_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        object.insert("ts_ms".into(), ts_ms.into());
        object.insert("level".into(), meta.level().as_str().into());
        object.insert("target".into(), meta.target().into());
        object.extend(fields.0);
        let line = LogLine {
            level: *meta.level(),
            json: Value::Object(object).to_string(),
        };
        let _ = tx.send(Arc::new(line));
    }
}

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}

/// Parses a `level` query value (`error`, `warn`/`warning`, `info`, `debug`, `trace`).
pub fn parse_level(text: &str) -> Option<Level> {
    match text.to_ascii_lowercase().as_str() {
        "error" | "critical" => Some(Level::ERROR),
        "warn" | "warning" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        "trace" => Some(Level::TRACE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_become_json_lines_only_while_someone_listens() {
        let subscriber = tracing_subscriber::registry().with(StreamLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(backend = "a", n = 3, "nobody hears this");
            let mut rx = subscribe();
            tracing::warn!(backend = "b", n = 4, "backend down");
            let line = rx.try_recv().unwrap();
            assert_eq!(line.level, Level::WARN);
            let v: Value = serde_json::from_str(&line.json).unwrap();
            assert_eq!(v["message"], "backend down");
            assert_eq!(v["backend"], "b");
            assert_eq!(v["n"], 4);
            assert_eq!(v["level"], "WARN");
            assert!(rx.try_recv().is_err(), "the earlier line was never sent");
        });
    }

    #[test]
    fn levels_parse_like_the_config() {
        assert_eq!(parse_level("WARNING"), Some(Level::WARN));
        assert_eq!(parse_level("debug"), Some(Level::DEBUG));
        assert_eq!(parse_level("loud"), None);
    }
}
