//! `abort` drops the future (its destructor runs) and the handle reports cancellation.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct CountDrop(Arc<AtomicUsize>);
impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn abort_runs_the_destructor_of_a_waiting_task() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    util::block_on_timeout(util::LIMIT, async move {
        let guard = CountDrop(d.clone());
        let h = crest::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        crest::task::yield_now().await; // let it start and park
        assert_eq!(d.load(Ordering::SeqCst), 0);
        h.abort();
        let err = h.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(d.load(Ordering::SeqCst), 1);
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn abort_before_the_first_poll() {
    let polled = Arc::new(AtomicUsize::new(0));
    let p = polled.clone();
    util::block_on_timeout(util::LIMIT, async move {
        let p2 = p.clone();
        let h = crest::spawn(async move {
            p2.fetch_add(1, Ordering::SeqCst);
        });
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(polled.load(Ordering::SeqCst), 0, "an aborted task is never polled");
}

#[test]
fn abort_from_another_thread() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    util::block_on_timeout(util::LIMIT, async move {
        let guard = CountDrop(d);
        let h = Arc::new(crest::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        crest::task::yield_now().await;
        let h2 = h.clone();
        std::thread::spawn(move || h2.abort()).join().unwrap();
        let h = Arc::try_unwrap(h).unwrap();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn abort_after_completion_has_no_effect() {
    util::block_on_timeout(util::LIMIT, async {
        let h = crest::spawn(async { 7 });
        while !h.is_finished() {
            crest::task::yield_now().await;
        }
        h.abort();
        assert_eq!(h.await.unwrap(), 7);
    });
}

#[test]
fn an_aborted_task_that_yields_is_dropped_at_its_next_yield() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    util::block_on_timeout(util::LIMIT, async move {
        let guard = CountDrop(d.clone());
        let h = crest::spawn(async move {
            let _guard = guard;
            loop {
                crest::task::yield_now().await;
            }
        });
        crest::task::yield_now().await;
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
