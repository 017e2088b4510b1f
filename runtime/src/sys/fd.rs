//! Small file-descriptor helpers: flags that the driver and the socket types need.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// Puts `fd` in nonblocking mode (`O_NONBLOCK`), keeping its other status flags.
///
/// # Errors
/// `EBADF` for a closed descriptor, or whatever `fcntl` reports.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: F_GETFL takes no pointer argument; a stale fd yields EBADF, not UB.
    let flags = syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL))?;
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: F_SETFL takes an int argument; no memory is passed.
        syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    }
    Ok(())
}
