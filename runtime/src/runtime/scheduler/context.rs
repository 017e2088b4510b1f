//! The thread-local runtime context: which runtime `spawn`, I/O objects and timers use on
//! this thread, and whether this thread is already driving a runtime.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super as scheduler;
use crate::driver;

thread_local! {
    /// The runtime that `Handle::current` returns on this thread.
    static CURRENT: RefCell<Option<scheduler::Handle>> = const { RefCell::new(None) };
    /// True while this thread is inside `block_on` or is a runtime worker: blocking on a
    /// runtime from here would deadlock it.
    static IN_RUNTIME: Cell<bool> = const { Cell::new(false) };
}

/// Restores the previous current runtime on drop.
pub(crate) struct SetCurrentGuard {
    prev: Option<scheduler::Handle>,
}

/// Makes `handle` the current runtime of this thread until the guard drops.
pub(crate) fn set_current(handle: &scheduler::Handle) -> SetCurrentGuard {
    let prev = CURRENT.with(|c| c.replace(Some(handle.clone())));
    SetCurrentGuard { prev }
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // `try_with`: during thread teardown the slot may already be gone.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// The current runtime, if any.
pub(crate) fn try_current() -> Option<scheduler::Handle> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

const NO_RUNTIME: &str = "there is no crest runtime on this thread: call this inside \
    crest::block_on, a #[crest::main] or #[crest::test] function, a task spawned on a crest \
    runtime, or after Runtime::enter";

/// The current runtime.
///
/// # Panics
/// Outside a runtime context, with a message that says where to call from instead.
pub(crate) fn current() -> scheduler::Handle {
    try_current().unwrap_or_else(|| panic!("{NO_RUNTIME}"))
}

/// The current runtime's I/O driver (and timers).
///
/// # Panics
/// Outside a runtime context.
pub(crate) fn current_driver() -> Arc<driver::Handle> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|h| h.driver().clone()))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{NO_RUNTIME}"))
}

/// Marks this thread as driving a runtime until the guard drops.
pub(crate) struct RuntimeGuard {
    _private: (),
}

/// Enters "driving a runtime" on this thread.
///
/// # Panics
/// When the thread already drives one: blocking inside an async context would stall it.
pub(crate) fn enter_runtime() -> RuntimeGuard {
    let nested = IN_RUNTIME.with(|c| c.replace(true));
    if nested {
        panic!(
            "cannot block_on inside a crest runtime: this thread is already running async tasks, \
             and blocking it would stall them. Use `.await` instead, or move the blocking code \
             to crest::task::spawn_blocking"
        );
    }
    RuntimeGuard { _private: () }
}

impl Drop for RuntimeGuard {
    fn drop(&mut self) {
        let _ = IN_RUNTIME.try_with(|c| c.set(false));
    }
}

/// Restores the thread's previous "driving a runtime" state on drop.
pub(crate) struct ShutdownGuard {
    prev: bool,
}

/// Marks this thread as driving a runtime while shutdown drops that runtime's tasks on
/// it: their destructors then run in the same context as their polls did, so one that
/// calls `block_on` gets `enter_runtime`'s clear panic instead of waiting for a runtime
/// that this very thread is tearing down. Unlike `enter_runtime`, the thread may be in a
/// runtime already; the guard restores what was there.
pub(crate) fn enter_for_shutdown() -> ShutdownGuard {
    let prev = IN_RUNTIME.try_with(|c| c.replace(true)).unwrap_or(false);
    ShutdownGuard { prev }
}

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        let _ = IN_RUNTIME.try_with(|c| c.set(self.prev));
    }
}

/// True while this thread drives a runtime.
pub(crate) fn in_runtime() -> bool {
    IN_RUNTIME.try_with(|c| c.get()).unwrap_or(false)
}
