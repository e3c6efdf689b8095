//! A request type and small inner services for the unit tests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use http::HeaderMap;
use tower::Service;

use crate::request::{BoxError, CallInfo, OutboundHeaders, RetrySafety};

/// A request that carries exactly what the traits expose.
#[derive(Debug, Clone)]
pub struct TestReq {
    pub method: String,
    pub tool: Option<String>,
    pub safety: RetrySafety,
    pub principal: Option<String>,
    pub headers: HeaderMap,
    pub internal: bool,
}

impl TestReq {
    /// A safe, non-tool call such as `tools/list`.
    pub fn method(method: &str) -> Self {
        Self {
            method: method.to_string(),
            tool: None,
            safety: RetrySafety::Safe,
            principal: None,
            headers: HeaderMap::new(),
            internal: false,
        }
    }

    /// A `tools/call` of `tool`, unsafe to retry unless marked otherwise.
    pub fn tool(tool: &str) -> Self {
        Self {
            tool: Some(tool.to_string()),
            safety: RetrySafety::Unsafe,
            ..Self::method("tools/call")
        }
    }

    pub fn safe(mut self) -> Self {
        self.safety = RetrySafety::Safe;
        self
    }

    /// The gateway's own call.
    pub fn internal(mut self) -> Self {
        self.internal = true;
        self
    }

    pub fn principal(mut self, principal: &str) -> Self {
        self.principal = Some(principal.to_string());
        self
    }
}

impl CallInfo for TestReq {
    fn method(&self) -> &str {
        &self.method
    }
    fn tool_name(&self) -> Option<&str> {
        self.tool.as_deref()
    }
    fn retry_safety(&self) -> RetrySafety {
        self.safety
    }
    fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }
    fn is_internal(&self) -> bool {
        self.internal
    }
}

impl OutboundHeaders for TestReq {
    fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
}

/// The future every test service returns.
pub type TestFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, BoxError>> + Send>>;

/// Answers `"ok"` at once, except that requests matching `hang` never answer.
pub fn hang_on(
    hang: impl Fn(&TestReq) -> bool + Clone + Send + Sync + 'static,
) -> impl Service<
    TestReq,
    Response = &'static str,
    Error = BoxError,
    Future = TestFuture<&'static str>,
> + Clone
       + Send
       + Sync {
    tower::service_fn(move |req: TestReq| {
        let hangs = hang(&req);
        Box::pin(async move {
            if hangs {
                std::future::pending::<()>().await;
            }
            Ok("ok")
        }) as TestFuture<&'static str>
    })
}

/// A service whose answer to the n-th call (from 0) is `script(n, req)`, with the call count.
pub fn scripted<F>(
    script: F,
) -> (
    impl Service<
            TestReq,
            Response = &'static str,
            Error = BoxError,
            Future = TestFuture<&'static str>,
        > + Clone
        + Send
        + Sync,
    Arc<AtomicUsize>,
)
where
    F: Fn(usize, TestReq) -> TestFuture<&'static str> + Clone + Send + Sync + 'static,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let svc = tower::service_fn(move |req: TestReq| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        script(n, req)
    });
    (svc, calls)
}

/// A ready result as a [`TestFuture`].
pub fn ready(result: Result<&'static str, BoxError>) -> TestFuture<&'static str> {
    Box::pin(std::future::ready(result))
}

/// Yields until `condition` holds (spawned tasks make progress meanwhile); panics after a
/// bounded number of turns so a broken test fails instead of hanging.
pub async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never held");
}
