//! A registration: what an I/O object holds to wait for its fd's readiness.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::coop;

use super::{Direction, Handle, Readiness, ReadyEvent, Waiter};

/// One fd's membership in a driver. Dropping it does *not* deregister (the fd may be
/// gone by then); the owner calls [`Registration::deregister`] while the fd is open.
pub(crate) struct Registration {
    handle: Arc<Handle>,
    readiness: Arc<Readiness>,
    /// The fd number that was registered: deregistration refuses to `EPOLL_CTL_DEL` any
    /// other (the owner's fd was replaced, and the new one may be another registration's).
    fd: RawFd,
}

impl Registration {
    pub(crate) fn new(handle: Arc<Handle>, fd: BorrowedFd<'_>) -> io::Result<Registration> {
        let readiness = handle.register(fd)?;
        Ok(Registration { handle, readiness, fd: fd.as_raw_fd() })
    }

    /// Waits until `dir` is ready; `Err` once the runtime has shut down.
    /// The driver this registration belongs to.
    pub(crate) fn driver(&self) -> &Arc<Handle> {
        &self.handle
    }

    pub(crate) fn poll_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: Waiter<'_>,
    ) -> Poll<io::Result<ReadyEvent>> {
        match self.readiness.poll_ready(dir, cx, waiter) {
            Poll::Ready(ev) if ev.shutdown => Poll::Ready(Err(self.handle.shutdown_error())),
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

    /// A waiter entry for one future, removed when the guard is dropped.
    pub(crate) fn waiter(&self, dir: Direction) -> WaiterGuard<'_> {
        WaiterGuard { handle: &self.handle, readiness: &self.readiness, dir, id: 0 }
    }

    /// Runs `op` whenever `dir` is ready, until it returns anything but `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: Option<&mut WaiterGuard<'_>>,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_transfer(dir, cx, waiter, |_| false, op)
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
        op: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_transfer(dir, cx, None, |&n| n > 0 && n < len, op)
    }

    /// The retry loop behind `poll_io` (no transfer is short) and `poll_stream_io`.
    ///
    /// It ends on every path: an operation that completes, `Pending` with the waker
    /// registered, or — when the only readiness left is final (a closed bit, which `clear`
    /// keeps) and the operation still says `WouldBlock` — a wait for the *next* event
    /// instead of another try (a UDP socket after `shutdown(Read)` reports RDHUP while
    /// `recv` says EAGAIN; `tests/udp_recv_after_shutdown.rs`).
    fn poll_transfer<R>(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        mut waiter: Option<&mut WaiterGuard<'_>>,
        is_short: impl Fn(&R) -> bool,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            let as_waiter = waiter.as_deref_mut().map_or(Waiter::Poll, |w| Waiter::Future(&mut w.id));
            let ev = match self.poll_ready(dir, cx, as_waiter) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear(ev);
                    if ev.only_final() {
                        let as_waiter =
                            waiter.as_deref_mut().map_or(Waiter::Poll, |w| Waiter::Future(&mut w.id));
                        if self.readiness.poll_next_event(dir, cx, as_waiter, ev).is_pending() {
                            return Poll::Pending;
                        }
                    }
                }
                Ok(n) if is_short(&n) && !ev.ends_reads_early() => {
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
            return Err(self.handle.shutdown_error());
        }
        let res = op();
        if matches!(&res, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear(ev);
        }
        res
    }

    /// Removes the fd from epoll and forgets the registration. Call while the fd is still
    /// open.
    ///
    /// # Errors
    /// `EPOLL_CTL_DEL`'s error, or `InvalidInput` when `fd` is not the fd that was
    /// registered (it was replaced through `Async::get_mut`): the registration is forgotten
    /// all the same, and the old fd's epoll entry, if it still exists, reports to nobody.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        if fd.as_raw_fd() != self.fd {
            self.handle.deregister(None, &self.readiness)?;
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the I/O object's fd was replaced after registration; the original fd was not deregistered",
            ));
        }
        self.handle.deregister(Some(fd), &self.readiness)
    }
}

/// A future's entry in a registration's waker list: the future holds it while it waits
/// and drops it when it completes or is dropped, taking its waker out of the list, so
/// that timed-out waiters on a shared, idle fd cannot pile up (`tests/io_waiters_bounded.rs`).
pub(crate) struct WaiterGuard<'a> {
    handle: &'a Handle,
    readiness: &'a Arc<Readiness>,
    dir: Direction,
    /// 0 until the first registration.
    id: u64,
}

impl WaiterGuard<'_> {
    /// Polls for readiness as this waiter (for `readable()`/`writable()`).
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.readiness.poll_ready(self.dir, cx, Waiter::Future(&mut self.id)) {
            Poll::Ready(ev) if ev.shutdown => Poll::Ready(Err(self.handle.shutdown_error())),
            Poll::Ready(_) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        self.readiness.remove_waiter(self.dir, self.id);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Registration")
    }
}
