//! A `Sleep` polled after its runtime has shut down panics with a clear message instead of
//! hanging forever (nothing would fire it); one whose deadline has passed still completes;
//! and a thread already waiting on one when the runtime shuts down is woken to learn it.

use std::time::Duration;

mod time_util;

#[test]
fn sleep_after_shutdown_panics_clearly() -> std::io::Result<()> {
    let rt = crest::runtime::Builder::new_current_thread().build()?;
    let (far, near) = {
        let _in_runtime = rt.enter();
        (crest::time::sleep(Duration::from_secs(3600)), crest::time::sleep(Duration::ZERO))
    };
    drop(rt);
    // A passed deadline needs no driver.
    futures_lite::future::block_on(near);
    let panic =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| futures_lite::future::block_on(far)))
            .expect_err("polling a sleep of a dead runtime must panic");
    let msg = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned());
    let msg = msg.unwrap_or_default();
    assert!(msg.contains("after its runtime shut down"), "unclear message: {msg:?}");
    Ok(())
}

#[test]
fn a_thread_waiting_on_a_sleep_is_woken_at_shutdown() -> std::io::Result<()> {
    let rt = crest::runtime::Builder::new_current_thread().build()?;
    let far = {
        let _in_runtime = rt.enter();
        crest::time::sleep(Duration::from_secs(3600))
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let mut far = std::pin::pin!(far);
        // Registered (and waiting) before the shutdown.
        assert!(futures_lite::future::block_on(futures_lite::future::poll_once(far.as_mut())).is_none());
        tx.send(()).unwrap();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| futures_lite::future::block_on(far)))
            .is_err()
    });
    rx.recv().unwrap();
    drop(rt);
    let panicked = time_util::util::with_timeout(time_util::LIMIT, move || waiter.join().unwrap());
    assert!(panicked, "the waiting thread should have been woken into the shutdown panic");
    Ok(())
}
