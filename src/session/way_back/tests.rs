use super::*;
use crate::protocol::Message;
use crate::session::call::CallParts;
use crate::session::client::{ClientCaps, ClientInfo};
use crate::session::events::{EventReader, Next, Window};
use crate::session::NewSession;
use serde_json::value::RawValue;

struct World {
    store: Arc<SessionStore>,
    way_back: WayBack,
    ev: BackendRef,
}

fn world() -> World {
    let store = Arc::new(SessionStore::new(Duration::from_secs(60), 100));
    World {
        way_back: WayBack::new(store.clone(), Duration::from_secs(5)),
        store,
        ev: BackendRef {
            alias: "ev".into(),
            slot: 0,
        },
    }
}

fn everything() -> ClientCaps {
    ClientCaps {
        roots: true,
        roots_list_changed: true,
        sampling: true,
        elicitation_form: true,
        elicitation_url: false,
    }
}

impl World {
    fn session(&self, caps: ClientCaps) -> Arc<Session> {
        self.store
            .create(NewSession {
                version: "2025-11-25",
                client: ClientInfo {
                    caps,
                    ..ClientInfo::default()
                },
                principal: None,
                window: Window::default(),
            })
            .unwrap()
    }
}

fn call(session: &Arc<Session>, id: i64, token: Option<&str>) -> Arc<CallContext> {
    CallContext::new(CallParts {
        session: Some(session.clone()),
        client_id: Some(Id::Number(id)),
        progress_token: token.map(|t| RawValue::from_string(t.into()).unwrap()),
        streamable: true,
        version: "2025-11-25",
        ..CallParts::default()
    })
}

fn note(method: &str, params: &str) -> Notification {
    Notification {
        method: method.into(),
        params: Some(RawValue::from_string(params.into()).unwrap()),
    }
}

fn request(method: &str, params: &str) -> Request {
    Request {
        id: Id::Number(99),
        method: method.into(),
        params: Some(RawValue::from_string(params.into()).unwrap()),
    }
}

fn drain(reader: &mut EventReader) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(Next::Event(_, bytes)) = reader.try_next() {
        out.push(String::from_utf8(bytes.to_vec()).unwrap());
    }
    out
}

fn get_stream(session: &Session) -> EventReader {
    session.outbound().get_stream().reader(0)
}

#[test]
fn progress_reaches_only_the_call_that_owns_the_token() {
    let w = world();
    let (a, b) = (w.session(everything()), w.session(everything()));
    let (ca, cb) = (call(&a, 1, Some("1")), call(&b, 1, Some("1")));
    let (ta, _ga) = w.way_back.progress().register(&ca);
    let (_tb, _gb) = w.way_back.progress().register(&cb);
    let params = format!(r#"{{"progressToken":{},"progress":1,"total":2}}"#, ta.get());
    w.way_back.notify(
        &w.ev,
        Related::Nothing,
        &note("notifications/progress", &params),
    );
    let got = drain(&mut ca.stream().unwrap().reader(0));
    assert_eq!(
        got,
        vec![
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1,"total":2}}"#
        ]
    );
    assert!(
        cb.stream().is_none(),
        "the other client's call saw progress"
    );
}

