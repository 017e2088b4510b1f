//! The owned-task list: every live task of a runtime, so that shutdown can drop them all.

use crate::loom::sync::{Mutex, MutexGuard};

use super::{Notified, Task};

/// A slab of tasks under one lock. A task's index lives in its header (`owned_slot`), so
/// removal is O(1).
pub(crate) struct OwnedTasks {
    inner: Mutex<Slots>,
}

struct Slots {
    tasks: Vec<Option<Task>>,
    free: Vec<usize>,
    len: usize,
    closed: bool,
}

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks { inner: Mutex::new(Slots { tasks: Vec::new(), free: Vec::new(), len: 0, closed: false }) }
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a new task. Returns its `Notified` to be queued, or `None` when the runtime is
    /// shutting down (the task is then cancelled at once).
    pub(crate) fn bind(&self, task: Task, notified: Notified) -> Option<Notified> {
        let mut slots = self.lock();
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
        // SAFETY: `owned_slot` is only accessed under this lock.
        unsafe { *task.header().owned_slot.get() = index };
        slots.tasks[index] = Some(task);
        slots.len += 1;
        Some(notified)
    }

    /// Removes a completed task; `None` if shutdown already took it.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let mut slots = self.lock();
        // SAFETY: `owned_slot` is only accessed under this lock.
        let index = unsafe { *task.header().owned_slot.get() };
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
    pub(crate) fn close_and_shutdown_all(&self) {
        let tasks: Vec<Task> = {
            let mut slots = self.lock();
            slots.closed = true;
            slots.free.clear();
            slots.len = 0;
            std::mem::take(&mut slots.tasks).into_iter().flatten().collect()
        };
        for task in tasks {
            if task.is_foreign_local() {
                std::mem::forget(task);
            } else {
                task.shutdown();
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len
    }
}
