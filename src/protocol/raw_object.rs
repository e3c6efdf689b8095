//! `RawObject`: a JSON object whose member values stay raw, in their original order, with
//! repeated member names refused.
//!
//! The gateway reads a few members of `params` (`name`, `uri`, `ref`, `cursor`, `_meta`) to
//! route and to check policy, then forwards the object. JSON parsers disagree on which of two
//! equal names wins (serde and most Rust parsers keep the first, Node and Python the last), so
//! an object that repeats a member could be checked under one value and executed under the
//! other: `{"name":"allowed","name":"denied"}` once reached a denied tool that way. Refusing
//! repeats where the gateway reads them closes that class of bypass whatever the backend's
//! parser does.

use std::collections::HashSet;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::jsonrpc::write_str;
use super::RawJson;

/// Objects with more members than this use a hash set to find repeats, so a hostile object
/// with a hundred thousand members costs linear time, not quadratic.
const LINEAR_SCAN_UP_TO: usize = 16;

/// A JSON object whose values stay raw, in their original order; no name appears twice.
#[derive(Debug, Default, Clone)]
pub struct RawObject(Vec<(Box<str>, Box<RawValue>)>);

/// Why a raw value could not be read as a [`RawObject`].
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The value is JSON but not an object.
    #[error("expected a JSON object")]
    NotObject,
    /// A member name appears more than once.
    #[error("member `{0}` appears more than once")]
    Duplicate(String),
    /// Malformed JSON (only possible for input that was not validated before).
    #[error("{0}")]
    Json(String),
}

/// The marker a repeated member's serde error starts with, so [`RawObject::parse`] can tell it
/// from other errors without a second pass.
const DUPLICATE_MARKER: &str = "mcpmux-duplicate-member:";

// === impl RawObject ===

impl RawObject {
    /// Parses a raw JSON object, refusing repeated member names.
    pub fn parse(raw: &RawValue) -> Result<Self, ObjectError> {
        Self::parse_text(raw.get())
    }

    /// Parses JSON text, refusing repeated member names.
    pub fn parse_text(text: &str) -> Result<Self, ObjectError> {
        if !text.trim_start().starts_with('{') {
            return Err(ObjectError::NotObject);
        }
        serde_json::from_str(text).map_err(|e| {
            let message = e.to_string();
            match message.strip_prefix(DUPLICATE_MARKER) {
                Some(rest) => {
                    // serde_json appends " at line L column C" to custom errors.
                    let name = rest.rsplit_once(" at line ").map_or(rest, |(n, _)| n);
                    ObjectError::Duplicate(name.to_string())
                }
                None => ObjectError::Json(message),
            }
        })
    }

