//! Response bodies and small constructors shared by the HTTP frontends.

use std::future::{ready, Ready};

use bytes::Bytes;
use futures_util::future::{BoxFuture, Either};
use futures_util::FutureExt;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

use crate::protocol::jsonrpc::{write_response, write_result_head};
use crate::protocol::{ErrorObject, Id, Outcome};
use crate::BoxError;

/// Every frontend response body: a full buffer or an event stream.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Results at least this large are sent as head + the result's shared bytes + `}` instead of
/// being copied into one buffer (a 5,000-tool list is ~750 KiB).
const SHARE_RESULTS_FROM: usize = 16 * 1024;

/// A JSON-RPC response for `id` as a body; large results are not copied.
pub fn jsonrpc_response(id: Option<&Id>, outcome: &Outcome) -> Body {
    match outcome {
        Ok(result) if result.len() >= SHARE_RESULTS_FROM => Chunks::new(vec![
            Bytes::from(write_result_head(id)),
            result.bytes().clone(),
            Bytes::from_static(b"}"),
        ])
        .boxed_unsync(),
        _ => full(write_response(id, outcome)),
    }
}

/// A body made of a few buffers sent in order, with an exact length (so HTTP/1.1 sends
/// `Content-Length`, not chunked encoding).
#[derive(Debug)]
pub struct Chunks {
    parts: std::collections::VecDeque<Bytes>,
    remaining: u64,
}

// === impl Chunks ===

impl Chunks {
    /// A body of `parts`.
    pub fn new(parts: Vec<Bytes>) -> Self {
        let remaining = parts.iter().map(|p| p.len() as u64).sum();
        Chunks {
            parts: parts.into_iter().filter(|p| !p.is_empty()).collect(),
            remaining,
        }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let next = self.parts.pop_front();
        if let Some(part) = &next {
            self.remaining -= part.len() as u64;
        }
        std::task::Poll::Ready(next.map(|part| Ok(http_body::Frame::data(part))))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.remaining)
    }
}

/// A request body as [`read_limited`] reads it: its bytes, or the error response to send.
pub type BodyRead = Result<Bytes, Response<Body>>;

/// Reads a request body within `max_body_bytes` and `request_body_timeout`. The length is
/// checked here, not by tower-http's `RequestBodyLimitLayer`, so that a body announced too
/// large by `Content-Length` gets the same JSON-RPC error as one that grows too large.
///
/// Not an `async fn`: a small body usually arrived with its headers and is read at once,
/// without a timer; only a body still on its way gets one, in a box. As an `async fn` the
/// wait's state (520 bytes) sized the future of every POST that reads a body.
pub fn read_limited<B>(
    config: &crate::config::Config,
    headers: &http::HeaderMap,
    incoming: B,
) -> Either<Ready<BodyRead>, BoxFuture<'static, BodyRead>>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    let max = config.max_body_bytes;
    let announced = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max as u64) {
        return Either::Left(ready(Err(too_large(max))));
    }
    let mut collect = http_body_util::Limited::new(incoming, max).collect();
    if let Some(read) = (&mut collect).now_or_never() {
        return Either::Left(ready(collected(read, max)));
    }
    let limit = config.request_body_timeout;
    Either::Right(Box::pin(async move {
        match tokio::time::timeout(limit, collect).await {
            Ok(read) => collected(read, max),
            Err(_) => Err(jsonrpc_error(
                StatusCode::REQUEST_TIMEOUT,
                None,
                ErrorObject::new(
                    crate::protocol::error_codes::INVALID_REQUEST,
                    format!(
                        "the request body did not arrive within request_body_timeout ({limit:?})"
                    ),
                ),
            )),
        }
    }))
}

/// The body's bytes, or the response for a body too large or unreadable.
// The error is the response the client gets, returned once per request: boxing it would only
// add an allocation.
#[allow(clippy::result_large_err)]
fn collected(read: Result<http_body_util::Collected<Bytes>, BoxError>, max: usize) -> BodyRead {
    match read {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if is_length_limit(&*e) => Err(too_large(max)),
        Err(e) => Err(text(
            StatusCode::BAD_REQUEST,
            format!("request body unreadable: {e}"),
        )),
    }
}

fn too_large(max: usize) -> Response<Body> {
    jsonrpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        None,
        ErrorObject::new(
            crate::protocol::error_codes::INVALID_REQUEST,
            format!("request body is larger than max_body_bytes ({max})"),
        ),
    )
}

fn is_length_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(e);
    while let Some(err) = current {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        current = err.source();
    }
    false
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// A JSON response.
pub fn json(status: StatusCode, bytes: impl Into<Bytes>) -> Response<Body> {
    json_body(status, full(bytes))
}

/// A JSON response with a prepared body.
pub fn json_body(status: StatusCode, body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A JSON-RPC error carried by an HTTP error status.
pub fn jsonrpc_error(status: StatusCode, id: Option<&Id>, error: ErrorObject) -> Response<Body> {
    json(status, write_response(id, &Err(error)))
}

/// A plain-text response.
pub fn text(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    let mut response = Response::new(full(message.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A status with no body.
pub fn status(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RawJson;
    use http_body_util::BodyExt;

    async fn collect(body: Body) -> (Option<u64>, Vec<u8>) {
        let hint = http_body::Body::size_hint(&body).exact();
        (hint, body.collect().await.unwrap().to_bytes().to_vec())
    }

    #[tokio::test]
    async fn large_results_go_out_unchanged_with_an_exact_length() {
        let big = format!("{{\"text\":\"{}\"}}", "x".repeat(40_000));
        let outcome: Outcome = Ok(RawJson::from(
            serde_json::value::RawValue::from_string(big).unwrap(),
        ));
        for id in [Id::Number(7), Id::String("a\"b".into())] {
            let expected = write_response(Some(&id), &outcome);
            let (hint, sent) = collect(jsonrpc_response(Some(&id), &outcome)).await;
            assert_eq!(sent, expected);
            assert_eq!(hint, Some(expected.len() as u64));
        }
    }

    #[tokio::test]
    async fn small_results_and_errors_are_one_buffer() {
        let small: Outcome = Ok(RawJson::empty_object());
        let (hint, sent) = collect(jsonrpc_response(Some(&Id::Number(1)), &small)).await;
        assert_eq!(sent, br#"{"jsonrpc":"2.0","id":1,"result":{}}"#);
        assert_eq!(hint, Some(sent.len() as u64));
        let error: Outcome = Err(ErrorObject::invalid_params("no"));
        let (_, sent) = collect(jsonrpc_response(None, &error)).await;
        assert_eq!(sent, write_response(None, &error));
    }
}
