//! `Builder`: how a runtime is configured.

use std::io;
use std::time::Duration;

use super::scheduler::blocking;
use super::scheduler::{self, current_thread, multi_thread};
use super::{stall, Runtime, StallReport};
use crate::driver::{self, Driver};

/// Which scheduler to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    CurrentThread,
    MultiThread,
}

/// Builds a [`Runtime`] with custom settings.
///
/// ```
/// let rt = crest::runtime::Builder::new_current_thread().build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    kind: Kind,
    worker_threads: Option<usize>,
    thread_name: String,
    max_blocking_threads: usize,
    thread_keep_alive: Duration,
    timer_slack: Option<Duration>,
    precise_timeouts: bool,
    event_interval: u32,
    global_queue_interval: u32,
    stall: Option<stall::Config>,
}

impl Builder {
    fn new(kind: Kind) -> Builder {
        Builder {
            kind,
            worker_threads: None,
            thread_name: "crest-worker".to_string(),
            max_blocking_threads: 512,
            thread_keep_alive: Duration::from_secs(10),
            timer_slack: Some(Duration::from_micros(1)),
            precise_timeouts: true,
            event_interval: 61,
            global_queue_interval: 31,
            stall: None,
        }
    }

    /// A runtime whose tasks all run on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Kind::CurrentThread)
    }

    /// A runtime with a pool of worker threads that steal work from each other.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Kind::MultiThread)
    }

    /// The number of worker threads of a multi-thread runtime (default: the available
    /// parallelism). Ignored by a current-thread runtime.
    ///
    /// # Panics
    /// When `n` is zero: a runtime needs at least one worker.
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "worker_threads must be at least 1");
        self.worker_threads = Some(n);
        self
    }

    /// The name of every runtime thread (workers and the blocking pool); a suffix such as
    /// `-0` or `-blocking-3` follows. Default: `crest-worker`.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// The most threads the blocking pool may start (default 512).
    ///
    /// # Panics
    /// When `n` is zero.
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "max_blocking_threads must be at least 1");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before it exits (default 10 s).
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.thread_keep_alive = keep_alive;
        self
    }

    /// The timer slack of the threads that wait in the driver: how late the kernel may
    /// wake them so that it can batch wakeups (`prctl(PR_SET_TIMERSLACK)`). The kernel's
    /// default, 50µs, makes a 200µs sleep overshoot by about 90µs; crest's default is 1µs.
    /// `None` leaves the threads' slack alone. On the thread that calls `block_on`, the
    /// previous slack is restored when `block_on` returns.
    pub fn timer_slack(&mut self, slack: Option<Duration>) -> &mut Builder {
        self.timer_slack = slack;
        self
    }

    /// Whether the driver waits with nanosecond timeouts (`epoll_pwait2`, Linux 5.11+;
    /// the default) or with `epoll_wait`, whose millisecond timeouts crest rounds up. On
    /// kernels without `epoll_pwait2` the fallback is used whatever this says; `false`
    /// forces it, to test it.
    pub fn precise_timeouts(&mut self, precise: bool) -> &mut Builder {
        self.precise_timeouts = precise;
        self
    }

    /// How many tasks a worker runs between two non-blocking looks at I/O and timers
    /// (default 61).
    ///
    /// # Panics
    /// When `n` is zero.
    pub fn event_interval(&mut self, n: u32) -> &mut Builder {
        assert!(n > 0, "event_interval must be at least 1");
        self.event_interval = n;
        self
    }

    /// Every how many tasks a worker takes from the shared injection queue first, so that
    /// tasks spawned from outside cannot starve (default 31).
    ///
    /// # Panics
    /// When `n` is zero.
    pub fn global_queue_interval(&mut self, n: u32) -> &mut Builder {
        assert!(n > 0, "global_queue_interval must be at least 1");
        self.global_queue_interval = n;
        self
    }

    /// Reports every poll that runs longer than `threshold` with one line on stderr, while
    /// it still runs: the task's id and spawn location, the worker thread, and how long it
    /// has been running. A poll that long blocks its worker (a blocking call, a long
    /// computation): move that work to `spawn_blocking`.
    ///
    /// One watchdog thread per runtime samples the workers every quarter threshold (and
    /// sleeps while they are all parked), so a stall is reported between 1 and 1.5
    /// thresholds after the poll started. Off by default.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = crest::runtime::Builder::new_multi_thread()
    ///     .stall_threshold(Duration::from_millis(100))
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn stall_threshold(&mut self, threshold: Duration) -> &mut Builder {
        self.stall = Some(stall::Config::default_report(threshold));
        self
    }

    /// Like [`stall_threshold`](Self::stall_threshold), but calls `f` with each report
    /// instead of printing it (on the watchdog thread; once per stalled poll).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = crest::runtime::Builder::new_current_thread()
    ///     .on_stall(Duration::from_millis(50), |report| {
    ///         eprintln!("stalled: {report}");
    ///     })
    ///     .build()?;
    /// # std::io::Result::Ok(())
    /// ```
    pub fn on_stall(
        &mut self,
        threshold: Duration,
        f: impl Fn(&StallReport) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.stall = Some(stall::Config { threshold, callback: std::sync::Arc::new(f) });
        self
    }

    /// Creates the runtime.
    ///
    /// # Errors
    /// When the epoll instance or the eventfd cannot be created (out of descriptors), or
    /// a worker thread cannot be started.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let driver = Driver::new(driver::Config { precise_timeouts: self.precise_timeouts })?;
        let blocking = blocking::Spawner::new(blocking::Config {
            max_threads: self.max_blocking_threads,
            keep_alive: self.thread_keep_alive,
            thread_name: self.thread_name.clone(),
            timer_slack: self.timer_slack,
        });
        let handle = match self.kind {
            Kind::CurrentThread => {
                let config = current_thread::Config {
                    event_interval: self.event_interval,
                    global_queue_interval: self.global_queue_interval,
                };
                scheduler::Handle::CurrentThread(current_thread::Handle::new(driver, blocking, config))
            }
            Kind::MultiThread => {
                let workers = self
                    .worker_threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
                let config = multi_thread::Config {
                    worker_threads: workers,
                    thread_name: self.thread_name.clone(),
                    event_interval: self.event_interval,
                    global_queue_interval: self.global_queue_interval,
                    timer_slack: self.timer_slack,
                };
                multi_thread::Handle::start(driver, blocking, config, |h| {
                    scheduler::Handle::MultiThread(h.clone())
                })?
            }
        };
        let runtime = Runtime::from_parts(handle, self.timer_slack);
        if let Some(stall) = self.stall.clone() {
            let name = format!("{}-watchdog", self.thread_name);
            // On failure `runtime` drops here, which shuts it down.
            runtime.handle.inner.start_watchdog(stall, name)?;
        }
        Ok(runtime)
    }
}
