//! Process and signal calls for `crest-os`: pidfds, reaping one child with `waitid`,
//! sending signals, and the eventfd a signal handler writes to.
//!
//! These are `pub` only because `crest-os` is a separate crate; they are not part of crest's
//! API. Every new descriptor is close-on-exec and wrapped in an [`OwnedFd`] on the line it
//! is born.
//!
//! What this module does not do: wait for more than one child. Nothing here calls
//! `waitpid(-1)` or `waitid(P_ALL)`, which would reap (steal) children other code is waiting
//! for; each reap names exactly one child, by pidfd or by pid. Nothing here blocks either:
//! every `waitid` passes `WNOHANG`, and waiting is the driver's job.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// `P_PIDFD` for `waitid` (Linux 5.4); libc does not name it.
const P_PIDFD: libc::idtype_t = 3;

/// Opens a pidfd for child `pid` (Linux 5.3): readable once the child has exited.
///
/// # Errors
/// `ENOSYS` on kernels before 5.3 (or under a seccomp filter that hides the call), `ESRCH`
/// when no such process exists, `EMFILE` when out of descriptors.
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags, no pointers; the result is checked.
    let raw = syscall!(syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0 as libc::c_uint))?;
    // SAFETY: `raw` is a fresh descriptor (pidfds are close-on-exec) that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw as RawFd) })
}

/// Sends `signal` to the process behind `pidfd`. Unlike `kill`, it cannot reach another
/// process that reused the pid.
///
/// # Errors
/// `ESRCH` once the process has been reaped, `EINVAL` for a bad signal.
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signal: i32) -> io::Result<()> {
    // SAFETY: a null siginfo is allowed (the kernel fills one in as for kill); no other pointers.
    syscall!(syscall(
        libc::SYS_pidfd_send_signal,
        pidfd.as_raw_fd(),
        signal,
        std::ptr::null::<libc::siginfo_t>(),
        0 as libc::c_uint
    ))?;
    Ok(())
}

/// Sends `signal` to process `pid` with `kill(2)`.
///
/// # Errors
/// `ESRCH` when no such process exists, `EPERM`, `EINVAL` for a bad signal.
pub fn kill(pid: u32, signal: i32) -> io::Result<()> {
    // SAFETY: kill takes no pointers.
    syscall!(kill(pid as libc::pid_t, signal))?;
    Ok(())
}

/// Reaps the child behind `pidfd` if it has exited: `waitid(P_PIDFD, fd, WEXITED | WNOHANG)`.
/// `Ok(None)` while it runs.
///
/// # Errors
/// `ECHILD` when it was already reaped (or is not our child).
pub fn try_reap_pidfd(pidfd: BorrowedFd<'_>) -> io::Result<Option<ExitStatus>> {
    try_reap(P_PIDFD, pidfd.as_raw_fd() as libc::id_t)
}

/// Reaps child `pid` if it has exited: `waitid(P_PID, pid, WEXITED | WNOHANG)`. `Ok(None)`
/// while it runs. Only for kernels without pidfds: a pid can be reused once reaped, so the
/// caller must reap it once and forget it.
///
/// # Errors
/// `ECHILD` when it was already reaped (or is not our child).
pub fn try_reap_pid(pid: u32) -> io::Result<Option<ExitStatus>> {
    try_reap(libc::P_PID, pid as libc::id_t)
}

fn try_reap(idtype: libc::idtype_t, id: libc::id_t) -> io::Result<Option<ExitStatus>> {
    // SAFETY: siginfo_t is plain old data; all zeroes is a valid value (si_pid 0 = no child).
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `info` is a live, writable siginfo_t for the duration of the call.
        match syscall!(waitid(idtype, id, &mut info, libc::WEXITED | libc::WNOHANG)) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    // SAFETY: waitid filled `info` for SIGCHLD (or left it zeroed): si_pid and si_status are
    // the fields of the child variant, which is the one waitid writes.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    // Rebuild the `wait` status word std's ExitStatus decodes.
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_KILLED => status & 0x7f,
        libc::CLD_DUMPED => (status & 0x7f) | 0x80,
        // Stopped or continued children are not reported without WSTOPPED/WCONTINUED.
        _ => (status & 0xff) << 8,
    };
    Ok(Some(ExitStatus::from_raw(raw)))
}

/// A nonblocking, close-on-exec eventfd with a zero count: what a signal handler writes to.
///
/// # Errors
/// `EMFILE`/`ENFILE` when out of descriptors.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers.
    let raw = syscall!(eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC))?;
    // SAFETY: `raw` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Adds one to eventfd `fd`, from inside a signal handler: one `write(2)` (async-signal-safe),
/// and `errno` is put back as it was, so the interrupted code never sees it change. A full
/// counter (`EAGAIN`) is fine: the reader has a wakeup pending anyway.
pub fn eventfd_notify_from_signal_handler(fd: RawFd) {
    // SAFETY: __errno_location returns this thread's errno slot, valid for the thread's life.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: reading this thread's errno.
    let saved = unsafe { *errno };
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live local; a closed or bad fd only fails with EBADF.
    let _ = unsafe { libc::write(fd, (&one as *const u64).cast(), std::mem::size_of::<u64>()) };
    // SAFETY: as above; restoring the value read before.
    unsafe { *errno = saved };
}

/// Reads and resets eventfd `fd`'s count: how many notifications arrived since the last
/// read.
///
/// # Errors
/// `WouldBlock` when the count is zero.
pub fn eventfd_take(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut count: u64 = 0;
    // SAFETY: reads 8 bytes into a live local u64.
    syscall!(read(fd.as_raw_fd(), (&mut count as *mut u64).cast(), std::mem::size_of::<u64>()))?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    #[allow(clippy::zombie_processes)] // reaped through the pidfd, which clippy cannot see
    fn reaps_exactly_one_child_by_pidfd() {
        let child = std::process::Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
        let pidfd = pidfd_open(child.id()).unwrap();
        let status = loop {
            if let Some(status) = try_reap_pidfd(pidfd.as_fd()).unwrap() {
                break status;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(status.code(), Some(7));
        // Reaped once: a second reap finds no child.
        assert_eq!(try_reap_pidfd(pidfd.as_fd()).unwrap_err().raw_os_error(), Some(libc::ECHILD));
    }

    #[test]
    fn eventfd_counts_and_resets() {
        let fd = eventfd().unwrap();
        assert_eq!(eventfd_take(fd.as_fd()).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        eventfd_notify_from_signal_handler(fd.as_raw_fd());
        eventfd_notify_from_signal_handler(fd.as_raw_fd());
        assert_eq!(eventfd_take(fd.as_fd()).unwrap(), 2);
    }
}
