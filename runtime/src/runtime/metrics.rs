//! Runtime metrics: the counters each scheduler thread keeps about itself, and the
//! snapshot [`Handle::metrics`](super::Handle::metrics) assembles from them.
//!
//! # Who writes what
//! * [`WorkerStats`]: one per worker (one in all for a current-thread runtime), on its own
//!   cache lines, written only by the thread that drives that worker. Its counters are
//!   atomics so that any thread may read them, but they are bumped with a load and a
//!   store, never a read-modify-write instruction: the poll path costs two plain stores
//!   (`polls`, `running`) and a third when the poll ends, plus the task's own poll count
//!   (a load and a store on the header line the poll touches anyway).
//! * The per-runtime numbers are read where they already are at snapshot time: the
//!   owned-task list (alive and spawned tasks), the queues, the blocking pool's counts,
//!   the driver's counters (`driver/mod.rs`) and the timer wheel.
//!
//! This file must not take a lock or read the clock on the poll path; parks may do both.

use std::cell::Cell;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::stall;
use crate::driver::timer::coarse;
use crate::task::header::Header;
use crate::task::{Id, Notified};

/// The counters of one worker, written by that worker's thread only.
#[repr(align(128))]
pub(crate) struct WorkerStats {
    /// Polls started; also the watchdog's way to tell one poll from the next.
    pub(crate) polls: AtomicU64,
    /// The task being polled, null between polls.
    pub(crate) running: AtomicPtr<Header>,
    steals: AtomicU64,
    parks: AtomicU64,
    /// Time spent out of parks, up to the last park.
    busy_ns: AtomicU64,
    /// Nanoseconds since `coarse::epoch` when the worker last left a park.
    active_since: AtomicU64,
    /// True from leaving a park to entering the next one (the watchdog sleeps while every
    /// worker is parked).
    pub(crate) active: AtomicBool,
    /// The run queue's length, for schedulers whose queue other threads cannot read
    /// (current-thread: sampled at each driver turn).
    pub(crate) queue_depth: AtomicUsize,
    /// The thread's name, for stall reports (current-thread: whoever drives it now).
    pub(crate) thread_name: Mutex<Option<String>>,
}

/// Every worker's counters, and the stall watchdog once one is started.
pub(crate) struct Stats {
    pub(crate) workers: Box<[WorkerStats]>,
    pub(crate) watch: OnceLock<Arc<stall::Shared>>,
    /// The watchdog thread, stopped at shutdown (it holds an `Arc` of this).
    pub(crate) watchdog: Mutex<Option<stall::Watchdog>>,
}

thread_local! {
    /// The worker this thread drives, if any (set by [`Stats::enter`]).
    static CURRENT: Cell<*const WorkerStats> = const { Cell::new(std::ptr::null()) };
}

fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

fn nanos_since_epoch(now: Instant) -> u64 {
    now.saturating_duration_since(coarse::epoch()).as_nanos() as u64
}

impl WorkerStats {
    fn new(thread_name: Option<String>) -> WorkerStats {
        WorkerStats {
            polls: AtomicU64::new(0),
            running: AtomicPtr::new(std::ptr::null_mut()),
            steals: AtomicU64::new(0),
            parks: AtomicU64::new(0),
            busy_ns: AtomicU64::new(0),
            active_since: AtomicU64::new(0),
            active: AtomicBool::new(false),
            queue_depth: AtomicUsize::new(0),
            thread_name: Mutex::new(thread_name),
        }
    }

