//! A `Runtime` dropped from async code — here, inside one of its own tasks — must not
//! leak (review finding 9). Dropping waits for the blocking pool, which async code must
//! not do, so `drop` shuts the runtime down without waiting and then panics with a message
//! that says what to do instead (as tokio does); `shutdown_background`, which does not
//! wait, works there. Either way every task is dropped and the runtime's epoll fd,
//! eventfd and threads go away: before the fix a task woken into the worker's LIFO slot
//! (multi-thread) stayed queued after shutdown had drained the queues, a reference cycle
//! that kept the whole runtime alive.

mod util;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crest::runtime::{Builder, Runtime};

/// The tests count this process's fds and threads: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const ROUNDS: usize = 10;
const PAIRS: usize = 8;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// crest's threads only: `cargo test` runs this file's tests in one process, and the
/// harness starts a thread for the next test whenever one ends.
fn threads() -> usize {
    util::crest_threads()
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Moves `rt` into a task of its own that ends it with `end`; a sibling task waits for
/// that task (so its completion wakes the sibling on the same worker, into the LIFO
/// slot), a third one never finishes, and `PAIRS` more wait for each other. Returns what `end` panicked with, if it did.
fn end_in_own_task(rt: Runtime, drops: &Arc<AtomicUsize>, end: fn(Runtime)) -> Option<String> {
    let handle = rt.handle();
    let (tx, rx) = mpsc::channel();
    let (g1, g2, g3) = (CountDrop(drops.clone()), CountDrop(drops.clone()), CountDrop(drops.clone()));
    drop(handle.spawn(async move {
        let _g = g1;
        std::future::pending::<()>().await;
    }));
    // Pairs of a pending task and one that awaits it: shutdown cancels both, and when it
    // cancels the first before the second, the second is woken (into the LIFO slot, on a
    // worker) while shutdown runs.
    for _ in 0..PAIRS {
        let (ga, gb) = (CountDrop(drops.clone()), CountDrop(drops.clone()));
        let pending = handle.spawn(async move {
            let _g = ga;
            std::future::pending::<()>().await;
        });
        drop(handle.spawn(async move {
            let _g = gb;
            let _ = pending.await;
        }));
    }
    let ender = handle.spawn(async move {
        let _g = g2;
        crest::task::yield_now().await;
        let outcome = catch_unwind(AssertUnwindSafe(|| end(rt))).err().map(|p| panic_message(&*p));
        tx.send(outcome).unwrap();
    });
    let waiter = handle.spawn(async move {
        let _g = g3;
        let _ = ender.await;
    });
    // A current-thread runtime runs its tasks only while someone drives it.
    let _ = handle.block_on(waiter);
    drop(handle);
    rx.recv_timeout(Duration::from_secs(10)).expect("the task ended its runtime")
}

/// Waits (up to 5 s) for the fds and threads to come back to `base`; returns what is left.
fn settle(base: (usize, usize)) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = (util::open_fds(), threads());
        if (now.0 <= base.0 && now.1 <= base.1) || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check(build: fn() -> Runtime, end: fn(Runtime), expect_panic: bool) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    util::with_timeout(util::LIMIT, move || {
        // Warm up (lazily created process-wide state), then take the baseline.
        drop(build());
        let base = (util::open_fds(), threads());
        let drops = Arc::new(AtomicUsize::new(0));
        for _ in 0..ROUNDS {
            let msg = end_in_own_task(build(), &drops, end);
            if expect_panic {
                let msg = msg.expect("dropping a runtime inside its own task must panic, not leak");
                assert!(msg.contains("shutdown_background"), "unclear message: {msg:?}");
            } else {
                assert_eq!(msg, None, "shutdown_background inside a task must not panic");
            }
        }
        let left = settle(base);
        assert_eq!(drops.load(Ordering::SeqCst), (3 + 2 * PAIRS) * ROUNDS, "task destructors that never ran");
        assert!(
            left.0 <= base.0 && left.1 <= base.1,
            "after {ROUNDS} runtimes ended inside their own tasks: fds {} -> {}, threads {} -> {}",
            base.0,
            left.0,
            base.1,
            left.1
        );
    });
}

fn multi() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

fn current() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

#[test]
fn drop_multi_thread_runtime_in_own_task_panics_and_leaks_nothing() {
    check(multi, drop, true);
}

#[test]
fn drop_current_thread_runtime_in_own_task_panics_and_leaks_nothing() {
    check(current, drop, true);
}

#[test]
fn shutdown_background_multi_thread_in_own_task_leaks_nothing() {
    check(multi, Runtime::shutdown_background, false);
}

#[test]
fn shutdown_background_current_thread_in_own_task_leaks_nothing() {
    check(current, Runtime::shutdown_background, false);
}
