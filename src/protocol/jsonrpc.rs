//! The JSON-RPC 2.0 envelope, parsed just far enough to route.
//!
//! `params`, `result` and `error.data` stay as raw JSON (`Box<RawValue>`): the gateway forwards
//! them byte-for-byte and never builds a `serde_json::Value` tree of a client's arguments.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;
use std::sync::Arc;

use super::error_codes;
use super::{JsonText, RawJson};
use bytes::Bytes;

/// A JSON-RPC request id: the spec allows strings and numbers (null only in error replies).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// A numeric id; MCP clients and servers use integers.
    Number(i64),
    /// A string id.
    String(Arc<str>),
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(n) => write!(f, "{n}"),
            Id::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A JSON-RPC request (has an id, expects a response).
#[derive(Debug)]
pub struct Request {
    /// The caller's id, restored on the response.
    pub id: Id,
    /// The method name, e.g. `tools/call`.
    pub method: Box<str>,
    /// The parameters as written by the caller.
    pub params: Option<Box<RawValue>>,
}

/// A JSON-RPC notification (no id, no response).
#[derive(Debug)]
pub struct Notification {
    /// The method name, e.g. `notifications/tools/list_changed`.
    pub method: Box<str>,
    /// The parameters as written by the sender.
    pub params: Option<Box<RawValue>>,
}

/// A JSON-RPC response: a result or an error for the request with `id`.
#[derive(Debug)]
pub struct Response {
    /// The id of the request this answers; `None` only for errors about unparseable requests.
    pub id: Option<Id>,
    /// The result or the error object.
    pub outcome: Outcome,
}

/// The payload of a response.
pub type Outcome = Result<super::RawJson, ErrorObject>;

/// A JSON-RPC error object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorObject {
    /// The error code (see `protocol::error_codes`).
    pub code: i64,
    /// A message for humans: what failed and what to do.
    pub message: String,
    /// Optional structured data, forwarded untouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<RawValue>>,
}

impl ErrorObject {
    /// Builds an error object without data.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// `-32602 Invalid params`.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(error_codes::INVALID_PARAMS, message)
    }

    /// `-32601 Method not found`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            error_codes::METHOD_NOT_FOUND,
            format!("method `{method}` is not supported by mcpmux"),
        )
    }

    /// `-32603 Internal error`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(error_codes::INTERNAL_ERROR, message)
    }
}

/// Any JSON-RPC message as read from a wire.
#[derive(Debug)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A response (from a backend, or a client answering a server-to-client request).
    Response(Response),
}

/// Why a frame could not be read as a JSON-RPC message.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON at all (`-32700`).
    #[error("parse error: {0}")]
    Json(#[source] serde_json::Error),
    /// JSON, but not a JSON-RPC 2.0 message object (`-32600`).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl ParseError {
    /// The JSON-RPC error object to send back.
    pub fn to_error_object(&self) -> ErrorObject {
        match self {
            ParseError::Json(e) => {
                ErrorObject::new(error_codes::PARSE_ERROR, format!("parse error: {e}"))
            }
            ParseError::Invalid(m) => ErrorObject::new(
                error_codes::INVALID_REQUEST,
                format!("invalid request: {m}"),
            ),
        }
    }
}

/// The members of an envelope, borrowed from the input buffer. Read by hand rather than derived
/// so that a present `"id": null` is told apart from a missing id, and so that a repeated
/// member is refused by name (see `raw_object` for why repeats matter).
#[derive(Default)]
struct Envelope<'a> {
    jsonrpc: Option<&'a RawValue>,
    id: Option<&'a RawValue>,
    method: Option<&'a RawValue>,
    params: Option<&'a RawValue>,
    result: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for Envelope<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor;
        impl<'de> Visitor<'de> for EnvelopeVisitor {
            type Value = Envelope<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON-RPC message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope<'de>, A::Error> {
                let mut env = Envelope::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    let slot = match &*key {
                        "jsonrpc" => &mut env.jsonrpc,
                        "id" => &mut env.id,
                        "method" => &mut env.method,
                        "params" => &mut env.params,
                        "result" => &mut env.result,
                        "error" => &mut env.error,
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                            continue;
                        }
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format_args!(
                            "member `{key}` appears more than once"
                        )));
                    }
                    *slot = Some(map.next_value::<&'de RawValue>()?);
                }
                Ok(env)
            }
        }
        deserializer.deserialize_map(EnvelopeVisitor)
    }
}

