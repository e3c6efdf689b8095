//! The admin API on the admin listener, behind the bearer token `admin.token` (off without
//! one). It changes backends while the gateway runs, through the same path as a config reload.
//!
//! | path | |
//! |---|---|
//! | `GET /api/instances` | every backend: transport, state, tool count |
//! | `GET /api/instances/{name}` | one, with its config (secrets redacted) |
//! | `POST /api/instances` | add one: a backend config with its `name` |
//! | `PATCH /api/instances/{name}` | change keys of one (JSON merge patch) |
//! | `DELETE /api/instances/{name}` | stop and remove one |
//! | `POST /api/instances/{name}/enable`, `/disable` | start or stop one, keeping its config |
//! | `GET /api/tools`, `GET /api/tools/{instance}` | the catalog's tools |
//! | `POST /api/call` | `{"instance", "tool", "params"}`: the tool's result |
//! | `GET /api/config` | the running config, secrets redacted, and the last reload |
//! | `POST /api/reload` | reload the config file now |
//! | `GET /api/logs` (WebSocket) | log lines as JSON, `?level=` filters |
//!
//! Errors are `{"error": {"code", "message"}}`: 400 invalid, 401 no or wrong token, 404 no such
//! backend, 409 exists, 500 not persisted.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::header::WWW_AUTHENTICATE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::WebSocketStream;

use super::body::{self, Body};
use crate::auth::{Authenticator, Principal};
use crate::gateway::change::{Edit, EditError};
use crate::gateway::Gateway;
use crate::telemetry::log_stream;

/// The admin API's credentials.
#[derive(Debug, Clone)]
pub struct AdminAuth {
    tokens: Option<Arc<Authenticator>>,
}

impl AdminAuth {
    /// From `admin.token`; `None` turns the API off.
    pub fn from_token(token: Option<&str>) -> Result<AdminAuth, String> {
        let tokens = match token {
            None => None,
            Some(token) => {
                let config = crate::config::InboundAuth {
                    tokens: std::collections::BTreeMap::from([(
                        "admin".to_string(),
                        token.to_string(),
                    )]),
                };
                Some(Arc::new(Authenticator::from_config(&config).map_err(
                    |e| e.replace("auth.tokens.admin", "admin.token"),
                )?))
            }
        };
        Ok(AdminAuth { tokens })
    }
}

/// Whether `path` belongs to the admin API.
pub fn handles(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Serves one admin API request.
pub async fn serve(
    gateway: &Gateway,
    auth: &AdminAuth,
    mut request: Request<Incoming>,
) -> Response<Body> {
    let Some(tokens) = &auth.tokens else {
        return error(
            StatusCode::NOT_FOUND,
            "the admin API is off: set admin.token (e.g. \"${env:MCPMUX_ADMIN_TOKEN}\") to turn it on",
        );
    };
    if tokens.authenticate(request.headers()).is_err() {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "the admin API needs Authorization: Bearer <admin.token>",
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mcpmux-admin\""),
        );
        return response;
    }
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(2).collect();
    let method = request.method().clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["instances"]) => ok(json!({ "instances": gateway.instances() })),
        (Method::GET, ["instances", name]) => instance(gateway, name),
        (Method::POST, ["instances"]) => match read_json(gateway, request).await {
            Ok(body) => add(gateway, body).await,
            Err(response) => response,
        },
        (Method::PATCH, ["instances", name]) => match read_json(gateway, request).await {
            Ok(patch) => {
                let name = (*name).to_string();
                edit(gateway, Edit::Patch { name, patch }, StatusCode::OK).await
            }
            Err(response) => response,
        },
        (Method::DELETE, ["instances", name]) => {
            let name = (*name).to_string();
            edit(gateway, Edit::Remove { name }, StatusCode::OK).await
        }
        (Method::POST, ["instances", name, action @ ("enable" | "disable")]) => {
            let edit_ = Edit::SetEnabled {
                name: (*name).to_string(),
                enabled: *action == "enable",
            };
            edit(gateway, edit_, StatusCode::OK).await
        }
        (Method::GET, ["tools"]) => {
            let tools: Vec<Value> = gateway
                .tools_by_backend()
                .into_iter()
                .flat_map(|(instance, tools)| {
                    tools.into_iter().map(move |t| {
                        let mut v = serde_json::to_value(t).unwrap_or_default();
                        v["instance"] = Value::String(instance.clone());
                        v
                    })
                })
                .collect();
            ok(json!({ "tools": tools }))
        }
        (Method::GET, ["tools", instance]) => {
            if !gateway.config().backends.contains_key(*instance) {
                return error(StatusCode::NOT_FOUND, &format!("no backend `{instance}`"));
            }
            let tools = gateway
                .tools_by_backend()
                .remove(*instance)
                .unwrap_or_default();
            ok(json!({ "instance": instance, "tools": tools }))
        }
        (Method::POST, ["call"]) => match read_json(gateway, request).await {
            Ok(body) => call(gateway, body).await,
            Err(response) => response,
        },
        (Method::GET, ["config"]) => {
            let config = serde_json::to_value(&*gateway.config()).unwrap_or_default();
            ok(json!({
                "source": gateway.source().map(|s| s.path.display().to_string()),
                "config": redact(config),
                "last_reload": crate::gateway::change::last_reload(),
            }))
        }
        (Method::POST, ["reload"]) => match gateway.reload().await {
            Ok(applied) => ok(json!({ "applied": applied })),
            Err(e) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        },
        (Method::GET, ["logs"] | ["logs", "ws"]) => logs(&mut request),
        (_, ["instances" | "tools" | "call" | "config" | "reload" | "logs", ..]) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("{} {path} is not part of the admin API", request.method()),
        ),
        _ => error(StatusCode::NOT_FOUND, &format!("no admin API path {path}")),
    }
}

