//! The server side of the WebSocket opening handshake (RFC 6455 section 4.2), shared by the
//! MCP socket at `/ws` and the admin log stream.

use http::header::{
    CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, SEC_WEBSOCKET_PROTOCOL,
    SEC_WEBSOCKET_VERSION, UPGRADE,
};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use tokio_tungstenite::tungstenite;

use super::body::{self, Body};

/// Checks an upgrade request. On success: the pending upgrade, the 101 response to send, and
/// whether the client offered `protocol` (which the response then selects).
pub fn accept<B>(
    request: &mut Request<B>,
    path: &str,
    protocol: Option<&'static str>,
) -> Result<(OnUpgrade, Response<Body>, bool), Box<Response<Body>>> {
    let headers = request.headers();
    let is_upgrade = headers
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = headers.get(SEC_WEBSOCKET_KEY).cloned();
    let version_ok = headers
        .get(SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let (true, Some(key), true) = (is_upgrade, key, version_ok) else {
        return Err(Box::new(body::text(
            StatusCode::BAD_REQUEST,
            format!("{path} is a WebSocket endpoint: send Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"),
        )));
    };
    let offered = protocol.is_some_and(|wanted| {
        headers
            .get_all(SEC_WEBSOCKET_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim() == wanted)
    });
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(request);
    let mut response = body::status(StatusCode::SWITCHING_PROTOCOLS);
    let h = response.headers_mut();
    h.insert(UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        h.insert(SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let (true, Some(protocol)) = (offered, protocol) {
        h.insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol));
    }
    Ok((upgrade, response, offered))
}
