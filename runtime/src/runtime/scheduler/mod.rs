//! The schedulers, behind one cloneable handle.

pub(crate) mod current_thread;
pub(crate) mod multi_thread;

use std::future::Future;
use std::sync::Arc;

use super::blocking;
use crate::driver;
use crate::task::JoinHandle;

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
        // Task destructors (and the blocking pool's unstarted closures) run here: in the
        // runtime's context, as their polls did.
        let _entered = super::context::enter_for_shutdown();
        match self {
            Handle::CurrentThread(h) => current_thread::Handle::shutdown(h, self),
            Handle::MultiThread(h) => multi_thread::Handle::shutdown(h, self),
        }
        self.blocking().shutdown(timeout);
    }

    /// Live tasks of this runtime (diagnostics and tests).
    pub(crate) fn num_tasks(&self) -> usize {
        match self {
            Handle::CurrentThread(h) => h.num_tasks(),
            Handle::MultiThread(h) => h.num_tasks(),
        }
    }
}
