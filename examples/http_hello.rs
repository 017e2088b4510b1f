//! An HTTP/1.1 server that answers `Hello, World!` to every request: keep-alive, pipelining,
//! and nothing else, for `wrk`-style load against crest.
//!
//! ```text
//! $ cargo run --release --example http_hello        # listens on 127.0.0.1:8080
//! listening on 127.0.0.1:8080
//! $ wrk -t2 -c100 -d10s http://127.0.0.1:8080/
//! ```
//!
//! Or by hand with `nc` (`-C` sends CRLF; bare LF line ends are accepted too):
//!
//! ```text
//! $ printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | nc 127.0.0.1 8080
//! HTTP/1.1 200 OK
//! Server: crest
//! Content-Type: text/plain; charset=utf-8
//! Content-Length: 13
//!
//! Hello, World!HTTP/1.1 200 OK
//! ...
//! ```
//!
//! What it does, per connection: read; answer every complete request in the buffer (the
//! request line and headers up to the empty line; a `Content-Length` body is skipped, even
//! across reads) into one output buffer; write that buffer once; repeat. Both buffers are
//! allocated once per connection. `Connection: close` (or HTTP/1.0 without
//! `Connection: keep-alive`) closes after the answer. A malformed request is answered
//! `400 Bad Request` and the connection closed; so are a header block over 64 KiB (`431`),
//! a request that stalls half-sent for 10 s (`408`) and a chunked body (`501`: this server
//! does not decode them). There is no `Date` header: load generators do not
//! need it, and it would cost a clock read and formatting per second of load.
//!
//! `GET /metrics` answers the runtime's metrics in the Prometheus text exposition format
//! (`crest::runtime::Handle::metrics`; the names are listed in README.md, "Metrics"):
//!
//! ```text
//! $ curl -s http://127.0.0.1:8080/metrics | grep polls
//! # TYPE crest_worker_polls_total counter
//! crest_worker_polls_total{worker="0"} 1841
//! ```
//!
//! SIGINT (ctrl-c) or SIGTERM stops it cleanly: it stops accepting (new connections are
//! refused), answers every request it has started to receive, closes idle keep-alive
//! connections, and exits 0; connections still open after the deadline (default 5 s,
//! `http_hello ADDR SECONDS`) are dropped and it exits 1.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use async_channel::Receiver;
use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use crest::signal::unix::{signal, SignalKind};
use futures_lite::future;

#[path = "http_hello/proto.rs"]
mod proto;
use proto::{error_response, Input, Status};

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// How long a request may stay half-received before the client gets a 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to keep reading (and dropping) what a client still sends after we decided to
/// close, so that closing with unread input does not reset the connection before the
/// client has read our last answer.
const LINGER: Duration = Duration::from_secs(1);

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

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
            eprintln!("http_hello: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(_) => println!("listening on {addr}"),
    }

    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        eprintln!("http_hello: cannot listen for SIGTERM/SIGINT");
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
                    if let Err(e) = serve(stream, stopping).await {
                        if !is_disconnect(&e) {
                            eprintln!("http_hello: {peer}: {e}");
                        }
                    }
                }));
            }
            Err(e) if is_disconnect(&e) => {}
            // Out of descriptors or memory: log and go on; the listener's next `accept`
            // waits out its own back-off, so this loop does not spin.
            Err(e) => eprintln!("http_hello: accept failed: {e}"),
        }
    }

    // Refuse new connections, tell the open ones to finish, give them until the deadline.
    drop(listener);
    drop(stop);
    // Those that ended since the last accept are gone already: count the rest.
    connections.retain(|c| !c.is_finished());
    eprintln!("http_hello: stopping; {} connection(s) finishing", connections.len());
    let finished = crest::time::timeout(deadline, async {
        for connection in connections {
            let _ = connection.await;
        }
    });
    if finished.await.is_err() {
        eprintln!("http_hello: connections still open after {deadline:?}; closing them");
        std::process::exit(1);
    }
    eprintln!("http_hello: stopped cleanly");
}

/// Serves one connection until the client closes, asks to close, or misbehaves, or the
/// server stops: then a request already begun is answered, and an idle connection closes.
async fn serve(stream: TcpStream, stopping: Receiver<()>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut io = &stream;
    let mut input = Input::new();
    input.metrics = Some(|| crest::runtime::Handle::current().metrics().to_string());
    let mut out = Vec::with_capacity(4 * 1024);
    loop {
        let n = if input.is_mid_request() {
            match crest::time::timeout(REQUEST_TIMEOUT, io.read(input.spare())).await {
                Ok(n) => n?,
                Err(_) => {
                    error_response(&mut out, Status::RequestTimeout, "the request did not arrive in time");
                    io.write_all(&out).await?;
                    return linger_close(&stream, input.spare()).await;
                }
            }
        } else {
            // Between requests the stop is polled first: an idle keep-alive connection
            // closes at once.
            let stopped = async {
                let _ = stopping.recv().await;
                None
            };
            match future::or(stopped, async { Some(io.read(input.spare()).await) }).await {
                Some(read) => read?,
                None => return linger_close(&stream, input.spare()).await,
            }
        };
        if n == 0 {
            return Ok(());
        }
        input.filled(n);
        let close = input.answer(&mut out);
        if !out.is_empty() {
            io.write_all(&out).await?;
            out.clear();
        }
        if close {
            return linger_close(&stream, input.spare()).await;
        }
    }
}

/// Half-closes, then reads and drops what the client still sends for up to [`LINGER`], so
/// that the kernel does not answer unread input with a reset that could overtake our
/// last response.
async fn linger_close(stream: &TcpStream, scratch: &mut [u8]) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let mut io = stream;
    let _ = crest::time::timeout(LINGER, async {
        let mut budget = 256 * 1024;
        while budget > 0 {
            match io.read(scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => budget -= n.min(budget),
            }
        }
    })
    .await;
    Ok(())
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

/// `http_hello [ADDR [DEADLINE_SECONDS]]`; the error is the usage text.
fn parse_args() -> Result<(String, Duration), String> {
    let usage = format!("usage: http_hello [ADDR [DEADLINE_SECONDS]]   (default {DEFAULT_ADDR}, 5 s)");
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
            _ => return Err(format!("http_hello: {s:?} is not a number of seconds\n{usage}")),
        },
    };
    if args.next().is_some() {
        return Err(usage);
    }
    if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
        return Err(format!("http_hello: {addr:?} is not an address like 127.0.0.1:8080\n{usage}"));
    }
    Ok((addr, deadline))
}
