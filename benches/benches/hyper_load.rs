//! The hyper load benchmark (issue 13): one hyper service served by hyper on crest
//! (`crest_hyper::serve`), hyper on tokio (hyper-util's `TokioIo`/`TokioExecutor`/
//! `TokioTimer`) and hyper on crest through a smol-hyper-style wrapper (`plain`: a memset
//! of hyper's buffer per read, no vectored writes), all in `src/bin/serve_hyper.rs`, driven
//! by the load generator of the load benchmark (`src/loadgen.rs`).
//!
//! ```text
//! cargo bench -p crest-benches --bench hyper_load                 # about 4 minutes
//! cargo bench -p crest-benches --bench hyper_load -- --quick      # one short round
//! cargo bench -p crest-benches --bench hyper_load -- --scenario large --servers crest,tokio
//! ```
//!
//! The method is `load.rs`'s: each server a fresh process pinned to core 0, the load
//! generator on core 1, a closed loop with one request (or one pipelined batch) in flight
//! per connection; a window for the server's CPU time per request (procfs), then a window
//! for its syscalls per request (`perf stat`). Servers run in turn, round after round; the
//! ratios are to hyper on tokio with the same number of workers.
//!
//! Options: `--quick`, `--rounds N`, `--secs S`, `--scenario LIST`
//! (hello64,hello1000,pipelined,large,upload), `--servers LIST` (crest,tokio,plain),
//! `--workers LIST` (1,2), `--no-perf`.

#[path = "../src/loadgen.rs"]
mod loadgen;
#[path = "../src/proto.rs"]
mod proto;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use loadgen::{fmt_opt, ratio, Peer, Run, Tally, Windows, Workload};

