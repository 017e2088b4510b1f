//! The executor's basics: block_on, spawn, join, yield.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use util::{block_on_timeout, LIMIT};

#[test]
fn block_on_returns_the_output() {
    assert_eq!(block_on_timeout(LIMIT, async { 40 + 2 }), 42);
}

#[test]
fn spawned_tasks_run_and_join() {
    let sum = block_on_timeout(LIMIT, async {
        let handles: Vec<_> = (0..100u64).map(|i| crest::spawn(async move { i * 2 })).collect();
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 9900);
}

#[test]
fn detached_tasks_keep_running() {
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    block_on_timeout(LIMIT, async move {
        let d2 = d.clone();
        drop(crest::spawn(async move {
            crest::task::yield_now().await;
            d2.fetch_add(1, Ordering::SeqCst);
        }));
        while d.load(Ordering::SeqCst) == 0 {
            crest::task::yield_now().await;
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[test]
fn yield_now_lets_others_run() {
    let order = block_on_timeout(LIMIT, async {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let l = log.clone();
        let other = crest::spawn(async move { l.lock().unwrap().push("other") });
        log.lock().unwrap().push("main before");
        crest::task::yield_now().await;
        log.lock().unwrap().push("main after");
        other.await.unwrap();
        let v = log.lock().unwrap().clone();
        v
    });
    assert_eq!(order, ["main before", "other", "main after"]);
}

#[test]
fn runtime_spawn_and_block_on() -> std::io::Result<()> {
    let rt = crest::runtime::Builder::new_current_thread().build()?;
    let h = rt.spawn(async { 5 });
    assert_eq!(rt.block_on(h).unwrap(), 5);
    // Tasks live across block_on calls.
    let h = rt.spawn(async { 6 });
    assert_eq!(rt.block_on(async { h.await.unwrap() }), 6);
    Ok(())
}

#[test]
fn handle_spawns_from_another_thread() -> std::io::Result<()> {
    let rt = crest::runtime::Builder::new_current_thread().build()?;
    let handle = rt.handle();
    let join = std::thread::spawn(move || handle.spawn(async { 9 })).join().unwrap();
    assert_eq!(util::with_timeout(LIMIT, move || rt.block_on(join)).unwrap(), 9);
    Ok(())
}

#[test]
fn handle_block_on_from_a_plain_thread() -> std::io::Result<()> {
    let rt = crest::runtime::Runtime::new()?;
    let handle = rt.handle();
    let v = util::with_timeout(LIMIT, move || {
        handle.block_on(async {
            let h = crest::spawn(async { 11 });
            h.await.unwrap()
        })
    });
    assert_eq!(v, 11);
    Ok(())
}

#[test]
fn handle_current_inside_and_try_current_outside() {
    assert!(crest::runtime::Handle::try_current().is_none());
    block_on_timeout(LIMIT, async {
        let h = crest::runtime::Handle::current();
        assert_eq!(h.spawn(async { 1 }).await.unwrap(), 1);
    });
}

#[test]
fn join_handle_is_finished() {
    block_on_timeout(LIMIT, async {
        let h = crest::spawn(async {});
        while !h.is_finished() {
            crest::task::yield_now().await;
        }
        h.await.unwrap();
    });
}

#[test]
fn spawn_blocking_runs_on_another_thread() {
    block_on_timeout(LIMIT, async {
        let me = std::thread::current().id();
        let other = crest::task::spawn_blocking(move || std::thread::current().id()).await.unwrap();
        assert_ne!(me, other);
    });
}

#[test]
fn handle_block_on_from_a_second_thread_while_the_core_is_driven() {
    // The core thread drives the scheduler; another thread blocks on the same
    // current-thread runtime and waits for a wake sent from the core thread.
    let rt = crest::runtime::Builder::new_current_thread().build().unwrap();
    let handle = rt.handle();
    util::with_timeout(LIMIT, move || {
        rt.block_on(async move {
            let (tx, rx) = std::sync::mpsc::channel();
            let other = std::thread::spawn(move || {
                handle.block_on(async move {
                    let task = crest::spawn(async { 21 * 2 });
                    tx.send(()).unwrap();
                    task.await.unwrap()
                })
            });
            rx.recv().unwrap();
            let joined = crest::task::spawn_blocking(move || other.join().unwrap()).await.unwrap();
            assert_eq!(joined, 42);
        });
    });
}
