//! Loom models of the multi-thread scheduler's parking (`park.rs`), idle accounting
//! (`idle.rs`) and local queue (`queue.rs`), with the fake driver of `crate::loom_tests`
//! standing in for epoll and the eventfd. Run by `scripts/loom`.
//!
//! # What runs for real, and what is a stand-in
//! `Parker`, `Idle`, `LocalQueue`, `Inject`, the tasks (`task/`) and the driver lock run
//! unchanged. So does the worker's search-and-park protocol, `worker.rs`'s [`Searcher`]:
//! taking from its own queue and its share of the injection queue (`next_queued`,
//! `pop_inject`), stealing (`steal_work`), the last searcher's re-check before it parks
//! (`has_work_anywhere`), the park loop with its searching and parked transitions (`park`),
//! leaving the searching state to run a task (`found_work`), and the local push with its
//! overflow (`push_local`). It is generic over `worker::Shared`, which [`Pool`] implements
//! for the fake driver in place of `mod.rs`'s `Handle`. The victim order is not random
//! here: each worker's `Searcher` is seeded with 0, xorshift's fixed point, so every steal
//! starts at worker 0 and the models stay deterministic.
//!
//! Stand-ins, each a few lines of `mod.rs` or `worker.rs` that `Handle` cannot lend the
//! models, since it owns a real epoll `Driver`: `Pool`'s `notify_parked`, `kick_sleepers`,
//! `shutdown` and park call (each names the one it copies); [`run_worker`], `Worker::run`'s
//! loop less the LIFO slot (private to one worker, so it takes no part in a race), the
//! periodic look at the injection queue and `maintenance` (the fake driver delivers no I/O
//! for it to queue), and the metrics; and `PoolSched`, `worker::schedule`'s and
//! `Handle::schedule_remote`'s choice of queue, made through a loom thread-local rather
//! than the worker's `std` one.
//!
//! loom cannot see inside crossbeam's queues: their `std` atomics run as one indivisible
//! step between two of loom's, so each push or pop is atomic and sequentially consistent
//! (as a lock-prefixed CAS makes them on x86), but loom sees no happens-before edge from a
//! push to the pop that takes the task, and would report the task's state word, made by
//! one thread and read by another, as a data race. `Pool`'s `Shared::with_queues` brackets
//! every queue operation with an `AcqRel` read-modify-write of one loom atomic to give
//! loom that edge (in the real scheduler it is an empty, inlined call).
//!
//! loom's `Condvar::wait_timeout` never times out, so a worker parked on the condition
//! variable comes back only when it is unparked: the models prove that no wakeup of a
//! worker depends on `RECHECK`, which is there only to take over an unattended driver.
//! `Searcher::park` never sees `Woken::Recheck` here; it can see `Woken::Kicked`.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::idle::Idle;
use super::inject::Inject;
use super::park::{DriverWatch, Parker, Woken};
use super::queue::{LocalQueue, CAPACITY};
use super::worker::{push_local, Searcher, Shared};
use crate::loom::sync::TryMutex;
use crate::loom_tests::{model, FakeDriver, FakeEventFd};
use crate::task::{self, Notified, Schedule, Task};
use ::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use ::loom::sync::{Condvar, Mutex};
use ::loom::thread;

/// A worker waits until `work` is set, parking in between. Returns when it is set; an
/// unpark that is lost leaves it parked forever, which loom reports as a deadlock.
fn park_until(parker: &Parker, driver: &TryMutex<FakeDriver>, work: &AtomicBool) {
    // Each model has one worker per driver, or (two_workers_share_the_driver) unparks each
    // worker itself: no kick is needed for a worker to come back, so a watch of its own is
    // enough here. The Pool models share one, with the kicks (`Searcher::park`).
    let watch = DriverWatch::new();
    // Relaxed: the parker's own Acquire must make the work visible.
    while !work.load(Ordering::Relaxed) {
        parker.park(driver, &watch, || {});
    }
}

/// An unpark racing a park in the driver (EMPTY -> PARKED_DRIVER, then the eventfd) is
/// never lost.
#[test]
fn unpark_racing_park_in_the_driver() {
    model(|| {
        let parker = Arc::new(Parker::new());
        let driver = FakeDriver::new();
        let eventfd = driver.eventfd.clone();
        let driver = Arc::new(TryMutex::new(driver));
        let work = Arc::new(AtomicBool::new(false));
        let worker = {
            let (parker, driver, work) = (parker.clone(), driver.clone(), work.clone());
            thread::spawn(move || park_until(&parker, &driver, &work))
        };
        work.store(true, Ordering::Relaxed);
        parker.unpark(&eventfd);
        worker.join().unwrap();
    });
}

