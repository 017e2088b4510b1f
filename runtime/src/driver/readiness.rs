//! The readiness of one registered descriptor: a state word the driver sets and operations
//! clear, and the wakers of the tasks waiting for it.
//!
//! # The state word
//!
//! ```text
//! | 63 ..... 49 | 48       | 47 ......... 16 | 15 .. 6 | 5     | 4   | 3       | 2      | 1    | 0    |
//! | unused      | SHUTDOWN | tick (32 bits)  | unused  | ERROR | PRI | W_CLOSED| R_CLOSED| WRITE| READ |
//! ```
//!
//! * The readiness bits are set by the driver when an event arrives (`set_from_event`) and
//!   cleared by an operation that got `WouldBlock` (`clear`). Closed bits are final: once
//!   the peer hung up, no operation can make the fd "unclosed", so `clear` keeps them.
//! * The tick counts events for this registration. An operation remembers the tick it saw
//!   when it found the fd ready ([`ReadyEvent`]); `clear` only clears when the tick is
//!   unchanged. An edge that arrives between the operation's syscall and its clear bumps
//!   the tick, so the clear is skipped and the edge is not lost.
//! * SHUTDOWN is set once when the driver shuts down; every waiter is then woken and
//!   every later poll reports an error.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Mutex;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll, Waker};

use crate::sys::epoll::Events;

/// The fd is readable.
pub(crate) const READABLE: usize = 1 << 0;
/// The fd is writable.
pub(crate) const WRITABLE: usize = 1 << 1;
/// The peer shut down its write side (reads will see EOF). Final.
pub(crate) const READ_CLOSED: usize = 1 << 2;
/// Our write side is closed (the peer is gone). Final.
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
/// Priority data (`EPOLLPRI`) is available.
pub(crate) const PRIORITY: usize = 1 << 4;
/// An error is pending on the fd: an operation will report it.
pub(crate) const ERROR: usize = 1 << 5;

#[cfg(all(test, not(loom)))]
const READY_MASK: usize = (1 << 6) - 1;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xFFFF_FFFF << TICK_SHIFT;
/// The driver is gone: every poll fails.
const SHUTDOWN: usize = 1 << 48;

/// What a reader waits for: any of these lets a read make progress or report.
const READ_INTEREST: usize = READABLE | READ_CLOSED | ERROR | PRIORITY;
/// What a writer waits for.
const WRITE_INTEREST: usize = WRITABLE | WRITE_CLOSED | ERROR;

/// Which side of the fd an operation uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn interest(self) -> usize {
        match self {
            Direction::Read => READ_INTEREST,
            Direction::Write => WRITE_INTEREST,
        }
    }
}

/// A snapshot of readiness, taken when an operation found the fd ready.
#[derive(Clone, Copy, Debug)]
#[must_use = "pass the event back to `clear` when the operation returns WouldBlock"]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
    pub(crate) shutdown: bool,
}

impl ReadyEvent {
    /// True when the readiness seen was only final bits (closed): an operation that still
    /// got `WouldBlock` must wait for a new event rather than retry, or it would spin.
    pub(crate) fn only_final(&self) -> bool {
        !self.shutdown && self.ready & !(READ_CLOSED | WRITE_CLOSED) == 0
    }

    /// True when a read may return short with data still queued, so a short transfer
    /// proves nothing: the peer hung up or an error is pending (the closed bits are final
    /// anyway), or TCP urgent data is pending (`EPOLLPRI`; a TCP read stops at the urgent
    /// mark). Urgent data that arrives after this snapshot bumps the tick, so the clear
    /// that the shortcut makes is then skipped.
    pub(crate) fn ends_reads_early(&self) -> bool {
        self.ready & (READ_CLOSED | WRITE_CLOSED | ERROR | PRIORITY) != 0
    }
}

/// Who waits, as the waker list knows it.
pub(crate) enum Waiter<'a> {
    /// The I/O object's poll methods (`poll_read`, `poll_readable`, ...): one entry per
    /// direction, and the latest poll's waker replaces the one before (tokio's rule for
    /// `poll_read_ready`). It cannot grow the list.
    Poll,
    /// A future (`readable()`, `read_with`, ...): an entry of its own, so that any number
    /// of tasks can wait on one fd. The id is 0 until the future first registers; the
    /// future removes its entry when it is dropped ([`Readiness::remove_waiter`]), so the
    /// list holds at most one entry per live waiting future.
    Future(&'a mut u64),
}

/// The id of the [`Waiter::Poll`] entry; futures get ids from 1.
const POLL_ID: u64 = 0;

