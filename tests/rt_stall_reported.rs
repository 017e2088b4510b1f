//! The stall detector: a task that blocks its worker in `std::thread::sleep(300 ms)` on a
//! multi-thread runtime with a 50 ms threshold is reported while it still sleeps, within
//! 100 ms of crossing the threshold, naming its spawn line in this file.
mod util;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crest::runtime::{Builder, StallReport};

const THRESHOLD: Duration = Duration::from_millis(50);

/// One blocked poll: the report, how long after the threshold was crossed it came, the
/// task's id and spawn line.
fn one_stall() -> (StallReport, Duration, crest::task::Id, u32) {
    let (tx, rx) = mpsc::channel();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .on_stall(THRESHOLD, move |report| {
            let _ = tx.send((report.clone(), Instant::now()));
        })
        .build()
        .unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let line = line!() + 1;
    let blocker = rt.spawn(async move {
        let _ = started_tx.send(Instant::now());
        std::thread::sleep(Duration::from_millis(300));
    });
    let id = blocker.id();
    let started = started_rx.recv_timeout(Duration::from_secs(10)).expect("the task runs");
    let (report, at) = rx.recv_timeout(Duration::from_secs(10)).expect("a stall report");
    assert!(!blocker.is_finished(), "the report came while the poll was still running");
    rt.block_on(blocker).unwrap();
    assert!(rx.try_recv().is_err(), "one report per stalled poll");
    let late = at.saturating_duration_since(started + THRESHOLD);
    (report, late, id, line)
}

#[test]
fn a_blocked_poll_is_reported_while_it_runs() {
    util::with_timeout(util::LIMIT, || {
        // Latency is measured on a shared machine: allow a second and third try before
        // calling a late report a failure.
        let mut lates = Vec::new();
        for _ in 0..3 {
            let (report, late, id, line) = one_stall();
            assert_eq!(report.task_id(), id);
            assert!(report.spawned_at().file().ends_with("rt_stall_reported.rs"), "{report}");
            assert_eq!(report.spawned_at().line(), line, "{report}");
            let thread = report.thread_name().expect("workers have names");
            assert!(thread.starts_with("crest-worker-"), "{report}");
            assert!(report.running_for() >= THRESHOLD, "{report}");
            let line_text = report.to_string();
            assert!(line_text.contains(&format!("rt_stall_reported.rs:{line}")), "{line_text}");
            assert!(line_text.contains(thread), "{line_text}");
            assert!(!line_text.contains('\n'), "one line: {line_text}");
            eprintln!("reported {late:?} after the threshold was crossed: {report}");
            if late < Duration::from_millis(100) {
                return;
            }
            lates.push(late);
        }
        panic!("stall reports came {lates:?} after the threshold was crossed (want < 100 ms)");
    });
}
