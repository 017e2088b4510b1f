//! The parent's ends of a child's standard pipes: nonblocking, registered with the driver.
//!
//! What this file does not do: spawn or wait (`command.rs`, `child.rs`).

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll};

use crest_runtime::io::{Async, AsyncRead, AsyncWrite};

/// Makes a std pipe end nonblocking and registers it with the current runtime.
fn register(fd: OwnedFd) -> io::Result<Async<File>> {
    Async::new(File::from(fd))
}

macro_rules! pipe_end {
    ($(#[$doc:meta])* $name:ident, $std:ty) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            inner: Async<File>,
        }

        impl $name {
            pub(crate) fn from_std(pipe: $std) -> io::Result<$name> {
                Ok($name { inner: register(OwnedFd::from(pipe))? })
            }

            /// Gives the pipe's fd back, deregistered and still nonblocking: to pass it to
            /// another child as its standard stream (`Stdio::from(fd)`), for instance.
            ///
            /// # Errors
            /// When deregistering fails.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                Ok(OwnedFd::from(self.inner.into_inner()?))
            }

            /// The pipe as a [`Stdio`] for another child, deregistered. The other child
            /// gets a nonblocking pipe end, which most programs handle (`cat`, `grep`), but
            /// some may report `EAGAIN`.
            ///
            /// # Errors
            /// When deregistering fails.
            pub fn into_stdio(self) -> io::Result<Stdio> {
                Ok(Stdio::from(self.into_owned_fd()?))
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.as_raw_fd()
            }
        }
    };
}

pipe_end!(
    /// The child's standard input, for the parent to write: [`AsyncWrite`]. Dropping it
    /// gives the child EOF ([`Child::wait`](crate::process::Child::wait) drops it first).
    ChildStdin,
    std::process::ChildStdin
);
pipe_end!(
    /// The child's standard output, for the parent to read: [`AsyncRead`].
    ChildStdout,
    std::process::ChildStdout
);
pipe_end!(
    /// The child's standard error, for the parent to read: [`AsyncRead`].
    ChildStderr,
    std::process::ChildStderr
);

impl AsyncWrite for ChildStdin {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// A pipe cannot be half-closed: drop the `ChildStdin` to give the child EOF.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ChildStdout {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}
