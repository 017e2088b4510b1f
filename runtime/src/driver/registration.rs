//! A registration: what an I/O object holds to wait for its fd's readiness.

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::runtime::coop;

use super::{shutdown_error, Direction, Handle, Readiness, ReadyEvent};

/// One fd's membership in a driver. Dropping it does *not* deregister (the fd may be
/// gone by then); the owner calls [`Registration::deregister`] while the fd is open.
pub(crate) struct Registration {
    handle: Arc<Handle>,
    readiness: Arc<Readiness>,
}

impl Registration {
    pub(crate) fn new(handle: Arc<Handle>, fd: BorrowedFd<'_>) -> io::Result<Registration> {
        let readiness = handle.register(fd)?;
        Ok(Registration { handle, readiness })
    }

    /// Waits until `dir` is ready; `Err` once the runtime has shut down.
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        match self.readiness.poll_ready(dir, cx) {
            Poll::Ready(ev) if ev.shutdown => Poll::Ready(Err(shutdown_error())),
            Poll::Ready(ev) => Poll::Ready(Ok(ev)),
            Poll::Pending => {
                crate::sys::chaos::spurious_wake(cx.waker());
                Poll::Pending
            }
        }
    }

    /// Forgets the readiness that `ev` reported: the operation got `WouldBlock`.
    pub(crate) fn clear(&self, ev: ReadyEvent) {
        self.readiness.clear(ev);
    }

    /// Runs `op` whenever `dir` is ready, until it returns anything but `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            let ev = match self.poll_ready(dir, cx) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(ev),
                res => {
                    coop::spend();
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// Like [`poll_io`](Self::poll_io) for stream reads and writes, where `op` returns a
    /// byte count: a *short* transfer (`0 < n < len`) also clears readiness, saving the
    /// `WouldBlock` syscall. See ARCHITECTURE.md, "The short-transfer shortcut", for why
    /// this is sound for stream writes and TCP reads without urgent data.
    pub(crate) fn poll_stream_io(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            let ev = match self.poll_ready(dir, cx) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear(ev),
                Ok(n) if n > 0 && n < len && !ev.ends_reads_early() => {
                    self.clear(ev);
                    coop::spend();
                    return Poll::Ready(Ok(n));
                }
                res => {
                    coop::spend();
                    return Poll::Ready(res);
                }
            }
        }
    }

    /// Runs `op` once if `dir` is known to be ready; `WouldBlock` without a syscall if
    /// not. A `WouldBlock` from `op` clears the readiness it consumed.
    pub(crate) fn try_io<R>(&self, dir: Direction, op: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let Some(ev) = self.readiness.ready_now(dir) else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        if ev.shutdown {
            return Err(shutdown_error());
        }
        let res = op();
        if matches!(&res, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear(ev);
        }
        res
    }

    /// Removes the fd from epoll. Call while the fd is still open.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.handle.deregister(fd, &self.readiness)
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registration")
    }
}
