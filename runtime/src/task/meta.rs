//! What a task records about itself for observability: its [`Id`], the line that spawned
//! it, when it was spawned and how often it was polled; and the thread numbers that name a
//! `spawn_local` task's owner.
//!
//! All of it lives in the task header (`raw.rs`) and costs 16 bytes per task over a header
//! without it: the id (8) and the spawn location (8) are new; the poll count and the spawn
//! time (4 bytes each) share words with the owned-list slot and the owner thread, which
//! shrank from 8 bytes to 4.
//!
//! Nothing here may read the clock or touch a shared cache line on every spawn: ids come
//! from a per-thread block of 1024 ([`Id::next`]), the spawn time from a coarse clock that
//! the schedulers refresh as they go (`driver/timer/coarse.rs`).

use std::cell::Cell;
use std::fmt;
use std::num::{NonZeroU32, NonZeroU64};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// A task's id: unique among the tasks of the process for its whole life.
///
/// Ids are handed out in blocks of 1024 per spawning thread, so they grow but are not
/// consecutive across threads.
///
/// ```
/// crest::block_on(async {
///     let handle = crest::spawn(async { crest::task::id() });
///     let id = handle.id();
///     assert_eq!(handle.await.unwrap(), id);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// Ids handed to a thread at a time: one shared atomic add per this many spawns.
const ID_BLOCK: u64 = 1024;

static NEXT_ID_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The next id of this thread's block, and the end of the block.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Id {
        let fresh = |(next, end): (u64, u64)| {
            if next < end {
                return (next, end);
            }
            let start = NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
            (start, start + ID_BLOCK)
        };
        let id = IDS
            .try_with(|ids| {
                let (next, end) = fresh(ids.get());
                ids.set((next + 1, end));
                next
            })
            // A thread being torn down: take one id from the shared counter.
            .unwrap_or_else(|_| NEXT_ID_BLOCK.fetch_add(1, Ordering::Relaxed));
        // Starts at 1 and would take centuries to wrap.
        Id(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN))
    }

    /// The id as a number (what `Display` prints).
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// A small number naming a thread, cheaper to compare than a `ThreadId` (which takes an
/// `Arc` clone to read): the owner of a `spawn_local` task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ThreadNum(NonZeroU32);

impl ThreadNum {
    /// This thread's number.
    pub(crate) fn current() -> ThreadNum {
        static NEXT: AtomicU32 = AtomicU32::new(1);
        thread_local! {
            static NUM: Cell<u32> = const { Cell::new(0) };
        }
        let num = NUM
            .try_with(|n| {
                if n.get() == 0 {
                    n.set(NEXT.fetch_add(1, Ordering::Relaxed).max(1));
                }
                n.get()
            })
            // A thread being torn down matches no owner (0 is nobody's number; `max(1)`
            // would give the first thread's): it must not poll or drop local tasks.
            .unwrap_or(u32::MAX);
        ThreadNum(NonZeroU32::new(num).unwrap_or(NonZeroU32::MAX))
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use super::*;

    #[test]
    fn the_header_grew_by_16_bytes_only() {
        // 32 bytes before ids, locations, poll counts and spawn times (issue 16's budget).
        assert_eq!(std::mem::size_of::<super::super::header::Header>(), 48);
    }

    #[test]
    fn ids_are_unique_across_threads() {
        let mut ids: Vec<Id> = (0..4)
            .map(|_| std::thread::spawn(|| (0..3000).map(|_| Id::next()).collect::<Vec<_>>()))
            .flat_map(|t| t.join().unwrap())
            .collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
