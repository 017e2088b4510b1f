//! The task allocation and its type-erased entry points.
//!
//! A task is one heap allocation, a [`Cell`]: the [`Header`] (state word and vtable, in
//! `header.rs`),
//! the scheduler handle, the future-or-output [`Stage`], and the join waker slot. Everything
//! outside this file sees only `NonNull<Header>` and calls through the [`Vtable`], which
//! knows the concrete future and scheduler types.
//!
//! # Who may touch which field
//! * `stage`: whoever holds `RUNNING` (polling, cancelling, storing the output); after
//!   `COMPLETE`, the `JoinHandle` alone while `JOIN_INTEREST` is set, otherwise the runtime
//!   thread that completed the task (it drops an unwanted output before anyone else can
//!   see `COMPLETE` without `JOIN_INTEREST`). Deallocation drops whatever is left.
//! * `join_waker`: the `JoinHandle` while `JOIN_WAKER` is clear and the task is not
//!   complete; the completing runtime thread, read-only, when its completion snapshot shows
//!   `JOIN_WAKER`. Deallocation drops it.
//! * `header.owned_slot`: the owned-task list, under the lock of the shard that holds the
//!   task.
//! * `scheduler`: read-only, by anyone holding a reference.

use std::alloc::Layout;
use std::any::Any;
use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use std::task::{Context, Poll, Waker};

use super::header::{Header, Vtable};
use super::meta::{Id, ThreadNum};
use super::state::{State, ToIdle, ToRunning};
use super::JoinError;
use super::{waker, Notified, Schedule, Task};

/// The future, then its output.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    join_waker: UnsafeCell<Option<Waker>>,
}

/// Allocates a task. The state starts with three references: the returned `Task` (for
/// the owned list), the `Notified` (for the run queue) and the `JoinHandle`'s raw pointer.
#[track_caller]
pub(crate) fn allocate<F, S>(future: F, scheduler: S, local_owner: Option<ThreadNum>) -> NonNull<Header>
where
    F: Future + 'static,
    S: Schedule,
{
    let cell = Cell {
        header: Header {
            state: State::new(),
            vtable: vtable::<F, S>(),
            owned_slot: UnsafeCell::new(u32::MAX),
            polls: AtomicU32::new(0),
            local_owner,
            spawned_ms: crate::driver::timer::coarse::coarse_now_ms(),
            id: Id::next(),
            spawned_at: Location::caller(),
        },
        scheduler,
        stage: UnsafeCell::new(Stage::Running(future)),
        join_waker: UnsafeCell::new(None),
    };
    // SAFETY: a cell holds a header, so its size is not zero.
    let ptr = unsafe { super::alloc::allocate(Layout::new::<Cell<F, S>>()) }.cast::<Cell<F, S>>();
    // SAFETY: `allocate` returned memory fit for a `Cell<F, S>` (its layout), unused.
    unsafe { ptr.as_ptr().write(cell) };
    // `Cell` is repr(C) with the header first, so the cast is the header's address.
    ptr.cast()
}

fn vtable<F: Future + 'static, S: Schedule>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// # Safety
/// `ptr` must point to a live `Cell<F, S>` (a reference to it is held by the caller).
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the caller guarantees `ptr` came from `allocate::<F, S>` and is alive.
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

unsafe fn poll<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's `Notified` reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        ToRunning::Success => {}
        ToRunning::Cancelled => {
            // SAFETY: we hold RUNNING and a reference.
            unsafe {
                cancel(cell);
                complete::<F, S>(ptr);
            }
            return;
        }
        ToRunning::Failed => return,
        ToRunning::Dealloc => {
            // SAFETY: ours was the last reference.
            unsafe { dealloc::<F, S>(ptr) };
            return;
        }
    }
    // The waker borrows our reference for the duration of the poll; it must not drop it.
    // SAFETY: the pointer stays valid while we hold the Notified's reference.
    let waker = ManuallyDrop::new(unsafe { waker::from_header(ptr) });
    let mut cx = Context::from_waker(&waker);
    let res = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: we hold RUNNING, so the stage is ours; the future never moves (the cell
        // is heap-allocated and freed only after the stage is dropped).
        let stage = unsafe { &mut *cell.stage.get() };
        match stage {
            // SAFETY: the future is pinned in the heap cell until the stage drops it.
            Stage::Running(f) => unsafe { Pin::new_unchecked(f) }.poll(&mut cx),
            _ => unreachable!("a task was polled after it completed"),
        }
    }));
    match res {
        Ok(Poll::Pending) => match cell.header.state.transition_to_idle() {
            ToIdle::Ok => {}
            // SAFETY: the runner's reference (ours) becomes the Notified's.
            ToIdle::OkNotified => cell.scheduler.yield_now(Notified(unsafe { Task::from_raw(ptr) })),
            // SAFETY: the last reference was ours.
            ToIdle::OkDealloc => unsafe { dealloc::<F, S>(ptr) },
            ToIdle::Cancelled => {
                // SAFETY: we still hold RUNNING and a reference.
                unsafe {
                    cancel(cell);
                    complete::<F, S>(ptr);
                }
            }
        },
        Ok(Poll::Ready(output)) => {
            // SAFETY: we hold RUNNING.
            let dropped = unsafe { drop_future(cell) };
            let result = match dropped {
                Ok(()) => Ok(output),
                Err(panic) => Err(JoinError::panic(panic)),
            };
            // SAFETY: we hold RUNNING and a reference.
            unsafe {
                *cell.stage.get() = Stage::Finished(result);
                complete::<F, S>(ptr);
            }
        }
        Err(panic) => {
            // SAFETY: we hold RUNNING; a second panic from the drop is swallowed in favour
            // of the first.
            unsafe {
                let _ = drop_future(cell);
                *cell.stage.get() = Stage::Finished(Err(JoinError::panic(panic)));
                complete::<F, S>(ptr);
            }
        }
    }
}

