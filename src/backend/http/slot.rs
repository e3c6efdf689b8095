//! A slot for one backend session: empty until the first call initializes it, emptied when the
//! backend forgets it (404) so the next call initializes again.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use arc_swap::ArcSwapOption;
use http::HeaderValue;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Shared;
use crate::backend::error::BackendError;
use crate::backend::handshake;
use crate::backend::status::Health;
use crate::protocol::mcp::{InitializeResult, LATEST_LEGACY};
use crate::protocol::JsonRpcResponse;
use crate::session::{Related, Session};
use crate::BoxError;

/// One backend session, as initialized.
#[derive(Debug)]
pub(super) struct BackendSession {
    /// `Mcp-Session-Id`, if the backend issued one.
    pub id: Option<HeaderValue>,
    /// The negotiated revision, sent as `MCP-Protocol-Version`.
    pub protocol_version: HeaderValue,
    /// Counts initializations of this slot; 0 is the bootstrap session of `initialize`.
    pub generation: u64,
}

/// Where a backend session lives.
#[derive(Debug)]
pub(super) struct Slot {
    current: ArcSwapOption<BackendSession>,
    /// Serialises (re)initialization so a burst of calls triggers one handshake.
    connecting: tokio::sync::Mutex<()>,
    generation: AtomicU64,
    /// The client session this backend session is for; `None` for the gateway's own.
    pub owner: Option<Weak<Session>>,
    /// Stops the slot's GET stream.
    pub stop: CancellationToken,
    last_used: AtomicU64,
    /// Calls in flight on this backend session (an idle slot with calls is not ended).
    pub in_flight: AtomicUsize,
}

// === impl Slot ===

impl Slot {
    pub(super) fn new(owner: Option<Weak<Session>>, stop: CancellationToken) -> Slot {
        Slot {
            current: ArcSwapOption::empty(),
            connecting: tokio::sync::Mutex::new(()),
            generation: AtomicU64::new(0),
            owner,
            stop,
            last_used: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Whether this is the gateway's own backend session.
    pub(super) fn is_gateway(&self) -> bool {
        self.owner.is_none()
    }

    /// What a message on this session's own stream belongs to.
    pub(super) fn related(&self) -> Related {
        match &self.owner {
            Some(owner) => Related::Session(owner.clone()),
            None => Related::Nothing,
        }
    }

    pub(super) fn touch(&self, now: u64) {
        self.last_used.store(now, Ordering::Relaxed);
    }

    pub(super) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// The current session, if initialized.
    pub(super) fn current(&self) -> Option<Arc<BackendSession>> {
        self.current.load_full()
    }

    /// Drops `stale` if it is still the current session.
    pub(super) fn invalidate(&self, stale: &Arc<BackendSession>) {
        let current = self.current.load();
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, stale)) {
            self.current.store(None);
        }
    }

    /// The current session, initializing one if there is none.
    pub(super) async fn ensure(
        &self,
        shared: &Arc<Shared>,
    ) -> Result<Arc<BackendSession>, BoxError> {
        if let Some(s) = self.current.load_full() {
            return Ok(s);
        }
        // Boxed: the handshake's state is ten times the size of a call's, and every call's
        // future would otherwise carry (and move) it.
        Box::pin(self.initialize_once(shared)).await
    }

    /// Initializes the backend session unless another call did while this one waited.
    async fn initialize_once(&self, shared: &Arc<Shared>) -> Result<Arc<BackendSession>, BoxError> {
        let _guard = self.connecting.lock().await;
        if let Some(s) = self.current.load_full() {
            return Ok(s);
        }
        let timeout = shared.spec.connect_timeout;
        let result = match tokio::time::timeout(timeout, self.initialize(shared)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer to initialize within {timeout:?}")),
        };
        match result {
            Ok(session) => Ok(session),
            Err(reason) => Err(self.down(shared, reason)),
        }
    }

    async fn initialize(&self, shared: &Arc<Shared>) -> Result<Arc<BackendSession>, String> {
        let bootstrap = Arc::new(BackendSession {
            id: None,
            protocol_version: HeaderValue::from_static(LATEST_LEGACY),
            generation: 0,
        });
        let mut session_id = None;
        let slot_id = &mut session_id;
        let boot = &bootstrap;
        let info: InitializeResult = handshake::initialize_over(shared.alias(), |req| async move {
            let (outcome, id) =
                super::exchange::post_capturing_session(shared, self, boot, &req).await?;
            *slot_id = id;
            Ok(JsonRpcResponse { outcome })
        })
        .await?;
        let protocol_version = HeaderValue::from_str(&info.protocol_version).map_err(|_| {
            format!(
                "protocol version `{}` is not a valid header value",
                info.protocol_version
            )
        })?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let session = Arc::new(BackendSession {
            id: session_id,
            protocol_version,
            generation,
        });
        super::exchange::notify(shared, &session, "notifications/initialized").await;
        self.current.store(Some(session.clone()));
        if self.is_gateway() {
            info!(backend = %shared.alias(), protocol = %info.protocol_version, session = session.id.is_some(), "HTTP backend up");
            shared.wiring.status.send_modify(|s| {
                if s.generation > 0 {
                    s.restarts += 1;
                }
                s.health = Health::Up;
                s.info = Some(Arc::new(info));
                s.generation = generation;
                s.attempted = true;
            });
        }
        Ok(session)
    }

    /// Records why the session could not be initialized, and the error callers get.
    fn down(&self, shared: &Shared, reason: String) -> BoxError {
        let reason: Arc<str> = reason.into();
        if self.is_gateway() {
            shared.wiring.status.send_modify(|s| {
                if s.health != Health::Down(reason.clone()) {
                    warn!(backend = %shared.alias(), reason = %reason, "HTTP backend unavailable");
                }
                s.health = Health::Down(reason.clone());
                s.info = None;
                s.attempted = true;
            });
        }
        BackendError::Unavailable {
            backend: shared.alias().clone(),
            reason,
        }
        .never_sent()
    }
}
