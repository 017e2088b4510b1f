//! Micro-benchmarks: crest, tokio and smol side by side in one run, on the paths where user
//! space dominates (spawning, waking, scheduling, one small I/O round trip).
//!
//! ```text
//! cargo bench -p crest-benches --bench micro                 # every group, 2 rounds
//! CREST_BENCH_QUICK=1 cargo bench -p crest-benches --bench micro   # 1 short round (smoke test)
//! CREST_BENCH_ROUNDS=3 cargo bench -p crest-benches --bench micro -- pingpong   # a filter
//! # one workload on one runtime, no criterion: for callgrind, strace -c, /usr/bin/time
//! CREST_MICRO_PROFILE=spawn_join_10k/crest-ct/20 valgrind --tool=callgrind target/release/deps/micro-*
//! ```
//!
//! | group | what one iteration does |
//! | --- | --- |
//! | `spawn_join_10k` | spawns 10,000 tasks that return a number, then awaits every handle |
//! | `yield_storm_100x100` | 100 tasks, each yielding 100 times |
//! | `pingpong_same_thread_1k` | 1,000 round trips between two tasks on a current-thread runtime |
//! | `pingpong_2_workers_1k` | the same two tasks on a 2-worker multi-thread runtime (the scheduler places them) |
//! | `pingpong_2_runtimes_1k` | the same two tasks on two current-thread runtimes on two threads: every wake crosses threads |
//! | `pingpong_channel_only_1k` | the channel operations of 1,000 round trips polled by hand, no runtime: the floor under the ping-pongs |
//! | `remote_wake_200` | a plain thread wakes a task 200 times, one at a time (the task acks each over `std::sync::mpsc`) |
//! | `unix_rtt_200` | 200 one-byte round trips over a Unix socket pair, an echo task on the other end |
//!
//! Every ping-pong and wake goes through [`crest_benches::slot_channel`], one `Mutex` and
//! one waker, the same code for all runtimes. The runtimes: crest and tokio, current-thread
//! (`-ct`) and multi-thread with 2 workers (`-mt`); smol as a `LocalExecutor` on the calling
//! thread (`smol-ct`) and as an `Executor` run by 2 threads (`smol-mt`). On the multi-thread
//! runtimes the work runs in a spawned root task, as it does in a server, so that spawns and
//! wakes take the workers' own paths rather than the injection from outside.
//!
//! Each group runs `CREST_BENCH_ROUNDS` times (2 by default), the runtimes in alternating order
//! (A B C, then C B A), and after criterion is done a table prints each runtime's median
//! time per item and its speed relative to tokio of the same flavor: the median, over
//! rounds, of `tokio time / runtime time` measured in that round (2.00 = twice as fast as tokio),
//! with the lowest and highest round beside it: on a shared machine the spread is the noise.
//! Criterion's own command-line options (`--warm-up-time`, `--measurement-time`,
//! `--sample-size`, a filter) apply.

use std::cell::RefCell;
use std::fmt::Debug;
use std::future::Future;
use std::hint::black_box;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, SystemTime};

use crest_benches::{criterion_dir, criterion_estimate, fmt_ns, median, slot_channel};
use criterion::{BenchmarkId, Criterion, SamplingMode};

// ---------------------------------------------------------------------------------------------
// The runtimes under test, behind one trait.

/// A runtime under test. `spawn` works from inside `run` (and from the tasks it spawns),
/// through the runtime's own thread-local context; smol has none, so its adapters keep
/// their executor in a thread-local of ours (one TLS access per spawn, as in the others).
trait Rt: Sync {
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Runs `future` to completion: on this thread for a current-thread runtime, as a
    /// spawned task (this thread waiting for it) for a multi-thread one.
    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The runtime's own `yield_now` (tokio's defers the wake to its next driver poll; crest
    /// and smol requeue the task at once).
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// `n` one-byte round trips over a Unix socket pair, with the runtime's own socket type
    /// on both ends and an echo task on one of them.
    fn unix_rtt(n: usize) -> impl Future<Output = ()> + Send + 'static;
}

/// A `JoinHandle` whose `Result` is unwrapped: a panic in a benchmark task is a bug.
struct Joined<H>(H);

