//! async-channel and async-lock work under crest's multi-thread runtime: a channel with
//! four producers and two consumers, a Mutex, an RwLock, a Semaphore and a Barrier.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use util::block_on_multi;

#[test]
fn channel_with_four_producers_and_two_consumers() {
    block_on_multi(async {
        let (tx, rx) = async_channel::bounded::<u64>(8);
        for p in 0..4u64 {
            let tx = tx.clone();
            crest::spawn(async move {
                for i in 0..1000 {
                    tx.send(p * 1000 + i).await.expect("a receiver is alive");
                }
            });
        }
        drop(tx);
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                crest::spawn(async move {
                    let mut sum = 0u64;
                    let mut count = 0;
                    while let Ok(v) = rx.recv().await {
                        sum += v;
                        count += 1;
                    }
                    (count, sum)
                })
            })
            .collect();
        let (mut count, mut sum) = (0, 0);
        for c in consumers {
            let (n, s) = c.await.expect("a consumer");
            count += n;
            sum += s;
        }
        assert_eq!(count, 4000);
        assert_eq!(sum, (0..4000).sum::<u64>());
    });
}

#[test]
fn locks_semaphore_and_barrier() {
    block_on_multi(async {
        let mutex = Arc::new(async_lock::Mutex::new(0u64));
        let rwlock = Arc::new(async_lock::RwLock::new(Vec::new()));
        let semaphore = Arc::new(async_lock::Semaphore::new(2));
        let inside = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(async_lock::Barrier::new(8));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (mutex, rwlock, semaphore, inside, barrier) =
                    (mutex.clone(), rwlock.clone(), semaphore.clone(), inside.clone(), barrier.clone());
                crest::spawn(async move {
                    for _ in 0..200 {
                        let mut guard = mutex.lock().await;
                        let seen = *guard;
                        crest::task::yield_now().await;
                        *guard = seen + 1;
                    }
                    rwlock.write().await.push(i);
                    {
                        let _permit = semaphore.acquire().await;
                        assert!(
                            inside.fetch_add(1, Ordering::SeqCst) < 2,
                            "at most two inside the semaphore"
                        );
                        crest::task::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                    barrier.wait().await;
                    // Past the barrier, every task has written.
                    assert_eq!(rwlock.read().await.len(), 8);
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("a task");
        }
        assert_eq!(*mutex.lock().await, 1600);
    });
}
