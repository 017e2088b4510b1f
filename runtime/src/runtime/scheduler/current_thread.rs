//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! The thread that drives the scheduler owns its [`Core`]: the local run queue and the
//! driver. Wakes on that thread push to the local queue with no atomic operation beyond the
//! task's state word; wakes from other threads push to the injection queue and unpark the
//! driver. Only one thread at a time drives the scheduler; another thread that calls
//! `block_on` meanwhile polls its own future and waits for the core to come free.
//!
//! The run queue and the LIFO slot ([`Local`]) live in the shared handle, not in the
//! core, and are only ever reached through `&Local` with interior mutability, borrowed
//! for one push or pop at a time: a waker running inside the driver's turn or inside a
//! task's poll can push to them while the scheduler is in the middle of its loop, and
//! no unique (`&mut`) borrow of them exists for it to invalidate.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::ThreadId;
use std::time::Duration;

use super::blocking;
use super::inject::Inject;
use super::park::{Parker, Woken};
use crate::driver::{self, Driver};
use crate::runtime::metrics::RuntimeMetrics;
use crate::runtime::metrics::Stats;
use crate::task::{self, JoinHandle, Notified, OwnedTasks, Schedule, Task};

/// Scheduler settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    /// Tasks run between two non-blocking looks at I/O and timers.
    pub(crate) event_interval: u32,
    /// Every this many tasks, the injection queue goes first (so it cannot starve).
    pub(crate) global_queue_interval: u32,
}

/// The shared part of the scheduler.
pub(crate) struct Handle {
    inject: Inject,
    owned: OwnedTasks,
    park: Parker,
    is_shutdown: AtomicBool,
    /// The core, while no thread drives the scheduler.
    core: Mutex<Option<Box<Core>>>,
    /// Signalled when the core comes back or a waiting `block_on`'s future is woken.
    core_returned: Condvar,
    core_generation: Mutex<u64>,
    /// Threads waiting in `block_on` for the core; signalling is skipped when zero.
    core_waiters: AtomicUsize,
    pub(crate) driver: Arc<driver::Handle>,
    pub(crate) blocking: blocking::Spawner,
    config: Config,
    /// The driving thread's counters, as worker 0 (`runtime/metrics.rs`).
    pub(crate) stats: Arc<Stats>,
    /// The run queue: touched only by the thread that holds the core (see `Local`).
    local: Local,
    /// `spawn_local` tasks that were woken while a thread other than their owner held the
    /// core (`Handle::block_on` there): set aside rather than run on the wrong thread, and
    /// queued again when their owner next takes the core.
    foreign: Mutex<Vec<Notified>>,
}

/// What the driving thread owns. Wakers never reach it: it can be borrowed mutably
/// across the driver turn and the task polls.
pub(crate) struct Core {
    driver: Driver,
    /// Tasks until the injection queue goes first again (a countdown: no division on the
    /// hot path).
    until_global: u32,
    /// Tasks run from the LIFO slot in a row.
    lifo_polls: u32,
}

/// The part of the scheduler that wakers on the driving thread push to. Only the thread
/// that holds the core touches it, and only through `&Local`: each access is one short
/// `RefCell` borrow or `Cell` swap that never spans a call into user code or the driver
/// (a `Notified` moved out is dropped or run after the borrow ends).
struct Local {
    run_queue: RefCell<VecDeque<Notified>>,
    /// The task woken by the running task: it runs next, without a trip through the queue
    /// (a message and its reply go from one task to the other and back at once).
    lifo: Cell<Option<Notified>>,
    /// True while the driver dispatches events: wakes then go to the queue in the order
    /// they came, not to the LIFO slot.
    in_driver: Cell<bool>,
}

impl Local {
    fn push_back(&self, task: Notified) {
        self.run_queue.borrow_mut().push_back(task);
    }
}

// SAFETY: `Local` is only reached through `Handle::local`, which returns it only on the
// thread whose CURRENT_CORE names this handle, that is the thread holding the core (set
// by `CoreGuard`, which owns the core taken out of the handle's mutex, for exactly as long
// as it holds it), and through `Handle::held_local`, which only `CoreGuard` calls, on
// that same thread (and dropped with the handle, when no other reference is left). The core passes between threads through that mutex, which orders one
// holder's accesses before the next one's. So the RefCell and Cells are never touched by
// two threads at once. (`Local` is `Send`: a `Notified` may be dropped anywhere.)
unsafe impl Sync for Local {}

thread_local! {
    /// The scheduler whose core this thread holds, if any: `Arc::as_ptr` of its handle.
    /// Set only by `CoreGuard`, for exactly as long as it holds the core; the guard
    /// borrows an `Arc` of that handle all along, so the pointer stays valid while set.
    static CURRENT_CORE: Cell<*const Handle> = const { Cell::new(std::ptr::null()) };
}

