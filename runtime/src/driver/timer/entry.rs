//! The timer entry: the intrusive node that a [`Sleep`](crate::time::Sleep) carries inside itself
//! and that the wheel links into its slot lists. No timer allocates: the entry *is* the
//! wheel's memory for that timer.
//!
//! # Who may touch which field
//!
//! | field   | written by                                   | read by                          |
//! | ------- | -------------------------------------------- | -------------------------------- |
//! | `inner` | whoever holds the [`Timers`] lock             | whoever holds the [`Timers`] lock |
//! | `fired` | the lock holder (the driver firing it, or the owner re-arming it) | anyone, without the lock |
//!
//! `inner` holds the links (`prev`, `next`, `place`), the exact deadline in nanoseconds
//! (`when`) and the waker. Only code holding the lock of the [`Timers`] the entry is
//! registered with touches it, so there is never more than one accessor at a time.
//!
//! `fired` is set with `Release` by the driver as its *last* access to the entry: after
//! it, the driver has unlinked the entry, moved its waker out and will not look at it
//! again. An owner that loads `true` with `Acquire` may therefore free the entry without
//! taking the lock.
//!
//! # Pinning
//! The wheel keeps raw pointers to linked entries. An entry is linked only through a
//! `Pin<&Entry>` (so it cannot move) and the owner unlinks it in its destructor (the
//! `Drop` guarantee of pinned data), so no pointer in the wheel ever dangles. Owners
//! never create `&mut Entry` (only `&Entry` from `Pin<&mut Sleep>`); `PhantomPinned`
//! makes the type `!Unpin`, which also keeps the compiler from treating a `Pin<&mut>`
//! that reaches it as unaliased while another thread writes `inner` through the wheel.
//!
//! [`Timers`]: super::Timers

use std::cell::UnsafeCell;
use std::marker::PhantomPinned;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Waker;

/// Where a linked entry sits, so that it can be unlinked in O(1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// In no list.
    Unlinked,
    /// In slot `slot` of wheel level `level`.
    Slot { level: u8, slot: u8 },
    /// Expired, in the wheel's list of entries waiting to be handed to the driver.
    Pending,
}

/// The part of an entry guarded by the [`Timers`](super::Timers) lock.
pub(crate) struct Inner {
    pub(crate) prev: Option<NonNull<Entry>>,
    pub(crate) next: Option<NonNull<Entry>>,
    pub(crate) place: Place,
    /// The exact deadline, in nanoseconds since the wheel's base instant.
    pub(crate) when: u64,
    pub(crate) waker: Option<Waker>,
}

/// One timer's node. See the module docs for who may touch which field.
pub(crate) struct Entry {
    inner: UnsafeCell<Inner>,
    fired: AtomicBool,
    _pinned: PhantomPinned,
}

// SAFETY: `inner` (the only non-thread-safe part: raw links and a waker) is touched only
// by the holder of the `Timers` lock (module docs, "Who may touch which field"), so moving
// or sharing an entry between threads never lets two threads at it at once. `Waker` itself
// is Send + Sync.
unsafe impl Send for Entry {}
// SAFETY: as for Send: shared access goes through the lock or through the atomic `fired`.
unsafe impl Sync for Entry {}

impl Entry {
    pub(crate) const fn new() -> Entry {
        Entry {
            inner: UnsafeCell::new(Inner {
                prev: None,
                next: None,
                place: Place::Unlinked,
                when: 0,
                waker: None,
            }),
            fired: AtomicBool::new(false),
            _pinned: PhantomPinned,
        }
    }

    /// True once the driver has fired the entry (and let go of it for good).
    ///
    /// `Acquire`: pairs with the `Release` in [`Entry::set_fired`], so that the driver's
    /// last writes to the entry happen before the owner frees it.
    pub(crate) fn is_fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }

    /// Marks the entry fired (or, with `false`, armed again).
    ///
    /// # Safety
    /// The caller holds the `Timers` lock. With `true`, this must be the caller's last
    /// access to the entry: the owner may free it as soon as the store is visible.
    pub(crate) unsafe fn set_fired(this: NonNull<Entry>, fired: bool) {
        // SAFETY: the caller guarantees the entry is alive (it is linked or owned by the
        // caller); `fired` is atomic, so a shared reference to it is fine.
        let flag = unsafe { &(*this.as_ptr()).fired };
        // Release: publishes every earlier write to the entry (see `is_fired`).
        flag.store(fired, Ordering::Release);
    }

    /// The guarded part of the entry.
    ///
    /// # Safety
    /// The caller holds the lock of the `Timers` this entry belongs to (or otherwise has
    /// the only access to `inner`, as the wheel's unit tests do), the entry is alive, and no
    /// other reference returned by this function for the same entry is live.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn inner<'a>(this: NonNull<Entry>) -> &'a mut Inner {
        // SAFETY: the caller guarantees exclusive access to `inner` and that the entry is
        // alive for 'a; UnsafeCell makes writing through a shared path legal.
        unsafe { &mut *(*this.as_ptr()).inner.get() }
    }

    /// A pointer to this entry, for linking.
    pub(crate) fn as_ptr(&self) -> NonNull<Entry> {
        NonNull::from(self)
    }
}

impl Default for Entry {
    fn default() -> Entry {
        Entry::new()
    }
}
