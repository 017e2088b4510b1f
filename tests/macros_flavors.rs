//! `#[crest::test]` and `#[crest::main]` run their body on the flavor of runtime asked for.
//!
//! A current-thread runtime runs spawned tasks on the thread that blocks on the body; a
//! multi-thread runtime runs them on its workers, `worker_threads` of them when that is given.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// The thread a spawned task runs on.
async fn spawned_task_thread() -> ThreadId {
    crest::spawn(async { thread::current().id() }).await.expect("the spawned task finishes")
}

#[crest::test]
async fn test_defaults_to_current_thread() {
    assert_eq!(spawned_task_thread().await, thread::current().id());
}

#[crest::test(flavor = "current_thread")]
async fn test_runs_on_current_thread() {
    assert_eq!(spawned_task_thread().await, thread::current().id());
}

#[crest::test(flavor = "multi_thread")]
async fn test_runs_on_multi_thread() {
    assert_ne!(spawned_task_thread().await, thread::current().id());
}

/// `worker_threads = 3` starts three workers: three tasks that each wait for the others to
/// start can all finish, which they could not on fewer threads (and this machine's default,
/// one worker per CPU, may be fewer).
#[crest::test(flavor = "multi_thread", worker_threads = 3)]
async fn worker_threads_sets_the_number_of_workers() {
    const WORKERS: usize = 3;
    let started = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let handles: Vec<_> = (0..WORKERS)
        .map(|_| {
            let started = Arc::clone(&started);
            let threads = Arc::clone(&threads);
            crest::spawn(async move {
                threads.lock().unwrap().insert(thread::current().id());
                // Blocking the worker on purpose: only a task on another thread can move
                // `started` on. Relaxed is enough, the counter is the only shared state read.
                started.fetch_add(1, Ordering::Relaxed);
                let deadline = Instant::now() + Duration::from_secs(30);
                while started.load(Ordering::Relaxed) < WORKERS {
                    assert!(Instant::now() < deadline, "fewer than {WORKERS} workers ran");
                    thread::sleep(Duration::from_millis(1));
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("the task finishes");
    }
    let threads = std::mem::take(&mut *threads.lock().unwrap());
    assert_eq!(threads.len(), WORKERS);
    assert!(!threads.contains(&thread::current().id()));
}

/// `#[crest::main]` goes on any function; with no arguments it builds a multi-thread runtime.
#[crest::main]
async fn main_default() -> ThreadId {
    spawned_task_thread().await
}

#[crest::main(flavor = "current_thread")]
async fn main_current_thread() -> ThreadId {
    spawned_task_thread().await
}

#[test]
fn main_defaults_to_multi_thread() {
    assert_ne!(main_default(), thread::current().id());
}

#[test]
fn main_runs_on_current_thread() {
    assert_eq!(main_current_thread(), thread::current().id());
}
