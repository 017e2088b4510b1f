//! The schedulers, behind one cloneable handle.

pub(crate) mod blocking;
pub(crate) mod context;
pub(crate) mod current_thread;
pub(crate) mod inject;
pub(crate) mod multi_thread;
pub(crate) mod park;

use std::future::Future;
use std::sync::Arc;

use std::sync::atomic::Ordering;
use std::sync::Weak;

use super::dump::TaskDump;
use super::metrics::RuntimeMetrics;
use super::metrics::Stats;
use super::stall;
use crate::driver;
use crate::task::{JoinHandle, OwnedTasks};

/// Polls of the LIFO slot in a row before its task must let the queued ones go first: two
/// tasks that wake each other forever must not starve the rest. Both flavors keep a LIFO
/// slot (the task a running task woke runs next, while its data is hot in the cache) and
/// follow [`lifo_may_run`].
pub(crate) const MAX_LIFO_POLLS: u32 = 3;

/// The LIFO rule of both flavors: the task in the slot runs next while fewer than
/// [`MAX_LIFO_POLLS`] ran from the slot in a row, or when no task waits in the thread's
/// queue for it to starve (the injection queue and I/O have their own turns).
/// (`queue_is_empty` is asked only past the cap.)
#[inline]
pub(crate) fn lifo_may_run(polls_in_a_row: u32, queue_is_empty: impl FnOnce() -> bool) -> bool {
    polls_in_a_row < MAX_LIFO_POLLS || queue_is_empty()
}

/// What the stall watchdog keeps of the scheduler: not an owning handle, or the runtime
/// would keep itself alive.
enum WeakHandle {
    CurrentThread(Weak<current_thread::Handle>),
    MultiThread(Weak<multi_thread::Handle>),
}

/// A handle to whichever scheduler runs the current runtime.
#[derive(Clone)]
pub(crate) enum Handle {
    CurrentThread(Arc<current_thread::Handle>),
    MultiThread(Arc<multi_thread::Handle>),
}

impl Handle {
    pub(crate) fn driver(&self) -> &Arc<driver::Handle> {
        match self {
            Handle::CurrentThread(h) => &h.driver,
            Handle::MultiThread(h) => &h.driver,
        }
    }

    pub(crate) fn blocking(&self) -> &blocking::Spawner {
        match self {
            Handle::CurrentThread(h) => &h.blocking,
            Handle::MultiThread(h) => &h.blocking,
        }
    }

    #[track_caller]
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::spawn(h, future, None),
            Handle::MultiThread(h) => multi_thread::Handle::spawn(h, future),
        }
    }

    /// Runs `future` to completion on this thread, driving the scheduler if this thread
    /// can (the current-thread scheduler's core is free) and otherwise waiting for it.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::block_on(h, self, future),
            Handle::MultiThread(_) => multi_thread::Handle::block_on(self, future),
        }
    }

    /// Drops every task, wakes every I/O object with an error, and stops the blocking
    /// pool, waiting for its threads at most `timeout` (`None`: until they return).
    pub(crate) fn shutdown(&self, timeout: Option<std::time::Duration>) {
        self.stats().stop_watchdog();
        // Task destructors (and the blocking pool's unstarted closures) run here: in the
        // runtime's context, as their polls did.
        let _entered = context::enter_for_shutdown();
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::shutdown(h, self),
            Handle::MultiThread(h) => multi_thread::Handle::shutdown(h, self),
        }
        self.blocking().shutdown(timeout);
    }

    /// The workers' counters.
    pub(crate) fn stats(&self) -> &Arc<Stats> {
        match self {
            Handle::CurrentThread(h) => &h.stats,
            Handle::MultiThread(h) => &h.stats,
        }
    }

    fn owned(&self) -> &OwnedTasks {
        match self {
            Handle::CurrentThread(h) => h.owned(),
            Handle::MultiThread(h) => h.owned(),
        }
    }

    /// A snapshot of every counter (`runtime/metrics.rs`).
    pub(crate) fn metrics(&self) -> RuntimeMetrics {
        let driver = self.driver();
        let (blocking_threads, idle_blocking_threads) = self.blocking().thread_counts();
        let mut m = RuntimeMetrics {
            workers: Vec::new(),
            alive_tasks: 0,
            spawned_tasks: 0,
            injection_queue_depth: 0,
            blocking_threads,
            idle_blocking_threads,
            driver_turns: driver.stats.turns.load(Ordering::Relaxed),
            events_dispatched: driver.stats.events.load(Ordering::Relaxed),
            registered_fds: driver.registered(),
            timers: driver.timers.len(),
            failed_deregistrations: driver.stats.failed_deregisters.load(Ordering::Relaxed),
        };
        match self {
            Handle::CurrentThread(h) => h.metrics(&mut m),
            Handle::MultiThread(h) => h.metrics(&mut m),
        }
        m
    }

    /// Every live task (`runtime/dump.rs`).
    pub(crate) fn dump(&self) -> TaskDump {
        TaskDump::collect(|f| self.owned().for_each(f))
    }

    /// Starts the stall watchdog (`runtime/stall.rs`).
    pub(crate) fn start_watchdog(&self, config: stall::Config, thread_name: String) -> std::io::Result<()> {
        let weak = match self {
            Handle::CurrentThread(h) => WeakHandle::CurrentThread(Arc::downgrade(h)),
            Handle::MultiThread(h) => WeakHandle::MultiThread(Arc::downgrade(h)),
        };
        let lookup: stall::Lookup = Box::new(move |ptr| {
            let find = |owned: &OwnedTasks| owned.with_task(ptr, |h| (h.id, h.spawned_at));
            match &weak {
                WeakHandle::CurrentThread(h) => find(h.upgrade()?.owned()),
                WeakHandle::MultiThread(h) => find(h.upgrade()?.owned()),
            }
        });
        let watchdog = stall::Watchdog::start(self.stats().clone(), config, lookup, thread_name)?;
        *self.stats().watchdog.lock().unwrap_or_else(|p| p.into_inner()) = Some(watchdog);
        Ok(())
    }

    /// Live tasks of this runtime (diagnostics and tests).
    pub(crate) fn num_tasks(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.num_tasks(),
            Handle::MultiThread(h) => h.num_tasks(),
        }
    }
}
