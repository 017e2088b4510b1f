//! `task_local!` and `LocalKey`: a value visible to everything a future runs, wherever the
//! task is polled.
//!
//! The value lives inside the [`TaskLocalFuture`] made by [`LocalKey::scope`], so it moves
//! with the task from worker to worker. Around each poll of the inner future the value is
//! swapped into a per-thread slot (`std`'s `thread_local!`, one per key) and swapped back out
//! afterwards, also when the poll panics; `with` reads that slot. Owns nothing else: it
//! never spawns, and knows nothing of schedulers.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static NAME: Type;` becomes a [`LocalKey<Type>`].
///
/// ```
/// crest::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// crest::block_on(async {
///     REQUEST_ID
///         .scope(7, async {
///             crest::task::yield_now().await;
///             assert_eq!(REQUEST_ID.get(), 7);
///         })
///         .await;
///     assert!(REQUEST_ID.try_with(|_| ()).is_err());
/// });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __CREST_TASK_LOCAL: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__new(&__CREST_TASK_LOCAL)
        };
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::task_local!($(#[$attr])* $vis static $name: $t;);
    };
}

/// A key declared with [`task_local!`](crate::task_local): set for the duration of a future
/// with [`scope`](LocalKey::scope), read inside it with [`with`](LocalKey::with).
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

/// The error of [`LocalKey::try_with`] outside a scope of the key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError {
    _private: (),
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: not inside a scope of this key")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Runs `future` with the key set to `value`; the value is dropped when the returned
    /// future completes or is dropped.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture { key: self, value: Some(value), future: Some(future) }
    }

    /// Runs the closure `f` with the key set to `value` (for synchronous code).
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        let _entered = Entered::enter(self, &mut value);
        f()
    }

    /// Calls `f` with a reference to the value of the innermost scope.
    ///
    /// # Panics
    /// Outside a scope of this key (use [`try_with`](Self::try_with) to check).
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(_) => panic!(
                "a task-local value was read outside its scope: run the code inside \
                 KEY.scope(value, future) or KEY.sync_scope(value, closure), or use try_with"
            ),
        }
    }

    /// Calls `f` with a reference to the value, or returns [`AccessError`] outside a scope.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let slot = self.slot.try_with(|slot| {
            // Borrowed only while `f` runs; `f` may not start a new scope of the same key
            // (that would need the slot mutably): it would panic with "already borrowed".
            slot.try_borrow().ok().and_then(|value| value.as_ref().map(f))
        });
        slot.ok().flatten().ok_or(AccessError { _private: () })
    }

    /// A clone of the value.
    ///
    /// # Panics
    /// Outside a scope of this key.
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// While alive, the key's per-thread slot holds the value taken from `value`; on drop (also
/// during a panic) the value goes back.
struct Entered<'a, T: 'static> {
    key: &'static LocalKey<T>,
    value: &'a mut Option<T>,
}

impl<'a, T: 'static> Entered<'a, T> {
    fn enter(key: &'static LocalKey<T>, value: &'a mut Option<T>) -> Entered<'a, T> {
        key.slot.with(|slot| std::mem::swap(&mut *slot.borrow_mut(), value));
        Entered { key, value }
    }
}

impl<T: 'static> Drop for Entered<'_, T> {
    fn drop(&mut self) {
        // `try_with`: during thread teardown the slot may be gone; the value is then dropped
        // with the future instead.
        let _ = self.key.slot.try_with(|slot| std::mem::swap(&mut *slot.borrow_mut(), self.value));
    }
}

pin_project_lite::pin_project! {
    /// The future of [`LocalKey::scope`]: the inner future, with the key set while it runs.
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // The inner future's destructor sees the value too, as tokio's does.
            if this.future.is_some() {
                let _entered = Entered::enter(this.key, this.value);
                this.future.set(None);
            }
        }
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let out = {
            let _entered = Entered::enter(this.key, this.value);
            match this.future.as_mut().as_pin_mut() {
                Some(future) => future.poll(cx),
                None => panic!("a task-local scope future was polled after it completed"),
            }
        };
        if out.is_ready() {
            // The scope ends: drop the inner future, then the value, now.
            this.future.set(None);
            *this.value = None;
        }
        out
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskLocalFuture { .. }")
    }
}
