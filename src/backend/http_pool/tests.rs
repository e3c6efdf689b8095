//! The pool against a real hyper server on 127.0.0.1 that counts the connections it accepts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::{HttpPool, PoolError};
use crate::backend::http_client;

#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    Http1,
    Http1Close,
    Http2,
}

/// A backend that answers `<target> <host>`; `/stream` answers with a body that never ends.
struct TestServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

type FrameStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Frame<Bytes>, Infallible>> + Send>>;
type ServerBody = http_body_util::Either<Full<Bytes>, StreamBody<FrameStream>>;

async fn answer(req: Request<Incoming>) -> Result<Response<ServerBody>, Infallible> {
    if req.uri().path() == "/stream" {
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            let _ = tx.send(Ok(Frame::data(Bytes::from_static(b"part")))).await;
            // Holds the body open until the client goes away.
            tx.closed().await;
        });
        let frames = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|frame| (frame, rx))
        });
        let body = StreamBody::new(Box::pin(frames) as FrameStream);
        return Ok(Response::new(http_body_util::Either::Right(body)));
    }
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let text = format!("{} {host}", req.uri());
    Ok(Response::new(http_body_util::Either::Left(Full::new(
        Bytes::from(text),
    ))))
}

impl TestServer {
    async fn start(protocol: Protocol) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let io = TokioIo::new(stream);
                let service = hyper::service::service_fn(answer);
                tokio::spawn(async move {
                    let _ = match protocol {
                        Protocol::Http2 => {
                            hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                .serve_connection(io, service)
                                .await
                        }
                        Protocol::Http1 | Protocol::Http1Close => {
                            hyper::server::conn::http1::Builder::new()
                                .keep_alive(protocol == Protocol::Http1)
                                .serve_connection(io, service)
                                .await
                        }
                    };
                });
            }
        });
        TestServer { addr, accepted }
    }

    fn url(&self, path: &str) -> http::Uri {
        format!("http://{}{path}", self.addr).parse().expect("url")
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn pool(url: http::Uri) -> HttpPool {
    HttpPool::new(http_client::build().expect("connector"), url).expect("pool")
}

fn post() -> Request<Full<Bytes>> {
    Request::post("/ignored")
        .body(Full::new(Bytes::from_static(b"{}")))
        .expect("request")
}

async fn text(pool: &HttpPool) -> String {
    let response = pool.send(post()).await.expect("response");
    let body = response.into_body().collect().await.expect("body");
    String::from_utf8(body.to_bytes().to_vec()).expect("utf-8")
}

#[tokio::test]
async fn sequential_requests_share_one_connection_with_origin_form_and_host() {
    let server = TestServer::start(Protocol::Http1).await;
    let pool = pool(server.url("/mcp?x=1"));
    for _ in 0..5 {
        assert_eq!(
            text(&pool).await,
            format!("/mcp?x=1 {}", server.addr),
            "origin-form target and Host"
        );
    }
    assert_eq!(server.accepted(), 1);
    assert_eq!(pool.idle_count(), 1);
}

#[tokio::test]
async fn concurrent_requests_open_connections_that_are_reused_afterwards() {
    let server = TestServer::start(Protocol::Http1).await;
    let pool = pool(server.url("/mcp"));
    // Heads first, bodies unread: each request holds its connection.
    let mut responses = Vec::new();
    for _ in 0..4 {
        responses.push(pool.send(post()).await.expect("response"));
    }
    assert_eq!(server.accepted(), 4);
    assert_eq!(
        pool.idle_count(),
        0,
        "no connection is idle while its body is unread"
    );
    for response in responses {
        response.into_body().collect().await.expect("body");
    }
    assert_eq!(pool.idle_count(), 4);
    for _ in 0..8 {
        text(&pool).await;
    }
    assert_eq!(server.accepted(), 4, "idle connections were reused");
}

#[tokio::test]
async fn a_body_dropped_part_way_does_not_return_its_connection() {
    let server = TestServer::start(Protocol::Http1).await;
    let pool = pool(server.url("/stream"));
    let mut response = pool.send(post()).await.expect("response");
    let first = response
        .body_mut()
        .frame()
        .await
        .expect("frame")
        .expect("ok");
    assert_eq!(first.into_data().expect("data"), "part");
    drop(response);
    assert_eq!(pool.idle_count(), 0);
    let next = pool.send(post()).await.expect("a fresh connection answers");
    drop(next);
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn connections_the_backend_closes_are_not_reused() {
    let server = TestServer::start(Protocol::Http1Close).await;
    let pool = pool(server.url("/mcp"));
    for _ in 0..3 {
        assert!(text(&pool).await.starts_with("/mcp "));
    }
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let pool = pool(format!("http://{addr}/mcp").parse().expect("url"));
    let error = pool.send(post()).await.expect_err("nothing listens");
    assert!(matches!(error, PoolError::Connect(_)), "{error:?}");
    assert!(error.is_connect(), "never sent, so safe to retry");
}

#[tokio::test]
async fn http2_multiplexes_concurrent_requests_on_one_connection() {
    let server = TestServer::start(Protocol::Http2).await;
    let pool = HttpPool::http2_prior_knowledge(
        http_client::build().expect("connector"),
        server.url("/mcp"),
    )
    .expect("pool");
    // The first request opens the connection; a cold burst could open one each, because
    // whether TLS picks HTTP/2 is only known once a connection is up.
    text(&pool).await;
    let texts = futures_util::future::join_all((0..4).map(|_| text(&pool))).await;
    for t in texts {
        assert_eq!(
            t,
            format!("http://{}/mcp -", server.addr),
            "absolute URI, no Host"
        );
    }
    for _ in 0..3 {
        text(&pool).await;
    }
    assert_eq!(server.accepted(), 1);
}
