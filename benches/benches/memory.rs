//! The memory benchmark (issue 7, deliverable 3): resident memory of crest, tokio, smol and
//! the hand-rolled epoll floor holding 10,000 idle connections, and of crest, tokio and
//! smol holding 100,000 sleeping tasks.
//!
//! ```text
//! cargo bench -p crest-benches --bench memory               # about 30 seconds
//! cargo bench -p crest-benches --bench memory -- --quick    # one round, 2,000 / 20,000
//! ```
//!
//! * **Idle connections**: the echo peer of each runtime (`serve_* echo 1`, the load
//!   benchmark's servers) starts; its `VmRSS` is read; this process opens the connections
//!   and holds them without sending a byte; once the server has accepted them all (its
//!   descriptor count says so) and its RSS has settled, `VmRSS` and `VmHWM` are read
//!   again. Per connection = the growth divided by the count. The shared protocol code
//!   allocates a connection's buffer only when the first bytes arrive, so this is what the
//!   runtime itself spends on an accepted, registered, waiting connection (task, future,
//!   registration), plus the fd table; socket buffers are kernel memory, not in RSS.
//! * **Sleeping tasks**: `serve_* sleepers N 1` reads its own `VmRSS`, spawns N tasks that
//!   each sleep an hour, waits until every one has been polled, and reads `VmRSS` again.
//!
//! Rounds alternate the runtimes (A B C A B C); the table shows the median round.

#[path = "../src/loadgen.rs"]
mod loadgen;
#[path = "../src/proto.rs"]
mod proto;

use std::io;
use std::time::{Duration, Instant};

use loadgen::Peer;

struct Options {
    conns: usize,
    tasks: usize,
    rounds: usize,
}

fn parse_options() -> Options {
    let quick = std::env::var_os("CREST_LOAD_QUICK").is_some_and(|v| v != "0" && !v.is_empty())
        || std::env::args().any(|a| a == "--quick");
    if let Some(bad) = std::env::args().skip(1).find(|a| a != "--quick" && a != "--bench") {
        eprintln!(
            "memory: unknown option {bad:?}\nusage: cargo bench -p crest-benches --bench memory -- [--quick]"
        );
        std::process::exit(2);
    }
    if quick {
        Options { conns: 2_000, tasks: 20_000, rounds: 1 }
    } else {
        Options { conns: 10_000, tasks: 100_000, rounds: 3 }
    }
}

/// Resident memory, in kB, of a server before and after it accepted `n` idle connections,
/// and its high-water mark.
struct Idle {
    before_kb: u64,
    after_kb: u64,
    hwm_kb: u64,
}

fn idle_connections(runtime: &str, n: usize) -> io::Result<Idle> {
    let exe = loadgen::peer_exe(runtime);
    let peer = Peer::start(&exe, &["echo", "1"], &[0], true)?;
    let pid = peer.pid();
    let addr = peer.addr.expect("a server announces its address");
    std::thread::sleep(Duration::from_millis(100));
    let before_kb = proto::status_kb(Some(pid), "VmRSS")?;
    let fds_before = loadgen::open_fds(pid)?;
    let conns = loadgen::connect_many(addr, n)?;
    if !proto::wait_until(|| loadgen::open_fds(pid).is_ok_and(|fds| fds >= fds_before + n)) {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "the server did not accept every connection"));
    }
    // Accepted is not yet polled: wait until the RSS stops growing.
    let mut last = proto::status_kb(Some(pid), "VmRSS")?;
    let settle = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = proto::status_kb(Some(pid), "VmRSS")?;
        if now == last || settle.elapsed() > Duration::from_secs(5) {
            break;
        }
        last = now;
    }
    let idle = Idle {
        before_kb,
        after_kb: proto::status_kb(Some(pid), "VmRSS")?,
        hwm_kb: proto::status_kb(Some(pid), "VmHWM")?,
    };
    drop(conns);
    Ok(idle)
}

/// `(rss before, rss after, spawn time)` of `serve_RUNTIME sleepers n 1`.
fn sleepers(runtime: &str, n: usize) -> io::Result<(u64, u64, Duration)> {
    let exe = loadgen::peer_exe(runtime);
    let mut peer = Peer::start(&exe, &["sleepers", &n.to_string(), "1"], &[0], false)?;
    let line = peer.line()?;
    let fields: Vec<u64> = line.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    match fields[..] {
        [before, after, spawn_ns] => Ok((before, after, Duration::from_nanos(spawn_ns))),
        _ => Err(io::Error::other(format!("{runtime}: unexpected report {line:?}"))),
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| v[v.len() / 2])
}

