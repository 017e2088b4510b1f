//! 100,000 spawned tasks all run and join.
mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn one_hundred_thousand_tasks() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let sum = util::block_on_timeout(util::LIMIT, async move {
        let mut handles = Vec::with_capacity(100_000);
        for i in 0..100_000u64 {
            let c = c.clone();
            handles.push(crest::spawn(async move {
                c.fetch_add(1, Ordering::Relaxed);
                i
            }));
        }
        let mut sum = 0;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    assert_eq!(count.load(Ordering::Relaxed), 100_000);
    assert_eq!(sum, (0..100_000u64).sum::<u64>());
}

#[test]
fn tasks_spawning_tasks() {
    fn fan(depth: u32) -> crest::task::JoinHandle<u64> {
        crest::spawn(async move {
            if depth == 0 {
                return 1;
            }
            fan(depth - 1).await.unwrap() + fan(depth - 1).await.unwrap()
        })
    }
    let leaves = util::block_on_timeout(util::LIMIT, async { fan(12).await.unwrap() });
    assert_eq!(leaves, 4096);
}
