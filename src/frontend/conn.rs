//! One client connection, from its first byte to its close. Every connection must make
//! progress or go, so that silent or slow sockets cannot hold `max_connections` against live
//! clients:
//!
//! - the first bytes (the HTTP/2 preface or an HTTP/1 request line) must arrive within
//!   `header_read_timeout`, and HTTP/1 headers too (hyper's header timer);
//! - a request body must arrive within `request_body_timeout` (see `body::read_limited`);
//! - a connection with no request in flight for `connection_idle_timeout` is closed, HTTP/2
//!   included (an open event stream is a request in flight);
//! - HTTP/2 peers are pinged every `http2_keep_alive` and dropped if they do not answer.
//!
//! The protocol is chosen here from the first bytes instead of by hyper-util's `auto` builder,
//! whose own sniffing waits for them without a deadline.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::body::Body;
use super::prefixed::Prefixed;
use crate::util::watched::{watched, Either};
use crate::BoxError;

/// The HTTP/2 connection preface.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// How long open requests get to finish when the connection is closed for shutdown.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The deadlines of a connection.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    /// First bytes and HTTP/1 headers.
    pub header_read: Duration,
    /// No request in flight.
    pub idle: Duration,
    /// HTTP/2 ping interval and timeout; zero disables.
    pub h2_keep_alive: Duration,
    /// How long requests in flight get to finish once the gateway shuts down.
    pub drain: Duration,
}

/// The answer a handler makes to one request, to be awaited.
pub type Answer = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;

/// The handler of every request on the connection.
pub type Handler = Arc<dyn Fn(Request<Incoming>) -> Answer + Send + Sync>;

/// Serves one accepted connection until it closes, idles, or `shutdown` (then drains).
pub async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    deadlines: Deadlines,
    handler: Handler,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let first = tokio::select! {
        first = tokio::time::timeout(deadlines.header_read, sniff(&mut stream)) => first,
        _ = shutdown.cancelled() => return,
    };
    let (is_h2, prefix) = match first {
        Ok(Ok(sniffed)) => sniffed,
        Ok(Err(e)) => {
            debug!(peer = %peer, error = %e, "connection closed before a request");
            return;
        }
        Err(_) => {
            debug!(peer = %peer, timeout = ?deadlines.header_read, "no request within header_read_timeout; closing the connection");
            metrics::counter!(crate::telemetry::metrics::CONNECTIONS_TIMED_OUT, "phase" => "first_bytes")
                .increment(1);
            return;
        }
    };
    let io = TokioIo::new(Prefixed::new(prefix, stream));
    let activity = Arc::new(Activity::new());
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let guard = activity.start();
            let handler = handler.clone();
            async move {
                let response = handler(request).await;
                Ok::<_, Infallible>(response.map(|body| tracked(body, guard)))
            }
        })
    };
    let result = if is_h2 {
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder.timer(TokioTimer::new());
        if !deadlines.h2_keep_alive.is_zero() {
            builder
                .keep_alive_interval(deadlines.h2_keep_alive)
                .keep_alive_timeout(deadlines.h2_keep_alive);
        }
        let conn = builder.serve_connection(io, service);
        drive(conn, &activity, deadlines, &shutdown, |c| {
            c.graceful_shutdown()
        })
        .await
    } else {
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(deadlines.header_read)
            .serve_connection(io, service)
            .with_upgrades();
        drive(conn, &activity, deadlines, &shutdown, |c| {
            c.graceful_shutdown()
        })
        .await
    };
    if let Err(e) = result {
        debug!(peer = %peer, error = %e, "connection ended with an error");
    }
}

/// Reads until the bytes tell HTTP/2 (the full preface) from HTTP/1 (anything else).
async fn sniff(stream: &mut TcpStream) -> std::io::Result<(bool, Bytes)> {
    let mut buf = BytesMut::with_capacity(H2_PREFACE.len());
    loop {
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let n = buf.len().min(H2_PREFACE.len());
        if buf[..n] != H2_PREFACE[..n] {
            return Ok((false, buf.freeze()));
        }
        if buf.len() >= H2_PREFACE.len() {
            return Ok((true, buf.freeze()));
        }
    }
}

/// Runs a connection, closing it gracefully once it idles or the gateway shuts down.
async fn drive<C, E>(
    conn: C,
    activity: &Activity,
    deadlines: Deadlines,
    shutdown: &CancellationToken,
    graceful: impl Fn(Pin<&mut C>),
) -> Result<(), E>
where
    C: Future<Output = Result<(), E>>,
{
    tokio::pin!(conn);
    // The connection wakes for every request; the idle timer and shutdown are looked at only
    // when they fire (see `util::watched`).
    let watcher = async {
        tokio::select! {
            _ = activity.idle_for(deadlines.idle) => true,
            _ = shutdown.cancelled() => false,
        }
    };
    match watched(conn.as_mut(), watcher).await {
        Either::Main(result) => return result,
        Either::Watcher(true) => {
            debug!(idle = ?deadlines.idle, "connection idle; closing it");
            metrics::counter!(crate::telemetry::metrics::CONNECTIONS_TIMED_OUT, "phase" => "idle")
                .increment(1);
        }
        Either::Watcher(false) => {}
    }
    graceful(conn.as_mut());
    match tokio::time::timeout(deadlines.drain, conn).await {
        Ok(result) => result,
        Err(_) => Ok(()),
    }
}

/// Requests in flight on a connection, and since when it has had none.
///
/// Requests only touch two atomics; the idle check wakes once per `connection_idle_timeout`
/// and looks at them, rather than being woken by every request (which cost a timer
/// re-registration and two wake-ups per request).
struct Activity {
    epoch: Instant,
    in_flight: AtomicUsize,
    /// When the last request ended, in milliseconds since `epoch`.
    idle_since: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
        }
    }

    fn start(self: &Arc<Self>) -> ActiveGuard {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        ActiveGuard(self.clone())
    }

    /// Resolves once the connection has had no request in flight for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let wake_at = if self.in_flight.load(Ordering::Acquire) > 0 {
                // Busy: look again in a whole period (a request ending sooner moves
                // `idle_since`, so the connection still gets its full `limit` after it).
                Instant::now().checked_add(limit)
            } else {
                let since = Duration::from_millis(self.idle_since.load(Ordering::Acquire));
                let deadline = self.epoch.checked_add(since + limit);
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return;
                }
                deadline
            };
            match wake_at {
                Some(at) => tokio::time::sleep_until(at).await,
                // A limit past the end of the clock: never idle.
                None => std::future::pending().await,
            }
        }
    }
}

/// Counts one request until its response body is done (or dropped).
struct ActiveGuard(Arc<Activity>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        let a = &self.0;
        a.idle_since
            .store(a.epoch.elapsed().as_millis() as u64, Ordering::Release);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted until it ends.
struct Tracked {
    inner: Body,
    _guard: ActiveGuard,
}

fn tracked(inner: Body, guard: ActiveGuard) -> Tracked {
    Tracked {
        inner,
        _guard: guard,
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_only_without_requests_for_the_whole_limit() {
        let activity = Arc::new(Activity::new());
        let guard = activity.start();
        let idle = activity.idle_for(Duration::from_secs(10));
        tokio::pin!(idle);
        // A request in flight keeps it busy however long it takes.
        assert!(tokio::time::timeout(Duration::from_secs(60), idle.as_mut())
            .await
            .is_err());
        drop(guard);
        let started = tokio::time::Instant::now();
        idle.await;
        assert!(started.elapsed() >= Duration::from_secs(10));
    }
}
