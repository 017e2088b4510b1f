//! `tokio::sync` works under crest's multi-thread runtime: mpsc with several producers,
//! oneshot, Mutex and Notify, with tasks spread over the workers. (tokio's sync types need
//! no tokio runtime; its timers and `tokio::spawn` do.)
mod util;

use std::sync::Arc;
use std::time::Duration;

use util::block_on_multi;

#[test]
fn mpsc_with_four_producers_delivers_every_message() {
    block_on_multi(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(16);
        for p in 0..4u64 {
            let tx = tx.clone();
            crest::spawn(async move {
                for i in 0..1000 {
                    tx.send(p * 1000 + i).await.expect("the receiver is alive");
                }
            });
        }
        drop(tx);
        let (mut count, mut sum) = (0, 0);
        while let Some(v) = rx.recv().await {
            count += 1;
            sum += v;
        }
        assert_eq!(count, 4000);
        assert_eq!(sum, (0..4000).sum::<u64>());
    });
}

#[test]
fn oneshot_carries_a_value_from_another_task() {
    block_on_multi(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        crest::spawn(async move {
            crest::time::sleep(Duration::from_millis(5)).await;
            tx.send("from a crest task").expect("the receiver is alive");
        });
        assert_eq!(rx.await.expect("a value"), "from a crest task");
    });
}

#[test]
fn mutex_serialises_eight_tasks() {
    block_on_multi(async {
        let counter = Arc::new(tokio::sync::Mutex::new(0u64));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let counter = counter.clone();
                crest::spawn(async move {
                    for _ in 0..500 {
                        let mut guard = counter.lock().await;
                        let seen = *guard;
                        crest::task::yield_now().await;
                        *guard = seen + 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("a task");
        }
        assert_eq!(*counter.lock().await, 4000);
    });
}

#[test]
fn notify_wakes_a_waiting_task() {
    block_on_multi(async {
        let notify = Arc::new(tokio::sync::Notify::new());
        let waiter = {
            let notify = notify.clone();
            crest::spawn(async move { notify.notified().await })
        };
        crest::time::sleep(Duration::from_millis(10)).await;
        notify.notify_one();
        waiter.await.expect("the waiter");
    });
}
