//! [`TcpStream`]: a connected TCP socket.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};
use std::time::Duration;

use crest_runtime::io::Async;
use crest_runtime::sys::socket;

use super::split::{split, split_owned};
use super::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, TcpSocket, WriteHalf};
use crate::stream_io;

/// A connected TCP stream.
///
/// Read and write it with `crest::io::{AsyncReadExt, AsyncWriteExt}` (it implements
/// futures-io's `AsyncRead` and `AsyncWrite`, as does `&TcpStream`), or with the
/// readiness methods below.
///
/// ```
/// use crest::io::{AsyncReadExt, AsyncWriteExt};
/// use crest::net::{TcpListener, TcpStream};
///
/// crest::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///     client.write_all(b"hello").await?;
///     client.close().await?; // shuts down the write side: the server reads EOF
///     let mut got = Vec::new();
///     server.read_to_end(&mut got).await?;
///     assert_eq!(got, b"hello");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # The readiness contract
/// The socket is registered edge-triggered: the kernel reports each change once. crest
/// keeps readiness as state, set when an event arrives and cleared when an operation says
/// `WouldBlock` (or, for reads and writes through the futures-io traits, when one moves
/// fewer bytes than asked, which on a stream socket means the buffer was drained or filled).
/// So:
/// * After [`readable`](Self::readable) returns, call [`try_read`](Self::try_read) until it
///   says `WouldBlock` before waiting again; stopping early is fine (the next `readable`
///   returns at once), but expecting a *new* event for data already there would sleep
///   forever. The same goes for [`writable`](Self::writable) and
///   [`try_write`](Self::try_write).
/// * Readiness may be spurious: `try_read` may still say `WouldBlock`. Then wait again.
/// * One task may read while another writes (see [`into_split`](Self::into_split)); two
///   tasks reading at once get the bytes in an unspecified interleaving.
///
/// Writes never raise `SIGPIPE`: writing to a peer that has gone is
/// `Err(BrokenPipe)` or `Err(ConnectionReset)`.
#[derive(Debug)]
pub struct TcpStream {
    io: Async<std::net::TcpStream>,
    /// `Clears` when the kernel says the socket is TCP (`ShortRead::of`): only then may a
    /// short read clear readiness.
    short_read: stream_io::ShortRead,
}

