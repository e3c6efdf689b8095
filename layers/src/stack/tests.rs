use super::*;
use crate::circuit_breaker::CircuitState;
use crate::rate_limit::{QuotaConfig, RateLimited, Scope};
use crate::request::NeverSent;
use crate::test_support::{ready, scripted, TestReq};
use crate::timeout::Elapsed;
use http::header::AUTHORIZATION;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

fn parse(json: &str) -> StackConfig {
    serde_json::from_str(json).unwrap()
}

async fn call(
    stack: &Stack<TestReq, &'static str>,
    req: TestReq,
) -> Result<&'static str, BoxError> {
    stack.service.clone().oneshot(req).await
}

#[test]
fn defaults_are_the_documented_ones() {
    let cfg = parse("{}");
    assert_eq!(cfg, StackConfig::default());
    assert_eq!(cfg.timeout, Some(Duration::from_secs(30)));
    assert_eq!(cfg.retry.max_attempts, 3);
    assert_eq!(cfg.retry.wait_min, Duration::from_secs(1));
    assert_eq!(cfg.retry.wait_max, Duration::from_secs(10));
    assert_eq!(cfg.retry.exponential_base, 2.0);
    assert!(cfg.retry.enabled && cfg.circuit_breaker.enabled);
    assert_eq!(cfg.circuit_breaker.failure_threshold, 5);
    assert_eq!(
        cfg.circuit_breaker.recovery_timeout,
        Duration::from_secs(60)
    );
    assert_eq!(cfg.circuit_breaker.half_open_max_calls, 1);
    assert_eq!(cfg.circuit_breaker.failure_rate, None);
    assert!(cfg.rate_limit.is_none() && cfg.auth.is_none());
    assert!(!cfg.forward_client_authorization);
}

#[test]
fn seed_config_keys_deserialize() {
    let cfg = parse(
        r#"{
            "auth": {"type": "bearer", "credentials": {"token": "your-api-key"}},
            "timeout": 30.0,
            "retry": {"max_attempts": 3, "wait_min": 1.0, "wait_max": 10.0, "exponential_base": 2.0},
            "circuit_breaker": {"failure_threshold": 5, "recovery_timeout": 60.0, "half_open_max_calls": 1}
        }"#,
    );
    assert_eq!(cfg.timeout, Some(Duration::from_secs(30)));
    assert_eq!(cfg.retry.wait_max, Duration::from_secs(10));
    assert_eq!(
        cfg.circuit_breaker.recovery_timeout,
        Duration::from_secs(60)
    );
    assert!(matches!(cfg.auth, Some(AuthConfig::Bearer(_))));
}

#[test]
fn full_config_with_humantime_strings_deserializes() {
    let cfg = parse(
        r#"{
            "timeout": "500ms",
            "tool_timeouts": {"long_report": "5m", "quick": 2},
            "retry": {"enabled": false, "budget_percent": 0.1},
            "circuit_breaker": {"failure_rate": 0.5, "minimum_calls": 20, "window": "30s"},
            "rate_limit": {
                "per_backend": {"requests_per_second": 100, "burst": 200},
                "per_principal": {"requests_per_second": 5},
                "per_tool": {"search": {"requests_per_second": 0.5, "burst": 1}}
            },
            "auth": {"type": "custom", "credentials": {"X-Api-Key": "${env:KEY}"}},
            "forward_client_authorization": true
        }"#,
    );
    assert_eq!(cfg.timeout, Some(Duration::from_millis(500)));
    assert_eq!(cfg.tool_timeouts["long_report"], Duration::from_secs(300));
    assert_eq!(cfg.tool_timeouts["quick"], Duration::from_secs(2));
    assert!(!cfg.retry.enabled);
    assert_eq!(cfg.circuit_breaker.window, Duration::from_secs(30));
    let limits = cfg.rate_limit.as_ref().unwrap();
    assert_eq!(limits.per_tool["search"].burst, Some(1));
    assert_eq!(limits.per_principal.as_ref().unwrap().burst, None);
    assert!(cfg.forward_client_authorization);

    let round_trip: StackConfig =
        serde_json::from_value(serde_json::to_value(&cfg).unwrap()).unwrap();
    assert_eq!(round_trip, cfg);
}