/// Drops the future, catching a panic from its destructor.
///
/// # Safety
/// The caller holds `RUNNING`.
unsafe fn drop_future<F: Future, S>(cell: &Cell<F, S>) -> Result<(), Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: RUNNING gives us the stage.
        unsafe { *cell.stage.get() = Stage::Consumed };
    }))
}

/// Drops the future of a cancelled task and stores the cancellation as its output.
///
/// # Safety
/// The caller holds `RUNNING`.
unsafe fn cancel<F: Future, S>(cell: &Cell<F, S>) {
    // SAFETY: forwarded from the caller.
    let err = match unsafe { drop_future(cell) } {
        Ok(()) => JoinError::cancelled(),
        Err(panic) => JoinError::panic(panic),
    };
    // SAFETY: RUNNING gives us the stage.
    unsafe { *cell.stage.get() = Stage::Finished(Err(err)) };
}

/// Publishes completion, wakes the joiner, leaves the owned list and drops the runner's
/// reference.
///
/// # Safety
/// The caller holds `RUNNING` and one reference, which this consumes; the output (or
/// error) is stored.
unsafe fn complete<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    let snapshot = cell.header.state.transition_to_complete();
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !snapshot.is_join_interested() {
            // Nobody will read the output: drop it here, on a runtime thread.
            // SAFETY: without JOIN_INTEREST no JoinHandle exists to read the stage.
            unsafe { *cell.stage.get() = Stage::Consumed };
        } else if snapshot.is_join_waker_set() {
            // SAFETY: JOIN_WAKER in our completion snapshot hands the slot to us, and the
            // handle never writes it again once COMPLETE is set.
            if let Some(w) = unsafe { &*cell.join_waker.get() } {
                w.wake_by_ref();
            }
        }
    }));
    // The list's reference comes back to us (or was already taken by shutdown).
    // SAFETY: a borrowed view of the task, to find it in the owned list: ManuallyDrop
    // keeps it from giving back a reference it does not own.
    let task = ManuallyDrop::new(unsafe { Task::from_raw(ptr) });
    let released = cell.scheduler.release(&task);
    let n = match released {
        Some(t) => {
            std::mem::forget(t);
            2
        }
        None => 1,
    };
    if cell.header.state.ref_dec_n(n) {
        // SAFETY: those were the last references.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn schedule<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller transfers a reference, which keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the caller's reference becomes the Notified's.
    cell.scheduler.schedule(Notified(unsafe { Task::from_raw(ptr) }));
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    /// Gives the memory back even if a destructor in the cell panics (as `Box` did).
    struct Free(NonNull<u8>, Layout);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: the block came from `alloc::allocate` with this layout, and the cell
            // in it has been dropped (or its drop is unwinding): nothing uses it again.
            unsafe { super::alloc::deallocate(self.0, self.1) }
        }
    }
    let cell = ptr.cast::<Cell<F, S>>();
    let _free = Free(cell.cast(), Layout::new::<Cell<F, S>>());
    // SAFETY: the last reference is gone, so nothing else can reach the cell; it was
    // written by `allocate::<F, S>` and is dropped once, here, before `_free` gives its
    // memory back.
    unsafe { std::ptr::drop_in_place(cell.as_ptr()) };
}

unsafe fn try_read_output<F: Future, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the slot rules are followed inside (module docs).
    if unsafe { can_read_output(&cell.header, &cell.join_waker, waker) } {
        // SAFETY: COMPLETE with JOIN_INTEREST: the stage belongs to the JoinHandle.
        let stage = std::mem::replace(unsafe { &mut *cell.stage.get() }, Stage::Consumed);
        let out = match stage {
            Stage::Finished(out) => out,
            _ => panic!("JoinHandle polled after it returned Ready"),
        };
        // SAFETY: the JoinHandle passes a `*mut Poll<Result<F::Output, JoinError>>`.
        unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(out) };
    }
}

/// True when the output can be read; otherwise leaves `waker` for the runtime to wake.
///
/// # Safety
/// Called by the JoinHandle only; `slot` is the task's join waker slot.
unsafe fn can_read_output(header: &Header, slot: &UnsafeCell<Option<Waker>>, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        // SAFETY: while JOIN_WAKER is set the runtime only reads the slot, and so do we.
        if unsafe { &*slot.get() }.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return false;
        }
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    // SAFETY: JOIN_WAKER is clear and the task was not complete: the slot is ours.
    unsafe { *slot.get() = Some(waker.clone()) };
    header.state.set_join_waker().is_err()
}

unsafe fn drop_join_handle<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the JoinHandle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.unset_join_interested().is_err() {
        // Complete while we were interested: the output is ours to drop.
        // SAFETY: COMPLETE with JOIN_INTEREST gives the stage to the JoinHandle.
        unsafe { *cell.stage.get() = Stage::Consumed };
    }
    if cell.header.state.ref_dec() {
        // SAFETY: the last reference was ours.
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn shutdown<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller transfers a reference, which keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // SAFETY: we took RUNNING; the transferred reference is the runner's.
        unsafe {
            cancel(cell);
            complete::<F, S>(ptr);
        }
    } else if cell.header.state.ref_dec() {
        // SAFETY: the last reference was ours.
        unsafe { dealloc::<F, S>(ptr) };
    }
}
