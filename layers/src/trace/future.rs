use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;
use tracing::Span;

use super::error_type;
use crate::request::BoxError;

pin_project! {
    /// Response future of [`Trace`](super::Trace): polls the call inside its span and records
    /// the outcome.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
        span: Span,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(response: F, span: Span) -> Self {
        Self { response, span }
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
        let _entered = this.span.enter();
        let result = std::task::ready!(this.response.poll(cx)).map_err(Into::into);
        match &result {
            Ok(_) => {
                this.span.record("outcome", "ok");
            }
            Err(err) => {
                this.span.record("outcome", "error");
                this.span.record("error.type", error_type(&**err));
                this.span.record("otel.status_code", "ERROR");
                tracing::debug!(error = %err, "backend call failed");
            }
        }
        Poll::Ready(result)
    }
}
