//! A reference hop: a byte relay (accept, connect upstream, copy both ways) with nothing of
//! MCP or HTTP in it, on the same one-thread runtime the gateway uses on a 2-core machine.
//! Driving the fast HTTP backend through it measures what any extra process on the path costs
//! on this machine (wake-ups, loopback TCP, scheduling), so the gateway's numbers can be read
//! against that floor.

use std::io::Write;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};

use crate::BoxError;

/// Serves on 127.0.0.1:0, relaying every connection to `upstream`; prints
/// `listening addr=...` on stdout and exits when stdin closes.
pub fn serve(upstream: SocketAddr) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "listening addr={}", listener.local_addr()?)?;
            stdout.flush()?;
        }
        tokio::select! {
            result = accept_loop(listener, upstream) => result,
            _ = crate::backend::stdin_closed() => Ok(()),
        }
    })
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr) -> Result<(), BoxError> {
    loop {
        let (mut client, _) = listener.accept().await?;
        tokio::spawn(async move {
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        });
    }
}
