//! The kv load row (issue 15): the key-value service of `examples/kv`, one source built
//! against crest (`kv_crest`, which is `examples/kv/main.rs` itself) and against tokio
//! (`kv_tokio`), under the same closed-loop load: server CPU time per request.
//!
//! ```text
//! cargo bench -p crest-benches --bench kv_load                # about a minute
//! cargo bench -p crest-benches --bench kv_load -- --quick     # one short round
//! ```
//!
//! The method is `load.rs`'s: each server a fresh process pinned to core 0 (so each
//! runtime runs one worker), the load generator (`src/loadgen.rs`) pinned to core 1, one
//! `SET key value` in flight per connection, the server's CPU time (procfs) over a
//! measured window divided by the requests answered in it. Servers alternate from round
//! to round; the ratio is crest's CPU per request over tokio's.
//!
//! Options: `--quick`, `--rounds N`, `--secs S`, `--conns LIST` (default 64,1000).

#[path = "../src/loadgen.rs"]
mod loadgen;
#[path = "../src/proto.rs"]
mod proto;

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use loadgen::{Peer, Workload};

const SERVERS: &[(&str, &str)] =
    &[("crest", env!("CARGO_BIN_EXE_kv_crest")), ("tokio", env!("CARGO_BIN_EXE_kv_tokio"))];

const REQUEST: &[u8] = b"SET some-key some-value\n";
const REPLY: &[u8] = b"OK\n";

struct Options {
    warmup: Duration,
    measure: Duration,
    rounds: usize,
    conns: Vec<usize>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "kv_load: {problem}\nusage: cargo bench -p crest-benches --bench kv_load -- [--quick] [--rounds N] [--secs S] [--conns 64,1000]"
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let quick = args.iter().any(|a| a == "--quick");
    args.retain(|a| a != "--quick");
    let mut opts = Options {
        warmup: Duration::from_millis(if quick { 200 } else { 500 }),
        measure: Duration::from_millis(if quick { 500 } else { 2000 }),
        rounds: if quick { 1 } else { 4 },
        conns: vec![64, 1000],
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--rounds" => opts.rounds = value().parse().unwrap_or_else(|_| usage("--rounds takes a number")),
            "--secs" => {
                let secs: f64 = value().parse().unwrap_or_else(|_| usage("--secs takes seconds"));
                opts.measure = Duration::from_secs_f64(secs);
            }
            "--conns" => {
                opts.conns = value()
                    .split(',')
                    .map(|n| n.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| usage("bad --conns")))
                    .collect()
            }
            other => usage(&format!("unknown option {other:?}")),
        }
    }
    opts
}

/// Requests answered and server CPU time over one measured window.
struct Run {
    requests: u64,
    secs: f64,
    cpu_ns: u64,
}

fn run_once(opts: &Options, exe: &str, conns: usize) -> io::Result<Run> {
    let mut peer = Peer::start(exe, &["127.0.0.1:0"], &[0], true)?;
    let addr = peer.addr.expect("a server announces its address");
    let pid = peer.pid();
    let work = Workload { request: REQUEST.to_vec(), response_len: REPLY.len(), conns };
    let client = loadgen::start_client(addr, work, None)?;
    let shared = &client.shared;
    std::thread::sleep(opts.warmup);
    let (ops0, cpu0, t0) = (shared.ops.load(Ordering::Relaxed), loadgen::cpu_ns(pid)?, Instant::now());
    std::thread::sleep(opts.measure);
    let (ops1, cpu1, t1) = (shared.ops.load(Ordering::Relaxed), loadgen::cpu_ns(pid)?, Instant::now());
    client.finish()?;
    if !peer.alive() {
        return Err(io::Error::other("the server died during the run"));
    }
    Ok(Run { requests: ops1 - ops0, secs: (t1 - t0).as_secs_f64(), cpu_ns: cpu1.saturating_sub(cpu0) })
}

#[derive(Default)]
struct Tally {
    requests: u64,
    secs: f64,
    cpu_ns: u64,
    round_cpu_us: Vec<f64>,
    failures: usize,
}

impl Tally {
    fn cpu_us(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.cpu_ns as f64 / self.requests as f64 / 1e3)
    }
}

fn main() {
    let opts = parse_options();
    if let Err(e) = proto::raise_nofile() {
        eprintln!("kv_load: cannot raise the open-file limit: {e}");
    }
    if let Err(e) = loadgen::pin_current_thread(&[1]) {
        eprintln!("kv_load: cannot pin the load generator to core 1: {e}");
    }
    let mut tallies: BTreeMap<(usize, &str), Tally> = BTreeMap::new();
    for &conns in &opts.conns {
        for round in 0..opts.rounds {
            let order: Vec<_> =
                if round % 2 == 0 { SERVERS.to_vec() } else { SERVERS.iter().rev().copied().collect() };
            for (server, exe) in order {
                let tally = tallies.entry((conns, server)).or_default();
                match run_once(&opts, exe, conns) {
                    Ok(run) => {
                        let us = run.cpu_ns as f64 / run.requests.max(1) as f64 / 1e3;
                        eprintln!(
                            "kv_load: {conns} conns, round {}, {server}: {:.0} req/s, {us:.2} µs CPU/req",
                            round + 1,
                            run.requests as f64 / run.secs
                        );
                        tally.requests += run.requests;
                        tally.secs += run.secs;
                        tally.cpu_ns += run.cpu_ns;
                        if run.requests > 0 {
                            tally.round_cpu_us.push(us);
                        }
                    }
                    Err(e) => {
                        eprintln!("kv_load: {conns} conns, {server} failed: {e}");
                        tally.failures += 1;
                    }
                }
            }
        }
    }

    println!("\n## kv load results (examples/kv on crest and on tokio, one worker each)\n");
    println!("| connections | server | req/s | server CPU µs/req | × tokio | per round |");
    println!("| ---: | --- | ---: | ---: | ---: | --- |");
    for &conns in &opts.conns {
        let tokio = tallies.get(&(conns, "tokio")).and_then(Tally::cpu_us);
        for &(server, _) in SERVERS {
            let Some(t) = tallies.get(&(conns, server)) else { continue };
            let rounds: Vec<String> = t.round_cpu_us.iter().map(|v| format!("{v:.2}")).collect();
            let failed = if t.failures > 0 { format!(" ({} failed)", t.failures) } else { String::new() };
            println!(
                "| {conns} | {server}{failed} | {} | {} | {} | {} |",
                if t.secs > 0.0 { format!("{:.0}", t.requests as f64 / t.secs) } else { "n/a".into() },
                t.cpu_us().map_or("n/a".into(), |v| format!("{v:.2}")),
                match (t.cpu_us(), tokio) {
                    (Some(v), Some(b)) if b > 0.0 => format!("{:.2}x", v / b),
                    _ => "—".into(),
                },
                rounds.join(", ")
            );
        }
    }
}
