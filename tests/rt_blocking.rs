//! The blocking pool: grows on demand, and shutdown_timeout does not wait past its timeout.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crest::runtime::Builder;
use util::{with_timeout, LIMIT};

#[test]
fn the_pool_grows_to_run_blocking_tasks_side_by_side() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let barrier = Arc::new(std::sync::Barrier::new(8));
        rt.block_on(async {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let b = barrier.clone();
                    crest::task::spawn_blocking(move || {
                        // Only returns once all 8 run at the same time.
                        b.wait();
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    });
}

#[test]
fn shutdown_timeout_returns_in_time_with_a_stuck_blocking_task() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        rt.block_on(async move {
            drop(crest::task::spawn_blocking(move || {
                s.fetch_add(1, Ordering::SeqCst);
                let _ = release_rx.recv_timeout(Duration::from_secs(20));
            }));
            while started.load(Ordering::SeqCst) == 0 {
                crest::task::yield_now().await;
            }
        });
        let begin = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = begin.elapsed();
        // Generous bound: this checks "does not wait for the stuck task" (20 s), not speed.
        assert!(took < Duration::from_secs(10), "shutdown_timeout waited {took:?}");
        drop(release_tx);
    });
}

#[test]
fn dropping_the_runtime_waits_for_running_blocking_tasks() {
    with_timeout(LIMIT, || {
        let done = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let (d, s) = (done.clone(), started.clone());
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async move {
            drop(crest::task::spawn_blocking(move || {
                s.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                d.fetch_add(1, Ordering::SeqCst);
            }));
            // A queued blocking task that has not started is cancelled by shutdown (as in
            // tokio); wait until this one runs.
            while started.load(Ordering::SeqCst) == 0 {
                crest::task::yield_now().await;
            }
        });
        drop(rt);
        assert_eq!(done.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn handle_current_works_inside_spawn_blocking() {
    with_timeout(LIMIT, || {
        crest::block_on(async {
            let inner = crest::task::spawn_blocking(|| crest::runtime::Handle::current().spawn(async { 3 }))
                .await
                .unwrap();
            assert_eq!(inner.await.unwrap(), 3);
        });
    });
}