impl Message {
    /// Parses one JSON-RPC message. Batches (arrays) and non-objects are rejected.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        Self::parse_with(bytes, |result| RawJson::from(result.to_owned()))
    }

    /// Like [`Message::parse`], but a response's `result` shares `bytes` instead of being
    /// copied: a large tool result read from a backend goes out to the client as the same
    /// buffer.
    pub fn parse_shared(bytes: &Bytes) -> Result<Message, ParseError> {
        Self::parse_with(bytes, |result| {
            RawJson::from_trusted(bytes.slice_ref(result.get().as_bytes()))
        })
    }

    fn parse_with(
        bytes: &[u8],
        keep_result: impl FnOnce(&RawValue) -> RawJson,
    ) -> Result<Message, ParseError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        match first {
            Some(b'{') => {}
            Some(b'[') => {
                // Validate it is JSON before calling it a batch, so garbage still gets -32700.
                serde_json::from_slice::<de::IgnoredAny>(bytes).map_err(ParseError::Json)?;
                return Err(ParseError::Invalid(
                    "JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per request".into(),
                ));
            }
            _ => {
                serde_json::from_slice::<de::IgnoredAny>(bytes).map_err(ParseError::Json)?;
                return Err(ParseError::Invalid(
                    "a JSON-RPC message must be a JSON object".into(),
                ));
            }
        }
        // Checked as UTF-8 once, then read as text: serde_json's slice reader checks every
        // borrowed member and every key on its own instead (about 700 instructions per
        // proxied call, request and answer, by callgrind). Bytes that are not UTF-8 go to the
        // slice reader, which says where they break.
        let env: Result<Envelope<'_>, _> = match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(bytes),
        };
        let env = env.map_err(|e| {
            if e.is_data() {
                ParseError::Invalid(e.to_string())
            } else {
                ParseError::Json(e)
            }
        })?;
        match env.jsonrpc.map(RawValue::get) {
            Some("\"2.0\"") => {}
            _ => return Err(ParseError::Invalid("`jsonrpc` must be \"2.0\"".into())),
        }
        let id = match env.id {
            None => None,
            Some(raw) if raw.get() == "null" => Some(None),
            Some(raw) => Some(Some(read_id(raw.get()).map_err(|_| {
                ParseError::Invalid(format!(
                    "`id` must be a string or an integer, got {}",
                    raw.get()
                ))
            })?)),
        };
        let method = env
            .method
            .map(|raw| {
                serde_json::from_str::<Box<str>>(raw.get())
                    .map_err(|_| ParseError::Invalid("`method` must be a string".into()))
            })
            .transpose()?;
        let params = env.params.map(RawValue::to_owned);
        match (method, id) {
            (Some(method), Some(Some(id))) => Ok(Message::Request(Request { id, method, params })),
            (Some(_), Some(None)) => Err(ParseError::Invalid(
                "a request id must not be null (omit `id` to send a notification)".into(),
            )),
            (Some(method), None) => Ok(Message::Notification(Notification { method, params })),
            (None, id) => {
                let id = id.flatten();
                let error = env
                    .error
                    .map(|raw| {
                        serde_json::from_str::<ErrorObject>(raw.get()).map_err(|e| {
                            ParseError::Invalid(format!(
                                "`error` is not a JSON-RPC error object: {e}"
                            ))
                        })
                    })
                    .transpose()?;
                let outcome =
                    match (env.result, error) {
                        (Some(result), None) => Ok(keep_result(result)),
                        (None, Some(error)) => Err(error),
                        _ => return Err(ParseError::Invalid(
                            "a message needs a `method`, or exactly one of `result` and `error`"
                                .into(),
                        )),
                    };
                if id.is_none() && outcome.is_ok() {
                    return Err(ParseError::Invalid("a response needs an `id`".into()));
                }
                Ok(Message::Response(Response { id, outcome }))
            }
        }
    }
}

/// An id as `Id`'s own deserialisation reads it, without serde's buffering of an untagged enum
/// (twice per proxied call: the client's request and the backend's answer) for the two forms
/// ids take: an integer, or a string without escapes. `raw` is already valid JSON.
fn read_id(raw: &str) -> Result<Id, serde_json::Error> {
    match raw.as_bytes() {
        // serde_json reads `-0` as a float, which no id is.
        [b'-' | b'0'..=b'9', ..] if raw != "-0" => {
            if let Ok(n) = raw.parse::<i64>() {
                return Ok(Id::Number(n));
            }
        }
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
            return Ok(Id::String(Arc::from(&raw[1..raw.len() - 1])));
        }
        _ => {}
    }
    serde_json::from_str::<Id>(raw)
}

