//! Asynchronous I/O: the futures-io traits, their extension methods, and [`Async`], which
//! makes any file descriptor a future-friendly I/O object.

mod async_fd;
mod copy;

pub use async_fd::Async;
pub use copy::{copy, copy_bidirectional};
pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
