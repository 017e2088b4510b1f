//! The task state word: who may touch the future, who holds references, whether the task
//! is queued, and whether a `JoinHandle` waits.
//!
//! ```text
//! | 63 ............ 6 | 5          | 4             | 3         | 2        | 1        | 0       |
//! | reference count   | JOIN_WAKER | JOIN_INTEREST | CANCELLED | NOTIFIED | COMPLETE | RUNNING |
//! ```
//!
//! * `RUNNING`: a thread has exclusive access to the future (polling or cancelling it).
//!   Set by `transition_to_running` / `transition_to_shutdown`, cleared by
//!   `transition_to_idle` / `transition_to_complete`.
//! * `COMPLETE`: the future is gone and the output (or the error) is stored. Final.
//! * `NOTIFIED`: a `Notified` for this task exists (in a run queue), or the task was woken
//!   while running and its runner will queue it again. Keeps a task from being queued
//!   twice.
//! * `CANCELLED`: `abort` or shutdown asked for the future to be dropped at the next
//!   chance.
//! * `JOIN_INTEREST`: the `JoinHandle` is alive. Cleared by the handle's drop unless the
//!   task is already complete, in which case the handle drops the output itself.
//! * `JOIN_WAKER`: the join waker slot is written and belongs to the runtime to read.
//!   While it is clear, only the `JoinHandle` may write the slot.
//! * Reference count: every `Task`, `Notified`, `JoinHandle` and `Waker` holds one.
//!
//! Every transition that needs to look before it writes is a compare-and-swap loop
//! (`State::update`) over a [`Snapshot`], changed through its setters; the rest are one
//! read-modify-write: `transition_to_complete` is a
//! `fetch_xor` (only the runner, which holds `RUNNING`, may call it), the reference count
//! moves by `fetch_add`/`fetch_sub`. The orderings are `AcqRel` (Acquire so the new owner of
//! the future sees the previous owner's writes, Release so ours are published), except
//! `ref_inc`, which is `Relaxed`: a new reference is made from one already held.
//!
//! Waking by value (`wake`, which gives up the waker's reference) and by reference
//! (`wake_by_ref`, which keeps it) are two transitions with two result types: only the
//! first can drop the last reference, so only its result has `Dealloc`.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};

/// A thread has exclusive access to the future.
const RUNNING: usize = 1 << 0;
/// The future is gone; the output is stored. Final.
const COMPLETE: usize = 1 << 1;
/// Queued (or to be queued again by its runner).
const NOTIFIED: usize = 1 << 2;
/// The future must be dropped at the next chance.
const CANCELLED: usize = 1 << 3;
/// The `JoinHandle` is alive.
const JOIN_INTEREST: usize = 1 << 4;
/// The join waker slot is set and belongs to the runtime.
const JOIN_WAKER: usize = 1 << 5;

const REF_SHIFT: u32 = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// A new task: referenced by the owned-task list, the `JoinHandle` and the `Notified` in
/// the run queue; queued; joined.
const INITIAL: usize = (3 * REF_ONE) | NOTIFIED | JOIN_INTEREST;

pub(crate) struct State(AtomicUsize);

/// A copy of the state word. The getters read it; the setters change the copy, which a
/// transition then tries to store (`State::update`), so each transition reads as what it
/// does: `s.set_notified(); s.ref_inc();`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    /// A thread is polling or cancelling the task (task dumps).
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    /// The task is queued to run (task dumps).
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    /// Neither running nor complete: whoever takes `RUNNING` owns the future.
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
    fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }

    fn set_running(&mut self) {
        self.0 |= RUNNING;
    }
    fn unset_running(&mut self) {
        self.0 &= !RUNNING;
    }
    fn set_notified(&mut self) {
        self.0 |= NOTIFIED;
    }
    fn unset_notified(&mut self) {
        self.0 &= !NOTIFIED;
    }
    fn set_cancelled(&mut self) {
        self.0 |= CANCELLED;
    }
    fn unset_join_interested(&mut self) {
        self.0 &= !JOIN_INTEREST;
    }
    fn set_join_waker(&mut self) {
        self.0 |= JOIN_WAKER;
    }
    fn unset_join_waker(&mut self) {
        self.0 &= !JOIN_WAKER;
    }
    /// One more reference (inside a CAS, made from one the caller holds).
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    /// One reference fewer: the caller's.
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

#[must_use]
pub(crate) enum ToRunning {
    /// Poll the future.
    Success,
    /// Drop the future: the task was aborted.
    Cancelled,
    /// Someone else runs or finished the task; our reference was dropped.
    Failed,
    /// As `Failed`, and ours was the last reference: deallocate.
    Dealloc,
}