impl<H, T, E> Future for Joined<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: Debug,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.expect("benchmark task failed"))
    }
}

/// crest with one flavor: `MT` is a 2-worker multi-thread runtime whose work runs in a
/// spawned root task, otherwise a current-thread runtime running the work on this thread.
struct Crest<const MT: bool>(crest::runtime::Runtime);
type CrestCt = Crest<false>;
type CrestMt = Crest<true>;

impl<const MT: bool> Crest<MT> {
    fn new() -> Self {
        let mut builder = if MT {
            let mut b = crest::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        } else {
            crest::runtime::Builder::new_current_thread()
        };
        Crest(builder.build().expect("crest runtime"))
    }
}

impl<const MT: bool> Rt for Crest<MT> {
    type Join<T: Send + 'static> = Joined<crest::task::JoinHandle<T>>;

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Joined(crest::spawn(future))
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if MT {
            self.0.block_on(Joined(self.0.spawn(future)))
        } else {
            self.0.block_on(future)
        }
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        crest::task::yield_now()
    }

    fn unix_rtt(n: usize) -> impl Future<Output = ()> + Send + 'static {
        crest_unix_rtt::<Self>(n)
    }
}

/// tokio with one flavor, as [`Crest`]. Both have their I/O driver and timers on
/// (`enable_all`), as a real program has and as crest always does.
struct Tokio<const MT: bool>(tokio::runtime::Runtime);
type TokioCt = Tokio<false>;
type TokioMt = Tokio<true>;

impl<const MT: bool> Tokio<MT> {
    fn new() -> Self {
        let mut builder = if MT {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(2);
            b
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        Tokio(builder.enable_all().build().expect("tokio"))
    }
}

impl<const MT: bool> Rt for Tokio<MT> {
    type Join<T: Send + 'static> = Joined<tokio::task::JoinHandle<T>>;

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Joined(tokio::spawn(future))
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if MT {
            self.0.block_on(Joined(self.0.spawn(future)))
        } else {
            self.0.block_on(future)
        }
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn unix_rtt(n: usize) -> impl Future<Output = ()> + Send + 'static {
        tokio_unix_rtt::<Self>(n)
    }
}

thread_local! {
    /// smol-ct's executor: one per thread, run by `SmolCt::run` on the calling thread.
    static SMOL_LOCAL: smol::LocalExecutor<'static> = const { smol::LocalExecutor::new() };
    /// smol-mt's executor, set on each of its worker threads.
    static SMOL_SHARED: RefCell<Option<Arc<smol::Executor<'static>>>> = const { RefCell::new(None) };
}

/// smol on one thread: a `LocalExecutor` driven by `smol::block_on` (which runs the reactor).
struct SmolCt;

impl Rt for SmolCt {
    type Join<T: Send + 'static> = smol::Task<T>;

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SMOL_LOCAL.with(|ex| ex.spawn(future))
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SMOL_LOCAL.with(|ex| smol::block_on(ex.run(future)))
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }

    fn unix_rtt(n: usize) -> impl Future<Output = ()> + Send + 'static {
        smol_unix_rtt::<Self>(n)
    }
}

/// smol on 2 threads, set up the way smol's documentation shows: each thread runs the shared
/// `Executor` inside `smol::block_on` until told to stop.
struct SmolMt {
    ex: Arc<smol::Executor<'static>>,
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl SmolMt {
    fn new() -> SmolMt {
        let ex = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::unbounded::<()>();
        let threads = (0..2)
            .map(|i| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || {
                        SMOL_SHARED.with(|s| *s.borrow_mut() = Some(ex.clone()));
                        let _ = smol::block_on(ex.run(stopped.recv()));
                    })
                    .expect("smol worker thread")
            })
            .collect();
        SmolMt { ex, stop: Some(stop), threads }
    }
}

impl Drop for SmolMt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Rt for SmolMt {
    type Join<T: Send + 'static> = smol::Task<T>;

    fn spawn<F>(future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SMOL_SHARED.with(|s| s.borrow().as_ref().expect("smol-mt spawn off its workers").spawn(future))
    }

    fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol::block_on(self.ex.spawn(future))
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }

    fn unix_rtt(n: usize) -> impl Future<Output = ()> + Send + 'static {
        smol_unix_rtt::<Self>(n)
    }
}

