//! Unix domain sockets: [`UnixListener`], [`UnixStream`] and its halves, [`UnixDatagram`],
//! and the peer credentials [`UCred`].
//!
//! The same design as TCP: each type wraps std's socket in `crest::io::Async`; stream reads
//! and writes take the short-transfer shortcut, writes pass `MSG_NOSIGNAL`, and `accept`
//! backs off after running out of descriptors.

mod datagram;
mod listener;
mod split;
mod stream;
mod ucred;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
pub use ucred::UCred;