fn ok(value: Value) -> Response<Body> {
    body::json(StatusCode::OK, value.to_string())
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    super::rest::error(
        status,
        i64::from(status.as_u16()),
        message.to_string(),
        None,
    )
}

async fn read_json(gateway: &Gateway, request: Request<Incoming>) -> Result<Value, Response<Body>> {
    let (parts, incoming) = request.into_parts();
    let bytes: Bytes = body::read_limited(&gateway.config(), &parts.headers, incoming).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            &format!("the body must be JSON: {e}"),
        )
    })
}

fn instance(gateway: &Gateway, name: &str) -> Response<Body> {
    let config = gateway.config();
    let Some(backend) = config.backends.get(name) else {
        return error(StatusCode::NOT_FOUND, &format!("no backend `{name}`"));
    };
    let Some(instance) = gateway.instances().into_iter().find(|i| i.name == name) else {
        return error(StatusCode::NOT_FOUND, &format!("no backend `{name}`"));
    };
    let mut value = serde_json::to_value(instance).unwrap_or_default();
    value["config"] = redact(serde_json::to_value(backend).unwrap_or_default());
    ok(value)
}

async fn add(gateway: &Gateway, mut body: Value) -> Response<Body> {
    let Some(name) = body
        .as_object_mut()
        .and_then(|o| o.remove("name"))
        .and_then(|n| n.as_str().map(str::to_string))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "the body is a backend config with its `name`, e.g. {\"name\": \"fs\", \"command\": \"npx\", \"args\": [...]}",
        );
    };
    edit(
        gateway,
        Edit::Add { name, config: body },
        StatusCode::CREATED,
    )
    .await
}

