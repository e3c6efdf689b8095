use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::request::BoxError;

pin_project! {
    /// Response future of [`AuthInject`](super::AuthInject): the inner future, error boxed.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        response: F,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(response: F) -> Self {
        Self { response }
    }
}

impl<F, T, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<T, E>>,
    E: Into<BoxError>,
{
    type Output = Result<T, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().response.poll(cx).map_err(Into::into)
    }
}
