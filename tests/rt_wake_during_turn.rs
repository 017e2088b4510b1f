//! Wakes that reach the current-thread run queue while the scheduler itself is busy with
//! it: from the driver's dispatch (many sockets ready in one turn, timers firing), from a
//! running task (the LIFO slot), from spawns inside tasks, and from another thread.
//!
//! Review finding 10 was that the scheduler held a unique borrow of its local state
//! (`&mut Local`, through the core) across the driver turn while those wakers pushed to the
//! run queue through a raw pointer: undefined behaviour under Stacked Borrows, which no
//! test can observe directly (there is no Miri here). This test drives every one of those
//! paths many times, so that a run under `scripts/asan` (and the assertions on what every
//! task saw) covers them; the fix itself is argued in ARCHITECTURE.md ("Tasks").

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::UnixStream;

const PAIRS: usize = 64;
const ROUNDS: usize = 50;

#[test]
fn wakes_from_the_driver_tasks_and_threads_all_reach_the_queue() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_current_thread().build().unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let total = rt.block_on(async {
            let mut readers = Vec::new();
            let mut writers = Vec::new();
            for _ in 0..PAIRS {
                let (a, b) = UnixStream::pair().unwrap();
                writers.push(a);
                readers.push(b);
            }
            let mut joins = Vec::new();
            for mut r in readers {
                let done = done.clone();
                joins.push(crest::spawn(async move {
                    let mut got = 0usize;
                    let mut buf = [0u8; 1];
                    for _ in 0..ROUNDS {
                        r.read_exact(&mut buf).await.unwrap();
                        got += buf[0] as usize;
                        // A spawn and a wake of the spawned task's joiner from inside a
                        // task, and a timer that fires in a later driver turn.
                        let child = crest::spawn(async { crest::task::yield_now().await });
                        child.await.unwrap();
                        crest::time::sleep(Duration::from_micros(50)).await;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    got
                }));
            }
            // Another thread wakes tasks of this runtime while it turns its driver.
            let handle = crest::runtime::Handle::current();
            let remote = std::thread::spawn(move || {
                for _ in 0..ROUNDS * 4 {
                    handle.spawn(async { crest::task::yield_now().await });
                    std::thread::yield_now();
                }
            });
            // All sockets become readable together: one turn wakes many readers.
            for _ in 0..ROUNDS {
                for w in writers.iter_mut() {
                    w.write_all(&[1]).await.unwrap();
                }
                crest::task::yield_now().await;
            }
            let mut total = 0;
            for j in joins {
                total += j.await.unwrap();
            }
            remote.join().unwrap();
            total
        });
        assert_eq!(total, PAIRS * ROUNDS);
        assert_eq!(done.load(Ordering::Relaxed), PAIRS);
    });
}
