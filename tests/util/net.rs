//! Helpers for the socket tests: loopback servers and connected pairs, a checksum, a
//! deterministic byte stream, CPU time, and socket paths.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use crest::task::JoinHandle;

/// Binds an echo server on 127.0.0.1 (a free port) and returns its address. Each
/// connection is echoed by its own task until EOF; the server runs until the runtime ends.
pub async fn echo_server() -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = crest::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            crest::spawn(async move {
                let _ = echo(stream).await;
            });
        }
    });
    Ok((addr, server))
}

/// Echoes everything read from `stream` back to it until EOF.
pub async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let mut buf = vec![0; 16 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n as u64;
    }
}

/// A connected loopback pair: (client, server side).
pub async fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, peer) = listener.accept().await?;
    assert_eq!(peer, client.local_addr()?);
    Ok((client, server))
}

/// An address on 127.0.0.1 where nothing listens (a port just freed).
pub fn closed_port() -> io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

/// FNV-1a, continued from `hash` (start with [`FNV_START`]): order-sensitive, so a
/// reordered or repeated chunk changes it.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// A deterministic pseudo-random byte stream (xorshift64), chunk by chunk.
pub struct Pattern(u64);

impl Pattern {
    pub fn new(seed: u64) -> Pattern {
        Pattern(seed | 1)
    }

    /// Fills `buf` (its length a multiple of 8) with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for word in buf.chunks_exact_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            word.copy_from_slice(&self.0.to_le_bytes());
        }
    }
}

/// User plus system CPU time this process has used so far.
pub fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the rusage it is handed; we read it only on success.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let tv =
        |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A fresh path in the temp dir for a Unix socket (removed first if it exists).
pub fn socket_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("crest-{name}-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Makes SIGPIPE kill the process again (Rust ignores it by default), so that a write
/// that forgot `MSG_NOSIGNAL` fails the test binary instead of passing unnoticed.
pub fn restore_default_sigpipe() {
    // SAFETY: installs the default disposition for SIGPIPE; no handler code runs.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// True for the errors a write to a closed peer may give.
pub fn is_peer_gone(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset)
}
