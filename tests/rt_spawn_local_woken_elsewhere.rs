//! A `spawn_local` task whose wake is delivered while another thread drives its
//! current-thread runtime (`Handle::block_on` there) waits for its owner thread instead of
//! running on the wrong one. It used to be popped there, panic that thread's `block_on`
//! ("was about to run on another thread") and stay marked NOTIFIED with nothing queued:
//! stuck for good, even for its owner (review finding 11).

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use crest::runtime::Builder;

#[test]
fn local_task_woken_while_another_thread_drives_runs_on_its_owner() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        // Owner: spawn a local task that sleeps, and leave it pending (its handle is
        // awaited by a later block_on, after another thread has driven the runtime).
        #[allow(clippy::async_yields_async)]
        let join = rt.block_on(async move {
            let join = crest::task::spawn_local(async move {
                crest::time::sleep(Duration::from_millis(20)).await;
                flag.set(true);
                7
            });
            crest::task::yield_now().await;
            join
        });
        assert!(!ran.get());
        // Another thread drives the runtime while the local task's timer fires.
        let handle = rt.handle();
        let other = std::thread::spawn(move || {
            handle.block_on(async { crest::time::sleep(Duration::from_millis(200)).await });
        });
        let other = other.join();
        assert!(other.is_ok(), "the other thread's block_on panicked on a local task");
        assert!(!ran.get(), "a local task ran on a thread other than its owner");
        // Back on the owner: the task runs and finishes.
        assert_eq!(rt.block_on(join).unwrap(), 7);
        assert!(ran.get());
    });
}
