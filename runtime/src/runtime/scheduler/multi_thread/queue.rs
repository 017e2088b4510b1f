//! A worker's local run queue: bounded, FIFO, stealable.
//!
//! Built on crossbeam's `ArrayQueue` (a bounded lock-free MPMC ring): the owner pushes and
//! pops, thieves pop half of it at a time. The owner never blocks on a thief; a full
//! queue overflows half of its tasks to the injection queue.

use crossbeam_queue::ArrayQueue;

use crate::task::Notified;

/// Tasks a local queue holds before it overflows (a handful under loom, so that a model
/// reaches the overflow paths with few tasks).
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 256 };

pub(crate) struct LocalQueue {
    ring: ArrayQueue<Notified>,
}

impl LocalQueue {
    pub(crate) fn new() -> LocalQueue {
        LocalQueue { ring: ArrayQueue::new(CAPACITY) }
    }

    /// Adds a task; gives it back when the queue is full.
    pub(crate) fn push(&self, task: Notified) -> Result<(), Notified> {
        self.ring.push(task)
    }

    pub(crate) fn pop(&self) -> Option<Notified> {
        self.ring.pop()
    }

    pub(crate) fn len(&self) -> usize {
        self.ring.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Moves about half of this queue's tasks into `dst` and returns one more to run now.
    /// A task that does not fit in `dst` goes to `overflow` (the injection queue).
    pub(crate) fn steal_into(
        &self,
        dst: &LocalQueue,
        mut overflow: impl FnMut(Notified),
    ) -> Option<Notified> {
        let n = self.ring.len().div_ceil(2);
        let first = self.ring.pop()?;
        for _ in 1..n {
            let Some(task) = self.ring.pop() else { break };
            if let Err(task) = dst.push(task) {
                overflow(task);
            }
        }
        Some(first)
    }
}
