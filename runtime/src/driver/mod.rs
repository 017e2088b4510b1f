//! The I/O driver (reactor): turns epoll readiness into `Waker::wake`.
//!
//! It owns the epoll instance, the eventfd that lets other threads interrupt a blocked
//! wait, the set of live registrations and the timers. Every fd is registered once, with
//! `IN | OUT | RDHUP | PRI | ET`, and its token names its [`Readiness`] (slot and generation); an event
//! sets readiness bits and wakes the waiting tasks. Operations clear readiness only when
//! the kernel says `WouldBlock` (see `readiness.rs` for the tick that keeps a racing edge).
//!
//! What this module does not do: run tasks, or decide when to wait. The scheduler calls
//! [`Driver::turn`] with a timeout; only one thread holds the [`Driver`] at a time.
//!
//! # Why a token cannot dangle
//! An event's token names a slot of the registration set and the generation that slot had
//! when the fd was registered (`slot | generation << 32`). The set holds a strong
//! reference to each live `Readiness`; dispatch looks the slot up under the set's lock,
//! skips the event unless the generation matches, and clones the `Arc` before waking, so
//! an event can only ever reach a `Readiness` that is alive. Deregistering frees the slot
//! (the next registration there gets a new generation) whether or not `EPOLL_CTL_DEL`
//! succeeded: if the fd was swapped or closed behind our back and its epoll entry lives
//! on, the entry's events carry a generation that no longer matches and are dropped. No
//! user action, not even replacing the fd inside an `Async` through `get_mut`, can make
//! the driver touch freed memory (`tests/io_async_swapped_fd.rs`).

pub(crate) mod readiness;
pub(crate) mod registration;
pub(crate) mod timer;

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sys::epoll::{Epoll, Event, Events};
use crate::sys::eventfd::EventFd;
pub(crate) use readiness::{Direction, Readiness, ReadyEvent, Waiter};
pub(crate) use registration::Registration;
use timer::{Clock, Timers};

/// The token of the eventfd: no registration has slot `u32::MAX`.
const WAKE_TOKEN: u64 = u32::MAX as u64;
/// How long a turn sleeps once epoll has failed: the most a timer or a wake from another
/// thread is late on such a runtime.
const FAILED_WAIT: Duration = Duration::from_millis(10);
/// How many events one `epoll_wait` returns at most; the buffer is allocated once.
const EVENT_CAPACITY: usize = 1024;

/// Options for a new driver.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) precise_timeouts: bool,
}

/// The part of the driver that every thread may use: registering fds, timers, and
/// interrupting a wait.
pub(crate) struct Handle {
    epoll: Epoll,
    waker: EventFd,
    registrations: Mutex<RegistrationSet>,
    pub(crate) timers: Timers,
    /// Counters for the runtime's metrics.
    pub(crate) stats: DriverStats,
    /// Why epoll failed, once it has: every I/O error after that names the cause.
    failure: std::sync::OnceLock<String>,
    /// The runtime's clock (`Instant::now()` unless a test paused it).
    pub(crate) clock: Clock,
}

/// The driver's counters (`runtime/metrics.rs`). `turns` and `events` are written by the
/// one thread that owns the `Driver` at a time (load + store); `failed_deregisters` by any
/// thread, on a failure path.
#[derive(Default)]
pub(crate) struct DriverStats {
    pub(crate) turns: AtomicU64,
    pub(crate) events: AtomicU64,
    pub(crate) failed_deregisters: AtomicU64,
}

/// Every live registration, found by the slot its token names (module docs, "Why a token
/// cannot dangle").
#[derive(Default)]
struct RegistrationSet {
    live: Vec<Slot>,
    free: Vec<u32>,
    /// Set once, under this lock, by shutdown: a registration either finds it set and
    /// fails, or is in `live` when shutdown collects what to wake.
    shutdown: bool,
}

#[derive(Default)]
struct Slot {
    /// Bumped each time the slot is taken, so a stale token never matches a new tenant.
    generation: u32,
    readiness: Option<Arc<Readiness>>,
}

impl RegistrationSet {
    /// The live registration `token` names, if it still is the one the token was made for.
    fn lookup(&self, token: u64) -> Option<&Arc<Readiness>> {
        let slot = self.live.get((token & u64::from(u32::MAX)) as usize)?;
        (u64::from(slot.generation) == token >> 32).then_some(slot.readiness.as_ref()?)
    }
}

