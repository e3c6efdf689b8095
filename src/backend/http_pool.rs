//! The connection pool of one HTTP backend, on hyper's connection API.
//!
//! Written here instead of using hyper-util's legacy `Client` because that client cost about
//! 10% of the gateway's CPU per proxied call (perf, benches/README.md): a pool shared by every
//! origin behind a mutex of hash maps, a URI clone and a `format!` per request, and a task
//! spawned per HTTP/1.1 response to put the connection back once it turns idle. A backend has
//! exactly one origin, so its pool is a stack of idle HTTP/1.1 connections (or one shared
//! HTTP/2 connection, when TLS negotiates it), and a connection goes back on the stack the moment
//! its response body ends.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use http::header::HOST;
use http::{HeaderValue, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection;
use hyper_util::rt::TokioExecutor;
use tower::Service;
use tracing::debug;

use super::http_client::Connector;
use crate::BoxError;

/// Idle HTTP/1.1 connections kept per backend; more than this are closed when they go idle.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

type RequestBody = Full<Bytes>;

/// The pool: cheap to clone, one per HTTP backend.
#[derive(Clone)]
pub struct HttpPool {
    inner: Arc<Inner>,
}

struct Inner {
    connector: Connector,
    /// The backend's absolute URL: what to connect to, and the HTTP/2 request URI.
    url: Uri,
    /// The HTTP/1.1 request target (origin-form: path and query).
    target: Uri,
    /// `Host` for HTTP/1.1 requests.
    host: HeaderValue,
    idle: Mutex<Vec<Idle>>,
    /// The shared HTTP/2 connection, once TLS negotiated `h2`. Read on every request, so it is
    /// an atomic pointer rather than a lock: most backends speak HTTP/1.1 and find it empty.
    h2: ArcSwapOption<http2::SendRequest<RequestBody>>,
    /// Speak HTTP/2 without negotiation (tests of the HTTP/2 path over plain TCP).
    h2_prior_knowledge: bool,
}

struct Idle {
    sender: http1::SendRequest<RequestBody>,
    since: Instant,
}

/// A fresh connection.
enum Fresh {
    Http1(http1::SendRequest<RequestBody>),
    Http2(http2::SendRequest<RequestBody>),
}

/// Why a request failed.
#[derive(Debug)]
pub enum PoolError {
    /// No connection could be opened: the request was never sent.
    Connect(BoxError),
    /// The exchange failed on an open connection: the backend may have seen the request.
    Exchange(hyper::Error),
}

/// A response body that returns its HTTP/1.1 connection to the pool when it ends.
pub struct PooledBody {
    body: Incoming,
    lease: Option<Lease>,
}

/// An HTTP/1.1 connection out of the pool while its response body is read.
struct Lease {
    sender: http1::SendRequest<RequestBody>,
    pool: Arc<Inner>,
}

// === impl HttpPool ===

impl HttpPool {
    /// A pool for the backend at `url`, connecting through `connector`.
    pub fn new(connector: Connector, url: Uri) -> Result<HttpPool, String> {
        HttpPool::build(connector, url, false)
    }

    /// A pool that speaks HTTP/2 over plain TCP without negotiating it (h2c prior knowledge).
    #[cfg(test)]
    fn http2_prior_knowledge(connector: Connector, url: Uri) -> Result<HttpPool, String> {
        HttpPool::build(connector, url, true)
    }

    fn build(connector: Connector, url: Uri, h2_prior_knowledge: bool) -> Result<HttpPool, String> {
        let authority = url
            .authority()
            .ok_or_else(|| format!("`{url}` has no host"))?;
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("`{authority}` is not a valid Host header"))?;
        let target = url
            .path_and_query()
            .map_or_else(|| Uri::from_static("/"), |p| Uri::from(p.clone()));
        Ok(HttpPool {
            inner: Arc::new(Inner {
                connector,
                url,
                target,
                host,
                idle: Mutex::new(Vec::new()),
                h2: ArcSwapOption::empty(),
                h2_prior_knowledge,
            }),
        })
    }

    /// Sends `request` (its URI is replaced by the backend's) and returns the response head.
    pub async fn send(
        &self,
        mut request: Request<RequestBody>,
    ) -> Result<Response<PooledBody>, PoolError> {
        if let Some(h2) = self.inner.shared_h2() {
            return self.inner.send_h2(h2, request).await;
        }
        *request.uri_mut() = self.inner.target.clone();
        request
            .headers_mut()
            .entry(HOST)
            .or_insert_with(|| self.inner.host.clone());
        // Idle connections first; one the backend closed meanwhile hands the request back.
        while let Some(mut sender) = self.inner.take_idle() {
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(self.inner.leased(response, sender)),
                Err(mut e) => match e.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(PoolError::Exchange(e.into_error())),
                },
            }
        }
        // Boxed: a connection's setup (TCP, TLS, HTTP/2 handshake) is most of this future's
        // size, and every call would otherwise carry it.
        match Box::pin(self.inner.connect()).await? {
            Fresh::Http1(mut sender) => {
                let response = sender
                    .send_request(request)
                    .await
                    .map_err(PoolError::Exchange)?;
                Ok(self.inner.leased(response, sender))
            }
            Fresh::Http2(h2) => self.inner.send_h2(h2, request).await,
        }
    }

    /// Idle HTTP/1.1 connections now in the pool.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.inner.lock_idle().len()
    }
}

