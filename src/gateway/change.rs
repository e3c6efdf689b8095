//! Changing the running gateway: a reloaded config file, an admin API edit and a management
//! meta-tool all become a new config that is validated, diffed per backend and applied through
//! the registry. Added backends start, removed ones stop (their process groups killed),
//! changed ones restart, and unchanged ones are not touched: their sessions and calls in
//! flight carry on. Clients are told `list_changed`.
//!
//! Only `backends`, `pipelines`, `meta_tools` and `tool_exposure` change live; any other key
//! that differs is reported as needing a restart and keeps its running value.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;
use tracing::{info, warn};

use super::{member_of, spawn_refresh, Gateway};
pub use crate::config::edit::Edit;
use crate::config::edit::{merge_patch, strip_nulls};
use crate::config::{self, BackendConfig, Config, Overrides};
use crate::telemetry::metrics as metrics_names;

/// Where the running config came from.
#[derive(Debug)]
pub struct Source {
    /// The main file.
    pub path: PathBuf,
    /// The command line's values, which win over the file.
    pub overrides: Overrides,
    /// Every file the last load read (the main file and its includes).
    files: Mutex<Vec<PathBuf>>,
}

impl Source {
    /// The source of a config loaded from `path`.
    pub fn new(path: PathBuf, overrides: Overrides, files: Vec<PathBuf>) -> Source {
        Source {
            path,
            overrides,
            files: Mutex::new(files),
        }
    }

    /// Every file the last load read.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What a change did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Applied {
    /// Backends started.
    pub added: Vec<String>,
    /// Backends stopped and removed (or disabled).
    pub removed: Vec<String>,
    /// Backends restarted with a changed config.
    pub restarted: Vec<String>,
    /// Backends left running as they were.
    pub unchanged: Vec<String>,
    /// Backends whose new config could not be started (they keep their old config).
    pub failed: Vec<FailedStart>,
    /// Keys that changed but only take effect after a restart.
    pub needs_restart: Vec<String>,
}

/// A backend that could not be started, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FailedStart {
    /// The alias.
    pub name: String,
    /// Why.
    pub error: String,
}

impl Applied {
    fn is_noop(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.restarted.is_empty()
            && self.failed.is_empty()
    }
}

/// Why an edit was not made.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// No backend by that name.
    #[error("no backend `{0}`")]
    NotFound(String),
    /// A backend by that name exists.
    #[error("backend `{0}` exists; change it with PATCH or remove it first")]
    Exists(String),
    /// The resulting config is not valid.
    #[error("invalid config:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
    /// The backend could not be started.
    #[error("backend `{name}` could not be started: {why}")]
    Start {
        /// The alias.
        name: String,
        /// Why.
        why: String,
    },
    /// Applied, but not written back to the file.
    #[error("applied, but not written to the config file: {0}")]
    Persist(String),
}

/// Why a reload kept the running config.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The gateway was not started from a file.
    #[error("the gateway runs the embedded default config; there is no file to reload")]
    NoFile,
    /// The file does not load or validate.
    #[error("{0}")]
    Invalid(#[from] config::ConfigError),
}

/// The outcome of the last reload, for the admin API.
#[derive(Debug, Clone, Serialize)]
pub struct LastReload {
    /// `ok` or `error`.
    pub outcome: &'static str,
    /// What it did, when it was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Applied>,
    /// Why not, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Seconds since the Unix epoch.
    pub at: u64,
}

static LAST_RELOAD: Mutex<Option<LastReload>> = Mutex::new(None);