#[derive(Clone, Copy)]
struct Scenario {
    key: &'static str,
    title: &'static str,
    /// One request as sent.
    request: fn() -> Vec<u8>,
    /// Requests sent back to back per round trip (pipelining).
    depth: usize,
    conns: usize,
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: crest-load/1\r\nAccept: */*\r\n\r\n")
        .into_bytes()
}

fn hello() -> Vec<u8> {
    get("/hello")
}

fn large() -> Vec<u8> {
    get("/large")
}

fn upload() -> Vec<u8> {
    let mut req = b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 16384\r\n\r\n".to_vec();
    req.extend(std::iter::repeat_n(b'u', 16384));
    req
}

const SCENARIOS: &[Scenario] = &[
    Scenario { key: "hello64", title: "hello × 64", request: hello, depth: 1, conns: 64 },
    Scenario { key: "hello1000", title: "hello × 1000", request: hello, depth: 1, conns: 1000 },
    Scenario { key: "pipelined", title: "hello × 64, 16 pipelined", request: hello, depth: 16, conns: 64 },
    Scenario { key: "large", title: "64 KiB response × 64", request: large, depth: 1, conns: 64 },
    Scenario { key: "upload", title: "16 KiB upload × 64", request: upload, depth: 1, conns: 64 },
];

const SERVERS: &[&str] = &["crest", "tokio", "plain"];

fn label(server: &str) -> &'static str {
    match server {
        "crest" => "hyper on crest (CrestIo)",
        "tokio" => "hyper on tokio (TokioIo)",
        _ => "hyper on crest, smol-hyper-style wrapper",
    }
}

struct Options {
    windows: Windows,
    rounds: usize,
    scenarios: Vec<Scenario>,
    servers: Vec<&'static str>,
    workers: Vec<usize>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "hyper_load: {problem}\nusage: cargo bench -p crest-benches --bench hyper_load -- [--quick] [--rounds N] [--secs S]\n\
         \x20      [--scenario hello64,hello1000,pipelined,large,upload] [--servers crest,tokio,plain] [--workers 1,2] [--no-perf]"
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let quick = args.iter().any(|a| a == "--quick");
    args.retain(|a| a != "--quick");
    let mut opts = Options {
        windows: Windows {
            warmup: Duration::from_millis(if quick { 200 } else { 500 }),
            measure: Duration::from_millis(if quick { 500 } else { 2000 }),
            trace: Duration::from_millis(if quick { 300 } else { 1000 }),
            perf: true,
        },
        rounds: if quick { 1 } else { 2 },
        scenarios: SCENARIOS.to_vec(),
        servers: SERVERS.to_vec(),
        workers: vec![1, 2],
    };
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--rounds" => opts.rounds = value().parse().unwrap_or_else(|_| usage("--rounds takes a number")),
            "--secs" => {
                let secs: f64 = value().parse().unwrap_or_else(|_| usage("--secs takes seconds"));
                opts.windows.measure = Duration::from_secs_f64(secs);
                opts.windows.trace = Duration::from_secs_f64(secs / 2.0);
            }
            "--scenario" => {
                opts.scenarios = value()
                    .split(',')
                    .map(|k| {
                        *SCENARIOS
                            .iter()
                            .find(|s| s.key == k)
                            .unwrap_or_else(|| usage(&format!("no scenario {k:?}")))
                    })
                    .collect()
            }
            "--servers" => {
                opts.servers = value()
                    .split(',')
                    .map(|k| {
                        *SERVERS
                            .iter()
                            .find(|s| **s == k)
                            .unwrap_or_else(|| usage(&format!("no server {k:?}")))
                    })
                    .collect()
            }
            "--workers" => {
                opts.workers = value()
                    .split(',')
                    .map(|w| w.parse().ok().filter(|&w| w > 0).unwrap_or_else(|| usage("bad --workers")))
                    .collect()
            }
            "--no-perf" => opts.windows.perf = false,
            other => usage(&format!("unknown option {other:?}")),
        }
    }
    opts
}

/// The length of the server's answer to `request`, asked once on a connection of its own:
/// the load generator must know how many bytes make one answer. hyper's answers have a
/// fixed length (its `date` header always has 29 characters).
fn answer_len(addr: SocketAddr, request: &[u8]) -> io::Result<usize> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed"));
        }
        got.extend_from_slice(&buf[..n]);
        let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| io::Error::other(format!("no content-length in {head:?}")))?;
        let total = end + 4 + len;
        if got.len() >= total {
            return Ok(total);
        }
    }
}

fn run_once(opts: &Options, scenario: &Scenario, server: &str, workers: usize) -> io::Result<Run> {
    let exe = env!("CARGO_BIN_EXE_serve_hyper");
    let mut peer = Peer::start(exe, &[server, &workers.to_string()], &[0], true)?;
    let addr = peer.addr.expect("a server announces its address");
    let one = (scenario.request)();
    let work = Workload {
        request: one.repeat(scenario.depth),
        response_len: answer_len(addr, &one)? * scenario.depth,
        conns: scenario.conns,
    };
    let mut run = loadgen::measure(&mut peer, addr, work, &opts.windows)?;
    // An operation of the load generator is one batch of `depth` pipelined requests.
    let depth = scenario.depth as u64;
    run.ops *= depth;
    run.trace_ops *= depth;
    Ok(run)
}

const BREAKDOWN: &[(&str, &[&str])] = &[
    ("recv", &["recvfrom", "recvmsg", "readv", "read"]),
    ("send", &["sendto", "writev"]),
    ("sendmsg", &["sendmsg"]),
    ("epoll_wait", &["epoll_wait", "epoll_pwait", "epoll_pwait2"]),
    ("futex", &["futex"]),
];

fn main() {
    let mut opts = parse_options();
    if let Err(e) = proto::raise_nofile() {
        eprintln!("hyper_load: cannot raise the open-file limit: {e}");
    }
    if let Err(e) = loadgen::pin_current_thread(&[1]) {
        eprintln!("hyper_load: cannot pin the load generator to core 1: {e}");
    }
    if opts.windows.perf && !loadgen::perf_works() {
        eprintln!("hyper_load: `perf stat` does not work here; syscalls are not counted");
        opts.windows.perf = false;
    }
    let configs: Vec<(usize, &str)> =
        opts.workers.iter().flat_map(|&w| opts.servers.iter().map(move |&s| (w, s))).collect();
    let total = opts.scenarios.len() * opts.rounds * configs.len();
    let mut tallies: BTreeMap<(usize, usize, &str), Tally> = BTreeMap::new();
    let mut done = 0;
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for round in 0..opts.rounds {
            // Alternate the order from round to round (A B C, then C B A).
            let order: Vec<_> =
                if round % 2 == 0 { configs.clone() } else { configs.iter().rev().copied().collect() };
            for (workers, server) in order {
                done += 1;
                let tally = tallies.entry((si, workers, server)).or_default();
                match run_once(&opts, scenario, server, workers) {
                    Ok(run) => {
                        eprintln!(
                            "hyper_load: [{done}/{total}] {} round {} {server} x{workers}: {:.0} req/s, {:.2} µs CPU/req",
                            scenario.title,
                            round + 1,
                            run.ops as f64 / run.secs,
                            run.cpu_ns as f64 / run.ops.max(1) as f64 / 1e3
                        );
                        tally.add(run);
                    }
                    Err(e) => {
                        eprintln!(
                            "hyper_load: [{done}/{total}] {} {server} x{workers} failed: {e}",
                            scenario.title
                        );
                        tally.failures += 1;
                    }
                }
            }
        }
    }

    println!("\n## hyper load results\n");
    println!("| scenario | workers | server | req/s | p50 µs | p99 µs | server CPU µs/req | × tokio | per round | syscalls/req | × tokio |");
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for &(workers, server) in &configs {
            let Some(tally) = tallies.get_mut(&(si, workers, server)) else { continue };
            tally.latencies.sort_unstable();
            let tally = &tallies[&(si, workers, server)];
            let tokio = tallies.get(&(si, workers, "tokio"));
            let p = |q| fmt_opt(loadgen::quantile(&tally.latencies, q).map(|ns| f64::from(ns) / 1e3), 0);
            let lo = tally.round_cpu_us.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = tally.round_cpu_us.iter().copied().fold(0.0, f64::max);
            let spread =
                if tally.round_cpu_us.len() > 1 { format!("{lo:.2}–{hi:.2}") } else { "—".into() };
            let failed =
                if tally.failures > 0 { format!(" ({} failed)", tally.failures) } else { String::new() };
            println!(
                "| {} | {workers} | {}{failed} | {} | {} | {} | {} | {} | {spread} | {} | {} |",
                scenario.title,
                label(server),
                fmt_opt(tally.rate(), 0),
                p(0.5),
                p(0.99),
                fmt_opt(tally.cpu_us_per_op(), 2),
                ratio(tally.cpu_us_per_op(), tokio.and_then(Tally::cpu_us_per_op)),
                fmt_opt(tally.per_op(&["total"]), 2),
                ratio(tally.per_op(&["total"]), tokio.and_then(|t| t.per_op(&["total"]))),
            );
        }
    }
    if !opts.windows.perf {
        return;
    }
    println!("\n### Syscalls per request, by kind\n");
    print!("| scenario | workers | server |");
    for (title, _) in BREAKDOWN {
        print!(" {title} |");
    }
    println!(" other |");
    println!("| --- | ---: | --- |{}", " ---: |".repeat(BREAKDOWN.len() + 1));
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for &(workers, server) in &configs {
            let Some(tally) = tallies.get(&(si, workers, server)) else { continue };
            print!("| {} | {workers} | {server} |", scenario.title);
            let mut listed = 0.0;
            for (_, names) in BREAKDOWN {
                let v = tally.per_op(names);
                listed += v.unwrap_or(0.0);
                print!(" {} |", fmt_opt(v, 2));
            }
            println!(" {} |", fmt_opt(tally.per_op(&["total"]).map(|t| (t - listed).max(0.0)), 2));
        }
    }
}