/// An unpark racing a park on the condition variable (another thread holds the driver)
/// is never lost, and needs no `RECHECK` timeout to be seen.
#[test]
fn unpark_racing_park_on_the_condvar() {
    model(|| {
        let parker = Arc::new(Parker::new());
        let driver = FakeDriver::new();
        let eventfd = driver.eventfd.clone();
        let driver = Arc::new(TryMutex::new(driver));
        let work = Arc::new(AtomicBool::new(false));
        // Someone else waits in the driver for the whole model.
        let held = driver.lock().unwrap();
        let worker = {
            let (parker, driver, work) = (parker.clone(), driver.clone(), work.clone());
            thread::spawn(move || park_until(&parker, &driver, &work))
        };
        work.store(true, Ordering::Relaxed);
        parker.unpark(&eventfd);
        worker.join().unwrap();
        drop(held);
    });
}

/// Two workers park on one driver: whichever gets the driver's lock waits in it, the other
/// on its condition variable; unparking each brings both back. Covers the hand-off of the
/// driver between parks (the lock is taken with `try_lock` while the other may hold it).
#[test]
fn two_workers_share_the_driver() {
    model(|| {
        let driver = FakeDriver::new();
        let eventfd = driver.eventfd.clone();
        let driver = Arc::new(TryMutex::new(driver));
        let parkers: Arc<[Parker; 2]> = Arc::new([Parker::new(), Parker::new()]);
        let work: Arc<[AtomicBool; 2]> = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let workers: Vec<_> = (0..2)
            .map(|i| {
                let (parkers, driver, work) = (parkers.clone(), driver.clone(), work.clone());
                thread::spawn(move || park_until(&parkers[i], &driver, &work[i]))
            })
            .collect();
        for i in 0..2 {
            work[i].store(true, Ordering::Relaxed);
            parkers[i].unpark(&eventfd);
        }
        for w in workers {
            w.join().unwrap();
        }
    });
}

/// The kick (`park.rs`): a worker that has seen the driver's holder wait in it may sleep
/// on its condvar without a timeout, but never once the holder has left the driver and
/// kicked. Either the worker looked at the watch word before the holder left (it sleeps
/// untimed, and the kick wakes it) or after (it sleeps with a timeout); loom checks that no
/// interleaving of the worker's look with the holder's exit and kick leaves it asleep
/// without a timeout while the driver is unattended, which would freeze I/O for good should
/// the holder block.
#[test]
fn a_sleeper_never_sleeps_untimed_once_the_driver_is_left() {
    model(|| {
        let driver = FakeDriver::new();
        let eventfd = driver.eventfd.clone();
        let driver = Arc::new(TryMutex::new(driver));
        let watch = Arc::new(DriverWatch::new());
        let parker = Arc::new(Parker::new());
        let work = Arc::new(AtomicBool::new(false));
        // This thread is the holder, waiting in the driver; the worker has seen it there.
        let held = driver.lock().unwrap();
        watch.enter();
        parker.set_seen(1);
        let worker = {
            let (parker, driver, watch, work) = (parker.clone(), driver.clone(), watch.clone(), work.clone());
            thread::spawn(move || {
                while !work.load(Ordering::Relaxed) {
                    parker.park(&driver, &watch, || {});
                }
            })
        };
        // The holder leaves the driver in `Parker::park_recheck`'s order: mark it
        // unattended, fence, unlock it, kick.
        watch.leave();
        crate::loom::sync::atomic::fence(Ordering::SeqCst);
        drop(held);
        parker.kick();
        assert!(
            !parker.sleeps_untimed(),
            "a worker sleeps without a timeout while nobody waits in the driver"
        );
        work.store(true, Ordering::Relaxed);
        parker.unpark(&eventfd);
        worker.join().unwrap();
    });
}

/// The scheduler's shared state, as far as the search-and-park protocol sees it (`mod.rs`'s
/// `Handle` with the fake driver): the workers drive `worker.rs`'s [`Searcher`] over it.
struct Pool {
    idle: Idle,
    parkers: Box<[Parker]>,
    queues: Box<[LocalQueue]>,
    inject: Inject,
    driver: TryMutex<FakeDriver>,
    watch: DriverWatch,
    eventfd: Arc<FakeEventFd>,
    is_shutdown: AtomicBool,
    /// See the module docs: the happens-before edges of the crossbeam queues.
    queue_edges: AtomicUsize,
}

::loom::thread_local! {
    /// The index of the worker running on this (loom) thread.
    static CURRENT_WORKER: std::cell::Cell<Option<usize>> = std::cell::Cell::new(None);
}

/// The tasks' scheduler: `worker::schedule` for a yield or spawn (local push, then notify)
/// on a worker, `Handle::schedule_remote` elsewhere. Tasks are not in an owned list here.
struct PoolSched(Arc<Pool>);

