//! The synchronisation types of the concurrency core, so that one piece of code runs in
//! production and under the loom model checker.
//!
//! Normally these are `std`'s. Built with `RUSTFLAGS="--cfg loom"` they are loom's, whose
//! every atomic access, lock and wait is a point where loom switches threads; the models in
//! `loom_tests/` then run the real task state machine, owned-task list, park states, idle
//! accounting and readiness word through every interleaving (up to a preemption bound).
//! `scripts/loom` runs them.
//!
//! Only the concurrency core imports from here (`task/state.rs`, `task/list.rs`,
//! `runtime/scheduler/{park,inject}.rs`, `multi_thread/idle.rs`, `driver/readiness.rs`): loom's types
//! only work inside `loom::model`, so code that must also run outside a model (the driver,
//! the blocking pool, the schedulers' plumbing) keeps `std`'s.
//!
//! What loom cannot see: a timed wait (loom's `Condvar::wait_timeout` never times out, so
//! a model proves that no wakeup depends on a timeout), syscalls (the models stand a fake
//! driver in for epoll and the eventfd), and crossbeam's queues (their accesses are plain
//! `std` atomics, which loom runs as one indivisible, sequentially consistent step).

#[cfg(not(loom))]
pub(crate) mod sync {
    /// A mutex that is also taken with `try_lock` (the driver lock); see the loom one.
    pub(crate) use std::sync::Mutex as TryMutex;
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
    }
}

#[cfg(loom)]
pub(crate) mod sync {
    pub(crate) use super::try_mutex::TryMutex;
    pub(crate) use ::loom::sync::{Condvar, Mutex, MutexGuard};

    pub(crate) mod atomic {
        pub(crate) use ::loom::sync::atomic::{fence, AtomicU8, AtomicUsize, Ordering};
    }
}

/// loom 0.7's `Mutex::try_lock` can report a deadlock that cannot happen: a thread that is
/// about to `try_lock` is marked blocked when another thread takes the lock, although its
/// `try_lock` would just fail (tokio-rs/loom#376). The driver lock is taken with
/// `try_lock`, so under loom it is this lock instead: a flag on a loom atomic (Acquire to
/// take it, Release to give it back) whose `lock` spins with `yield_now`, which loom
/// understands.
#[cfg(loom)]
mod try_mutex {
    use std::ops::{Deref, DerefMut};
    use std::sync::{LockResult, TryLockError, TryLockResult};

    use ::loom::cell::{MutPtr, UnsafeCell};
    use ::loom::sync::atomic::{AtomicBool, Ordering};

    pub(crate) struct TryMutex<T> {
        locked: AtomicBool,
        data: UnsafeCell<T>,
    }

    pub(crate) struct TryMutexGuard<'a, T> {
        lock: &'a TryMutex<T>,
        data: MutPtr<T>,
    }

    // SAFETY: as std's Mutex: the flag gives one thread at a time access to the data.
    unsafe impl<T: Send> Sync for TryMutex<T> {}

    impl<T> TryMutex<T> {
        pub(crate) fn new(data: T) -> TryMutex<T> {
            TryMutex { locked: AtomicBool::new(false), data: UnsafeCell::new(data) }
        }

        pub(crate) fn try_lock(&self) -> TryLockResult<TryMutexGuard<'_, T>> {
            if self.locked.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
                return Err(TryLockError::WouldBlock);
            }
            Ok(TryMutexGuard { lock: self, data: self.data.get_mut() })
        }

        pub(crate) fn lock(&self) -> LockResult<TryMutexGuard<'_, T>> {
            loop {
                if let Ok(guard) = self.try_lock() {
                    return Ok(guard);
                }
                ::loom::thread::yield_now();
            }
        }
    }

    impl<T> Deref for TryMutexGuard<'_, T> {
        type Target = T;

        fn deref(&self) -> &T {
            // SAFETY: the flag is ours while the guard lives; loom checks the access.
            unsafe { self.data.deref() }
        }
    }

    impl<T> DerefMut for TryMutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: as above.
            unsafe { self.data.deref() }
        }
    }

    impl<T> Drop for TryMutexGuard<'_, T> {
        fn drop(&mut self) {
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}
