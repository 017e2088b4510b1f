//! The accept back-off: how a listener survives running out of file descriptors without
//! spinning.
//!
//! When `accept4` fails with `EMFILE` or `ENFILE` (or `ENOBUFS`/`ENOMEM`), the pending
//! connection stays in the kernel's queue, so the listener stays readable. In tokio and smol
//! the next `accept` then fails at once, again and again, and a user's accept loop spins at
//! 100% CPU until a descriptor is freed. crest instead returns the error to the caller once
//! and makes the *next* `accept` on that listener sleep until [`BACKOFF`] after the failure
//! (a crest timer, so the thread keeps running other tasks) before trying again. A loop
//! that logs and retries therefore makes about 20 syscalls a second while the process is
//! out of descriptors, and resumes accepting within [`BACKOFF`] of one being freed.
//!
//! The alternative libuv uses (keep a reserve descriptor, close it to accept and drop the
//! connection) loses the connection and holds an fd forever; a back-off loses nothing.

use std::io;
use std::os::fd::AsFd;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crest_runtime::io::Async;

/// How long `accept` waits after running out of descriptors before trying again.
pub(crate) const BACKOFF: Duration = Duration::from_millis(50);

/// The back-off state of one listener: when the next `accept` may try again.
#[derive(Debug, Default)]
pub(crate) struct AcceptBackoff {
    /// `Some` after a resource error, until an `accept` succeeds. A Mutex rather than an
    /// atomic: it is taken once per `accept`, uncontended, next to a syscall.
    until: Mutex<Option<Instant>>,
}

impl AcceptBackoff {
    /// Sleeps until the back-off deadline, if one is set and still ahead, on the timers
    /// of the runtime `listener` is registered with (not the current runtime: `accept`
    /// may be polled outside any runtime, or inside another one).
    pub(crate) async fn wait<T: AsFd>(&self, listener: &Async<T>) {
        let deadline = *self.lock();
        if let Some(deadline) = deadline {
            if Instant::now() < deadline {
                listener.sleep_until(deadline).await;
            }
        }
    }

    /// Records the outcome of an accept: a resource error starts a back-off, a success
    /// ends it.
    pub(crate) fn record<T>(&self, res: &io::Result<T>) {
        match res {
            Err(e) if is_out_of_resources(e) => *self.lock() = Some(Instant::now() + BACKOFF),
            Ok(_) => {
                let mut until = self.lock();
                if until.is_some() {
                    *until = None;
                }
            }
            Err(_) => {}
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        // The guarded value is a plain Option: a panic elsewhere cannot leave it torn.
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Errors after which an immediate retry would fail the same way: out of descriptors
/// (per process or system-wide) or out of kernel memory.
fn is_out_of_resources(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_resource_errors_start_a_backoff() {
        let b = AcceptBackoff::default();
        b.record::<()>(&Err(io::Error::from_raw_os_error(libc::ECONNABORTED)));
        assert!(b.lock().is_none());
        b.record::<()>(&Err(io::Error::from_raw_os_error(libc::EMFILE)));
        assert!(b.lock().is_some());
        b.record(&Ok(()));
        assert!(b.lock().is_none());
    }
}