// === impl serialisation ===

/// Serialises a request as a JSON-RPC object.
pub fn write_request<P: JsonText + ?Sized>(id: &Id, method: &str, params: Option<&P>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + params.map_or(0, |p| p.json_bytes().len()));
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    write_id(&mut out, id);
    out.extend_from_slice(b",\"method\":");
    write_str(&mut out, method);
    if let Some(p) = params {
        out.extend_from_slice(b",\"params\":");
        out.extend_from_slice(p.json_bytes());
    }
    out.push(b'}');
    out
}

/// No params, for the writers below (which take either kind of raw JSON).
pub const NO_PARAMS: Option<&RawValue> = None;

/// Serialises a notification as a JSON-RPC object.
pub fn write_notification<P: JsonText + ?Sized>(method: &str, params: Option<&P>) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + params.map_or(0, |p| p.json_bytes().len()));
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"method\":");
    write_str(&mut out, method);
    if let Some(p) = params {
        out.extend_from_slice(b",\"params\":");
        out.extend_from_slice(p.json_bytes());
    }
    out.push(b'}');
    out
}

/// Serialises a response as a JSON-RPC object.
pub fn write_response(id: Option<&Id>, outcome: &Outcome) -> Vec<u8> {
    let payload_len = match outcome {
        Ok(r) => r.len(),
        Err(e) => e.message.len() + 64,
    };
    let mut out = Vec::with_capacity(48 + payload_len);
    write_envelope_start(&mut out, id);
    match outcome {
        Ok(result) => {
            out.extend_from_slice(b",\"result\":");
            out.extend_from_slice(result.bytes());
        }
        Err(error) => {
            out.extend_from_slice(b",\"error\":");
            serde_json::to_writer(&mut out, error).expect("an ErrorObject always serialises");
        }
    }
    out.push(b'}');
    out
}

/// Everything of a successful response before its result: `{"jsonrpc":"2.0","id":..,"result":`.
/// With the result's own bytes and `}` after it, a large result is sent without being copied.
pub fn write_result_head(id: Option<&Id>) -> Vec<u8> {
    let mut out = Vec::with_capacity(48);
    write_envelope_start(&mut out, id);
    out.extend_from_slice(b",\"result\":");
    out
}

fn write_envelope_start(out: &mut Vec<u8>, id: Option<&Id>) {
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    match id {
        Some(id) => write_id(out, id),
        None => out.extend_from_slice(b"null"),
    }
}

fn write_id(out: &mut Vec<u8>, id: &Id) {
    match id {
        Id::Number(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        Id::String(s) => write_str(out, s),
    }
}

/// Writes `s` as a JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    // Method names and member names need no escaping; copying them between quotes skips
    // serde's escape-table writer (the same bytes: serde escapes exactly these).
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, s).expect("a str always serialises");
    }
}

/// Serialises a string as a raw JSON value.
pub fn raw_string(s: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(s).expect("a str always serialises")
}

