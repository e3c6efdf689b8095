use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Sleep;

use super::Elapsed;
use crate::request::BoxError;

pin_project! {
    /// Response future of [`Timeout`](super::Timeout).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        // `None` when the call has no limit: no timer is registered at all.
        #[pin]
        sleep: Option<Sleep>,
        // The error to return when the timer fires, built once per call.
        elapsed: Option<Elapsed>,
    }
}

// === impl ResponseFuture ===

impl<F> ResponseFuture<F> {
    pub(crate) fn new(response: F, limit: Option<(Arc<str>, Duration)>) -> Self {
        let elapsed = limit.map(|(backend, limit)| Elapsed { backend, limit });
        Self {
            response,
            sleep: elapsed.as_ref().map(|e| tokio::time::sleep(e.limit)),
            elapsed,
        }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The response is polled first so an answer that races the timer still wins.
        if let Poll::Ready(result) = this.response.poll(cx) {
            return Poll::Ready(result.map_err(Into::into));
        }
        let fired = this
            .sleep
            .as_pin_mut()
            .map(|sleep| sleep.poll(cx).is_ready());
        match (fired, this.elapsed.as_ref()) {
            (Some(true), Some(elapsed)) => Poll::Ready(Err(elapsed.clone().into())),
            _ => Poll::Pending,
        }
    }
}