impl Handle {
    pub(crate) fn new(driver: Driver, blocking: blocking::Spawner, config: Config) -> Arc<Handle> {
        let driver_handle = driver.handle().clone();
        let handle = Arc::new(Handle {
            inject: Inject::new(),
            owned: OwnedTasks::new(),
            park: Parker::new(),
            is_shutdown: AtomicBool::new(false),
            core: Mutex::new(None),
            core_returned: Condvar::new(),
            core_generation: Mutex::new(0),
            core_waiters: AtomicUsize::new(0),
            driver: driver_handle,
            blocking,
            config,
            stats: Stats::new(1, |_| None),
            local: Local {
                run_queue: RefCell::new(VecDeque::with_capacity(64)),
                lifo: Cell::new(None),
                in_driver: Cell::new(false),
            },
            foreign: Mutex::new(Vec::new()),
        });
        let core = Box::new(Core { driver, until_global: config.global_queue_interval, lifo_polls: 0 });
        *handle.core.lock().unwrap_or_else(|p| p.into_inner()) = Some(core);
        handle
    }

    #[track_caller]
    pub(crate) fn spawn<F>(
        me: &Arc<Handle>,
        future: F,
        local_owner: Option<ThreadId>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let (task, notified, join) = task::new_task(future, me.clone(), local_owner);
        if let Some(notified) = me.owned.bind(task, notified) {
            // A new task waits its turn behind the others (the LIFO slot is for wakes).
            me.yield_now(notified);
        }
        join
    }

    pub(crate) fn num_tasks(&self) -> usize {
        self.owned.len()
    }

    /// The scheduler's part of a metrics snapshot.
    pub(crate) fn metrics(&self, m: &mut RuntimeMetrics) {
        let depth = &self.stats.workers[0].queue_depth;
        m.workers = self.stats.worker_metrics(|_| depth.load(Ordering::Relaxed));
        m.alive_tasks = self.owned.len();
        m.spawned_tasks = self.owned.spawned();
        m.injection_queue_depth = self.inject.len();
    }

    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    fn take_core(&self) -> Option<Box<Core>> {
        self.core.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn bump_generation(&self) {
        // SeqCst pairs with the waiter's increment: a waiter that registers after this load
        // reads the core (or its woken flag) after it was published, so it needs no signal.
        if self.core_waiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        *self.core_generation.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.core_returned.notify_all();
    }

    /// Runs `future` to completion on this thread (which the caller made a runtime thread
    /// with this runtime current), driving the scheduler while its core is free.
    pub(crate) fn block_on<F: Future>(me: &Arc<Handle>, future: F) -> F::Output {
        let mut future = pin!(future);
        let waiter = Arc::new(BlockOnWaker { woken: AtomicBool::new(true), handle: me.clone() });
        let waker = Waker::from(waiter.clone());
        let mut cx = Context::from_waker(&waker);
        if let Some(core) = me.take_core() {
            return CoreGuard::enter(me, core).run(future.as_mut());
        }
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        me.core_waiters.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&me.core_waiters);
        loop {
            if let Some(core) = me.take_core() {
                let guard = CoreGuard::enter(me, core);
                return guard.run(future.as_mut());
            }
            // Another thread drives the scheduler: poll our future when it is woken and
            // take the core when it comes back.
            let generation = *me.core_generation.lock().unwrap_or_else(|p| p.into_inner());
            if waiter.woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                    return v;
                }
            }
            let mut g = me.core_generation.lock().unwrap_or_else(|p| p.into_inner());
            while *g == generation && !waiter.woken.load(Ordering::Acquire) {
                g = me.core_returned.wait(g).unwrap_or_else(|p| p.into_inner());
            }
        }
    }

    /// Runtime shutdown: cancels every task, empties the queues, shuts the driver down. The
    /// caller made this runtime current, so task destructors run in its context.
    pub(crate) fn shutdown(me: &Arc<Handle>) {
        if me.is_shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        match me.take_core() {
            Some(core) => {
                let mut guard = CoreGuard::enter(me, core);
                me.owned.close_and_shutdown_all();
                guard.drain_queues();
                guard.core_mut().driver.shutdown();
            }
            None => {
                // Driven elsewhere right now (a Handle::block_on on another thread): cancel
                // what is idle and fail every I/O object, so that the driving thread's own
                // future cannot wait for an event that will never come. That thread
                // empties its queues when it gives the core back (`CoreGuard::drop`).
                me.owned.close_and_shutdown_all();
                me.inject.drop_all();
                me.drop_foreign();
                me.driver.shutdown();
            }
        }
    }

    fn lock_foreign(&self) -> std::sync::MutexGuard<'_, Vec<Notified>> {
        self.foreign.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs a task popped by the thread that holds the core, or sets it aside if it is a
    /// `spawn_local` task of another thread.
    /// Drops the tasks set aside for their owners (shutdown). Dropping a `Notified` only
    /// releases a reference: the future of a local task is dropped by its owner thread or
    /// leaked, never dropped here (`OwnedTasks::close_and_shutdown_all`).
    fn drop_foreign(&self) {
        let foreign = std::mem::take(&mut *self.lock_foreign());
        drop(foreign);
    }

    fn schedule_remote(&self, task: Notified) {
        if self.inject.push_remote(task, &self.is_shutdown) {
            self.park.unpark(&self.driver);
        }
    }
}

