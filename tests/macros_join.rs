//! `crest::join!` and `crest::try_join!`: all futures run concurrently in one task;
//! `try_join!` stops at the first `Err` and drops the rest.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn join_runs_futures_concurrently_and_keeps_the_written_order() {
    util::block_on_timeout(util::LIMIT, async {
        // The first future finishes only after the second has run: joined sequentially,
        // this would never end.
        let (tx, rx) = async_channel::bounded::<u32>(1);
        let (a, b, c) = crest::join!(
            async { rx.recv().await.unwrap() + 1 },
            async {
                tx.send(1).await.unwrap();
                "b"
            },
            async {
                crest::time::sleep(Duration::from_millis(5)).await;
                3.0
            },
        );
        assert_eq!((a, b, c), (2, "b", 3.0));
        let () = crest::join!();
        let (one,) = crest::join!(async { 1 });
        assert_eq!(one, 1);
    });
}

#[test]
fn join_may_borrow_locals() {
    util::block_on_timeout(util::LIMIT, async {
        let mut a = 0;
        let mut b = 0;
        crest::join!(async { a += 1 }, async { b += 2 });
        assert_eq!((a, b), (1, 2));
    });
}

#[test]
fn try_join_returns_every_output_or_the_first_error() {
    util::block_on_timeout(util::LIMIT, async {
        let ok: Result<(u8, &str), ()> = crest::try_join!(async { Ok(1) }, async { Ok("two") });
        assert_eq!(ok, Ok((1, "two")));

        struct CountDrop(Arc<AtomicUsize>);
        impl Drop for CountDrop {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = CountDrop(drops.clone());
        let err: Result<((), ()), &str> = crest::try_join!(
            async move {
                let _guard = guard;
                std::future::pending().await
            },
            async {
                crest::time::sleep(Duration::from_millis(5)).await;
                Err("failed")
            },
        );
        assert_eq!(err, Err("failed"));
        assert_eq!(drops.load(Ordering::SeqCst), 1, "the pending future was dropped");
    });
}
