//! Parking a worker: in the driver if it is free, on a condition variable otherwise.
//!
//! ```text
//! EMPTY --(driver free)--> PARKED_DRIVER --(epoll returns)--> EMPTY
//! EMPTY --(driver held)--> PARKED_CONDVAR --(notified / re-check)--> EMPTY
//! unpark: swap(NOTIFIED); PARKED_DRIVER -> write the eventfd; PARKED_CONDVAR -> notify
//! ```
//!
//! At most one worker waits in `epoll_wait` (the one holding the driver's lock). A worker
//! parked on the condition variable wakes after a re-check period to see whether the
//! driver is unattended — its holder may have left it to run a task that blocks the
//! thread — and takes it over if so. The period starts at [`RECHECK`] (10 ms) and doubles
//! while nothing happens, up to [`RECHECK_MAX`] (160 ms); it falls back to 10 ms once the
//! worker is notified or runs a task. So a blocked worker freezes I/O for the others for at
//! most 10 ms on a busy runtime and 160 ms right after a long idle spell, and an idle
//! runtime costs about 6 short wakeups per second per condvar-parked worker.

use std::time::Duration;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Condvar, Mutex, TryMutex};
use crate::runtime::park::{Turn, Unpark};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// How often a condvar-parked worker checks whether the driver needs a new holder.
pub(super) const RECHECK: Duration = Duration::from_millis(10);
/// The longest re-check period, reached after a while of idleness.
pub(super) const RECHECK_MAX: Duration = Duration::from_millis(160);

pub(super) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
}

/// Why `park` returned.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Woken {
    /// Unparked by someone, or an unpark came before we slept.
    Notified,
    /// The driver returned (events, a timer, or the eventfd).
    Driver,
    /// The condvar re-check period passed.
    Recheck,
}

impl Parker {
    pub(super) fn new() -> Parker {
        Parker { state: AtomicUsize::new(EMPTY), lock: Mutex::new(()), condvar: Condvar::new() }
    }

    /// Parks with the shortest re-check period.
    #[cfg_attr(not(all(test, loom)), allow(dead_code))]
    pub(super) fn park(&self, driver: &TryMutex<impl Turn>) -> Woken {
        self.park_recheck(driver, RECHECK)
    }

    /// Parks; on the condition variable, wakes after `recheck` to look at the driver.
    pub(super) fn park_recheck(&self, driver: &TryMutex<impl Turn>, recheck: Duration) -> Woken {
        // Acquire: the unparker's work (a queue push) is visible once we see NOTIFIED.
        if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return Woken::Notified;
        }
        if let Ok(mut driver) = driver.try_lock() {
            if self.state.compare_exchange(EMPTY, PARKED_DRIVER, Ordering::AcqRel, Ordering::Acquire).is_err()
            {
                self.state.swap(EMPTY, Ordering::Acquire);
                return Woken::Notified;
            }
            // An epoll error other than EINTR cannot be reported to anyone; the worker
            // carries on and the next park tries again.
            let _ = driver.turn(None);
            return match self.state.swap(EMPTY, Ordering::Acquire) {
                NOTIFIED => Woken::Notified,
                _ => Woken::Driver,
            };
        }
        let mut guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.state.compare_exchange(EMPTY, PARKED_CONDVAR, Ordering::AcqRel, Ordering::Acquire).is_err() {
            self.state.swap(EMPTY, Ordering::Acquire);
            return Woken::Notified;
        }
        loop {
            let (g, res) = self.condvar.wait_timeout(guard, recheck).unwrap_or_else(|p| p.into_inner());
            guard = g;
            if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return Woken::Notified;
            }
            if res.timed_out() {
                match self.state.compare_exchange(PARKED_CONDVAR, EMPTY, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Woken::Recheck,
                    Err(_) => {
                        self.state.swap(EMPTY, Ordering::Acquire);
                        return Woken::Notified;
                    }
                }
            }
            // A spurious wakeup: sleep again.
        }
    }

    pub(super) fn unpark(&self, driver: &impl Unpark) {
        // AcqRel: Release publishes the caller's queue push to the parker.
        match self.state.swap(NOTIFIED, Ordering::AcqRel) {
            PARKED_DRIVER => driver.unpark(),
            PARKED_CONDVAR => {
                // Taking the lock orders us after the parker's check-then-wait.
                drop(self.lock.lock().unwrap_or_else(|p| p.into_inner()));
                self.condvar.notify_one();
            }
            _ => {}
        }
    }
}