// ---------------------------------------------------------------------------------------------
// The workloads, written once for every runtime.

async fn spawn_join<R: Rt>(n: usize) -> u64 {
    let handles: Vec<_> = (0..n as u64).map(|i| R::spawn(async move { black_box(i) })).collect();
    let mut sum = 0;
    for h in handles {
        sum += h.await;
    }
    sum
}

async fn yield_storm<R: Rt>(tasks: usize, yields: usize) {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            R::spawn(async move {
                for _ in 0..yields {
                    R::yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await;
    }
}

/// The echoing half of a ping-pong: returns each number it receives until the sender goes.
async fn pong(ping: crest_benches::Receiver<u32>, pong: crest_benches::Sender<u32>) {
    while let Some(v) = ping.recv().await {
        pong.send(v).await;
    }
}

/// The driving half of a ping-pong: `rounds` round trips.
async fn ping(rounds: u32, ping: crest_benches::Sender<u32>, pong: crest_benches::Receiver<u32>) {
    for i in 0..rounds {
        ping.send(i).await;
        let back = pong.recv().await;
        debug_assert_eq!(back, Some(i));
    }
}

async fn pingpong<R: Rt>(rounds: u32) {
    let (ping_tx, ping_rx) = slot_channel();
    let (pong_tx, pong_rx) = slot_channel();
    let echo = R::spawn(pong(ping_rx, pong_tx));
    let driver = R::spawn(ping(rounds, ping_tx, pong_rx));
    driver.await;
    echo.await;
}

/// The ping-pong's channel operations, in the order one round trip makes them, polled by
/// hand with a no-op waker: what every runtime's ping-pong costs before the runtime does
/// anything (no task, no queue, no wake). The floor under `pingpong_*`.
fn channel_only(rounds: u32) {
    use std::pin::pin;
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let (ping_tx, ping_rx) = slot_channel::<u32>();
    let (pong_tx, pong_rx) = slot_channel::<u32>();
    for i in 0..rounds {
        // The pinging task: send, then a receive that finds nothing and parks.
        assert!(pin!(ping_tx.send(i)).poll(&mut cx).is_ready());
        let mut back = pin!(pong_rx.recv());
        assert!(back.as_mut().poll(&mut cx).is_pending());
        // The echoing task: the receive that finds the value, the send back, and the
        // next receive, which parks.
        assert_eq!(pin!(ping_rx.recv()).poll(&mut cx), Poll::Ready(Some(i)));
        assert!(pin!(pong_tx.send(i)).poll(&mut cx).is_ready());
        assert!(pin!(ping_rx.recv()).poll(&mut cx).is_pending());
        // The pinging task again: its receive finds the reply.
        assert_eq!(back.as_mut().poll(&mut cx), Poll::Ready(Some(i)));
    }
}

/// The group of [`channel_only`]: one column, `none`.
const CHANNEL_ONLY: &str = "pingpong_channel_only_1k";

fn channel_only_group(c: &mut Criterion, round: usize) {
    let mut g = c.benchmark_group(CHANNEL_ONLY);
    g.bench_function(BenchmarkId::new("none", round), |b| b.iter(|| channel_only(1000)));
    g.finish();
}

/// One half of the ping-pong on each of two runtimes, each driven by its own thread.
fn pingpong_two_runtimes<R: Rt>(a: &R, b: &R, rounds: u32) {
    let (ping_tx, ping_rx) = slot_channel();
    let (pong_tx, pong_rx) = slot_channel();
    thread::scope(|s| {
        s.spawn(|| b.run(pong(ping_rx, pong_tx)));
        a.run(ping(rounds, ping_tx, pong_rx));
    });
}

type Job = Box<dyn FnOnce() + Send>;

/// A plain thread (no runtime) that runs the jobs it is sent, started once.
fn plain_thread() -> &'static Mutex<mpsc::Sender<Job>> {
    static PLAIN: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    PLAIN.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("plain-waker".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("plain thread");
        Mutex::new(tx)
    })
}

