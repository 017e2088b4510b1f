//! The test clock: `pause` stops `now()`, an idle runtime jumps to the next timer,
//! `advance` fires exactly the timers it passes, `resume` runs on from where it stood, and
//! a multi-thread runtime refuses with a clear panic.
mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crest::time::{advance, now, pause, resume, sleep, timeout};

#[test]
fn an_hour_long_timeout_finishes_at_once_when_every_task_is_idle() {
    util::block_on_timeout(util::LIMIT, async {
        pause();
        let real = Instant::now();
        let start = now();
        let out = timeout(Duration::from_secs(3600), std::future::pending::<()>()).await;
        assert!(out.is_err());
        assert_eq!(now() - start, Duration::from_secs(3600));
        sleep(Duration::from_secs(86_400)).await;
        assert_eq!(now() - start, Duration::from_secs(3600 + 86_400));
        assert!(real.elapsed() < Duration::from_secs(10), "the paused clock slept for real");
    });
}

#[test]
fn now_stands_still_while_paused_and_runs_on_after_resume() {
    util::block_on_timeout(util::LIMIT, async {
        pause();
        let t = now();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(now(), t);
        advance(Duration::from_secs(10)).await;
        resume();
        // It runs again from where it stood: ten seconds ahead of real time.
        assert!(now() >= t + Duration::from_secs(10));
        sleep(Duration::from_millis(1)).await;
        assert!(now() > t + Duration::from_secs(10));
    });
}

#[test]
fn advance_fires_exactly_the_timers_it_passes() {
    util::with_timeout(util::LIMIT, || {
        crest::block_on(async {
            pause();
            let fired: Rc<Cell<u32>> = Rc::default();
            for secs in [1u64, 2, 3] {
                let fired = fired.clone();
                crest::task::spawn_local(async move {
                    sleep(Duration::from_secs(secs)).await;
                    fired.set(fired.get() | 1 << secs);
                });
            }
            crest::task::yield_now().await; // the sleeps register
            advance(Duration::from_millis(999)).await;
            assert_eq!(fired.get(), 0);
            advance(Duration::from_millis(1)).await; // exactly at 1 s: <= now fires
            assert_eq!(fired.get(), 0b10);
            advance(Duration::from_millis(1500)).await; // 2.5 s
            assert_eq!(fired.get(), 0b110);
            advance(Duration::from_secs(1)).await;
            assert_eq!(fired.get(), 0b1110);
        })
    });
}

#[test]
fn intervals_tick_on_the_paused_clock() {
    util::block_on_timeout(util::LIMIT, async {
        pause();
        let start = now();
        let mut ticks = crest::time::interval(Duration::from_secs(60));
        for i in 0..5u32 {
            let at = ticks.tick().await;
            assert_eq!(at - start, Duration::from_secs(60) * i);
        }
    });
}

#[test]
#[should_panic(expected = "current-thread runtimes only")]
fn pause_on_a_multi_thread_runtime_panics_clearly() {
    let rt = crest::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(async { pause() });
}

#[test]
fn a_reply_already_on_its_way_beats_a_timeout() {
    use crest::io::{AsyncReadExt, AsyncWriteExt};
    util::block_on_timeout(util::LIMIT, async {
        pause();
        let (mut client, mut server) = util::net::tcp_pair().await?;
        crest::spawn(async move {
            let mut buf = [0u8; 1];
            while server.read_exact(&mut buf).await.is_ok() {
                if server.write_all(&buf).await.is_err() {
                    break;
                }
            }
        });
        let start = now();
        for i in 0..50u8 {
            client.write_all(&[i]).await?;
            let mut got = [0u8; 1];
            // The driver looks for I/O before it jumps the clock to this timeout.
            timeout(Duration::from_secs(1), client.read_exact(&mut got))
                .await
                .map_err(|_| std::io::Error::other(format!("round {i} timed out on the paused clock")))??;
            assert_eq!(got[0], i);
        }
        assert_eq!(now(), start, "no timer was due, so the clock did not move");
        std::io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn interval_reset_counts_from_the_paused_clock() {
    util::block_on_timeout(util::LIMIT, async {
        pause();
        let mut ticks = crest::time::interval(Duration::from_secs(60));
        ticks.tick().await; // the first tick is immediate
        advance(Duration::from_secs(3600)).await;
        // One period from the paused clock's now, not from the real clock's (an hour behind).
        ticks.reset();
        let before = now();
        ticks.tick().await;
        assert_eq!(now() - before, Duration::from_secs(60));
    });
}
