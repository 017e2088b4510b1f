//! A TCP proxy: every connection to LISTEN is joined to a new connection to UPSTREAM, and
//! bytes are copied both ways until both sides are done.
//!
//! ```text
//! $ cargo run --release --example echo                                  # an upstream
//! $ cargo run --release --example proxy -- 127.0.0.1:7000 127.0.0.1:7878
//! listening on 127.0.0.1:7000, forwarding to 127.0.0.1:7878
//! ```
//!
//! Talk to the upstream through it with `nc`:
//!
//! ```text
//! $ nc 127.0.0.1 7000
//! hello through the proxy
//! hello through the proxy
//! ```
//!
//! A half-close is passed on: when one side shuts down its writing half (`nc -N` at the end
//! of its input), the proxy shuts down the writing half toward the other side once the bytes
//! before it have gone through, and keeps copying the other way. An error on either side
//! (a reset) closes both. An upstream that refuses, or does not answer within 10 s, is
//! reported on stderr and the client's connection is closed.
//!
//! Each connection is one task that runs `crest::io::copy_bidirectional` over
//! `&TcpStream`, with one buffer per direction allocated once.
//!
//! SIGINT (ctrl-c) or SIGTERM stops it cleanly: it stops accepting (new connections are
//! refused), stops reading from each client (a `shutdown(SHUT_RD)`: what the client sent
//! before is still forwarded, then the upstream sees EOF), forwards the upstream's answers
//! to the end, and exits 0 once every connection has ended; connections still open after
//! the deadline (default 5 s, `proxy LISTEN UPSTREAM SECONDS`) are dropped and it exits 1.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use crest::net::{TcpListener, TcpStream};
use crest::signal::unix::{signal, SignalKind};
use futures_lite::future;

/// How long a connection to the upstream may take before the client is turned away.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

#[crest::main]
async fn main() {
    let (listen, upstream, deadline) = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    // Resolved once: a name lookup blocks, and the upstream does not move.
    let upstream_addrs: Arc<[SocketAddr]> = match upstream.to_socket_addrs() {
        Ok(addrs) => addrs.collect(),
        Err(e) => {
            eprintln!("proxy: cannot resolve upstream {upstream}: {e}");
            std::process::exit(1);
        }
    };
    if upstream_addrs.is_empty() {
        eprintln!("proxy: upstream {upstream} resolves to no address");
        std::process::exit(1);
    }
    let listener = match TcpListener::bind(listen.as_str()).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("proxy: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}, forwarding to {upstream}"),
        Err(_) => println!("listening on {listen}, forwarding to {upstream}"),
    }

    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        eprintln!("proxy: cannot listen for SIGTERM/SIGINT");
        std::process::exit(1);
    };
    // Closing this channel (dropping `stop`) tells every connection to finish.
    let (stop, stopping) = async_channel::bounded::<()>(1);
    let mut connections = Vec::new();
    let upstream: Arc<str> = upstream.into();
    loop {
        let signalled = async {
            future::or(term.recv(), int.recv()).await;
            None
        };
        let Some(accepted) = future::or(signalled, async { Some(listener.accept().await) }).await else {
            break;
        };
        match accepted {
            Ok((client, peer)) => {
                let (upstream, addrs) = (upstream.clone(), upstream_addrs.clone());
                let stopping = stopping.clone();
                connections.retain(|c: &crest::task::JoinHandle<()>| !c.is_finished());
                connections.push(crest::spawn(async move {
                    let connect = crest::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addrs[..]));
                    let server = match connect.await {
                        Ok(Ok(server)) => server,
                        Ok(Err(e)) => {
                            eprintln!("proxy: {peer}: upstream {upstream} refused: {e}; closing the client");
                            return;
                        }
                        Err(_) => {
                            eprintln!(
                                "proxy: {peer}: upstream {upstream} did not answer within \
                                 {CONNECT_TIMEOUT:?}; closing the client"
                            );
                            return;
                        }
                    };
                    // On a stop, reads from the client end (EOF) after what it already sent;
                    // the splice then finishes on its own.
                    let stop_reading = async {
                        let _ = stopping.recv().await;
                        let _ = client.shutdown(Shutdown::Read);
                        future::pending().await
                    };
                    if let Err(e) = future::or(splice(&client, &server), stop_reading).await {
                        if !is_disconnect(&e) {
                            eprintln!("proxy: {peer}: {e}");
                        }
                    }
                }));
            }
            Err(e) if is_disconnect(&e) => {}
            // Out of descriptors or memory: log and go on; the listener's next `accept`
            // waits out its own back-off, so this loop does not spin.
            Err(e) => eprintln!("proxy: accept failed: {e}"),
        }
    }

    // Refuse new connections, stop reading from clients, let the rest drain.
    drop(listener);
    drop(stop);
    // Those that ended since the last accept are gone already: count the rest.
    connections.retain(|c| !c.is_finished());
    eprintln!("proxy: stopping; {} connection(s) finishing", connections.len());
    let finished = crest::time::timeout(deadline, async {
        for connection in connections {
            let _ = connection.await;
        }
    });
    if finished.await.is_err() {
        eprintln!("proxy: connections still open after {deadline:?}; closing them");
        std::process::exit(1);
    }
    eprintln!("proxy: stopped cleanly");
}

/// Copies both ways until both directions have ended (`crest::io::copy_bidirectional`
/// passes each half-close on); the first error, if any. Both sockets close when the
/// task ends.
async fn splice(client: &TcpStream, server: &TcpStream) -> io::Result<()> {
    // Small request/response exchanges should not wait on Nagle; neither side batches.
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut client, mut server) = (client, server);
    crest::io::copy_bidirectional(&mut client, &mut server).await.map(|_| ())
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
    )
}

/// `proxy LISTEN UPSTREAM [DEADLINE_SECONDS]`; the error is the usage text.
fn parse_args() -> Result<(String, String, Duration), String> {
    let usage =
        "usage: proxy LISTEN UPSTREAM [DEADLINE_SECONDS]   (e.g. proxy 127.0.0.1:7000 127.0.0.1:7878)"
            .to_string();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let deadline = match args.len() {
        3 => match args.pop().and_then(|s| s.parse::<f64>().ok()) {
            Some(secs) if secs >= 0.0 && secs.is_finite() => Duration::from_secs_f64(secs),
            _ => return Err(format!("proxy: the deadline is not a number of seconds\n{usage}")),
        },
        _ => DEFAULT_DEADLINE,
    };
    let [listen, upstream] = <[String; 2]>::try_from(args).map_err(|_| usage.clone())?;
    for addr in [&listen, &upstream] {
        if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
            return Err(format!("proxy: {addr:?} is not an address like 127.0.0.1:7000\n{usage}"));
        }
    }
    Ok((listen, upstream, deadline))
}
