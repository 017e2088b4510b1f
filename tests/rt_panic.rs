//! A panic inside a task reaches its JoinHandle; the runtime carries on.
mod util;

#[test]
fn a_panicking_task_gives_a_join_error_and_the_runtime_lives() {
    util::block_on_timeout(util::LIMIT, async {
        let bad = crest::spawn(async { panic!("boom") });
        let err = bad.await.unwrap_err();
        assert!(err.is_panic());
        assert!(!err.is_cancelled());
        assert!(err.to_string().contains("boom"), "{err}");
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
        // The runtime still runs tasks.
        assert_eq!(crest::spawn(async { 3 }).await.unwrap(), 3);
    });
}

#[test]
fn a_detached_panicking_task_does_not_take_the_runtime_down() {
    util::block_on_timeout(util::LIMIT, async {
        drop(crest::spawn(async { panic!("detached boom") }));
        for _ in 0..10 {
            crest::task::yield_now().await;
        }
        assert_eq!(crest::spawn(async { 4 }).await.unwrap(), 4);
    });
}

#[test]
fn a_panicking_blocking_task_gives_a_join_error() {
    util::block_on_timeout(util::LIMIT, async {
        let err = crest::task::spawn_blocking(|| panic!("blocking boom")).await.unwrap_err();
        assert!(err.is_panic());
    });
}

#[test]
fn a_panic_in_block_on_propagates_and_the_thread_can_block_on_again() {
    util::with_timeout(util::LIMIT, || {
        let caught = std::panic::catch_unwind(|| crest::block_on(async { panic!("main boom") }));
        assert!(caught.is_err());
        assert_eq!(crest::block_on(async { 5 }), 5);
    });
}
