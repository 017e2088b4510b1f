//! Loom models of the concurrency core (`RUSTFLAGS="--cfg loom"`, run by `scripts/loom`).
//!
//! Each model runs the real code (the task state machine and `raw.rs`, the owned-task
//! list, the park states, the readiness word) on loom's types (`crate::loom`), and loom
//! runs it through every interleaving of its threads up to `LOOM_MAX_PREEMPTIONS`
//! preemptions, checking the asserts, data races on the cells the probes carry, and
//! deadlocks (a wakeup that is lost leaves a thread blocked forever, which loom reports).
//!
//! This file holds what the models share: a probe future that counts its polls and drops,
//! a scheduler that queues into a plain list and counts deallocations, and a fake driver
//! standing in for epoll and the eventfd. The models of the multi-thread scheduler's
//! idle accounting and parking live beside it (`scheduler/multi_thread/loom_tests.rs`),
//! where its private types are visible.

mod park;
mod readiness;
mod task;

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize as StdCounter, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ::loom::cell::UnsafeCell;
use ::loom::sync::{Condvar, Mutex};

use crate::runtime::scheduler::park::{Turn, Unpark};
use crate::task::{new_task, JoinError, JoinHandle, Notified, OwnedTasks, Schedule, Task};

/// Runs `f` under loom with the environment's settings (`LOOM_MAX_PREEMPTIONS`, ...).
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    ::loom::model(f);
}

/// What happened to the probe tasks of one execution. Plain `std` atomics: they are
/// bookkeeping, not part of the protocol under test, so loom need not interleave them.
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) polls: StdCounter,
    pub(crate) future_drops: StdCounter,
    pub(crate) outputs: StdCounter,
    pub(crate) output_drops: StdCounter,
    pub(crate) schedules: StdCounter,
    pub(crate) deallocs: StdCounter,
    /// What [`Step::ReadyIfFlag`] waits for; a model sets it just before it wakes the task.
    pub(crate) flag: AtomicBool,
}

impl Counters {
    pub(crate) fn get(c: &StdCounter) -> usize {
        c.load(SeqCst)
    }
}

/// Where a probe keeps the waker it stashes.
pub(crate) type WakerSlot = Arc<Mutex<Option<Waker>>>;

/// What a probe does on its nth poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Keep a clone of the waker in the probe's slot, return `Pending`.
    Stash,
    /// Return `Pending` without keeping the waker (a wake must come from elsewhere).
    Pending,
    /// Clone the waker into the slot, then return `Ready` (a waker outlives completion).
    StashReady,
    /// Return `Ready`.
    Ready,
    /// `Ready` if [`Counters::flag`] is set, else `Pending`: the model sets the flag, then
    /// wakes, so a wake that lands after this check must lead to another poll.
    ReadyIfFlag,
}

/// A future driven by a script of [`Step`]s; polls past the script's end stay `Pending`.
///
/// Its `cell` is touched on every poll and on drop, and the output carries a cell made
/// by the poll that returned it: loom reports a data race if two threads reach the
/// future or the output without the task's state word ordering them.
pub(crate) struct Probe {
    steps: &'static [Step],
    next: usize,
    counters: Arc<Counters>,
    slot: WakerSlot,
    cell: UnsafeCell<usize>,
}

impl Probe {
    pub(crate) fn new(steps: &'static [Step], counters: &Arc<Counters>, slot: &WakerSlot) -> Probe {
        Probe { steps, next: 0, counters: counters.clone(), slot: slot.clone(), cell: UnsafeCell::new(0) }
    }
}

impl Future for Probe {
    type Output = Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        // SAFETY: a write through loom's cell, which checks that nobody else touches it
        // concurrently; that is what the model tests.
        self.cell.with_mut(|p| unsafe { *p += 1 });
        self.counters.polls.fetch_add(1, SeqCst);
        let mut step = self.steps.get(self.next).copied().unwrap_or(Step::Pending);
        if step == Step::ReadyIfFlag {
            step = if self.counters.flag.load(SeqCst) { Step::Ready } else { Step::Pending };
        }
        self.next += 1;
        if matches!(step, Step::Stash | Step::StashReady) {
            let waker = cx.waker().clone();
            let old = self.slot.lock().unwrap().replace(waker);
            drop(old);
        }
        match step {
            Step::Stash | Step::Pending | Step::ReadyIfFlag => Poll::Pending,
            Step::StashReady | Step::Ready => {
                self.counters.outputs.fetch_add(1, SeqCst);
                Poll::Ready(Output { counters: self.counters.clone(), cell: UnsafeCell::new(0) })
            }
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // SAFETY: as in `poll`.
        self.cell.with_mut(|p| unsafe { *p += 1 });
        self.counters.future_drops.fetch_add(1, SeqCst);
    }
}

/// A probe's output: counts its drops; its cell was made on the thread that polled.
pub(crate) struct Output {
    counters: Arc<Counters>,
    cell: UnsafeCell<usize>,
}

impl Drop for Output {
    fn drop(&mut self) {
        // SAFETY: as in `Probe::poll`.
        self.cell.with_mut(|p| unsafe { *p += 1 });
        self.counters.output_drops.fetch_add(1, SeqCst);
    }
}

/// A scheduler that keeps its run queue in a list. It asserts the invariant that makes
/// "queued once, not twice" true: while one `Notified` of a task exists, no other is made.
pub(crate) struct Sched {
    queue: Mutex<VecDeque<Notified>>,
    pub(crate) owned: OwnedTasks,
    pub(crate) counters: Arc<Counters>,
}

