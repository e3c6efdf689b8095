//! `subscriptions/listen` of the 2026-07-28 revision: one event stream per listen request,
//! acknowledged first (with what is honoured), then the `list_changed` notifications and the
//! resource updates it asked for, each tagged with its subscription id; at shutdown the
//! request's result ends it.

use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use tokio_util::sync::CancellationToken;

use super::body::{self, Body};
use super::event_stream;
use crate::gateway::Gateway;
use crate::protocol::error_codes::INVALID_PARAMS;
use crate::protocol::jsonrpc::write_notification;
use crate::protocol::{ErrorObject, RawObject, Request};
use crate::session::events::EventLog;
use crate::session::listeners::{tagged, Filter, Listeners};

/// Most resources one listen stream may watch.
const MAX_WATCHED: usize = 256;

/// Opens a listen stream for `req` (its params already read into `params`).
pub async fn open(gateway: &Gateway, req: Request, params: &RawObject) -> Response<Body> {
    let (filter, uris) = match filter_of(params) {
        Ok(asked) => asked,
        Err(message) => {
            return body::jsonrpc_error(
                StatusCode::OK,
                Some(&req.id),
                ErrorObject::new(INVALID_PARAMS, message),
            )
        }
    };
    let watcher = Listeners::new_watcher();
    let mut watched = Vec::new();
    for uri in uris {
        if gateway.watch_resource(&watcher, &uri).await {
            watched.push(uri);
        }
    }
    let log = Arc::new(EventLog::new(0, gateway.window().clone()));
    let mut ack = serde_json::Map::new();
    ack.insert("notifications".into(), filter.to_json(&watched));
    log.push(Bytes::from(write_notification(
        "notifications/subscriptions/acknowledged",
        Some(&tagged(&req.id, ack)),
    )));
    gateway.listeners().add(req.id, watcher, filter, &log);
    // Not ended by the shutdown token: `Listeners::close_all` sends the result first.
    event_stream::response(
        log.reader(0),
        event_stream::Kind::Listen,
        false,
        CancellationToken::new(),
        CancellationToken::new(),
        None,
    )
}

/// The `notifications` filter and the resources asked for.
fn filter_of(params: &RawObject) -> Result<(Filter, Vec<String>), String> {
    let raw = params.get("notifications").ok_or_else(|| {
        "subscriptions/listen needs params.notifications (the notifications wanted)".to_string()
    })?;
    let object = RawObject::parse(raw)
        .map_err(|e| format!("subscriptions/listen params.notifications: {e}"))?;
    let flag = |key: &str| object.get(key).is_some_and(|v| v.get() == "true");
    let uris: Vec<String> = match object.get("resourceSubscriptions") {
        None => Vec::new(),
        Some(raw) => serde_json::from_str(raw.get()).map_err(|_| {
            "subscriptions/listen: resourceSubscriptions must be an array of URIs".to_string()
        })?,
    };
    if uris.len() > MAX_WATCHED {
        return Err(format!(
            "subscriptions/listen: at most {MAX_WATCHED} resourceSubscriptions per stream"
        ));
    }
    let filter = Filter {
        tools: flag("toolsListChanged"),
        prompts: flag("promptsListChanged"),
        resources: flag("resourcesListChanged"),
    };
    Ok((filter, uris))
}
