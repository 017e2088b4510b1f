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
    /// True when a read may return short with data still queued, so a short transfer
    /// proves nothing: the peer hung up or an error is pending (the closed bits are final
    /// anyway), or TCP urgent data is pending (`EPOLLPRI`; a TCP read stops at the urgent
    /// mark). Urgent data that arrives after this snapshot bumps the tick, so the clear
    /// that the shortcut makes is then skipped.
    pub(crate) fn ends_reads_early(&self) -> bool {
        self.ready & (READ_CLOSED | WRITE_CLOSED | ERROR | PRIORITY) != 0
    }
}

/// The wakers waiting for one direction. Nearly always one task waits per direction, so
/// the first waker needs no allocation; further distinct waiters (two tasks awaiting
/// `readable()` on one shared fd) go to `rest`.
#[derive(Default)]
struct WakerList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakerList {
    fn register(&mut self, waker: &Waker) {
        match &self.first {
            None => self.first = Some(waker.clone()),
            Some(w) if w.will_wake(waker) => {}
            Some(_) => {
                if !self.rest.iter().any(|w| w.will_wake(waker)) {
                    self.rest.push(waker.clone());
                }
            }
        }
    }

    fn take(&mut self) -> (Option<Waker>, Vec<Waker>) {
        (self.first.take(), std::mem::take(&mut self.rest))
    }
}

#[derive(Default)]
struct Waiters {
    reader: WakerList,
    writer: WakerList,
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
        for waker in rest {
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
    /// waker for `dir` and returns `Pending`.
    pub(crate) fn poll_ready(&self, dir: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
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
        match dir {
            Direction::Read => waiters.reader.register(cx.waker()),
            Direction::Write => waiters.writer.register(cx.waker()),
        }
        Poll::Pending
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
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx) else { panic!("ready") };
        // The operation ran; before it clears, a new edge arrives.
        r.set_from_event(Events::IN);
        r.clear(ev);
        assert!(r.has(READABLE), "the new edge must survive the stale clear");
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx) else { panic!("ready") };
        r.clear(ev);
        assert!(!r.has(READABLE));
        assert!(r.poll_ready(Direction::Read, &mut cx).is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn closed_is_final_and_wakes_both_directions() {
        let r = Readiness::new(0);
        let counter = Arc::new(CountWake(Counter::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(r.poll_ready(Direction::Read, &mut cx).is_pending());
        assert!(r.poll_ready(Direction::Write, &mut cx).is_pending());
        r.set_from_event(Events::HUP | Events::ERR);
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
        let Poll::Ready(ev) = r.poll_ready(Direction::Read, &mut cx) else { panic!("ready") };
        r.clear(ev);
        assert!(r.has(READ_CLOSED | WRITE_CLOSED));
        assert!(r.poll_ready(Direction::Write, &mut cx).is_ready());
    }

    #[test]
    fn two_waiters_on_one_direction_are_both_woken() {
        let r = Readiness::new(0);
        let a = Arc::new(CountWake(Counter::new(0)));
        let b = Arc::new(CountWake(Counter::new(0)));
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        assert!(r.poll_ready(Direction::Read, &mut Context::from_waker(&wa)).is_pending());
        assert!(r.poll_ready(Direction::Read, &mut Context::from_waker(&wb)).is_pending());
        assert!(r.poll_ready(Direction::Read, &mut Context::from_waker(&wb)).is_pending());
        r.set_from_event(Events::IN);
        assert_eq!(a.0.load(Ordering::SeqCst), 1);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn shutdown_reports_to_every_poll() {
        let r = Readiness::new(0);
        r.shutdown();
        let waker = futures_task::noop_waker();
        let Poll::Ready(ev) = r.poll_ready(Direction::Write, &mut Context::from_waker(&waker)) else {
            panic!("ready")
        };
        assert!(ev.shutdown);
    }
}