/// The wakers waiting for one direction. Nearly always one task waits per direction, so
/// the first waker needs no allocation; further waiters (several tasks awaiting
/// `readable()` on one shared fd) go to `rest`.
#[derive(Default)]
struct WakerList {
    first: Option<(u64, Waker)>,
    rest: Vec<(u64, Waker)>,
}

impl WakerList {
    /// Records `waker` for `id`; returns the waker it replaced, for the caller to drop
    /// once the lock is released (dropping a waker may run arbitrary code).
    #[must_use]
    fn register(&mut self, id: u64, waker: &Waker) -> Option<Waker> {
        let existing = match &mut self.first {
            Some((fid, w)) if *fid == id => Some(w),
            _ => self.rest.iter_mut().find(|(rid, _)| *rid == id).map(|(_, w)| w),
        };
        if let Some(w) = existing {
            if !w.will_wake(waker) {
                return Some(std::mem::replace(w, waker.clone()));
            }
        } else if self.first.is_none() {
            self.first = Some((id, waker.clone()));
        } else {
            self.rest.push((id, waker.clone()));
        }
        None
    }

    fn remove(&mut self, id: u64) -> Option<Waker> {
        if self.first.as_ref().is_some_and(|(fid, _)| *fid == id) {
            return self.first.take().map(|(_, w)| w);
        }
        let at = self.rest.iter().position(|(rid, _)| *rid == id)?;
        Some(self.rest.swap_remove(at).1)
    }

    /// Empties the list, handing the wakers to the caller to drop outside the lock.
    fn take(&mut self) -> WakerList {
        std::mem::take(self)
    }
}

#[derive(Default)]
struct Waiters {
    reader: WakerList,
    writer: WakerList,
    /// The last id given to a future waiter.
    last_id: u64,
}

impl Waiters {
    fn list(&mut self, dir: Direction) -> &mut WakerList {
        match dir {
            Direction::Read => &mut self.reader,
            Direction::Write => &mut self.writer,
        }
    }

    #[must_use]
    fn register(&mut self, dir: Direction, waiter: Waiter<'_>, waker: &Waker) -> Option<Waker> {
        let id = match waiter {
            Waiter::Poll => POLL_ID,
            Waiter::Future(id) => {
                if *id == POLL_ID {
                    self.last_id += 1;
                    *id = self.last_id;
                }
                *id
            }
        };
        self.list(dir).register(id, waker)
    }
}

/// The readiness state of one registered fd; shared by the driver (which sets it) and the
/// I/O object (which polls and clears it).
pub(crate) struct Readiness {
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
    /// Index in the driver's registration set; fixed at birth.
    slot: usize,
}

impl Readiness {
    pub(crate) fn new(slot: usize) -> Readiness {
        Readiness { state: AtomicUsize::new(0), waiters: Mutex::new(Waiters::default()), slot }
    }

    pub(crate) fn slot(&self) -> usize {
        self.slot
    }

