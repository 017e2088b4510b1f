//! `task_local!`: the value follows its task across workers, nests, is dropped when the
//! scope ends, and is absent outside.
mod util;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

crest::task_local! {
    static ID: u64;
    pub(crate) static NAME: String;
}

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

crest::task_local! {
    static GUARD: CountDrop;
}

#[test]
fn the_value_follows_each_task_across_workers() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(4).build().unwrap();
        let threads = Arc::new(Mutex::new(HashSet::new()));
        rt.block_on(async {
            let mut set = crest::task::JoinSet::new();
            for id in 0..64u64 {
                let threads = threads.clone();
                set.spawn(ID.scope(id, async move {
                    for i in 0..50 {
                        if i % 10 == 0 {
                            crest::time::sleep(Duration::from_micros(50)).await;
                        } else {
                            crest::task::yield_now().await;
                        }
                        threads.lock().unwrap().insert(std::thread::current().id());
                        assert_eq!(ID.get(), id);
                    }
                }));
            }
            while let Some(res) = set.join_next().await {
                res.unwrap();
            }
        });
        eprintln!("tasks ran on {} threads", threads.lock().unwrap().len());
    });
}

#[test]
fn scopes_nest_and_restore_the_outer_value() {
    util::block_on_timeout(util::LIMIT, async {
        NAME.scope("outer".to_string(), async {
            assert_eq!(NAME.get(), "outer");
            NAME.scope("inner".to_string(), async {
                crest::task::yield_now().await;
                assert_eq!(NAME.get(), "inner");
            })
            .await;
            NAME.with(|n| assert_eq!(n, "outer"));
            let len = NAME.sync_scope("sync".to_string(), || NAME.with(|n| n.len()));
            assert_eq!(len, 4);
            assert_eq!(NAME.get(), "outer");
        })
        .await;
    });
}

#[test]
fn the_value_is_dropped_when_the_scope_ends() {
    util::block_on_timeout(util::LIMIT, async {
        let drops = Arc::new(AtomicUsize::new(0));
        GUARD
            .scope(CountDrop(drops.clone()), async {
                crest::task::yield_now().await;
            })
            .await;
        assert_eq!(drops.load(Ordering::SeqCst), 1);

        // A scope dropped before it completes drops its value too.
        let scoped = GUARD.scope(CountDrop(drops.clone()), std::future::pending::<()>());
        let _ = crest::time::timeout(Duration::from_millis(1), scoped).await;
        assert_eq!(drops.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn outside_a_scope_try_with_errs_and_spawned_tasks_do_not_inherit() {
    util::block_on_timeout(util::LIMIT, async {
        assert!(ID.try_with(|v| *v).is_err());
        ID.scope(1, async {
            let inner = crest::spawn(async { ID.try_with(|v| *v) }).await.unwrap();
            assert!(inner.is_err(), "a spawned task starts outside the scope, as in tokio");
        })
        .await;
        let err = ID.try_with(|v| *v).unwrap_err();
        assert!(err.to_string().contains("not set"));
    });
}

#[test]
#[should_panic(expected = "outside its scope")]
fn with_outside_a_scope_panics_clearly() {
    ID.with(|_| ());
}
