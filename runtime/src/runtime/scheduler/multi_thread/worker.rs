//! One worker thread: run, steal, park.
//!
//! Two parts. [`Searcher`] is the search-and-park protocol: a worker's own queue and the
//! injection queue, stealing from a sibling, and going to sleep and waking up with the idle
//! accounting (`idle.rs`) that makes sure queued work always has a worker coming for it. It
//! is generic over [`Shared`], what it reaches of the scheduler's shared state: the real
//! [`Handle`] here, and the loom models' `Pool` (`loom_tests.rs`), so the models run this
//! very code over a fake driver. `Worker` adds what only a real thread has: the LIFO slot,
//! the periodic look at the injection queue and at I/O, the metrics, and the thread-local
//! through which `schedule` finds the worker it runs on.
//!
//! The generic code costs nothing: it is monomorphized for `Handle`, whose hooks are empty
//! or one call, and inlined.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use super::super::enter::EnterRuntime;
use super::super::lifo::{lifo_may_run, MAX_LIFO_POLLS};
use super::idle::Idle;
use super::inject::Inject;
use super::park::{Woken, RECHECK, RECHECK_MAX};
use super::queue::{LocalQueue, CAPACITY};
use super::Handle;
use crate::runtime::metrics::Stats;
use crate::task::Notified;

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
        push_local(&**handle, ctx.index, task);
        return;
    }
    let task = match source {
        Source::Wake => match ctx.lifo.replace(Some(task)) {
            None => return,
            Some(prev) => prev,
        },
        Source::Yield => task,
    };
    push_local(&**handle, ctx.index, task);
    handle.notify_parked();
}

/// Pushes to a worker's own queue, overflowing half of it to the injection queue if full.
pub(super) fn push_local<S: Shared>(shared: &S, index: usize, task: Notified) {
    shared.with_queues(|| {
        let queue = shared.queue(index);
        let Err(task) = queue.push(task) else { return };
        shared.inject().push_overflow(queue, CAPACITY / 2, task);
    });
}

/// A worker's private state.
struct Worker {
    handle: Arc<Handle>,
    /// Its part in the search-and-park protocol (and its index).
    search: Searcher,
    /// Tasks until the next non-blocking look at I/O (a countdown: no division per task).
    until_maintenance: u32,
    /// Tasks until the injection queue goes first again.
    until_global: u32,
    /// The workers' counters (one load closer to a poll than through `handle`).
    stats: Arc<Stats>,
}