/// The outcome of the last reload, if any.
pub fn last_reload() -> Option<LastReload> {
    LAST_RELOAD
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

fn record_reload(outcome: &'static str, applied: Option<Applied>, error: Option<String>) {
    metrics::counter!(metrics_names::CONFIG_RELOADS, "outcome" => outcome).increment(1);
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    *LAST_RELOAD.lock().unwrap_or_else(PoisonError::into_inner) = Some(LastReload {
        outcome,
        applied,
        error,
        at,
    });
}

/// Top-level keys applied live.
const LIVE_KEYS: &[&str] = &[
    "backends",
    "pipelines",
    "meta_tools",
    "tool_exposure",
    "include",
];

// === impl Gateway ===

impl Gateway {
    /// Records where the config came from, so it can be reloaded and edits written back.
    pub fn set_source(&self, source: Source) {
        let _ = self.inner.source.set(source);
    }

    /// Where the config came from, when it came from a file.
    pub fn source(&self) -> Option<&Source> {
        self.inner.source.get()
    }

    /// Loads the config file again and applies it. An invalid file keeps the running config.
    pub async fn reload(&self) -> Result<Applied, ReloadError> {
        let Some(source) = self.source() else {
            return Err(ReloadError::NoFile);
        };
        let path = source.path.clone();
        let overrides = source.overrides.clone();
        let loaded = tokio::task::spawn_blocking(move || config::load(Some(&path), &overrides))
            .await
            .unwrap_or_else(|e| {
                Err(config::ConfigError::Invalid {
                    source_name: source.path.display().to_string(),
                    problems: vec![format!("loading panicked: {e}")],
                })
            });
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                let error = e.to_string().replace("\n  - ", " | ").replace(":\n", ": ");
                warn!(file = %source.path.display(), error = %error, "config reload failed; the running config stays");
                record_reload("error", None, Some(e.to_string()));
                return Err(e.into());
            }
        };
        *source.files.lock().unwrap_or_else(PoisonError::into_inner) = loaded.files;
        let _changing = self.inner.changing.lock().await;
        let applied = self.apply(loaded.config);
        if applied.failed.is_empty() {
            if !applied.is_noop() {
                info!(added = ?applied.added, removed = ?applied.removed, restarted = ?applied.restarted, unchanged = applied.unchanged.len(), "config reloaded");
            }
            record_reload("ok", Some(applied.clone()), None);
        } else {
            record_reload(
                "error",
                Some(applied.clone()),
                Some(
                    applied
                        .failed
                        .iter()
                        .map(|f| format!("backend `{}` could not start: {}", f.name, f.error))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            );
        }
        if !applied.needs_restart.is_empty() {
            warn!(keys = ?applied.needs_restart, "these keys changed but take effect only after a restart");
        }
        Ok(applied)
    }

    /// Makes one edit of the backends, applied like a reload; with `admin.persist`, written
    /// back to the config file too.
    pub async fn edit(&self, edit: Edit) -> Result<Applied, EditError> {
        let _changing = self.inner.changing.lock().await;
        let current = self.config();
        let mut next = (*current).clone();
        let name = edit.name().to_string();
        match &edit {
            Edit::Add { name, config } => {
                if next.backends.contains_key(name) {
                    return Err(EditError::Exists(name.clone()));
                }
                let backend =
                    config::load::backend_from_json(name, config).map_err(EditError::Invalid)?;
                next.backends.insert(name.clone(), backend);
            }
            Edit::Patch { name, patch } => {
                let backend = next
                    .backends
                    .get(name)
                    .ok_or_else(|| EditError::NotFound(name.clone()))?;
                let mut merged = serde_json::to_value(backend)
                    .map_err(|e| EditError::Invalid(vec![format!("backends.{name}: {e}")]))?;
                strip_nulls(&mut merged);
                merge_patch(&mut merged, patch);
                let backend =
                    config::load::backend_from_json(name, &merged).map_err(EditError::Invalid)?;
                next.backends.insert(name.clone(), backend);
            }
            Edit::Remove { name } => {
                next.backends
                    .remove(name)
                    .ok_or_else(|| EditError::NotFound(name.clone()))?;
            }
            Edit::SetEnabled { name, enabled } => {
                next.backends
                    .get_mut(name)
                    .ok_or_else(|| EditError::NotFound(name.clone()))?
                    .enabled = *enabled;
            }
        }
        config::validate::validate(&next).map_err(EditError::Invalid)?;
        let applied = self.apply(next);
        if let Some(failed) = applied.failed.first() {
            return Err(EditError::Start {
                name,
                why: failed.error.clone(),
            });
        }
        info!(backend = %name, edit = edit_kind(&edit), added = ?applied.added, removed = ?applied.removed, restarted = ?applied.restarted, "backends changed at runtime");
        if self.config().admin.persist {
            if let Some(source) = self.source() {
                config::persist::write(&source.path, &source.files(), &edit)
                    .map_err(EditError::Persist)?;
            }
        }
        Ok(applied)
    }

    /// Applies `next` (already valid); the caller holds `changing`.
    fn apply(&self, next: Config) -> Applied {
        let old = self.config();
        let mut applied = Applied {
            needs_restart: restart_keys(&old, &next),
            ..Applied::default()
        };
        let mut effective = (*old).clone();
        effective.pipelines = next.pipelines;
        effective.meta_tools = next.meta_tools;
        effective.tool_exposure = next.tool_exposure;
        effective.include = next.include;
        effective.backends = next.backends;
        let registry = self.registry();
        let mut started = Vec::new();
        for (alias, backend) in effective.backends.clone() {
            if !backend.enabled {
                continue;
            }
            let running = registry.get(&alias);
            let same = running
                .as_ref()
                .is_some_and(|r| backend_same(r.config(), &backend));
            if same {
                applied.unchanged.push(alias);
                continue;
            }
            match registry.start(&alias, &backend) {
                Ok((fresh, replaced)) => {
                    if replaced.is_some() {
                        applied.restarted.push(alias);
                    } else {
                        applied.added.push(alias);
                    }
                    started.push(fresh);
                }
                Err(e) => {
                    warn!(backend = %alias, error = %e, "backend not started; it keeps its previous config");
                    match old.backends.get(&alias) {
                        Some(previous) => {
                            effective.backends.insert(alias.clone(), previous.clone());
                        }
                        None => {
                            effective.backends.remove(&alias);
                        }
                    }
                    applied.failed.push(FailedStart {
                        name: alias,
                        error: e.to_string(),
                    });
                }
            }
        }
        for running in registry.all().iter() {
            let alias = running.alias();
            let wanted = effective.backends.get(&**alias).is_some_and(|b| b.enabled);
            if !wanted {
                registry.remove(alias);
                applied.removed.push(alias.to_string());
            }
        }
        let mut members = Vec::new();
        for backend in registry.all().iter() {
            match member_of(&effective, backend) {
                Ok(member) => members.push(member),
                Err(e) => {
                    warn!(backend = %backend.alias(), error = %e, "backend left out of the catalog")
                }
            }
        }
        let catalog = self.catalog();
        catalog.set_members(members.clone());
        for member in members {
            if started.iter().any(|b| Arc::ptr_eq(b, &member.backend)) {
                spawn_refresh(member, catalog);
            }
        }
        self.inner.local.publish(&effective);
        self.inner.config.store(Arc::new(effective));
        applied
    }
}

