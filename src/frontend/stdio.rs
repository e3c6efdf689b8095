//! The stdio frontend: `mcpmux stdio` serves the whole gateway on stdin/stdout, one JSON-RPC
//! message per line, so a desktop client launches mcpmux as its one MCP server. Logs go to
//! stderr only. The process is one [`Link`]; end of input ends it.

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::FramedRead;
use tracing::{info, warn};

use crate::backend::stdio::lines::{JsonLines, Line};
use crate::gateway::link::Link;
use crate::gateway::Gateway;

/// Serves `input`/`output` until the input ends (or the gateway shuts down).
pub async fn serve<R, W>(gateway: &Gateway, input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (link, mut reader) = Link::new(gateway, None, "stdio");
    let mut lines = FramedRead::new(input, JsonLines::new(gateway.config().max_body_bytes));
    loop {
        tokio::select! {
            line = lines.next() => match line {
                Some(Ok(Line::Text(line))) => {
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        link.receive(&line);
                    }
                }
                Some(Ok(Line::Skipped(skip))) => {
                    warn!(reason = skip.reason(), "unreadable line on stdin; skipped");
                }
                Some(Err(_)) | None => {
                    info!("stdin closed; shutting down");
                    break;
                }
            },
            message = reader.next() => {
                let Some(message) = message else { break };
                if output.write_all(&message).await.is_err()
                    || output.write_all(b"\n").await.is_err()
                    || output.flush().await.is_err()
                {
                    break;
                }
            }
            _ = gateway.shutdown_token().cancelled() => break,
        }
    }
    link.close();
}
