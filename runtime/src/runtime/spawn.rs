//! `crest::spawn`, `crest::task::spawn_local`, `spawn_blocking` and `crest::task::id`: the
//! task functions
//! that need a runtime, so they live above the task layer.

use std::future::Future;

use super::scheduler::{self, context};
use crate::task::{Id, JoinHandle};

/// Spawns a task on the current runtime and returns a handle to its output.
///
/// The task starts running at once, in the background; awaiting the handle is optional
/// (dropping it detaches the task). A panic in the task reaches the handle as a
/// [`JoinError`](crate::task::JoinError); the runtime carries on.
///
/// ```
/// crest::block_on(async {
///     let handle = crest::spawn(async { "hello" });
///     assert_eq!(handle.await.unwrap(), "hello");
/// });
/// ```
///
/// # Panics
/// Outside a runtime context (use `Runtime::spawn` or `Handle::spawn` there).
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::try_current() {
        Some(handle) => handle.spawn(future),
        None => panic!(
            "crest::spawn called outside a crest runtime: call it inside crest::block_on, a \
             #[crest::main] or #[crest::test] function, or a task; from other threads use \
             Runtime::spawn or a runtime::Handle"
        ),
    }
}

/// Spawns a `!Send` future on the current thread.
///
/// Allowed inside `crest::block_on` and a current-thread runtime's `block_on` (which is
/// what `#[crest::test]` and `#[crest::main(flavor = "current_thread")]` use); the task
/// runs on that thread only, on the runtime that thread drives (even if another runtime
/// has been entered there with `Handle::enter`). If another thread drives that runtime
/// (`Handle::block_on`) when the task is woken, the task waits for its own thread to
/// drive it again.
///
/// ```
/// use std::rc::Rc;
/// crest::block_on(async {
///     let shared = Rc::new(5);
///     let copy = shared.clone();
///     let handle = crest::task::spawn_local(async move { *copy + 1 });
///     assert_eq!(handle.await.unwrap(), 6);
/// });
/// ```
///
/// # Panics
/// Anywhere else, with a message that says where to call it from.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    scheduler::current_thread::spawn_local(future)
}

/// Runs `f` on a thread of the runtime's blocking pool and returns a handle to its result.
///
/// Use it for code that blocks: file I/O, CPU-heavy work, a synchronous library. The pool
/// grows on demand (up to 512 threads by default) and idle threads exit after 10 seconds.
/// A blocking task cannot be aborted once it has started.
///
/// ```
/// crest::block_on(async {
///     let sum = crest::task::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
///     assert_eq!(sum, 5050);
/// });
/// ```
///
/// # Panics
/// Outside a runtime context.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let handle = context::current();
    handle.blocking().spawn(f, &handle)
}

/// The id of the task that is running on this thread.
///
/// ```
/// crest::block_on(async {
///     let handle = crest::spawn(async { crest::task::id() });
///     assert_eq!(handle.id(), handle.await.unwrap());
/// });
/// ```
///
/// # Panics
/// Outside a task: in a `spawn_blocking` closure, in the future passed to `block_on`
/// (which is not a task), or on a thread that runs no runtime. [`try_id`] returns `None`
/// there.
#[track_caller]
pub fn id() -> Id {
    try_id().expect("crest::task::id() called outside a task (block_on's own future is not a task)")
}

/// The id of the task that is running on this thread, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    super::metrics::current_task_id()
}
