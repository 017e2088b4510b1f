//! `JoinSet`: a group of tasks whose outputs come back in completion order.
//!
//! Owns the set's `JoinHandle`s and the ready list that says which of them to poll.
//! Each entry has its own waker, given to its `JoinHandle`: when the task completes, the
//! waker pushes the entry's slot onto the shared ready list and wakes whoever waits in
//! `join_next`. `join_next` polls only the entries on that list, so waiting on a set of
//! n tasks costs O(1) per completion, not O(n). A new entry starts on the list, so that
//! its first poll registers its waker. Does not spawn by itself: it calls `spawn`
//! and `spawn_local`, and knows nothing of schedulers.

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use super::spawn::{spawn, spawn_blocking, spawn_local};
use crate::task::{AbortHandle, JoinError, JoinHandle};

/// A set of spawned tasks, awaited in the order they finish.
///
/// Dropping the set aborts every task still in it.
///
/// ```
/// use std::time::Duration;
/// use crest::task::JoinSet;
///
/// crest::block_on(async {
///     let mut set = JoinSet::new();
///     for ms in [30u64, 10, 20] {
///         set.spawn(async move {
///             crest::time::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(done) = set.join_next().await {
///         order.push(done.unwrap());
///     }
///     assert_eq!(order, [10, 20, 30]);
/// });
/// ```
pub struct JoinSet<T> {
    /// Slots; a free slot is `None` and its index is on `free`.
    entries: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<Ready>,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Arc<EntryWaker>,
}

/// The slots whose tasks may have finished, and the waker of the set's owner.
struct Ready {
    inner: Mutex<ReadyInner>,
}

struct ReadyInner {
    slots: VecDeque<usize>,
    owner: Option<Waker>,
}

/// The waker an entry gives its `JoinHandle`.
struct EntryWaker {
    slot: usize,
    /// True while the slot is on the ready list, so that it is pushed once.
    queued: AtomicBool,
    ready: Arc<Ready>,
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // AcqRel: pairs with the Release store in `poll_next` that takes the slot off the
        // list before polling it, so a wake during that poll queues it again.
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let owner = {
            let mut inner = self.ready.lock();
            inner.slots.push_back(self.slot);
            inner.owner.take()
        };
        if let Some(owner) = owner {
            owner.wake();
        }
    }
}

impl Ready {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyInner> {
        // A panicking waker cannot leave the list half-written: pushes and pops are whole.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::new(Ready { inner: Mutex::new(ReadyInner { slots: VecDeque::new(), owner: None }) }),
        }
    }

    /// The number of tasks in the set (finished ones count until they are joined).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Spawns `future` on the current runtime and adds it to the set.
    ///
    /// # Panics
    /// Outside a runtime, like [`crate::spawn`].
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(spawn(future))
    }

    /// Spawns a `!Send` future on the current thread and adds it to the set.
    ///
    /// # Panics
    /// Where [`spawn_local`] panics: outside `crest::block_on`
    /// and current-thread runtimes.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(spawn_local(future))
    }

    /// Runs `f` on the blocking pool and adds it to the set.
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(spawn_blocking(f))
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let slot = self.free.pop().unwrap_or(self.entries.len());
        // Starts queued: the first `join_next` polls it once, which registers its waker.
        let waker = Arc::new(EntryWaker { slot, queued: AtomicBool::new(true), ready: self.ready.clone() });
        let entry = Some(Entry { handle, waker });
        if slot == self.entries.len() {
            self.entries.push(entry);
        } else {
            self.entries[slot] = entry;
        }
        self.len += 1;
        let owner = {
            let mut inner = self.ready.lock();
            inner.slots.push_back(slot);
            inner.owner.take()
        };
        // Someone polled `join_next` on an empty set (or all pending): it has more to see.
        if let Some(owner) = owner {
            owner.wake();
        }
        abort
    }

    /// Waits for the next task to finish and returns its output; `None` when the set is
    /// empty. Outputs come in completion order.
    ///
    /// Cancel safe: dropping the future loses no output.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The output of a task that has already finished, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.poll_next(None) {
            Poll::Ready(out) => out,
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task: `Ready(None)` when the set is empty.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_next(Some(cx))
    }

    /// Waits for every task and returns their outputs in completion order.
    ///
    /// # Panics
    /// Re-raises the panic of a task that panicked (the rest of the set is aborted).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        while let Some(res) = self.join_next().await {
            match res {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("a task of JoinSet::join_all was cancelled: {e}"),
            }
        }
        out
    }

    fn poll_next(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        if let Some(cx) = &cx {
            // Registered before the list is read: a wake after the read finds it.
            let mut inner = self.ready.lock();
            if !inner.owner.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                inner.owner = Some(cx.waker().clone());
            }
        }
        // Bounded so that a set whose tasks keep waking does not starve the caller.
        let mut budget = self.len.max(1) * 2;
        loop {
            let Some(slot) = self.ready.lock().slots.pop_front() else {
                return Poll::Pending;
            };
            let Some(Some(entry)) = self.entries.get_mut(slot) else {
                continue; // a stale wake for a slot that was joined since
            };
            // Release: see `EntryWaker::wake_by_ref`.
            entry.waker.queued.store(false, Ordering::Release);
            let waker = Waker::from(entry.waker.clone());
            let mut entry_cx = Context::from_waker(&waker);
            if let Poll::Ready(out) = Pin::new(&mut entry.handle).poll(&mut entry_cx) {
                self.entries[slot] = None;
                self.free.push(slot);
                self.len -= 1;
                return Poll::Ready(Some(out));
            }
            budget -= 1;
            if budget == 0 {
                if let Some(cx) = cx {
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
        }
    }

    /// Cancels every task in the set; each one's future is dropped at its next yield
    /// point. The tasks stay in the set until joined (their outputs are cancelled
    /// `JoinError`s, or the output if a task finished first).
    pub fn abort_all(&mut self) {
        for entry in self.entries.iter().flatten() {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without cancelling it: they run on, detached.
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.free.clear();
        self.len = 0;
        self.ready.lock().slots.clear();
    }

    /// Aborts every task, then waits until each one is gone (its future dropped).
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}
