//! What observability costs (issue 16): built twice by `benches/obs_cost.sh`, against the
//! checkout before and after, and run alternately. Uses only API both have.
//!
//!   obs_cost time                # ns per item of the micro workloads, median of 15 runs
//!   obs_cost sleepers N          # RSS bytes per task sleeping an hour
//!   obs_cost conns N             # RSS bytes per idle, accepted connection
//!   obs_cost spawn N | yield N   # a current-thread loop, for callgrind's instruction counts

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crest::runtime::{Builder, Runtime};

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// One value slot and the waker of whoever waits for it.
#[derive(Default)]
struct Slot(Mutex<(Option<u32>, Option<Waker>)>);

impl Slot {
    fn send(&self, v: u32) {
        let waker = {
            let mut s = self.0.lock().unwrap();
            s.0 = Some(v);
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
    fn recv(&self) -> Recv<'_> {
        Recv(self)
    }
}

struct Recv<'a>(&'a Slot);

impl Future for Recv<'_> {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let mut s = self.0 .0.lock().unwrap();
        match s.0.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

async fn spawn_join(n: u32) {
    let handles: Vec<_> = (0..n).map(|i| crest::spawn(async move { i })).collect();
    for h in handles {
        std::hint::black_box(h.await.unwrap());
    }
}

async fn yield_storm(tasks: u32, yields: u32) {
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            crest::spawn(async move {
                for _ in 0..yields {
                    crest::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

async fn pingpong(rounds: u32) {
    let (ping, pong) = (Arc::new(Slot::default()), Arc::new(Slot::default()));
    let (p, q) = (ping.clone(), pong.clone());
    let echo = crest::spawn(async move {
        for _ in 0..rounds {
            let v = p.recv().await;
            q.send(v);
        }
    });
    for i in 0..rounds {
        ping.send(i);
        assert_eq!(pong.recv().await, i);
    }
    echo.await.unwrap();
}

fn ct() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

fn mt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

/// Median ns per item of `f` run on `rt` (in a spawned root task on a multi-thread one).
fn measure<F: Future<Output = ()> + Send + 'static>(
    rt: &Runtime,
    multi: bool,
    items: u32,
    f: impl Fn() -> F,
) -> f64 {
    let mut times = Vec::new();
    for i in 0..18 {
        let start = Instant::now();
        if multi {
            rt.block_on(rt.spawn(f())).unwrap();
        } else {
            rt.block_on(f());
        }
        if i >= 3 {
            times.push(start.elapsed().as_nanos() as f64 / f64::from(items));
        }
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn time() {
    let (c, m) = (ct(), mt());
    println!("spawn_join_10k/ct {:.1}", measure(&c, false, 10_000, || spawn_join(10_000)));
    println!("spawn_join_10k/mt {:.1}", measure(&m, true, 10_000, || spawn_join(10_000)));
    println!("yield_storm_100x100/ct {:.1}", measure(&c, false, 10_000, || yield_storm(100, 100)));
    println!("yield_storm_100x100/mt {:.1}", measure(&m, true, 10_000, || yield_storm(100, 100)));
    println!("pingpong_1k/ct {:.1}", measure(&c, false, 1_000, || pingpong(1_000)));
    println!("pingpong_1k/mt {:.1}", measure(&m, true, 1_000, || pingpong(1_000)));
}

fn sleepers(n: usize) {
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let polled = Arc::new(AtomicUsize::new(0));
    let before = rss();
    let _handles: Vec<_> = (0..n)
        .map(|_| {
            let polled = polled.clone();
            rt.spawn(async move {
                polled.fetch_add(1, Ordering::Relaxed);
                crest::time::sleep(Duration::from_secs(3600)).await;
            })
        })
        .collect();
    while polled.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    // The handles' Vec is n * 8 bytes of the delta: subtract it, as a server keeps none.
    let delta = rss() - before - (n * 8) as u64;
    println!("bytes_per_sleeping_task {:.0}", delta as f64 / n as f64);
}

fn conns(n: usize) {
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    let listener = rt.block_on(async { crest::net::TcpListener::bind("127.0.0.1:0").await.unwrap() });
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::with_capacity(n);
    let before = rss();
    rt.spawn(async move {
        use crest::io::AsyncReadExt;
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let a = a.clone();
            crest::spawn(async move {
                let mut buf = [0u8; 64];
                a.fetch_add(1, Ordering::Relaxed);
                let _ = s.read(&mut buf).await;
            });
        }
    });
    for _ in 0..n {
        clients.push(std::net::TcpStream::connect(addr).unwrap());
    }
    while accepted.load(Ordering::Relaxed) < n {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let delta = rss() - before - (n * std::mem::size_of::<std::net::TcpStream>()) as u64;
    println!("bytes_per_idle_connection {:.0}", delta as f64 / n as f64);
    drop(clients);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = || args[2].parse::<u32>().unwrap();
    match args[1].as_str() {
        "time" => time(),
        "sleepers" => sleepers(n() as usize),
        "conns" => conns(n() as usize),
        "spawn" => ct().block_on(async {
            for i in 0..n() {
                std::hint::black_box(crest::spawn(async move { i }).await.unwrap());
            }
        }),
        "yield" => ct().block_on(async {
            let yields = n();
            crest::spawn(async move {
                for _ in 0..yields {
                    crest::task::yield_now().await;
                }
            })
            .await
            .unwrap()
        }),
        other => panic!("unknown mode {other}"),
    }
}
