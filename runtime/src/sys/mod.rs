//! Every operating-system call crest makes lives below this module.
//!
//! Most calls go through one `syscall!` macro, which turns the C convention (`-1` and `errno`)
//! into an [`io::Result`](std::io::Result). A few call libc directly, each for a reason it
//! states: `epoll_pwait2` has no libc wrapper and goes through `libc::syscall` (in
//! `epoll.rs`, with its own `ENOSYS` probe); the eventfd writes in `eventfd.rs` and `process.rs` ignore their result
//! (waking is best-effort; the signal handler must not touch `errno`). Each new descriptor is wrapped in an
//! [`OwnedFd`](std::os::fd::OwnedFd) on the line it is born, so no path can leak it.
//!
//! What this module does not do: keep state. Readiness, wakers and timers belong to the
//! driver; this module only speaks to the kernel.

/// Calls a libc function and turns a `-1` return into `Err(io::Error::last_os_error())`.
///
/// The expansion contains an `unsafe` block: every use must be preceded by a
/// `// SAFETY:` comment arguing why the arguments are valid for that call.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        #[allow(clippy::undocumented_unsafe_blocks)]
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use syscall;

#[doc(hidden)]
pub mod chaos;
pub mod epoll;
pub(crate) mod eventfd;
pub mod fd;
#[doc(hidden)]
pub mod process;
#[doc(hidden)]
pub mod socket;
pub(crate) mod thread;
