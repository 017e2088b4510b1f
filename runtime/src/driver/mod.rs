//! The I/O driver (reactor): turns epoll readiness into `Waker::wake`.
//!
//! It owns the epoll instance, the eventfd that lets other threads interrupt a blocked
//! wait, the set of live registrations and the timers. Every fd is registered once, with
//! `IN | OUT | RDHUP | PRI | ET`, and its token is the address of its [`Readiness`]; an event
//! sets readiness bits and wakes the waiting tasks. Operations clear readiness only when
//! the kernel says `WouldBlock` (see `readiness.rs` for the tick that keeps a racing edge).
//!
//! What this module does not do: run tasks, or decide when to wait. The scheduler calls
//! [`Driver::turn`] with a timeout; only one thread holds the [`Driver`] at a time.
//!
//! # Why a token is a pointer, and why that is safe
//! An event's token is `Arc::as_ptr` of the registration's `Readiness`. The set of
//! registrations holds a strong reference to each; deregistering moves that reference to
//! a release list which is emptied only at the *start* of a later turn, before the next
//! `epoll_wait`. An event for an fd was produced by an `epoll_wait` that began before
//! its `EPOLL_CTL_DEL` returned, so it is dispatched in that same turn, while the
//! `Readiness` is still alive. After the release no event can name it: the kernel forgot
//! the fd at `EPOLL_CTL_DEL`. A stale event can therefore only reach a dead-but-allocated
//! `Readiness`, where it is harmless.

pub(crate) mod readiness;
pub(crate) mod registration;

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::sys::epoll::{Epoll, Event, Events};
use crate::sys::eventfd::EventFd;
use crate::time::Timers;
pub(crate) use readiness::{Direction, Readiness, ReadyEvent};
pub(crate) use registration::Registration;

/// The token of the eventfd: no `Readiness` lives at address 0.
const WAKE_TOKEN: u64 = 0;
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
    /// True when `registrations.release` is not empty; lets a turn skip the lock.
    release_pending: AtomicBool,
    is_shutdown: AtomicBool,
    pub(crate) timers: Timers,
}

/// Every live registration, each held by a strong reference so that its address stays
/// valid while the kernel may still report it.
#[derive(Default)]
struct RegistrationSet {
    live: Vec<Option<Arc<Readiness>>>,
    free: Vec<usize>,
    /// Deregistered, waiting for the start of the next turn to be dropped.
    release: Vec<Arc<Readiness>>,
}

/// The part of the driver that waits: owned by one thread at a time.
pub(crate) struct Driver {
    handle: Arc<Handle>,
    events: Vec<Event>,
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
            release_pending: AtomicBool::new(false),
            is_shutdown: AtomicBool::new(false),
            timers: Timers::new(),
        });
        Ok(Driver { handle, events: Vec::with_capacity(EVENT_CAPACITY) })
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
        if handle.release_pending.load(Ordering::Acquire) {
            handle.release_pending.store(false, Ordering::Relaxed);
            let released = std::mem::take(&mut handle.lock_registrations().release);
            drop(released);
        }
        let timeout = match handle.timers.next_deadline() {
            None => timeout,
            Some(deadline) => {
                let until = deadline.saturating_duration_since(Instant::now());
                Some(timeout.map_or(until, |t| t.min(until)))
            }
        };
        match handle.epoll.wait(&mut self.events, timeout) {
            Ok(_) => {}
            Err(e) => return Err(e),
        }
        let mut dispatched = 0;
        for event in &self.events {
            let token = event.token();
            if token == WAKE_TOKEN {
                continue;
            }
            let ptr = token as usize as *const Readiness;
            // SAFETY: the token is `Arc::as_ptr` of a Readiness that the registration set
            // keeps alive until the start of a later turn (module docs, "Why a token is a
            // pointer"); this event came from this turn's wait.
            let readiness = unsafe { &*ptr };
            readiness.set_from_event(event.events());
            dispatched += 1;
        }
        handle.timers.process(Instant::now());
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
        if self.is_shutdown.load(Ordering::Acquire) {
            return Err(shutdown_error());
        }
        let readiness = {
            let mut set = self.lock_registrations();
            let slot = set.free.pop().unwrap_or_else(|| {
                set.live.push(None);
                set.live.len() - 1
            });
            let readiness = Arc::new(Readiness::new(slot));
            set.live[slot] = Some(readiness.clone());
            readiness
        };
        let token = Arc::as_ptr(&readiness) as usize as u64;
        let interest = Events::IN | Events::OUT | Events::RDHUP | Events::PRI | Events::ET;
        if let Err(e) = self.epoll.add(fd, interest, token) {
            self.forget(&readiness, false);
            return Err(e);
        }
        Ok(readiness)
    }

    /// Stops watching `fd` and lets its readiness go after the next turn begins.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>, readiness: &Arc<Readiness>) -> io::Result<()> {
        let res = self.epoll.delete(fd);
        readiness.clear_waiters();
        self.forget(readiness, true);
        res
    }

    fn forget(&self, readiness: &Arc<Readiness>, defer: bool) {
        let mut set = self.lock_registrations();
        let slot = readiness.slot();
        let held = match set.live.get_mut(slot) {
            Some(entry) if entry.as_ref().is_some_and(|r| Arc::ptr_eq(r, readiness)) => entry.take(),
            _ => None,
        };
        if let Some(held) = held {
            set.free.push(slot);
            if defer {
                set.release.push(held);
                self.release_pending.store(true, Ordering::Release);
            }
        }
    }

    fn shutdown(&self) {
        if self.is_shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        let (live, released) = {
            let mut set = self.lock_registrations();
            let live: Vec<Arc<Readiness>> = set.live.iter().flatten().cloned().collect();
            (live, std::mem::take(&mut set.release))
        };
        drop(released);
        for r in live {
            r.shutdown();
        }
        self.timers.shutdown();
    }
}

/// The error every I/O operation returns once its runtime has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the crest runtime this I/O object belongs to has shut down")
}
