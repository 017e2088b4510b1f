//! `JoinHandle::abort_handle`: a cloneable handle that cancels a task and outlives it.
mod util;

#[test]
fn abort_handle_cancels_a_detached_task() {
    util::block_on_timeout(util::LIMIT, async {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let handle = crest::spawn(async move {
            let _tx = tx; // dropped with the future
            std::future::pending::<()>().await;
        });
        let abort = handle.abort_handle();
        let second = abort.clone();
        drop(handle);
        crest::task::yield_now().await;
        assert!(!second.is_finished());
        abort.abort();
        for _ in 0..10 {
            crest::task::yield_now().await;
        }
        assert!(second.is_finished());
        assert!(rx.recv().is_err(), "the future was dropped with its sender");
    });
}

#[test]
fn abort_after_completion_changes_nothing() {
    util::block_on_timeout(util::LIMIT, async {
        let handle = crest::spawn(async { 1 });
        let abort = handle.abort_handle();
        crest::task::yield_now().await;
        assert!(abort.is_finished());
        abort.abort();
        assert_eq!(handle.await.unwrap(), 1);
    });
}
