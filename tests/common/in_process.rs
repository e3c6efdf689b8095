//! A gateway in this test process on an ephemeral port: for tests that look inside it
//! (sessions, per-session processes) and do not need the binary's own process.

use mcpmux::config::{self, Overrides};
use mcpmux::gateway::Gateway;
use mcpmux::run::{self, Running};

/// A started in-process gateway; dropped with the test's runtime.
pub struct InProcess {
    running: Running,
    _dir: tempfile::TempDir,
}

impl InProcess {
    /// Loads `config_toml` as the binary would (file, validation) and starts the gateway.
    pub async fn start(config_toml: &str) -> InProcess {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        // Side by side with other tests: a free port for the admin listener too.
        let body = if config_toml.contains("[admin]") {
            config_toml.to_string()
        } else {
            format!("{config_toml}\n[admin]\nlisten = \"127.0.0.1:0\"\n")
        };
        std::fs::write(&path, body).expect("write config");
        let loaded = config::load(Some(&path), &Overrides::default())
            .unwrap_or_else(|e| panic!("config: {e}\n{config_toml}"));
        let running = run::start(loaded.config).await.expect("gateway starts");
        InProcess { running, _dir: dir }
    }

    /// The core, to inspect.
    pub fn gateway(&self) -> &Gateway {
        &self.running.gateway
    }

    /// `http://ADDR/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.running.addr)
    }

    /// Waits until every backend finished its first connection attempt.
    pub async fn wait_ready(&self) {
        super::poll_until(super::READY_DEADLINE, "backends ready", || async {
            self.gateway().readiness().0.then_some(())
        })
        .await;
    }

    /// Stops it (killing backend processes).
    pub async fn stop(self) {
        self.running.shutdown().await;
    }
}
