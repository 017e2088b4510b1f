//! The multi-thread scheduler: N workers that share one driver and steal from each other.
//!
//! Each worker has a bounded local run queue (stealable) and a LIFO slot: a task woken by
//! the task that is running goes to the slot and runs next, which keeps a message and its
//! reply on one warm core. Tasks spawned or woken from outside the workers go to the
//! shared injection queue, which every worker checks every `global_queue_interval` tasks.
//! A worker with nothing to do tries to steal half of a sibling's queue, then parks:
//! in the driver if no other worker is waiting there, otherwise on its condition variable
//! (`scheduler/park.rs`). New work wakes one parked worker only if none is searching already
//! (`idle.rs`).

mod idle;
pub(super) mod queue;
mod worker;

#[cfg(all(test, loom))]
mod loom_tests;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::blocking;
use super::enter::EnterRuntime;
use super::{inject, park};
use crate::driver::{self, Driver};
use crate::runtime::metrics::RuntimeMetrics;
use crate::runtime::metrics::Stats;
use crate::task::{self, JoinHandle, Notified, OwnedTasks, Schedule, Task};
use idle::Idle;
use inject::Inject;
use park::{DriverWatch, Parker};
use queue::LocalQueue;

/// Scheduler settings.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) thread_name: String,
    pub(crate) event_interval: u32,
    pub(crate) global_queue_interval: u32,
    pub(crate) timer_slack: Option<Duration>,
}

/// What other threads can reach of one worker.
struct Remote {
    queue: LocalQueue,
    parker: Parker,
}

/// The shared state of the scheduler.
pub(crate) struct Handle {
    remotes: Box<[Remote]>,
    inject: Inject,
    owned: OwnedTasks,
    idle: Idle,
    /// The driver; whoever holds the lock may wait in it. A `TryMutex` (std's `Mutex`
    /// outside the loom models, see `crate::loom`) because `Parker::park_recheck` try-locks it.
    driver_lock: crate::loom::sync::TryMutex<Driver>,
    /// Whether a worker waits in the driver (`scheduler/park.rs`).
    watch: DriverWatch,
    is_shutdown: AtomicBool,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    pub(crate) driver: Arc<driver::Handle>,
    pub(crate) blocking: blocking::Spawner,
    config: Config,
    /// Each worker's counters (`runtime/metrics.rs`).
    pub(crate) stats: Arc<Stats>,
}

