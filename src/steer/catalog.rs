//! The catalog: every backend's lists merged into one namespaced, deterministic snapshot, with
//! the indexes that route calls (exposed name -> backend + original name, URI -> backend).
//!
//! Readers load the snapshot lock-free; a refresher rebuilds it when a backend's lists change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use serde_json::value::RawValue;
use tokio::sync::{broadcast, watch};
use tracing::warn;

use super::names::Namer;
use super::overlay::Overlays;
use super::page;
use super::uri_template::UriTemplate;
use crate::backend::Backend;
use crate::protocol::jsonrpc::raw_string;
use crate::protocol::mcp::{ListKind, NamedEntry, TemplateEntry, UriEntry};
use crate::protocol::RawJson;
use crate::protocol::RawObject;
use crate::telemetry::metrics as metrics_names;

/// A backend taking part in the catalog, with its naming rules.
#[derive(Debug, Clone)]
pub struct Member {
    /// The backend.
    pub backend: Arc<Backend>,
    /// How its names are exposed.
    pub namer: Namer,
}

/// Where a namespaced tool or prompt goes.
#[derive(Debug, Clone)]
pub struct Route {
    /// The owning backend.
    pub backend: Arc<Backend>,
    /// The backend's own name for it.
    pub name: Arc<str>,
    /// Annotated `readOnlyHint` or `idempotentHint`: safe to retry.
    pub retry_safe: bool,
}

/// One backend's lists, as last fetched.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    lists: [Vec<Arc<RawValue>>; 4],
}

impl Listing {
    fn get(&self, kind: ListKind) -> &[Arc<RawValue>] {
        &self.lists[kind_index(kind)]
    }

    /// Replaces one list; false if it was the same.
    pub(super) fn replace(&mut self, kind: ListKind, items: Vec<Arc<RawValue>>) -> bool {
        if same(self.get(kind), &items) {
            return false;
        }
        self.lists[kind_index(kind)] = items;
        true
    }
}

fn kind_index(kind: ListKind) -> usize {
    match kind {
        ListKind::Tools => 0,
        ListKind::Prompts => 1,
        ListKind::Resources => 2,
        ListKind::ResourceTemplates => 3,
    }
}

/// The gateway's own tools, listed before the backends' tools.
#[derive(Debug, Default, Clone)]
pub struct LocalTools {
    /// The meta-tools' `tools/list` entries.
    pub meta: Vec<Arc<RawValue>>,
    /// The pipelines' entries.
    pub pipelines: Vec<Arc<RawValue>>,
    /// List only the meta-tools (`tool_exposure = "search"`): the rest is found by search and
    /// still routes by name.
    pub only: bool,
}

/// A merged, immutable view of every backend's lists.
#[derive(Debug, Default)]
pub struct Catalog {
    lists: [Vec<Arc<RawValue>>; 4],
    /// Tools that route but are not listed (`tool_exposure = "search"`).
    unlisted_tools: Vec<Arc<RawValue>>,
    // Looked up on every call: foldhash (seeded per process) rather than std's SipHash, which
    // cost about 200 instructions per `tools/call` here.
    tool_routes: foldhash::HashMap<Box<str>, Route>,
    prompt_routes: foldhash::HashMap<Box<str>, Route>,
    resource_routes: foldhash::HashMap<Box<str>, Arc<Backend>>,
    template_routes: Vec<(UriTemplate, Arc<Backend>)>,
    /// `prefix + separator` of every backend, longest first, for names not (yet) listed.
    prefixes: Vec<(String, Member)>,
    /// Names dropped because another backend already exposes them.
    pub collisions: Vec<String>,
    /// Pages rendered from this snapshot, by (list, first offset, page size): a warm list is
    /// then one shared buffer, not a fresh join of every entry per client.
    pages: Mutex<HashMap<(usize, usize, usize), RawJson>>,
}

