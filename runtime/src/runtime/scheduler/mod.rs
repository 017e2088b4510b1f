//! The schedulers, behind one cloneable handle.

pub(crate) mod blocking;
pub(crate) mod context;
pub(crate) mod current_thread;
pub(crate) mod enter;
pub(crate) mod inject;
pub(crate) mod lifo;
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
use enter::EnterRuntime;

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
        let _entered = self.enter(true);
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::block_on(h, future),
            Handle::MultiThread(_) => multi_thread::Handle::block_on(future),
        }
    }

    /// Drops every task, wakes every I/O object with an error, and stops the blocking
    /// pool, waiting for its threads at most `timeout` (`None`: until they return).
    pub(crate) fn shutdown(&self, timeout: Option<std::time::Duration>) {
        self.stats().stop_watchdog();
        // Task destructors (and the blocking pool's unstarted closures) run here: in the
        // runtime's context, as their polls did.
        let _entered = context::enter_for_shutdown();
        let _current = context::set_current(self);
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::shutdown(h),
            Handle::MultiThread(h) => multi_thread::Handle::shutdown(h),
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

impl enter::EnterRuntime for Handle {
    /// Dropped in field order: the current runtime, then the "driving" mark.
    type Guard = (context::SetCurrentGuard, Option<context::RuntimeGuard>);

    fn enter(&self, driving: bool) -> Self::Guard {
        // First: a nested `block_on` panics before anything is changed.
        let driving = driving.then(context::enter_runtime);
        (context::set_current(self), driving)
    }
}
