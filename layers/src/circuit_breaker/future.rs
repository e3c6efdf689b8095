use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::handle::Permit;
use super::CircuitOpen;
use crate::request::BoxError;

pin_project! {
    /// Response future of [`CircuitBreaker`](super::CircuitBreaker).
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<F> {
        Called {
            #[pin]
            response: F,
            permit: Option<Permit>,
        },
        Refused {
            error: Option<CircuitOpen>,
        },
    }
}

// === impl ResponseFuture ===

impl<F> ResponseFuture<F> {
    pub(crate) fn called(response: F, permit: Permit) -> Self {
        Self {
            kind: Kind::Called {
                response,
                permit: Some(permit),
            },
        }
    }

    pub(crate) fn refused(error: CircuitOpen) -> Self {
        Self {
            kind: Kind::Refused { error: Some(error) },
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
        match self.project().kind.project() {
            KindProj::Called { response, permit } => {
                let result = std::task::ready!(response.poll(cx)).map_err(Into::into);
                if let Some(permit) = permit.take() {
                    match &result {
                        // The gateway's own limit said no: nothing is known of the backend
                        // (dropping the permit gives a probe slot back).
                        Err(e) if crate::request::shed(&**e) => drop(permit),
                        // Only transport failures count: a JSON-RPC error reply is an `Ok` here.
                        result => permit.complete(result.is_ok()),
                    }
                }
                Poll::Ready(result)
            }
            KindProj::Refused { error } => match error.take() {
                Some(e) => Poll::Ready(Err(e.into())),
                None => Poll::Pending,
            },
        }
    }
}