/// `n` times: the task tells the plain thread to go on (std mpsc, identical for all), the
/// plain thread puts a value in the slot and wakes the task, the task takes it.
async fn remote_wake(n: u32) {
    let (tx, rx) = slot_channel::<u32>();
    let (go, gone) = mpsc::channel::<()>();
    plain_thread()
        .lock()
        .unwrap()
        .send(Box::new(move || {
            for i in 0..n {
                if gone.recv().is_err() {
                    return;
                }
                tx.try_send(i).expect("the task takes each value before asking for the next");
            }
        }))
        .expect("plain thread alive");
    for i in 0..n {
        go.send(()).expect("plain thread alive");
        let v = rx.recv().await;
        debug_assert_eq!(v, Some(i));
    }
}

async fn crest_unix_rtt<R: Rt>(n: usize) {
    use crest::io::{AsyncReadExt, AsyncWriteExt};
    let (a, b) = UnixStream::pair().expect("socketpair");
    let mut a = crest::io::Async::new(a).expect("register");
    let mut b = crest::io::Async::new(b).expect("register");
    let echo = R::spawn(async move {
        let mut buf = [0u8; 1];
        for _ in 0..n {
            b.read_exact(&mut buf).await.expect("echo read");
            b.write_all(&buf).await.expect("echo write");
        }
    });
    let mut buf = [0u8; 1];
    for i in 0..n {
        a.write_all(&[i as u8]).await.expect("write");
        a.read_exact(&mut buf).await.expect("read");
    }
    echo.await;
}

async fn tokio_unix_rtt<R: Rt>(n: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut a, mut b) = tokio::net::UnixStream::pair().expect("socketpair");
    let echo = R::spawn(async move {
        let mut buf = [0u8; 1];
        for _ in 0..n {
            b.read_exact(&mut buf).await.expect("echo read");
            b.write_all(&buf).await.expect("echo write");
        }
    });
    let mut buf = [0u8; 1];
    for i in 0..n {
        a.write_all(&[i as u8]).await.expect("write");
        a.read_exact(&mut buf).await.expect("read");
    }
    echo.await;
}

async fn smol_unix_rtt<R: Rt>(n: usize) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let (mut a, mut b) = smol::Async::<UnixStream>::pair().expect("socketpair");
    let echo = R::spawn(async move {
        let mut buf = [0u8; 1];
        for _ in 0..n {
            b.read_exact(&mut buf).await.expect("echo read");
            b.write_all(&buf).await.expect("echo write");
        }
    });
    let mut buf = [0u8; 1];
    for i in 0..n {
        a.write_all(&[i as u8]).await.expect("write");
        a.read_exact(&mut buf).await.expect("read");
    }
    echo.await;
}

// ---------------------------------------------------------------------------------------------
// The groups.

/// Everything one round needs: two of each current-thread runtime (the second for the
/// two-runtime ping-pong) and one of each multi-thread runtime.
struct Runtimes {
    crest_ct: CrestCt,
    crest_ct2: CrestCt,
    crest_mt: CrestMt,
    tokio_ct: TokioCt,
    tokio_ct2: TokioCt,
    tokio_mt: TokioMt,
    smol_mt: SmolMt,
}

/// The columns of the tables, in the order of a round's first pass.
const RUNTIMES: [&str; 6] = ["crest-ct", "tokio-ct", "smol-ct", "crest-mt", "tokio-mt", "smol-mt"];

/// A workload with the flavors it runs on.
trait Workload {
    const GROUP: &'static str;
    /// Work items per iteration, for the "per item" column.
    const ITEMS: usize;
    const CURRENT_THREAD: bool = true;
    const MULTI_THREAD: bool = true;
    /// Runs one iteration; `second` is a second runtime of the same kind (current-thread
    /// only), for workloads that need two threads each driving its own runtime.
    fn run<R: Rt + 'static>(rt: &R, second: &R);
}

struct SpawnJoin;
impl Workload for SpawnJoin {
    const GROUP: &'static str = "spawn_join_10k";
    const ITEMS: usize = 10_000;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        black_box(rt.run(spawn_join::<R>(Self::ITEMS)));
    }
}

struct YieldStorm;
impl Workload for YieldStorm {
    const GROUP: &'static str = "yield_storm_100x100";
    const ITEMS: usize = 100 * 100;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        rt.run(yield_storm::<R>(100, 100));
    }
}

