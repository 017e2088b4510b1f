//! `JoinSet`: outputs in completion order, abort_all, shutdown, drop aborts, spawn_local.
mod util;

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crest::task::JoinSet;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn outputs_come_in_completion_order() {
    util::block_on_timeout(util::LIMIT, async {
        let mut set = JoinSet::new();
        for ms in [60u64, 20, 40, 0] {
            set.spawn(async move {
                crest::time::sleep(Duration::from_millis(ms)).await;
                ms
            });
        }
        assert_eq!(set.len(), 4);
        let mut order = Vec::new();
        while let Some(res) = set.join_next().await {
            order.push(res.unwrap());
        }
        assert_eq!(order, [0, 20, 40, 60]);
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn many_tasks_on_a_multi_thread_runtime() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..2000u64 {
                set.spawn(async move {
                    crest::task::yield_now().await;
                    i
                });
            }
            let mut sum = 0;
            while let Some(res) = set.join_next().await {
                sum += res.unwrap();
            }
            assert_eq!(sum, 1999 * 2000 / 2);
        });
    });
}

#[test]
fn try_join_next_returns_only_finished_tasks() {
    util::block_on_timeout(util::LIMIT, async {
        let mut set = JoinSet::new();
        set.spawn(std::future::pending::<u32>());
        assert!(set.try_join_next().is_none());
        set.spawn(async { 7u32 });
        let mut got = None;
        for _ in 0..10 {
            crest::task::yield_now().await;
            if let Some(res) = set.try_join_next() {
                got = Some(res.unwrap());
                break;
            }
        }
        assert_eq!(got, Some(7));
        assert_eq!(set.len(), 1);
    });
}

#[test]
fn abort_all_cancels_every_task() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    util::block_on_timeout(util::LIMIT, async move {
        let mut set = JoinSet::new();
        for _ in 0..5 {
            let guard = CountDrop(d.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        crest::task::yield_now().await;
        set.abort_all();
        let mut cancelled = 0;
        while let Some(res) = set.join_next().await {
            assert!(res.unwrap_err().is_cancelled());
            cancelled += 1;
        }
        assert_eq!(cancelled, 5);
        assert_eq!(d.load(Ordering::SeqCst), 5);
    });
}

#[test]
fn shutdown_waits_until_every_future_is_dropped() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        rt.block_on(async move {
            let mut set = JoinSet::new();
            for _ in 0..50 {
                let guard = CountDrop(d.clone());
                set.spawn(async move {
                    let _guard = guard;
                    loop {
                        crest::time::sleep(Duration::from_millis(1)).await;
                    }
                });
            }
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(d.load(Ordering::SeqCst), 50);
        });
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks() {
    util::block_on_timeout(util::LIMIT, async {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        let mut aborts = Vec::new();
        for _ in 0..3 {
            let guard = CountDrop(drops.clone());
            aborts.push(set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
        }
        crest::task::yield_now().await;
        drop(set);
        for _ in 0..10 {
            crest::task::yield_now().await;
        }
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        assert!(aborts.iter().all(|a| a.is_finished()));
    });
}

#[test]
fn spawn_local_and_panics() {
    util::with_timeout(util::LIMIT, || {
        crest::block_on(async {
            let mut set = JoinSet::new();
            let shared = Rc::new(5);
            let copy = shared.clone();
            set.spawn_local(async move { *copy + 1 });
            set.spawn(async { panic!("boom") });
            let mut ok = 0;
            let mut panicked = 0;
            while let Some(res) = set.join_next().await {
                match res {
                    Ok(v) => ok += v,
                    Err(e) => {
                        assert!(e.is_panic());
                        panicked += 1;
                    }
                }
            }
            assert_eq!((ok, panicked), (6, 1));
            drop(shared);
        })
    });
}

#[test]
fn a_waiting_join_next_sees_a_task_spawned_later() {
    util::block_on_timeout(util::LIMIT, async {
        let mut set: JoinSet<u8> = JoinSet::new();
        set.spawn(std::future::pending());
        // The set is pending; a later completion must wake the waiting join_next.
        let out = crest::time::timeout(Duration::from_millis(20), set.join_next()).await;
        assert!(out.is_err());
        set.spawn(async {
            crest::time::sleep(Duration::from_millis(5)).await;
            3
        });
        assert_eq!(set.join_next().await.unwrap().unwrap(), 3);
    });
}

#[test]
fn join_set_is_send_and_abort_handle_is_send_sync_clone() {
    fn send<T: Send>() {}
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send::<JoinSet<u32>>();
    send_sync_clone::<crest::task::AbortHandle>();
}
