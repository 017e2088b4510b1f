//! Task cells, recycled per thread.
//!
//! Every spawn allocates one cell and every finished task frees one. A program that spawns
//! in bursts (a batch of requests, a fan-out, a spawn-and-join loop) frees thousands of
//! cells of one size and asks for as many again moments later; the system allocator then
//! moves each one through its bins, and a large allocation in between makes it coalesce
//! them all. So a thread keeps the cells it frees, in a free list per size class, and
//! hands them out again to the next spawns, whichever task type they were made for.
//!
//! * Size classes step by [`STEP`] bytes up to [`MAX_CLASS_SIZE`], sized so that a class
//!   block takes the same malloc chunk as the cell itself would; all are aligned to
//!   [`ALIGN`]. A cell that is larger or more aligned goes straight to the allocator.
//!   A class's blocks are always allocated and freed with the class's own layout, whoever
//!   used them in between.
//! * Each thread keeps at most [`MAX_CACHED_BYTES`] of cells; beyond that, freed cells go
//!   back to the allocator. The runtimes call [`trim`] when a thread may be about to sleep
//!   (a worker or a current-thread runtime before it parks, a multi-thread `block_on`
//!   before it waits, a blocking-pool thread after each task): it keeps, per class, as many cells as the thread allocated or freed since the previous
//!   trim (at least [`IDLE_KEEP`]) and gives the rest back. A thread that goes through
//!   bursts of a thousand tasks between sleeps keeps a thousand cells, also when other
//!   threads spawn them and this one frees them; once the bursts stop, the next two
//!   sleeps give them back. (glibc's malloc would keep those
//!   freed cells in the process too, in its own free lists: what the cache changes is who
//!   may reuse them, not the process's size.)
//! * A cell freed on another thread joins that thread's lists: memory from the global
//!   allocator has no owner thread.
//! * When the thread exits, its lists are freed; a cell freed during or after that goes
//!   straight to the allocator.
//!
//! Under loom (`--cfg loom`), and with `--cfg crest_no_cell_cache` (which `scripts/asan` and
//! `scripts/valgrind` set, so that a use after free of a task is seen as one), cells go
//! straight to the allocator.

use std::alloc::Layout;
use std::ptr::NonNull;

/// Class `i` holds blocks of `16 * (i + 1) + 8` bytes: 24, 40, 56, ... 504. glibc's malloc
/// hands out chunks of a multiple of 16 bytes, 8 of which are its header, so a class block
/// takes exactly the chunk that `malloc` of the cell's own size would: the cache costs no
/// memory for rounding. (Cell sizes are multiples of 8.)
const STEP: usize = 16;
/// The largest cached cell.
const MAX_CLASS_SIZE: usize = 504;
#[cfg_attr(any(loom, crest_no_cell_cache), allow(dead_code))]
const CLASSES: usize = (MAX_CLASS_SIZE - 8) / STEP;
/// Every class block's alignment (what `malloc` gives anyway on x86-64 Linux).
const ALIGN: usize = 16;
/// A thread caches at most this many bytes of cells, all classes together: the cells of a
/// burst of about 16,000 small tasks (128-byte cells) or 4,000 large ones (504 bytes).
#[cfg_attr(any(loom, crest_no_cell_cache), allow(dead_code))]
const MAX_CACHED_BYTES: usize = 2 << 20;
/// Cells per class that [`trim`] leaves cached whatever the recent demand.
#[cfg_attr(any(loom, crest_no_cell_cache), allow(dead_code))]
const IDLE_KEEP: usize = 32;

/// The size class of a layout, if it has one.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN || layout.size() > MAX_CLASS_SIZE || layout.size() == 0 {
        return None;
    }
    // The smallest `16 * k + 8` at or above the size, with k at least 1.
    Some(layout.size().saturating_sub(8).div_ceil(STEP).max(1) - 1)
}

fn class_size(class: usize) -> usize {
    STEP * (class + 1) + 8
}

fn class_layout(class: usize) -> Layout {
    // Sizes from 24 to 504 with a power-of-two alignment: valid.
    match Layout::from_size_align(class_size(class), ALIGN) {
        Ok(layout) => layout,
        Err(_) => unreachable!("class layouts are valid"),
    }
}

