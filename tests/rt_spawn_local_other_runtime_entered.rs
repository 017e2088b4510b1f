//! `spawn_local` on a thread that drives a current-thread runtime spawns there, even when
//! another runtime has been entered on top (`Handle::enter`): the runtime this thread
//! drives is the only one that can run a `!Send` future here. It used to panic with "the
//! current runtime is the one this thread drives", which is false and says nothing useful
//! (review finding 11).

mod util;

use std::rc::Rc;

use crest::runtime::Builder;

#[test]
fn spawn_local_with_another_runtime_entered_runs_on_the_driving_runtime() {
    util::with_timeout(util::LIMIT, || {
        let other = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let other_handle = other.handle();
        let driving = Builder::new_current_thread().build().unwrap();
        let out = driving.block_on(async move {
            let _entered = other_handle.enter();
            let shared = Rc::new(41);
            let copy = shared.clone();
            let join = crest::task::spawn_local(async move { *copy + 1 });
            join.await.unwrap()
        });
        assert_eq!(out, 42);
        assert_eq!(other.handle().num_alive_tasks(), 0, "nothing landed on the entered runtime");
    });
}

#[test]
fn spawn_local_on_a_multi_thread_worker_still_panics_clearly() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let err = rt
            .block_on(rt.spawn(async {
                drop(crest::task::spawn_local(async {}));
            }))
            .unwrap_err();
        let p = err.into_panic();
        let msg =
            p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        assert!(msg.unwrap_or_default().contains("spawn_local must be called"));
    });
}
