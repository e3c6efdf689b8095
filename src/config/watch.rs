//! Watching the config file and its includes for changes (`hot_reload`).
//!
//! Directories are watched, not files: editors and `admin.persist` replace a file by renaming
//! a new one over it, which a watch on the old file would miss. Only changes count (reading a
//! file, as a reload does, must not trigger another); the caller debounces, so a save that
//! writes several times reloads once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tracing::warn;

/// How long the files must be quiet after a change before it is reloaded.
pub const DEBOUNCE: Duration = Duration::from_millis(250);

/// A running watch; dropping it stops watching.
pub struct Watch {
    _watcher: RecommendedWatcher,
    patterns: GlobSet,
    /// Where the include globs start: anything appearing under one (a new provider
    /// directory) or creating one may add files.
    roots: Vec<PathBuf>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").finish_non_exhaustive()
    }
}

impl Watch {
    /// Whether `path` is a file the config could read: one of `files`, or a match of an
    /// `include` glob (a file that appeared since the last load).
    pub fn concerns(&self, path: &Path, files: &[PathBuf]) -> bool {
        if is_scratch(path) {
            return false;
        }
        // A Kubernetes ConfigMap volume swaps its `..data` symlink to update every file at once.
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("..data"))
        {
            return true;
        }
        files.iter().any(|f| same_file(f, path))
            || self.patterns.is_match(path)
            || self
                .roots
                .iter()
                .any(|root| path.starts_with(root) || root.starts_with(path))
    }
}

/// Watches the directory of `main` and the directories `includes` (globs relative to it)
/// start from; changed paths arrive on the receiver, in debounced batches. A root that does
/// not exist yet is seen when it appears in a watched directory; watch again then.
pub fn watch(
    main: &Path,
    includes: &[String],
) -> Result<(Watch, mpsc::UnboundedReceiver<Vec<PathBuf>>), String> {
    let main = std::path::absolute(main).map_err(|e| format!("{}: {e}", main.display()))?;
    let base = main
        .parent()
        .unwrap_or_else(|| Path::new("/"))
        .to_path_buf();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<Event>| match event {
            Ok(event) if !matches!(event.kind, EventKind::Access(_)) => {
                let _ = tx.send(event.paths);
            }
            Ok(_) => {}
            Err(e) => warn!(error = %e, "config watcher error"),
        })
        .map_err(|e| format!("cannot watch the config file: {e}"))?;
    watcher
        .watch(&base, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", base.display()))?;
    let mut patterns = GlobSetBuilder::new();
    let mut roots = Vec::new();
    for include in includes {
        let full = base.join(include);
        if let Ok(glob) = Glob::new(&full.to_string_lossy()) {
            patterns.add(glob);
        }
        let root = glob_root(&full);
        if root == base {
            continue;
        }
        if root.is_dir() {
            if let Err(e) = watcher.watch(&root, RecursiveMode::Recursive) {
                warn!(dir = %root.display(), error = %e, "cannot watch an include directory; its changes need a reload (SIGHUP)");
            }
        }
        roots.push(root);
    }
    let patterns = patterns
        .build()
        .map_err(|e| format!("include globs: {e}"))?;
    Ok((
        Watch {
            _watcher: watcher,
            patterns,
            roots,
        },
        rx,
    ))
}

/// The longest leading part of a glob path without glob characters.
fn glob_root(pattern: &Path) -> PathBuf {
    let mut root = PathBuf::new();
    for part in pattern.components() {
        let text = part.as_os_str().to_string_lossy();
        if text.contains(['*', '?', '[', '{']) {
            break;
        }
        root.push(part);
    }
    if root == pattern {
        root.pop();
    }
    root
}

/// Editors' swap and backup files, and `admin.persist`'s temporary file.
fn is_scratch(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".mcpmux-tmp") || name.ends_with('~') || name.ends_with(".swp")
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || std::path::absolute(a).ok().as_deref() == Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_roots_stop_at_the_first_wildcard() {
        assert_eq!(
            glob_root(Path::new("/etc/mcpmux/data/*/mcp_settings.json")),
            PathBuf::from("/etc/mcpmux/data")
        );
        assert_eq!(
            glob_root(Path::new("/etc/mcpmux/servers.d/*.toml")),
            PathBuf::from("/etc/mcpmux/servers.d")
        );
        assert_eq!(
            glob_root(Path::new("/etc/mcpmux/extra.toml")),
            PathBuf::from("/etc/mcpmux")
        );
    }

    #[test]
    fn scratch_files_are_not_config() {
        assert!(is_scratch(Path::new("/x/.mcpmux.toml.mcpmux-tmp")));
        assert!(is_scratch(Path::new("/x/mcpmux.toml~")));
        assert!(!is_scratch(Path::new("/x/mcpmux.toml")));
    }
}