/// Allocates memory for `layout` (a task cell's).
///
/// # Safety
/// `layout` has a non-zero size (a cell always holds a header).
pub(crate) unsafe fn allocate(layout: Layout) -> NonNull<u8> {
    let block_layout = match class_of(layout) {
        Some(class) => {
            if let Some(ptr) = cache::pop(class) {
                return ptr;
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: a class layout is at least 24 bytes; any other is the caller's, non-zero.
    let ptr = unsafe { std::alloc::alloc(block_layout) };
    NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(block_layout))
}

/// Frees memory that `allocate(layout)` returned.
///
/// # Safety
/// `ptr` came from `allocate` with this same `layout` and is not used again.
pub(crate) unsafe fn deallocate(ptr: NonNull<u8>, layout: Layout) {
    let block_layout = match class_of(layout) {
        Some(class) => {
            // SAFETY: the block is a class block of this class (forwarded from the caller).
            if unsafe { cache::push(class, ptr) } {
                return;
            }
            class_layout(class)
        }
        None => layout,
    };
    // SAFETY: `allocate` got this block from the global allocator with `block_layout`.
    unsafe { std::alloc::dealloc(ptr.as_ptr(), block_layout) }
}

/// Gives the calling thread's cached cells back to the allocator, keeping a few per class.
pub(crate) fn trim() {
    cache::trim();
}

#[cfg(not(any(loom, crest_no_cell_cache)))]
mod cache {
    use std::cell::UnsafeCell;
    use std::ptr::{self, NonNull};

    use super::{class_layout, class_size, CLASSES, IDLE_KEEP, MAX_CACHED_BYTES};

    /// A free block; its first word links to the next one.
    struct FreeBlock {
        next: *mut FreeBlock,
    }

    #[derive(Clone, Copy)]
    struct List {
        head: *mut FreeBlock,
        len: usize,
    }

    struct Lists {
        classes: [List; CLASSES],
        /// Cells of each class allocated or freed on this thread since the last trim.
        demand: [usize; CLASSES],
        /// The bytes of all cached blocks.
        bytes: usize,
    }

    struct Cache {
        lists: UnsafeCell<Lists>,
    }

    impl Cache {
        /// Frees blocks of every class until at most `keep(demand)` remain in each, and
        /// starts counting the demand afresh.
        fn trim(&self, keep: impl Fn(usize) -> usize) {
            for class in 0..CLASSES {
                // SAFETY: as below.
                let keep = keep(std::mem::take(unsafe { &mut (*self.lists.get()).demand[class] }));
                loop {
                    // SAFETY: the lists are only touched by this thread, and never across a
                    // call that could reach this cache again (the allocator's `dealloc`
                    // does not).
                    let lists = unsafe { &mut *self.lists.get() };
                    let list = &mut lists.classes[class];
                    if list.len <= keep {
                        break;
                    }
                    let block = list.head;
                    // SAFETY: `len > 0`, so `head` is a cached block whose first word is
                    // the link written by `push`.
                    list.head = unsafe { (*block).next };
                    list.len -= 1;
                    lists.bytes -= class_size(class);
                    // SAFETY: cached blocks were allocated with their class's layout and
                    // are no longer used by anyone.
                    unsafe { std::alloc::dealloc(block.cast(), class_layout(class)) };
                }
            }
        }
    }

    impl Drop for Cache {
        fn drop(&mut self) {
            self.trim(|_| 0);
        }
    }

    thread_local! {
        static CACHE: Cache = const {
            Cache {
                lists: UnsafeCell::new(Lists {
                    classes: [List { head: ptr::null_mut(), len: 0 }; CLASSES],
                    demand: [0; CLASSES],
                    bytes: 0,
                }),
            }
        };
    }

    pub(super) fn pop(class: usize) -> Option<NonNull<u8>> {
        CACHE
            .try_with(|cache| {
                // SAFETY: this thread's lists, touched by no call that could reenter.
                let lists = unsafe { &mut *cache.lists.get() };
                lists.demand[class] += 1;
                let list = &mut lists.classes[class];
                let block = NonNull::new(list.head)?;
                // SAFETY: a cached block's first word is the link written by `push`.
                list.head = unsafe { (*block.as_ptr()).next };
                list.len -= 1;
                lists.bytes -= class_size(class);
                Some(block.cast())
            })
            .ok()
            .flatten()
    }

    /// Caches a free block; false when the class is full or the thread is exiting.
    ///
    /// # Safety
    /// `block` was allocated with `class_layout(class)` and is not used by anyone.
    pub(super) unsafe fn push(class: usize, block: NonNull<u8>) -> bool {
        CACHE
            .try_with(|cache| {
                // SAFETY: this thread's lists, touched by no call that could reenter.
                let lists = unsafe { &mut *cache.lists.get() };
                lists.demand[class] += 1;
                let size = class_size(class);
                if lists.bytes + size > MAX_CACHED_BYTES {
                    return false;
                }
                lists.bytes += size;
                let list = &mut lists.classes[class];
                let block = block.cast::<FreeBlock>().as_ptr();
                // SAFETY: the block is ours (caller), at least 24 bytes and aligned to 16:
                // room for the link.
                unsafe { block.write(FreeBlock { next: list.head }) };
                list.head = block;
                list.len += 1;
                true
            })
            .unwrap_or(false)
    }

    pub(super) fn trim() {
        let _ = CACHE.try_with(|cache| cache.trim(|demand| demand.max(IDLE_KEEP)));
    }

    #[cfg(test)]
    pub(super) fn cached(class: usize) -> usize {
        // SAFETY: as in `pop`.
        CACHE.with(|cache| unsafe { (*cache.lists.get()).classes[class].len })
    }
}

#[cfg(any(loom, crest_no_cell_cache))]
mod cache {
    use std::ptr::NonNull;

    pub(super) fn pop(_class: usize) -> Option<NonNull<u8>> {
        None
    }

    pub(super) unsafe fn push(_class: usize, _block: NonNull<u8>) -> bool {
        false
    }

    pub(super) fn trim() {}
}

#[cfg(all(test, not(any(loom, crest_no_cell_cache))))]
mod tests {
    use super::*;

    #[test]
    fn classes_match_mallocs_chunks() {
        let class = |size| class_of(Layout::from_size_align(size, 8).unwrap());
        assert_eq!(class(1), Some(0));
        assert_eq!(class(24), Some(0));
        assert_eq!(class(32), Some(1));
        assert_eq!(class(40), Some(1));
        assert_eq!(class(48), Some(2));
        assert_eq!(class(504), Some(CLASSES - 1));
        assert_eq!(class(512), None);
        assert_eq!(class_of(Layout::from_size_align(64, 64).unwrap()), None, "over-aligned");
        // From 24 bytes up (malloc's smallest chunk, 32 bytes, serves anything smaller).
        for size in (24..=MAX_CLASS_SIZE).step_by(8) {
            let c = class(size).unwrap();
            assert!(class_size(c) >= size && class_size(c) - size < STEP, "{size}");
            // malloc's chunk (size + 8 rounded up to 16) is the same for the class block.
            assert_eq!((class_size(c) + 8).div_ceil(16), (size + 8).div_ceil(16), "{size}");
        }
    }

    #[test]
    fn a_freed_cell_is_reused_by_the_next_allocation_of_its_class() {
        trim();
        let layout = Layout::from_size_align(96, 8).unwrap();
        let class = class_of(layout).unwrap();
        let before = cache::cached(class);
        // SAFETY: non-zero size.
        let a = unsafe { allocate(layout) };
        // SAFETY: just allocated with `layout`, unused.
        unsafe { deallocate(a, layout) };
        assert_eq!(cache::cached(class), before + 1);
        // Another layout of the same class gets the same block.
        let other = Layout::from_size_align(104, 16).unwrap();
        assert_eq!(class_of(other), Some(class));
        // SAFETY: non-zero size.
        let b = unsafe { allocate(other) };
        assert_eq!(a, b);
        // SAFETY: as above.
        unsafe { deallocate(b, other) };
    }

    #[test]
    fn the_cache_is_bounded_and_trim_gives_memory_back() {
        trim();
        let layout = Layout::from_size_align(MAX_CLASS_SIZE, 16).unwrap();
        let class = CLASSES - 1;
        // What is already cached (IDLE_KEEP of each class at most) counts against the cap.
        let others: usize = (0..CLASSES - 1).map(|c| cache::cached(c) * class_size(c)).sum();
        let max = (MAX_CACHED_BYTES - others) / MAX_CLASS_SIZE;
        // SAFETY: non-zero size.
        let blocks: Vec<_> = (0..max + 10).map(|_| unsafe { allocate(layout) }).collect();
        for b in blocks {
            // SAFETY: each allocated with `layout`, unused.
            unsafe { deallocate(b, layout) };
        }
        assert_eq!(cache::cached(class), max);
        // The cells went through this thread since the last trim: they stay for the next
        // burst.
        trim();
        assert_eq!(cache::cached(class), max);
        // No demand since: all but a few go back.
        trim();
        assert_eq!(cache::cached(class), IDLE_KEEP);
    }

    #[test]
    fn large_and_over_aligned_cells_bypass_the_cache() {
        for layout in [Layout::from_size_align(4096, 8).unwrap(), Layout::from_size_align(64, 128).unwrap()] {
            // SAFETY: non-zero size.
            let p = unsafe { allocate(layout) };
            assert_eq!(p.as_ptr() as usize % layout.align(), 0);
            // SAFETY: allocated with `layout`, unused.
            unsafe { deallocate(p, layout) };
        }
    }
}
