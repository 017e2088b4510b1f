//! Parking a scheduler thread, and waking it from anywhere: the one parker of both
//! schedulers.
//!
//! ```text
//! EMPTY --(waits in the driver)--> PARKED_DRIVER --(epoll returns)--> EMPTY
//! EMPTY --(driver held elsewhere)--> PARKED_CONDVAR --(notified / re-check / kicked)--> EMPTY
//! unpark: swap(NOTIFIED); PARKED_DRIVER -> write the eventfd; PARKED_CONDVAR -> notify
//! ```
//!
//! A waker first publishes its work (queue push, flag), then calls [`Parker::unpark`]. The
//! parker moves EMPTY -> PARKED_* with a CAS; if a wake got there first the CAS fails on
//! NOTIFIED and the parker returns without sleeping. If the wake comes after, it sees the
//! parked state and writes the eventfd (which ends the `epoll_wait`) or notifies the
//! condition variable. Either way no wakeup is lost, and a wake that finds the thread busy
//! costs one atomic swap and no syscall.
//!
//! The current-thread scheduler owns its driver outright and parks only in it
//! ([`Parker::park_driver`]). A multi-thread worker parks in the driver if it is free, on
//! its condition variable otherwise ([`Parker::park_recheck`]).
//!
//! # The multi-thread case: an unattended driver
//! At most one worker waits in `epoll_wait` (the one holding the driver's lock). The driver
//! is *attended* while it does, and *unattended* otherwise: its last holder may have left it
//! to run a task that blocks the thread, and then a worker parked on the condition variable
//! must take it over, or I/O freezes for every task. So a condvar-parked worker sleeps with
//! a timeout (the re-check period, [`RECHECK`] = 10 ms doubling up to [`RECHECK_MAX`] =
//! 160 ms while nothing happens; back to 10 ms on any other [`Woken`] and when the worker
//! runs a task) only while the driver is unattended or has just changed
//! hands; once it has seen the same holder wait in the driver across one whole period (the
//! runtime is idle), it sleeps without a timeout, so an idle runtime makes no wakeups at
//! all. The holder, on leaving the driver, first marks it unattended and then *kicks* every
//! worker that sleeps without a timeout ([`Parker::kick`]); a kicked worker tries the
//! driver at once. [`DriverWatch`] is the word that says which state the driver is in; a
//! sleeper publishes "untimed" before its last look at that word, and the holder publishes
//! "unattended" before it looks for untimed sleepers, each with a `SeqCst` fence between its
//! write and its read (a store-buffer pattern, which `SeqCst` fences order), so one of the
//! two always sees the other: no worker sleeps without a timeout while the driver is
//! unattended. A blocked worker thus freezes I/O for the others for at most one re-check
//! period (10 ms after a kick, 160 ms at worst). The price: the first time the holder
//! leaves the driver after an idle spell, every untimed sleeper wakes once (one futex wake
//! each, then a timed re-check or two until the driver is seen attended again); on a busy
//! runtime the driver changes hands too often for anyone to sleep untimed, and a kick finds
//! nobody to wake (one load per worker).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::driver::{self, Driver};
use crate::loom::sync::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
use crate::loom::sync::{Condvar, Mutex, TryMutex};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// `Parker::untimed`: the worker sleeps on its condvar with a timeout (or not at all).
const TIMED: u8 = 0;
/// It sleeps without a timeout: the driver was attended by one holder for a whole period.
const UNTIMED: u8 = 1;
/// The driver's holder left it while this worker slept without a timeout.
const KICKED: u8 = 2;

/// How often a condvar-parked worker checks whether the driver needs a new holder.
pub(crate) const RECHECK: Duration = Duration::from_millis(10);
/// The longest re-check period, reached after a while of idleness.
pub(crate) const RECHECK_MAX: Duration = Duration::from_millis(160);

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

/// One per scheduler thread: the current-thread scheduler's, and each worker's.
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    condvar: Condvar,
    /// TIMED, UNTIMED or KICKED: how this worker sleeps on `condvar`.
    untimed: AtomicU8,
    /// The `DriverWatch` word at this worker's last look (only the worker itself uses it).
    seen: AtomicUsize,
}

/// Whether a worker waits in the driver: odd while one does, even otherwise. It counts up
/// by one on every entry and every exit, so two equal odd readings mean that one holder
/// stayed in the driver between them.
pub(crate) struct DriverWatch {
    word: AtomicUsize,
}

impl DriverWatch {
    pub(crate) fn new() -> DriverWatch {
        DriverWatch { word: AtomicUsize::new(0) }
    }
}

