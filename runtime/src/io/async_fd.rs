//! `Async<T>`: any file descriptor, nonblocking and registered with the driver.

use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::driver::{Direction, Registration, Waiter};
use crate::runtime::scheduler::context;

/// An I/O object on a nonblocking file descriptor, woken by crest's edge-triggered driver.
///
/// `Async::new` puts the fd in nonblocking mode and registers it once, for reading and
/// writing. Operations run the syscall when the fd is believed ready and wait for the next
/// event when it says `WouldBlock`.
///
/// ```
/// use crest::io::{Async, AsyncReadExt, AsyncWriteExt};
/// use std::os::unix::net::UnixStream;
///
/// crest::block_on(async {
///     let (a, b) = UnixStream::pair()?;
///     let (mut a, mut b) = (Async::new(a)?, Async::new(b)?);
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     std::io::Result::Ok(())
/// })?;
/// # std::io::Result::Ok(())
/// ```
///
/// # The readiness contract
/// The driver registers the fd edge-triggered: the kernel reports each change once. crest
/// therefore keeps readiness as state, set when an event arrives and cleared only when an
/// operation returns `WouldBlock`. If you run syscalls yourself (after
/// [`readable`](Self::readable)), keep going until one says `WouldBlock` — or use
/// [`read_with`](Self::read_with)/[`write_with`](Self::write_with), which do this for you;
/// stopping early with readiness left set is fine (the next wait returns at once), but
/// waiting for a *new* event after a partial drain would sleep forever. Readiness may be
/// spurious: an operation may still say `WouldBlock`.
///
/// Only one task should read and one task write at a time through the `AsyncRead` /
/// `AsyncWrite` impls; `readable`/`writable` may be awaited by any number of tasks.
#[derive(Debug)]
pub struct Async<T: AsFd> {
    io: Option<T>,
    registration: Registration,
}

impl<T: AsFd> Async<T> {
    /// Makes `io` nonblocking and registers it with the current runtime's driver.
    ///
    /// # Errors
    /// `EBADF` for a closed fd, `EPERM` for a file epoll cannot watch (a regular file), or
    /// an error from the driver (out of memory, the runtime shut down).
    ///
    /// # Panics
    /// Outside a runtime context.
    #[track_caller]
    pub fn new(io: T) -> io::Result<Async<T>> {
        let driver = context::current_driver();
        crate::sys::fd::set_nonblocking(io.as_fd())?;
        let registration = Registration::new(driver, io.as_fd())?;
        Ok(Async { io: Some(io), registration })
    }

    /// Registers `io`, a connection that `listener` accepted with `accept4` and
    /// `SOCK_NONBLOCK`, with the driver `listener` is registered with: it belongs to its
    /// listener's runtime wherever `accept` is polled (even outside any runtime), and
    /// skips the `fcntl` that [`new`](Self::new) makes. If the fd is in fact blocking,
    /// operations on it block the runtime's thread.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    #[doc(hidden)]
    pub fn new_accepted<L: AsFd>(io: T, listener: &Async<L>) -> io::Result<Async<T>> {
        let registration = Registration::new(listener.registration.driver().clone(), io.as_fd())?;
        Ok(Async { io: Some(io), registration })
    }

    /// The inner I/O object.
    pub fn get_ref(&self) -> &T {
        self.io.as_ref().expect("the inner I/O object is present until into_inner")
    }

    /// The inner I/O object, mutably.
    ///
    /// Replacing its fd (swapping the object for another) is memory-safe but leaves the
    /// new fd unregistered: operations on it wait for events that never come, and
    /// dropping the `Async` or calling [`into_inner`](Self::into_inner) does not
    /// deregister the original fd (`into_inner` then reports `InvalidInput`).
    pub fn get_mut(&mut self) -> &mut T {
        self.io.as_mut().expect("the inner I/O object is present until into_inner")
    }

    /// Deregisters the fd and gives the I/O object back (still nonblocking).
    ///
    /// # Errors
    /// When `epoll_ctl(DEL)` fails, or `InvalidInput` when the fd was replaced through
    /// [`get_mut`](Self::get_mut); the object is dropped then.
    pub fn into_inner(mut self) -> io::Result<T> {
        let io = self.io.take().expect("the inner I/O object is present until into_inner");
        self.registration.deregister(io.as_fd())?;
        Ok(io)
    }