impl Catalog {
    /// The merged entries of one list, in deterministic order.
    pub fn list(&self, kind: ListKind) -> &[Arc<RawValue>] {
        &self.lists[kind_index(kind)]
    }

    /// One page of a list, rendered once per snapshot and then shared.
    pub fn page(&self, kind: ListKind, start: usize, page_size: usize) -> RawJson {
        let list = self.list(kind);
        // Only the offsets the gateway mints are kept, so forged cursors cannot grow the cache
        // beyond one rendering of the list.
        if page_size == 0 || start % page_size != 0 || start > list.len() {
            return page::render_from(kind, list, start, page_size);
        }
        let key = (kind_index(kind), start, page_size);
        if let Some(hit) = self.cached_pages().get(&key) {
            return hit.clone();
        }
        // Rendered outside the lock: concurrent first readers may both render; one result wins.
        let rendered = page::render_from(kind, list, start, page_size);
        self.cached_pages().entry(key).or_insert(rendered).clone()
    }

    fn cached_pages(&self) -> std::sync::MutexGuard<'_, HashMap<(usize, usize, usize), RawJson>> {
        // The map holds finished values only, so a panic elsewhere cannot leave it half-written.
        self.pages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every tool, listed or not: what search ranks.
    pub fn all_tools(&self) -> impl Iterator<Item = &Arc<RawValue>> {
        self.lists[kind_index(ListKind::Tools)]
            .iter()
            .chain(self.unlisted_tools.iter())
    }

    /// Routes an exposed tool name.
    pub fn tool(&self, exposed: &str) -> Option<Route> {
        self.tool_routes
            .get(exposed)
            .cloned()
            .or_else(|| self.by_prefix(exposed, true))
    }

    /// Routes an exposed prompt name.
    pub fn prompt(&self, exposed: &str) -> Option<Route> {
        self.prompt_routes
            .get(exposed)
            .cloned()
            .or_else(|| self.by_prefix(exposed, false))
    }

    /// Routes a resource URI: listed resources first, then the most specific matching template.
    pub fn resource(&self, uri: &str) -> Option<Arc<Backend>> {
        if let Some(b) = self.resource_routes.get(uri) {
            return Some(b.clone());
        }
        self.template_routes
            .iter()
            .find(|(t, _)| t.matches(uri))
            .map(|(_, b)| b.clone())
    }

    /// A name missing from the catalog (its backend is down or has not listed yet) goes to the
    /// backend with the longest matching `prefix + separator`, so calls reach a backend that is
    /// coming back instead of failing as unknown.
    /// Only while that backend is not up: an up backend that does not list a name lacks it.
    fn by_prefix(&self, exposed: &str, is_tool: bool) -> Option<Route> {
        self.prefixes.iter().find_map(|(prefix, member)| {
            let name = exposed.strip_prefix(prefix.as_str())?;
            let backend = &member.backend;
            let live = backend.is_up();
            let allowed = !is_tool || member.namer.allows(name);
            (!name.is_empty() && !live && allowed).then(|| Route {
                backend: backend.clone(),
                name: name.into(),
                retry_safe: false,
            })
        })
    }