/// The worker thread's body.
pub(super) fn run<C: EnterRuntime>(handle: Arc<Handle>, runtime: C, index: usize) {
    if let Some(slack) = handle.config.timer_slack {
        let _ = crate::sys::thread::set_timer_slack(slack);
    }
    let _entered = runtime.enter(true);
    let _stats = handle.stats.enter(index);
    let stats_arc = handle.stats.clone();
    drop(runtime);
    let ctx =
        WorkerCtx { handle: Arc::as_ptr(&handle), index, lifo: Cell::new(None), in_driver: Cell::new(false) };
    let prev = CURRENT_WORKER.with(|c| c.replace(&ctx as *const WorkerCtx));
    let mut worker = Worker {
        until_maintenance: handle.config.event_interval,
        until_global: handle.config.global_queue_interval,
        handle,
        search: Searcher::new(index, 0x9E37_79B9 ^ (index as u32 + 1)),
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
        let config = self.handle.config.clone();
        while !self.handle.is_shutdown() {
            self.until_maintenance = self.until_maintenance.saturating_sub(1);
            if self.until_maintenance == 0 {
                self.until_maintenance = config.event_interval;
                self.maintenance(ctx);
            }
            if let Some(task) = self.next_task(ctx, config.global_queue_interval) {
                self.run_task(ctx, task);
                continue;
            }
            if let Some(task) = self.search.steal_work(&*self.handle) {
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
            if self.handle.remotes[self.search.index].queue.len() > 1 {
                self.handle.notify_parked();
            }
        }
    }

    /// The injection queue every `global_interval` tasks, then the LIFO slot, then
    /// [`Searcher::next_queued`].
    fn next_task(&mut self, ctx: &WorkerCtx, global_interval: u32) -> Option<Notified> {
        let handle = &*self.handle;
        self.until_global -= 1;
        if self.until_global == 0 {
            self.until_global = global_interval;
            if let Some(task) = handle.inject.pop() {
                return Some(task);
            }
        }
        ctx.lifo.take().or_else(|| self.search.next_queued(handle))
    }

    fn run_task(&mut self, ctx: &WorkerCtx, task: Notified) {
        let index = self.search.index;
        self.search.found_work(&*self.handle);
        let stats = self.stats.worker(index);
        stats.run(task);
        let mut lifo_polls = 0;
        while let Some(next) = ctx.lifo.take() {
            let queue = &self.handle.remotes[index].queue;
            if !lifo_may_run(lifo_polls, || queue.is_empty()) {
                // Past the cap with tasks queued behind it: it goes behind them, where a
                // sibling can steal it.
                push_local(&*self.handle, index, next);
                self.handle.notify_parked();
                break;
            }
            if lifo_polls >= MAX_LIFO_POLLS {
                // Past the cap, with nothing queued here for it to starve: it stays in the
                // slot, where `next_task` takes it after the checks of the injection queue
                // and I/O that the main loop makes between two calls of this function.
                // Waking a sibling to steal it would only split a message exchange across
                // two cores.
                ctx.lifo.set(Some(next));
                break;
            }
            lifo_polls += 1;
            self.until_maintenance = self.until_maintenance.saturating_sub(1);
            stats.run(next);
        }
    }

    /// [`Searcher::park`], with what only a real worker does around it.
    fn park(&mut self, ctx: &WorkerCtx) {
        // About to sleep: give back the task cells a burst left cached here.
        crate::task::trim_cell_cache();
        let _parked = self.stats.park(self.search.index);
        // Set across the whole of `Searcher::park`, not only its parks: between two of them
        // this thread fires no wake (only the driver's turn inside a park does), so the flag
        // is read nowhere else.
        ctx.in_driver.set(true);
        self.search.park(&*self.handle);
        ctx.in_driver.set(false);
    }
}

/// What the search-and-park protocol ([`Searcher`]) reaches of the scheduler's shared
/// state. Implemented by the real [`Handle`] below and by the loom models' `Pool`
/// (`loom_tests.rs`), which has a fake driver and needs [`Shared::with_queues`].
pub(super) trait Shared {
    /// Which workers are parked or searching.
    fn idle(&self) -> &Idle;
    /// The injection queue.
    fn inject(&self) -> &Inject;
    /// Worker `index`'s local run queue.
    fn queue(&self, index: usize) -> &LocalQueue;
    /// How many workers there are (they are numbered from 0).
    fn num_workers(&self) -> usize;
    /// Whether the scheduler is shut down: workers stop.
    fn is_shutdown(&self) -> bool;
    /// `Handle::notify_parked`: wakes a parked worker if new work needs one.
    fn notify_parked(&self);
    /// Parks worker `index` (`Parker::park_recheck` on the shared driver, kicking the
    /// untimed sleepers after a wait in it).
    fn park(&self, index: usize, recheck: Duration) -> Woken;
    /// Worker `index` stole a task from a sibling (metrics).
    fn stole(&self, index: usize);
    /// Runs `f`, which calls into the local queues or the injection queue. The real
    /// scheduler just calls it; the loom models bracket it with a loom atomic, since loom
    /// cannot see the happens-before edges inside crossbeam's queues.
    fn with_queues<R>(&self, f: impl FnOnce() -> R) -> R;
}

impl Shared for Handle {
    #[inline]
    fn idle(&self) -> &Idle {
        &self.idle
    }

    #[inline]
    fn inject(&self) -> &Inject {
        &self.inject
    }

    #[inline]
    fn queue(&self, index: usize) -> &LocalQueue {
        &self.remotes[index].queue
    }

    #[inline]
    fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    #[inline]
    fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(std::sync::atomic::Ordering::Acquire)
    }

    #[inline]
    fn notify_parked(&self) {
        Handle::notify_parked(self);
    }

    #[inline]
    fn park(&self, index: usize, recheck: Duration) -> Woken {
        self.remotes[index]
            .parker
            .park_recheck(&self.driver_lock, &self.watch, recheck, || self.kick_sleepers())
    }

    #[inline]
    fn stole(&self, index: usize) {
        self.stats.workers[index].steal();
    }

    #[inline(always)]
    fn with_queues<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// One worker's part in the search-and-park protocol: finding queued work, stealing it,
/// and parking until there is some (module docs).
pub(super) struct Searcher {
    /// The worker's index.
    index: usize,
    /// Whether the worker counts as searching in `Idle`.
    is_searching: bool,
    /// xorshift32 state: where the next steal starts among the victims.
    rand: u32,
    /// How long a condvar park waits before it looks at the driver again (park.rs).
    recheck: Duration,
}

impl Searcher {
    /// Worker `index`'s part, its steals starting at victims drawn from `seed`. Seed 0 is
    /// xorshift's fixed point: every steal then starts at worker 0, victims in index order.
    pub(super) fn new(index: usize, seed: u32) -> Searcher {
        Searcher { index, is_searching: false, rand: seed, recheck: RECHECK }
    }

    /// The next task from the worker's own queue, else from the injection queue (with its
    /// share of the rest, [`Searcher::pop_inject`]).
    #[inline]
    pub(super) fn next_queued<S: Shared>(&self, shared: &S) -> Option<Notified> {
        shared.with_queues(|| shared.queue(self.index).pop().or_else(|| self.pop_inject(shared)))
    }

    /// The worker found a task and is about to run it: it stops searching, and if it was the
    /// last searcher, wakes another for the rest of the work.
    #[inline]
    pub(super) fn found_work<S: Shared>(&mut self, shared: &S) {
        self.recheck = RECHECK;
        if self.is_searching {
            self.is_searching = false;
            if shared.idle().transition_worker_from_searching() {
                // We were the last searcher: someone must look for the rest of the work.
                shared.notify_parked();
            }
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

    /// Starts searching (unless half the workers already do) and steals half of the first
    /// sibling's queue that has work, else takes from the injection queue.
    pub(super) fn steal_work<S: Shared>(&mut self, shared: &S) -> Option<Notified> {
        if !self.is_searching {
            if !shared.idle().transition_worker_to_searching() {
                return None;
            }
            self.is_searching = true;
        }
        let n = shared.num_workers();
        let start = self.next_rand() as usize % n;
        let mine = shared.queue(self.index);
        shared.with_queues(|| {
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == self.index {
                    continue;
                }
                if let Some(task) = shared.queue(victim).steal_into(mine, |t| shared.inject().push(t)) {
                    shared.stole(self.index);
                    return Some(task);
                }
            }
            self.pop_inject(shared)
        })
    }

    /// A task from the injection queue, and this worker's share of the rest moved into its
    /// (empty) local queue.
    pub(super) fn pop_inject<S: Shared>(&self, shared: &S) -> Option<Notified> {
        let inject = shared.inject();
        let share = inject.share(shared.num_workers(), CAPACITY / 2);
        inject.pop_into(shared.queue(self.index), share)
    }

    fn has_work_anywhere<S: Shared>(&self, shared: &S) -> bool {
        shared.with_queues(|| {
            !shared.inject().is_empty() || (0..shared.num_workers()).any(|i| !shared.queue(i).is_empty())
        })
    }

    /// Goes on the sleepers list and parks until notified, until the driver queued work
    /// here, or until the scheduler shuts down. Returns counting as searching if a notifier
    /// counted it so.
    pub(super) fn park<S: Shared>(&mut self, shared: &S) {
        let was_searching = std::mem::take(&mut self.is_searching);
        if shared.idle().transition_worker_to_parked(self.index, was_searching)
            && self.has_work_anywhere(shared)
        {
            shared.notify_parked();
        }
        let queue = shared.queue(self.index);
        loop {
            let woken = shared.park(self.index, self.recheck);
            self.recheck = match woken {
                Woken::Recheck => (self.recheck * 2).min(RECHECK_MAX),
                Woken::Notified | Woken::Driver | Woken::Kicked => RECHECK,
            };
            if shared.is_shutdown() {
                return;
            }
            if !shared.with_queues(|| queue.is_empty()) {
                // The driver woke tasks onto our queue: run them, and let a sibling help if
                // there are several.
                if !shared.idle().unpark_worker_by_id(self.index) {
                    // A notifier counted us as searching already.
                    self.is_searching = true;
                }
                if shared.with_queues(|| queue.len()) > 1 {
                    shared.notify_parked();
                }
                return;
            }
            if !shared.idle().is_parked(self.index) {
                // Notified: we count as searching.
                self.is_searching = true;
                return;
            }
            if matches!(woken, Woken::Recheck | Woken::Kicked) && !shared.inject().is_empty() {
                // Work nobody came for (should not happen): take it.
                if shared.idle().unpark_worker_by_id(self.index) {
                    return;
                }
            }
        }
    }
}