#[test]
fn embeds_with_flatten_and_rejects_typos_inside_sections() {
    #[derive(Debug, serde::Deserialize)]
    struct Backend {
        url: String,
        #[serde(flatten)]
        stack: StackConfig,
    }
    let backend: Backend = serde_json::from_str(
        r#"{"url": "http://x/mcp", "timeout": 10, "retry": {"max_attempts": 5}, "enabled": true}"#,
    )
    .unwrap();
    assert_eq!(backend.url, "http://x/mcp");
    assert_eq!(backend.stack.timeout, Some(Duration::from_secs(10)));
    assert_eq!(backend.stack.retry.max_attempts, 5);

    let typo = serde_json::from_str::<Backend>(r#"{"url": "u", "retry": {"max_attemps": 5}}"#);
    assert!(typo.unwrap_err().to_string().contains("max_attemps"));
}

#[tokio::test(start_paused = true)]
async fn zero_or_null_timeout_disables_it() {
    assert_eq!(parse(r#"{"timeout": null}"#).timeout, None);
    let cfg = parse(r#"{"timeout": 0}"#);
    assert!(timeout_layer(&Arc::from("github"), &cfg).is_none());

    let inner = tower::service_fn(|_req: TestReq| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, BoxError>("slow but fine")
    });
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();
    assert_eq!(
        call(&stack, TestReq::method("tools/list")).await.unwrap(),
        "slow but fine"
    );
}

#[tokio::test(start_paused = true)]
async fn each_retry_attempt_gets_its_own_timeout() {
    let (inner, calls) = scripted(|n, _| {
        if n == 0 {
            Box::pin(std::future::pending())
        } else {
            ready(Ok("second attempt"))
        }
    });
    let cfg = parse(r#"{"timeout": 5}"#);
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();
    let start = tokio::time::Instant::now();

    let answer = call(&stack, TestReq::method("tools/list")).await.unwrap();

    assert_eq!(answer, "second attempt");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(6),
        "5s timeout + 1s backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn timed_out_unsafe_call_is_not_retried() {
    let (inner, calls) = scripted(|_, _| Box::pin(std::future::pending()));
    let stack = build(
        "github",
        &parse(r#"{"timeout": 5}"#),
        inner,
        StackHooks::default(),
    )
    .unwrap();

    let err = call(&stack, TestReq::tool("create_issue"))
        .await
        .unwrap_err();

    assert!(err.is::<Elapsed>());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn rate_limit_refuses_before_the_breaker_counts() {
    let mut cfg = parse(r#"{"circuit_breaker": {"failure_threshold": 1}}"#);
    cfg.rate_limit = Some(RateLimitConfig {
        per_backend: Some(QuotaConfig {
            requests_per_second: 0.001,
            burst: Some(1),
        }),
        ..RateLimitConfig::default()
    });
    let (inner, calls) = scripted(|_, _| ready(Ok("ok")));
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();

    call(&stack, TestReq::method("ping")).await.unwrap();
    for _ in 0..3 {
        let err = call(&stack, TestReq::method("ping")).await.unwrap_err();
        assert_eq!(
            err.downcast_ref::<RateLimited>().unwrap().scope,
            Scope::Backend
        );
    }

    assert_eq!(
        stack.breaker.as_ref().unwrap().state(),
        CircuitState::Closed
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn breaker_counts_one_failure_per_call_however_often_it_was_retried() {
    let cfg = parse(r#"{"circuit_breaker": {"failure_threshold": 2}}"#);
    let (inner, calls) = scripted(|_, _| ready(Err("connection reset".into())));
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();
    let breaker = stack.breaker.clone().unwrap();

    call(&stack, TestReq::method("tools/list"))
        .await
        .unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 3, "three attempts");
    assert_eq!(breaker.state(), CircuitState::Closed, "one failure so far");

    call(&stack, TestReq::method("tools/list"))
        .await
        .unwrap_err();
    assert_eq!(breaker.state(), CircuitState::Open);

    let err = call(&stack, TestReq::method("tools/list"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "backend `github` is unavailable: circuit open after 2 consecutive failures"
        ),
        "{err}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        6,
        "an open breaker neither calls nor retries"
    );
}

#[tokio::test(start_paused = true)]
async fn never_sent_unsafe_call_is_retried_through_the_stack_and_counted() {
    let retries = Arc::new(AtomicUsize::new(0));
    let counted = retries.clone();
    let hooks = StackHooks {
        on_retry: Some(Arc::new(move |_: &str| {
            counted.fetch_add(1, Ordering::SeqCst);
        })),
        ..StackHooks::default()
    };
    let (inner, calls) = scripted(|n, _| {
        ready(if n == 0 {
            Err(NeverSent::new("connection refused").into())
        } else {
            Ok("created")
        })
    });
    let stack = build("github", &StackConfig::default(), inner, hooks).unwrap();

    assert_eq!(
        call(&stack, TestReq::tool("create_issue")).await.unwrap(),
        "created"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(retries.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn auth_headers_reach_the_transport_and_client_token_does_not() {
    std::env::set_var("MCPMUX_TEST_STACK_TOKEN", "backend-token");
    let cfg = parse(
        r#"{"auth": {"type": "bearer", "credentials": {"token": "${env:MCPMUX_TEST_STACK_TOKEN}"}}}"#,
    );
    let inner = tower::service_fn(|req: TestReq| async move {
        let sent = req.headers.get(AUTHORIZATION).cloned();
        Ok::<_, BoxError>(
            if sent.as_ref().is_some_and(|v| v == "Bearer backend-token") {
                "authorized"
            } else {
                "wrong"
            },
        )
    });
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();
    let mut req = TestReq::method("tools/list");
    req.headers
        .insert(AUTHORIZATION, "Bearer client".parse().unwrap());

    assert_eq!(
        stack.service.clone().oneshot(req).await.unwrap(),
        "authorized"
    );

    let plain = tower::service_fn(|req: TestReq| async move {
        Ok::<_, BoxError>(if req.headers.contains_key(AUTHORIZATION) {
            "leaked"
        } else {
            "stripped"
        })
    });
    let stack = build(
        "github",
        &StackConfig::default(),
        plain,
        StackHooks::default(),
    )
    .unwrap();
    let mut req = TestReq::method("tools/list");
    req.headers
        .insert(AUTHORIZATION, "Bearer client".parse().unwrap());
    assert_eq!(
        stack.service.clone().oneshot(req).await.unwrap(),
        "stripped"
    );
}

#[tokio::test(start_paused = true)]
async fn every_layer_can_be_switched_off() {
    let cfg = parse(
        r#"{"timeout": null, "retry": {"enabled": false}, "circuit_breaker": {"enabled": false},
            "forward_client_authorization": true}"#,
    );
    let (inner, calls) = scripted(|_, _| ready(Err("down".into())));
    let stack = build("github", &cfg, inner, StackHooks::default()).unwrap();
    assert!(stack.breaker.is_none());
    for _ in 0..10 {
        assert_eq!(
            call(&stack, TestReq::method("tools/list"))
                .await
                .unwrap_err()
                .to_string(),
            "down"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 10);
}

#[test]
fn build_errors_name_the_field_or_reference() {
    let (inner, _) = scripted(|_, _| ready(Ok("ok")));
    let bad_retry = parse(r#"{"retry": {"max_attempts": 0}}"#);
    let err =
        build::<_, TestReq>("b", &bad_retry, inner.clone(), StackHooks::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `retry.max_attempts`: must be at least 1"
    );

    let bad_auth = parse(
        r#"{"auth": {"type": "bearer", "credentials": {"token": "${env:MCPMUX_TEST_UNSET_TOKEN}"}}}"#,
    );
    let err = build::<_, TestReq>("b", &bad_auth, inner, StackHooks::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `auth`: `${env:MCPMUX_TEST_UNSET_TOKEN}` is not set"
    );
}

#[test]
fn built_service_is_send_sync_and_clone() {
    fn assert_bounds<T: Send + Sync + Clone + 'static>(_: &T) {}
    let (inner, _) = scripted(|_, _| ready(Ok("ok")));
    let stack =
        build::<_, TestReq>("b", &StackConfig::default(), inner, StackHooks::default()).unwrap();
    assert_bounds(&stack.service);
}
