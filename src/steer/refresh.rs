//! Keeps one backend's catalog entries fresh: fetched when it comes up, refetched on
//! `list_changed`, dropped after it has been down for the grace period.

use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tracing::{debug, info, warn};

use super::catalog::{CatalogStore, Member};
use crate::backend::backoff::Backoff;
use crate::backend::Health;
use crate::protocol::jsonrpc::{to_raw, write_notification, NO_PARAMS};
use crate::protocol::mcp::{BackendCursor, InitializeResult, ListKind, ListPage};
use crate::protocol::{JsonRpcRequest, RawJson};
use crate::session::{CallContext, CallParts, Session};
use bytes::Bytes;

/// Most pages followed for one list; a backend that cycles its cursors stops here.
const MAX_PAGES: usize = 10_000;

/// Runs until `shutdown`.
pub async fn run(
    member: Member,
    store: Arc<CatalogStore>,
    grace: Duration,
    shutdown: CancellationToken,
) {
    let backend = member.backend.clone();
    let alias = backend.alias().clone();
    let mut status = backend.watch_status();
    let mut notifications = backend.subscribe_notifications();
    let mut listed_generation = 0u64;
    let mut down_since: Option<tokio::time::Instant> = None;
    let mut retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    let mut retry_at: Option<tokio::time::Instant> = None;
    loop {
        let current = status.borrow_and_update().clone();
        match &current.health {
            Health::Up
                if current.generation != listed_generation
                    || retry_at.is_some_and(|t| t <= tokio::time::Instant::now()) =>
            {
                down_since = None;
                let info = current.info.clone().unwrap_or_default();
                match fetch_all(&member, &info).await {
                    Ok(lists) => {
                        for (kind, items) in lists {
                            store.set_list(&alias, kind, items);
                        }
                        listed_generation = current.generation;
                        retry.reset();
                        retry_at = None;
                    }
                    Err(e) => {
                        let delay = retry.next_delay();
                        warn!(backend = %alias, error = %e, retry_in = ?delay, "listing failed; serving the last known entries");
                        retry_at = Some(tokio::time::Instant::now() + delay);
                    }
                }
                store.settle(&alias);
            }
            Health::Down(_) => {
                store.settle(&alias);
                down_since.get_or_insert_with(tokio::time::Instant::now);
            }
            _ => {}
        }
        let grace_deadline = down_since.map(|t| t + grace);
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            note = notifications.recv() => match note {
                Ok(n) => {
                    if let Some(kinds) = changed_kinds(&n.notification.method) {
                        match n.owner.as_ref().and_then(std::sync::Weak::upgrade) {
                            Some(session) => {
                                refetch_for(&member, &store, &session, &n.notification.method, kinds).await;
                                if let Some(mark) = n.mark {
                                    session.lists_refreshed(mark);
                                }
                            }
                            None => refetch(&member, &store, kinds).await,
                        }
                    }
                }
                // Sessions waiting on a dropped notice wait out their bound (see `lists_settled`).
                Err(RecvError::Lagged(_)) => listed_generation = 0,
                Err(RecvError::Closed) => return,
            },
            _ = sleep_until(grace_deadline) => {
                info!(backend = %alias, grace = ?grace, "backend down past the grace period; its entries are dropped");
                store.remove(&alias);
                down_since = None;
                listed_generation = 0;
            }
            _ = sleep_until(retry_at) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

fn changed_kinds(method: &str) -> Option<&'static [ListKind]> {
    match method {
        "notifications/tools/list_changed" => Some(&[ListKind::Tools]),
        "notifications/prompts/list_changed" => Some(&[ListKind::Prompts]),
        "notifications/resources/list_changed" => {
            Some(&[ListKind::Resources, ListKind::ResourceTemplates])
        }
        _ => None,
    }
}

async fn refetch(member: &Member, store: &CatalogStore, kinds: &[ListKind]) {
    for kind in kinds {
        match fetch(member, *kind, CallContext::internal()).await {
            Ok(items) => store.set_list(member.backend.alias(), *kind, items),
            Err(e) => {
                warn!(backend = %member.backend.alias(), list = kind.method(), error = %e, "refetch after list_changed failed")
            }
        }
    }
}

/// Refetches lists from one session's own connection to a per-session backend, then tells
/// that session (only it sees these lists).
async fn refetch_for(
    member: &Member,
    store: &CatalogStore,
    session: &Arc<Session>,
    method: &str,
    kinds: &[ListKind],
) {
    let ctx = CallContext::new(CallParts {
        session: Some(session.clone()),
        version: session.version(),
        ..CallParts::default()
    });
    for kind in kinds {
        match fetch(member, *kind, ctx.clone()).await {
            Ok(items) => {
                store.set_session_list(&session.id, member.backend.alias(), *kind, items);
            }
            Err(e) => {
                warn!(backend = %member.backend.alias(), session = %session.id, list = kind.method(), error = %e, "refetch after list_changed failed")
            }
        }
    }
    session
        .outbound()
        .get_stream()
        .push(Bytes::from(write_notification(method, NO_PARAMS)));
}

/// Every list the backend's capabilities offer.
async fn fetch_all(
    member: &Member,
    info: &InitializeResult,
) -> Result<Vec<(ListKind, Vec<Arc<RawValue>>)>, String> {
    let caps = &info.capabilities;
    let mut out = Vec::new();
    for kind in ListKind::ALL {
        let offered = match kind {
            ListKind::Tools => caps.tools.is_some(),
            ListKind::Prompts => caps.prompts.is_some(),
            ListKind::Resources | ListKind::ResourceTemplates => caps.resources.is_some(),
        };
        let items = if offered {
            fetch(member, kind, CallContext::internal()).await?
        } else {
            Vec::new()
        };
        out.push((kind, items));
    }
    Ok(out)
}

/// One list, following the backend's pagination to the end, on the connection `ctx` picks.
async fn fetch(
    member: &Member,
    kind: ListKind,
    ctx: Arc<CallContext>,
) -> Result<Vec<Arc<RawValue>>, String> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let params = cursor
            .as_deref()
            .map(|c| to_raw(&BackendCursor { cursor: c }));
        let request =
            JsonRpcRequest::with_ctx(kind.method(), params.map(RawJson::from), ctx.clone());
        let response = member
            .backend
            .service()
            .oneshot(request)
            .await
            .map_err(|e| format!("{}: {e}", kind.method()))?;
        let result = match response.outcome {
            Ok(r) => r,
            // A backend that advertises a capability but lacks one list (often templates).
            Err(e) if e.code == crate::protocol::error_codes::METHOD_NOT_FOUND => {
                debug!(backend = %member.backend.alias(), list = kind.method(), "not supported by the backend");
                return Ok(items);
            }
            Err(e) => {
                return Err(format!(
                    "{} failed: {} ({})",
                    kind.method(),
                    e.message,
                    e.code
                ))
            }
        };
        let page: ListPage = serde_json::from_str(result.get())
            .map_err(|e| format!("{} result is not valid MCP: {e}", kind.method()))?;
        items.extend(page.items.into_iter().map(Arc::from));
        match page.next_cursor {
            Some(next) if !next.is_empty() && Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => return Ok(items),
        }
    }
    Err(format!(
        "{} did not end after {MAX_PAGES} pages",
        kind.method()
    ))
}