    /// Polls `task` once, counting the poll and publishing which task runs. Called by the
    /// thread that drives this worker only.
    #[inline]
    pub(crate) fn run(&self, task: Notified) {
        let header = task.0.header();
        // One thread at a time holds a task's `Notified`, so this load + store cannot race
        // with another; the state word's transitions order it before the next holder's.
        header.polls.store(header.polls.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
        let polls = self.polls.load(Ordering::Relaxed).wrapping_add(1);
        self.running.store(task.0.header_ptr().as_ptr(), Ordering::Relaxed);
        // Release: a watchdog that sees this count sees `running` too.
        self.polls.store(polls, Ordering::Release);
        task.run();
        self.running.store(std::ptr::null_mut(), Ordering::Release);
    }

    /// A successful steal.
    pub(crate) fn steal(&self) {
        bump(&self.steals);
    }

    fn leave_park(&self, watch: Option<&Arc<stall::Shared>>) {
        let now = Instant::now();
        self.active_since.store(nanos_since_epoch(now), Ordering::Relaxed);
        coarse::refresh_coarse(now);
        // SeqCst with the watchdog's store of its `sleeping` flag: either it sees this
        // worker active, or this sees it asleep and wakes it.
        self.active.store(true, Ordering::SeqCst);
        if let Some(watch) = watch {
            watch.worker_active();
        }
    }

    fn enter_park(&self) {
        let now = nanos_since_epoch(Instant::now());
        let since = self.active_since.load(Ordering::Relaxed);
        if self.active.load(Ordering::Relaxed) {
            let busy = self.busy_ns.load(Ordering::Relaxed) + now.saturating_sub(since);
            self.busy_ns.store(busy, Ordering::Relaxed);
        }
        self.active.store(false, Ordering::SeqCst);
        coarse::mark_coarse_stale();
    }

    fn snapshot(&self, now: Instant, queue_depth: usize) -> WorkerMetrics {
        let mut busy = self.busy_ns.load(Ordering::Relaxed);
        if self.active.load(Ordering::Relaxed) {
            busy += nanos_since_epoch(now).saturating_sub(self.active_since.load(Ordering::Relaxed));
        }
        WorkerMetrics {
            polls: self.polls.load(Ordering::Relaxed),
            steals: self.steals.load(Ordering::Relaxed),
            parks: self.parks.load(Ordering::Relaxed),
            busy_time: Duration::from_nanos(busy),
            local_queue_depth: queue_depth,
        }
    }
}

impl Stats {
    /// Counters for `workers` workers; `names[i]` names worker `i`'s thread when known.
    pub(crate) fn new(workers: usize, mut name: impl FnMut(usize) -> Option<String>) -> Arc<Stats> {
        Arc::new(Stats {
            workers: (0..workers.max(1)).map(|i| WorkerStats::new(name(i))).collect(),
            watch: OnceLock::new(),
            watchdog: Mutex::new(None),
        })
    }

    /// This thread drives worker `index` until the guard drops: it counts as active (out of
    /// a park) and `crest::task::id` finds the running task through it.
    pub(crate) fn enter(self: &Arc<Stats>, index: usize) -> EnterGuard {
        let worker = &self.workers[index];
        if self.watch.get().is_some() {
            if let Some(name) = std::thread::current().name() {
                let mut slot = worker.thread_name.lock().unwrap_or_else(|p| p.into_inner());
                if slot.as_deref() != Some(name) {
                    *slot = Some(name.to_string());
                }
            }
        }
        let prev = CURRENT.with(|c| c.replace(worker));
        worker.leave_park(self.watch.get());
        EnterGuard { stats: self.clone(), index, prev }
    }

    /// Worker `index` parks until the guard drops.
    pub(crate) fn park(&self, index: usize) -> ParkGuard<'_> {
        let worker = &self.workers[index];
        bump(&worker.parks);
        worker.enter_park();
        ParkGuard { stats: self, index }
    }

    /// Worker `index`'s counters.
    #[inline]
    pub(crate) fn worker(&self, index: usize) -> &WorkerStats {
        &self.workers[index]
    }

    /// Stops the watchdog, if one runs (runtime shutdown).
    pub(crate) fn stop_watchdog(&self) {
        let watchdog = self.watchdog.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(watchdog);
    }

    /// The per-worker part of a snapshot; `queue_depth(i)` is worker `i`'s queue length.
    pub(crate) fn worker_metrics(&self, queue_depth: impl Fn(usize) -> usize) -> Vec<WorkerMetrics> {
        let now = Instant::now();
        self.workers.iter().enumerate().map(|(i, w)| w.snapshot(now, queue_depth(i))).collect()
    }
}

