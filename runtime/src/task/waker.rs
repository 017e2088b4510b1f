//! Task wakers: a pointer to the task header plus a reference count. Cloning and waking
//! allocate nothing; wakers are `Send + Sync` and work from any thread.

use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::header::Header;
use super::state::{ToNotifiedByRef, ToNotifiedByVal};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// Builds a waker that owns one reference to the task.
///
/// # Safety
/// The caller owns one reference to the live task at `ptr`, which the waker takes over.
pub(crate) unsafe fn from_header(ptr: NonNull<Header>) -> Waker {
    // SAFETY: VTABLE's functions follow the RawWaker contract for a header pointer that
    // owns one reference (the caller's).
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}

/// The task header behind a waker's data pointer.
///
/// # Safety
/// `data` is the data pointer of a waker made by `from_header` that still holds its
/// reference, and the returned borrow is only used while the task cannot be freed by
/// anyone else: while the caller holds a reference, or, once the caller has dropped the
/// last one, until the caller frees the task itself.
unsafe fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: forwarded from the caller: `data` points to a live header.
    unsafe { &*(data as *const Header) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the RawWaker contract: `data` comes from a live waker of ours.
    unsafe { header(data) }.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` comes from a live waker of ours, whose reference we hold until the
    // transition below hands it on or gives it back.
    let h = unsafe { header(data) };
    // SAFETY: `data` is non-null (it came from a NonNull).
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    match h.state.transition_to_notified_by_val() {
        ToNotifiedByVal::DoNothing => {}
        // SAFETY: our reference becomes the Notified's, which `schedule` takes.
        ToNotifiedByVal::Submit => unsafe { (h.vtable.schedule)(ptr) },
        // SAFETY: ours was the last reference.
        ToNotifiedByVal::Dealloc => unsafe { (h.vtable.dealloc)(ptr) },
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` comes from a live waker of ours, which keeps its reference.
    let h = unsafe { header(data) };
    match h.state.transition_to_notified_by_ref() {
        ToNotifiedByRef::Submit => {
            // SAFETY: the transition added a reference for the Notified, which `schedule`
            // takes; `data` is non-null.
            unsafe { (h.vtable.schedule)(NonNull::new_unchecked(data as *mut Header)) }
        }
        ToNotifiedByRef::DoNothing => {}
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` comes from a live waker of ours. When `ref_dec` says ours was the
    // last reference, nobody else can free the task, so `h` stays valid up to `dealloc`.
    let h = unsafe { header(data) };
    if h.state.ref_dec() {
        // SAFETY: ours was the last reference; `data` is non-null.
        unsafe { (h.vtable.dealloc)(NonNull::new_unchecked(data as *mut Header)) }
    }
}
