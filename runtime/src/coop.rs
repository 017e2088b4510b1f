//! Cooperative scheduling: a task whose I/O is always ready must not starve the others.
//!
//! Each task poll gets a budget of [`BUDGET`] I/O operations. Every operation that
//! completes spends one unit; when the budget is spent, the next operation wakes its own
//! task and returns `Pending`, so the task goes to the back of the queue and the others
//! run. Outside a task poll (a user's own executor polling crest I/O) the budget is
//! unlimited.
//!
//! A leaf at the crate root, below every layer: the driver's retry loop spends the budget
//! and the task's poll (`Notified::run`) and the schedulers' `block_on` grant it, so it
//! must not import from any of them.

use std::cell::Cell;
use std::task::{Context, Poll};

/// I/O operations one task may complete per poll.
pub(crate) const BUDGET: u32 = 128;
const UNCONSTRAINED: u32 = u32::MAX;

thread_local! {
    static REMAINING: Cell<u32> = const { Cell::new(UNCONSTRAINED) };
}

/// Runs `f` (one task poll) with a fresh budget, restoring the previous one after.
pub(crate) fn with_budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = REMAINING.try_with(|r| r.set(self.0));
        }
    }
    let prev = REMAINING.with(|r| r.replace(BUDGET));
    let _restore = Restore(prev);
    f()
}

/// `Pending` (after waking the task) when the budget is spent; otherwise `Ready`.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let remaining = REMAINING.with(|r| r.get());
    if remaining == 0 {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(())
}

/// Spends one unit: an operation completed.
pub(crate) fn spend() {
    REMAINING.with(|r| {
        let v = r.get();
        if v != UNCONSTRAINED && v > 0 {
            r.set(v - 1);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_and_is_restored() {
        let waker = futures_task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(poll_proceed(&mut cx).is_ready());
        with_budget(|| {
            for _ in 0..BUDGET {
                assert!(poll_proceed(&mut cx).is_ready());
                spend();
            }
            assert!(poll_proceed(&mut cx).is_pending());
        });
        assert!(poll_proceed(&mut cx).is_ready(), "unconstrained again outside a task");
    }
}
