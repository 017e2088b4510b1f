//! Unix domain stream sockets: [`UnixListener`], [`UnixStream`] and its halves.
//!
//! The same design as TCP: each type wraps std's socket in `crest::io::Async`; stream reads
//! and writes take the short-transfer shortcut, writes pass `MSG_NOSIGNAL`, and `accept`
//! backs off after running out of descriptors.

mod listener;
mod split;
mod stream;

pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;
