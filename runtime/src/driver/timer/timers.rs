//! [`Timers`]: the driver's set of pending timers, shared by every thread of a runtime.
//!
//! A [`Wheel`] behind one mutex, plus the clock base that turns an [`Instant`] into the
//! wheel's nanoseconds, plus what the driver is parked on, so that a timer inserted
//! ahead of it (from another thread) interrupts the wait, and no other insert does.
//!
//! Wakers are woken, and dropped, outside the lock: a wake can run arbitrary code (drop a
//! task, which drops its `Sleep`s, which take the lock), and a waker that panics must not
//! leave the lock poisoned or the wheel half-processed.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;
use std::time::{Duration, Instant};

use super::entry::{Entry, Place};
use super::wheel::Wheel;

/// How many wakers `process` collects under the lock before it lets go to wake them.
const WAKE_BATCH: usize = 32;

/// `State::parked_until` while the driver is awake: it will read `next_deadline` again
/// before it sleeps, so no insert needs to interrupt it.
const AWAKE: u64 = 0;

/// The runtime's pending timers. `Send + Sync`: created, polled and dropped on any thread.
pub(crate) struct Timers {
    /// Instant 0 of the wheel's clock.
    base: Instant,
    state: Mutex<State>,
}

struct State {
    wheel: Wheel,
    /// The deadline (wheel nanoseconds) the driver sleeps towards: set by `next_deadline`,
    /// `AWAKE` after `process`, `u64::MAX` when it sleeps with no timer. An insert due
    /// before it must unpark the driver, and lowers it so that later inserts do not.
    parked_until: u64,
    /// Set by [`Timers::shutdown`]: nothing will fire a timer again.
    shutdown: bool,
}

impl State {
    /// An entry was just linked for `when`: if the driver sleeps past it, lower
    /// `parked_until` (later inserts need not unpark again) and ask the caller to unpark.
    fn armed(&mut self, when: u64) -> Registered {
        let unpark = when < self.parked_until;
        if unpark {
            self.parked_until = when;
        }
        Registered::Armed { unpark }
    }
}

/// What [`Timers::register`] did.
#[must_use]
pub(crate) enum Registered {
    /// Linked; when `unpark` is set the caller must call `driver::Handle::unpark`, since a
    /// driver may sleep past the new deadline.
    Armed { unpark: bool },
    /// The deadline has passed (or the driver fired the entry meanwhile): complete now.
    Fired,
    /// The runtime has shut down: nothing would ever fire the entry.
    Shutdown,
}