impl Handle {
    /// Builds the scheduler and starts its workers, each of which makes the runtime that
    /// `runtime` makes of the new handle its thread's current one.
    pub(crate) fn start<C: EnterRuntime>(
        driver: Driver,
        blocking: blocking::Spawner,
        config: Config,
        runtime: impl FnOnce(&Arc<Handle>) -> C,
    ) -> std::io::Result<C> {
        let n = config.worker_threads;
        let remotes = (0..n).map(|_| Remote { queue: LocalQueue::new(), parker: Parker::new() }).collect();
        let stats = Stats::new(n, |i| Some(format!("{}-{i}", config.thread_name)));
        let handle = Arc::new(Handle {
            remotes,
            inject: Inject::new(),
            // Shards enough that a spawning and a completing worker rarely share one.
            owned: OwnedTasks::with_shards(8 * n),
            idle: Idle::new(n),
            driver: driver.handle().clone(),
            driver_lock: crate::loom::sync::TryMutex::new(driver),
            watch: DriverWatch::new(),
            is_shutdown: AtomicBool::new(false),
            workers: Mutex::new(Vec::with_capacity(n)),
            blocking,
            config,
            stats,
        });
        let scheduler = runtime(&handle);
        for index in 0..n {
            let h = handle.clone();
            let s = scheduler.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("{}-{index}", handle.config.thread_name))
                .spawn(move || worker::run(h, s, index));
            match spawned {
                Ok(t) => handle.lock_workers().push(t),
                Err(e) => {
                    let _current = scheduler.enter(false);
                    Handle::shutdown(&handle);
                    return Err(e);
                }
            }
        }
        Ok(scheduler)
    }

    fn lock_workers(&self) -> std::sync::MutexGuard<'_, Vec<std::thread::JoinHandle<()>>> {
        self.workers.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[track_caller]
    pub(crate) fn spawn<F>(me: &Arc<Handle>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = task::new_task(future, me.clone(), None);
        if let Some(notified) = me.owned.bind(task, notified) {
            // A new task waits its turn behind the others (the LIFO slot is for wakes).
            worker::schedule(me, notified, true);
        }
        join
    }

    pub(crate) fn num_tasks(&self) -> usize {
        self.owned.len()
    }

    /// The scheduler's part of a metrics snapshot.
    pub(crate) fn metrics(&self, m: &mut RuntimeMetrics) {
        m.workers = self.stats.worker_metrics(|i| self.remotes[i].queue.len());
        m.alive_tasks = self.owned.len();
        m.spawned_tasks = self.owned.spawned();
        m.injection_queue_depth = self.inject.len();
    }

    pub(crate) fn owned(&self) -> &OwnedTasks {
        &self.owned
    }

    /// Runs `future` on the calling (non-worker) thread, parking it between polls; the
    /// runtime's workers run the tasks it spawns. The caller made the runtime current.
    pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let parker = Arc::new(BlockOnWaker { notified: Mutex::new(true), condvar: Condvar::new() });
        let waker = Waker::from(parker.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            {
                // Perhaps about to sleep: give back the task cells left cached here.
                crate::task::trim_cell_cache();
                let mut notified = parker.notified.lock().unwrap_or_else(|p| p.into_inner());
                while !*notified {
                    notified = parker.condvar.wait(notified).unwrap_or_else(|p| p.into_inner());
                }
                *notified = false;
            }
            if let Poll::Ready(v) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                return v;
            }
        }
    }

    /// Stops the workers, then drops every task on this thread (the caller made this
    /// runtime current, so task destructors run in its context).
    pub(crate) fn shutdown(me: &Arc<Handle>) {
        if me.is_shutdown.swap(true, Ordering::AcqRel) {
            return;
        }
        for remote in me.remotes.iter() {
            remote.parker.unpark(&me.driver);
        }
        let workers = std::mem::take(&mut *me.lock_workers());
        let me_thread = std::thread::current().id();
        for w in workers {
            // A task that drops its own runtime cannot wait for its own thread.
            if w.thread().id() != me_thread {
                let _ = w.join();
            }
        }
        me.owned.close_and_shutdown_all();
        for remote in me.remotes.iter() {
            while let Some(task) = remote.queue.pop() {
                drop(task);
            }
        }
        me.inject.drop_all();
        me.driver_lock.lock().unwrap_or_else(|p| p.into_inner()).shutdown();
    }

    /// After a worker left the driver: wakes the workers that sleep without a timeout, so
    /// that one of them takes the driver over should the leaver block (`scheduler/park.rs`).
    fn kick_sleepers(&self) {
        for remote in self.remotes.iter() {
            remote.parker.kick();
        }
    }

    /// Wakes one parked worker if new work needs one.
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark(&self.driver);
        }
    }

    fn schedule_remote(&self, task: Notified) {
        if self.inject.push_remote(task, &self.is_shutdown) {
            self.notify_parked();
        }
    }
}

impl Schedule for Arc<Handle> {
    fn schedule(&self, task: Notified) {
        worker::schedule(self, task, false);
    }

    fn yield_now(&self, task: Notified) {
        worker::schedule(self, task, true);
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.owned.remove(task)
    }
}

/// The waker of the future passed to `block_on` on a thread outside the workers: it parks
/// that thread on a condition variable between polls.
struct BlockOnWaker {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl Wake for BlockOnWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        *self.notified.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.condvar.notify_one();
    }
}
