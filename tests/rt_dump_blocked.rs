//! A task dump needs nothing from the workers: with the only worker blocked inside a task,
//! the dump from another thread lists that task as running, and the idle ones as idle.
mod util;

use std::sync::mpsc;
use std::time::Duration;

use crest::runtime::{Builder, TaskState};

#[test]
fn dump_of_a_runtime_whose_only_worker_is_blocked() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let idle: Vec<_> = (0..3).map(|_| rt.spawn(std::future::pending::<()>())).collect();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel();
        let line = line!() + 1;
        let blocked = rt.spawn(async move {
            started_tx.send(()).unwrap();
            // Blocks the worker thread until the test lets go.
            let _ = release_rx.recv_timeout(Duration::from_secs(20));
        });
        started_rx.recv_timeout(Duration::from_secs(10)).expect("the blocking task starts");
        // The idle tasks were polled once before it (spawn order) or are still queued.
        let dump = rt.handle().dump();
        let text = dump.to_string();
        assert_eq!(dump.tasks().len(), 4, "{text}");
        assert_eq!(text.lines().count(), 4, "one line per task:\n{text}");
        let task = dump.tasks().iter().find(|t| t.id() == blocked.id()).expect("the blocked task");
        assert_eq!(task.state(), TaskState::Running, "{text}");
        assert_eq!(task.polls(), 1, "{text}");
        assert!(task.spawned_at().file().ends_with("rt_dump_blocked.rs"), "{text}");
        assert_eq!(task.spawned_at().line(), line, "{text}");
        assert!(task.age() < Duration::from_secs(60), "{text}");
        assert!(text.contains(&format!("rt_dump_blocked.rs:{line}")), "{text}");
        for h in &idle {
            let t = dump.tasks().iter().find(|t| t.id() == h.id()).expect("an idle task");
            assert!(matches!(t.state(), TaskState::Idle | TaskState::Scheduled), "{text}");
        }
        release_tx.send(()).unwrap();
        rt.block_on(blocked).unwrap();
        // The join handle may see the output a moment before the task leaves the list.
        let mut after = rt.handle().dump();
        for _ in 0..500 {
            if after.tasks().len() == 3 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            after = rt.handle().dump();
        }
        assert_eq!(after.tasks().len(), 3, "{after}");
        assert!(after.tasks().iter().all(|t| t.state() == TaskState::Idle && t.polls() == 1), "{after}");
    });
}
