//! Wakers work from any thread: a waker woken 1000 times from another thread.
mod util;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// Completes after `target` wakes, sending its waker to a helper thread each time it waits.
struct CountedWakes {
    seen: Arc<AtomicUsize>,
    target: usize,
    tx: mpsc::Sender<Waker>,
}

impl Future for CountedWakes {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let n = self.seen.load(Ordering::SeqCst);
        if n >= self.target {
            return Poll::Ready(n);
        }
        self.tx.send(cx.waker().clone()).unwrap();
        Poll::Pending
    }
}

#[test]
fn a_task_is_woken_a_thousand_times_from_another_thread() {
    let polls = util::block_on_timeout(util::LIMIT, async {
        let (tx, rx) = mpsc::channel::<Waker>();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let waker_thread = std::thread::spawn(move || {
            for waker in rx {
                s.fetch_add(1, Ordering::SeqCst);
                waker.wake();
            }
        });
        let task = crest::spawn(CountedWakes { seen, target: 1000, tx });
        let n = task.await.unwrap();
        waker_thread.join().unwrap();
        n
    });
    assert_eq!(polls, 1000);
}

#[test]
fn waking_the_block_on_future_from_another_thread() {
    let n = util::block_on_timeout(util::LIMIT, async {
        let (tx, rx) = mpsc::channel::<Waker>();
        let seen = Arc::new(AtomicUsize::new(0));
        let s = seen.clone();
        let t = std::thread::spawn(move || {
            for waker in rx {
                s.fetch_add(1, Ordering::SeqCst);
                waker.wake_by_ref();
            }
        });
        let n = CountedWakes { seen, target: 1000, tx }.await;
        t.join().unwrap();
        n
    });
    assert_eq!(n, 1000);
}

#[test]
fn waking_a_finished_task_does_nothing() {
    util::block_on_timeout(util::LIMIT, async {
        let (tx, rx) = mpsc::channel::<Waker>();
        let h = crest::spawn(async move {
            std::future::poll_fn(|cx| {
                tx.send(cx.waker().clone()).unwrap();
                Poll::Ready(())
            })
            .await
        });
        h.await.unwrap();
        let waker = rx.recv().unwrap();
        waker.wake_by_ref();
        waker.wake();
        crest::task::yield_now().await;
    });
}