/// The part of the driver that waits: owned by one thread at a time.
pub(crate) struct Driver {
    handle: Arc<Handle>,
    events: Vec<Event>,
    /// This turn's events, resolved to live registrations (kept to reuse its buffer).
    dispatch: Vec<(Arc<Readiness>, Events)>,
}

impl Driver {
    pub(crate) fn new(config: Config) -> io::Result<Driver> {
        let mut epoll = Epoll::new()?;
        epoll.set_precise_timeouts(config.precise_timeouts);
        epoll.enable_faults();
        let waker = EventFd::new()?;
        epoll.add(waker.as_fd(), Events::IN | Events::ET, WAKE_TOKEN)?;
        let handle = Arc::new(Handle {
            epoll,
            waker,
            registrations: Mutex::new(RegistrationSet::default()),
            timers: Timers::new(),
            stats: DriverStats::default(),
            failure: std::sync::OnceLock::new(),
            clock: Clock::new(),
        });
        Ok(Driver { handle, events: Vec::with_capacity(EVENT_CAPACITY), dispatch: Vec::new() })
    }

    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// Waits for I/O events or the next timer, at most `timeout` (`None`: no limit but the
    /// timers), dispatches what arrived and fires expired timers.
    ///
    /// Returns how many I/O events were dispatched.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let handle = &*self.handle;
        // A paused clock with every task idle (this is a wait, not a look): look for I/O
        // without waiting, and only if none arrived jump to the next timer instead of
        // sleeping towards it, so that a reply already on its way beats a timeout.
        let mut jump_to = None;
        let timeout = match handle.timers.next_deadline() {
            None => timeout,
            Some(deadline) if timeout != Some(Duration::ZERO) && handle.clock.is_paused() => {
                jump_to = Some(deadline);
                Some(Duration::ZERO)
            }
            Some(deadline) => {
                let until = deadline.saturating_duration_since(handle.clock.now());
                Some(timeout.map_or(until, |t| t.min(until)))
            }
        };
        if let Err(e) = handle.epoll.wait(&mut self.events, timeout) {
            // epoll itself failed (EINTR is retried inside, and a refused `epoll_pwait2`
            // falls back to `epoll_wait`): this runtime can do no I/O any more. Fail every
            // I/O object with the cause, then wait without epoll so that timers still fire
            // and a failing wait never becomes a busy loop (`tests/rt_epoll_refused.rs`).
            handle.fail(&e);
            std::thread::sleep(timeout.map_or(FAILED_WAIT, |t| t.min(FAILED_WAIT)));
            if let Some(deadline) = jump_to {
                handle.clock.skip_to(deadline);
            }
            handle.timers.process(handle.clock.now());
            return Err(e);
        }
        if let Some(deadline) = jump_to.filter(|_| self.events.is_empty() && !handle.epoll.holds_events()) {
            handle.clock.skip_to(deadline);
        }
        // Resolve tokens under the lock, wake outside it: a waker may run any code,
        // including code that registers or drops an I/O object.
        if self.events.iter().any(|e| e.token() != WAKE_TOKEN) {
            let set = handle.lock_registrations();
            for event in &self.events {
                if let Some(readiness) = set.lookup(event.token()) {
                    self.dispatch.push((readiness.clone(), event.events()));
                }
            }
        }
        let dispatched = self.dispatch.len();
        let stats = &handle.stats;
        stats.turns.store(stats.turns.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        stats.events.store(stats.events.load(Ordering::Relaxed) + dispatched as u64, Ordering::Relaxed);
        for (readiness, events) in self.dispatch.drain(..) {
            readiness.set_from_event(events);
        }
        let real = Instant::now();
        // The spawn clock of task dumps (real time), from the clock read that the timers
        // need anyway.
        timer::coarse::refresh_coarse(real);
        handle.timers.process(handle.clock.at(real));
        Ok(dispatched)
    }

    /// Wakes every registered I/O object with a "runtime shut down" error and marks the
    /// driver dead, so that late registrations fail instead of waiting forever.
    pub(crate) fn shutdown(&mut self) {
        self.handle.shutdown();
    }
}

