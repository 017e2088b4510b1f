//! The protocol code every server under load runs, whatever its runtime: the echo loop, the
//! HTTP/1.1 keep-alive loop and the byte functions under them, the listener, and the
//! command line of the `serve_*` peers.
//!
//! Each peer (`src/bin/serve_crest.rs`, `serve_tokio.rs`, `serve_smol.rs`, `serve_epoll.rs`)
//! and the load and memory benchmarks include this file with `#[path]`, so that all of them
//! compile the very same code; a runtime only supplies [`Conn`] (three methods that forward
//! to its socket type) and an accept loop. The hand-rolled epoll floor uses the byte
//! functions ([`HttpInput`]) directly.
//!
//! Included by several crates, each of which uses a part of it.
#![allow(dead_code)]

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// An echo connection's buffer: larger than any message of the benchmark, so that a read
/// moving fewer bytes than this tells a runtime that the socket is drained (the
/// short-read shortcut crest and tokio both take).
pub const ECHO_BUF: usize = 16 * 1024;

/// The first size of an HTTP connection's input buffer; it grows for large heads only.
pub const HTTP_BUF: usize = 8 * 1024;

/// The largest request head the HTTP peer accepts.
pub const MAX_HEAD: usize = 64 * 1024;

/// What the load generator sends per HTTP request (a curl-like GET).
pub const HTTP_REQUEST: &[u8] =
    b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: crest-load/1\r\nAccept: */*\r\n\r\n";

/// The answer to every good keep-alive request; the load generator expects exactly this many
/// bytes back per request.
pub const HTTP_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\n\r\nHello, World!";

const HTTP_RESPONSE_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\nConnection: close\r\n\r\nHello, World!";

const HTTP_BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nServer: bench\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// A connected stream as the shared loops see it. Each peer implements it for its
/// runtime's TCP stream by forwarding to that runtime's own methods.
pub trait Conn {
    /// Reads what is there, at most `buf.len()` bytes; 0 at end of stream.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + Send + 'a;
    /// Writes all of `buf`.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + Send + 'a;
}

/// Echoes one connection until the peer closes it.
///
/// The first read lands in a small array inside the task, and the 16 KiB buffer is
/// allocated only once bytes have arrived: an idle connection then costs what the runtime
/// spends on it (what the memory benchmark measures), not 16 KiB. (Waiting with a
/// `readable()` first is not enough: tokio's may return on a fresh connection before any
/// byte arrived, as its documentation allows.) Under load this changes nothing: it is the
/// first message only.
pub async fn echo<C: Conn>(mut conn: C) -> io::Result<()> {
    let mut first = [0u8; 64];
    let n = conn.read(&mut first).await?;
    if n == 0 {
        return Ok(());
    }
    conn.write_all(&first[..n]).await?;
    let mut buf = vec![0u8; ECHO_BUF];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n]).await?;
    }
}

/// Serves one accepted connection in `mode` (echo or HTTP); an error other than the peer
/// going away is printed with the server's name, `who`.
pub async fn serve<C: Conn>(mode: Mode, conn: C, who: &str) {
    let served = match mode {
        Mode::Http => http(conn).await,
        _ => echo(conn).await,
    };
    if let Err(e) = served {
        if !is_disconnect(&e) {
            eprintln!("{who}: {e}");
        }
    }
}

/// Serves HTTP/1.1 keep-alive requests on one connection until the peer closes it or asks
/// to; every request gets [`HTTP_RESPONSE`], pipelined requests one answer each, written
/// together.
pub async fn http<C: Conn>(mut conn: C) -> io::Result<()> {
    let mut input = HttpInput::new();
    let mut out = Vec::with_capacity(1024);
    loop {
        let n = conn.read(input.spare()).await?;
        if n == 0 {
            return Ok(());
        }
        input.filled(n);
        let close = input.answer(&mut out);
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if close {
            return Ok(());
        }
    }
}

/// Errors that mean the peer went away: not worth a line on stderr.
pub fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

/// One HTTP connection's input: `buf[start..end]` is received and not yet answered.
pub struct HttpInput {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Body bytes of the last request still to skip.
    body_left: usize,
}

impl Default for HttpInput {
    fn default() -> Self {
        HttpInput::new()
    }
}

impl HttpInput {
    pub fn new() -> HttpInput {
        HttpInput { buf: vec![0; HTTP_BUF], start: 0, end: 0, body_left: 0 }
    }

    /// Room to read into: moves pending bytes to the front, or grows the buffer when a
    /// pending head fills it (never past twice [`MAX_HEAD`]: [`HttpInput::answer`] refuses
    /// larger heads first).
    pub fn spare(&mut self) -> &mut [u8] {
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

    /// Records that `n` bytes were read into [`HttpInput::spare`].
    pub fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// Appends the answer to every complete request to `out`; `true` when the connection
    /// is to be closed once `out` is written.
    pub fn answer(&mut self, out: &mut Vec<u8>) -> bool {
        loop {
            if self.body_left > 0 {
                let skip = self.body_left.min(self.end - self.start);
                self.start += skip;
                self.body_left -= skip;
                if self.body_left > 0 {
                    return false;
                }
            }
            let pending = &self.buf[self.start..self.end];
            let Some(head_len) = head_end(pending) else {
                if pending.len() > MAX_HEAD {
                    out.extend_from_slice(HTTP_BAD_REQUEST);
                    return true;
                }
                return false;
            };
            match parse_head(&pending[..head_len]) {
                Some(request) => {
                    self.start += head_len;
                    self.body_left = request.content_length;
                    if request.keep_alive {
                        out.extend_from_slice(HTTP_RESPONSE);
                    } else {
                        out.extend_from_slice(HTTP_RESPONSE_CLOSE);
                        return true;
                    }
                }
                None => {
                    out.extend_from_slice(HTTP_BAD_REQUEST);
                    return true;
                }
            }
        }
    }
}

/// The length of the head at the front of `buf` (through the empty line), once complete.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// What the server needs to know of a request.
struct Request {
    content_length: usize,
    keep_alive: bool,
}

/// Parses a complete head: the request line must have three parts and an HTTP/1.x
/// version; headers must have a colon. `None` for a bad request.
fn parse_head(head: &[u8]) -> Option<Request> {
    let mut lines = head.split(|&b| b == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let mut parts = lines.next()?.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if method.is_empty() || target.is_empty() {
        return None;
    }
    let mut request = match version {
        b"HTTP/1.1" => Request { content_length: 0, keep_alive: true },
        b"HTTP/1.0" => Request { content_length: 0, keep_alive: false },
        _ => return None,
    };
    for line in lines.take_while(|line| !line.is_empty()) {
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"content-length") {
            if value.is_empty() || value.len() > 12 || !value.iter().all(u8::is_ascii_digit) {
                return None;
            }
            request.content_length = value.iter().fold(0, |n, &d| n * 10 + usize::from(d - b'0'));
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if option.eq_ignore_ascii_case(b"close") {
                    request.keep_alive = false;
                } else if option.eq_ignore_ascii_case(b"keep-alive") {
                    request.keep_alive = true;
                }
            }
        }
    }
    Some(request)
}

/// A listening socket on 127.0.0.1 (`port` 0: any free port) with a backlog of 1024, made
/// the same way for every runtime (std's `TcpListener::bind` uses a smaller backlog, which
/// would make 1,000 quick connects stall on SYN retries). Blocking; each runtime makes it
/// nonblocking its own way.
pub fn listener(port: u16) -> io::Result<TcpListener> {
    // SAFETY: socket() has no memory-safety preconditions; the result is checked below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket() and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let listener = TcpListener::from(fd);
    let one: libc::c_int = 1;
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr { s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be() },
        sin_zero: [0; 8],
    };
    use std::os::fd::AsRawFd;
    let raw = listener.as_raw_fd();
    // SAFETY: `raw` is a live socket; the option value and address point to live values
    // of the sizes passed.
    let ok = unsafe {
        libc::setsockopt(
            raw,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ) == 0
            && libc::bind(
                raw,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            ) == 0
            && libc::listen(raw, 1024) == 0
    };
    if !ok {
        return Err(io::Error::last_os_error());
    }
    Ok(listener)
}

/// Raises this process's soft limit on open files to its hard limit (10,000 idle
/// connections need more than the usual 1,024).
pub fn raise_nofile() -> io::Result<libc::rlim_t> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit for the kernel to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    limit.rlim_cur = limit.rlim_max;
    // SAFETY: `limit` is a live, initialised rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(limit.rlim_cur)
}

/// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmHWM`); `pid` None: this process.
pub fn status_kb(pid: Option<u32>, field: &str) -> io::Result<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path)?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("no {field} in status")))
}

/// What a `serve_*` peer is asked to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Echo,
    Http,
    /// Spawn this many tasks that each sleep an hour; print the resident memory before and
    /// after (`rss_kb BEFORE AFTER`), then exit.
    Sleepers(usize),
}

/// `serve_RUNTIME (echo|http|sleepers N) WORKERS`: the peers' command line.
pub struct Args {
    pub mode: Mode,
    pub workers: usize,
}

impl Args {
    /// Parses the command line; exits with the usage text when it is wrong.
    pub fn parse() -> Args {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let parsed = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["echo", workers] => workers.parse().ok().map(|w| (Mode::Echo, w)),
            ["http", workers] => workers.parse().ok().map(|w| (Mode::Http, w)),
            ["sleepers", n, workers] => {
                n.parse().ok().zip(workers.parse().ok()).map(|(n, w)| (Mode::Sleepers(n), w))
            }
            _ => None,
        };
        match parsed {
            Some((mode, workers)) if workers > 0 => Args { mode, workers },
            _ => {
                eprintln!("usage: serve_RUNTIME (echo|http|sleepers N) WORKERS");
                std::process::exit(2);
            }
        }
    }
}

/// Announces the listening address on stdout, the line the benchmarks wait for.
pub fn announce(addr: SocketAddr) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {addr}");
    let _ = out.flush();
}

/// Waits until all `n` sleepers have been polled (each counts itself in `started`), lets
/// the runtime settle for a moment, then prints the sleepers' line: resident memory before
/// (`before_kb`) and now, in kB, and the time the spawn loop took.
pub fn report_sleepers(
    before_kb: u64,
    started: &std::sync::atomic::AtomicUsize,
    n: usize,
    spawn: Duration,
) -> io::Result<()> {
    wait_until(|| started.load(std::sync::atomic::Ordering::Relaxed) == n);
    std::thread::sleep(Duration::from_millis(100));
    let after_kb = status_kb(None, "VmRSS")?;
    println!("rss_kb {before_kb} {after_kb} spawn_ns {}", spawn.as_nanos());
    Ok(())
}

/// How long a sleeper sleeps: longer than any benchmark runs.
pub const SLEEP: Duration = Duration::from_secs(3600);

/// Waits (by polling `done`, with `pause` between looks) until `done` returns true; gives up
/// after a minute.
pub fn wait_until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

#[cfg(test)]
mod tests {
    // A bench target with `harness = false` compiles this module without its tests.
    #[allow(unused_imports)]
    use super::*;

    #[test]
    fn answers_each_request() {
        let mut input = HttpInput::new();
        let req = [HTTP_REQUEST, HTTP_REQUEST].concat();
        let spare = input.spare();
        spare[..req.len()].copy_from_slice(&req);
        input.filled(req.len());
        let mut out = Vec::new();
        assert!(!input.answer(&mut out));
        assert_eq!(out, [HTTP_RESPONSE, HTTP_RESPONSE].concat());
    }

    #[test]
    fn bad_and_closing_requests_close() {
        let mut out = Vec::new();
        let mut input = HttpInput::new();
        let req = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
        input.spare()[..req.len()].copy_from_slice(req);
        input.filled(req.len());
        assert!(input.answer(&mut out));
        let mut input = HttpInput::new();
        let req = b"nonsense\r\n\r\n";
        input.spare()[..req.len()].copy_from_slice(req);
        input.filled(req.len());
        out.clear();
        assert!(input.answer(&mut out));
        assert!(out.starts_with(b"HTTP/1.1 400"));
    }
}
