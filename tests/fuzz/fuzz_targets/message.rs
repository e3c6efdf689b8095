//! `Message::parse` / `Message::parse_shared` on arbitrary bytes, plus a write/parse round trip.
//!
//! Invariants (a panic is a finding):
//! - `parse` and `parse_shared` agree (same kind of message or same kind of error);
//! - a parsed request, notification or response written back with `write_request`,
//!   `write_notification` or `write_response` parses again to the same method, id, params,
//!   result or error.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mcpmux::protocol::jsonrpc::{
    write_notification, write_request, write_response, Outcome, ParseError,
};
use mcpmux::protocol::Message;

fuzz_target!(|data: &[u8]| {
    let owned = Message::parse(data);
    let shared = Message::parse_shared(&Bytes::copy_from_slice(data));
    match (&owned, &shared) {
        (Ok(a), Ok(b)) => assert_same(a, b, "parse vs parse_shared"),
        (Err(ParseError::Json(_)), Err(ParseError::Json(_)))
        | (Err(ParseError::Invalid(_)), Err(ParseError::Invalid(_))) => {}
        (a, b) => panic!("parse and parse_shared disagree: {a:?} vs {b:?}"),
    }
    if let Ok(message) = &owned {
        round_trip(message);
    }
    if let Ok(message) = &shared {
        round_trip(message);
    }
});

fn round_trip(message: &Message) {
    let written = match message {
        Message::Request(r) => write_request(&r.id, &r.method, r.params.as_deref()),
        Message::Notification(n) => write_notification(&n.method, n.params.as_deref()),
        Message::Response(r) => write_response(r.id.as_ref(), &r.outcome),
    };
    let again = Message::parse(&written).unwrap_or_else(|e| {
        panic!(
            "written message does not parse: {e}\nwritten: {}\nfrom: {message:?}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_same(message, &again, "round trip");
}

fn assert_same(a: &Message, b: &Message, what: &str) {
    let same = match (a, b) {
        (Message::Request(x), Message::Request(y)) => {
            x.id == y.id && x.method == y.method && raw_eq(&x.params, &y.params)
        }
        (Message::Notification(x), Message::Notification(y)) => {
            x.method == y.method && raw_eq(&x.params, &y.params)
        }
        (Message::Response(x), Message::Response(y)) => {
            x.id == y.id && outcome_eq(&x.outcome, &y.outcome)
        }
        _ => false,
    };
    assert!(same, "{what}: messages differ\n  {a:?}\n  {b:?}");
}

fn raw_eq(
    a: &Option<Box<serde_json::value::RawValue>>,
    b: &Option<Box<serde_json::value::RawValue>>,
) -> bool {
    a.as_ref().map(|r| r.get()) == b.as_ref().map(|r| r.get())
}

fn outcome_eq(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x.get() == y.get(),
        (Err(x), Err(y)) => {
            x.code == y.code
                && x.message == y.message
                && x.data.as_ref().map(|d| d.get()) == y.data.as_ref().map(|d| d.get())
        }
        _ => false,
    }
}