fn ratio(v: Option<f64>, base: Option<f64>) -> String {
    match (v, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}x", v / b),
        _ => "—".into(),
    }
}

fn mib(kb: Option<f64>) -> String {
    kb.map_or("n/a".into(), |kb| format!("{:.1}", kb / 1024.0))
}

fn main() {
    let opts = parse_options();
    if let Err(e) = proto::raise_nofile() {
        eprintln!("memory: cannot raise the open-file limit: {e}");
    }
    if let Err(e) = loadgen::pin_current_thread(&[1]) {
        eprintln!("memory: cannot pin to core 1: {e}");
    }

    let conn_runtimes = ["crest", "tokio", "smol", "epoll"];
    let mut idle: Vec<Vec<Idle>> = conn_runtimes.iter().map(|_| Vec::new()).collect();
    for round in 0..opts.rounds {
        for (i, runtime) in conn_runtimes.iter().enumerate() {
            match idle_connections(runtime, opts.conns) {
                Ok(m) => {
                    eprintln!(
                        "memory: round {} {runtime}: {} idle connections: {} kB -> {} kB",
                        round + 1,
                        opts.conns,
                        m.before_kb,
                        m.after_kb
                    );
                    idle[i].push(m);
                }
                Err(e) => eprintln!("memory: {runtime} with idle connections failed: {e}"),
            }
        }
    }

    let task_runtimes = ["crest", "tokio", "smol"];
    let mut tasks: Vec<Vec<(u64, u64, Duration)>> = task_runtimes.iter().map(|_| Vec::new()).collect();
    for round in 0..opts.rounds {
        for (i, runtime) in task_runtimes.iter().enumerate() {
            match sleepers(runtime, opts.tasks) {
                Ok(m) => {
                    eprintln!(
                        "memory: round {} {runtime}: {} sleepers: {} kB -> {} kB",
                        round + 1,
                        opts.tasks,
                        m.0,
                        m.1
                    );
                    tasks[i].push(m);
                }
                Err(e) => eprintln!("memory: {runtime} with sleeping tasks failed: {e}"),
            }
        }
    }

    let per_conn = |ms: &Vec<Idle>| {
        median(
            ms.iter()
                .map(|m| (m.after_kb as f64 - m.before_kb as f64) * 1024.0 / opts.conns as f64)
                .collect(),
        )
    };
    let tokio_conn = per_conn(&idle[1]);
    println!("\n## Memory results\n");
    println!(
        "### {} idle connections (echo server, 1 worker; median of {} rounds)\n",
        opts.conns, opts.rounds
    );
    println!(
        "| server | RSS before (MiB) | RSS after (MiB) | VmHWM (MiB) | bytes per connection | × tokio |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (i, runtime) in conn_runtimes.iter().enumerate() {
        let before = median(idle[i].iter().map(|m| m.before_kb as f64).collect());
        let after = median(idle[i].iter().map(|m| m.after_kb as f64).collect());
        let hwm = median(idle[i].iter().map(|m| m.hwm_kb as f64).collect());
        let per = per_conn(&idle[i]);
        println!(
            "| {runtime} | {} | {} | {} | {} | {} |",
            mib(before),
            mib(after),
            mib(hwm),
            per.map_or("n/a".into(), |b| format!("{b:.0}")),
            ratio(per, tokio_conn)
        );
    }

    let per_task = |ms: &Vec<(u64, u64, Duration)>| {
        median(ms.iter().map(|m| (m.1 as f64 - m.0 as f64) * 1024.0 / opts.tasks as f64).collect())
    };
    let spawn_ns = |ms: &Vec<(u64, u64, Duration)>| {
        median(ms.iter().map(|m| m.2.as_nanos() as f64 / opts.tasks as f64).collect())
    };
    let tokio_task = per_task(&tasks[1]);
    println!("\n### {} tasks sleeping an hour (1 worker; median of {} rounds)\n", opts.tasks, opts.rounds);
    println!(
        "| runtime | RSS before (MiB) | RSS after (MiB) | bytes per task | × tokio | spawn ns per task |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (i, runtime) in task_runtimes.iter().enumerate() {
        let before = median(tasks[i].iter().map(|m| m.0 as f64).collect());
        let after = median(tasks[i].iter().map(|m| m.1 as f64).collect());
        let per = per_task(&tasks[i]);
        println!(
            "| {runtime} | {} | {} | {} | {} | {} |",
            mib(before),
            mib(after),
            per.map_or("n/a".into(), |b| format!("{b:.0}")),
            ratio(per, tokio_task),
            spawn_ns(&tasks[i]).map_or("n/a".into(), |ns| format!("{ns:.0}"))
        );
    }
}
