//! The stall detector stays quiet on a busy runtime whose polls are all short: many tasks
//! yielding and messaging each other for half a second, on both flavors.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crest::runtime::Builder;

fn busy(builder: &mut Builder) -> usize {
    let reports = Arc::new(AtomicUsize::new(0));
    let r = reports.clone();
    let rt = builder
        .on_stall(Duration::from_millis(100), move |report| {
            eprintln!("unexpected: {report}");
            r.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    rt.block_on(async {
        let until = Instant::now() + Duration::from_millis(500);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (tx, rx) = async_channel::bounded::<u32>(1);
            tasks.push(crest::spawn(async move {
                while Instant::now() < until {
                    if tx.send(1).await.is_err() {
                        break;
                    }
                }
            }));
            tasks.push(crest::spawn(async move { while rx.recv().await.is_ok() {} }));
            tasks.push(crest::spawn(async move {
                while Instant::now() < until {
                    crest::task::yield_now().await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let polls: u64 = {
        let m = rt.handle().metrics();
        (0..m.workers()).map(|i| m.worker(i).polls()).sum()
    };
    assert!(polls > 1000, "the runtime was busy ({polls} polls)");
    drop(rt);
    reports.load(Ordering::SeqCst)
}

#[test]
fn many_short_polls_report_nothing() {
    util::with_timeout(util::LIMIT, || {
        assert_eq!(busy(Builder::new_multi_thread().worker_threads(2)), 0);
        assert_eq!(busy(&mut Builder::new_current_thread()), 0);
    });
}
