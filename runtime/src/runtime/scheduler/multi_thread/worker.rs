//! One worker thread: run, steal, park.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use super::park::Woken;
use super::{Handle, SchedulerHandle};
use crate::runtime::context;
use crate::runtime::metrics::Stats;
use crate::task::Notified;

/// Polls of the LIFO slot in a row before its task goes to the back of the queue: two
/// tasks that wake each other forever must not starve the rest.
const MAX_LIFO_POLLS: u32 = 3;

/// What `schedule` may reach of the worker running on this thread.
struct WorkerCtx {
    handle: *const Handle,
    index: usize,
    /// The task woken by the running task: it runs next.
    lifo: Cell<Option<Notified>>,
    /// True while this worker turns the driver: wakes then go to the queue, not the LIFO
    /// slot, and wake nobody (the worker looks at its queue right after).
    in_driver: Cell<bool>,
}

thread_local! {
    static CURRENT_WORKER: Cell<*const WorkerCtx> = const { Cell::new(std::ptr::null()) };
}

/// How a task reaches `schedule`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Woken (by I/O, a timer, another task): runs next if woken on a worker.
    Wake,
    /// Yielded, or newly spawned: behind the others.
    Yield,
}

/// Queues `task`: on this worker if the calling thread is one of `handle`'s workers,
/// otherwise on the injection queue.
pub(super) fn schedule(handle: &Arc<Handle>, task: Notified, is_yield_or_spawn: bool) {
    let source = if is_yield_or_spawn { Source::Yield } else { Source::Wake };
    let ctx = CURRENT_WORKER.with(|c| c.get());
    // SAFETY: a non-null CURRENT_WORKER points to the WorkerCtx on the stack of this
    // thread's `run`, which outlives every call made while the pointer is set.
    if ctx.is_null() || unsafe { (*ctx).handle } != Arc::as_ptr(handle) {
        handle.schedule_remote(task);
        return;
    }
    // SAFETY: as above.
    let ctx = unsafe { &*ctx };
    if ctx.in_driver.get() {
        push_local(handle, ctx.index, task);
        return;
    }
    let task = match source {
        Source::Wake => match ctx.lifo.replace(Some(task)) {
            None => return,
            Some(prev) => prev,
        },
        Source::Yield => task,
    };
    push_local(handle, ctx.index, task);
    handle.notify_parked();
}

/// Pushes to a worker's own queue, overflowing half of it to the injection queue if full.
fn push_local(handle: &Handle, index: usize, task: Notified) {
    let queue = &handle.remotes[index].queue;
    let Err(task) = queue.push(task) else { return };
    handle.inject.push_overflow(queue, super::queue::CAPACITY / 2, task);
}

/// A worker's private state.
struct Worker {
    handle: Arc<Handle>,
    index: usize,
    /// Tasks until the next non-blocking look at I/O (a countdown: no division per task).
    until_maintenance: u32,
    /// Tasks until the injection queue goes first again.
    until_global: u32,
    is_searching: bool,
    rand: u32,
    /// How long a condvar park waits before it looks at the driver again (park.rs).
    recheck: Duration,
    /// The workers' counters (one load closer to a poll than through `handle`).
    stats: Arc<Stats>,
}

/// The worker thread's body.
pub(super) fn run(handle: Arc<Handle>, scheduler: SchedulerHandle, index: usize) {
    if let Some(slack) = handle.config.timer_slack {
        let _ = crate::sys::thread::set_timer_slack(slack);
    }
    let _runtime = context::enter_runtime();
    let _current = context::set_current(&scheduler);
    let _stats = handle.stats.enter(index);
    let stats_arc = handle.stats.clone();
    drop(scheduler);
    let ctx =
        WorkerCtx { handle: Arc::as_ptr(&handle), index, lifo: Cell::new(None), in_driver: Cell::new(false) };
    let prev = CURRENT_WORKER.with(|c| c.replace(&ctx as *const WorkerCtx));
    let mut worker = Worker {
        until_maintenance: handle.config.event_interval,
        until_global: handle.config.global_queue_interval,
        handle,
        index,
        is_searching: false,
        rand: 0x9E37_79B9 ^ (index as u32 + 1),
        recheck: super::park::RECHECK,
        stats: stats_arc,
    };
    worker.run(&ctx);
    // The runtime is shut down: nothing will run what is queued here. Drop it now rather
    // than leave it for shutdown's drain, which may be over already (a task of this
    // worker dropped the runtime): a task left queued would keep the handle alive through
    // its scheduler field, a cycle. Dropping a `Notified` only releases a reference; the
    // owned list still holds one until shutdown cancels the future on its own thread.
    drop(ctx.lifo.take());
    while let Some(task) = worker.handle.remotes[index].queue.pop() {
        drop(task);
    }
    CURRENT_WORKER.with(|c| c.set(prev));
}

impl Worker {
    fn run(&mut self, ctx: &WorkerCtx) {
        use std::sync::atomic::Ordering;
        let config = self.handle.config.clone();
        while !self.handle.is_shutdown.load(Ordering::Acquire) {
            self.until_maintenance = self.until_maintenance.saturating_sub(1);
            if self.until_maintenance == 0 {
                self.until_maintenance = config.event_interval;
                self.maintenance(ctx);
            }
            if let Some(task) = self.next_task(ctx, config.global_queue_interval) {
                self.run_task(ctx, task);
                continue;
            }
            if let Some(task) = self.steal_work() {
                self.run_task(ctx, task);
                continue;
            }
            self.park(ctx);
        }
    }

