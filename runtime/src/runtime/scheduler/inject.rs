//! The injection queue of both schedulers: tasks spawned or woken from outside the thread
//! (or threads) that run them, and, in the multi-thread flavor, the overflow of a worker's
//! full local queue.
//!
//! A `VecDeque` under a mutex, with its length mirrored in an atomic so that the common
//! "is there anything?" check takes no lock. A lock per operation would cost more than a
//! lock-free queue's one compare-and-swap, so the two heavy paths go in batches: a full
//! local queue moves half of itself here under one lock, and a worker that finds its own
//! queue empty takes one task to run and its share of the rest under one lock.
//!
//! The two batch operations (`push_overflow`, `pop_into`) take a worker's local queue:
//! only the multi-thread flavor has one, and only it calls them.
//!
//! Built on the `crate::loom` facade: the loom models in `multi_thread/loom_tests.rs` run
//! it as it is.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::{Mutex, MutexGuard};

use super::multi_thread::queue::LocalQueue;
use crate::task::Notified;

pub(crate) struct Inject {
    queue: Mutex<VecDeque<Notified>>,
    /// `queue.len()`, written under the lock. SeqCst: the idle protocol's "push work, then
    /// look for searchers" needs this store ordered before its load of the idle state.
    len: AtomicUsize,
}

impl Inject {
    pub(crate) fn new() -> Inject {
        Inject { queue: Mutex::new(VecDeque::new()), len: AtomicUsize::new(0) }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Notified>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tasks queued (metrics).
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::SeqCst) == 0
    }

    /// `schedule_remote` of both flavors, up to the wake: queues `task`, unless the
    /// scheduler is shut down (`is_shutdown`, set before shutdown's last drain of this
    /// queue): then nobody will run it, and the queue is emptied so that no task keeps the
    /// scheduler's handle alive through its scheduler field (a cycle). True when the
    /// caller must wake a thread to run it.
    pub(crate) fn push_remote(&self, task: Notified, is_shutdown: &AtomicBool) -> bool {
        self.push(task);
        if is_shutdown.load(std::sync::atomic::Ordering::Acquire) {
            self.drop_all();
            return false;
        }
        true
    }

    /// Empties the queue (shutdown): dropping a `Notified` only releases a reference. One
    /// task at a time, without the lock held, since a drop may queue another task here.
    pub(crate) fn drop_all(&self) {
        while let Some(task) = self.pop() {
            drop(task);
        }
    }

    pub(crate) fn push(&self, task: Notified) {
        let mut queue = self.lock();
        queue.push_back(task);
        self.len.store(queue.len(), Ordering::SeqCst);
    }

    /// Moves up to `max` tasks from the front of `local` here, then `last`, under one lock.
    pub(crate) fn push_overflow(&self, local: &LocalQueue, max: usize, last: Notified) {
        let mut queue = self.lock();
        for _ in 0..max {
            match local.pop() {
                Some(task) => queue.push_back(task),
                None => break,
            }
        }
        queue.push_back(last);
        self.len.store(queue.len(), Ordering::SeqCst);
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let task = queue.pop_front();
        self.len.store(queue.len(), Ordering::SeqCst);
        task
    }

    /// Takes one task to run now and moves up to `max` more into `local` (the caller's
    /// own, empty, queue), under one lock.
    pub(crate) fn pop_into(&self, local: &LocalQueue, max: usize) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let mut queue = self.lock();
        let first = queue.pop_front();
        if first.is_some() {
            for _ in 0..max {
                let Some(task) = queue.pop_front() else { break };
                if let Err(task) = local.push(task) {
                    queue.push_front(task);
                    break;
                }
            }
        }
        self.len.store(queue.len(), Ordering::SeqCst);
        first
    }

    /// How many tasks a worker takes at once: its share among `workers`, at most `cap`.
    pub(crate) fn share(&self, workers: usize, cap: usize) -> usize {
        (self.len.load(Ordering::Relaxed) / workers.max(1)).min(cap)
    }
}
