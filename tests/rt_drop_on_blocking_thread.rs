//! The last handle to a `Runtime` may be dropped on one of that runtime's own blocking
//! threads (inside `spawn_blocking`). Shutdown waits for the blocking pool's threads; it
//! must not wait for the thread it runs on (a deadlock for `drop`, the whole timeout for
//! `shutdown_timeout`).

mod util;

use std::sync::mpsc;
use std::time::Duration;

use crest::runtime::{Builder, Runtime};

/// Moves `rt` into one of its own blocking closures, which ends it with `end`.
fn end_on_own_blocking_thread(rt: Runtime, end: fn(Runtime)) {
    let (tx, rx) = mpsc::channel::<Runtime>();
    let (done_tx, done_rx) = mpsc::channel();
    let _detached = rt.spawn_blocking(move || {
        let rt = rx.recv().expect("the runtime arrives");
        end(rt);
        done_tx.send(()).unwrap();
    });
    tx.send(rt).unwrap();
    done_rx.recv().expect("the blocking closure finished its shutdown");
}

fn drop_rt(rt: Runtime) {
    drop(rt);
}

fn shutdown_long(rt: Runtime) {
    // Past the test's own limit: waiting for itself would fail the test.
    rt.shutdown_timeout(Duration::from_secs(3600));
}

#[test]
fn drop_current_thread_runtime_on_its_blocking_thread() {
    util::with_timeout(util::LIMIT, || {
        end_on_own_blocking_thread(Builder::new_current_thread().build().unwrap(), drop_rt)
    });
}

#[test]
fn drop_multi_thread_runtime_on_its_blocking_thread() {
    util::with_timeout(util::LIMIT, || {
        end_on_own_blocking_thread(Builder::new_multi_thread().worker_threads(2).build().unwrap(), drop_rt)
    });
}

#[test]
fn shutdown_timeout_on_its_blocking_thread_does_not_wait_for_itself() {
    util::with_timeout(util::LIMIT, || {
        end_on_own_blocking_thread(
            Builder::new_multi_thread().worker_threads(1).build().unwrap(),
            shutdown_long,
        );
        end_on_own_blocking_thread(Builder::new_current_thread().build().unwrap(), shutdown_long);
    });
}

#[test]
fn other_blocking_threads_are_still_waited_for() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let (started_tx, started_rx) = mpsc::channel();
        let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = finished.clone();
        let _other = rt.spawn_blocking(move || {
            started_tx.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        started_rx.recv().unwrap();
        let (tx, rx) = mpsc::channel::<Runtime>();
        let (done_tx, done_rx) = mpsc::channel();
        let _own = rt.spawn_blocking(move || {
            drop(rx.recv().unwrap());
            done_tx.send(()).unwrap();
        });
        tx.send(rt).unwrap();
        done_rx.recv().unwrap();
        assert!(
            finished.load(std::sync::atomic::Ordering::SeqCst),
            "drop returned before the other blocking closure"
        );
    });
}
