//! Bounds the calls in flight to one backend: past `max_in_flight` a call is refused at once
//! with [`Overloaded`] instead of queueing without limit behind a slow backend.
//!
//! tower's `ConcurrencyLimit` + `LoadShed` do the same, but the permit is taken in
//! `poll_ready` on whichever clone polled (every caller here clones the stack and calls
//! `oneshot`), and `Overloaded` names neither the backend nor the limit. Taking the permit in
//! `call` with `try_acquire_owned` is the same semaphore in fewer moving parts.

mod error;

pub use self::error::Overloaded;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Layer, Service};

use crate::request::BoxError;

/// Builds [`InFlight`] services sharing one bound.
#[derive(Debug, Clone)]
pub struct InFlightLayer {
    backend: Arc<str>,
    max: usize,
    permits: Arc<Semaphore>,
}

/// A service that refuses calls beyond its bound.
#[derive(Debug, Clone)]
pub struct InFlight<S> {
    inner: S,
    backend: Arc<str>,
    max: usize,
    permits: Arc<Semaphore>,
}

pin_project! {
    /// The inner call, holding its permit until it completes.
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Called {
            #[pin]
            inner: F,
            permit: OwnedSemaphorePermit,
        },
        Refused {
            error: Option<Overloaded>,
        },
    }
}

// === impl InFlightLayer ===

impl InFlightLayer {
    /// At most `max` calls in flight to `backend`.
    pub fn new(backend: Arc<str>, max: usize) -> Self {
        InFlightLayer {
            backend,
            max,
            permits: Arc::new(Semaphore::new(max)),
        }
    }

    /// Calls in flight now.
    pub fn in_flight(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

impl<S> Layer<S> for InFlightLayer {
    type Service = InFlight<S>;

    fn layer(&self, inner: S) -> InFlight<S> {
        InFlight {
            inner,
            backend: self.backend.clone(),
            max: self.max,
            permits: self.permits.clone(),
        }
    }
}

// === impl InFlight ===

impl<S, Req> Service<Req> for InFlight<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => ResponseFuture {
                kind: Kind::Called {
                    inner: self.inner.call(req),
                    permit,
                },
            },
            Err(_) => ResponseFuture {
                kind: Kind::Refused {
                    error: Some(Overloaded {
                        backend: self.backend.clone(),
                        max_in_flight: self.max,
                    }),
                },
            },
        }
    }
}

// === impl ResponseFuture ===

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Called { inner, .. } => inner.poll(cx).map_err(Into::into),
            KindProj::Refused { error } => Poll::Ready(Err(Box::new(
                error.take().expect("a refused future is polled once"),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{hang_on, TestReq};
    use tower::ServiceExt;

    #[tokio::test]
    async fn refuses_past_the_bound_and_admits_again_when_a_call_ends() {
        let layer = InFlightLayer::new("slow".into(), 1);
        let svc = layer.layer(hang_on(|r: &TestReq| r.method == "hang"));
        let hung = tokio::spawn(svc.clone().oneshot(TestReq::method("hang")));
        crate::test_support::wait_until(|| layer.in_flight() == 1).await;
        let err = svc
            .clone()
            .oneshot(TestReq::method("ping"))
            .await
            .unwrap_err();
        let overloaded = err
            .downcast_ref::<Overloaded>()
            .expect("an Overloaded error");
        assert_eq!(overloaded.max_in_flight, 1);
        assert!(err.to_string().contains("`slow`"), "{err}");
        hung.abort();
        let _ = hung.await;
        assert_eq!(layer.in_flight(), 0);
        assert!(svc.oneshot(TestReq::method("ping")).await.is_ok());
    }
}