    /// Builds the merged view; members are in alias order, which fixes the merged order.
    pub fn build(
        members: &[Member],
        listings: &BTreeMap<Arc<str>, Listing>,
        separator: &str,
        local: &LocalTools,
    ) -> Catalog {
        let mut catalog = Catalog::default();
        let tools = &mut catalog.lists[kind_index(ListKind::Tools)];
        tools.extend(local.meta.iter().cloned());
        tools.extend(local.pipelines.iter().cloned());
        let mut seen_uris = HashSet::new();
        for member in members {
            let alias = &member.backend.alias();
            let prefix = member.backend.config().effective_prefix(alias);
            if !prefix.is_empty() {
                catalog
                    .prefixes
                    .push((format!("{prefix}{separator}"), member.clone()));
            }
            let Some(listing) = listings.get(&**alias) else {
                continue;
            };
            for raw in listing.get(ListKind::Tools) {
                catalog.add_named(ListKind::Tools, member, raw);
            }
            for raw in listing.get(ListKind::Prompts) {
                catalog.add_named(ListKind::Prompts, member, raw);
            }
            for raw in listing.get(ListKind::Resources) {
                let Ok(entry) = serde_json::from_str::<UriEntry>(raw.get()) else {
                    continue;
                };
                if seen_uris.insert(entry.uri.clone()) {
                    catalog
                        .resource_routes
                        .insert(entry.uri.into(), member.backend.clone());
                    catalog.lists[kind_index(ListKind::Resources)].push(raw.clone());
                } else {
                    catalog
                        .collisions
                        .push(format!("resource {} (from `{alias}`)", entry.uri));
                }
            }
            for raw in listing.get(ListKind::ResourceTemplates) {
                let Ok(entry) = serde_json::from_str::<TemplateEntry>(raw.get()) else {
                    continue;
                };
                catalog.template_routes.push((
                    UriTemplate::parse(&entry.uri_template),
                    member.backend.clone(),
                ));
                catalog.lists[kind_index(ListKind::ResourceTemplates)].push(raw.clone());
            }
        }
        if local.only {
            let listed = local.meta.len();
            catalog.unlisted_tools = catalog.lists[kind_index(ListKind::Tools)].split_off(listed);
        }
        // Most specific template first; the sort is stable so alias order breaks ties.
        catalog
            .template_routes
            .sort_by_key(|(t, _)| std::cmp::Reverse(t.specificity()));
        catalog
            .prefixes
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        catalog
    }

    fn add_named(&mut self, kind: ListKind, member: &Member, raw: &RawValue) {
        let alias = &member.backend.alias();
        let Ok(entry) = serde_json::from_str::<NamedEntry>(raw.get()) else {
            warn!(backend = %alias, list = kind.method(), "entry without a name; skipped");
            return;
        };
        if kind == ListKind::Tools && !member.namer.allows(&entry.name) {
            return;
        }
        let (exposed, changed) = member.namer.expose(&entry.name);
        if changed {
            warn!(backend = %alias, name = %entry.name, exposed = %exposed, "name is not portable; exposed under a shortened name");
        }
        let routes = match kind {
            ListKind::Tools => &mut self.tool_routes,
            _ => &mut self.prompt_routes,
        };
        if let Some(owner) = routes.get(exposed.as_str()) {
            warn!(backend = %alias, name = %exposed, kept = %owner.backend.alias(), "name collision; the first backend in alias order keeps it");
            self.collisions.push(format!("{exposed} (from `{alias}`)"));
            return;
        }
        let Ok(mut object) = RawObject::parse(raw) else {
            return;
        };
        object.set("name", raw_string(&exposed));
        let retry_safe = member.namer.configured_idempotent(&entry.name)
            || entry
                .annotations
                .is_some_and(|a| a.read_only_hint == Some(true) || a.idempotent_hint == Some(true));
        routes.insert(
            exposed.into(),
            Route {
                backend: member.backend.clone(),
                name: entry.name.into(),
                retry_safe,
            },
        );
        self.lists[kind_index(kind)].push(object.to_raw().into());
    }
}

/// The catalog's mutable side: listings per backend and the published snapshot.
#[derive(Debug)]
pub struct CatalogStore {
    separator: String,
    members: ArcSwap<Vec<Member>>,
    listings: Mutex<BTreeMap<Arc<str>, Listing>>,
    snapshot: ArcSwap<Catalog>,
    changes: broadcast::Sender<ListKind>,
    unsettled: watch::Sender<HashSet<Arc<str>>>,
    /// Bumped on every rebuild, so per-session views know when to rebuild.
    version: AtomicU64,
    overlays: Overlays,
    local: ArcSwap<LocalTools>,
}

