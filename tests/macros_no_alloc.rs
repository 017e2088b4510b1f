//! `join!`, `try_join!` and `select!` allocate nothing per branch: counted with a global
//! allocator around polls of already-ready futures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Counting;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls in a thread-local Cell,
// which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Polls `fut` once and returns its output with the number of allocations it made.
fn allocations_of<F: Future>(fut: F) -> (F::Output, usize) {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut fut = pin!(fut);
    let before = ALLOCS.with(Cell::get);
    let Poll::Ready(out) = fut.as_mut().poll(&mut cx) else { panic!("expected ready futures") };
    (out, ALLOCS.with(Cell::get) - before)
}

#[test]
fn select_join_and_try_join_do_not_allocate() {
    // Warm the select! random generator's thread-local up first.
    let _ = allocations_of(async {
        crest::select! { v = async { 0 } => v }
    });

    let (v, n) = allocations_of(async {
        crest::select! {
            Some(v) = async { None::<u8> } => v,
            v = async { 2u8 } => v,
            v = async { 3u8 } => v,
            v = std::future::pending::<u8>() => v,
        }
    });
    assert!(v == 2 || v == 3);
    assert_eq!(n, 0, "select! allocated");

    let ((a, b, c), n) = allocations_of(async { crest::join!(async { 1 }, async { 2 }, async { 3 }) });
    assert_eq!((a, b, c, n), (1, 2, 3, 0), "join! allocated");

    let (r, n) = allocations_of(async { crest::try_join!(async { Ok::<_, ()>(1) }, async { Ok(2) }) });
    assert_eq!((r, n), (Ok((1, 2)), 0), "try_join! allocated");
}
