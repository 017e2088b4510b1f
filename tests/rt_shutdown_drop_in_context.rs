//! Shutdown runs task destructors inside the runtime's context, as tasks run: a destructor
//! that calls `Handle::block_on` hits the clear "cannot block_on inside a crest runtime"
//! panic instead of waiting forever for a runtime that is being torn down by the very
//! thread that waits (review finding 8).

mod util;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

use crest::runtime::{Builder, Handle, Runtime};

/// Held by a pending task; its destructor blocks on the task's own runtime.
struct BlockOnInDrop {
    handle: Handle,
    outcome: mpsc::Sender<Result<(), String>>,
}

impl Drop for BlockOnInDrop {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // A timer needs the runtime to fire it: the runtime is the one dropping us.
        let result =
            catch_unwind(AssertUnwindSafe(|| handle.block_on(crest::time::sleep(Duration::from_millis(10)))));
        let _ = self.outcome.send(result.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }));
    }
}

fn drop_runtime_with_blocking_destructor(rt: Runtime) {
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let (started_tx, started_rx) = mpsc::channel();
    let guard = BlockOnInDrop { handle: rt.handle(), outcome: outcome_tx };
    drop(rt.spawn(async move {
        let _guard = guard;
        started_tx.send(()).unwrap();
        std::future::pending::<()>().await;
    }));
    if rt.handle().num_alive_tasks() > 0 {
        // Current-thread: the task runs only while someone drives the runtime.
        rt.block_on(crest::task::yield_now());
    }
    started_rx.recv_timeout(Duration::from_secs(10)).expect("the task started");
    drop(rt);
    let outcome = outcome_rx.recv().expect("the destructor ran");
    let msg = outcome.expect_err("block_on inside a destructor run by shutdown must panic");
    assert!(msg.contains("cannot block_on inside a crest runtime"), "unclear message: {msg:?}");
}

#[test]
fn current_thread_shutdown_runs_destructors_in_context() {
    util::with_timeout(Duration::from_secs(10), || {
        drop_runtime_with_blocking_destructor(Builder::new_current_thread().build().unwrap())
    });
}

#[test]
fn multi_thread_shutdown_runs_destructors_in_context() {
    util::with_timeout(Duration::from_secs(10), || {
        drop_runtime_with_blocking_destructor(Builder::new_multi_thread().worker_threads(2).build().unwrap())
    });
}
