//! A key-value server with a line protocol, written as a tokio user would write it and
//! ported to crest by its imports alone: `service.rs` names everything through the `rt`
//! module below, and `benches/src/bin/kv_tokio.rs` compiles the same file against tokio
//! with its own `rt` (`benches/tests/kv_port.rs` checks that both give the same
//! transcript).
//!
//! ```text
//! $ cargo run --release --example kv -- 127.0.0.1:7881
//! listening on 127.0.0.1:7881
//! $ nc 127.0.0.1 7881
//! SET a 1
//! OK
//! GET a
//! 1
//! ```
//!
//! Commands: `SET key value`, `GET key`, `DEL key`, `PING`, `QUIT`, `SHUTDOWN`; a
//! connection idle for 30 s (`KV_IDLE_MS`) is closed. SIGINT or SIGTERM closes every
//! connection and exits 0.

/// The runtime items the service uses: with the `#[path]` and the `main` attribute, the only
/// lines that differ between the crest and the tokio build.
mod rt {
    pub use crest::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    pub use crest::net::{TcpListener, TcpStream};
    pub use crest::signal::unix::{signal, SignalKind};
    pub use crest::task::JoinSet;
    pub use crest::time::sleep;
    pub use crest::{select, task_local};
}

#[path = "service.rs"]
mod service;

#[crest::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7881".to_string());
    let idle_ms = std::env::var("KV_IDLE_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(30_000);
    // SIGINT (ctrl-c) or SIGTERM stops it: the service is dropped, which closes the
    // listener and every connection. Both are caught before the address is announced, so
    // a signal sent as soon as the server listens cannot find the default action.
    let mut int = rt::signal(rt::SignalKind::interrupt())?;
    let mut term = rt::signal(rt::SignalKind::terminate())?;
    let listener = rt::TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    rt::select! {
        served = service::run(listener, std::time::Duration::from_millis(idle_ms)) => served,
        _ = int.recv() => {
            eprintln!("kv: interrupted; closing");
            Ok(())
        }
        _ = term.recv() => {
            eprintln!("kv: terminated; closing");
            Ok(())
        }
    }
}