impl Handle {
    fn lock_registrations(&self) -> std::sync::MutexGuard<'_, RegistrationSet> {
        // A panic cannot happen while the lock is held (only Vec operations), but be safe:
        // the set is still consistent after any such unwind.
        self.registrations.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Interrupts a thread blocked in this driver's `epoll_wait`. Callable from any thread.
    pub(crate) fn unpark(&self) {
        self.waker.notify();
    }

    /// Registers `fd` with `IN | OUT | RDHUP | PRI | ET` (PRI: TCP urgent data ends reads
    /// early, see `ReadyEvent::ends_reads_early`).
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<Arc<Readiness>> {
        let (readiness, token) = {
            let mut set = self.lock_registrations();
            if set.shutdown {
                return Err(self.shutdown_error());
            }
            let index = match set.free.pop() {
                Some(index) => index,
                None => {
                    let index = u32::try_from(set.live.len())
                        .ok()
                        .filter(|&i| u64::from(i) != WAKE_TOKEN)
                        .ok_or_else(|| io::Error::other("too many registrations in one crest driver"))?;
                    set.live.push(Slot::default());
                    index
                }
            };
            let slot = &mut set.live[index as usize];
            slot.generation = slot.generation.wrapping_add(1);
            let readiness = Arc::new(Readiness::new(index as usize));
            slot.readiness = Some(readiness.clone());
            (readiness, u64::from(index) | u64::from(slot.generation) << 32)
        };
        let interest = Events::IN | Events::OUT | Events::RDHUP | Events::PRI | Events::ET;
        if let Err(e) = self.epoll.add(fd, interest, token) {
            self.forget(&readiness);
            return Err(e);
        }
        Ok(readiness)
    }

    /// Stops watching `fd` (when `Some`) and forgets `readiness`. The registration is
    /// forgotten even when `EPOLL_CTL_DEL` fails: its token can no longer match (module
    /// docs), so nothing is leaked and nothing dangles.
    pub(crate) fn deregister(
        &self,
        fd: Option<BorrowedFd<'_>>,
        readiness: &Arc<Readiness>,
    ) -> io::Result<()> {
        let res = fd.map_or(Ok(()), |fd| self.epoll.delete(fd));
        if res.is_err() {
            self.stats.failed_deregisters.fetch_add(1, Ordering::Relaxed);
        }
        readiness.clear_waiters();
        self.forget(readiness);
        res
    }

    /// File descriptors registered now (metrics).
    pub(crate) fn registered(&self) -> usize {
        let set = self.lock_registrations();
        set.live.len() - set.free.len()
    }

    fn forget(&self, readiness: &Arc<Readiness>) {
        let held = {
            let mut set = self.lock_registrations();
            let index = readiness.slot();
            let held = match set.live.get_mut(index) {
                Some(slot) if slot.readiness.as_ref().is_some_and(|r| Arc::ptr_eq(r, readiness)) => {
                    slot.readiness.take()
                }
                _ => None,
            };
            if held.is_some() {
                set.free.push(index as u32);
            }
            held
        };
        drop(held);
    }

    /// Records that epoll failed with `error` and shuts the I/O side down (once); timers
    /// go on, driven by the failed turn's sleep.
    fn fail(&self, error: &io::Error) {
        let _ = self.failure.set(format!("epoll_wait failed: {error}"));
        self.shutdown_io();
    }

    /// The error every I/O operation returns once this driver has shut down (or failed).
    pub(crate) fn shutdown_error(&self) -> io::Error {
        match self.failure.get() {
            Some(cause) => io::Error::other(format!("the crest runtime's I/O driver stopped: {cause}")),
            None => io::Error::other("the crest runtime this I/O object belongs to has shut down"),
        }
    }

    /// Wakes every registered I/O object with a "runtime shut down" error, refuses new
    /// registrations and stops the timers. Idempotent.
    pub(crate) fn shutdown(&self) {
        self.shutdown_io();
        self.timers.shutdown();
    }

    /// The I/O half of [`shutdown`](Self::shutdown); timers keep working.
    fn shutdown_io(&self) {
        let live: Vec<Arc<Readiness>> = {
            let mut set = self.lock_registrations();
            if std::mem::replace(&mut set.shutdown, true) {
                return;
            }
            set.live.iter().filter_map(|slot| slot.readiness.clone()).collect()
        };
        for r in live {
            r.shutdown();
        }
    }
}
