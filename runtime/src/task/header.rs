//! The type-independent start of every task allocation: the [`Header`] and the [`Vtable`]
//! of type-erased entry points it points to.
//!
//! Everything outside `raw.rs` sees a task only as `NonNull<Header>`: the state word, the
//! vtable and the observability fields are readable without knowing the future's or the
//! scheduler's type. This file owns the layout only; it must not implement the vtable's
//! functions (that is `raw.rs`, which knows the concrete types).

use std::cell::UnsafeCell;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;
use std::task::Waker;

use super::meta::{Id, ThreadNum};
use super::state::State;

/// The type-erased operations of a task.
pub(crate) struct Vtable {
    /// Runs a `Notified` (consumes its reference).
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Hands a `Notified` (whose reference the caller transfers) to the task's scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation (the last reference is gone).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (a `Poll<Result<T, JoinError>>`) if complete, else
    /// registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The `JoinHandle` is dropped (consumes its reference).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancel in place if idle (consumes one reference).
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

/// The type-independent start of every task allocation.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    /// Where the owned-task list keeps this task; written and read under the lock of the
    /// list's shard that holds it.
    pub(crate) owned_slot: UnsafeCell<u32>,
    /// Polls so far (`meta.rs`): written only by the thread about to run the task's one
    /// `Notified` (load + store), read by task dumps.
    pub(crate) polls: AtomicU32,
    /// `Some` for `spawn_local` tasks: the one thread that may poll or drop the future.
    pub(crate) local_owner: Option<ThreadNum>,
    /// When it was spawned, in coarse milliseconds (`driver/timer/coarse.rs`).
    pub(crate) spawned_ms: u32,
    pub(crate) id: Id,
    /// The user's line that spawned it.
    pub(crate) spawned_at: &'static Location<'static>,
}

// SAFETY: `owned_slot` is only accessed under its owned-list shard's mutex; every other field
// is immutable or atomic.
unsafe impl Sync for Header {}
// SAFETY: as above; the header holds no thread-bound data.
unsafe impl Send for Header {}