struct PingPongSameThread;
impl Workload for PingPongSameThread {
    const GROUP: &'static str = "pingpong_same_thread_1k";
    const ITEMS: usize = 1_000;
    const MULTI_THREAD: bool = false;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        rt.run(pingpong::<R>(Self::ITEMS as u32));
    }
}

struct PingPongWorkers;
impl Workload for PingPongWorkers {
    const GROUP: &'static str = "pingpong_2_workers_1k";
    const ITEMS: usize = 1_000;
    const CURRENT_THREAD: bool = false;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        rt.run(pingpong::<R>(Self::ITEMS as u32));
    }
}

struct PingPongRuntimes;
impl Workload for PingPongRuntimes {
    const GROUP: &'static str = "pingpong_2_runtimes_1k";
    const ITEMS: usize = 1_000;
    const MULTI_THREAD: bool = false;
    fn run<R: Rt + 'static>(rt: &R, second: &R) {
        pingpong_two_runtimes(rt, second, Self::ITEMS as u32);
    }
}

struct RemoteWake;
impl Workload for RemoteWake {
    const GROUP: &'static str = "remote_wake_200";
    const ITEMS: usize = 200;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        rt.run(remote_wake(Self::ITEMS as u32));
    }
}

struct UnixRoundTrip;
impl Workload for UnixRoundTrip {
    const GROUP: &'static str = "unix_rtt_200";
    const ITEMS: usize = 200;
    fn run<R: Rt + 'static>(rt: &R, _: &R) {
        rt.run(R::unix_rtt(Self::ITEMS));
    }
}

fn group<W: Workload>(c: &mut Criterion, rts: &Runtimes, round: usize) {
    let mut g = c.benchmark_group(W::GROUP);
    // Iterations take 0.1 to 20 ms: flat sampling keeps the sample count and the time bounded.
    g.sampling_mode(SamplingMode::Flat);
    let mut order = RUNTIMES.to_vec();
    // Odd rounds in table order, even rounds backwards: drift hits every runtime alike.
    if round % 2 != 1 {
        order.reverse();
    }
    for name in order {
        let id = BenchmarkId::new(name, round);
        match name {
            "crest-ct" if W::CURRENT_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&rts.crest_ct, &rts.crest_ct2)));
            }
            "tokio-ct" if W::CURRENT_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&rts.tokio_ct, &rts.tokio_ct2)));
            }
            "smol-ct" if W::CURRENT_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&SmolCt, &SmolCt)));
            }
            "crest-mt" if W::MULTI_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&rts.crest_mt, &rts.crest_mt)));
            }
            "tokio-mt" if W::MULTI_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&rts.tokio_mt, &rts.tokio_mt)));
            }
            "smol-mt" if W::MULTI_THREAD => {
                g.bench_function(id, |b| b.iter(|| W::run(&rts.smol_mt, &rts.smol_mt)));
            }
            _ => {}
        }
    }
    g.finish();
}

/// Every group, with its work items per iteration.
const GROUPS: [(&str, usize); 7] = [
    (SpawnJoin::GROUP, SpawnJoin::ITEMS),
    (YieldStorm::GROUP, YieldStorm::ITEMS),
    (PingPongSameThread::GROUP, PingPongSameThread::ITEMS),
    (PingPongWorkers::GROUP, PingPongWorkers::ITEMS),
    (PingPongRuntimes::GROUP, PingPongRuntimes::ITEMS),
    (RemoteWake::GROUP, RemoteWake::ITEMS),
    (UnixRoundTrip::GROUP, UnixRoundTrip::ITEMS),
];

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| v != "0")
}