#[must_use]
pub(crate) enum ToIdle {
    /// Parked until woken; the runner's reference was dropped.
    Ok,
    /// Woken while running: queue it again, reusing the runner's reference.
    OkNotified,
    /// Parked, and the runner held the last reference: deallocate.
    OkDealloc,
    /// Aborted while running: drop the future now (still RUNNING).
    Cancelled,
}

/// What `Waker::wake` (which gives up the waker's reference) must do next.
#[must_use]
pub(crate) enum ToNotifiedByVal {
    /// Nothing (already queued, or running and to be queued again by its runner); the
    /// waker's reference was dropped and was not the last.
    DoNothing,
    /// Queue the task: the waker's reference became the `Notified`'s.
    Submit,
    /// The task is complete or queued and the waker held the last reference: deallocate.
    Dealloc,
}

/// What `Waker::wake_by_ref` (which keeps the waker's reference) must do next.
#[must_use]
pub(crate) enum ToNotifiedByRef {
    /// Nothing (already queued, running and to be queued again, or complete).
    DoNothing,
    /// Queue the task with the new reference made for the `Notified`.
    Submit,
}

impl State {
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(INITIAL))
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Ordering::Acquire))
    }

    /// The compare-and-swap loop: `f` looks at the current word and returns the word to
    /// store (`None`: store nothing) and the result, retried until the store wins.
    fn update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut cur = self.0.load(Ordering::Acquire);
        loop {
            let (next, ret) = f(Snapshot(cur));
            let Some(next) = next else { return ret };
            match self.0.compare_exchange_weak(cur, next.0, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return ret,
                Err(actual) => cur = actual,
            }
        }
    }

    /// A `Notified` is about to be run: take the future.
    pub(crate) fn transition_to_running(&self) -> ToRunning {
        self.update(|mut s| {
            debug_assert!(s.is_notified() || !s.is_idle());
            if !s.is_idle() {
                // Cancelled in place by shutdown, or completed: just drop our reference.
                s.ref_dec();
                let ret = if s.ref_count() == 0 { ToRunning::Dealloc } else { ToRunning::Failed };
                return (Some(s), ret);
            }
            let ret = if s.is_cancelled() { ToRunning::Cancelled } else { ToRunning::Success };
            s.unset_notified();
            s.set_running();
            (Some(s), ret)
        })
    }

    /// The future returned `Pending`.
    pub(crate) fn transition_to_idle(&self) -> ToIdle {
        self.update(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, ToIdle::Cancelled);
            }
            s.unset_running();
            if s.is_notified() {
                // The runner's reference becomes the new `Notified`'s.
                return (Some(s), ToIdle::OkNotified);
            }
            s.ref_dec();
            let ret = if s.ref_count() == 0 { ToIdle::OkDealloc } else { ToIdle::Ok };
            (Some(s), ret)
        })
    }

    /// The output is stored: RUNNING -> COMPLETE. Returns the new state.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = self.0.fetch_xor(RUNNING | COMPLETE, Ordering::AcqRel);
        debug_assert!(prev & RUNNING != 0 && prev & COMPLETE == 0);
        Snapshot(prev ^ (RUNNING | COMPLETE))
    }

    /// `wake`: the waker's reference becomes the `Notified`'s, or is dropped.
    pub(crate) fn transition_to_notified_by_val(&self) -> ToNotifiedByVal {
        self.update(|mut s| {
            if s.is_running() {
                // The runner will queue it again; it holds a reference, so ours is not last.
                s.set_notified();
                s.ref_dec();
                debug_assert!(s.ref_count() > 0);
                return (Some(s), ToNotifiedByVal::DoNothing);
            }
            if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let ret =
                    if s.ref_count() == 0 { ToNotifiedByVal::Dealloc } else { ToNotifiedByVal::DoNothing };
                return (Some(s), ret);
            }
            s.set_notified();
            (Some(s), ToNotifiedByVal::Submit)
        })
    }

    /// `wake_by_ref`: queue the task, with a new reference, if it is idle.
    pub(crate) fn transition_to_notified_by_ref(&self) -> ToNotifiedByRef {
        self.update(|mut s| {
            if s.is_complete() || s.is_notified() {
                return (None, ToNotifiedByRef::DoNothing);
            }
            s.set_notified();
            if s.is_running() {
                // The runner queues it again when the poll returns.
                return (Some(s), ToNotifiedByRef::DoNothing);
            }
            s.ref_inc();
            (Some(s), ToNotifiedByRef::Submit)
        })
    }

    /// `abort`: mark cancelled; queue the task (with a new reference) if it is idle, so
    /// its own scheduler drops the future on its own thread.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|mut s| {
            if s.is_cancelled() || s.is_complete() {
                return (None, false);
            }
            let queue = !s.is_running() && !s.is_notified();
            s.set_cancelled();
            s.set_notified();
            if queue {
                s.ref_inc();
            }
            (Some(s), queue)
        })
    }

    /// Runtime shutdown: take the future to drop it in place if it is idle; otherwise
    /// mark it cancelled for whoever runs it. Returns true when we took it.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|mut s| {
            let take = s.is_idle();
            if take {
                s.set_running();
            }
            s.set_cancelled();
            (Some(s), take)
        })
    }

    /// The `JoinHandle` is dropped. `Err` when the task is complete: the handle must then
    /// drop the output, which nobody else will touch.
    pub(crate) fn unset_join_interested(&self) -> Result<(), Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.unset_join_interested();
            (Some(s), Ok(()))
        })
    }

    /// The handle wrote the waker slot; hand it to the runtime. `Err` when complete.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.set_join_waker();
            (Some(s), Ok(()))
        })
    }

    /// Take the waker slot back to replace the waker. `Err` when complete.
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|mut s| {
            debug_assert!(s.is_join_interested() && s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            s.unset_join_waker();
            (Some(s), Ok(()))
        })
    }

    pub(crate) fn ref_inc(&self) {
        // Relaxed: a new reference is made from an existing one, which keeps the task
        // alive; no other memory is published (as in `Arc::clone`).
        let prev = self.0.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev > usize::MAX / 2 {
            // Billions of live wakers: a leak; continuing could overflow into the flags.
            std::process::abort();
        }
    }

    /// Drops one reference; true when it was the last (deallocate).
    #[must_use]
    pub(crate) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }

    /// Drops `n` references; true when they were the last.
    #[must_use]
    pub(crate) fn ref_dec_n(&self, n: usize) -> bool {
        // AcqRel: Release publishes our last use of the task; the thread that drops the
        // last reference must Acquire everyone else's before it frees the memory.
        let prev = self.0.fetch_sub(n * REF_ONE, Ordering::AcqRel);
        debug_assert!(Snapshot(prev).ref_count() >= n);
        Snapshot(prev).ref_count() == n
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn refs(s: &State) -> usize {
        s.load().ref_count()
    }

    #[test]
    fn wake_while_running_requeues_once() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        s.ref_inc(); // a waker clone
        s.ref_inc(); // another
        assert!(matches!(s.transition_to_notified_by_val(), ToNotifiedByVal::DoNothing));
        assert!(matches!(s.transition_to_notified_by_val(), ToNotifiedByVal::DoNothing));
        assert!(matches!(s.transition_to_idle(), ToIdle::OkNotified));
        assert_eq!(refs(&s), 3);
    }

    #[test]
    fn wake_when_idle_submits_once() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        assert!(matches!(s.transition_to_idle(), ToIdle::Ok));
        assert_eq!(refs(&s), 2);
        assert!(matches!(s.transition_to_notified_by_ref(), ToNotifiedByRef::Submit));
        assert!(matches!(s.transition_to_notified_by_ref(), ToNotifiedByRef::DoNothing));
        assert_eq!(refs(&s), 3);
    }

    #[test]
    fn wake_after_complete_does_nothing() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        let snap = s.transition_to_complete();
        assert!(snap.is_complete() && snap.is_join_interested());
        assert!(matches!(s.transition_to_notified_by_ref(), ToNotifiedByRef::DoNothing));
        assert!(!s.transition_to_notified_and_cancel());
    }

    #[test]
    fn abort_idle_submits_and_cancels() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        assert!(matches!(s.transition_to_idle(), ToIdle::Ok));
        assert!(s.transition_to_notified_and_cancel());
        assert!(matches!(s.transition_to_running(), ToRunning::Cancelled));
    }

    #[test]
    fn abort_while_running_is_seen_at_idle() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        assert!(!s.transition_to_notified_and_cancel());
        assert!(matches!(s.transition_to_idle(), ToIdle::Cancelled));
    }

    #[test]
    fn join_handle_drop_races_completion() {
        let s = State::new();
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        let _ = s.transition_to_complete();
        assert!(s.unset_join_interested().is_err(), "the handle must drop the output");
        let s = State::new();
        assert!(s.unset_join_interested().is_ok());
        assert!(matches!(s.transition_to_running(), ToRunning::Success));
        assert!(!s.transition_to_complete().is_join_interested(), "the runtime drops the output");
    }

    #[test]
    fn last_reference_deallocates() {
        let s = State::new();
        assert!(!s.ref_dec());
        assert!(!s.ref_dec());
        assert!(s.ref_dec());
    }
}