/// Returned by [`Stats::enter`].
pub(crate) struct EnterGuard {
    stats: Arc<Stats>,
    index: usize,
    prev: *const WorkerStats,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        self.stats.workers[self.index].enter_park();
        let _ = CURRENT.try_with(|c| c.set(self.prev));
    }
}

/// Returned by [`Stats::park`].
pub(crate) struct ParkGuard<'a> {
    stats: &'a Stats,
    index: usize,
}

impl Drop for ParkGuard<'_> {
    fn drop(&mut self) {
        self.stats.workers[self.index].leave_park(self.stats.watch.get());
    }
}

/// The id of the task this thread is polling, if any.
pub(crate) fn current_task_id() -> Option<Id> {
    let worker = CURRENT.try_with(|c| c.get()).ok()?;
    if worker.is_null() {
        return None;
    }
    // SAFETY: a non-null CURRENT points to the `WorkerStats` of a runtime whose
    // `EnterGuard` on this thread's stack holds an `Arc` of it.
    let running = NonNull::new(unsafe { &*worker }.running.load(Ordering::Relaxed))?;
    // SAFETY: only this thread sets `running` of the worker it drives, to the task it
    // polls, and clears it when the poll returns: a task that is being polled is alive,
    // and we are inside its poll.
    Some(unsafe { running.as_ref() }.id)
}

/// A snapshot of a runtime's counters, from [`Handle::metrics`](super::Handle::metrics).
///
/// Counters (`u64`) only grow; depths and counts (`usize`) are the value at the time of
/// the snapshot. Each number is read on its own, so a snapshot taken while the runtime runs
/// is not one instant's picture (a task may be counted as spawned and not yet alive).
///
/// ```
/// let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// rt.block_on(async {
///     crest::spawn(async {}).await.unwrap();
/// });
/// let m = rt.handle().metrics();
/// assert_eq!(m.workers(), 2);
/// assert!(m.spawned_tasks() >= 1);
/// let polls: u64 = (0..m.workers()).map(|i| m.worker(i).polls()).sum();
/// assert!(polls >= 1);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    pub(crate) workers: Vec<WorkerMetrics>,
    pub(crate) alive_tasks: usize,
    pub(crate) spawned_tasks: u64,
    pub(crate) injection_queue_depth: usize,
    pub(crate) blocking_threads: usize,
    pub(crate) idle_blocking_threads: usize,
    pub(crate) driver_turns: u64,
    pub(crate) events_dispatched: u64,
    pub(crate) registered_fds: usize,
    pub(crate) timers: usize,
    pub(crate) failed_deregistrations: u64,
}

impl RuntimeMetrics {
    /// Worker threads (1 for a current-thread runtime: the thread in `block_on`).
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Worker `i`'s counters.
    ///
    /// # Panics
    /// When `i >= self.workers()`.
    pub fn worker(&self, i: usize) -> WorkerMetrics {
        self.workers[i]
    }

    /// Tasks spawned and not yet finished (not counting `spawn_blocking` closures).
    pub fn alive_tasks(&self) -> usize {
        self.alive_tasks
    }

    /// Tasks spawned since the runtime started (not counting `spawn_blocking` closures).
    pub fn spawned_tasks(&self) -> u64 {
        self.spawned_tasks
    }

    /// Tasks waiting in the shared queue that tasks spawned or woken from outside the
    /// workers go to.
    pub fn injection_queue_depth(&self) -> usize {
        self.injection_queue_depth
    }

