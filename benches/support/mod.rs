//! Shared fixtures for the benches: a catalog of in-memory backends.

use std::sync::Arc;

use mcpmux::backend::{Backend, BackendService};
use mcpmux::config::schema::ToolFilter;
use mcpmux::config::BackendConfig;
use mcpmux::protocol::jsonrpc::raw_string;
use mcpmux::protocol::mcp::ListKind;
use mcpmux::protocol::{JsonRpcRequest, JsonRpcResponse};
use mcpmux::steer::catalog::{CatalogStore, Member};
use mcpmux::steer::names::Namer;
use mcpmux::BoxError;
use serde_json::value::RawValue;
use tower::util::BoxCloneSyncService;

/// A backend that answers every call at once with `{"content":[]}`-like text, in memory.
pub fn echo_service() -> BackendService {
    BoxCloneSyncService::new(tower::service_fn(|_req: JsonRpcRequest| async {
        Ok::<_, BoxError>(JsonRpcResponse {
            outcome: Ok(raw_string("ok").into()),
        })
    }))
}

/// A backend whose service is [`echo_service`]; no transport, no background tasks.
fn backend(alias: &str, slot: usize) -> Arc<Backend> {
    let config: BackendConfig =
        serde_json::from_str(r#"{"command":"unused"}"#).expect("a minimal backend config");
    Arc::new(Backend::in_memory(alias, slot, config, echo_service()))
}

/// One tool entry as a backend lists it.
fn tool_entry(i: usize) -> Arc<RawValue> {
    let raw = format!(
        r#"{{"name":"tool_{i:04}","description":"Echoes its text","inputSchema":{{"type":"object","properties":{{"text":{{"type":"string"}}}},"required":["text"]}}}}"#
    );
    Arc::from(RawValue::from_string(raw).expect("a tool entry is JSON"))
}

/// A settled catalog of `backends` backends (`b000`, ...) listing `tools` tools each
/// (`tool_0000`, ...), exposed as `b000__tool_0000`, ...
pub fn catalog(backends: usize, tools: usize) -> Arc<CatalogStore> {
    let members: Vec<Member> = (0..backends)
        .map(|b| {
            let alias = format!("b{b:03}");
            Member {
                namer: Namer::new(&alias, "__", &ToolFilter::default()).expect("no globs"),
                backend: backend(&alias, b),
            }
        })
        .collect();
    let store = Arc::new(CatalogStore::new(members.clone(), "__"));
    for member in &members {
        let alias = member.backend.alias().clone();
        store.set_list(
            &alias,
            ListKind::Tools,
            (0..tools).map(tool_entry).collect(),
        );
        store.settle(&alias);
    }
    assert_eq!(
        store.snapshot().list(ListKind::Tools).len(),
        backends * tools
    );
    store
}
