//! Sets a backend's credentials on each outbound request and keeps the client's own
//! `Authorization` header from reaching the backend.
//!
//! The MCP spec forbids passing the client's token through to upstream servers, so an inbound
//! `authorization` header is removed unless the backend opts in with
//! `forward_client_authorization = true`; configured credentials replace it either way.
//! Credentials go into [`OutboundHeaders::headers_mut`] for HTTP and WebSocket backends. stdio
//! backends take credentials as environment at spawn time from their own config, resolved with
//! [`resolve`]; nothing is set per call.

mod config;
mod error;
mod future;
mod layer;
mod secret;

pub use self::config::{AuthConfig, BasicCredentials, BearerCredentials, ResolvedAuth};
pub use self::error::AuthConfigError;
pub use self::future::ResponseFuture;
pub use self::layer::AuthInjectLayer;
pub use self::secret::{resolve, Secret};

use std::sync::Arc;
use std::task::{Context, Poll};

use http::header::AUTHORIZATION;
use tower::Service;

use crate::request::{BoxError, OutboundHeaders};

/// What happens to the `Authorization` header the client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuthorization {
    /// Removed before the call reaches the backend (the default, per the MCP spec).
    Strip,
    /// Passed through, unless configured credentials replace it.
    Forward,
}

/// A service that sets the backend's auth headers on each request.
#[derive(Debug, Clone)]
pub struct AuthInject<S> {
    inner: S,
    auth: Option<Arc<ResolvedAuth>>,
    client_authorization: ClientAuthorization,
}

// === impl ClientAuthorization ===

impl ClientAuthorization {
    /// `Forward` when the backend opted in with `forward_client_authorization`.
    pub fn from_flag(forward: bool) -> Self {
        if forward {
            Self::Forward
        } else {
            Self::Strip
        }
    }
}

// === impl AuthInject ===

impl<S> AuthInject<S> {
    pub(crate) fn new(
        inner: S,
        auth: Option<Arc<ResolvedAuth>>,
        client_authorization: ClientAuthorization,
    ) -> Self {
        Self {
            inner,
            auth,
            client_authorization,
        }
    }
}

impl<S, Req> Service<Req> for AuthInject<S>
where
    S: Service<Req>,
    S::Error: Into<BoxError>,
    Req: OutboundHeaders,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Req) -> Self::Future {
        let headers = req.headers_mut();
        if self.client_authorization == ClientAuthorization::Strip {
            headers.remove(AUTHORIZATION);
        }
        if let Some(auth) = &self.auth {
            auth.apply(headers);
        }
        ResponseFuture::new(self.inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::TestReq;
    use http::HeaderMap;
    use std::io::Write;
    use tower::{Layer, ServiceExt};

    /// Runs one request through the layer and returns the headers the backend saw.
    async fn sent_headers(auth: Option<AuthConfig>, forward: bool, req: TestReq) -> HeaderMap {
        let layer =
            AuthInjectLayer::new(auth.as_ref(), ClientAuthorization::from_flag(forward)).unwrap();
        let svc = layer.layer(tower::service_fn(|req: TestReq| async move {
            Ok::<_, BoxError>(req.headers)
        }));
        svc.oneshot(req).await.unwrap()
    }

    fn parse(json: &str) -> AuthConfig {
        serde_json::from_str(json).unwrap()
    }

    fn with_client_token() -> TestReq {
        let mut req = TestReq::tool("search");
        req.headers
            .insert(AUTHORIZATION, "Bearer client-token".parse().unwrap());
        req
    }

    #[tokio::test]
    async fn bearer_sets_authorization() {
        let auth = parse(r#"{"type": "bearer", "credentials": {"token": "abc"}}"#);
        let headers = sent_headers(Some(auth), false, with_client_token()).await;
        assert_eq!(headers[AUTHORIZATION], "Bearer abc");
        assert!(headers[AUTHORIZATION].is_sensitive());
    }

    #[tokio::test]
    async fn basic_sets_base64_credentials() {
        let auth = parse(
            r#"{"type": "basic", "credentials": {"username": "aladdin", "password": "opensesame"}}"#,
        );
        let headers = sent_headers(Some(auth), false, TestReq::method("ping")).await;
        assert_eq!(headers[AUTHORIZATION], "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    }

    #[tokio::test]
    async fn custom_sets_every_entry_as_a_header() {
        let auth =
            parse(r#"{"type": "custom", "credentials": {"X-Api-Key": "k1", "X-Tenant": "acme"}}"#);
        let headers = sent_headers(Some(auth), false, TestReq::method("ping")).await;
        assert_eq!(headers["x-api-key"], "k1");
        assert_eq!(headers["x-tenant"], "acme");
    }

    #[tokio::test]
    async fn env_and_file_references_are_resolved_at_build() {
        std::env::set_var("MCPMUX_TEST_AUTH_TOKEN", "from-env");
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "from-file").unwrap();
        let json = format!(
            r#"{{"type": "custom", "credentials": {{"X-Env": "${{env:MCPMUX_TEST_AUTH_TOKEN}}", "X-File": "${{file:{}}}"}}}}"#,
            file.path().display()
        );
        let headers = sent_headers(Some(parse(&json)), false, TestReq::method("ping")).await;
        assert_eq!(headers["x-env"], "from-env");
        assert_eq!(headers["x-file"], "from-file");
    }

    #[test]
    fn missing_reference_fails_the_build_naming_it() {
        let auth =
            parse(r#"{"type": "bearer", "credentials": {"token": "${env:MCPMUX_TEST_NOPE}"}}"#);
        let err = AuthInjectLayer::new(Some(&auth), ClientAuthorization::Strip).unwrap_err();
        assert_eq!(err.to_string(), "`${env:MCPMUX_TEST_NOPE}` is not set");
    }

    #[test]
    fn debug_output_never_contains_a_secret() {
        let auth =
            parse(r#"{"type": "basic", "credentials": {"username": "u", "password": "hunter2"}}"#);
        let debug = format!("{auth:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        let layer = AuthInjectLayer::new(Some(&auth), ClientAuthorization::Strip).unwrap();
        let debug = format!("{layer:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("dTpodW50ZXIy"),
            "{debug}"
        );
    }

    #[test]
    fn unknown_type_or_credential_field_is_rejected() {
        assert!(
            serde_json::from_str::<AuthConfig>(r#"{"type": "oauth", "credentials": {}}"#).is_err()
        );
        assert!(serde_json::from_str::<AuthConfig>(
            r#"{"type": "bearer", "credentials": {"tokn": "x"}}"#
        )
        .is_err());
    }

    #[tokio::test]
    async fn client_authorization_is_stripped_by_default() {
        let headers = sent_headers(None, false, with_client_token()).await;
        assert!(headers.get(AUTHORIZATION).is_none());
    }

    #[tokio::test]
    async fn client_authorization_is_forwarded_only_when_opted_in() {
        let headers = sent_headers(None, true, with_client_token()).await;
        assert_eq!(headers[AUTHORIZATION], "Bearer client-token");

        let auth = parse(r#"{"type": "custom", "credentials": {"X-Api-Key": "k1"}}"#);
        let headers = sent_headers(Some(auth), true, with_client_token()).await;
        assert_eq!(headers[AUTHORIZATION], "Bearer client-token");
        assert_eq!(headers["x-api-key"], "k1");
    }
}
