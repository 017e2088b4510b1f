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
//! SIGINT (ctrl-c) or SIGTERM stops it cleanly: it stops accepting (new connections are
//! refused), each connection finishes writing back what it has read, half-closes and
//! closes, and the server exits 0; connections still open after the deadline (default 5 s,
//! `echo ADDR SECONDS`) are dropped and it exits 1.
//!
//! This is the server crest is benchmarked on against tokio, so it does no more per
//! message than it must: one buffer per connection, allocated once; one `write` per `read`
//! (`write_all` only loops when the socket's send buffer is full); `TCP_NODELAY` so that an
//! echo leaves at once instead of waiting for the ACK of the previous one.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use async_channel::Receiver;
use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use crest::signal::unix::{signal, SignalKind};
use futures_lite::future;

const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Large enough that a bulk transfer moves in few syscalls; `vec![0; N]` comes from
/// `calloc`, so the pages a connection never fills cost no memory.
const BUF_SIZE: usize = 32 * 1024;

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// How long a stopping connection reads (and drops) what its client still sends after our
/// FIN, so that closing with unread input does not reset the connection under our last
/// bytes.
const LINGER: Duration = Duration::from_secs(1);

#[crest::main]
async fn main() {
    let (addr, deadline) = match parse_args() {
        Ok(args) => args,
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

    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        eprintln!("echo: cannot listen for SIGTERM/SIGINT");
        std::process::exit(1);
    };
    // Closing this channel (dropping `stop`) tells every connection to finish.
    let (stop, stopping) = async_channel::bounded::<()>(1);
    let mut connections = Vec::new();
    loop {
        let signalled = async {
            future::or(term.recv(), int.recv()).await;
            None
        };
        let Some(accepted) = future::or(signalled, async { Some(listener.accept().await) }).await else {
            break;
        };
        match accepted {
            Ok((stream, peer)) => {
                let stopping = stopping.clone();
                connections.retain(|c: &crest::task::JoinHandle<()>| !c.is_finished());
                connections.push(crest::spawn(async move {
                    if let Err(e) = echo(stream, stopping).await {
                        // A peer that resets is its own business, not the server's.
                        if !is_disconnect(&e) {
                            eprintln!("echo: {peer}: {e}");
                        }
                    }
                }));
            }
            Err(e) => accept_failed(e),
        }
    }

    // Refuse new connections, tell the open ones to finish, give them until the deadline.
    drop(listener);
    drop(stop);
    // Those that ended since the last accept are gone already: count the rest.
    connections.retain(|c| !c.is_finished());
    eprintln!("echo: stopping; {} connection(s) finishing", connections.len());
    let finished = crest::time::timeout(deadline, async {
        for connection in connections {
            let _ = connection.await;
        }
    });
    if finished.await.is_err() {
        eprintln!("echo: connections still open after {deadline:?}; closing them");
        std::process::exit(1);
    }
    eprintln!("echo: stopped cleanly");
}

/// Echoes one connection until the client half-closes (or resets) it, or the server stops:
/// then what was read is written back, and the connection closes.
async fn echo(stream: TcpStream, stopping: Receiver<()>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; BUF_SIZE];
    let mut io = &stream;
    loop {
        // The stop is polled first, so a client that never pauses cannot keep us open.
        let stopped = async {
            let _ = stopping.recv().await;
            None
        };
        let Some(read) = future::or(stopped, async { Some(io.read(&mut buf).await) }).await else {
            return linger_close(&stream, &mut buf).await;
        };
        let n = read?;
        if n == 0 {
            // EOF: everything read has been written back; dropping the stream sends FIN.
            return Ok(());
        }
        io.write_all(&buf[..n]).await?;
    }
}

/// Half-closes, then reads and drops what the client still sends for up to [`LINGER`].
async fn linger_close(stream: &TcpStream, scratch: &mut [u8]) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let mut io = stream;
    let _ = crest::time::timeout(LINGER, async { while let Ok(1..) = io.read(scratch).await {} }).await;
    Ok(())
}

/// Logs an accept error, unless it belongs to one connection (reset before we took it).
/// Out of descriptors or memory, the listener stays readable while the backlog is full,
/// but the loop does not spin: the listener's next `accept` waits out its own back-off.
fn accept_failed(e: io::Error) {
    if !is_disconnect(&e) {
        eprintln!("echo: accept failed: {e}");
    }
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

/// `echo [ADDR [DEADLINE_SECONDS]]`; the error is the usage text.
fn parse_args() -> Result<(String, Duration), String> {
    let usage = format!("usage: echo [ADDR [DEADLINE_SECONDS]]   (default {DEFAULT_ADDR}, 5 s)");
    let mut args = std::env::args().skip(1);
    let addr = match args.next() {
        None => DEFAULT_ADDR.to_string(),
        Some(a) if a == "-h" || a == "--help" => return Err(usage),
        Some(a) => a,
    };
    let deadline = match args.next() {
        None => DEFAULT_DEADLINE,
        Some(s) => match s.parse::<f64>() {
            Ok(secs) if secs >= 0.0 && secs.is_finite() => Duration::from_secs_f64(secs),
            _ => return Err(format!("echo: {s:?} is not a number of seconds\n{usage}")),
        },
    };
    if args.next().is_some() {
        return Err(usage);
    }
    // Checked here so that a typo is a usage error, not a resolver error; host names
    // (`localhost:7878`) are fine too, bind resolves them.
    if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
        return Err(format!("echo: {addr:?} is not an address like 127.0.0.1:7878\n{usage}"));
    }
    Ok((addr, deadline))
}
