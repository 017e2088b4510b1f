//! The multi-thread scheduler: workers, stealing, cross-thread wakes, spawning from outside.
mod util;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use crest::runtime::Builder;
use util::{with_timeout, LIMIT};

fn rt(workers: usize) -> crest::runtime::Runtime {
    Builder::new_multi_thread().worker_threads(workers).build().expect("build the runtime")
}

#[test]
fn tasks_run_on_more_than_one_thread() {
    with_timeout(LIMIT, || {
        let rt = rt(2);
        let threads = Arc::new(Mutex::new(HashSet::<ThreadId>::new()));
        let t = threads.clone();
        rt.block_on(async move {
            // Tasks that each hold their thread for a moment: a second worker must steal.
            let handles: Vec<_> = (0..64)
                .map(|_| {
                    let t = t.clone();
                    crest::spawn(async move {
                        t.lock().unwrap().insert(std::thread::current().id());
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        assert!(threads.lock().unwrap().len() >= 2, "all tasks ran on one thread");
    });
}

#[test]
fn worker_threads_carry_the_thread_name() {
    with_timeout(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).thread_name("named").build().unwrap();
        let name = rt.block_on(async {
            crest::spawn(async { std::thread::current().name().map(str::to_owned) }).await.unwrap()
        });
        assert!(name.unwrap().starts_with("named"));
    });
}

#[test]
fn eight_threads_spawn_ten_thousand_tasks_each_through_a_handle() {
    with_timeout(LIMIT, || {
        let rt = rt(2);
        let count = Arc::new(AtomicUsize::new(0));
        let spawners: Vec<_> = (0..8)
            .map(|_| {
                let handle = rt.handle();
                let count = count.clone();
                std::thread::spawn(move || {
                    let joins: Vec<_> = (0..10_000)
                        .map(|_| {
                            let count = count.clone();
                            handle.spawn(async move {
                                count.fetch_add(1, Ordering::Relaxed);
                            })
                        })
                        .collect();
                    handle.block_on(async move {
                        for j in joins {
                            j.await.unwrap();
                        }
                    });
                })
            })
            .collect();
        for s in spawners {
            s.join().unwrap();
        }
        assert_eq!(count.load(Ordering::Relaxed), 80_000);
    });
}

#[test]
fn cross_thread_ping_pong_ten_thousand_round_trips() {
    use futures_lite::future::poll_fn;
    use std::task::{Poll, Waker};

    /// A one-slot mailbox between two tasks.
    #[derive(Default)]
    struct Slot {
        value: Mutex<(Option<u64>, Option<Waker>)>,
    }
    impl Slot {
        fn send(&self, v: u64) {
            let mut g = self.value.lock().unwrap();
            g.0 = Some(v);
            if let Some(w) = g.1.take() {
                w.wake();
            }
        }
        async fn recv(&self) -> u64 {
            poll_fn(|cx| {
                let mut g = self.value.lock().unwrap();
                match g.0.take() {
                    Some(v) => Poll::Ready(v),
                    None => {
                        g.1 = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
            .await
        }
    }

    with_timeout(LIMIT, || {
        let rt = rt(2);
        let (ping, pong) = (Arc::new(Slot::default()), Arc::new(Slot::default()));
        let (p1, q1) = (ping.clone(), pong.clone());
        let last = rt.block_on(async move {
            let echo = crest::spawn(async move {
                for _ in 0..10_000 {
                    let v = p1.recv().await;
                    q1.send(v + 1);
                }
            });
            let mut v = 0;
            for _ in 0..10_000 {
                ping.send(v);
                v = pong.recv().await;
            }
            echo.await.unwrap();
            v
        });
        assert_eq!(last, 10_000);
    });
}

#[test]
fn an_io_wait_is_woken_by_a_write_from_another_worker() {
    use crest::io::{Async, AsyncReadExt, AsyncWriteExt};
    with_timeout(LIMIT, || {
        let rt = rt(2);
        rt.block_on(async {
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            let reader = crest::spawn(async move {
                let mut a = Async::new(a).unwrap();
                let mut buf = [0; 5];
                a.read_exact(&mut buf).await.unwrap();
                buf
            });
            let writer = crest::spawn(async move {
                let mut b = Async::new(b).unwrap();
                b.write_all(b"hello").await.unwrap();
            });
            writer.await.unwrap();
            assert_eq!(&reader.await.unwrap(), b"hello");
        });
    });
}

#[test]
fn runtime_new_is_multi_thread() {
    with_timeout(LIMIT, || {
        let rt = crest::runtime::Runtime::new().unwrap();
        let main = std::thread::current().id();
        let worker =
            rt.block_on(async { crest::spawn(async { std::thread::current().id() }).await.unwrap() });
        assert_ne!(main, worker, "tasks run on worker threads, not the block_on thread");
    });
}

#[test]
fn dropping_a_multi_thread_runtime_drops_its_tasks() {
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    with_timeout(LIMIT, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = rt(2);
        for _ in 0..100 {
            let guard = CountDrop(drops.clone());
            drop(rt.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        }
        rt.block_on(crest::task::yield_now());
        drop(rt);
        assert_eq!(drops.load(Ordering::SeqCst), 100);
    });
}

#[test]
fn spawn_local_on_a_multi_thread_runtime_panics_clearly() {
    with_timeout(LIMIT, || {
        let rt = rt(1);
        let res =
            rt.block_on(async { crest::spawn(async { drop(crest::task::spawn_local(async {})) }).await });
        assert!(res.unwrap_err().is_panic());
    });
}
