//! The blocking pool: threads for closures that block (`spawn_blocking`).
//!
//! The pool starts empty and grows by one thread whenever a task arrives and no thread is
//! idle, up to a cap (512 by default). A thread idle for the keep-alive (10 s) exits.
//! Blocking tasks are ordinary tasks (same `JoinHandle`) whose scheduler is this pool; they
//! are polled once, which runs the closure to completion.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::enter::EnterRuntime;
use crate::task::{self, JoinHandle, Notified, Schedule, Task};

/// Pool settings.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) timer_slack: Option<Duration>,
}

/// A cloneable handle to the pool.
#[derive(Clone)]
pub(crate) struct Spawner {
    pool: Arc<Pool>,
}

struct Pool {
    state: Mutex<State>,
    /// Idle threads wait here for tasks or shutdown.
    work: Condvar,
    /// Shutdown waits here for the last thread.
    exited: Condvar,
    config: Config,
}

struct State {
    queue: VecDeque<Notified>,
    num_threads: usize,
    num_idle: usize,
    /// Wakeups sent to idle threads and not yet taken.
    num_notify: usize,
    shutdown: bool,
    threads: Vec<std::thread::JoinHandle<()>>,
    next_id: usize,
}

std::thread_local! {
    /// The pool whose thread this is (null elsewhere): shutdown called on one of the
    /// pool's own threads (the last `Runtime` dropped inside `spawn_blocking`) must not
    /// wait for itself.
    static CURRENT_POOL: std::cell::Cell<*const Pool> = const { std::cell::Cell::new(std::ptr::null()) };
}

struct BlockingSchedule {
    pool: Arc<Pool>,
}

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified) {
        // Only reached when a blocking task is aborted before it ran: queue it so a pool
        // thread observes the cancellation.
        drop(Spawner { pool: self.pool.clone() }.push(task));
    }

    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

/// A closure as a future that completes in one poll.
struct BlockingTask<F> {
    f: Option<F>,
}

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.f.take().expect("a blocking task is polled once");
        Poll::Ready(f())
    }
}

impl Spawner {
    pub(crate) fn new(config: Config) -> Spawner {
        let state = State {
            queue: VecDeque::new(),
            num_threads: 0,
            num_idle: 0,
            num_notify: 0,
            shutdown: false,
            threads: Vec::new(),
            next_id: 0,
        };
        Spawner {
            pool: Arc::new(Pool {
                state: Mutex::new(state),
                work: Condvar::new(),
                exited: Condvar::new(),
                config,
            }),
        }
    }

    /// Queues `f`; a thread started for it makes `runtime` its current one.
    #[track_caller]
    pub(crate) fn spawn<F, R, C: EnterRuntime>(&self, f: F, runtime: &C) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let schedule = BlockingSchedule { pool: self.pool.clone() };
        let (task, notified, join) = task::new_task(BlockingTask { f: Some(f) }, schedule, None);
        // Blocking tasks are not in the owned list: shutdown cannot drop a running closure.
        drop(task);
        if let Some(state) = self.push(notified) {
            self.start_thread(state, runtime);
        }
        join
    }

    /// Queues `task` and wakes an idle thread for it. Returns the pool's state, still
    /// locked, when no thread is idle: the caller may start one (`start_thread`).
    fn push(&self, task: Notified) -> Option<MutexGuard<'_, State>> {
        let mut state = self.pool.lock();
        if state.shutdown {
            drop(state);
            task.0.shutdown();
            return None;
        }
        state.queue.push_back(task);
        if state.num_idle > state.num_notify {
            state.num_notify += 1;
            self.pool.work.notify_one();
            return None;
        }
        Some(state)
    }

    /// Starts a thread for the task just queued, unless the pool is at its cap; the thread
    /// makes `runtime` its current one.
    fn start_thread<C: EnterRuntime>(&self, mut state: MutexGuard<'_, State>, runtime: &C) {
        if state.num_threads >= self.pool.config.max_threads {
            return; // A busy thread takes it when it is done.
        }
        state.threads.retain(|t| !t.is_finished());
        let id = state.next_id;
        state.next_id += 1;
        let pool = self.pool.clone();
        let runtime = runtime.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("{}-blocking-{id}", self.pool.config.thread_name))
            .spawn(move || pool.run(runtime));
        match spawned {
            Ok(t) => {
                state.num_threads += 1;
                state.threads.push(t);
            }
            Err(_) if state.num_threads == 0 => {
                // No thread can run it: cancel it rather than leave its JoinHandle hanging.
                let task = state.queue.pop_back();
                drop(state);
                if let Some(task) = task {
                    task.0.shutdown();
                }
            }
            Err(_) => {} // The existing threads will get to it.
        }
    }

    /// The pool's threads, and how many of them wait for work (metrics).
    pub(crate) fn thread_counts(&self) -> (usize, usize) {
        let state = self.pool.lock();
        (state.num_threads, state.num_idle)
    }

    /// Stops the pool: cancels queued tasks and waits for the threads at most `timeout`
    /// (`None`: until every running closure has returned).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let queued: Vec<Notified> = {
            let mut state = self.pool.lock();
            state.shutdown = true;
            self.pool.work.notify_all();
            state.queue.drain(..).collect()
        };
        for task in queued {
            task.0.shutdown();
        }
        // On one of our own threads, that thread is still counted: it leaves the count
        // when its closure returns, after this shutdown.
        let me = usize::from(CURRENT_POOL.with(|p| std::ptr::eq(p.get(), Arc::as_ptr(&self.pool))));
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut state = self.pool.lock();
        while state.num_threads > me {
            match deadline {
                None => state = self.pool.exited.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    state = self
                        .pool
                        .exited
                        .wait_timeout(state, deadline - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
        // Join the threads that have returned, so none is left behind; a thread still
        // running a closure past the timeout is detached.
        let threads = std::mem::take(&mut state.threads);
        let all_done = state.num_threads == me;
        drop(state);
        let this_thread = std::thread::current().id();
        for t in threads {
            if t.thread().id() != this_thread && (all_done || t.is_finished()) {
                let _ = t.join();
            }
        }
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn run<C: EnterRuntime>(self: Arc<Self>, runtime: C) {
        if let Some(slack) = self.config.timer_slack {
            let _ = crate::sys::thread::set_timer_slack(slack);
        }
        let _current = runtime.enter(false);
        drop(runtime);
        CURRENT_POOL.with(|p| p.set(Arc::as_ptr(&self)));
        let mut state = self.lock();
        'outer: loop {
            while let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                // Blocking threads keep few task cells: trim after every task, not at park.
                crate::task::trim_cell_cache();
                state = self.lock();
            }
            if state.shutdown {
                break;
            }
            state.num_idle += 1;
            loop {
                let (s, res) =
                    self.work.wait_timeout(state, self.config.keep_alive).unwrap_or_else(|p| p.into_inner());
                state = s;
                if state.num_notify > 0 {
                    state.num_notify -= 1;
                    state.num_idle -= 1;
                    continue 'outer;
                }
                if state.shutdown {
                    state.num_idle -= 1;
                    continue 'outer;
                }
                if res.timed_out() {
                    state.num_idle -= 1;
                    break 'outer;
                }
            }
        }
        state.num_threads -= 1;
        // Shutdown may wait for all threads but its own: tell it each time one leaves.
        self.exited.notify_all();
    }
}
