use std::sync::Arc;

use tower::Layer;

use super::{AuthConfig, AuthConfigError, AuthInject, ClientAuthorization, ResolvedAuth};

/// Builds [`AuthInject`] services for one backend.
#[derive(Debug, Clone)]
pub struct AuthInjectLayer {
    auth: Option<Arc<ResolvedAuth>>,
    client_authorization: ClientAuthorization,
}

// === impl AuthInjectLayer ===

impl AuthInjectLayer {
    /// A layer setting `auth`'s headers (resolved now) and handling the client's own
    /// `Authorization` header as `client_authorization` says.
    pub fn new(
        auth: Option<&AuthConfig>,
        client_authorization: ClientAuthorization,
    ) -> Result<Self, AuthConfigError> {
        let auth = auth.map(AuthConfig::resolve).transpose()?.map(Arc::new);
        Ok(Self {
            auth,
            client_authorization,
        })
    }

    /// The resolved headers, if auth is configured.
    pub fn resolved(&self) -> Option<&ResolvedAuth> {
        self.auth.as_deref()
    }
}

impl<S> Layer<S> for AuthInjectLayer {
    type Service = AuthInject<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthInject::new(inner, self.auth.clone(), self.client_authorization)
    }
}
