//! crest's sockets: TCP, UDP and Unix sockets on nonblocking file descriptors, driven by
//! crest's edge-triggered epoll driver.
//!
//! ```
//! use crest::io::{AsyncReadExt, AsyncWriteExt};
//! use crest::net::{TcpListener, TcpStream};
//!
//! crest::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let server = crest::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         let mut buf = [0; 4];
//!         stream.read_exact(&mut buf).await?;
//!         stream.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     client.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     server.await.unwrap()
//! })?;
//! # std::io::Result::Ok(())
//! ```
//!
//! This crate owns the socket types: [`TcpListener`], [`TcpStream`] (and its halves in
//! [`tcp`]), the [`TcpSocket`] builder, [`UdpSocket`], [`UnixListener`] and [`UnixStream`]
//! (and its halves in [`unix`]). Each wraps a std socket in `crest::io::Async`, which holds
//! its readiness; the syscalls std lacks (`accept4`, nonblocking `connect`, `MSG_NOSIGNAL`
//! sends, socket options) live in `crest_runtime::sys::socket`.
//!
//! Rules every type here follows:
//! * Sockets are created inside a runtime (a clear panic outside one, as in tokio), are
//!   `Send + Sync + Unpin`, and are born nonblocking and close-on-exec.
//! * Writes never raise `SIGPIPE`: a write to a closed peer is `Err` (`BrokenPipe` or
//!   `ConnectionReset`), not a dead process.
//! * Addresses are std's [`ToSocketAddrs`]: a literal address costs nothing, but a host
//!   name is resolved by the system resolver *on the calling thread*, which blocks it.
//!   Resolve names ahead of time (or in `crest::task::spawn_blocking`) in a latency-bound
//!   server.
//!
//! What this crate does not do: own any state beyond the socket. Readiness, wakers and
//! timers belong to `crest-runtime`.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]

mod backoff;
mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use std::net::ToSocketAddrs;
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

use std::io;
use std::net::SocketAddr;

/// Resolves `addr` up front, so that no resolver iterator is held across an `.await` (the
/// futures stay `Send` whatever the iterator is).
pub(crate) fn resolve(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    Ok(addr.to_socket_addrs()?.collect())
}

/// Tries `op` on each address in turn; the first success wins, otherwise the last error is
/// returned (or `InvalidInput` when there was no address at all).
pub(crate) async fn each_addr<T, F, Fut>(addrs: Vec<SocketAddr>, mut op: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in addrs {
        match op(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_traits<T: Send + Sync + Unpin + std::fmt::Debug>() {}

    #[test]
    fn socket_types_are_send_sync_unpin() {
        assert_traits::<TcpListener>();
        assert_traits::<TcpStream>();
        assert_traits::<TcpSocket>();
        assert_traits::<tcp::OwnedReadHalf>();
        assert_traits::<tcp::OwnedWriteHalf>();
        assert_traits::<tcp::ReadHalf<'static>>();
        assert_traits::<tcp::WriteHalf<'static>>();
        assert_traits::<UdpSocket>();
        assert_traits::<UnixListener>();
        assert_traits::<UnixStream>();
        assert_traits::<UnixDatagram>();
        assert_traits::<unix::OwnedReadHalf>();
        assert_traits::<unix::OwnedWriteHalf>();
    }
}
