//! The owned-task list: every live task of a runtime, so that shutdown can drop them all.
//!
//! A task is bound when it is spawned and removed when it completes, usually on another
//! thread in a multi-thread runtime. With one lock for the whole list, a worker spawning a
//! burst of tasks and a sibling completing them take turns on that lock and its cache
//! line for every task. So the list is split into shards, each a slab under its own lock;
//! a task's shard is a hash of its address, so consecutive tasks land in different shards
//! and the spawning and the completing thread rarely meet.

use crate::loom::sync::{Mutex, MutexGuard};

use std::ptr::NonNull;

use super::header::Header;
use super::{Notified, Task};

/// A list split into `2^k` shards.
pub(crate) struct OwnedTasks {
    shards: Box<[Shard]>,
    /// `shards.len() - 1`.
    mask: usize,
}

/// One slab under one lock, alone on its cache lines (two lines: the adjacent-line
/// prefetcher pairs them).
#[repr(align(128))]
struct Shard {
    inner: Mutex<Slots>,
}

struct Slots {
    tasks: Vec<Option<Task>>,
    free: Vec<usize>,
    len: usize,
    /// Tasks ever bound here (metrics: spawned tasks), counted under the lock.
    spawned: u64,
    closed: bool,
}

impl OwnedTasks {
    /// One shard: for a runtime whose tasks are spawned and completed on one thread.
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks::with_shards(1)
    }

    /// At least `n` shards (rounded up to a power of two).
    pub(crate) fn with_shards(n: usize) -> OwnedTasks {
        let n = n.max(1).next_power_of_two();
        let shards = (0..n)
            .map(|_| Shard {
                inner: Mutex::new(Slots {
                    tasks: Vec::new(),
                    free: Vec::new(),
                    len: 0,
                    spawned: 0,
                    closed: false,
                }),
            })
            .collect();
        OwnedTasks { shards, mask: n - 1 }
    }

    fn shard(&self, task: &Task) -> MutexGuard<'_, Slots> {
        self.shard_of(task.header_ptr())
    }

    fn shard_of(&self, ptr: NonNull<Header>) -> MutexGuard<'_, Slots> {
        // Fibonacci hashing of the address: cells are a few cache lines apart, so their
        // low bits say little; the multiply spreads every bit into the high half.
        let addr = ptr.as_ptr() as usize as u64;
        let index = (addr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & self.mask;
        self.shards[index].lock()
    }

    /// Adds a new task. Returns its `Notified` to be queued, or `None` when the runtime is
    /// shutting down (the task is then cancelled at once).
    pub(crate) fn bind(&self, task: Task, notified: Notified) -> Option<Notified> {
        let mut slots = self.shard(&task);
        if slots.closed {
            drop(slots);
            drop(notified);
            task.shutdown();
            return None;
        }
        let index = match slots.free.pop() {
            Some(i) => i,
            None => {
                slots.tasks.push(None);
                slots.tasks.len() - 1
            }
        };
        // SAFETY: `owned_slot` is only accessed under the lock of the task's shard, which
        // is the same for the task's whole life (its address does not change).
        // A shard holding 2^32 tasks would take 256 GiB of task headers alone.
        unsafe { *task.header().owned_slot.get() = index as u32 };
        slots.tasks[index] = Some(task);
        slots.len += 1;
        slots.spawned += 1;
        Some(notified)
    }

    /// Removes a completed task; `None` if shutdown already took it.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let mut slots = self.shard(task);
        // SAFETY: `owned_slot` is only accessed under the lock of the task's shard.
        let index = unsafe { *task.header().owned_slot.get() } as usize;
        let entry = slots.tasks.get_mut(index)?;
        if entry.as_ref().map(|t| t.header_ptr()) != Some(task.header_ptr()) {
            return None;
        }
        let taken = entry.take();
        slots.free.push(index);
        slots.len -= 1;
        taken
    }

    /// Closes the list to new tasks and cancels every task that is idle; a task running on
    /// another thread sees its CANCELLED bit when it yields. `spawn_local` tasks that
    /// belong to another thread are leaked rather than dropped on the wrong thread.
    ///
    /// A `bind` racing with this either finds its shard closed (and cancels its task) or
    /// lands before the shard closes (and its task is taken here).
    pub(crate) fn close_and_shutdown_all(&self) {
        let mut tasks: Vec<Task> = Vec::new();
        for shard in self.shards.iter() {
            let mut slots = shard.lock();
            slots.closed = true;
            slots.free.clear();
            slots.len = 0;
            tasks.extend(std::mem::take(&mut slots.tasks).into_iter().flatten());
        }
        for task in tasks {
            if task.is_foreign_local() {
                std::mem::forget(task);
            } else {
                task.shutdown();
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len).sum()
    }

    /// Tasks bound since the list was made.
    pub(crate) fn spawned(&self) -> u64 {
        self.shards.iter().map(|s| s.lock().spawned).sum()
    }

    /// Calls `f` with every task in the list, one shard's lock at a time (task dumps). `f`
    /// must not spawn onto or complete a task of this runtime.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header)) {
        for shard in self.shards.iter() {
            let slots = shard.lock();
            slots.tasks.iter().flatten().for_each(|t| f(t.header()));
        }
    }

    /// Calls `f` with the task at `ptr` if it is in the list (so alive), under its shard's
    /// lock.
    pub(crate) fn with_task<R>(&self, ptr: NonNull<Header>, f: impl FnOnce(&Header) -> R) -> Option<R> {
        let slots = self.shard_of(ptr);
        let task = slots.tasks.iter().flatten().find(|t| t.header_ptr() == ptr)?;
        Some(f(task.header()))
    }
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn shard_count_is_a_power_of_two() {
        assert_eq!(OwnedTasks::with_shards(0).shards.len(), 1);
        assert_eq!(OwnedTasks::with_shards(1).shards.len(), 1);
        assert_eq!(OwnedTasks::with_shards(5).shards.len(), 8);
        assert_eq!(OwnedTasks::with_shards(8).mask, 7);
    }
}
