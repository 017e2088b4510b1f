//! Which workers are parked, and whether one should be woken for new work.
//!
//! ```text
//! | 63 ............. 16 | 15 ............. 0 |
//! | unparked workers    | searching workers  |
//! ```
//!
//! A worker is *searching* while it looks for work to steal. New work wakes a parked
//! worker only when nobody is searching (a searcher will find it) and someone is parked:
//! no thundering herd. When the last searcher stops searching with work still queued, it
//! wakes another worker, so queued work always has a worker coming for it.

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};

const SEARCH_MASK: usize = 0xFFFF;
const UNPARK_SHIFT: u32 = 16;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;

pub(super) struct Idle {
    state: AtomicUsize,
    /// Parked workers, by index.
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(s: usize) -> usize {
    s & SEARCH_MASK
}

fn unparked(s: usize) -> usize {
    s >> UNPARK_SHIFT
}

impl Idle {
    pub(super) fn new(num_workers: usize) -> Idle {
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<usize>> {
        self.sleepers.lock().unwrap_or_else(|p| p.into_inner())
    }

    // SeqCst on the state word throughout: the protocol is a Dekker-style handshake between
    // "push work, then check for searchers" and "stop searching, then check for work", which
    // needs a single total order of those loads and stores.
    fn should_wake(&self) -> bool {
        let s = self.state.load(Ordering::SeqCst);
        searching(s) == 0 && unparked(s) < self.num_workers
    }

    /// The worker to wake for new work, if one should be woken. It is counted as unparked
    /// and searching from here on.
    pub(super) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.lock();
        if !self.should_wake() {
            return None;
        }
        let worker = sleepers.pop()?;
        self.state.fetch_add(UNPARK_ONE | 1, Ordering::SeqCst);
        Some(worker)
    }

    /// A worker parks. Returns true when it was the last searcher: it must then check
    /// every queue once more and wake someone if work is there.
    pub(super) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.lock();
        let dec = UNPARK_ONE | usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(worker);
        is_searching && searching(prev) == 1
    }

    /// A worker starts searching; false when half the workers already search.
    pub(super) fn transition_worker_to_searching(&self) -> bool {
        let s = self.state.load(Ordering::SeqCst);
        if 2 * searching(s) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searching worker found work or gave up. True when it was the last searcher.
    pub(super) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        searching(prev) == 1
    }

    /// A parked worker woke by itself (a timer, I/O, its periodic check) and found work:
    /// take it off the sleepers list. False when it was not on it (it was notified).
    pub(super) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.lock();
        let Some(pos) = sleepers.iter().position(|w| *w == worker) else { return false };
        sleepers.swap_remove(pos);
        self.state.fetch_add(UNPARK_ONE, Ordering::SeqCst);
        true
    }

    /// True while the worker is on the sleepers list.
    pub(super) fn is_parked(&self, worker: usize) -> bool {
        self.lock().contains(&worker)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_one_worker_is_woken_while_it_searches() {
        let idle = Idle::new(4);
        for w in 0..4 {
            assert!(!idle.transition_worker_to_parked(w, false));
        }
        let first = idle.worker_to_notify();
        assert!(first.is_some());
        assert_eq!(idle.worker_to_notify(), None, "a searcher is on its way: no herd");
        assert!(idle.transition_worker_from_searching());
        assert!(idle.worker_to_notify().is_some());
    }

    #[test]
    fn a_worker_that_wakes_by_itself_leaves_the_sleepers() {
        let idle = Idle::new(2);
        assert!(!idle.transition_worker_to_parked(1, false));
        assert!(idle.is_parked(1));
        assert!(idle.unpark_worker_by_id(1));
        assert!(!idle.is_parked(1));
        assert!(!idle.unpark_worker_by_id(1));
    }

    #[test]
    fn searchers_are_capped_at_half() {
        let idle = Idle::new(2);
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
    }
}