/// `CREST_MICRO_PROFILE=group/runtime/iterations`: runs that workload on that runtime, no
/// criterion, for `valgrind --tool=callgrind` or `strace -c` (see BENCHMARKS.md).
fn profile(spec: &str) {
    let parts: Vec<&str> = spec.split('/').collect();
    let [group, runtime, iters] = parts[..] else {
        panic!("CREST_MICRO_PROFILE takes group/runtime/iterations, e.g. spawn_join_10k/crest-ct/20");
    };
    let iters: usize = iters.parse().expect("iterations: a number");
    fn go<W: Workload>(runtime: &str, iters: usize) {
        fn each<W: Workload, R: Rt + 'static>(a: &R, b: &R, iters: usize) {
            for _ in 0..iters {
                W::run(a, b);
            }
        }
        match runtime {
            "crest-ct" => each::<W, _>(&CrestCt::new(), &CrestCt::new(), iters),
            "crest-mt" => each::<W, _>(&CrestMt::new(), &CrestMt::new(), iters),
            "tokio-ct" => each::<W, _>(&TokioCt::new(), &TokioCt::new(), iters),
            "tokio-mt" => each::<W, _>(&TokioMt::new(), &TokioMt::new(), iters),
            "smol-ct" => each::<W, _>(&SmolCt, &SmolCt, iters),
            "smol-mt" => {
                let rt = SmolMt::new();
                each::<W, _>(&rt, &rt, iters)
            }
            other => panic!("unknown runtime {other}: one of {RUNTIMES:?}"),
        }
    }
    match group {
        SpawnJoin::GROUP => go::<SpawnJoin>(runtime, iters),
        YieldStorm::GROUP => go::<YieldStorm>(runtime, iters),
        PingPongSameThread::GROUP => go::<PingPongSameThread>(runtime, iters),
        PingPongWorkers::GROUP => go::<PingPongWorkers>(runtime, iters),
        PingPongRuntimes::GROUP => go::<PingPongRuntimes>(runtime, iters),
        RemoteWake::GROUP => go::<RemoteWake>(runtime, iters),
        UnixRoundTrip::GROUP => go::<UnixRoundTrip>(runtime, iters),
        CHANNEL_ONLY => (0..iters).for_each(|_| channel_only(1000)),
        other => panic!("unknown group {other}: one of {:?}", GROUPS.map(|g| g.0)),
    }
}

fn main() {
    if let Ok(spec) = std::env::var("CREST_MICRO_PROFILE") {
        profile(&spec);
        return;
    }
    let started = SystemTime::now();
    let quick = env_flag("CREST_BENCH_QUICK");
    let rounds: usize = std::env::var("CREST_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 1 } else { 2 })
        .max(1);
    let (warm_up, measure) = if quick { (0.2, 0.4) } else { (0.5, 1.0) };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs_f64(warm_up))
        .measurement_time(Duration::from_secs_f64(measure))
        .sample_size(10)
        .without_plots()
        .configure_from_args();

    let rts = Runtimes {
        crest_ct: CrestCt::new(),
        crest_ct2: CrestCt::new(),
        crest_mt: CrestMt::new(),
        tokio_ct: TokioCt::new(),
        tokio_ct2: TokioCt::new(),
        tokio_mt: TokioMt::new(),
        smol_mt: SmolMt::new(),
    };
    for round in 1..=rounds {
        group::<SpawnJoin>(&mut c, &rts, round);
        group::<YieldStorm>(&mut c, &rts, round);
        group::<PingPongSameThread>(&mut c, &rts, round);
        channel_only_group(&mut c, round);
        group::<PingPongWorkers>(&mut c, &rts, round);
        group::<PingPongRuntimes>(&mut c, &rts, round);
        group::<RemoteWake>(&mut c, &rts, round);
        group::<UnixRoundTrip>(&mut c, &rts, round);
    }
    drop(rts);
    c.final_summary();
    summarize(started, rounds);
}

// ---------------------------------------------------------------------------------------------
// The summary: ratios to tokio, read back from criterion's estimates.json files.

/// The median time per iteration (ns) criterion measured for `group/runtime/round` in this
/// run; `None` if it did not run (filtered out, or a flavor the group skips).
fn estimate(
    dir: &std::path::Path,
    group: &str,
    runtime: &str,
    round: usize,
    since: SystemTime,
) -> Option<f64> {
    let path = dir.join(group).join(runtime).join(round.to_string()).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None; // left over from an earlier run
    }
    criterion_estimate(&std::fs::read_to_string(path).ok()?, "median")
}