    /// A non-blocking look at I/O and timers, so that a busy worker does not starve them.
    fn maintenance(&mut self, ctx: &WorkerCtx) {
        if let Ok(mut driver) = self.handle.driver_lock.try_lock() {
            ctx.in_driver.set(true);
            let _ = driver.turn(Some(Duration::ZERO));
            ctx.in_driver.set(false);
            drop(driver);
            // The turn queued what it woke here without waking anyone (`in_driver`). As
            // after a park in the driver, let a sibling take the rest: otherwise, should
            // the next of them block this thread, the others wait for it, since a worker
            // parked on its condvar looks at no other worker's queue.
            if self.handle.remotes[self.index].queue.len() > 1 {
                self.handle.notify_parked();
            }
        }
    }

    fn next_task(&mut self, ctx: &WorkerCtx, global_interval: u32) -> Option<Notified> {
        let handle = &self.handle;
        let queue = &handle.remotes[self.index].queue;
        self.until_global -= 1;
        if self.until_global == 0 {
            self.until_global = global_interval;
            if let Some(task) = handle.inject.pop() {
                return Some(task);
            }
        }
        ctx.lifo.take().or_else(|| queue.pop()).or_else(|| self.pop_inject())
    }

    fn run_task(&mut self, ctx: &WorkerCtx, task: Notified) {
        self.recheck = super::park::RECHECK;
        if self.is_searching {
            self.is_searching = false;
            if self.handle.idle.transition_worker_from_searching() {
                // We were the last searcher: someone must look for the rest of the work.
                self.handle.notify_parked();
            }
        }
        let stats = self.stats.worker(self.index);
        stats.run(task);
        let mut lifo_polls = 0;
        while let Some(next) = ctx.lifo.take() {
            if lifo_polls >= MAX_LIFO_POLLS {
                let queue = &self.handle.remotes[self.index].queue;
                if queue.is_empty() {
                    // Nothing queued here for it to starve: leave it in the slot, where
                    // `next_task` takes it after the checks of the injection queue and I/O
                    // that the main loop makes between two calls of this function. Waking
                    // a sibling to steal it would only split a message exchange across two
                    // cores.
                    ctx.lifo.set(Some(next));
                } else {
                    push_local(&self.handle, self.index, next);
                    self.handle.notify_parked();
                }
                break;
            }
            lifo_polls += 1;
            self.until_maintenance = self.until_maintenance.saturating_sub(1);
            stats.run(next);
        }
    }

    fn next_rand(&mut self) -> u32 {
        // xorshift32: only spreads thieves over victims.
        let mut x = self.rand;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rand = x;
        x
    }

    fn steal_work(&mut self) -> Option<Notified> {
        let handle = self.handle.clone();
        if !self.is_searching {
            if !handle.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = handle.remotes.len();
        let start = self.next_rand() as usize % n;
        let mine = &handle.remotes[self.index].queue;
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            if let Some(task) = handle.remotes[victim].queue.steal_into(mine, |t| handle.inject.push(t)) {
                handle.stats.workers[self.index].steal();
                return Some(task);
            }
        }
        self.pop_inject()
    }

    /// A task from the injection queue, and this worker's share of the rest moved into its
    /// (empty) local queue.
    fn pop_inject(&self) -> Option<Notified> {
        let handle = &self.handle;
        let share = handle.inject.share(handle.remotes.len(), super::queue::CAPACITY / 2);
        handle.inject.pop_into(&handle.remotes[self.index].queue, share)
    }

    fn has_work_anywhere(&self) -> bool {
        !self.handle.inject.is_empty() || self.handle.remotes.iter().any(|r| !r.queue.is_empty())
    }

    fn park(&mut self, ctx: &WorkerCtx) {
        use std::sync::atomic::Ordering;
        let handle = self.handle.clone();
        // About to sleep: give back the task cells a burst left cached here.
        crate::task::trim_cell_cache();
        let was_searching = std::mem::take(&mut self.is_searching);
        if handle.idle.transition_worker_to_parked(self.index, was_searching) && self.has_work_anywhere() {
            handle.notify_parked();
        }
        let remote = &handle.remotes[self.index];
        let _parked = handle.stats.park(self.index);
        loop {
            ctx.in_driver.set(true);
            let woken = remote
                .parker
                .park_recheck(&handle.driver_lock, &handle.watch, self.recheck, || handle.kick_sleepers());
            self.recheck = match woken {
                Woken::Recheck => (self.recheck * 2).min(super::park::RECHECK_MAX),
                Woken::Notified | Woken::Driver | Woken::Kicked => super::park::RECHECK,
            };
            ctx.in_driver.set(false);
            if handle.is_shutdown.load(Ordering::Acquire) {
                return;
            }
            if !remote.queue.is_empty() {
                // The driver woke tasks onto our queue: run them, and let a sibling help if
                // there are several.
                if !handle.idle.unpark_worker_by_id(self.index) {
                    // A notifier counted us as searching already.
                    self.is_searching = true;
                }
                if remote.queue.len() > 1 {
                    handle.notify_parked();
                }
                return;
            }
            if !handle.idle.is_parked(self.index) {
                // Notified: we count as searching.
                self.is_searching = true;
                return;
            }
            if matches!(woken, Woken::Recheck | Woken::Kicked) && !handle.inject.is_empty() {
                // Work nobody came for (should not happen): take it.
                if handle.idle.unpark_worker_by_id(self.index) {
                    return;
                }
            }
        }
    }
}
