//! Timers on the multi-thread runtime: sleeps created, polled, reset, woken and dropped on
//! different workers all complete (none early), and leave the timers empty.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crest::time::{debug_pending_timers, sleep, timeout};

mod time_util;

#[test]
fn sleeps_across_workers_complete_and_leave_nothing() -> std::io::Result<()> {
    time_util::util::with_timeout(time_util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
        rt.block_on(async {
            let early = Arc::new(AtomicUsize::new(0));
            let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
            let tasks: Vec<_> = (0..20_000u64)
                .map(|i| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let d = Duration::from_micros(rng % 20_000);
                    let early = early.clone();
                    crest::spawn(async move {
                        let start = Instant::now();
                        match i % 4 {
                            // A timeout that the inner future wins: its sleep is dropped.
                            0 => assert!(timeout(Duration::from_secs(30), sleep(d)).await.is_ok()),
                            // A sleep moved later once it is registered.
                            1 => {
                                let mut s = std::pin::pin!(sleep(Duration::from_secs(30)));
                                let _ = futures_lite::future::poll_once(s.as_mut()).await;
                                s.as_mut().reset(start + d);
                                s.await;
                            }
                            // A sleep dropped before its deadline, then a plain one.
                            2 => {
                                let mut s = std::pin::pin!(sleep(Duration::from_secs(30)));
                                let _ = futures_lite::future::poll_once(s.as_mut()).await;
                                crest::task::yield_now().await;
                                sleep(d).await;
                            }
                            _ => sleep(d).await,
                        }
                        if start.elapsed() < d {
                            early.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("timer task");
            }
            assert_eq!(early.load(Ordering::Relaxed), 0, "sleeps completed early");
            assert_eq!(debug_pending_timers(), 0, "timers left behind");
        });
        Ok(())
    })
}