    /// Waits until the fd is readable (or at EOF, or has an error pending).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        let mut waiter = self.registration.waiter(Direction::Read);
        std::future::poll_fn(|cx| waiter.poll_ready(cx)).await
    }

    /// Waits until the fd is writable (or the peer is gone, or an error is pending).
    ///
    /// # Errors
    /// When the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        let mut waiter = self.registration.waiter(Direction::Write);
        std::future::poll_fn(|cx| waiter.poll_ready(cx)).await
    }

    /// Polls for readability, registering the task's waker if not ready.
    ///
    /// The poll methods of one direction share one waker slot: only the waker of the
    /// latest call is woken (as with tokio's `poll_read_ready`). Tasks that wait on one fd
    /// together use [`readable`](Self::readable), which gives each its own entry.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration.poll_ready(Direction::Read, cx, Waiter::Poll).map_ok(|_| ())
    }

    /// Polls for writability, registering the task's waker if not ready; the same
    /// one-slot rule as [`poll_readable`](Self::poll_readable).
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.registration.poll_ready(Direction::Write, cx, Waiter::Poll).map_ok(|_| ())
    }

    /// Runs `op` until it returns anything but `WouldBlock`, waiting for readability
    /// between tries.
    ///
    /// ```
    /// use crest::io::Async;
    /// use std::io::Read;
    /// use std::os::unix::net::UnixStream;
    ///
    /// crest::block_on(async {
    ///     let (a, b) = UnixStream::pair()?;
    ///     let a = Async::new(a)?;
    ///     std::io::Write::write_all(&mut &b, b"hi")?;
    ///     let mut buf = [0; 8];
    ///     let n = a.read_with(|s| (&*s).read(&mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    /// Whatever `op` returns other than `WouldBlock`.
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        let mut waiter = self.registration.waiter(Direction::Read);
        std::future::poll_fn(|cx| {
            self.registration.poll_io(Direction::Read, cx, Some(&mut waiter), || op(io))
        })
        .await
    }

    /// Runs `op` until it returns anything but `WouldBlock`, waiting for writability
    /// between tries.
    ///
    /// # Errors
    /// Whatever `op` returns other than `WouldBlock`.
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        let mut waiter = self.registration.waiter(Direction::Write);
        std::future::poll_fn(|cx| {
            self.registration.poll_io(Direction::Write, cx, Some(&mut waiter), || op(io))
        })
        .await
    }

    /// The poll form of [`read_with`](Self::read_with).
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(Direction::Read, cx, None, || op(io))
    }

    /// The poll form of [`write_with`](Self::write_with).
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(Direction::Write, cx, None, || op(io))
    }

    /// Runs `op` once if the fd is known readable, without waiting: `WouldBlock` at once
    /// if it is not. A `WouldBlock` from `op` clears the readiness.
    ///
    /// # Errors
    /// `WouldBlock`, or whatever `op` returns.
    pub fn try_read_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.try_io(Direction::Read, || op(io))
    }

    /// Runs `op` once if the fd is known writable, without waiting.
    ///
    /// # Errors
    /// `WouldBlock`, or whatever `op` returns.
    pub fn try_write_with<R>(&self, op: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.try_io(Direction::Write, || op(io))
    }

    /// A stream read or write of `len` bytes: as `poll_read_with`/`poll_write_with`, and a
    /// short transfer (`0 < n < len`) also clears readiness, which saves the syscall that
    /// would return `WouldBlock`. Only for stream-socket writes and TCP reads, where a short
    /// transfer means the kernel buffer was filled (or drained) at that instant and any later
    /// change produces a new edge; a read with TCP urgent data pending does not count
    /// (ARCHITECTURE.md, "The short-transfer shortcut").
    #[doc(hidden)]
    pub fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        write: bool,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let io = self.get_ref();
        let dir = if write { Direction::Write } else { Direction::Read };
        self.registration.poll_stream_io(dir, cx, len, || op(io))
    }

    /// A timer on the runtime this object is registered with, not the current one: for
    /// waits that belong to the object (the accept back-off), which must work wherever
    /// its futures are polled, even outside any runtime.
    #[doc(hidden)]
    pub fn sleep_until(&self, deadline: std::time::Instant) -> crate::time::Sleep {
        crate::time::Sleep::new(self.registration.driver().clone(), deadline)
    }
}

impl<T: AsFd> AsFd for Async<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }
}

impl<T: AsFd> AsRawFd for Async<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd> Drop for Async<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister while the fd is open; an error (the fd was closed behind our back)
            // leaves nothing to undo.
            let _ = self.registration.deregister(io.as_fd());
        }
    }
}

impl<T: AsFd> futures_io::AsyncRead for Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }
}

impl<T: AsFd> futures_io::AsyncRead for &Async<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }
}

impl<T: AsFd> futures_io::AsyncWrite for Async<T>
where
    for<'a> &'a T: Write,
{
    // The owned impl forwards to the shared one: an `Async` is written through `&self`.
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}

impl<T: AsFd> futures_io::AsyncWrite for &Async<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_with(cx, |mut io| io.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