fn summarize(since: SystemTime, rounds: usize) {
    let Some(dir) = criterion_dir() else {
        eprintln!("no criterion directory found: set CRITERION_HOME for the summary");
        return;
    };
    // A second of slack: file times and the clock may differ in resolution.
    let since = since - Duration::from_secs(1);
    let mut times = String::new();
    let mut ratios = String::new();
    let header =
        format!("| benchmark | {} |\n|---|{}\n", RUNTIMES.join(" | "), "---:|".repeat(RUNTIMES.len()));
    times.push_str(&header);
    ratios.push_str(&header);
    for (group, items) in GROUPS {
        let mut time_cells = Vec::new();
        let mut ratio_cells = Vec::new();
        for rt in RUNTIMES {
            let tokio = if rt.ends_with("-ct") { "tokio-ct" } else { "tokio-mt" };
            let mut t = Vec::new();
            let mut r = Vec::new();
            for round in 1..=rounds {
                let Some(x) = estimate(&dir, group, rt, round, since) else { continue };
                t.push(x);
                if let Some(base) = estimate(&dir, group, tokio, round, since) {
                    r.push(base / x);
                }
            }
            time_cells.push(median(&mut t).map_or("-".into(), |ns| fmt_ns(ns / items as f64)));
            let spread = match (r.iter().copied().reduce(f64::min), r.iter().copied().reduce(f64::max)) {
                (Some(lo), Some(hi)) if r.len() > 1 && !rt.starts_with("tokio") => {
                    format!(" ({lo:.2}–{hi:.2})")
                }
                _ => String::new(),
            };
            ratio_cells.push(median(&mut r).map_or("-".into(), |x| format!("{x:.2}x{spread}")));
        }
        if time_cells.iter().all(|c| c == "-") {
            continue;
        }
        times.push_str(&format!("| {group} | {} |\n", time_cells.join(" | ")));
        ratios.push_str(&format!("| {group} | {} |\n", ratio_cells.join(" | ")));
    }
    println!("\n## Time per item (median over {rounds} round(s); item = task, yield, round trip or wake)\n");
    println!("{times}");
    println!(
        "## Speed relative to tokio of the same flavor (tokio time / runtime time, >1 = faster; \
         median of the per-round ratios, lowest–highest round in brackets)\n"
    );
    println!("{ratios}");
    let mut floor: Vec<f64> =
        (1..=rounds).filter_map(|round| estimate(&dir, CHANNEL_ONLY, "none", round, since)).collect();
    if let Some(ns) = median(&mut floor) {
        println!(
            "The ping-pongs' channel alone, polled by hand without a runtime ({CHANNEL_ONLY}): {} per \
             round trip.\n",
            fmt_ns(ns / 1000.0)
        );
        runtime_share(&dir, rounds, since, ns);
    }
}

/// The runtime's own share of a ping-pong round trip (issue 17, part 5): the end-to-end
/// time minus the channel-only floor measured in the same run, per runtime, and its ratio
/// to tokio's share of the same flavor (>1 = crest's share is smaller).
fn runtime_share(dir: &std::path::Path, rounds: usize, since: SystemTime, floor_ns: f64) {
    println!("## Ping-pong: the runtime's share of a round trip (end to end minus the channel-only floor)\n");
    println!("| benchmark | runtime | end to end | runtime share | tokio's share ÷ this |");
    println!("|---|---|---:|---:|---:|");
    for group in ["pingpong_same_thread_1k", "pingpong_2_workers_1k"] {
        let share = |rt: &str| {
            let mut t: Vec<f64> =
                (1..=rounds).filter_map(|round| estimate(dir, group, rt, round, since)).collect();
            median(&mut t).map(|ns| (ns / 1000.0, (ns - floor_ns) / 1000.0))
        };
        for rt in RUNTIMES {
            let tokio = if rt.ends_with("-ct") { "tokio-ct" } else { "tokio-mt" };
            let Some((total, mine)) = share(rt) else { continue };
            let ratio = match share(tokio) {
                Some((_, base)) if !rt.starts_with("tokio") && mine > 0.0 => format!("{:.2}x", base / mine),
                _ => String::new(),
            };
            println!("| {group} | {rt} | {} | {} | {ratio} |", fmt_ns(total), fmt_ns(mine));
        }
    }
    println!();
}
