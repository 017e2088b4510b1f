//! The stall detector: one watchdog thread per runtime that reports a poll running longer
//! than a threshold while it still runs.
//!
//! The workers do nothing for it beyond what the metrics do anyway (`metrics.rs`): a poll
//! stores the worker's poll count and the running task. The watchdog samples both every
//! quarter threshold; a worker whose count and task have not changed since a sample at
//! least a threshold ago is stuck in one poll, and that poll is reported once. The report
//! thus comes between one threshold and one threshold plus two sampling periods (1.5×)
//! after the poll started, and `running_for` is a lower bound, short of the truth by at
//! most one period.
//!
//! While every worker is parked the watchdog sleeps on a condition variable; the first
//! worker that leaves a park wakes it (`Shared::worker_active`, one load on that path).
//!
//! This file must not touch the task cells of tasks it does not know to be alive: it finds
//! the stuck task through the owned-task list, under that list's lock.

use std::fmt;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::metrics::Stats;
use crate::task::header::Header;
use crate::task::Id;

/// What the stall callback is told about a poll that is taking too long.
///
/// ```no_run
/// use std::time::Duration;
/// let rt = crest::runtime::Builder::new_multi_thread()
///     .on_stall(Duration::from_millis(100), |report| {
///         eprintln!("task {} from {} stuck for {:?}", report.task_id(), report.spawned_at(),
///             report.running_for());
///     })
///     .build()?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct StallReport {
    task_id: Id,
    spawned_at: &'static Location<'static>,
    running_for: Duration,
    thread_name: Option<String>,
    threshold: Duration,
}

impl StallReport {
    /// The stuck task.
    pub fn task_id(&self) -> Id {
        self.task_id
    }

    /// Where the stuck task was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// How long the poll has been running at least (it is still running).
    pub fn running_for(&self) -> Duration {
        self.running_for
    }

    /// The name of the worker thread the poll runs on.
    pub fn thread_name(&self) -> Option<&str> {
        self.thread_name.as_deref()
    }
}

impl fmt::Display for StallReport {
    /// The default report's line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "crest: task {} spawned at {}:{} has been running for {} ms on thread {} without \
             yielding (stall threshold {} ms): move blocking work to spawn_blocking",
            self.task_id,
            self.spawned_at.file(),
            self.spawned_at.line(),
            self.running_for.as_millis(),
            self.thread_name.as_deref().unwrap_or("<unnamed>"),
            self.threshold.as_millis(),
        )
    }
}

/// The user's callback.
pub(crate) type Callback = Arc<dyn Fn(&StallReport) + Send + Sync + 'static>;

/// A threshold and what to do on a stall (`Builder::on_stall`).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) threshold: Duration,
    pub(crate) callback: Callback,
}

impl Config {
    /// The default report: one line on stderr.
    pub(crate) fn default_report(threshold: Duration) -> Config {
        Config { threshold, callback: Arc::new(|report: &StallReport| eprintln!("{report}")) }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StallConfig").field("threshold", &self.threshold).finish_non_exhaustive()
    }
}

/// Finds a task's id and spawn location from its header pointer, if it is still alive.
pub(crate) type Lookup = Box<dyn Fn(NonNull<Header>) -> Option<(Id, &'static Location<'static>)> + Send>;

/// What the workers and the runtime share with the watchdog.
pub(crate) struct Shared {
    state: Mutex<WatchState>,
    cond: Condvar,
    /// True while the watchdog sleeps (or is about to) until a worker leaves a park.
    sleeping: AtomicBool,
}

struct WatchState {
    stop: bool,
}

impl Shared {
    /// A worker left a park: wake the watchdog if it sleeps.
    pub(crate) fn worker_active(&self) {
        // SeqCst: pairs with the watchdog's store of `sleeping` and load of `active`.
        if self.sleeping.load(Ordering::SeqCst) {
            let _state = self.lock();
            self.sleeping.store(false, Ordering::SeqCst);
            self.cond.notify_one();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The running watchdog; [`Watchdog::stop`] ends it.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the watchdog remembers of one worker between samples.
#[derive(Clone, Copy)]
struct Sample {
    polls: u64,
    running: *mut Header,
    first_seen: Instant,
    reported: bool,
}

impl Watchdog {
    /// Starts the watchdog thread for the workers of `stats`.
    pub(crate) fn start(
        stats: Arc<Stats>,
        config: Config,
        lookup: Lookup,
        thread_name: String,
    ) -> std::io::Result<Watchdog> {
        let shared = Arc::new(Shared {
            state: Mutex::new(WatchState { stop: false }),
            cond: Condvar::new(),
            sleeping: AtomicBool::new(false),
        });
        let _ = stats.watch.set(shared.clone());
        let inner = shared.clone();
        let thread = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || watch(&stats, &inner, &config, &lookup))?;
        Ok(Watchdog { shared, thread: Some(thread) })
    }

    /// Stops the watchdog and waits for its thread (unless this is that thread: a stall
    /// callback that shuts the runtime down).
    pub(crate) fn stop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.cond.notify_all();
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The watchdog thread's body.
fn watch(stats: &Stats, shared: &Shared, config: &Config, lookup: &Lookup) {
    let period = (config.threshold / 4).max(Duration::from_millis(1));
    let now = Instant::now();
    let idle = Sample { polls: 0, running: std::ptr::null_mut(), first_seen: now, reported: false };
    let mut samples = vec![idle; stats.workers.len()];
    let mut state = shared.lock();
    loop {
        if state.stop {
            return;
        }
        // Sleep until a worker is active: announce it, then look (SeqCst both, against the
        // workers' store of `active` and load of `sleeping`).
        shared.sleeping.store(true, Ordering::SeqCst);
        if stats.workers.iter().all(|w| !w.active.load(Ordering::SeqCst)) {
            while shared.sleeping.load(Ordering::SeqCst) && !state.stop {
                state = shared.cond.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            samples.iter_mut().for_each(|s| s.running = std::ptr::null_mut());
            continue;
        }
        shared.sleeping.store(false, Ordering::SeqCst);
        state = shared.cond.wait_timeout(state, period).unwrap_or_else(|p| p.into_inner()).0;
        if state.stop {
            return;
        }
        drop(state);
        let now = Instant::now();
        for (worker, sample) in stats.workers.iter().zip(samples.iter_mut()) {
            let polls = worker.polls.load(Ordering::Acquire);
            let running = worker.running.load(Ordering::Acquire);
            if running.is_null() || polls != sample.polls || running != sample.running {
                *sample = Sample { polls, running, first_seen: now, reported: false };
                continue;
            }
            let running_for = now.saturating_duration_since(sample.first_seen);
            if sample.reported || running_for < config.threshold {
                continue;
            }
            sample.reported = true;
            let Some(task) = NonNull::new(running) else { continue };
            let Some((task_id, spawned_at)) = lookup(task) else { continue };
            // The same poll still runs: the task found at that address during the lookup
            // was the one being polled (it cannot be freed while its poll runs).
            if worker.polls.load(Ordering::Acquire) != polls
                || worker.running.load(Ordering::Acquire) != running
            {
                continue;
            }
            let thread_name = worker.thread_name.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let report =
                StallReport { task_id, spawned_at, running_for, thread_name, threshold: config.threshold };
            let callback = &config.callback;
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(&report)));
        }
        state = shared.lock();
    }
}
