//! The readers of what the gateway routes on: `RawObject` (params, `_meta`, `ref`), the client's
//! `initialize` summary, server-to-client request kinds, `Last-Event-ID` and log levels.
//!
//! Invariants (a panic is a finding):
//! - a `RawObject` that parsed re-serialises (`to_raw`) and parses again with the same members
//!   (names in order, values byte for byte), also after the gateway's `_meta.progressToken`
//!   rewrite;
//! - `get` finds every member `members` lists;
//! - `ClientInfo::from_initialize` keeps labels within 128 bytes and refuses input over the limit;
//! - `EventId` and `LogLevel` round-trip through their text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpmux::protocol::mcp::LogLevel;
use mcpmux::protocol::RawObject;
use mcpmux::session::client::{Ask, ClientCaps, ClientInfo};
use mcpmux::session::outbound::EventId;
use serde_json::value::RawValue;

const CLIENT_INFO_LIMIT: usize = 16384;
const MAX_LABEL: usize = 128;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    texts(&text);
    texts(text.trim());
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(raw) = RawValue::from_string(text.to_owned()) else {
        return;
    };
    json(&raw);
});

/// Header and enum readers on plain text.
fn texts(text: &str) {
    if let Some(id) = EventId::parse(text) {
        assert_eq!(EventId::parse(&id.to_string()), Some(id), "{text:?}");
    }
    if let Some(level) = LogLevel::parse(text) {
        assert_eq!(level.as_str(), text);
        assert_eq!(LogLevel::from_index(level.index()), Some(level));
    }
    let ask = Ask::of(text, None);
    assert!(ask == Ask::Other || !ask.capability().is_empty());
}

/// Everything that reads a raw JSON value.
fn json(raw: &RawValue) {
    // Whatever the value, these only summarise it.
    let caps = ClientCaps::parse(Some(raw));
    assert!(!caps.roots_list_changed || caps.roots, "{caps:?} from {}", raw.get());
    check_initialize(Some(raw), Some(raw));
    check_initialize(Some(raw), None);
    check_initialize(None, Some(raw));
    for method in ["elicitation/create", "sampling/createMessage", "roots/list", "x"] {
        let ask = Ask::of(method, Some(raw));
        if method == "elicitation/create" {
            assert!(matches!(ask, Ask::ElicitForm | Ask::ElicitUrl));
        }
    }

    let Ok(object) = RawObject::parse(raw) else {
        return;
    };
    check_object(&object);

    // `initialize` params: `capabilities` and `clientInfo`.
    check_initialize(object.get("capabilities"), object.get("clientInfo"));
    // A server-to-client request's `method` and `params` (when the value is an envelope).
    if let Some(method) = object.get("method").and_then(string) {
        Ask::of(&method, object.get("params"));
    }

    // The members the gateway routes on, read as it reads them.
    for key in ["name", "uri", "cursor"] {
        if let Some(value) = object.get(key) {
            let _ = string(value);
        }
    }
    if let Some(level) = object.get("level").and_then(string) {
        let _ = LogLevel::parse(&level);
    }
    if let Some(reference) = object.get("ref") {
        if let Ok(reference) = RawObject::parse(reference) {
            check_object(&reference);
            for key in ["type", "name", "uri"] {
                let _ = reference.get(key).and_then(string);
            }
        }
    }
    // `_meta.progressToken`, and the gateway's rewrite of it (gateway::call).
    let meta = match object.get("_meta") {
        Some(m) if m.get() != "null" => RawObject::parse(m).ok(),
        _ => None,
    };
    if let Some(mut meta) = meta {
        check_object(&meta);
        let token = meta
            .get("progressToken")
            .filter(|t| t.get() != "null")
            .map(RawValue::to_owned);
        if let Some(token) = token {
            let names: Vec<String> = meta.members().map(|(k, _)| k.to_owned()).collect();
            meta.set("progressToken", serde_json::value::to_raw_value(&7u64).unwrap());
            let mut object = object.clone();
            object.set("_meta", meta.to_raw());
            let again = reparse(&object);
            let meta_again = RawObject::parse(again.get("_meta").expect("_meta kept"))
                .expect("rewritten _meta parses");
            let names_again: Vec<&str> = meta_again.members().map(|(k, _)| k).collect();
            assert_eq!(names, names_again, "rewrite reordered _meta");
            assert_eq!(meta_again.get("progressToken").unwrap().get(), "7");
            assert!(!token.get().is_empty());
        }
    }
}

fn check_initialize(caps: Option<&RawValue>, info: Option<&RawValue>) {
    let size = caps.map_or(0, |c| c.get().len()) + info.map_or(0, |c| c.get().len());
    match ClientInfo::from_initialize(caps, info, CLIENT_INFO_LIMIT) {
        Ok(info) => {
            assert!(size <= CLIENT_INFO_LIMIT);
            assert!(info.name.len() <= MAX_LABEL && info.version.len() <= MAX_LABEL);
            assert_eq!(info.caps, ClientCaps::parse(caps));
        }
        Err(e) => assert!(size > CLIENT_INFO_LIMIT, "refused {size} bytes: {e:?}"),
    }
}

/// Members are found by name, and the object survives `to_raw` and a second parse.
fn check_object(object: &RawObject) {
    assert_eq!(object.members().count(), object.len());
    for (key, value) in object.members() {
        assert_eq!(object.get(key).map(RawValue::get), Some(value.get()));
    }
    reparse(object);
}

fn reparse(object: &RawObject) -> RawObject {
    let raw = object.to_raw();
    let again = RawObject::parse(&raw)
        .unwrap_or_else(|e| panic!("to_raw output does not parse: {e}: {}", raw.get()));
    let a: Vec<(&str, &str)> = object.members().map(|(k, v)| (k, v.get())).collect();
    let b: Vec<(&str, &str)> = again.members().map(|(k, v)| (k, v.get())).collect();
    assert_eq!(a, b, "members changed by to_raw: {}", raw.get());
    again
}

fn string(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}
