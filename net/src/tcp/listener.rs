//! [`TcpListener`]: a listening TCP socket.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crest_runtime::io::Async;
use crest_runtime::sys::socket;

use super::{TcpSocket, TcpStream};
use crate::backoff::AcceptBackoff;
use crate::stream_io::ShortRead;

/// The backlog of a listener made by [`TcpListener::bind`].
const DEFAULT_BACKLOG: u32 = 1024;

/// A TCP socket listening for connections.
///
/// ```
/// use crest::io::AsyncWriteExt;
/// use crest::net::{TcpListener, TcpStream};
///
/// crest::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     crest::spawn(async move {
///         loop {
///             let Ok((mut stream, _peer)) = listener.accept().await else { continue };
///             crest::spawn(async move { stream.write_all(b"hello\n").await });
///         }
///     });
///     let stream = TcpStream::connect(addr).await?;
///     stream.readable().await?;
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # Running out of file descriptors
/// When `accept` fails with `EMFILE` or `ENFILE` (or `ENOBUFS`/`ENOMEM`), the pending
/// connection stays queued and the listener stays readable; in tokio and smol, an accept
/// loop that logs and retries then spins at 100% CPU until a descriptor is freed. crest
/// returns the error once, and the *next* `accept` on this listener first sleeps until
/// 50 ms after the failure (a crest timer: the thread runs other tasks meanwhile). A retry
/// loop thus costs about 20 syscalls a second while the process is out of descriptors,
/// loses no connection, and accepts again within 50 ms of a descriptor being freed.
#[derive(Debug)]
pub struct TcpListener {
    io: Async<std::net::TcpListener>,
    backoff: AcceptBackoff,
    /// The protocol of the listening socket, and so of every accepted one (asked once).
    short_read: ShortRead,
}

impl TcpListener {
    /// Binds to `addr` and listens, with `SO_REUSEADDR` set (as std and tokio do) and a
    /// backlog of 1024 (use [`TcpSocket`] for another). When `addr` resolves to several
    /// addresses, each is tried in turn; the first that binds wins.
    ///
    /// # Errors
    /// The last address's error (`AddrInUse`, `AddrNotAvailable`, `PermissionDenied`, ...),
    /// or `InvalidInput` when `addr` resolves to no address. A host name is resolved on
    /// the calling thread (see the crate docs).
    ///
    /// # Panics
    /// Outside a crest runtime.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let addrs = crate::resolve(addr)?;
        crate::each_addr(addrs, |addr| async move {
            let socket = TcpSocket::new_for(&addr)?;
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(DEFAULT_BACKLOG)
        })
        .await
    }

    /// Waits for a connection and accepts it (`accept4`, born nonblocking and
    /// close-on-exec). Returns the new stream and the peer's address.
    ///
    /// Any number of tasks may call `accept` on one listener at once. Cancel-safe: when the
    /// future is dropped, no connection has been taken from the queue.
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors (the next call backs off first; see
    /// [above](#running-out-of-file-descriptors)), `ConnectionAborted` for a connection
    /// reset while queued, or an error when the runtime has shut down. None of them closes
    /// the listener: keep calling `accept`. The back-off is built in, so an accept loop
    /// needs no sleep of its own after an error: log it and call `accept` again.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.backoff.wait(&self.io).await;
        let res = self.io.read_with(|l| socket::accept(l.as_fd())).await;
        self.backoff.record(&res);
        let (fd, addr) = res?;
        // Registered with the listener's runtime, not the current one (there may be none).
        let io = Async::new_accepted(std::net::TcpStream::from(fd), &self.io)?;
        Ok((TcpStream::from_accepted(io, self.short_read), addr))
    }

    /// Takes a listening std socket (bound and listening) and registers it with the current
    /// runtime, making it nonblocking.
    ///
    /// ```
    /// crest::block_on(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = crest::net::TcpListener::from_std(std_listener)?;
    ///     assert_ne!(listener.local_addr()?.port(), 0);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// When the descriptor cannot be registered.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let short_read = ShortRead::of(listener.as_fd());
        Ok(TcpListener { io: Async::new(listener)?, backoff: AcceptBackoff::default(), short_read })
    }

    /// Deregisters the listener and returns the std socket (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    /// The address the listener is bound to (with the port the kernel picked for port 0).
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of accepted connections (`IP_TTL`).
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live (`IP_TTL`).
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
