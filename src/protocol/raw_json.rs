//! `RawJson`: a JSON value kept as its serialised bytes, so a result can be forwarded, cached
//! and sent to many clients without being copied or parsed again.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Serialised JSON, validated once where it entered the gateway (or built by the gateway
/// itself from validated parts). Cloning shares the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RawJson(Bytes);

// === impl RawJson ===

impl RawJson {
    /// Wraps bytes the caller built from already-validated JSON (for example a page joined
    /// from catalog entries). Validating again would cost a full parse of the value.
    pub(crate) fn from_trusted(bytes: Bytes) -> Self {
        RawJson(bytes)
    }

    /// `{}`.
    pub fn empty_object() -> Self {
        RawJson(Bytes::from_static(b"{}"))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        std::str::from_utf8(&self.0).expect("RawJson is built from str or validated JSON")
    }

    /// The JSON bytes, shared.
    pub fn bytes(&self) -> &Bytes {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty (never, for valid JSON; here for clippy's `len` convention).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A JSON value's serialised bytes, as a writer copies them into a message. Lets one writer
/// take a client's borrowed params and the gateway's shared ones alike.
pub trait JsonText {
    /// The JSON text's bytes.
    fn json_bytes(&self) -> &[u8];
}

impl JsonText for RawValue {
    fn json_bytes(&self) -> &[u8] {
        self.get().as_bytes()
    }
}

impl<T: JsonText + ?Sized> JsonText for Box<T> {
    fn json_bytes(&self) -> &[u8] {
        (**self).json_bytes()
    }
}

impl JsonText for RawJson {
    fn json_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Box<RawValue>> for RawJson {
    /// Takes the validated buffer over without copying it.
    fn from(raw: Box<RawValue>) -> Self {
        let text: Box<str> = raw.into();
        RawJson(Bytes::from(text.into_boxed_bytes()))
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(RawJson::from)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 256;
        let text = self.get();
        match text.char_indices().nth(SHOWN) {
            Some((cut, _)) => write!(f, "RawJson({}… {} bytes)", &text[..cut], text.len()),
            None => write!(f, "RawJson({text})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_a_raw_value_over_and_reads_back_the_same_text() {
        let raw = RawValue::from_string(r#"{"a":[1,2,"x"]}"#.into()).unwrap();
        let json = RawJson::from(raw);
        assert_eq!(json.get(), r#"{"a":[1,2,"x"]}"#);
        assert_eq!(json.len(), 15);
    }

    #[test]
    fn deserializes_from_a_field_verbatim() {
        #[derive(Deserialize)]
        struct Envelope {
            result: RawJson,
        }
        let e: Envelope = serde_json::from_str(r#"{"result": {"k" : "v"} }"#).unwrap();
        assert_eq!(e.result.get(), r#"{"k" : "v"}"#);
        assert!(serde_json::from_str::<Envelope>(r#"{"result": }"#).is_err());
    }

    #[test]
    fn clones_share_the_bytes() {
        let json = RawJson::from(RawValue::from_string("[1]".into()).unwrap());
        let copy = json.clone();
        assert_eq!(json.bytes().as_ptr(), copy.bytes().as_ptr());
    }

    #[test]
    fn debug_shortens_long_values() {
        let long = format!("\"{}\"", "x".repeat(1000));
        let json = RawJson::from(RawValue::from_string(long).unwrap());
        let shown = format!("{json:?}");
        assert!(shown.len() < 300, "{shown}");
        assert!(shown.contains("1002 bytes"));
    }
}