#[test]
fn a_log_during_one_sessions_calls_goes_to_that_session_only() {
    let w = world();
    let (a, b) = (w.session(everything()), w.session(everything()));
    b.set_log_level(LogLevel::Debug);
    b.mark_used(0);
    let (a1, a2) = (call(&a, 1, None), call(&a, 2, None));
    let msg = note("notifications/message", r#"{"level":"info","data":"x"}"#);
    w.way_back
        .notify(&w.ev, Related::InFlight(vec![a1.clone(), a2.clone()]), &msg);
    // The newest call of the one session in flight carries it.
    assert!(a1.stream().is_none());
    assert_eq!(drain(&mut a2.stream().unwrap().reader(0)).len(), 1);
    assert!(b.outbound().get_stream_if_open().is_none());
}

#[test]
fn a_log_between_calls_goes_to_sessions_that_asked_at_their_level() {
    let w = world();
    let (quiet, verbose, strict, elsewhere) = (
        w.session(everything()),
        w.session(everything()),
        w.session(everything()),
        w.session(everything()),
    );
    verbose.set_log_level(LogLevel::Debug);
    strict.set_log_level(LogLevel::Error);
    elsewhere.set_log_level(LogLevel::Debug);
    for s in [&quiet, &verbose, &strict] {
        s.mark_used(0);
    }
    elsewhere.mark_used(1);
    let msg = note("notifications/message", r#"{"level":"warning","data":"x"}"#);
    w.way_back.notify(&w.ev, Related::Nothing, &msg);
    assert_eq!(drain(&mut get_stream(&verbose)).len(), 1);
    assert!(drain(&mut get_stream(&strict)).is_empty());
    assert!(drain(&mut get_stream(&quiet)).is_empty());
    assert!(drain(&mut get_stream(&elsewhere)).is_empty());
}

#[test]
fn resource_updates_reach_watchers_only() {
    let w = world();
    let (a, b) = (w.session(everything()), w.session(everything()));
    w.way_back.subscriptions().add(&w.ev.alias, "x://1", &a.id);
    let msg = note("notifications/resources/updated", r#"{"uri":"x://1"}"#);
    w.way_back.notify(&w.ev, Related::Nothing, &msg);
    assert_eq!(drain(&mut get_stream(&a)).len(), 1);
    assert!(drain(&mut get_stream(&b)).is_empty());
}

/// Answers the first request that appears on `reader` with `result`, as a client would.
async fn answer_on(session: Arc<Session>, mut reader: EventReader, result: &'static str) {
    loop {
        let Next::Event(_, bytes) = reader.next().await else {
            panic!("stream ended before the request arrived")
        };
        if let Ok(Message::Request(r)) = Message::parse(&bytes) {
            let outcome = Ok(RawJson::from(RawValue::from_string(result.into()).unwrap()));
            session.answer(&r.id, outcome).unwrap();
            return;
        }
    }
}

#[tokio::test]
async fn a_backend_request_reaches_the_calls_client_and_its_answer_comes_back() {
    let w = world();
    let a = w.session(everything());
    let ctx = call(&a, 1, None);
    let asking = w.way_back.ask(
        &w.ev,
        Related::Call(ctx.clone()),
        request("sampling/createMessage", r#"{"messages":[]}"#),
    );
    let client = async {
        ctx.opened().await;
        answer_on(
            a.clone(),
            ctx.stream().unwrap().reader(0),
            r#"{"role":"assistant"}"#,
        )
        .await;
    };
    let (outcome, ()) = tokio::join!(asking, client);
    assert_eq!(outcome.unwrap().get(), r#"{"role":"assistant"}"#);
    assert_eq!(a.asks_waiting(), 0);
}

#[tokio::test]
async fn a_client_without_the_capability_is_not_asked() {
    let w = world();
    let a = w.session(ClientCaps::default());
    let ctx = call(&a, 1, None);
    let err = w
        .way_back
        .ask(
            &w.ev,
            Related::Call(ctx.clone()),
            request("elicitation/create", "{}"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, error_codes::METHOD_NOT_FOUND);
    assert!(err.message.contains("elicitation"), "{}", err.message);
    assert!(ctx.stream().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_answers_times_out_and_is_told() {
    let w = world();
    let a = w.session(everything());
    let ctx = call(&a, 1, None);
    let err = w
        .way_back
        .ask(
            &w.ev,
            Related::Call(ctx.clone()),
            request("roots/list", "{}"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, error_codes::CLIENT_DID_NOT_ANSWER);
    assert_eq!(a.asks_waiting(), 0, "the ask leaked");
    let sent = drain(&mut ctx.stream().unwrap().reader(0));
    assert_eq!(sent.len(), 2);
    assert!(sent[1].contains("notifications/cancelled"), "{}", sent[1]);
}

#[tokio::test]
async fn a_request_for_a_call_that_ended_is_refused_at_once() {
    let w = world();
    let a = w.session(everything());
    let ctx = call(&a, 1, None);
    ctx.end();
    let err = w
        .way_back
        .ask(&w.ev, Related::Call(ctx), request("roots/list", "{}"))
        .await
        .unwrap_err();
    assert!(err.message.contains("already ended"), "{}", err.message);
}

#[tokio::test]
async fn a_shared_backend_request_among_two_clients_is_not_guessed() {
    let w = world();
    let (a, b) = (w.session(everything()), w.session(everything()));
    let calls = vec![call(&a, 1, None), call(&b, 1, None)];
    let err = w
        .way_back
        .ask(&w.ev, Related::InFlight(calls), request("roots/list", "{}"))
        .await
        .unwrap_err();
    assert!(err.message.contains("per-session"), "{}", err.message);
    let err = w
        .way_back
        .ask(
            &w.ev,
            Related::InFlight(Vec::new()),
            request("sampling/createMessage", "{}"),
        )
        .await
        .unwrap_err();
    assert!(err.message.contains("no client call"), "{}", err.message);
}

#[tokio::test]
async fn roots_list_after_a_roots_change_goes_to_the_session_that_changed() {
    let w = world();
    let a = w.session(everything());
    w.way_back.hint_roots(&w.ev.alias, &a);
    let reader = get_stream(&a);
    let (outcome, ()) = tokio::join!(
        w.way_back
            .ask(&w.ev, Related::Nothing, request("roots/list", "{}")),
        answer_on(a.clone(), reader, r#"{"roots":[]}"#),
    );
    assert_eq!(outcome.unwrap().get(), r#"{"roots":[]}"#);
}

#[tokio::test]
async fn ping_is_answered_by_the_gateway() {
    let w = world();
    let outcome = w
        .way_back
        .ask(&w.ev, Related::Nothing, request("ping", "{}"))
        .await;
    assert_eq!(outcome.unwrap().get(), "{}");
}
