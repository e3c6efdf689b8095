//! The connector every HTTP backend's pool dials through: TCP with `TCP_NODELAY`, and rustls
//! (ring, webpki roots) for https, offering HTTP/2 and HTTP/1.1 by ALPN.

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use std::time::Duration;

/// The connector type.
pub type Connector = HttpsConnector<HttpConnector>;

/// Builds the connector once: loading the root store is the expensive part, and clones share
/// it. Uses ring explicitly so the result never depends on which rustls crypto providers
/// other crates in the build happen to enable.
pub fn build() -> Result<Connector, String> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http))
}
