//! Parking a scheduler thread in the driver, and waking it from anywhere.
//!
//! ```text
//! EMPTY --park--> PARKED --(epoll_wait returns)--> EMPTY
//!   ^                |
//!   |   unpark: swap(NOTIFIED); if it was PARKED, write the eventfd
//!   +--- NOTIFIED <--+
//! ```
//!
//! A waker first publishes its work (queue push, flag), then calls `unpark`. The parker
//! moves EMPTY -> PARKED with a CAS; if a wake got there first the CAS fails on NOTIFIED
//! and the parker returns without sleeping. If the wake comes after, it sees PARKED and
//! writes the eventfd, which ends the `epoll_wait`. Either way no wakeup is lost, and a
//! wake that finds the thread busy costs one atomic swap and no syscall.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::driver::{self, Driver};
use crate::loom::sync::atomic::{AtomicU8, Ordering};

const EMPTY: u8 = 0;
const PARKED: u8 = 1;
const NOTIFIED: u8 = 2;

/// What a parked thread waits in: the I/O driver, or a stand-in in the loom models
/// (which cannot run `epoll_wait`).
pub(crate) trait Turn {
    /// Waits for I/O, a timer, `timeout` or an [`Unpark::unpark`], and dispatches what
    /// arrived.
    fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize>;
}

/// Ends a [`Turn::turn`] from any thread (or makes the next one return at once).
pub(crate) trait Unpark {
    fn unpark(&self);
}

impl Turn for Driver {
    fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        Driver::turn(self, timeout)
    }
}

impl Unpark for driver::Handle {
    fn unpark(&self) {
        driver::Handle::unpark(self)
    }
}

impl<T: Unpark + ?Sized> Unpark for Arc<T> {
    fn unpark(&self) {
        T::unpark(self)
    }
}

/// The park state shared by a parker and its unparkers.
pub(crate) struct ParkState {
    state: AtomicU8,
}

impl ParkState {
    pub(crate) fn new() -> ParkState {
        ParkState { state: AtomicU8::new(EMPTY) }
    }

    /// Waits in the driver until an event, a timer, `timeout`, or an `unpark`. Returns
    /// false without waiting (and without looking at I/O) when an unpark came first; the
    /// scheduler looks at I/O often enough on its own (its event interval).
    pub(crate) fn park(&self, driver: &mut impl Turn, timeout: Option<Duration>) -> bool {
        // Acquire on both paths: the work published before the unpark is visible to us.
        if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return false;
        }
        if self.state.compare_exchange(EMPTY, PARKED, Ordering::AcqRel, Ordering::Acquire).is_err() {
            self.state.swap(EMPTY, Ordering::Acquire);
            return false;
        }
        // An error from epoll_wait other than EINTR means the epoll fd is broken; there is
        // nobody to report it to, and retrying would spin, so the runtime carries on and
        // the next park tries again.
        let _ = driver.turn(timeout);
        self.state.swap(EMPTY, Ordering::Acquire);
        true
    }

    /// Wakes the parked thread, or makes its next park return at once.
    pub(crate) fn unpark(&self, driver: &impl Unpark) {
        // AcqRel: Release publishes the caller's work to the parker's Acquire.
        if self.state.swap(NOTIFIED, Ordering::AcqRel) == PARKED {
            driver.unpark();
        }
    }
}
