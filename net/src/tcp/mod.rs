//! TCP: [`TcpListener`], [`TcpStream`] and its halves, and the [`TcpSocket`] builder.
//!
//! A listener and a stream each wrap a std socket in `crest::io::Async`; the builder holds a
//! bare descriptor until `listen` or `connect` turns it into one of them. The halves of a
//! stream share it through an `Arc` ([`OwnedReadHalf`], [`OwnedWriteHalf`]) or borrow it
//! ([`ReadHalf`], [`WriteHalf`]).

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;
