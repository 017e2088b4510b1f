//! One listener's share of a signal: an eventfd on the driver, fed by an action registered
//! with `signal-hook-registry`.
//!
//! What this file does not do: decide which signals may be caught (`unix.rs` does).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::task::{Context, Poll};

use crest_runtime::io::Async;
use crest_runtime::sys::process as sys;
use signal_hook_registry::SigId;

/// An eventfd that the process-wide handler of one signal adds to.
///
/// # Invariant
/// The registered action writes to the eventfd's raw fd. The action is unregistered in
/// `drop` before the eventfd closes, and `unregister` returns only once no handler still runs
/// the old action, so the handler never writes to a closed (or reused) descriptor.
pub(crate) struct Listener {
    id: Option<SigId>,
    fd: Async<OwnedFd>,
}

impl Listener {
    /// Registers a new listener for `signal`, which the caller has checked may be caught.
    pub(crate) fn new(signal: i32) -> io::Result<Listener> {
        let fd = Async::new(sys::eventfd()?)?;
        let raw = fd.as_raw_fd();
        // SAFETY: the action only calls `eventfd_notify_from_signal_handler`, a single
        // write(2) that saves and restores errno: async-signal-safe, no lock, no allocation,
        // no panic. The fd stays open while the action is registered (the invariant above).
        let id = unsafe {
            signal_hook_registry::register(signal, move || sys::eventfd_notify_from_signal_handler(raw))
        }
        .map_err(|e| io::Error::new(e.kind(), format!("installing a handler for signal {signal}: {e}")))?;
        Ok(Listener { id: Some(id), fd })
    }

    /// Ready once the signal arrived since the last ready poll (any number of times);
    /// `None` once the runtime has shut down.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.fd.poll_read_with(cx, |fd| sys::eventfd_take(fd.as_fd())).map(|res| res.ok().map(|_| ()))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            signal_hook_registry::unregister(id);
        }
        // `fd` closes after this, with no action left that writes to it.
    }
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener").field("eventfd", &self.fd.as_raw_fd()).finish()
    }
}
