//! Progress tokens: a client's `_meta.progressToken` is replaced toward the backend by a
//! gateway-unique token, so two clients that both use token `1` never see each other's
//! progress; the backend's `notifications/progress` is mapped back to the call that owns it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use serde_json::value::RawValue;

use super::call::CallContext;
use crate::protocol::jsonrpc::raw_string;
use crate::protocol::RawObject;

/// The prefix of gateway progress tokens (a string token: numbers would invite collisions with
/// backends that echo the request id).
const TOKEN_PREFIX: &str = "mcpmux-p";

/// Calls waiting for progress, by gateway token.
#[derive(Debug, Default)]
pub struct ProgressMap {
    calls: Mutex<HashMap<u64, Weak<CallContext>>>,
}

/// Keeps a call's token registered until the call ends.
#[derive(Debug)]
pub struct ProgressGuard {
    map: Arc<ProgressMap>,
    token: u64,
}

// === impl ProgressMap ===

impl ProgressMap {
    /// Registers `ctx` (which carries the client's token) and returns the token to send to the
    /// backend with the guard that keeps it registered.
    pub fn register(self: &Arc<Self>, ctx: &Arc<CallContext>) -> (Box<RawValue>, ProgressGuard) {
        let token = ctx.seq();
        self.lock().insert(token, Arc::downgrade(ctx));
        let raw = raw_string(&format!("{TOKEN_PREFIX}{token}"));
        (
            raw,
            ProgressGuard {
                map: self.clone(),
                token,
            },
        )
    }

    /// The call owning a gateway token.
    pub fn owner(&self, token: &RawValue) -> Option<Arc<CallContext>> {
        let text: String = serde_json::from_str(token.get()).ok()?;
        let n: u64 = text.strip_prefix(TOKEN_PREFIX)?.parse().ok()?;
        self.lock().get(&n)?.upgrade()
    }

    /// Calls registered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// No calls registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Weak<CallContext>>> {
        // Single inserts and removes: a poisoned map is still consistent.
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        self.map.lock().remove(&self.token);
    }
}

/// A backend's progress params with the gateway token replaced by the owning client's, or
/// `None` when the token is not one of the gateway's live tokens.
pub fn restore(map: &ProgressMap, params: &RawValue) -> Option<(Arc<CallContext>, Box<RawValue>)> {
    let mut object = RawObject::parse(params).ok()?;
    let owner = map.owner(object.get("progressToken")?)?;
    let client_token = owner.progress_token()?.to_owned();
    object.set("progressToken", client_token);
    Some((owner, object.to_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::call::CallParts;

    fn ctx_with_token(token: &str) -> Arc<CallContext> {
        CallContext::new(CallParts {
            progress_token: Some(RawValue::from_string(token.into()).unwrap()),
            ..CallParts::default()
        })
    }

    #[test]
    fn equal_client_tokens_get_distinct_gateway_tokens() {
        let map = Arc::new(ProgressMap::default());
        let a = ctx_with_token("1");
        let b = ctx_with_token("1");
        let (ta, _ga) = map.register(&a);
        let (tb, gb) = map.register(&b);
        assert_ne!(ta.get(), tb.get());
        let params =
            RawValue::from_string(format!(r#"{{"progressToken":{},"progress":5}}"#, tb.get()))
                .unwrap();
        let (owner, restored) = restore(&map, &params).unwrap();
        assert!(Arc::ptr_eq(&owner, &b));
        assert_eq!(restored.get(), r#"{"progressToken":1,"progress":5}"#);
        drop(gb);
        assert!(restore(&map, &params).is_none());
        assert_eq!(map.len(), 1);
    }

    #[test]
    fn foreign_tokens_are_not_routed() {
        let map = ProgressMap::default();
        for params in [
            r#"{"progressToken":"abc"}"#,
            r#"{"progressToken":7}"#,
            r#"{}"#,
        ] {
            assert!(restore(&map, &RawValue::from_string(params.into()).unwrap()).is_none());
        }
    }
}