impl Timers {
    /// An empty set of timers whose clock starts now.
    pub(crate) fn new() -> Timers {
        Timers {
            base: Instant::now(),
            state: Mutex::new(State { wheel: Wheel::new(), parked_until: AWAKE, shutdown: false }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held (wakes happen outside it), but if something
        // did, the wheel is consistent between any two of its operations: carry on.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `deadline` on the wheel's clock: nanoseconds since `base`, 0 for an earlier instant,
    /// `u64::MAX` for one more than 584 years out.
    fn ticks(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.base);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The earliest deadline of a pending timer (exact, or a little early after the
    /// earliest timer was cancelled: see `wheel.rs`, invariant 4). The driver calls this
    /// right before it waits, and sleeps no longer than until the returned instant.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let mut state = self.lock();
        let next = state.wheel.next_expiration();
        state.parked_until = next.unwrap_or(u64::MAX);
        next.and_then(|ns| self.base.checked_add(Duration::from_nanos(ns)))
    }

    /// Wakes every timer whose deadline is at or before `now`. The driver calls this after
    /// each wait.
    pub(crate) fn process(&self, now: Instant) {
        let now = self.ticks(now);
        let mut wakers: [Option<Waker>; WAKE_BATCH] = Default::default();
        loop {
            let mut n = 0;
            {
                let mut state = self.lock();
                state.parked_until = AWAKE;
                while n < WAKE_BATCH {
                    let Some(entry) = state.wheel.poll(now) else {
                        break;
                    };
                    // SAFETY: `poll` hands out an entry it has just unlinked, so the entry
                    // is alive (its owner unlinks it, under this lock, before freeing it) and
                    // we hold the lock that guards `inner`.
                    wakers[n] = unsafe { Entry::inner(entry).waker.take() };
                    // SAFETY: we hold the lock; this is our last access to the entry.
                    unsafe { Entry::set_fired(entry, true) };
                    n += 1;
                }
            }
            for waker in wakers[..n].iter_mut().filter_map(Option::take) {
                // A waker that panics has had its message printed by the panic hook; it must
                // not stop the other timers from firing, nor take the driver down.
                let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            }
            if n < WAKE_BATCH {
                return;
            }
        }
    }

    /// Links `entry` to fire at `deadline` (if it is not linked yet) and stores `waker` as
    /// the one to wake then.
    ///
    /// The owner calls this from `poll`; it must call [`Timers::deregister`] before the
    /// entry's memory goes away if this returns `Armed`.
    pub(crate) fn register(&self, entry: Pin<&Entry>, deadline: Instant, waker: &Waker) -> Registered {
        let ptr = entry.get_ref().as_ptr();
        let when = self.ticks(deadline);
        let mut state = self.lock();
        if entry.is_fired() {
            return Registered::Fired;
        }
        if state.shutdown {
            return Registered::Shutdown;
        }
        // SAFETY: we hold the lock that guards `inner`; `entry` is alive (borrowed).
        let inner = unsafe { Entry::inner(ptr) };
        let old = match &inner.waker {
            Some(w) if w.will_wake(waker) => None,
            _ => inner.waker.replace(waker.clone()),
        };
        let result = if inner.place != Place::Unlinked {
            Registered::Armed { unpark: false }
        } else {
            // SAFETY: the entry is pinned (we got `Pin<&Entry>`), not linked, and its owner
            // promises (this function's contract) to deregister it before it is freed; its
            // `inner` is only touched under this lock.
            match unsafe { state.wheel.insert(ptr, when) } {
                Ok(()) => state.armed(when),
                Err(_) => {
                    // SAFETY: we hold the lock; the entry stays the owner's.
                    let waker = unsafe { Entry::inner(ptr).waker.take() };
                    drop(state);
                    drop((old, waker));
                    return Registered::Fired;
                }
            }
        };
        drop(state);
        // Dropping a waker may drop a task, whose `Sleep`s take this lock.
        drop(old);
        result
    }

    /// Unlinks `entry` if it is linked, drops its waker and clears its fired flag: the entry
    /// is as new. After it returns the wheel holds no pointer to `entry`.
    pub(crate) fn deregister(&self, entry: Pin<&Entry>) {
        let ptr = entry.get_ref().as_ptr();
        let waker = {
            let mut state = self.lock();
            // SAFETY: we hold the lock that guards `inner`; `entry` is alive (borrowed).
            let inner = unsafe { Entry::inner(ptr) };
            let linked = inner.place != Place::Unlinked;
            let waker = inner.waker.take();
            if linked {
                // SAFETY: the entry is linked in this wheel (its place says so).
                unsafe { state.wheel.remove(ptr) };
            }
            // SAFETY: we hold the lock and the entry is unlinked: nobody else touches it.
            unsafe { Entry::set_fired(ptr, false) };
            waker
        };
        drop(waker);
    }

    /// Moves `entry` to `deadline`: unlinks it, clears its fired flag, and, if it has a
    /// waker (it was polled and has not fired), links it again so that waker is woken at
    /// the new deadline; if that deadline has passed, wakes it now.
    ///
    /// Returns `Armed` when the entry is linked afterwards (the contract of
    /// [`Timers::register`] applies, `unpark` included), `Fired` when it is not: the next
    /// poll then either completes (the deadline has passed) or registers it again.
    pub(crate) fn reset(&self, entry: Pin<&Entry>, deadline: Instant) -> Registered {
        let ptr = entry.get_ref().as_ptr();
        let when = self.ticks(deadline);
        let mut state = self.lock();
        // SAFETY: we hold the lock that guards `inner`; `entry` is alive (borrowed).
        let inner = unsafe { Entry::inner(ptr) };
        if inner.place != Place::Unlinked {
            // SAFETY: the entry is linked in this wheel (its place says so).
            unsafe { state.wheel.remove(ptr) };
        }
        // SAFETY: we hold the lock and the entry is unlinked: the driver cannot fire it.
        unsafe { Entry::set_fired(ptr, false) };
        // SAFETY: as above; the earlier `inner` reference is no longer used.
        let inner = unsafe { Entry::inner(ptr) };
        if inner.waker.is_none() || state.shutdown {
            // Never polled, or already fired, or nothing fires timers any more: leave it
            // unlinked; the next poll registers it (or reports the shutdown).
            let waker = inner.waker.take();
            drop(state);
            drop(waker);
            return Registered::Fired;
        }
        // SAFETY: as in `register`: pinned, unlinked, owner deregisters before freeing.
        match unsafe { state.wheel.insert(ptr, when) } {
            Ok(()) => state.armed(when),
            Err(_) => {
                // Left unlinked and unfired: the owner's next poll inserts it again, which
                // fails the same way (the wheel's clock never goes back), and completes.
                // SAFETY: we hold the lock; the entry is unlinked and the owner's.
                let waker = unsafe { Entry::inner(ptr).waker.take() };
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
                Registered::Fired
            }
        }
    }

    /// The runtime is shutting down: no timer will fire again. Unlinks every timer and wakes
    /// its task, *without* marking it fired, so that whoever polls it next learns of the
    /// shutdown (`Registered::Shutdown`) instead of waiting forever, and no sleep completes
    /// before its deadline. The driver calls this from its own shutdown.
    pub(crate) fn shutdown(&self) {
        let mut wakers: [Option<Waker>; WAKE_BATCH] = Default::default();
        loop {
            let mut n = 0;
            {
                let mut state = self.lock();
                state.shutdown = true;
                while n < WAKE_BATCH {
                    let Some(entry) = state.wheel.poll(u64::MAX) else { break };
                    // SAFETY: as in `process`: just unlinked by `poll`, alive, lock held. The
                    // entry stays unfired; its owner finds it unlinked and deregisters nothing.
                    wakers[n] = unsafe { Entry::inner(entry).waker.take() };
                    n += 1;
                }
            }
            for waker in wakers[..n].iter_mut().filter_map(Option::take) {
                let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
            }
            if n < WAKE_BATCH {
                return;
            }
        }
    }

    /// How many timers are linked (waiting, or due and not yet woken).
    pub(crate) fn len(&self) -> usize {
        self.lock().wheel.len()
    }
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers").field("pending", &self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    struct Panics;
    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("a waker that panics (expected in this test)");
        }
    }

    fn armed(r: Registered) -> Option<bool> {
        match r {
            Registered::Armed { unpark } => Some(unpark),
            Registered::Fired | Registered::Shutdown => None,
        }
    }

    #[test]
    fn fires_at_the_deadline_and_not_before() {
        let timers = Timers::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let entry = Box::pin(Entry::new());
        let at = timers.base + Duration::from_micros(200);
        assert!(armed(timers.register(entry.as_ref(), at, &waker)).is_some());
        assert_eq!(timers.next_deadline(), Some(at), "exact to the nanosecond");
        timers.process(at - Duration::from_nanos(1));
        assert!(!entry.is_fired());
        timers.process(at);
        assert!(entry.is_fired());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(timers.len(), 0);
        assert_eq!(Arc::strong_count(&count), 2, "the fired entry let go of its waker");
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn a_panicking_waker_stops_nothing() {
        let timers = Timers::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let (good, bad) = (Waker::from(count.clone()), Waker::from(Arc::new(Panics)));
        let entries: Vec<_> = (0..100).map(|_| Box::pin(Entry::new())).collect();
        for (i, e) in entries.iter().enumerate() {
            let w = if i % 10 == 0 { &bad } else { &good };
            let at = timers.base + Duration::from_micros(1 + i as u64);
            assert!(armed(timers.register(e.as_ref(), at, w)).is_some());
        }
        timers.process(timers.base + Duration::from_secs(1));
        assert_eq!(count.0.load(Ordering::SeqCst), 90);
        assert!(entries.iter().all(|e| e.is_fired()));
        assert!(!timers.state.is_poisoned());
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn unpark_only_when_the_earliest_deadline_moves_earlier() {
        let timers = Timers::new();
        let waker = Waker::from(Arc::new(Count(AtomicUsize::new(0))));
        let es: Vec<_> = (0..5).map(|_| Box::pin(Entry::new())).collect();
        let at = |ms: u64| timers.base + Duration::from_millis(ms);
        // The driver is awake (it reads next_deadline before it sleeps): no unpark.
        assert_eq!(armed(timers.register(es[0].as_ref(), at(50), &waker)), Some(false));
        // The driver now sleeps towards 50ms.
        assert_eq!(timers.next_deadline(), Some(at(50)));
        assert_eq!(armed(timers.register(es[1].as_ref(), at(60), &waker)), Some(false));
        assert_eq!(armed(timers.register(es[2].as_ref(), at(40), &waker)), Some(true));
        // The driver has been told about 40: 45 needs no second syscall.
        assert_eq!(armed(timers.register(es[3].as_ref(), at(45), &waker)), Some(false));
        // After a turn the driver is awake again.
        timers.process(timers.base);
        assert_eq!(armed(timers.register(es[4].as_ref(), at(1), &waker)), Some(false));
        for e in &es {
            timers.deregister(e.as_ref());
        }
        // Sleeping with no timer at all: any insert must interrupt the wait.
        assert_eq!(timers.next_deadline(), None);
        assert_eq!(armed(timers.register(es[0].as_ref(), at(3_600_000), &waker)), Some(true));
        timers.deregister(es[0].as_ref());
        assert_eq!(timers.len(), 0);
    }

    /// A waker whose drop takes the timers' lock, as dropping a task's last waker does when
    /// the task holds a `Sleep`: the timers must drop wakers outside their lock.
    struct Reentrant {
        timers: Arc<Timers>,
        dropped_under_lock: Arc<AtomicBool>,
    }
    impl Wake for Reentrant {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for Reentrant {
        fn drop(&mut self) {
            if self.timers.state.try_lock().is_err() {
                self.dropped_under_lock.store(true, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn wakers_are_dropped_and_woken_outside_the_lock() {
        let timers = Arc::new(Timers::new());
        let flag = Arc::new(AtomicBool::new(false));
        let make =
            || Waker::from(Arc::new(Reentrant { timers: timers.clone(), dropped_under_lock: flag.clone() }));
        let (a, b) = (Box::pin(Entry::new()), Box::pin(Entry::new()));
        let far = timers.base + Duration::from_secs(10);
        // Replaced waker (a different task polls the sleep), then deregister.
        assert!(armed(timers.register(a.as_ref(), far, &make())).is_some());
        assert!(armed(timers.register(a.as_ref(), far, &make())).is_some());
        timers.deregister(a.as_ref());
        // Fired by the driver; reset re-arms with its waker.
        assert!(armed(timers.register(b.as_ref(), far, &make())).is_some());
        assert!(armed(timers.reset(b.as_ref(), timers.base + Duration::from_millis(1))).is_some());
        timers.process(timers.base + Duration::from_millis(1));
        assert!(b.is_fired());
        assert!(!flag.load(Ordering::SeqCst), "a waker was dropped while the lock was held");
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn reset_moves_earlier_and_later() {
        let timers = Timers::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let e = Box::pin(Entry::new());
        let at = |us: u64| timers.base + Duration::from_micros(us);
        assert!(armed(timers.register(e.as_ref(), at(1_000), &waker)).is_some());
        assert!(armed(timers.reset(e.as_ref(), at(10))).is_some());
        assert_eq!(timers.next_deadline(), Some(at(10)));
        assert!(armed(timers.reset(e.as_ref(), at(5_000))).is_some());
        timers.process(at(4_999));
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        timers.process(at(5_000));
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        // Fired: a reset clears the flag; with no waker left it waits for the next poll.
        assert!(e.is_fired());
        assert!(armed(timers.reset(e.as_ref(), at(9_000))).is_none());
        assert!(!e.is_fired());
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn shutdown_wakes_everything_and_fires_nothing() {
        let timers = Timers::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let es: Vec<_> = (0..40).map(|_| Box::pin(Entry::new())).collect();
        for (i, e) in es.iter().enumerate() {
            let at = timers.base + Duration::from_secs(1 + i as u64);
            assert!(armed(timers.register(e.as_ref(), at, &waker)).is_some());
        }
        timers.shutdown();
        assert_eq!(count.0.load(Ordering::SeqCst), 40, "every waiting task is woken");
        assert!(es.iter().all(|e| !e.is_fired()), "none completes before its deadline");
        assert_eq!(timers.len(), 0);
        assert!(matches!(
            timers.register(es[0].as_ref(), timers.base + Duration::from_secs(1), &waker),
            Registered::Shutdown
        ));
        assert!(matches!(
            timers.reset(es[1].as_ref(), timers.base + Duration::from_secs(1)),
            Registered::Fired
        ));
        for e in &es {
            timers.deregister(e.as_ref());
        }
        assert_eq!(Arc::strong_count(&count), 2, "no waker kept");
    }
}
