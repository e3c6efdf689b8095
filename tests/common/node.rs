//! Node.js test peers installed by `.ci/run` (`npm ci` in `tests/everything` and
//! `tests/conformance`): where they are, and starting server-everything over HTTP.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::manifest_dir;

/// How to get the Node packages; tests fail (never skip) without them.
pub const INSTALL_HINT: &str =
    "Run `bash .ci/run` (it runs `npm ci` in tests/everything and tests/conformance).";

/// server-everything's entry point.
pub fn everything_js() -> PathBuf {
    let path = manifest_dir().join(
        "tests/everything/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    );
    assert!(
        path.exists(),
        "{} is missing. {INSTALL_HINT}",
        path.display()
    );
    path
}

/// server-everything serving streamable HTTP on a free loopback port; killed when dropped.
pub struct EverythingHttp {
    _child: Child,
    /// `http://127.0.0.1:PORT/mcp` (or `/sse`).
    pub url: String,
}

impl EverythingHttp {
    /// Starts it in streamable-HTTP mode and waits until it listens.
    pub async fn start() -> EverythingHttp {
        Self::start_mode("streamableHttp", "/mcp").await
    }

    /// Starts it in the old HTTP+SSE mode (`GET /sse`, `POST /message`).
    pub async fn start_sse() -> EverythingHttp {
        Self::start_mode("sse", "/sse").await
    }

    async fn start_mode(mode: &str, path: &str) -> EverythingHttp {
        let dir = manifest_dir().join("tests/everything");
        let mut child = Command::new("node")
            .current_dir(&dir)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .arg("--require")
            .arg("./bind-host.cjs")
            .arg(everything_js())
            .arg(mode)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node: {e}. {INSTALL_HINT}"));
        let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
        let port = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("bind-host: listening on ") {
                    return rest.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("server-everything reports its port");
        // Keep draining its stderr so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        EverythingHttp {
            _child: child,
            url: format!("http://127.0.0.1:{port}{path}"),
        }
    }
}