    /// Records the events the kernel reported and wakes the tasks they concern.
    /// Called by the driver only.
    pub(crate) fn set_from_event(&self, events: Events) {
        let mut ready = 0;
        if events.intersects(Events::IN) {
            ready |= READABLE;
        }
        if events.intersects(Events::PRI) {
            ready |= PRIORITY;
        }
        if events.intersects(Events::OUT) {
            ready |= WRITABLE;
        }
        if events.intersects(Events::RDHUP) {
            ready |= READ_CLOSED;
        }
        if events.intersects(Events::HUP) {
            ready |= READ_CLOSED | WRITE_CLOSED;
        }
        if events.intersects(Events::ERR) {
            ready |= ERROR;
        }
        // AcqRel: Release publishes the readiness before the wake (a woken task that loads
        // it with Acquire sees it); Acquire orders us after any clear we raced with.
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            let tick = ((cur & TICK_MASK) >> TICK_SHIFT).wrapping_add(1) & 0xFFFF_FFFF;
            Some((cur & !TICK_MASK) | (tick << TICK_SHIFT) | ready)
        });
        self.wake(ready);
    }

    /// Marks the registration dead (the driver is shutting down) and wakes everyone.
    pub(crate) fn shutdown(&self) {
        self.state.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.wake(READ_INTEREST | WRITE_INTEREST);
    }

    /// Drops every registered waker without waking it: the registration is gone, and a
    /// waker kept here would keep its task (and through it the runtime) alive.
    pub(crate) fn clear_waiters(&self) {
        let taken = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            (waiters.reader.take(), waiters.writer.take())
        };
        drop(taken);
    }

    fn wake(&self, ready: usize) {
        let (reader, writer, rest) = {
            let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            let waiters = &mut *waiters;
            let wake_r = ready & READ_INTEREST != 0;
            let wake_w = ready & WRITE_INTEREST != 0;
            let reader = if wake_r { waiters.reader.first.take() } else { None };
            let writer = if wake_w { waiters.writer.first.take() } else { None };
            let (reader, writer) = (reader.map(|(_, w)| w), writer.map(|(_, w)| w));
            // Rare: several tasks wait on one direction of one fd.
            let mut rest = Vec::new();
            if wake_r && !waiters.reader.rest.is_empty() {
                rest.append(&mut waiters.reader.rest);
            }
            if wake_w && !waiters.writer.rest.is_empty() {
                rest.append(&mut waiters.writer.rest);
            }
            (reader, writer, rest)
        };
        // Wake outside the lock: a waker may poll this very fd. A panicking waker must not
        // take the driver down with it.
        if let Some(waker) = reader {
            let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
        }
        if let Some(waker) = writer {
            let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
        }
        for (_, waker) in rest {
            let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
        }
    }

    fn snapshot(&self, dir: Direction, order: Ordering) -> Option<ReadyEvent> {
        let cur = self.state.load(order);
        let ready = cur & dir.interest();
        if cur & SHUTDOWN != 0 {
            return Some(ReadyEvent { tick: cur & TICK_MASK, ready, shutdown: true });
        }
        (ready != 0).then_some(ReadyEvent { tick: cur & TICK_MASK, ready, shutdown: false })
    }

    /// The readiness for `dir`, if the fd is ready now; registers nothing.
    pub(crate) fn ready_now(&self, dir: Direction) -> Option<ReadyEvent> {
        self.snapshot(dir, Ordering::Acquire)
    }

    /// Returns the readiness for `dir` if the fd is ready, otherwise registers the task's
    /// waker for `dir` as `waiter` and returns `Pending`.
    pub(crate) fn poll_ready(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: Waiter<'_>,
    ) -> Poll<ReadyEvent> {
        // Acquire pairs with the driver's AcqRel update: if we see the bit we see the data.
        if let Some(ev) = self.snapshot(dir, Ordering::Acquire) {
            return Poll::Ready(ev);
        }
        let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        // Check again under the lock: the driver sets the state *before* it takes the lock
        // to wake, so an event that raced with the check above is seen here, and any event
        // after this point will find our waker.
        if let Some(ev) = self.snapshot(dir, Ordering::Acquire) {
            return Poll::Ready(ev);
        }
        let replaced = waiters.register(dir, waiter, cx.waker());
        drop(waiters);
        drop(replaced);
        Poll::Pending
    }

    /// Registers the task's waker for `dir` unless an event arrived since `ev`: for an
    /// operation that got `WouldBlock` while only final bits (closed) were set, where
    /// [`poll_ready`](Self::poll_ready) would report ready forever. `Ready` means "an
    /// event came in between: try again".
    pub(crate) fn poll_next_event(
        &self,
        dir: Direction,
        cx: &mut Context<'_>,
        waiter: Waiter<'_>,
        ev: ReadyEvent,
    ) -> Poll<()> {
        let mut waiters = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        // Under the lock, as in `poll_ready`: an event sets the tick before it takes the
        // lock to wake, so it is either seen here or finds the waker.
        let cur = self.state.load(Ordering::Acquire);
        if cur & TICK_MASK != ev.tick || cur & SHUTDOWN != 0 {
            return Poll::Ready(());
        }
        let replaced = waiters.register(dir, waiter, cx.waker());
        drop(waiters);
        drop(replaced);
        Poll::Pending
    }

    /// Removes the entry of a future waiter that is going away (`id` from
    /// [`Waiter::Future`]; 0, never registered, is a no-op). Its waker is dropped outside
    /// the lock.
    pub(crate) fn remove_waiter(&self, dir: Direction, id: u64) {
        if id == POLL_ID {
            return;
        }
        let removed = self.waiters.lock().unwrap_or_else(|p| p.into_inner()).list(dir).remove(id);
        drop(removed);
    }

    /// Clears the readiness an operation consumed (it got `WouldBlock`), unless a new event
    /// arrived since `ev` was taken. Closed bits are never cleared.
    pub(crate) fn clear(&self, ev: ReadyEvent) {
        let mask = ev.ready & !(READ_CLOSED | WRITE_CLOSED);
        // AcqRel: the CAS must see the latest tick; a failed tick check leaves all alone.
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
            if cur & TICK_MASK != ev.tick {
                return None;
            }
            Some(cur & !mask)
        });
    }

    /// True when the current readiness includes `bits` (tests and diagnostics).
    #[cfg(all(test, not(loom)))]
    fn has(&self, bits: usize) -> bool {
        self.state.load(Ordering::Acquire) & READY_MASK & bits == bits
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as Counter;
    use std::sync::Arc;
    use std::task::Wake;

    struct CountWake(Counter);
    impl Wake for CountWake {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn clear_is_skipped_when_an_edge_arrived_in_between() {
        let r = Readiness::new(0);
        r.set_from_event(Events::IN);
        let counter = Arc::new(CountWake(Counter::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx, Waiter::Poll) else { panic!("ready") };
        // The operation ran; before it clears, a new edge arrives.
        r.set_from_event(Events::IN);
        r.clear(ev);
        assert!(r.has(READABLE), "the new edge must survive the stale clear");
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx, Waiter::Poll) else { panic!("ready") };
        r.clear(ev);
        assert!(!r.has(READABLE));
        assert!(r.poll_ready(Direction::Read, &mut cx, Waiter::Poll).is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn closed_is_final_and_wakes_both_directions() {
        let r = Readiness::new(0);
        let counter = Arc::new(CountWake(Counter::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(r.poll_ready(Direction::Read, &mut cx, Waiter::Poll).is_pending());
        assert!(r.poll_ready(Direction::Write, &mut cx, Waiter::Poll).is_pending());
        r.set_from_event(Events::HUP | Events::ERR);
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx, Waiter::Poll) else { panic!("ready") };
        r.clear(ev);
        assert!(r.has(READ_CLOSED | WRITE_CLOSED));
        assert!(r.poll_ready(Direction::Write, &mut cx, Waiter::Poll).is_ready());
    }

    #[test]
    fn two_waiters_on_one_direction_are_both_woken() {
        let r = Readiness::new(0);
        let a = Arc::new(CountWake(Counter::new(0)));
        let b = Arc::new(CountWake(Counter::new(0)));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        let (mut ia, mut ib) = (0, 0);
        assert!(r
            .poll_ready(Direction::Read, &mut Context::from_waker(&wa), Waiter::Future(&mut ia))
            .is_pending());
        assert!(r
            .poll_ready(Direction::Read, &mut Context::from_waker(&wb), Waiter::Future(&mut ib))
            .is_pending());
        assert!(r
            .poll_ready(Direction::Read, &mut Context::from_waker(&wb), Waiter::Future(&mut ib))
            .is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(a.0.load(Ordering::SeqCst), 1);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn shutdown_reports_to_every_poll() {
        let r = Readiness::new(0);
        r.shutdown();
        let waker = futures_task::noop_waker();
        let Poll::Ready(ev) = r.poll_ready(Direction::Write, &mut Context::from_waker(&waker), Waiter::Poll)
        else {
            panic!("ready")
        };
        assert!(ev.shutdown);
    }

    #[test]
    fn a_dropped_future_waiter_takes_its_waker_with_it() {
        let r = Readiness::new(0);
        let mut ids = Vec::new();
        for _ in 0..1000 {
            let counter = Arc::new(CountWake(Counter::new(0)));
            let waker = Waker::from(counter);
            let mut id = 0;
            assert!(r
                .poll_ready(Direction::Read, &mut Context::from_waker(&waker), Waiter::Future(&mut id))
                .is_pending());
            ids.push(id);
            r.remove_waiter(Direction::Read, id);
        }
        let waiters = r.waiters.lock().unwrap();
        assert!(waiters.reader.first.is_none() && waiters.reader.rest.is_empty());
        drop(waiters);
        ids.dedup();
        assert_eq!(ids.len(), 1000, "each future waiter gets its own id");
    }

    #[test]
    fn the_poll_slot_keeps_only_the_latest_waker() {
        let r = Readiness::new(0);
        let a = Arc::new(CountWake(Counter::new(0)));
        let b = Arc::new(CountWake(Counter::new(0)));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        assert!(r.poll_ready(Direction::Read, &mut Context::from_waker(&wa), Waiter::Poll).is_pending());
        assert!(r.poll_ready(Direction::Read, &mut Context::from_waker(&wb), Waiter::Poll).is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(a.0.load(Ordering::SeqCst), 0);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
        drop(wa);
        assert_eq!(Arc::strong_count(&a), 1, "the replaced waker was dropped");
    }

    #[test]
    fn only_final_bits_wait_for_the_next_event() {
        let r = Readiness::new(0);
        r.set_from_event(Events::RDHUP);
        let counter = Arc::new(CountWake(Counter::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx, Waiter::Poll) else { panic!("ready") };
        assert!(ev.only_final());
        assert!(r.poll_next_event(Direction::Read, &mut cx, Waiter::Poll, ev).is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        // An event between the snapshot and the wait is not slept through.
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx, Waiter::Poll) else { panic!("ready") };
        r.set_from_event(Events::IN);
        assert!(r.poll_next_event(Direction::Read, &mut cx, Waiter::Poll, ev).is_ready());
    }
}
