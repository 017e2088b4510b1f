//! Reads and writes on connected stream sockets (TCP and Unix), shared by the stream types
//! and their halves.
//!
//! Writes, and TCP reads, go through `Async::poll_stream_io`, the short-transfer shortcut: a
//! write that takes fewer bytes than offered (or a TCP read that returns fewer than asked,
//! with no urgent data pending) also clears readiness, saving the extra syscall that would
//! only say `WouldBlock` (ARCHITECTURE.md, "The short-transfer shortcut"). Unix stream
//! reads do not take it: the kernel ends a Unix read early at a chunk that carried file
//! descriptors or other credentials, with data still queued behind it. Datagram sockets
//! and `accept` use the plain `read_with`/`write_with`.
//!
//! The chaos build (`--cfg crest_chaos`) shortens the length a read or write asks for
//! *before* it is compared with the result, so the shortcut stays sound under it.
//!
//! Writes use `send`/`sendmsg` with `MSG_NOSIGNAL` (std's `write` does not pass it), so a
//! write to a closed peer is `Err(BrokenPipe)`, never a `SIGPIPE`.

use std::io::{self, IoSlice, IoSliceMut, Read};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd};
use std::task::{Context, Poll};

use crest_runtime::io::Async;
use crest_runtime::sys::{chaos, socket};

/// Whether a short read may clear readiness (see the module docs): TCP yes, Unix no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShortRead {
    Clears,
    Keeps,
}

impl ShortRead {
    /// What the socket really is: `Clears` only when the kernel says TCP (`SO_PROTOCOL`).
    /// A `std::net::TcpStream` can hold any fd (`From<OwnedFd>`): a Unix or SCTP stream
    /// socket ends reads early with data still queued, so it must keep readiness, and so
    /// must a socket the kernel will not describe.
    pub(crate) fn of(fd: BorrowedFd<'_>) -> ShortRead {
        match socket::int_option(fd, libc::SOL_SOCKET, libc::SO_PROTOCOL) {
            Ok(libc::IPPROTO_TCP) => ShortRead::Clears,
            _ => ShortRead::Keeps,
        }
    }
}

pub(crate) fn poll_read<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
    short: ShortRead,
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Read,
{
    let len = chaos::short(buf.len());
    let buf = &mut buf[..len];
    match short {
        ShortRead::Clears => io.poll_stream_io(cx, false, len, |mut s| s.read(buf)),
        ShortRead::Keeps => io.poll_read_with(cx, |mut s| s.read(buf)),
    }
}

/// A read into a buffer that may be uninitialised (`recv`, never a `&mut [u8]` over it): on
/// `Ok(n)` the first `n` bytes of `buf` are initialised.
pub(crate) fn poll_read_uninit<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &mut [MaybeUninit<u8>],
    short: ShortRead,
) -> Poll<io::Result<usize>> {
    let len = buf.len();
    match short {
        ShortRead::Clears => io.poll_stream_io(cx, false, len, |s| socket::recv_uninit(s.as_fd(), buf)),
        ShortRead::Keeps => io.poll_read_with(cx, |s| socket::recv_uninit(s.as_fd(), buf)),
    }
}

pub(crate) fn poll_read_vectored<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    bufs: &mut [IoSliceMut<'_>],
    short: ShortRead,
) -> Poll<io::Result<usize>>
where
    for<'a> &'a T: Read,
{
    if short == ShortRead::Keeps {
        return io.poll_read_with(cx, |mut s| s.read_vectored(bufs));
    }
    // Only the first IOV_MAX buffers are used by one call: count just those, or a full
    // transfer would look short and wrongly clear readiness.
    let len = bufs.iter().take(socket::IOV_MAX).map(|b| b.len()).sum();
    io.poll_stream_io(cx, false, len, |mut s| s.read_vectored(bufs))
}

pub(crate) fn poll_write<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    let len = chaos::short(buf.len());
    let buf = &buf[..len];
    io.poll_stream_io(cx, true, buf.len(), |s| socket::send(s.as_fd(), buf))
}

pub(crate) fn poll_write_vectored<T: AsFd>(
    io: &Async<T>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    // `send_vectored` sends at most IOV_MAX buffers: count just those, or a full send
    // would look short and wrongly clear readiness.
    let len = bufs.iter().take(socket::IOV_MAX).map(|b| b.len()).sum();
    io.poll_stream_io(cx, true, len, |s| socket::send_vectored(s.as_fd(), bufs))
}

pub(crate) fn try_read<T: AsFd>(io: &Async<T>, buf: &mut [u8]) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    io.try_read_with(|mut s| s.read(buf))
}

pub(crate) fn try_read_vectored<T: AsFd>(io: &Async<T>, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize>
where
    for<'a> &'a T: Read,
{
    io.try_read_with(|mut s| s.read_vectored(bufs))
}

pub(crate) fn try_write<T: AsFd>(io: &Async<T>, buf: &[u8]) -> io::Result<usize> {
    io.try_write_with(|s| socket::send(s.as_fd(), buf))
}

pub(crate) fn try_write_vectored<T: AsFd>(io: &Async<T>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    io.try_write_with(|s| socket::send_vectored(s.as_fd(), bufs))
}

/// Generates the futures-io impls for a stream type, or a reference to one: `$get` turns
/// `$s: &Self` into the `&TcpStream`/`&UnixStream` whose `poll_*_priv` methods do the work.
macro_rules! stream_traits {
    ($ty:ty, |$s:ident| $get:expr) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = &*self;
                $get.poll_read_priv(cx, buf)
            }

            fn poll_read_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &mut [std::io::IoSliceMut<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = &*self;
                $get.poll_read_vectored_priv(cx, bufs)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = &*self;
                $get.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $s = &*self;
                $get.poll_write_vectored_priv(cx, bufs)
            }

            /// A socket has no user-space buffer: nothing to flush.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts the write side down (`shutdown(Write)`): the peer reads EOF.
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $s = &*self;
                $get.poll_close_priv()
            }
        }
    };
}
pub(crate) use stream_traits;

#[cfg(test)]
mod tests {
    use super::ShortRead;
    use std::os::fd::AsFd;

    #[test]
    fn only_tcp_sockets_may_clear_on_a_short_read() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        assert_eq!(ShortRead::of(listener.as_fd()), ShortRead::Clears);
        assert_eq!(ShortRead::of(client.as_fd()), ShortRead::Clears);
        assert_eq!(ShortRead::of(server.as_fd()), ShortRead::Clears);
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert_eq!(ShortRead::of(a.as_fd()), ShortRead::Keeps);
        let file = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(ShortRead::of(file.as_fd()), ShortRead::Keeps);
    }
}
