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

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// The largest request line plus header block.
const MAX_HEAD: usize = 64 * 1024;

/// The input buffer's first size; it grows (to about twice [`MAX_HEAD`] at most) only
/// for large header blocks.
const READ_BUF: usize = 8 * 1024;

/// How long a request may stay half-received before the client gets a 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to keep reading (and dropping) what a client still sends after we decided to
/// close, so that closing with unread input does not reset the connection before the
/// client has read our last answer.
const LINGER: Duration = Duration::from_secs(1);

/// How long the accept loop rests after an error such as EMFILE before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

const HELLO: &[u8] = b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\n\r\nHello, World!";
const HELLO_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\nConnection: close\r\n\r\nHello, World!";
/// For HTTP/1.0 clients that asked for keep-alive: they need to be told it holds.
const HELLO_KEEP_ALIVE: &[u8] =
    b"HTTP/1.1 200 OK\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
Content-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!";
const BODY: &[u8] = b"Hello, World!";

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
            Err(e) => {
                eprintln!("http_hello: accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
                crest::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }

    // Refuse new connections, tell the open ones to finish, give them until the deadline.
    drop(listener);
    drop(stop);
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

/// The connection's input: `buf[start..end]` is received and not yet answered.
struct Input {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Body bytes of the last request still to skip.
    body_left: u64,
    /// How many bytes after `start` are known not to finish the header block, so that a
    /// head arriving a byte at a time is scanned once, not once per byte.
    scanned: usize,
}

impl Input {
    fn new() -> Input {
        Input { buf: vec![0; READ_BUF], start: 0, end: 0, body_left: 0, scanned: 0 }
    }

    /// Whether part of a request (or of its body) has arrived and the rest has not.
    fn is_mid_request(&self) -> bool {
        self.start < self.end || self.body_left > 0
    }

    /// Room to read into: moves what is pending to the front, or grows the buffer when a
    /// pending head fills it (bounded: a head over [`MAX_HEAD`] is refused before then).
    fn spare(&mut self) -> &mut [u8] {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// Appends the answer to every complete request to `out`; `true` when the connection
    /// is to be closed after `out` is written.
    fn answer(&mut self, out: &mut Vec<u8>) -> bool {
        loop {
            if self.body_left > 0 {
                let skip = self.body_left.min((self.end - self.start) as u64);
                self.start += skip as usize;
                self.body_left -= skip;
                if self.body_left > 0 {
                    return false;
                }
            }
            let pending = &self.buf[self.start..self.end];
            if pending.is_empty() {
                return false;
            }
            let Some(head_len) = head_end(pending, self.scanned) else {
                if pending.len() > MAX_HEAD {
                    error_response(out, Status::TooLarge, "the header block is over 64 KiB");
                    return true;
                }
                self.scanned = pending.len();
                return false;
            };
            if head_len > MAX_HEAD {
                error_response(out, Status::TooLarge, "the header block is over 64 KiB");
                return true;
            }
            self.scanned = 0;
            match parse_head(&pending[..head_len]) {
                Ok(request) => {
                    self.start += head_len;
                    self.body_left = request.content_length;
                    out.extend_from_slice(match (request.keep_alive, request.http10) {
                        (false, _) => HELLO_CLOSE,
                        (true, false) => HELLO,
                        (true, true) => HELLO_KEEP_ALIVE,
                    });
                    if request.head {
                        out.truncate(out.len() - BODY.len());
                    }
                    if !request.keep_alive {
                        return true;
                    }
                }
                Err((status, why)) => {
                    error_response(out, status, why);
                    return true;
                }
            }
        }
    }
}

/// The length of the head at the front of `buf` (leading empty lines, the request line,
/// the header lines and the empty line that ends them), once it has all arrived. The
/// first `scanned` bytes are known to hold no end.
fn head_end(buf: &[u8], scanned: usize) -> Option<usize> {
    // Empty lines before the request line are skipped (RFC 9112 §2.2), not an end.
    let lead = buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
    let from = scanned.saturating_sub(3).max(lead);
    let mut i = from;
    while let Some(nl) = buf[i..].iter().position(|&b| b == b'\n') {
        let after = i + nl + 1;
        match buf.get(after) {
            Some(b'\n') => return Some(after + 1),
            Some(b'\r') if buf.get(after + 1) == Some(&b'\n') => return Some(after + 2),
            Some(_) => i = after,
            // The next byte decides; it has not come yet.
            None => return None,
        }
    }
    None
}

/// What the server needs of one request head.
#[derive(Debug, PartialEq)]
struct Request {
    content_length: u64,
    keep_alive: bool,
    http10: bool,
    /// A `HEAD` request: the answer has no body.
    head: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Status {
    BadRequest,
    RequestTimeout,
    TooLarge,
    NotImplemented,
    VersionNotSupported,
}

/// Parses a complete head (as found by [`head_end`]); the error is the status and reason
/// to answer with.
fn parse_head(head: &[u8]) -> Result<Request, (Status, &'static str)> {
    let bad = |why| Err((Status::BadRequest, why));
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .skip_while(|line| line.is_empty());

    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad("the request line is not `METHOD TARGET HTTP/1.1`");
    };
    if method.is_empty() || !method.iter().all(|&b| is_token(b)) {
        return bad("the method is not a token");
    }
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return bad("the request target is empty or has control characters");
    }
    let http10 = match version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        v if v.starts_with(b"HTTP/") && v.len() == 8 && v[5].is_ascii_digit() && v[7].is_ascii_digit() => {
            return Err((Status::VersionNotSupported, "only HTTP/1.0 and HTTP/1.1 are spoken here"));
        }
        _ => return bad("the version is not HTTP/1.1"),
    };

    let mut request = Request { content_length: 0, keep_alive: !http10, http10, head: method == b"HEAD" };
    let mut content_length = None;
    for line in lines {
        if line.is_empty() {
            break;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return bad("header lines may not be folded");
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return bad("a header line has no colon");
        };
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return bad("a header name is not a token");
        }
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return bad("a header value has control characters");
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let Some(length) = parse_length(value) else {
                return bad("Content-Length is not a number");
            };
            if content_length.is_some_and(|seen| seen != length) {
                return bad("two different Content-Lengths");
            }
            content_length = Some(length);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            return Err((Status::NotImplemented, "Transfer-Encoding bodies are not supported"));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(trim) {
                if option.eq_ignore_ascii_case(b"close") {
                    request.keep_alive = false;
                } else if option.eq_ignore_ascii_case(b"keep-alive") && http10 {
                    request.keep_alive = true;
                }
            }
        }
    }
    request.content_length = content_length.unwrap_or(0);
    Ok(request)
}

/// `1*DIGIT`, at most 18 of them (no overflow, and no body is that large).
fn parse_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// RFC 9110's `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Without leading and trailing spaces and tabs.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Appends an error answer that closes the connection.
fn error_response(out: &mut Vec<u8>, status: Status, why: &str) {
    let line = match status {
        Status::BadRequest => "400 Bad Request",
        Status::RequestTimeout => "408 Request Timeout",
        Status::TooLarge => "431 Request Header Fields Too Large",
        Status::NotImplemented => "501 Not Implemented",
        Status::VersionNotSupported => "505 HTTP Version Not Supported",
    };
    let body_len = why.len() + 1;
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {line}\r\nServer: crest\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Length: {body_len}\r\nConnection: close\r\n\r\n{why}\n"
        )
        .as_bytes(),
    );
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
