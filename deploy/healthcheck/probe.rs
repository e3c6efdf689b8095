//! mcpmux-probe: a tiny HTTP health probe for the container HEALTHCHECK.
//!
//! The runtime image is distroless (no shell, no curl, no wget), so the Dockerfile compiles this
//! one file with plain `rustc` (std only, no crates) next to the gateway. It sends
//! `GET <path> HTTP/1.0` to a plain-HTTP URL and exits 0 on a 2xx status, 1 otherwise.
//!
//!     mcpmux-probe [URL]          # default http://127.0.0.1:9090/healthz (the admin listener)
//!
//! Once `mcpmux` itself grows a probe subcommand, the HEALTHCHECK can call that instead.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const DEFAULT_URL: &str = "http://127.0.0.1:9090/healthz";
const TIMEOUT: Duration = Duration::from_secs(2);

fn probe(url: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("only http:// URLs are supported: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr_text = if authority.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = addr_text
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {addr_text}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {addr_text}"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nUser-Agent: mcpmux-probe\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("send: {e}"))?;
    // The status line fits in the first bytes: "HTTP/1.1 200 OK".
    let mut head = [0u8; 64];
    let mut filled = 0;
    while filled < 12 {
        match stream.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head[..filled]);
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => code
            .parse::<u16>()
            .map_err(|_| format!("bad status line: {line:?}")),
        _ => Err(format!("not an HTTP response: {line:?}")),
    }
}

fn main() -> ExitCode {
    let url = std::env::args().nth(1).unwrap_or_else(|| DEFAULT_URL.to_string());
    match probe(&url) {
        Ok(code) if (200..300).contains(&code) => ExitCode::SUCCESS,
        Ok(code) => {
            eprintln!("mcpmux-probe: {url} answered {code}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("mcpmux-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