/// The scheduler handle stored in each task: its drop is the task's deallocation. Its
/// cell is touched by `release` (the completing thread) and by the deallocation: loom
/// reports a race if the thread that frees the task did not first acquire everybody's
/// last use of it.
pub(crate) struct TaskSched(Arc<Sched>, UnsafeCell<usize>);

// SAFETY: the cell is written by `release` and by the drop, which the task's state word must
// order; loom checks that they are ordered, which is what the models are for.
unsafe impl Sync for TaskSched {}

impl Drop for TaskSched {
    fn drop(&mut self) {
        // SAFETY: as in `Probe::poll`.
        self.1.with_mut(|p| unsafe { *p += 1 });
        self.0.counters.deallocs.fetch_add(1, SeqCst);
    }
}

impl Schedule for TaskSched {
    fn schedule(&self, task: Notified) {
        self.0.counters.schedules.fetch_add(1, SeqCst);
        let mut queue = self.0.queue.lock().unwrap();
        // Every model has one task, and a `Notified` is made only when none exists.
        assert!(queue.is_empty(), "a task was queued while it was already queued");
        queue.push_back(task);
    }

    fn release(&self, task: &Task) -> Option<Task> {
        // SAFETY: as in `Probe::poll`.
        self.1.with_mut(|p| unsafe { *p += 1 });
        self.0.owned.remove(task)
    }
}

impl Sched {
    pub(crate) fn new() -> Arc<Sched> {
        Arc::new(Sched {
            queue: Mutex::new(VecDeque::new()),
            // Two shards: closing the list shard by shard is part of what the models run.
            owned: OwnedTasks::with_shards(2),
            counters: Arc::default(),
        })
    }

    /// Spawns `probe`: returns its first `Notified` (to run by hand) and its handle.
    pub(crate) fn spawn(self: &Arc<Self>, probe: Probe) -> (Notified, JoinHandle<Output>) {
        let (task, notified, join) = new_task(probe, TaskSched(self.clone(), UnsafeCell::new(0)), None);
        let notified = self.owned.bind(task, notified).expect("the model's list is open");
        (notified, join)
    }

    /// Runs one queued task; false when the queue was empty.
    pub(crate) fn run_one(&self) -> bool {
        let task = self.queue.lock().unwrap().pop_front();
        match task {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        }
    }

    /// Ends a model: runs what is queued, reads the output if the task completed, shuts
    /// the list down (cancelling an idle task in place), and checks that the future, the
    /// output and the allocation were each dropped exactly once.
    pub(crate) fn finish(&self, join: Option<JoinHandle<Output>>) -> Option<Result<(), JoinError>> {
        while self.run_one() {}
        let mut result = None;
        if let Some(mut join) = join {
            result = poll_join(&mut join).map(|r| r.map(drop));
            self.owned.close_and_shutdown_all();
            while self.run_one() {}
            if result.is_none() {
                result = Some(poll_join(&mut join).expect("a shut-down task is complete").map(drop));
            }
        } else {
            self.owned.close_and_shutdown_all();
            while self.run_one() {}
        }
        let c = &self.counters;
        assert_eq!(Counters::get(&c.future_drops), 1, "the future is dropped exactly once");
        assert_eq!(Counters::get(&c.outputs), Counters::get(&c.output_drops), "every output is dropped once");
        assert!(Counters::get(&c.outputs) <= 1);
        assert_eq!(Counters::get(&c.deallocs), 1, "the task is freed exactly once");
        result
    }
}

/// Polls a `JoinHandle` once with a waker that does nothing.
pub(crate) fn poll_join(join: &mut JoinHandle<Output>) -> Option<Result<Output, JoinError>> {
    poll_join_with(join, &futures_task::noop_waker())
}

pub(crate) fn poll_join_with(
    join: &mut JoinHandle<Output>,
    waker: &Waker,
) -> Option<Result<Output, JoinError>> {
    match Pin::new(join).poll(&mut Context::from_waker(waker)) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
pub(crate) struct CountWaker(pub(crate) StdCounter);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// The eventfd of the [`FakeDriver`]: a write is an edge that ends the current or the
/// next wait, and edges that arrive before a wait merge into one, as with an
/// edge-triggered eventfd that is never read.
#[derive(Default)]
pub(crate) struct FakeEventFd {
    edge: Mutex<bool>,
    condvar: Condvar,
}

impl Unpark for FakeEventFd {
    fn unpark(&self) {
        *self.edge.lock().unwrap() = true;
        self.condvar.notify_all();
    }
}

/// Stands in for the driver: `turn(None)` waits for an eventfd edge and for nothing else.
/// The real one may also return for I/O, a timer or a signal; callers already treat such
/// returns as spurious, so leaving them out removes no behaviour that could lose a wakeup.
pub(crate) struct FakeDriver {
    pub(crate) eventfd: Arc<FakeEventFd>,
}

impl FakeDriver {
    pub(crate) fn new() -> FakeDriver {
        FakeDriver { eventfd: Arc::default() }
    }
}

impl Turn for FakeDriver {
    fn turn(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let mut edge = self.eventfd.edge.lock().unwrap();
        if timeout != Some(Duration::ZERO) {
            while !*edge {
                edge = self.eventfd.condvar.wait(edge).unwrap();
            }
        }
        *edge = false;
        Ok(0)
    }
}