// === impl Inner ===

impl Inner {
    fn lock_idle(&self) -> MutexGuard<'_, Vec<Idle>> {
        // A panic elsewhere cannot leave the stack half-updated (push and pop only).
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently used idle connection that is still fresh; stale ones are closed.
    fn take_idle(&self) -> Option<http1::SendRequest<RequestBody>> {
        let mut idle = self.lock_idle();
        while let Some(entry) = idle.pop() {
            if !entry.sender.is_closed() && entry.since.elapsed() < IDLE_TIMEOUT {
                return Some(entry.sender);
            }
        }
        None
    }

    fn give_back(&self, sender: http1::SendRequest<RequestBody>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.lock_idle();
        if idle.len() < MAX_IDLE {
            idle.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    /// The shared HTTP/2 connection while it is open; a closed one is forgotten.
    fn shared_h2(&self) -> Option<http2::SendRequest<RequestBody>> {
        let h2 = self.h2.load_full()?;
        if h2.is_closed() {
            self.h2.compare_and_swap(&h2, None);
            return None;
        }
        Some((*h2).clone())
    }

    fn leased(
        self: &Arc<Self>,
        response: Response<Incoming>,
        sender: http1::SendRequest<RequestBody>,
    ) -> Response<PooledBody> {
        let lease = Lease {
            sender,
            pool: self.clone(),
        };
        response.map(|body| PooledBody::new(body, Some(lease)))
    }

    async fn send_h2(
        &self,
        mut h2: http2::SendRequest<RequestBody>,
        mut request: Request<RequestBody>,
    ) -> Result<Response<PooledBody>, PoolError> {
        *request.uri_mut() = self.url.clone();
        request.headers_mut().remove(HOST);
        h2.ready().await.map_err(PoolError::Exchange)?;
        let response = h2
            .send_request(request)
            .await
            .map_err(PoolError::Exchange)?;
        Ok(response.map(|body| PooledBody::new(body, None)))
    }

    async fn connect(&self) -> Result<Fresh, PoolError> {
        let io = self
            .connector
            .clone()
            .call(self.url.clone())
            .await
            .map_err(PoolError::Connect)?;
        let backend = self.url.clone();
        if self.h2_prior_knowledge || io.connected().is_negotiated_h2() {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|e| PoolError::Connect(e.into()))?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    debug!(%backend, error = %e, "HTTP/2 connection to backend ended");
                }
            });
            self.h2.store(Some(Arc::new(sender.clone())));
            return Ok(Fresh::Http2(sender));
        }
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| PoolError::Connect(e.into()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%backend, error = %e, "HTTP/1.1 connection to backend ended");
            }
        });
        Ok(Fresh::Http1(sender))
    }
}

// === impl PoolError ===

impl PoolError {
    /// The request never left the gateway, so sending it again is safe.
    pub fn is_connect(&self) -> bool {
        matches!(self, PoolError::Connect(_))
    }
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PoolError::Connect(_) => f.write_str("could not connect"),
            PoolError::Exchange(_) => f.write_str("the exchange failed"),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::Connect(e) => Some(e.as_ref()),
            PoolError::Exchange(e) => Some(e),
        }
    }
}

// === impl PooledBody ===

impl PooledBody {
    fn new(body: Incoming, lease: Option<Lease>) -> PooledBody {
        let mut pooled = PooledBody { body, lease };
        pooled.release_if_ended();
        pooled
    }

    /// Returns the connection once the body is fully read; hyper then has it idle, ready for
    /// the next request (a `ready()` at checkout covers the moment in between).
    fn release_if_ended(&mut self) {
        if self.body.is_end_stream() {
            self.release();
        }
    }

    fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            lease.pool.give_back(lease.sender);
        }
    }
}

impl std::fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledBody")
            .field("end_stream", &self.body.is_end_stream())
            .field("leased", &self.lease.is_some())
            .finish()
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) => this.release_if_ended(),
            // An error or a body dropped part-way: the connection is not reusable, and
            // dropping the lease lets hyper close it.
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests;