impl Handle {
    /// The run queue, if this thread holds this scheduler's core (the only thread that
    /// may touch it: see `Local`).
    fn local(&self) -> Option<&Local> {
        let current = CURRENT_CORE.try_with(|c| c.get()).unwrap_or(std::ptr::null());
        std::ptr::eq(current, self).then_some(&self.local)
    }

    /// The run queue of the thread that holds the core: the caller is that thread
    /// (it holds a `CoreGuard`).
    fn held_local(&self) -> &Local {
        debug_assert!(self.local().is_some(), "the core is held on this thread");
        &self.local
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notified) {
        let Some(local) = self.local() else { return self.schedule_remote(task) };
        if local.in_driver.get() {
            local.push_back(task);
            return;
        }
        if let Some(prev) = local.lifo.replace(Some(task)) {
            local.push_back(prev);
        }
    }

    fn yield_now(&self, task: Notified) {
        match self.local() {
            Some(local) => local.push_back(task),
            None => self.schedule_remote(task),
        }
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.owned.remove(task)
    }
}

/// The waker of the future passed to `block_on` on the thread that drives the scheduler (or
/// waits for its core): it unparks the scheduler.
struct BlockOnWaker {
    woken: AtomicBool,
    handle: Arc<Handle>,
}

impl Wake for BlockOnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Release: whatever the waker did before waking is visible to the poll.
        self.woken.store(true, Ordering::Release);
        // On the thread that drives this scheduler (a wake from the driver's own dispatch,
        // or from a task it runs) the run loop reads `woken` before it parks: no unpark, so
        // no eventfd write while the park state still says PARKED.
        if self.handle.local().is_none() {
            self.handle.park.unpark(&self.handle.driver);
        }
        // The woken future may belong to a thread that waits for the core in `block_on`:
        // let it poll. (One atomic load when no thread waits.)
        self.handle.bump_generation();
    }
}

/// Holds the core on this thread: publishes it in `CURRENT_CORE` and gives it back to the
/// handle on drop, also when a panic unwinds through `block_on`.
struct CoreGuard<'a> {
    handle: &'a Arc<Handle>,
    core: Option<Box<Core>>,
    prev: *const Handle,
}

impl<'a> CoreGuard<'a> {
    fn enter(handle: &'a Arc<Handle>, core: Box<Core>) -> CoreGuard<'a> {
        let prev = CURRENT_CORE.with(|c| c.replace(Arc::as_ptr(handle)));
        let guard = CoreGuard { handle, core: Some(core), prev };
        // Local tasks of this thread that were woken while another thread drove.
        let me = crate::task::meta::ThreadNum::current();
        let mine: Vec<Notified> = {
            let mut foreign = handle.lock_foreign();
            if foreign.is_empty() {
                Vec::new()
            } else {
                let (mine, others) = std::mem::take(&mut *foreign)
                    .into_iter()
                    .partition(|t| t.0.header().local_owner == Some(me));
                *foreign = others;
                mine
            }
        };
        for task in mine {
            handle.held_local().push_back(task);
        }
        guard
    }

    fn core_mut(&mut self) -> &mut Core {
        self.core.as_mut().expect("the core is held until the guard drops")
    }

    fn next_task(&mut self) -> Option<Notified> {
        let handle = self.handle;
        let local = handle.held_local();
        let core = self.core_mut();
        core.until_global -= 1;
        if core.until_global == 0 {
            core.until_global = handle.config.global_queue_interval;
            if let Some(task) = handle.inject.pop() {
                return Some(task);
            }
        }
        if let Some(task) = local.lifo.take() {
            // Past the cap, the task goes behind the queued ones, unless there are none (the
            // `block_on` future, like the injection queue and I/O, has its own turn in the
            // run loop).
            if super::lifo::lifo_may_run(core.lifo_polls, || local.run_queue.borrow().is_empty()) {
                core.lifo_polls = core.lifo_polls.saturating_add(1);
                return Some(task);
            }
            local.push_back(task);
        }
        core.lifo_polls = 0;
        let task = local.run_queue.borrow_mut().pop_front();
        task.or_else(|| handle.inject.pop())
    }

    /// Turns the driver: `None` waits (park), `Some(ZERO)` only looks.
    fn park_or_poll_io(&mut self, timeout: Option<Duration>) -> bool {
        /// Clears `in_driver` also when a waker called by the driver panics.
        struct InDriver<'a>(&'a Cell<bool>);
        impl Drop for InDriver<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let handle = self.handle;
        // Wakes during the turn reach `local` through `Handle::local`, a shared borrow of
        // the handle; the `&mut Driver` below covers no part of it.
        let local = handle.held_local();
        let driver = &mut self.core_mut().driver;
        handle.stats.workers[0].queue_depth.store(local.run_queue.borrow().len(), Ordering::Relaxed);
        local.in_driver.set(true);
        let _in_driver = InDriver(&local.in_driver);
        match timeout {
            None => {
                let _parked = handle.stats.park(0);
                handle.park.park_driver(driver, None) == Woken::Driver
            }
            Some(t) => {
                let _ = driver.turn(Some(t));
                true
            }
        }
    }

