//! Log levels across sessions. Shared backends get one level: the most verbose any session
//! asked for; each session then gets only messages at or above its own level.

use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;

use crate::protocol::mcp::LogLevel;

/// How many sessions asked for each level, and the resulting level for shared backends.
#[derive(Debug)]
pub struct LogLevels {
    counts: Mutex<[usize; 8]>,
    effective: watch::Sender<Option<LogLevel>>,
}

impl Default for LogLevels {
    fn default() -> Self {
        LogLevels {
            counts: Mutex::new([0; 8]),
            effective: watch::channel(None).0,
        }
    }
}

// === impl LogLevels ===

impl LogLevels {
    /// A session changed its level from `old` to `new` (`None`: it had none, or ended).
    pub fn change(&self, old: Option<LogLevel>, new: Option<LogLevel>) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = old {
            let slot = &mut counts[usize::from(old.index())];
            *slot = slot.saturating_sub(1);
        }
        if let Some(new) = new {
            counts[usize::from(new.index())] += 1;
        }
        let most_verbose = counts
            .iter()
            .position(|n| *n > 0)
            .and_then(|i| LogLevel::from_index(i as u8));
        self.effective.send_if_modified(|current| {
            let changed = *current != most_verbose;
            *current = most_verbose;
            changed
        });
    }

    /// Watches the level shared backends should run at.
    pub fn watch(&self) -> watch::Receiver<Option<LogLevel>> {
        self.effective.subscribe()
    }

    /// The level shared backends should run at now.
    pub fn effective(&self) -> Option<LogLevel> {
        *self.effective.borrow()
    }
}

/// Whether a message at `message` level reaches a session that asked for `wanted`.
pub fn admits(wanted: Option<LogLevel>, message: LogLevel) -> bool {
    wanted.is_none_or(|w| message >= w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_backends_run_at_the_most_verbose_level_asked() {
        let levels = LogLevels::default();
        assert_eq!(levels.effective(), None);
        levels.change(None, Some(LogLevel::Warning));
        levels.change(None, Some(LogLevel::Debug));
        assert_eq!(levels.effective(), Some(LogLevel::Debug));
        levels.change(Some(LogLevel::Debug), None);
        assert_eq!(levels.effective(), Some(LogLevel::Warning));
        levels.change(Some(LogLevel::Warning), Some(LogLevel::Error));
        assert_eq!(levels.effective(), Some(LogLevel::Error));
    }

    #[test]
    fn a_session_gets_only_messages_at_or_above_its_level() {
        assert!(admits(Some(LogLevel::Info), LogLevel::Error));
        assert!(!admits(Some(LogLevel::Error), LogLevel::Info));
        assert!(admits(None, LogLevel::Debug));
    }
}