    /// Threads of the blocking pool, busy or idle.
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }

    /// Threads of the blocking pool waiting for work.
    pub fn idle_blocking_threads(&self) -> usize {
        self.idle_blocking_threads
    }

    /// Times the I/O driver waited for (or looked at) events.
    pub fn driver_turns(&self) -> u64 {
        self.driver_turns
    }

    /// I/O events handed to registered fds (wakes of the driver itself not counted).
    pub fn events_dispatched(&self) -> u64 {
        self.events_dispatched
    }

    /// File descriptors registered with the driver now.
    pub fn registered_fds(&self) -> usize {
        self.registered_fds
    }

    /// Timers armed now (sleeps, timeouts and intervals waiting for their deadline).
    pub fn timers(&self) -> usize {
        self.timers
    }

    /// `EPOLL_CTL_DEL` calls that failed when an I/O object was dropped (the fd had been
    /// closed or replaced behind crest's back). Nothing leaks when one fails: the
    /// registration is forgotten anyway and its token can no longer match (ARCHITECTURE.md,
    /// "Tokens and deregistration"); the count says that some code swaps or closes fds
    /// that crest owns.
    pub fn failed_deregistrations(&self) -> u64 {
        self.failed_deregistrations
    }
}

/// One worker's counters, from [`RuntimeMetrics::worker`].
#[derive(Clone, Copy, Debug)]
pub struct WorkerMetrics {
    polls: u64,
    steals: u64,
    parks: u64,
    busy_time: Duration,
    local_queue_depth: usize,
}

impl WorkerMetrics {
    /// Task polls this worker started.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Times this worker took tasks from a sibling's queue (multi-thread only).
    pub fn steals(&self) -> u64 {
        self.steals
    }

    /// Times this worker went to sleep for want of work.
    pub fn parks(&self) -> u64 {
        self.parks
    }

    /// Time this worker spent out of parks: running tasks, looking for work, turning the
    /// driver without waiting.
    pub fn busy_time(&self) -> Duration {
        self.busy_time
    }

    /// Tasks in this worker's own run queue (for a current-thread runtime, as of its last
    /// look at I/O, at least every 61 polls).
    pub fn local_queue_depth(&self) -> usize {
        self.local_queue_depth
    }
}

impl fmt::Display for RuntimeMetrics {
    /// The Prometheus text exposition format: one `# TYPE` comment and one sample per
    /// metric, per-worker metrics labelled `worker="i"` (names in README.md, "Metrics").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let runtime: [(&str, &str, u64); 10] = [
            ("crest_alive_tasks", "gauge", self.alive_tasks as u64),
            ("crest_spawned_tasks_total", "counter", self.spawned_tasks),
            ("crest_injection_queue_depth", "gauge", self.injection_queue_depth as u64),
            ("crest_blocking_threads", "gauge", self.blocking_threads as u64),
            ("crest_idle_blocking_threads", "gauge", self.idle_blocking_threads as u64),
            ("crest_driver_turns_total", "counter", self.driver_turns),
            ("crest_events_dispatched_total", "counter", self.events_dispatched),
            ("crest_registered_fds", "gauge", self.registered_fds as u64),
            ("crest_timers", "gauge", self.timers as u64),
            ("crest_failed_deregistrations_total", "counter", self.failed_deregistrations),
        ];
        for (name, kind, value) in runtime {
            writeln!(f, "# TYPE {name} {kind}\n{name} {value}")?;
        }
        type Field = fn(&WorkerMetrics) -> String;
        let per_worker: [(&str, &str, Field); 5] = [
            ("crest_worker_polls_total", "counter", |w| w.polls.to_string()),
            ("crest_worker_steals_total", "counter", |w| w.steals.to_string()),
            ("crest_worker_parks_total", "counter", |w| w.parks.to_string()),
            ("crest_worker_busy_seconds_total", "counter", |w| format!("{:.6}", w.busy_time.as_secs_f64())),
            ("crest_worker_local_queue_depth", "gauge", |w| w.local_queue_depth.to_string()),
        ];
        for (name, kind, value) in per_worker {
            writeln!(f, "# TYPE {name} {kind}")?;
            for (i, w) in self.workers.iter().enumerate() {
                writeln!(f, "{name}{{worker=\"{i}\"}} {}", value(w))?;
            }
        }
        Ok(())
    }
}
