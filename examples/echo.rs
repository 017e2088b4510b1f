//! An echo server: every byte a client sends comes straight back, until the client closes.
//!
//! ```text
//! $ cargo run --release --example echo              # listens on 127.0.0.1:7878
//! $ cargo run --release --example echo -- 0.0.0.0:9000
//! listening on 127.0.0.1:7878
//! ```
//!
//! Talk to it from another terminal with `nc`; each line you type is echoed back:
//!
//! ```text
//! $ nc 127.0.0.1 7878
//! hello
//! hello
//! ```
//!
//! `printf 'ping' | nc -N 127.0.0.1 7878` sends, half-closes (`-N`, or `-q 1` on some `nc`s)
//! and prints what comes back: the server echoes everything it read, then closes too.
//!
//! This is the server crest is benchmarked on against tokio, so it does no more per
//! message than it must: one buffer per connection, allocated once; one `write` per `read`
//! (`write_all` only loops when the socket's send buffer is full); `TCP_NODELAY` so that an
//! echo leaves at once instead of waiting for the ACK of the previous one.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};

const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Large enough that a bulk transfer moves in few syscalls; `vec![0; N]` comes from
/// `calloc`, so the pages a connection never fills cost no memory.
const BUF_SIZE: usize = 32 * 1024;

/// How long the accept loop rests after an error such as EMFILE before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

#[crest::main]
async fn main() {
    let addr = match parse_args() {
        Ok(addr) => addr,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(addr.as_str()).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("echo: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(_) => println!("listening on {addr}"),
    }

    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                crest::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        // A peer that resets is its own business, not the server's.
                        if !is_disconnect(&e) {
                            eprintln!("echo: {peer}: {e}");
                        }
                    }
                });
            }
            Err(e) => accept_failed(e).await,
        }
    }
}

/// Echoes one connection until the client half-closes (or resets) it.
async fn echo(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; BUF_SIZE];
    let mut io = &stream;
    loop {
        let n = io.read(&mut buf).await?;
        if n == 0 {
            // EOF: everything read has been written back; dropping the stream sends FIN.
            return Ok(());
        }
        io.write_all(&buf[..n]).await?;
    }
}

/// Logs an accept error and, where waiting helps (out of descriptors or memory), waits a
/// little: the listener stays readable while the backlog is full, so retrying at once
/// would spin. Errors that belong to one connection (it was reset before we took it) are
/// retried at once.
async fn accept_failed(e: io::Error) {
    if is_disconnect(&e) {
        return;
    }
    eprintln!("echo: accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
    crest::time::sleep(ACCEPT_BACKOFF).await;
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

/// `echo [ADDR]`; the error is the usage text.
fn parse_args() -> Result<String, String> {
    let usage = format!("usage: echo [ADDR]   (default {DEFAULT_ADDR})");
    let mut args = std::env::args().skip(1);
    let addr = match args.next() {
        None => DEFAULT_ADDR.to_string(),
        Some(a) if a == "-h" || a == "--help" => return Err(usage),
        Some(a) => a,
    };
    if args.next().is_some() {
        return Err(usage);
    }
    // Checked here so that a typo is a usage error, not a resolver error; host names
    // (`localhost:7878`) are fine too, bind resolves them.
    if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
        return Err(format!("echo: {addr:?} is not an address like 127.0.0.1:7878\n{usage}"));
    }
    Ok(addr)
}
