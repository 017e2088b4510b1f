//! [`UnixDatagram`]: a Unix domain datagram socket.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crest_runtime::io::Async;

/// A Unix domain datagram socket: bound to a path, unbound, or one of a connected pair.
///
/// ```
/// use crest::net::UnixDatagram;
///
/// crest::block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"ping").await?;
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// Each call sends or receives one whole datagram; a receive buffer shorter than the
/// datagram gets its start and the rest is lost. Any number of tasks may send and
/// receive on one socket at once.
#[derive(Debug)]
pub struct UnixDatagram {
    io: Async<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// A socket bound to `path` (which must not exist yet).
    ///
    /// # Errors
    /// `AddrInUse` when the path exists; `InvalidInput` for a path too long.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A socket bound to no path: it can send to named sockets, but nobody can answer it
    /// unless it is connected.
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// A pair of connected, unnamed sockets (`socketpair`).
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_std(a)?, UnixDatagram::from_std(b)?))
    }

    /// Takes a std socket and registers it with the current runtime, making it nonblocking.
    ///
    /// # Errors
    /// When the descriptor cannot be registered.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram { io: Async::new(socket)? })
    }

    /// Deregisters the socket and returns the std socket (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// Sets the default peer of [`send`](Self::send) and the only sender
    /// [`recv`](Self::recv) accepts.
    ///
    /// # Errors
    /// `NotFound` or `ConnectionRefused` when no socket is bound at `path`.
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Sends `buf` as one datagram to the socket at `path`; returns the bytes sent.
    ///
    /// # Errors
    /// `NotFound`/`ConnectionRefused` when nobody is bound there; `EMSGSIZE` for a datagram
    /// too large.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        self.io.write_with(|s| s.send_to(buf, path)).await
    }

    /// Receives one datagram and the address of its sender (unnamed for an unbound
    /// sender).
    ///
    /// # Errors
    /// When `recvfrom` fails.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.recv_from(buf)).await
    }

    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Errors
    /// `NotConnected` before [`connect`](Self::connect) (a pair is connected);
    /// `ConnectionRefused` when the peer is gone.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    /// When `recv` fails.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.recv(buf)).await
    }

    /// The address this socket is bound to.
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the connected peer.
    ///
    /// # Errors
    /// `NotConnected` when not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Waits until a datagram can be received (or an error is pending).
    ///
    /// # Errors
    /// When the runtime is shutting down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until a datagram can be sent.
    ///
    /// # Errors
    /// When the runtime is shutting down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// The socket's pending error (`SO_ERROR`), which is cleared.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
