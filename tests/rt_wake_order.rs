//! The order in which woken tasks run: a task woken by the running task runs next (its
//! LIFO slot), but two tasks that wake each other forever cannot starve the rest.
mod util;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crest::runtime::{Builder, Runtime};

fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        ("current-thread", Builder::new_current_thread().build().unwrap()),
        ("one worker", Builder::new_multi_thread().worker_threads(1).build().unwrap()),
    ]
}

/// One side of an endless exchange: each poll wakes the peer, then waits to be woken.
struct Bounce {
    mine: Arc<Mutex<Option<Waker>>>,
    peer: Arc<Mutex<Option<Waker>>>,
    bounces: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Future for Bounce {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.stop.load(Ordering::Relaxed) {
            // The peer may have parked after the test's last wake: wake it to see `stop`.
            if let Some(w) = self.peer.lock().unwrap().take() {
                w.wake();
            }
            return Poll::Ready(());
        }
        self.bounces.fetch_add(1, Ordering::Relaxed);
        *self.mine.lock().unwrap() = Some(cx.waker().clone());
        if let Some(w) = self.peer.lock().unwrap().take() {
            w.wake();
        }
        Poll::Pending
    }
}

#[test]
fn two_tasks_waking_each_other_do_not_starve_a_third() {
    for (name, rt) in runtimes() {
        util::with_timeout(util::LIMIT, move || {
            rt.block_on(async move {
                let (a, b) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(None)));
                let bounces = Arc::new(AtomicU64::new(0));
                let stop = Arc::new(AtomicBool::new(false));
                let side = |mine: &Arc<_>, peer: &Arc<_>| Bounce {
                    mine: Arc::clone(mine),
                    peer: Arc::clone(peer),
                    bounces: bounces.clone(),
                    stop: stop.clone(),
                };
                let first = crest::spawn(side(&a, &b));
                let second = crest::spawn(side(&b, &a));
                // Let the exchange start, then queue a task behind it.
                while bounces.load(Ordering::Relaxed) < 10 {
                    crest::task::yield_now().await;
                }
                let third = crest::spawn(async { 7 });
                assert_eq!(third.await.unwrap(), 7, "{name}");
                stop.store(true, Ordering::Relaxed);
                // Wake both once more so that they see `stop` (the first to finish wakes
                // the other, should it park after these wakes).
                for w in [&a, &b] {
                    if let Some(w) = w.lock().unwrap().take() {
                        w.wake();
                    }
                }
                first.await.unwrap();
                second.await.unwrap();
            });
        });
    }
}

#[test]
fn a_task_woken_by_the_running_task_runs_before_queued_ones() {
    for (name, rt) in runtimes() {
        util::with_timeout(util::LIMIT, move || {
            rt.block_on(async move {
                let order = Arc::new(Mutex::new(Vec::new()));
                let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
                // The sleeper parks until woken, then records itself.
                let sleeper = {
                    let (order, waker) = (order.clone(), waker.clone());
                    crest::spawn(async move {
                        let mut parked = false;
                        poll_fn(|cx| {
                            if parked {
                                return Poll::Ready(());
                            }
                            parked = true;
                            *waker.lock().unwrap() = Some(cx.waker().clone());
                            Poll::Pending
                        })
                        .await;
                        order.lock().unwrap().push("woken");
                    })
                };
                while waker.lock().unwrap().is_none() {
                    crest::task::yield_now().await;
                }
                // One task queues others, then wakes the sleeper: the sleeper runs first.
                let waker2 = waker.clone();
                let order2 = order.clone();
                let waking = crest::spawn(async move {
                    let queued: Vec<_> = (0..3)
                        .map(|_| {
                            let order = order2.clone();
                            crest::spawn(async move { order.lock().unwrap().push("queued") })
                        })
                        .collect();
                    waker2.lock().unwrap().take().unwrap().wake();
                    queued
                });
                for h in waking.await.unwrap() {
                    h.await.unwrap();
                }
                sleeper.await.unwrap();
                let order = order.lock().unwrap();
                assert_eq!(order.first(), Some(&"woken"), "{name}: {order:?}");
                assert_eq!(order.len(), 4, "{name}");
            });
        });
    }
}