/// Why `park` returned.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Woken {
    /// Unparked by someone, or an unpark came before we slept.
    Notified,
    /// The driver returned (events, a timer, or the eventfd).
    Driver,
    /// The condvar re-check period passed.
    Recheck,
    /// The driver's holder left it while we slept without a timeout: it may be unattended.
    Kicked,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
            untimed: AtomicU8::new(TIMED),
            seen: AtomicUsize::new(0),
        }
    }

    /// Parks the thread that owns `driver` outright (the current-thread scheduler): waits in
    /// it until an event, a timer, `timeout`, or an unpark. Returns [`Woken::Notified`]
    /// without waiting (and without looking at I/O) when an unpark came first (the
    /// scheduler looks at I/O often enough on its own: its event interval), otherwise
    /// [`Woken::Driver`].
    pub(crate) fn park_driver(&self, driver: &mut impl Turn, timeout: Option<Duration>) -> Woken {
        // Acquire on every path: the work published before the unpark is visible to us.
        if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            return Woken::Notified;
        }
        if self.state.compare_exchange(EMPTY, PARKED_DRIVER, Ordering::AcqRel, Ordering::Acquire).is_err() {
            self.state.swap(EMPTY, Ordering::Acquire);
            return Woken::Notified;
        }
        // An error from epoll_wait other than EINTR means the epoll fd is broken; there is
        // nobody to report it to, and retrying would spin, so the runtime carries on and
        // the next park tries again.
        let _ = driver.turn(timeout);
        // Also when an unpark came during the wait: either way the driver was looked at.
        self.state.swap(EMPTY, Ordering::Acquire);
        Woken::Driver
    }

    /// Parks a multi-thread worker with the shortest re-check period.
    #[cfg_attr(not(all(test, loom)), allow(dead_code))]
    pub(crate) fn park(
        &self,
        driver: &TryMutex<impl Turn>,
        watch: &DriverWatch,
        left_driver: impl FnOnce(),
    ) -> Woken {
        self.park_recheck(driver, watch, RECHECK, left_driver)
    }

    /// Parks a multi-thread worker; on the condition variable, wakes after `recheck` to look at the driver while
    /// it may be unattended (module docs). After a wait in the driver, calls `left_driver`
    /// (which kicks the siblings that sleep without a timeout) before returning.
    pub(crate) fn park_recheck(
        &self,
        driver: &TryMutex<impl Turn>,
        watch: &DriverWatch,
        recheck: Duration,
        left_driver: impl FnOnce(),
    ) -> Woken {
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
            // SeqCst: ordered against the sleepers' look at the word (module docs).
            watch.word.fetch_add(1, Ordering::SeqCst);
            // An epoll error other than EINTR cannot be reported to anyone; the worker
            // carries on and the next park tries again.
            let _ = driver.turn(None);
            watch.word.fetch_add(1, Ordering::SeqCst);
            // Between our exit and `left_driver`'s look at the sleepers' `untimed` (module
            // docs): pairs with the fence in the sleepers' look.
            fence(Ordering::SeqCst);
            // Unlocked before the kick, so that a kicked sibling finds the driver free.
            drop(driver);
            left_driver();
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
            let word = watch.word.load(Ordering::SeqCst);
            // Relaxed: only this worker reads or writes `seen`.
            let seen = self.seen.swap(word, Ordering::Relaxed);
            let mut untimed = false;
            if word % 2 == 1 && word == seen {
                // One holder has waited in the driver since our last look: sleep until
                // notified or kicked. Publish that first, then look again (module docs).
                self.untimed.store(UNTIMED, Ordering::SeqCst);
                // Pairs with the holder's fence after its exit (module docs).
                fence(Ordering::SeqCst);
                untimed = watch.word.load(Ordering::SeqCst) == word;
                if !untimed {
                    self.untimed.store(TIMED, Ordering::Relaxed);
                }
            }
            let timed_out = if untimed {
                guard = self.condvar.wait(guard).unwrap_or_else(|p| p.into_inner());
                false
            } else {
                let (g, res) = self.condvar.wait_timeout(guard, recheck).unwrap_or_else(|p| p.into_inner());
                guard = g;
                res.timed_out()
            };
            // Under the lock, which `kick` takes too.
            let kicked = self.untimed.swap(TIMED, Ordering::Relaxed) == KICKED;
            if self.state.compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return Woken::Notified;
            }
            if timed_out || kicked {
                match self.state.compare_exchange(PARKED_CONDVAR, EMPTY, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) if kicked => return Woken::Kicked,
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

    /// Called by the driver's holder after it left the driver (and marked it unattended):
    /// wakes this worker if it sleeps without a timeout, so that it looks at the driver.
    pub(crate) fn kick(&self) {
        // Called after the holder's exit and fence (module docs).
        if self.untimed.load(Ordering::SeqCst) != UNTIMED {
            return;
        }
        // Taking the lock orders us after the sleeper's check-then-wait.
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        if self.untimed.compare_exchange(UNTIMED, KICKED, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.condvar.notify_one();
        }
    }

    pub(crate) fn unpark(&self, driver: &impl Unpark) {
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

/// What the loom model of the kick (`loom_tests::a_sleeper_never_sleeps_untimed_once_the_driver_is_left`)
/// reaches inside: the watch word's entry and exit, and the parker's view of it.
#[cfg(all(test, loom))]
impl DriverWatch {
    pub(crate) fn enter(&self) {
        self.word.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn leave(&self) {
        self.word.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(all(test, loom))]
impl Parker {
    /// Makes the parker believe it has seen the watch at `word` already.
    pub(crate) fn set_seen(&self, word: usize) {
        self.seen.store(word, Ordering::Relaxed);
    }

    /// Whether the parker sleeps (or is about to sleep) without a timeout, read under its
    /// lock so that the sleeper's own check-then-wait is never seen half done.
    pub(crate) fn sleeps_untimed(&self) -> bool {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.untimed.load(Ordering::SeqCst) == UNTIMED
    }
}