/// Builds a raw JSON value from any serialisable value.
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).expect("gateway-built values always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_writes_them() {
        for s in [
            "",
            "tools/call",
            "quote\"d",
            "back\\slash",
            "tab\there",
            "nul\u{0}",
            "del\u{7f}",
            "é ☃ 🦀",
            "\u{1f}",
            " ",
        ] {
            let mut ours = Vec::new();
            write_str(&mut ours, s);
            let serde = serde_json::to_vec(s).expect("a str serialises");
            assert_eq!(ours, serde, "{s:?}");
        }
    }

    #[test]
    fn ids_read_as_their_deserialisation_reads_them() {
        let forms = [
            "0",
            "-0",
            "7",
            "-12",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "1.0",
            "1e3",
            "-1.5",
            r#""""#,
            r#""abc""#,
            r#""a\"b""#,
            r#""caf\u00e9""#,
            r#""café""#,
            r#""123""#,
            "null",
            "true",
            "[1]",
            r#"{"a":1}"#,
        ];
        for raw in forms {
            let fast = read_id(raw).map_err(|_| ());
            let serde = serde_json::from_str::<Id>(raw).map_err(|_| ());
            assert_eq!(fast, serde, "{raw}");
        }
    }

    #[test]
    fn parses_request_and_keeps_params_raw() {
        let m = Message::parse(br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"n":0.1,"big":18446744073709551617,"neg":-0.0}}}"#).unwrap();
        let Message::Request(r) = m else {
            panic!("not a request")
        };
        assert_eq!(r.id, Id::Number(7));
        assert_eq!(&*r.method, "tools/call");
        assert_eq!(
            r.params.unwrap().get(),
            r#"{"name":"x","arguments":{"n":0.1,"big":18446744073709551617,"neg":-0.0}}"#
        );
    }

    #[test]
    fn classifies_bad_input() {
        assert!(matches!(
            Message::parse(b"{not json"),
            Err(ParseError::Json(_))
        ));
        assert!(matches!(Message::parse(b"42"), Err(ParseError::Invalid(_))));
        assert!(matches!(Message::parse(b"[]"), Err(ParseError::Invalid(_))));
        assert!(matches!(
            Message::parse(br#"{"id":1,"method":"x"}"#),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            Message::parse(br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#),
            Err(ParseError::Invalid(_))
        ));
        assert!(matches!(
            Message::parse(br#"{"jsonrpc":"2.0","id":1}"#),
            Err(ParseError::Invalid(_))
        ));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_a_parse_error_that_says_where() {
        for bytes in [
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"x\":\"\xff\"}}"[..],
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"meth\xc3od\":\"ping\"}",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"\xed\xa0\x80\"}}",
        ] {
            let err = Message::parse(bytes).unwrap_err();
            assert!(matches!(&err, ParseError::Json(_)), "{err}");
            assert_eq!(err.to_error_object().code, error_codes::PARSE_ERROR);
            assert!(err.to_string().contains("column"), "{err}");
        }
    }

    #[test]
    fn text_beyond_ascii_is_kept_as_sent() {
        let text = "{\"jsonrpc\":\"2.0\",\"id\":\"é\",\"method\":\"tools/call\",\"params\":{\"q\":\"naïve ☃ 𝄞\"}}";
        let Message::Request(r) = Message::parse(text.as_bytes()).unwrap() else {
            panic!("not a request")
        };
        assert_eq!(r.id, Id::String("é".into()));
        assert_eq!(r.params.unwrap().get(), "{\"q\":\"naïve ☃ 𝄞\"}");
        let answer = Bytes::from_static(
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"☃\"}}".as_bytes(),
        );
        let Message::Response(r) = Message::parse_shared(&answer).unwrap() else {
            panic!("not a response")
        };
        assert_eq!(
            r.outcome.unwrap().bytes().as_ref(),
            "{\"t\":\"☃\"}".as_bytes()
        );
    }

    #[test]
    fn a_null_request_id_is_refused_not_taken_for_a_notification() {
        let err =
            Message::parse(br#"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#).unwrap_err();
        assert!(matches!(&err, ParseError::Invalid(m) if m.contains("must not be null")));
        assert_eq!(err.to_error_object().code, error_codes::INVALID_REQUEST);
    }

    #[test]
    fn a_repeated_envelope_member_is_refused_by_name() {
        for (text, member) in [
            (
                &br#"{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call"}"#[..],
                "method",
            ),
            (br#"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#, "id"),
            (
                br#"{"jsonrpc":"2.0","id":1,"method":"x","params":{},"params":{}}"#,
                "params",
            ),
        ] {
            let err = Message::parse(text).unwrap_err();
            assert!(
                matches!(&err, ParseError::Invalid(m) if m.contains(&format!("`{member}` appears more than once"))),
                "{err}"
            );
        }
    }

    #[test]
    fn parses_notifications_and_responses() {
        assert!(matches!(
            Message::parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap(),
            Message::Notification(_)
        ));
        let Message::Response(r) =
            Message::parse(br#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#)
                .unwrap()
        else {
            panic!("not a response")
        };
        assert_eq!(r.id, Some(Id::String("a".into())));
        assert_eq!(r.outcome.unwrap_err().code, -32601);
    }

    #[test]
    fn writes_round_trip() {
        let bytes = write_response(
            Some(&Id::String("x\"y".into())),
            &Ok(raw_string("ok").into()),
        );
        let Message::Response(r) = Message::parse(&bytes).unwrap() else {
            panic!()
        };
        assert_eq!(r.id, Some(Id::String("x\"y".into())));
        let bytes = write_request(&Id::Number(3), "ping", NO_PARAMS);
        assert!(matches!(
            Message::parse(&bytes).unwrap(),
            Message::Request(_)
        ));
    }
}
