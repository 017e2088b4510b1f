//! [`TcpSocket`]: a TCP socket not yet listening or connected, for options that must be set
//! before `bind`, `listen` or `connect`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crest_runtime::sys::socket;
use libc::c_int;

use super::{TcpListener, TcpStream};

/// A TCP socket that is not yet listening or connected: the builder for `SO_REUSEPORT`
/// listeners, a backlog other than 1024, buffer sizes, or a bound source address.
///
/// ```
/// use crest::net::TcpSocket;
///
/// crest::block_on(async {
///     // Two listeners on one port; the kernel spreads connections between them.
///     let first = TcpSocket::new_v4()?;
///     first.set_reuseport(true)?;
///     first.bind("127.0.0.1:0".parse().unwrap())?;
///     let addr = first.local_addr()?;
///     let first = first.listen(128)?;
///
///     let second = TcpSocket::new_v4()?;
///     second.set_reuseport(true)?;
///     second.bind(addr)?;
///     let second = second.listen(128)?;
///     assert_eq!(first.local_addr()?, second.local_addr()?);
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// Creating and configuring a `TcpSocket` needs no runtime; [`listen`](Self::listen) and
/// [`connect`](Self::connect) do (they register the socket with the current one).
#[derive(Debug)]
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (nonblocking, close-on-exec).
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors.
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET)
    }

    /// A new IPv6 TCP socket (nonblocking, close-on-exec). It also accepts IPv4 traffic
    /// unless the system sets `net.ipv6.bindv6only`.
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors, `EAFNOSUPPORT` without IPv6.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET6)
    }

    /// A socket of the family of `addr`.
    pub(crate) fn new_for(addr: &SocketAddr) -> io::Result<TcpSocket> {
        TcpSocket::new(socket::domain_of(addr))
    }

    fn new(domain: c_int) -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::socket(domain, libc::SOCK_STREAM)? })
    }

    /// Sets `SO_REUSEADDR`: bind to a port whose earlier connections are still in
    /// `TIME_WAIT`. [`TcpListener::bind`] sets it, as std and tokio do.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.set_flag(libc::SO_REUSEADDR, reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.flag(libc::SO_REUSEADDR)
    }

    /// Sets `SO_REUSEPORT`: several sockets (of the same user) may bind the same address
    /// and port, and the kernel spreads incoming connections across their listeners. Set it
    /// on every socket before `bind`.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.set_flag(libc::SO_REUSEPORT, reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.flag(libc::SO_REUSEPORT)
    }

    /// Sets `SO_SNDBUF`. Linux doubles the value (for its bookkeeping) and clamps it to
    /// `net.core.wmem_max`; [`send_buffer_size`](Self::send_buffer_size) reports the result.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_int(libc::SO_SNDBUF, size)
    }

    /// The send buffer size (`SO_SNDBUF`) in bytes.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.int(libc::SO_SNDBUF)
    }

    /// Sets `SO_RCVBUF` (doubled and clamped to `net.core.rmem_max`, as for the send buffer).
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set_int(libc::SO_RCVBUF, size)
    }

    /// The receive buffer size (`SO_RCVBUF`) in bytes.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.int(libc::SO_RCVBUF)
    }

    /// Sets `TCP_NODELAY` (no Nagle delay) on the future connection.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        socket::set_int_option(self.fd.as_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY, nodelay.into())
    }

    /// Sets `SO_LINGER`; see [`TcpStream::set_linger`].
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.fd.as_fd(), linger)
    }

    /// Binds the socket to `addr` (port 0: the kernel picks a free port).
    ///
    /// # Errors
    /// `AddrInUse`, `AddrNotAvailable`, `PermissionDenied` (a port below 1024), or
    /// `InvalidInput` for an address of the other family.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        socket::bind(self.fd.as_fd(), &addr)
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// Starts listening with room for `backlog` pending connections (capped by the kernel
    /// at `net.core.somaxconn`) and registers the listener with the current runtime. An
    /// unbound socket listens on an ephemeral port of the wildcard address.
    ///
    /// # Errors
    /// `AddrInUse` when another socket listens on the address without `SO_REUSEPORT`.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        socket::listen(self.fd.as_fd(), backlog)?;
        TcpListener::from_std(std::net::TcpListener::from(self.fd))
    }

    /// Connects to `addr`: a nonblocking `connect`, then waits until the socket is writable
    /// and reads its error (`SO_ERROR`). Dropping the future closes the socket.
    ///
    /// ```
    /// use crest::net::{TcpListener, TcpSocket};
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let socket = TcpSocket::new_v4()?;
    ///     socket.set_nodelay(true)?;
    ///     let stream = socket.connect(listener.local_addr()?).await?;
    ///     assert!(stream.nodelay()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// `ConnectionRefused` when nothing listens there, `TimedOut`, `NetworkUnreachable`,
    /// `AddrNotAvailable` (out of ephemeral ports), ...
    ///
    /// # Panics
    /// Outside a crest runtime.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let connected = socket::connect(self.fd.as_fd(), &addr)?;
        let stream = TcpStream::from_std(std::net::TcpStream::from(self.fd))?;
        if !connected {
            stream.writable().await?;
            if let Some(e) = socket::take_error(stream.as_fd())? {
                return Err(e);
            }
        }
        Ok(stream)
    }

    fn set_flag(&self, name: c_int, on: bool) -> io::Result<()> {
        socket::set_int_option(self.fd.as_fd(), libc::SOL_SOCKET, name, on.into())
    }

    fn flag(&self, name: c_int) -> io::Result<bool> {
        Ok(socket::int_option(self.fd.as_fd(), libc::SOL_SOCKET, name)? != 0)
    }

    fn set_int(&self, name: c_int, value: u32) -> io::Result<()> {
        let value = c_int::try_from(value).unwrap_or(c_int::MAX);
        socket::set_int_option(self.fd.as_fd(), libc::SOL_SOCKET, name, value)
    }

    fn int(&self, name: c_int) -> io::Result<u32> {
        let value = socket::int_option(self.fd.as_fd(), libc::SOL_SOCKET, name)?;
        Ok(u32::try_from(value).unwrap_or(0))
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<OwnedFd> for TcpSocket {
    /// Takes a TCP socket descriptor the caller made. Make it nonblocking first
    /// (`SOCK_NONBLOCK`): [`connect`](TcpSocket::connect) starts the connection before it
    /// registers the socket, and on a blocking socket that start would block the thread.
    fn from(fd: OwnedFd) -> TcpSocket {
        TcpSocket { fd }
    }
}

impl From<TcpSocket> for OwnedFd {
    fn from(socket: TcpSocket) -> OwnedFd {
        socket.fd
    }
}

impl FromRawFd for TcpSocket {
    /// # Safety
    /// `fd` must be an open TCP socket that the caller owns and gives away.
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller hands over ownership of an open descriptor (the contract above).
        TcpSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } }
    }
}

impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}
