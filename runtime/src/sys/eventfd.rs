//! The eventfd that lets any thread interrupt a driver blocked in `epoll_wait`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A nonblocking, close-on-exec eventfd.
#[derive(Debug)]
pub(crate) struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers; the result is checked before use.
        let raw = syscall!(eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC))?;
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(EventFd { fd })
    }

    /// Adds one to the counter, which makes the fd readable and, registered edge-triggered,
    /// produces a fresh edge on every call. The counter is never read back: at one write per
    /// cross-thread wakeup it cannot reach its 2^64 - 2 ceiling, so an `EAGAIN` here would
    /// mean the driver is gone and is ignored along with every other error (waking is
    /// best-effort by contract: a runtime that is shutting down needs no wakeup).
    pub(crate) fn notify(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 on the stack to a descriptor we own.
        let _ = unsafe {
            libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), std::mem::size_of::<u64>())
        };
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