    /// The raw value of member `key`.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.0.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v)
    }

    /// Sets member `key`, replacing it in place or appending it.
    pub fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.0.iter_mut().find(|(k, _)| &**k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.into(), value)),
        }
    }

    /// Removes member `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Box<RawValue>> {
        let at = self.0.iter().position(|(k, _)| &**k == key)?;
        Some(self.0.remove(at).1)
    }

    /// The members, in order.
    pub fn members(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// How many members it has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Serialises back to raw JSON.
    pub fn to_raw(&self) -> Box<RawValue> {
        serde_json::value::to_raw_value(self).expect("a RawObject always serialises")
    }

    /// Serialises back to shared raw JSON, as every rewritten `tools/call` is. Written by hand:
    /// the members are valid JSON already, so this is their bytes between braces, in one
    /// buffer of the right size, where serde's map serializer took 600 instructions for two
    /// members and `RawValue` another copy into an `Arc`.
    pub fn to_json(&self) -> RawJson {
        let len = self
            .0
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum::<usize>();
        let mut out = Vec::with_capacity(len + 2);
        out.push(b'{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(&mut out, k);
            out.push(b':');
            out.extend_from_slice(v.get().as_bytes());
        }
        out.push(b'}');
        RawJson::from_trusted(Bytes::from(out))
    }
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = RawObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut members: Vec<(Box<str>, Box<RawValue>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(4).min(64));
                let mut seen: Option<HashSet<Box<str>>> = None;
                while let Some(key) = map.next_key::<Box<str>>()? {
                    let repeated = match &mut seen {
                        Some(set) => !set.insert(key.clone()),
                        None => members.iter().any(|(k, _)| *k == key),
                    };
                    if repeated {
                        return Err(de::Error::custom(format_args!("{DUPLICATE_MARKER}{key}")));
                    }
                    let value = map.next_value::<Box<RawValue>>()?;
                    members.push((key, value));
                    if seen.is_none() && members.len() > LINEAR_SCAN_UP_TO {
                        seen = Some(members.iter().map(|(k, _)| k.clone()).collect());
                    }
                }
                Ok(RawObject(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl Serialize for RawObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::jsonrpc::raw_string;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.into()).unwrap()
    }

    #[test]
    fn rewrites_one_member_and_keeps_numbers_exact() {
        let mut obj = RawObject::parse(&raw(
            r#"{"name":"a__b","arguments":{"x":1e300,"y":2.5e-324,"z":-0.0}}"#,
        ))
        .unwrap();
        obj.set("name", raw_string("b"));
        assert_eq!(
            obj.to_raw().get(),
            r#"{"name":"b","arguments":{"x":1e300,"y":2.5e-324,"z":-0.0}}"#
        );
    }

    #[test]
    fn writes_shared_json_as_serde_writes_it() {
        for text in [
            r#"{}"#,
            r#"{"name":"a__b","arguments":{"x":1e300,"q":"\u00e9\n"}}"#,
            r#"{"we\"ird\\key\n":1,"é":[true,null],"_meta":{"progressToken":7}}"#,
        ] {
            let mut obj = RawObject::parse(&raw(text)).expect("a valid object");
            obj.set("name", raw_string("b"));
            let written = obj.to_json();
            assert_eq!(written.get(), obj.to_raw().get(), "{text}");
            let reread: serde_json::Value =
                serde_json::from_str(written.get()).expect("valid JSON");
            let expected: serde_json::Value =
                serde_json::from_str(obj.to_raw().get()).expect("valid JSON");
            assert_eq!(reread, expected);
        }
    }

    #[test]
    fn refuses_a_repeated_member_and_names_it() {
        let err = RawObject::parse(&raw(
            r#"{"name":"ev__echo","arguments":{},"name":"get-env"}"#,
        ))
        .unwrap_err();
        match err {
            ObjectError::Duplicate(name) => assert_eq!(name, "name"),
            other => panic!("expected a duplicate, got {other:?}"),
        }
    }

    #[test]
    fn refuses_repeats_in_large_objects_too() {
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k7\":0}");
        assert!(matches!(
            RawObject::parse(&raw(&text)),
            Err(ObjectError::Duplicate(name)) if name == "k7"
        ));
    }

    #[test]
    fn repeats_deeper_down_are_left_to_the_backend() {
        // The gateway reads no member of `arguments`; see the module docs.
        let obj = RawObject::parse(&raw(r#"{"arguments":{"a":1,"a":2}}"#)).unwrap();
        assert_eq!(obj.get("arguments").unwrap().get(), r#"{"a":1,"a":2}"#);
    }

    #[test]
    fn a_member_name_with_escapes_is_compared_unescaped() {
        // `"na\u006de"` is `name`: a parser that compared raw text would miss the repeat.
        assert!(matches!(
            RawObject::parse(&raw(r#"{"name":"a","na\u006de":"b"}"#)),
            Err(ObjectError::Duplicate(name)) if name == "name"
        ));
    }

    #[test]
    fn non_objects_are_named_as_such() {
        assert!(matches!(
            RawObject::parse(&raw("[1,2]")),
            Err(ObjectError::NotObject)
        ));
    }
}