fn edit_kind(edit: &Edit) -> &'static str {
    match edit {
        Edit::Add { .. } => "add",
        Edit::Patch { .. } => "patch",
        Edit::Remove { .. } => "remove",
        Edit::SetEnabled { enabled: true, .. } => "enable",
        Edit::SetEnabled { enabled: false, .. } => "disable",
    }
}

/// Whether a running backend's config equals a new one.
fn backend_same(running: &BackendConfig, next: &BackendConfig) -> bool {
    running == next
}

/// Top-level keys other than the live ones whose values differ.
fn restart_keys(old: &Config, next: &Config) -> Vec<String> {
    let (Ok(Value::Object(old)), Ok(Value::Object(next))) =
        (serde_json::to_value(old), serde_json::to_value(next))
    else {
        return Vec::new();
    };
    old.iter()
        .filter(|(key, value)| !LIVE_KEYS.contains(&key.as_str()) && next.get(*key) != Some(*value))
        .map(|(key, _)| key.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_gateway_level_keys_need_a_restart() {
        let old: Config =
            figment::Figment::from(figment::providers::Serialized::defaults(json!({})))
                .extract()
                .unwrap();
        let mut next = old.clone();
        next.port = 1;
        next.page_size = 7;
        next.meta_tools.enabled = true;
        next.backends.insert(
            "x".into(),
            crate::config::load::backend_from_json("x", &json!({ "command": "x" })).unwrap(),
        );
        assert_eq!(restart_keys(&old, &next), vec!["page_size", "port"]);
    }
}
