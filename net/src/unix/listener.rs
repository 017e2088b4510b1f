//! [`UnixListener`]: a Unix domain socket listening for connections.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crest_runtime::io::Async;
use crest_runtime::sys::socket;

use super::UnixStream;
use crate::backoff::AcceptBackoff;

/// The backlog of a listener made by [`UnixListener::bind`].
const DEFAULT_BACKLOG: u32 = 1024;

/// A Unix domain stream socket listening for connections.
///
/// ```
/// use crest::io::{AsyncReadExt, AsyncWriteExt};
/// use crest::net::{UnixListener, UnixStream};
///
/// crest::block_on(async {
///     let path = std::env::temp_dir().join(format!("crest-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let mut client = UnixStream::connect(&path).await?;
///     let (mut server, _addr) = listener.accept().await?;
///     client.write_all(b"hi").await?;
///     let mut buf = [0; 2];
///     server.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"hi");
///     std::fs::remove_file(&path)
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// Binding creates the socket file; dropping the listener does not remove it (as in std).
/// `accept` backs off after running out of descriptors as
/// [`TcpListener`](crate::TcpListener#running-out-of-file-descriptors) does.
#[derive(Debug)]
pub struct UnixListener {
    io: Async<std::os::unix::net::UnixListener>,
    backoff: AcceptBackoff,
}

impl UnixListener {
    /// Creates a socket file at `path` and listens on it, with a backlog of 1024. A path
    /// starting with a NUL byte names a socket in Linux's abstract namespace (no file).
    ///
    /// # Errors
    /// `AddrInUse` when the file exists (remove a stale one first), `InvalidInput` for a
    /// path longer than 107 bytes or with a NUL byte inside, `PermissionDenied`, ...
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket::bind_unix(fd.as_fd(), path.as_ref())?;
        socket::listen(fd.as_fd(), DEFAULT_BACKLOG)?;
        UnixListener::from_std(std::os::unix::net::UnixListener::from(fd))
    }

    /// Waits for a connection and accepts it. Returns the stream and the peer's address
    /// (usually unnamed: clients rarely bind). Cancel-safe.
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors (the next call backs off first), or an
    /// error when the runtime has shut down.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.backoff.wait(&self.io).await;
        let res = self.io.read_with(|l| socket::accept_unix(l.as_fd())).await;
        self.backoff.record(&res);
        let stream = std::os::unix::net::UnixStream::from(res?);
        let addr = stream.peer_addr()?;
        // Born nonblocking (`accept4`); registered with the listener's runtime.
        Ok((UnixStream::from_accepted(Async::new_accepted(stream, &self.io)?), addr))
    }

    /// Takes a listening std socket and registers it with the current runtime, making it
    /// nonblocking.
    ///
    /// # Errors
    /// When the descriptor cannot be registered.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener { io: Async::new(listener)?, backoff: AcceptBackoff::default() })
    }

    /// Deregisters the listener and returns the std socket (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_inner()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