impl CatalogStore {
    /// An empty catalog over `members`.
    pub fn new(members: Vec<Member>, separator: &str) -> Self {
        let unsettled = members.iter().map(|m| m.backend.alias().clone()).collect();
        let (changes, _) = broadcast::channel(64);
        let store = CatalogStore {
            separator: separator.to_string(),
            members: ArcSwap::from_pointee(members),
            listings: Mutex::new(BTreeMap::new()),
            snapshot: ArcSwap::from_pointee(Catalog::default()),
            changes,
            unsettled: watch::channel(unsettled).0,
            version: AtomicU64::new(0),
            overlays: Overlays::default(),
            local: ArcSwap::from_pointee(LocalTools::default()),
        };
        store.rebuild();
        store
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Catalog> {
        self.snapshot.load_full()
    }

    /// What `session` sees: the shared snapshot, or its own view when a per-session backend
    /// listed differently for it.
    pub fn view(&self, session: Option<&str>) -> Arc<Catalog> {
        let (Some(session), false) = (session, self.overlays.is_empty()) else {
            return self.snapshot();
        };
        let version = self.version.load(Ordering::Acquire);
        let built = self.overlays.view(session, version, |own| {
            let members = self.members.load();
            let mut listings = self.lock().clone();
            for (alias, listing) in own {
                listings.insert(alias.clone(), listing.clone());
            }
            Catalog::build(&members, &listings, &self.separator, &self.local.load())
        });
        built.unwrap_or_else(|| self.snapshot())
    }

    /// Replaces one list of one backend as one session sees it; false if nothing changed.
    pub fn set_session_list(
        &self,
        session: &Arc<str>,
        alias: &Arc<str>,
        kind: ListKind,
        items: Vec<Arc<RawValue>>,
    ) -> bool {
        let shared = || self.lock().get(alias).cloned().unwrap_or_default();
        self.overlays.set(session, alias, shared, |listing| {
            listing.replace(kind, items)
        })
    }

    /// Forgets what an ended session listed.
    pub fn drop_session(&self, session: &str) {
        self.overlays.remove(session);
    }

    /// The members, in alias order.
    pub fn members(&self) -> Arc<Vec<Member>> {
        self.members.load_full()
    }

    /// Replaces the members (backends added, removed or restarted): a new backend is unsettled
    /// until its first listing, a removed one's entries go at once, and clients are told.
    pub fn set_members(&self, members: Vec<Member>) {
        let gone: Vec<Arc<str>> = {
            let old = self.members.load();
            old.iter()
                .map(|m| m.backend.alias().clone())
                .filter(|a| !members.iter().any(|m| m.backend.alias() == a))
                .collect()
        };
        let fresh: Vec<Arc<str>> = members
            .iter()
            .map(|m| m.backend.alias().clone())
            .filter(|a| !self.members.load().iter().any(|m| m.backend.alias() == a))
            .collect();
        self.unsettled.send_if_modified(|s| {
            let before = s.len();
            s.extend(fresh);
            for alias in &gone {
                s.remove(alias);
            }
            s.len() != before || !gone.is_empty()
        });
        self.members.store(Arc::new(members));
        for alias in &gone {
            let removed = self.lock().remove(alias);
            if removed.is_some() {
                for kind in ListKind::ALL {
                    metrics::gauge!(metrics_names::CATALOG_ITEMS, "backend" => alias.to_string(), "kind" => metrics_names::kind_label(kind))
                        .set(0.0);
                }
            }
        }
        self.publish(&ListKind::ALL);
    }

    /// Replaces the gateway's own tools.
    pub fn set_local(&self, local: LocalTools) {
        self.local.store(Arc::new(local));
        self.publish(&[ListKind::Tools]);
    }

    /// List kinds whose merged content changed.
    pub fn subscribe(&self) -> broadcast::Receiver<ListKind> {
        self.changes.subscribe()
    }

    /// Replaces one list of one backend.
    pub fn set_list(&self, alias: &Arc<str>, kind: ListKind, items: Vec<Arc<RawValue>>) {
        {
            let count = items.len();
            let mut listings = self.lock();
            if !listings
                .entry(alias.clone())
                .or_default()
                .replace(kind, items)
            {
                return;
            }
            metrics::gauge!(metrics_names::CATALOG_ITEMS, "backend" => alias.to_string(), "kind" => metrics_names::kind_label(kind))
                .set(count as f64);
        }
        self.publish(&[kind]);
    }

    /// Drops everything a backend listed (it has been down past the grace period).
    pub fn remove(&self, alias: &str) {
        let removed = self.lock().remove(alias);
        if let Some(listing) = removed {
            for kind in ListKind::ALL {
                metrics::gauge!(metrics_names::CATALOG_ITEMS, "backend" => alias.to_string(), "kind" => metrics_names::kind_label(kind))
                    .set(0.0);
            }
            let kinds: Vec<ListKind> = ListKind::ALL
                .into_iter()
                .filter(|k| !listing.get(*k).is_empty())
                .collect();
            self.publish(&kinds);
        }
    }

    /// Marks a backend's first connection attempt (and, if up, first listing) as finished.
    pub fn settle(&self, alias: &str) {
        self.unsettled.send_if_modified(|s| s.remove(alias));
    }

    /// Waits until every backend has settled once, or `limit` passes.
    pub async fn wait_settled(&self, limit: std::time::Duration) {
        let mut rx = self.unsettled.subscribe();
        let _ = tokio::time::timeout(limit, rx.wait_for(|s| s.is_empty())).await;
    }

    /// Backends still on their first attempt.
    pub fn unsettled(&self) -> Vec<Arc<str>> {
        self.unsettled.borrow().iter().cloned().collect()
    }

    fn publish(&self, kinds: &[ListKind]) {
        self.rebuild();
        for kind in kinds {
            let _ = self.changes.send(*kind);
        }
    }

    fn rebuild(&self) {
        let members = self.members.load();
        let catalog = {
            let listings = self.lock();
            Catalog::build(&members, &listings, &self.separator, &self.local.load())
        };
        self.snapshot.store(Arc::new(catalog));
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Arc<str>, Listing>> {
        // Every critical section replaces whole values, so a poisoned map is still consistent.
        self.listings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn same(a: &[Arc<RawValue>], b: &[Arc<RawValue>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.get() == y.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog_with_tools(n: usize) -> Catalog {
        let mut catalog = Catalog::default();
        catalog.lists[kind_index(ListKind::Tools)] = (0..n)
            .map(|i| Arc::from(RawValue::from_string(format!(r#"{{"name":"t{i}"}}"#)).unwrap()))
            .collect();
        catalog
    }

    #[test]
    fn a_warm_page_is_the_same_shared_buffer() {
        let catalog = catalog_with_tools(5);
        let first = catalog.page(ListKind::Tools, 2, 2);
        let again = catalog.page(ListKind::Tools, 2, 2);
        assert_eq!(first.bytes().as_ptr(), again.bytes().as_ptr());
        assert_eq!(
            first.get(),
            r#"{"tools":[{"name":"t2"},{"name":"t3"}],"nextCursor":"mcpmux-4"}"#
        );
        // Another page size is another page.
        assert_ne!(catalog.page(ListKind::Tools, 2, 1).get(), first.get());
    }

    #[test]
    fn forged_offsets_are_rendered_but_not_kept() {
        let catalog = catalog_with_tools(5);
        let odd = catalog.page(ListKind::Tools, 3, 2);
        assert_eq!(odd.get(), r#"{"tools":[{"name":"t3"},{"name":"t4"}]}"#);
        let past_the_end = catalog.page(ListKind::Tools, 100, 2);
        assert_eq!(past_the_end.get(), r#"{"tools":[]}"#);
        assert!(catalog.cached_pages().is_empty());
    }
}
