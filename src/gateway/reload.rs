//! Hot reload: the config's files are watched, and a change that concerns them reloads the
//! config (see `change` for what a reload does). The watch is set up before the gateway
//! reports itself listening, so an edit made after that is never missed.

use tracing::{info, warn};

use super::{Gateway, StartError};
use crate::config::watch;

/// Starts watching the config files of `gateway` (which must have a source).
pub fn watch(gateway: &Gateway) -> Result<(), StartError> {
    let Some(source) = gateway.source() else {
        return Ok(());
    };
    let includes = gateway.config().include.clone();
    let (watching, changes) = watch::watch(&source.path, &includes).map_err(StartError::Other)?;
    info!(file = %source.path.display(), "watching the config for changes");
    tokio::spawn(run(gateway.clone(), watching, changes, includes));
    Ok(())
}

async fn run(
    gateway: Gateway,
    mut watching: watch::Watch,
    mut changes: tokio::sync::mpsc::UnboundedReceiver<Vec<std::path::PathBuf>>,
    mut includes: Vec<String>,
) {
    let shutdown = gateway.shutdown_token().clone();
    let Some(source) = gateway.source() else {
        return;
    };
    loop {
        let paths = tokio::select! {
            paths = changes.recv() => paths,
            _ = shutdown.cancelled() => return,
        };
        let Some(paths) = paths else { return };
        let files = source.files();
        if !paths.iter().any(|p| watching.concerns(p, &files)) {
            continue;
        }
        // Debounce: an editor's save or a ConfigMap update is several events; wait until the
        // files have been quiet for a moment, then load once.
        loop {
            match tokio::time::timeout(watch::DEBOUNCE, changes.recv()).await {
                Ok(Some(_)) => continue,
                Ok(None) => return,
                Err(_) => break,
            }
        }
        // The outcome is logged, counted and kept for the admin API by `reload`.
        let _ = gateway.reload().await;
        // Watched again: the includes may have changed, or an include root appeared.
        let now = gateway.config().include.clone();
        match watch::watch(&source.path, &now) {
            Ok((w, c)) => {
                watching = w;
                changes = c;
                includes = now;
            }
            Err(e) => {
                warn!(error = %e, includes = ?includes, "cannot watch the include directories again; keeping the old watch")
            }
        }
    }
}
