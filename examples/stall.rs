//! The stall detector at work: one task blocks its worker thread with
//! `std::thread::sleep` (what a blocking call inside `async` code does), and the runtime says
//! so on stderr while it is still blocked. Then the program prints a task dump and the
//! runtime's metrics.
//!
//! ```text
//! $ cargo run --example stall
//! crest: task 2 spawned at examples/stall.rs:31 has been running for 100 ms on thread crest-worker-0 without yielding (stall threshold 100 ms): move blocking work to spawn_blocking
//! task dump while it blocks:
//! task 1 idle age 0.150s polls 15 spawned at examples/stall.rs:25
//! task 2 running age 0.150s polls 1 spawned at examples/stall.rs:31
//!
//! metrics (Prometheus text format):
//! # TYPE crest_alive_tasks gauge
//! ...
//! ```

use std::time::Duration;

fn main() -> std::io::Result<()> {
    let rt = crest::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .stall_threshold(Duration::from_millis(100))
        .build()?;
    let handle = rt.handle();
    rt.block_on(async {
        // A well-behaved task: it sleeps with the runtime's timer, so it never blocks.
        let ticker = crest::spawn(async {
            for _ in 0..30 {
                crest::time::sleep(Duration::from_millis(10)).await;
            }
        });
        // The culprit: blocks its worker for 300 ms. It should use spawn_blocking.
        let blocker = crest::spawn(async {
            std::thread::sleep(Duration::from_millis(300));
        });
        crest::time::sleep(Duration::from_millis(150)).await;
        println!("task dump while it blocks:\n{}", handle.dump());
        blocker.await.unwrap();
        ticker.await.unwrap();
    });
    println!("metrics (Prometheus text format):\n{}", handle.metrics());
    Ok(())
}