impl Schedule for PoolSched {
    fn schedule(&self, task: Notified) {
        let pool = &*self.0;
        match CURRENT_WORKER.with(|c| c.get()) {
            Some(index) => push_local(pool, index, task),
            None => pool.with_queues(|| pool.inject.push(task)),
        }
        pool.notify_parked();
    }

    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

impl Shared for Pool {
    fn idle(&self) -> &Idle {
        &self.idle
    }

    fn inject(&self) -> &Inject {
        &self.inject
    }

    fn queue(&self, index: usize) -> &LocalQueue {
        &self.queues[index]
    }

    fn num_workers(&self) -> usize {
        self.queues.len()
    }

    fn is_shutdown(&self) -> bool {
        self.is_shutdown.load(Ordering::Acquire)
    }

    /// `Handle::notify_parked`.
    fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.parkers[index].unpark(&self.eventfd);
        }
    }

    /// `Handle`'s: the same parker call, over the fake driver.
    fn park(&self, index: usize, recheck: Duration) -> Woken {
        self.parkers[index].park_recheck(&self.driver, &self.watch, recheck, || self.kick_sleepers())
    }

    fn stole(&self, _index: usize) {}

    /// Runs `f`, which only touches the crossbeam queues (and the injection queue), between
    /// two `AcqRel` read-modify-writes of one atomic: a pop that takes a task then happens
    /// after the push that queued it, as with the queue's own Release/Acquire.
    fn with_queues<R>(&self, f: impl FnOnce() -> R) -> R {
        self.queue_edges.fetch_add(1, Ordering::AcqRel);
        let r = f();
        self.queue_edges.fetch_add(1, Ordering::AcqRel);
        r
    }
}

impl Pool {
    fn new(workers: usize) -> Arc<Pool> {
        let driver = FakeDriver::new();
        Arc::new(Pool {
            idle: Idle::new(workers),
            parkers: (0..workers).map(|_| Parker::new()).collect(),
            queues: (0..workers).map(|_| LocalQueue::new()).collect(),
            inject: Inject::new(),
            eventfd: driver.eventfd.clone(),
            driver: TryMutex::new(driver),
            watch: DriverWatch::new(),
            is_shutdown: AtomicBool::new(false),
            queue_edges: AtomicUsize::new(0),
        })
    }

    /// Spawns a task whose every poll calls `f`.
    fn spawn(self: &Arc<Self>, mut f: impl FnMut(&Arc<Pool>) -> Poll<()> + Send + 'static) {
        let pool = self.clone();
        let future = poll_fn(move |_| f(&pool));
        let (task, notified, join) = task::new_task(future, PoolSched(self.clone()), None);
        drop((task, join));
        PoolSched(self.clone()).schedule(notified);
    }

    /// `Handle::kick_sleepers`.
    fn kick_sleepers(&self) {
        for parker in self.parkers.iter() {
            parker.kick();
        }
    }

    /// `Handle::shutdown`, as far as the workers see it.
    fn shutdown(&self) {
        self.is_shutdown.store(true, Ordering::Release);
        for parker in self.parkers.iter() {
            parker.unpark(&self.eventfd);
        }
    }

