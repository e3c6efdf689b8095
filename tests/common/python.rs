//! The Python interpreter with the official MCP SDK: `$MCPMUX_PYTHON`, else the project's
//! `.venv/bin/python` (made by `.ci/run`), else `python3`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::manifest_dir;

/// How to get the SDK; tests fail (never skip) without it: CI installs it, so its absence is a
/// setup bug.
pub const INSTALL_HINT: &str =
    "Run `bash .ci/run` (it installs `mcp` into .venv), or `pip install mcp`, \
                                or set MCPMUX_PYTHON to an interpreter that has it.";

/// Scripts exit with this status when `import mcp` fails.
pub const EXIT_SDK_MISSING: i32 = 3;

/// The interpreter.
pub fn python() -> PathBuf {
    if let Some(python) = std::env::var_os("MCPMUX_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = manifest_dir().join(".venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Runs `tests/python/SCRIPT` with `args`; returns (exit code, stdout, stderr).
pub async fn run_script(
    script: &str,
    args: &[&str],
    deadline: Duration,
) -> (Option<i32>, String, String) {
    let python = python();
    let path = manifest_dir().join("tests/python").join(script);
    let child = Command::new(&python)
        .arg(&path)
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}. {INSTALL_HINT}", python.display()));
    let output = tokio::time::timeout(deadline, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{} did not finish within {deadline:?}", path.display()))
        .expect("wait for python");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.code() == Some(EXIT_SDK_MISSING) {
        panic!(
            "the MCP Python SDK is not importable with {}: {stderr}\n{INSTALL_HINT}",
            python.display()
        );
    }
    (output.status.code(), stdout, stderr)
}