async fn edit(gateway: &Gateway, edit: Edit, status: StatusCode) -> Response<Body> {
    let name = edit.name().to_string();
    match gateway.edit(edit).await {
        Ok(applied) => {
            let instance = gateway.instances().into_iter().find(|i| i.name == name);
            body::json(
                status,
                json!({ "instance": instance, "applied": applied }).to_string(),
            )
        }
        Err(e) => {
            let status = match &e {
                EditError::NotFound(_) => StatusCode::NOT_FOUND,
                EditError::Exists(_) => StatusCode::CONFLICT,
                EditError::Invalid(_) | EditError::Start { .. } => StatusCode::BAD_REQUEST,
                EditError::Persist(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            error(status, &e.to_string())
        }
    }
}

/// `POST /api/call`: through the same core as a client's call, as principal `admin`.
async fn call(gateway: &Gateway, body: Value) -> Response<Body> {
    let (Some(instance), Some(tool)) = (
        body.get("instance").and_then(Value::as_str),
        body.get("tool").and_then(Value::as_str),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "the body is {\"instance\": ..., \"tool\": ..., \"params\": {...}}",
        );
    };
    let config = gateway.config();
    let Some(backend) = config.backends.get(instance) else {
        return error(StatusCode::NOT_FOUND, &format!("no backend `{instance}`"));
    };
    let prefix = backend.effective_prefix(instance);
    let name = if prefix.is_empty() {
        tool.to_string()
    } else {
        format!("{prefix}{}{tool}", config.separator)
    };
    let arguments = body.get("params").cloned().unwrap_or_else(|| json!({}));
    let params = crate::protocol::jsonrpc::to_raw(&json!({ "name": name, "arguments": arguments }));
    let principal = Principal {
        name: Some(Arc::from("admin")),
    };
    super::rest::call(gateway, principal, "tools/call", params, None).await
}

/// `GET /api/logs`: a WebSocket of log lines at `?level=` (default `info`) and above.
fn logs(request: &mut Request<Incoming>) -> Response<Body> {
    let level = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("level=")))
        .map(|l| log_stream::parse_level(l).ok_or(l));
    let level = match level {
        None => tracing::Level::INFO,
        Some(Ok(level)) => level,
        Some(Err(bad)) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("level `{bad}`: use error, warn, info, debug or trace"),
            )
        }
    };
    let (upgrade, response, _) = match super::ws_handshake::accept(request, "/api/logs", None) {
        Ok(accepted) => accepted,
        Err(refused) => return *refused,
    };
    // Subscribed before the 101 is sent, so a line logged after the client sees the upgrade
    // is never missed.
    let mut lines = log_stream::subscribe();
    tokio::spawn(async move {
        let Ok(io) = upgrade.await else { return };
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
        let (mut sink, mut frames) = socket.split();
        loop {
            tokio::select! {
                line = lines.recv() => match line {
                    Ok(line) => {
                        // `Level` orders by verbosity: ERROR is the smallest.
                        if line.level <= level && sink.send(Frame::Text(line.json.clone().into())).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        let note = json!({ "level": "WARN", "target": "mcpmux::admin", "message": format!("{n} log lines dropped: this reader is too slow") });
                        if sink.send(Frame::Text(note.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                frame = frames.next() => match frame {
                    Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    });
    response
}

/// Keys whose values are secrets.
const SECRET_KEYS: &[&str] = &[
    "env",
    "headers",
    "tokens",
    "token",
    "credentials",
    "password",
    "secret",
    "api_key",
];

/// Replaces secret values with `[redacted]`; `${env:...}` and `${file:...}` references stay,
/// as they say where a secret lives, not what it is.
pub fn redact(value: Value) -> Value {
    redact_inner(value, false)
}

fn redact_inner(value: Value, secret: bool) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| {
                    let secret = secret || SECRET_KEYS.contains(&k.as_str());
                    (k, redact_inner(v, secret))
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact_inner(v, secret)).collect())
        }
        Value::String(s) if secret => {
            let reference = (s.starts_with("${env:") || s.starts_with("${file:"))
                && s.ends_with('}')
                && s.matches("${").count() == 1;
            Value::String(if reference { s } else { "[redacted]".into() })
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_references_kept() {
        let config = json!({
            "port": 8080,
            "auth": { "tokens": { "alice": "hunter2", "bob": "${env:BOB_TOKEN}" } },
            "admin": { "token": "${file:/run/secrets/admin}", "listen": "127.0.0.1:9090" },
            "backends": { "gh": {
                "command": "gh-mcp",
                "env": { "GITHUB_TOKEN": "ghp_secret", "DEBUG": "1" },
                "headers": { "X-Key": "prefix-${env:K}" },
                "auth": { "type": "bearer", "credentials": { "token": "abc" } }
            } }
        });
        let redacted = redact(config);
        let text = redacted.to_string();
        for secret in ["hunter2", "ghp_secret", "prefix-", "abc"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert_eq!(redacted["auth"]["tokens"]["bob"], "${env:BOB_TOKEN}");
        assert_eq!(redacted["admin"]["token"], "${file:/run/secrets/admin}");
        assert_eq!(redacted["backends"]["gh"]["command"], "gh-mcp");
        assert_eq!(redacted["backends"]["gh"]["auth"]["type"], "bearer");
        assert_eq!(redacted["admin"]["listen"], "127.0.0.1:9090");
    }
}