    fn run<F: Future>(mut self, mut future: std::pin::Pin<&mut F>) -> F::Output {
        let handle = self.handle.clone();
        let waiter = Arc::new(BlockOnWaker { woken: AtomicBool::new(true), handle: handle.clone() });
        let waker = Waker::from(waiter.clone());
        let mut cx = Context::from_waker(&waker);
        let interval = handle.config.event_interval;
        let mut since_io = 0;
        let _stats = handle.stats.enter(0);
        let stats = &handle.stats.workers[0];
        loop {
            if waiter.woken.swap(false, Ordering::AcqRel) {
                since_io += 1;
                if let Poll::Ready(v) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return v;
                }
            }
            let mut ran = 0;
            while ran < interval {
                let Some(task) = self.next_task() else { break };
                if task.0.is_foreign_local() {
                    handle.lock_foreign().push(task);
                } else {
                    stats.run(task);
                }
                ran += 1;
            }
            since_io += ran;
            let idle = ran == 0 && !waiter.woken.load(Ordering::Acquire);
            if idle {
                // About to sleep: give back the task cells a burst left cached here.
                crate::task::trim_cell_cache();
            }
            if idle && self.park_or_poll_io(None) {
                since_io = 0;
            }
            if since_io >= interval {
                self.park_or_poll_io(Some(Duration::ZERO));
                since_io = 0;
            }
        }
    }

    /// Drops every queued task (shutdown). Dropping one may queue another, so loop.
    fn drain_queues(&mut self) {
        let local = self.handle.held_local();
        loop {
            let task = local.lifo.take().or_else(|| local.run_queue.borrow_mut().pop_front());
            let Some(task) = task.or_else(|| self.handle.inject.pop()) else {
                break;
            };
            drop(task);
        }
        self.handle.drop_foreign();
    }
}

impl Drop for CoreGuard<'_> {
    fn drop(&mut self) {
        if self.core.is_some() && self.handle.is_shutdown.load(Ordering::Acquire) {
            // The runtime was shut down while this thread drove it: what is still queued
            // here would keep the handle alive through its tasks (a cycle). Cancel and
            // drop it while the core is still current.
            self.handle.owned.close_and_shutdown_all();
            self.drain_queues();
        }
        let _ = CURRENT_CORE.try_with(|c| c.set(self.prev));
        if let Some(core) = self.core.take() {
            *self.handle.core.lock().unwrap_or_else(|p| p.into_inner()) = Some(core);
            self.handle.bump_generation();
        }
    }
}

/// Spawns a `!Send` future on the current-thread scheduler this thread is driving.
///
/// # Panics
/// When this thread drives no current-thread scheduler.
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let current = CURRENT_CORE.with(|c| c.get());
    assert!(
        !current.is_null(),
        "crest::task::spawn_local must be called on a thread running crest::block_on or a \
         current-thread runtime's block_on (a #[crest::main(flavor = \"current_thread\")] or \
         #[crest::test] body); use crest::spawn for Send futures on other runtimes"
    );
    // The runtime this thread drives, whichever runtime is current (`Handle::enter` may
    // have entered another one): it is the only one that can run a `!Send` future here.
    // SAFETY: a non-null CURRENT_CORE is `Arc::as_ptr` of the handle whose core this
    // thread holds, and the `CoreGuard` that set it borrows an `Arc` of that handle until
    // it resets the pointer: the pointer came from an `Arc` whose strong count is at least
    // one for the whole call, so adding a count and taking it back as an `Arc` is sound.
    let me = unsafe {
        Arc::increment_strong_count(current);
        Arc::from_raw(current)
    };
    Handle::spawn(&me, future, Some(std::thread::current().id()))
}