    /// Runs the workers until a task shuts the pool down; then drops what is left.
    fn run(self: &Arc<Self>) {
        let workers: Vec<_> = (0..self.queues.len())
            .map(|index| {
                let pool = self.clone();
                thread::spawn(move || {
                    CURRENT_WORKER.with(|c| c.set(Some(index)));
                    run_worker(&pool, index);
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        for queue in self.queues.iter() {
            while queue.pop().is_some() {}
        }
        self.inject.drop_all();
    }
}

/// `Worker::run` less what only a real worker has (the LIFO slot, the periodic look at the
/// injection queue and at I/O, the metrics): the same [`Searcher`] calls in the same order.
/// Seed 0 keeps every steal's victims in index order (`Searcher::new`).
fn run_worker(pool: &Pool, index: usize) {
    let mut search = Searcher::new(index, 0);
    while !pool.is_shutdown() {
        if let Some(task) = search.next_queued(pool) {
            search.found_work(pool);
            task.run();
            continue;
        }
        if let Some(task) = search.steal_work(pool) {
            search.found_work(pool);
            task.run();
            continue;
        }
        search.park(pool);
    }
}

/// A task spawned from outside the workers (the injection queue) while both workers go
/// idle and park, one of them as the last searcher: some worker always comes for it. The
/// task shuts the pool down, so a lost notification leaves both workers parked forever,
/// which loom reports as a deadlock.
#[test]
fn remote_spawn_while_workers_park_is_never_stranded() {
    model(|| {
        let pool = Pool::new(2);
        let spawner = {
            let pool = pool.clone();
            thread::spawn(move || {
                pool.spawn(|pool| {
                    pool.shutdown();
                    Poll::Ready(())
                })
            })
        };
        pool.run();
        spawner.join().unwrap();
    });
}

/// A task spawns another onto its own worker's queue and then blocks its thread until the
/// other has run (a task that blocks a worker): the sibling worker, which is searching or
/// parking meanwhile, must be woken or find it by itself, and steal it.
#[test]
fn work_queued_behind_a_blocked_worker_is_stolen() {
    model(|| {
        let pool = Pool::new(2);
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let blocker_done = done.clone();
        let mut spawned = false;
        pool.spawn(move |pool| {
            if !spawned {
                spawned = true;
                let done = blocker_done.clone();
                pool.spawn(move |_| {
                    *done.0.lock().unwrap() = true;
                    done.1.notify_one();
                    Poll::Ready(())
                });
            }
            let mut ran = blocker_done.0.lock().unwrap();
            while !*ran {
                ran = blocker_done.1.wait(ran).unwrap();
            }
            drop(ran);
            pool.shutdown();
            Poll::Ready(())
        });
        pool.run();
        assert!(*done.0.lock().unwrap());
    });
}

/// A task that counts its runs in `runs` (a plain std atomic: loom need not see it), not
/// bound to any list, returned ready to queue.
fn counting_task(pool: &Arc<Pool>, runs: &Arc<std::sync::atomic::AtomicUsize>) -> Notified {
    let runs = runs.clone();
    let future = poll_fn(move |_| {
        runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Poll::Ready(())
    });
    let (task, notified, join) = task::new_task(future, PoolSched(pool.clone()), None);
    drop((task, join));
    notified
}

/// Runs whatever is left in the local queues and the injection queue (after the model's
/// threads are joined) and returns how many tasks have run in all.
fn run_the_rest(pool: &Pool, runs: &std::sync::atomic::AtomicUsize) -> usize {
    for queue in pool.queues.iter() {
        while let Some(task) = queue.pop() {
            task.run();
        }
    }
    while let Some(task) = pool.inject.pop() {
        task.run();
    }
    runs.load(std::sync::atomic::Ordering::SeqCst)
}

/// A thief steals half of a worker's queue while the owner pops from it, with the thief's
/// own queue full so that the loot overflows to the injection queue: every task is run
/// exactly once, none is lost. (loom cannot see inside crossbeam's `ArrayQueue`: each of
/// its operations is one indivisible step here, so this checks `steal_into`'s protocol
/// and the tasks' hand-over between threads, not the ring's own atomics.)
#[test]
fn steal_racing_pop_loses_and_duplicates_nothing() {
    model(|| {
        let pool = Pool::new(2);
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for (queue, n) in [(0, 3), (1, CAPACITY)] {
            for _ in 0..n {
                pool.queues[queue].push(counting_task(&pool, &runs)).unwrap_or_else(|_| panic!("queue full"));
            }
        }
        let owner = {
            let pool = pool.clone();
            thread::spawn(move || {
                while let Some(task) = pool.queues[0].pop() {
                    task.run();
                }
            })
        };
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || {
                if let Some(task) = pool.queues[0].steal_into(&pool.queues[1], |t| pool.inject.push(t)) {
                    task.run();
                }
            })
        };
        owner.join().unwrap();
        thief.join().unwrap();
        assert_eq!(run_the_rest(&pool, &runs), 3 + CAPACITY);
    });
}

/// A burst that overflows a worker's local queue into the injection queue (half of the
/// queue and the new task, under one lock) while another worker takes its share of the
/// injection queue into its own queue (under one lock): every task is run exactly once.
#[test]
fn overflow_racing_a_batched_take_loses_and_duplicates_nothing() {
    model(|| {
        let pool = Pool::new(2);
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        // Worker 0's queue is full, and one task already waits in the injection queue.
        for _ in 0..CAPACITY {
            pool.queues[0].push(counting_task(&pool, &runs)).unwrap_or_else(|_| panic!("queue full"));
        }
        pool.inject.push(counting_task(&pool, &runs));
        let last = counting_task(&pool, &runs);
        let spawner = {
            let pool = pool.clone();
            thread::spawn(move || push_local(&*pool, 0, last))
        };
        let taker = {
            let pool = pool.clone();
            thread::spawn(move || {
                if let Some(task) = Searcher::new(1, 0).pop_inject(&*pool) {
                    task.run();
                }
            })
        };
        spawner.join().unwrap();
        taker.join().unwrap();
        assert_eq!(run_the_rest(&pool, &runs), CAPACITY + 2);
    });
}
