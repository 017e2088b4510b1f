//! [`UdpSocket`]: a UDP socket.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crest_runtime::io::Async;

/// A UDP socket: datagrams to and from any address, or, after
/// [`connect`](Self::connect), one peer.
///
/// ```
/// use crest::net::UdpSocket;
///
/// crest::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"ping", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// Each operation moves one whole datagram: a receive into a buffer shorter than the
/// datagram returns the first `buf.len()` bytes and drops the rest. Readiness follows the
/// contract of `TcpStream` (edge-triggered, kept as state, cleared only by `WouldBlock`;
/// datagram sockets never take the short-transfer shortcut). Any number of tasks may send
/// and receive on one socket at once.
#[derive(Debug)]
pub struct UdpSocket {
    io: Async<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a UDP socket to `addr` (port 0: the kernel picks one). When `addr` resolves to
    /// several addresses, each is tried in turn.
    ///
    /// # Errors
    /// The last address's error (`AddrInUse`, ...), or `InvalidInput` when `addr` resolves
    /// to no address.
    ///
    /// # Panics
    /// Outside a crest runtime.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let addrs = crate::resolve(addr)?;
        crate::each_addr(addrs, |addr| async move { UdpSocket::from_std(std::net::UdpSocket::bind(addr)?) })
            .await
    }

    /// Takes a bound std socket and registers it with the current runtime, making it
    /// nonblocking.
    ///
    /// # Errors
    /// When the descriptor cannot be registered.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket { io: Async::new(socket)? })
    }

    /// Deregisters the socket and returns the std socket (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner()
    }

    /// The address the socket is bound to.
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the peer set by [`connect`](Self::connect).
    ///
    /// # Errors
    /// `NotConnected` before `connect`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the socket's peer: [`send`](Self::send) goes there and [`recv`](Self::recv)
    /// takes datagrams from there only. When `addr` resolves to several addresses, each is
    /// tried in turn. Nothing is sent: this never waits.
    ///
    /// # Errors
    /// The last address's error, or `InvalidInput` when `addr` resolves to no address.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = crate::resolve(addr)?;
        crate::each_addr(addrs, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends `buf` as one datagram to the connected peer; returns the bytes sent.
    ///
    /// # Errors
    /// `NotConnected` before [`connect`](Self::connect); `ConnectionRefused` when an earlier
    /// datagram was refused by the peer (an ICMP port unreachable); `EMSGSIZE` for a
    /// datagram too large.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.write_with(|s| s.send(buf)).await
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    /// `ConnectionRefused` when an earlier datagram was refused by the peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.recv(buf)).await
    }

    /// Sends `buf` as one datagram to `target` (its first resolved address).
    ///
    /// # Errors
    /// `InvalidInput` when `target` resolves to no address; `EMSGSIZE` for a datagram too
    /// large; `NetworkUnreachable`, ...
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = crate::resolve(target)?
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))?;
        self.io.write_with(|s| s.send_to(buf, target)).await
    }

    /// Receives one datagram and the address it came from.
    ///
    /// # Errors
    /// When `recvfrom` fails.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.recv_from(buf)).await
    }

    /// Receives the next datagram's bytes and sender without taking it off the queue.
    ///
    /// # Errors
    /// When `recvfrom` fails.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.read_with(|s| s.peek_from(buf)).await
    }

    /// Waits until a datagram can be received (or an error is pending).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until a datagram can be sent.
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Receives a datagram if one is there now, without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when none is there.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_read_with(|s| s.recv_from(buf))
    }

    /// Sends a datagram if there is room now, without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_write_with(|s| s.send_to(buf, target))
    }

    /// Sets `SO_BROADCAST`: allow sending to a broadcast address.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address
    /// `interface` (`Ipv4Addr::UNSPECIFIED`: the kernel picks one).
    ///
    /// # Errors
    /// `EINVAL` when `multiaddr` is not a multicast address; `ENODEV` for an unknown
    /// interface.
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves a group joined with [`join_multicast_v4`](Self::join_multicast_v4).
    ///
    /// # Errors
    /// `EADDRNOTAVAIL` when the group was not joined on that interface.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Whether multicast datagrams this socket sends come back to the sending host's own
    /// members of the group (`IP_MULTICAST_LOOP`, on by default).
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is on.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets the interface multicast datagrams are sent from (`IP_MULTICAST_IF`), by its
    /// address.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_multicast_if_v4(&self, interface: Ipv4Addr) -> io::Result<()> {
        crest_runtime::sys::socket::set_multicast_if_v4(self.as_fd(), interface)
    }

    /// Sets the IP time-to-live (`IP_TTL`).
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}
