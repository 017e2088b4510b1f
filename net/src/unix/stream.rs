//! [`UnixStream`]: a connected Unix domain stream socket.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crest_runtime::io::Async;
use crest_runtime::sys::socket;

use super::split::split_owned;
use super::{OwnedReadHalf, OwnedWriteHalf};
use crate::stream_io;

/// A connected Unix domain stream socket.
///
/// ```
/// use crest::io::{AsyncReadExt, AsyncWriteExt};
/// use crest::net::UnixStream;
///
/// crest::block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// Readiness follows the contract stated on [`TcpStream`](crate::TcpStream): after
/// [`readable`](Self::readable), [`try_read`](Self::try_read) until `WouldBlock`. Writes
/// never raise `SIGPIPE`. `UnixStream` and `&UnixStream` implement futures-io's
/// `AsyncRead` and `AsyncWrite`; `close()` shuts the write side down.
#[derive(Debug)]
pub struct UnixStream {
    io: Async<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path` (a nonblocking `connect`, then a wait for
    /// writability and a look at `SO_ERROR`).
    ///
    /// # Errors
    /// `NotFound` when no socket file is there, `ConnectionRefused` when nobody listens on
    /// it, `WouldBlock` when the listener's backlog is full (Unix sockets do not queue
    /// connects), `InvalidInput` for a bad path.
    ///
    /// # Panics
    /// Outside a crest runtime.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        let connected = socket::connect_unix(fd.as_fd(), path.as_ref())?;
        let stream = UnixStream::from_std(std::os::unix::net::UnixStream::from(fd))?;
        if !connected {
            stream.writable().await?;
            if let Some(e) = socket::take_error(stream.as_fd())? {
                return Err(e);
            }
        }
        Ok(stream)
    }

    /// A pair of connected, unnamed sockets (`socketpair`).
    ///
    /// # Errors
    /// `EMFILE`/`ENFILE` when out of descriptors.
    ///
    /// # Panics
    /// Outside a crest runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
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
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream { io: Async::new(stream)? })
    }

    /// Wraps a stream that `accept` registered with its listener's driver.
    pub(crate) fn from_accepted(io: Async<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream { io }
    }

    /// Deregisters the stream and returns the std stream (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl` fails.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }

    /// The credentials of the peer process as the kernel recorded them at `connect`
    /// (`SO_PEERCRED`).
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        let (pid, uid, gid) = socket::peer_cred(self.as_fd())?;
        Ok(super::UCred { pid: (pid != 0).then_some(pid), uid, gid })
    }

    /// The address of the peer (unnamed unless it bound one).
    ///
    /// # Errors
    /// When `getpeername` fails.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address (unnamed for a connecting socket or a pair).
    ///
    /// # Errors
    /// When `getsockname` fails.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    /// When `getsockopt` fails.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Shuts down the read side, the write side or both.
    ///
    /// # Errors
    /// `NotConnected` when the peer is gone.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Waits until the stream is readable (data, EOF or an error).
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
    /// use crest::net::UnixStream;
    /// use crest::io::AsyncWriteExt;
    ///
    /// crest::block_on(async {
    ///     let (mut a, b) = UnixStream::pair()?;
    ///     a.write_all(b"hi").await?;
    ///     let mut buf = [MaybeUninit::<u8>::uninit(); 16];
    ///     let n = std::future::poll_fn(|cx| b.poll_read_uninit(cx, &mut buf)).await?;
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
        stream_io::poll_read_uninit(&self.io, cx, buf, stream_io::ShortRead::Keeps)
    }

    /// Waits until the stream is writable (or the peer is gone).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Reads what is there now, without waiting; `Ok(0)` is EOF.
    ///
    /// # Errors
    /// `WouldBlock` when no data is there.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        stream_io::try_read(&self.io, buf)
    }

    /// Writes what fits now, without waiting.
    ///
    /// # Errors
    /// `WouldBlock` when the send buffer is full; `BrokenPipe` when the peer is gone.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        stream_io::try_write(&self.io, buf)
    }

    /// Splits the stream into halves that own it together, for two tasks; see
    /// [`TcpStream::into_split`](crate::TcpStream::into_split). Dropping the write half
    /// shuts the write side down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split_owned(self)
    }

    pub(crate) fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        stream_io::poll_read(&self.io, cx, buf, stream_io::ShortRead::Keeps)
    }

    pub(crate) fn poll_read_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        stream_io::poll_read_vectored(&self.io, cx, bufs, stream_io::ShortRead::Keeps)
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

    pub(crate) fn poll_close_priv(&self) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

crate::stream_io::stream_traits!(UnixStream, |s| s);
crate::stream_io::stream_traits!(&UnixStream, |s| *s);