impl TcpStream {
    /// Connects to `addr`. When it resolves to several addresses, each is tried in turn
    /// (a nonblocking `connect`, then a wait for writability and a look at `SO_ERROR`);
    /// the first that connects wins.
    ///
    /// ```
    /// use crest::net::{TcpListener, TcpStream};
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// The last address's error (`ConnectionRefused` when nothing listens, `TimedOut`,
    /// `NetworkUnreachable`, ...), or `InvalidInput` when `addr` resolves to no address. A
    /// host name is resolved on the calling thread (see the crate docs). There is no
    /// built-in timeout: wrap the call in `crest::time::timeout`.
    ///
    /// # Panics
    /// Outside a crest runtime.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = crate::resolve(addr)?;
        crate::each_addr(addrs, |addr| async move { TcpSocket::new_for(&addr)?.connect(addr).await }).await
    }

    /// Takes a connected std stream and registers it with the current runtime, making it
    /// nonblocking.
    ///
    /// # Errors
    /// When the descriptor cannot be registered.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        // The type says TCP; the fd may be anything (`From<OwnedFd>`): ask the kernel.
        let short_read = stream_io::ShortRead::of(stream.as_fd());
        Ok(TcpStream { io: Async::new(stream)?, short_read })
    }

    /// Wraps a stream that `accept` registered with its listener's driver; it has the
    /// listener's protocol.
    pub(crate) fn from_accepted(
        io: Async<std::net::TcpStream>,
        short_read: stream_io::ShortRead,
    ) -> TcpStream {
        TcpStream { io, short_read }
    }

    /// Deregisters the stream and returns the std stream (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner()
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// `NotConnected` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address of the connection.
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets `TCP_NODELAY`: send small writes at once instead of waiting to coalesce them
    /// (Nagle's algorithm).
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Turns TCP keepalive on, with `idle` before the first probe (`Some`; whole seconds, at
    /// least 1), or off (`None`). The kernel's defaults stay for the probe interval and
    /// count.
    ///
    /// ```
    /// # crest::block_on(async {
    /// let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = crest::net::TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_keepalive(Some(std::time::Duration::from_secs(60)))?;
    /// stream.set_keepalive(None)?;
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_keepalive(&self, idle: Option<Duration>) -> io::Result<()> {
        socket::set_keepalive(self.as_fd(), idle)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes dropping the stream reset the
    /// connection (the peer's next read or write fails with `ConnectionReset`) instead of
    /// closing it gracefully; `None` is the default.
    ///
    /// # Errors
    /// When `setsockopt` fails.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.as_fd(), linger)
    }

    /// The `SO_LINGER` setting.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket::linger(self.as_fd())
    }

    /// Sets the IP time-to-live (`IP_TTL`).
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

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Shuts down the read side, the write side or both. After `Shutdown::Write` the peer
    /// reads EOF once it has read everything sent before; this side can still read.
    ///
    /// # Errors
    /// `NotConnected` when the connection is already gone.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable: data, EOF, or an error to report. Then call
    /// [`try_read`](Self::try_read) until `WouldBlock` (see the readiness contract).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Reads into a buffer that may be uninitialised, as `AsyncRead::poll_read` does into
    /// a `&mut [u8]`: the kernel writes the bytes, so the caller need not zero the buffer
    /// first (crest-hyper reads into hyper's buffer this way). On `Ok(n)` the first `n`
    /// bytes of `buf` are initialised; `Ok(0)` is EOF (or an empty `buf`).
    ///
    /// ```
    /// use std::mem::MaybeUninit;
    /// use crest::net::{TcpListener, TcpStream};
    /// use crest::io::AsyncWriteExt;
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [MaybeUninit::<u8>::uninit(); 16];
    ///     let n = std::future::poll_fn(|cx| server.poll_read_uninit(cx, &mut buf)).await?;
    ///     assert_eq!(n, 2);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// As `poll_read`: `ConnectionReset` and the like, or an error when the runtime has
    /// shut down.
    pub fn poll_read_uninit(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read_uninit(&self.io, cx, buf, stream_io::ShortRead::Clears)
    }

    /// Waits until the stream is writable (or the peer is gone, or an error is pending).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Reads what is there now, without waiting; `Ok(0)` is EOF (or an empty `buf`).
    ///
    /// ```
    /// use crest::net::{TcpListener, TcpStream};
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let mut buf = [0; 16];
    ///     let err = stream.try_read(&mut buf).unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// `WouldBlock` when no data is there (without a syscall if the stream is not known to
    /// be readable); `ConnectionReset` and the like.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        stream_io::try_read(&self.io, buf)
    }

    /// [`try_read`](Self::try_read) into several buffers (`readv`).
    ///
    /// # Errors
    /// As [`try_read`](Self::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        stream_io::try_read_vectored(&self.io, bufs)
    }

    /// Writes what fits now, without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; `BrokenPipe`/`ConnectionReset` when the
    /// peer is gone.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        stream_io::try_write(&self.io, buf)
    }

    /// [`try_write`](Self::try_write) from several buffers (`sendmsg`).
    ///
    /// # Errors
    /// As [`try_write`](Self::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        stream_io::try_write_vectored(&self.io, bufs)
    }

    /// Waits for data and copies it into `buf` without consuming it: the next read returns
    /// the same bytes. `Ok(0)` is EOF.
    ///
    /// ```
    /// use crest::io::{AsyncReadExt, AsyncWriteExt};
    /// use crest::net::{TcpListener, TcpStream};
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     server.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     let n = client.peek(&mut buf).await?;
    ///     client.read_exact(&mut buf[..n]).await?;
    ///     assert_eq!(&buf[..n], &b"hi"[..n]);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// `ConnectionReset` and the like, or when the runtime has shut down.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.read_with(|s| s.peek(buf)).await
    }

    /// Splits the stream into a read half and a write half that own it together, so that
    /// one task can read while another writes. [`OwnedReadHalf::reunite`] puts them back.
    /// Dropping the write half shuts the write side down (the peer reads EOF).
    ///
    /// ```
    /// use crest::io::{AsyncReadExt, AsyncWriteExt};
    /// use crest::net::{TcpListener, TcpStream};
    ///
    /// crest::block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut rd, mut wr) = stream.into_split();
    ///     let writer = crest::spawn(async move {
    ///         wr.write_all(b"ping").await?;
    ///         std::io::Result::Ok(wr)
    ///     });
    ///     let mut buf = [0; 4];
    ///     server.read_exact(&mut buf).await?;
    ///     server.write_all(&buf).await?;
    ///     rd.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     let stream = rd.reunite(writer.await.unwrap()?).unwrap();
    ///     # drop(stream);
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    /// Borrows the stream as a read half and a write half, for use in one task (for
    /// example with `futures::join!`); no allocation. `&TcpStream` does the same job.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split(self)
    }

    pub(crate) fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf, self.short_read)
    }

    pub(crate) fn poll_read_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read_vectored(&self.io, cx, bufs, self.short_read)
    }

    pub(crate) fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        stream_io::poll_write(&self.io, cx, buf)
    }

    pub(crate) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_write_vectored(&self.io, cx, bufs)
    }

    /// `close()`: shut the write side down; `shutdown` never blocks, so no readiness is
    /// needed.
    pub(crate) fn poll_close_priv(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

crate::stream_io::stream_traits!(TcpStream, |s| s);
crate::stream_io::stream_traits!(&TcpStream, |s| *s);
