//! The load benchmark (issue 7, deliverable 2): echo and HTTP keep-alive servers of crest,
//! tokio, smol and a hand-rolled epoll loop, each a process of its own, driven by one
//! in-repo load generator.
//!
//! ```text
//! cargo bench -p crest-benches --bench load                 # the full run, about 6 minutes
//! cargo bench -p crest-benches --bench load -- --quick      # a smoke run, about 2 minutes
//! cargo bench -p crest-benches --bench load -- --scenario echo64x64 --runtime crest,tokio
//! ```
//!
//! What it measures, and why (issue 7 explains it at length): on a small machine the load
//! generator costs as much CPU per request as the server, so requests/s mostly measure the
//! client. The numbers that rank servers are the **server's CPU time per request** (user +
//! system, all its threads, from procfs) and its **syscalls per request** (`perf stat` on
//! the syscall tracepoints, counted over a second window of the same run, so that tracing
//! costs nothing in the CPU window). Each is shown with its ratio to tokio's with the same
//! number of workers.
//!
//! How: the server runs pinned to `--server-cpus` (default core 0), this process and its
//! load generator to `--client-cpus` (default core 1); with two cores the 2-worker rows
//! therefore have both workers share core 0, so they show what the coordination of two
//! workers costs, not a speed-up. For each scenario the servers run in turn, round after
//! round (A B C A B C ...), a fresh process each time: warm-up, then the CPU and latency
//! window, then the syscall window. Numbers are totals over the rounds (CPU time summed
//! over the summed requests); the spread column shows the lowest and highest round.
//!
//! Options: `--quick` (or `CREST_LOAD_QUICK=1`), `--rounds N`, `--secs S` (CPU window),
//! `--scenario LIST`, `--runtime LIST` (crest,tokio,smol,epoll), `--workers LIST` (1,2),
//! `--server-cpus LIST`, `--client-cpus LIST`, `--no-perf`.

#[path = "../src/loadgen.rs"]
mod loadgen;
#[path = "../src/proto.rs"]
mod proto;

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use loadgen::{fmt_opt, ratio, Peer, Run, Tally, Windows, Workload};

#[derive(Clone, Copy)]
enum Kind {
    Echo(usize),
    Http,
}

#[derive(Clone, Copy)]
struct Scenario {
    /// The name `--scenario` selects it by.
    key: &'static str,
    kind: Kind,
    conns: usize,
}

impl Scenario {
    fn title(&self) -> String {
        match self.kind {
            Kind::Echo(64) => format!("echo 64 B × {}", self.conns),
            Kind::Echo(size) => format!("echo {} KiB × {}", size / 1024, self.conns),
            Kind::Http => format!("HTTP keep-alive × {}", self.conns),
        }
    }

    fn workload(&self) -> Workload {
        match self.kind {
            Kind::Echo(size) => Workload {
                request: (0..size).map(|i| b'a' + (i % 26) as u8).collect(),
                response_len: size,
                conns: self.conns,
            },
            Kind::Http => Workload {
                request: proto::HTTP_REQUEST.to_vec(),
                response_len: proto::HTTP_RESPONSE.len(),
                conns: self.conns,
            },
        }
    }

    fn mode(&self) -> &'static str {
        match self.kind {
            Kind::Echo(_) => "echo",
            Kind::Http => "http",
        }
    }
}

const SCENARIOS: &[Scenario] = &[
    Scenario { key: "echo64x1", kind: Kind::Echo(64), conns: 1 },
    Scenario { key: "echo64x64", kind: Kind::Echo(64), conns: 64 },
    Scenario { key: "echo64x1000", kind: Kind::Echo(64), conns: 1000 },
    Scenario { key: "echo4kx64", kind: Kind::Echo(4096), conns: 64 },
    Scenario { key: "httpx64", kind: Kind::Http, conns: 64 },
    Scenario { key: "httpx1000", kind: Kind::Http, conns: 1000 },
];

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Config {
    workers: usize,
    runtime: &'static str,
}

impl Config {
    fn label(&self) -> &'static str {
        match self.runtime {
            "crest" => "crest",
            "tokio" => "tokio",
            "smol" => "smol (async-executor + async-io)",
            "epoll" => "no runtime (ET epoll loop)",
            other => other,
        }
    }
}

struct Options {
    windows: Windows,
    rounds: usize,
    scenarios: Vec<Scenario>,
    configs: Vec<Config>,
    server_cpus: Vec<usize>,
    client_cpus: Vec<usize>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "load: {problem}\nusage: cargo bench -p crest-benches --bench load -- [--quick] [--rounds N] [--secs S]\n\
         \x20      [--scenario echo64x1,echo64x64,echo64x1000,echo4kx64,httpx64,httpx1000]\n\
         \x20      [--runtime crest,tokio,smol,epoll] [--workers 1,2] [--server-cpus 0] [--client-cpus 1] [--no-perf]"
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let quick_env = std::env::var_os("CREST_LOAD_QUICK").is_some_and(|v| v != "0" && !v.is_empty());
    let mut args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let quick = quick_env || args.iter().any(|a| a == "--quick");
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
        configs: Vec::new(),
        server_cpus: std::env::var("LOAD_SERVER_CPUS")
            .ok()
            .and_then(|s| loadgen::parse_cpus(&s))
            .unwrap_or(vec![0]),
        client_cpus: std::env::var("LOAD_CLIENT_CPUS")
            .ok()
            .and_then(|s| loadgen::parse_cpus(&s))
            .unwrap_or(vec![1]),
    };
    let mut runtimes = vec!["crest", "tokio", "smol", "epoll"];
    let mut workers = vec![1, 2];
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
                let keys = value();
                opts.scenarios = keys
                    .split(',')
                    .map(|k| {
                        *SCENARIOS
                            .iter()
                            .find(|s| s.key == k)
                            .unwrap_or_else(|| usage(&format!("no scenario named {k:?}")))
                    })
                    .collect();
            }
            "--runtime" => {
                runtimes = value()
                    .split(',')
                    .map(|r| match r {
                        "crest" => "crest",
                        "tokio" => "tokio",
                        "smol" => "smol",
                        "epoll" => "epoll",
                        other => usage(&format!("no runtime named {other:?}")),
                    })
                    .collect()
            }
            "--workers" => {
                workers = value()
                    .split(',')
                    .map(|w| w.parse().ok().filter(|&w| w > 0).unwrap_or_else(|| usage("bad --workers")))
                    .collect()
            }
            "--server-cpus" => {
                opts.server_cpus = loadgen::parse_cpus(&value()).unwrap_or_else(|| usage("bad --server-cpus"))
            }
            "--client-cpus" => {
                opts.client_cpus = loadgen::parse_cpus(&value()).unwrap_or_else(|| usage("bad --client-cpus"))
            }
            "--no-perf" => opts.windows.perf = false,
            other => usage(&format!("unknown option {other:?}")),
        }
    }
    workers.sort_unstable();
    workers.dedup();
    for &w in &workers {
        for &runtime in &runtimes {
            // The floor is one thread by construction.
            if runtime != "epoll" || w == 1 {
                opts.configs.push(Config { workers: w, runtime });
            }
        }
    }
    opts
}

/// One run of one server under one scenario.
fn run_once(opts: &Options, scenario: &Scenario, config: &Config) -> io::Result<Run> {
    let exe = loadgen::peer_exe(config.runtime);
    let workers = config.workers.to_string();
    let mut peer = Peer::start(&exe, &[scenario.mode(), &workers], &opts.server_cpus, true)?;
    let addr = peer.addr.expect("a server announces its address");
    let threads_before = loadgen::threads(peer.pid())?;
    let run = loadgen::measure(&mut peer, addr, scenario.workload(), &opts.windows)?;
    if loadgen::threads(peer.pid())? != threads_before {
        eprintln!("load: note: {} started or ended threads during the run", config.runtime);
    }
    Ok(run)
}

/// The columns of the syscall breakdown: a title and the counters it adds up.
const BREAKDOWN: &[(&str, &[&str])] = &[
    ("recv", &["recvfrom", "recvmsg", "readv"]),
    ("of which EAGAIN", &["recvfrom EAGAIN"]),
    ("send", &["sendto", "sendmsg", "writev"]),
    ("read/write (eventfd, pipe)", &["read", "write"]),
    ("epoll_wait", &["epoll_wait", "epoll_pwait", "epoll_pwait2"]),
    ("epoll_ctl", &["epoll_ctl"]),
    ("futex", &["futex"]),
    ("sched_yield", &["sched_yield"]),
];

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpus} CPUs ({model}), Linux {}", kernel.trim())
}

fn main() {
    let mut opts = parse_options();
    // Before pinning, which narrows what this process sees of the machine.
    let machine = machine();
    if let Err(e) = proto::raise_nofile() {
        eprintln!("load: cannot raise the open-file limit: {e}");
    }
    if let Err(e) = loadgen::pin_current_thread(&opts.client_cpus) {
        eprintln!("load: cannot pin the load generator to {:?}: {e}", opts.client_cpus);
    }
    if opts.windows.perf && !loadgen::perf_works() {
        eprintln!("load: `perf stat -e raw_syscalls:sys_enter` does not work here; syscalls are not counted");
        opts.windows.perf = false;
    }
    let total_runs = opts.scenarios.len() * opts.rounds * opts.configs.len();
    eprintln!(
        "load: {total_runs} runs of {:.1} s + {:.1} s (server on CPUs {:?}, load generator on {:?})",
        opts.windows.measure.as_secs_f64(),
        opts.windows.trace.as_secs_f64(),
        opts.server_cpus,
        opts.client_cpus
    );

    let mut tallies: BTreeMap<(usize, Config), Tally> = BTreeMap::new();
    let mut done = 0;
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for round in 0..opts.rounds {
            for config in &opts.configs {
                done += 1;
                let tally = tallies.entry((si, *config)).or_default();
                match run_once(&opts, scenario, config) {
                    Ok(run) => {
                        eprintln!(
                            "load: [{done}/{total_runs}] {} round {} {} x{}: {:.0} req/s, {:.2} µs CPU/op{}",
                            scenario.title(),
                            round + 1,
                            config.runtime,
                            config.workers,
                            run.ops as f64 / run.secs,
                            run.cpu_ns as f64 / run.ops.max(1) as f64 / 1e3,
                            match &run.syscalls {
                                Some(s) if run.trace_ops > 0 => format!(
                                    ", {:.2} syscalls/op",
                                    s.get("total").copied().unwrap_or(0) as f64 / run.trace_ops as f64
                                ),
                                _ => String::new(),
                            }
                        );
                        tally.add(run);
                    }
                    Err(e) => {
                        eprintln!(
                            "load: [{done}/{total_runs}] {} {} x{} failed: {e}",
                            scenario.title(),
                            config.runtime,
                            config.workers
                        );
                        tally.failures += 1;
                    }
                }
            }
        }
    }

    println!("\n## Load results\n");
    println!(
        "{}; server pinned to CPUs {:?}, load generator to {:?}; {} round(s) of {:.1} s (CPU, latency) + {:.1} s (syscalls) per server and scenario.\n",
        machine,
        opts.server_cpus,
        opts.client_cpus,
        opts.rounds,
        opts.windows.measure.as_secs_f64(),
        opts.windows.trace.as_secs_f64()
    );
    println!("| scenario | workers | server | req/s | p50 µs | p99 µs | server CPU µs/op | × tokio | per round | syscalls/op | × tokio |");
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for config in &opts.configs {
            let Some(tally) = tallies.get_mut(&(si, *config)) else { continue };
            tally.latencies.sort_unstable();
            let tally = &tallies[&(si, *config)];
            let tokio = tallies.get(&(si, Config { workers: config.workers, runtime: "tokio" }));
            let p = |q| fmt_opt(loadgen::quantile(&tally.latencies, q).map(|ns| f64::from(ns) / 1e3), 0);
            let spread = {
                let lo = tally.round_cpu_us.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = tally.round_cpu_us.iter().copied().fold(0.0, f64::max);
                if tally.round_cpu_us.len() > 1 {
                    format!("{lo:.2}–{hi:.2}")
                } else {
                    "—".into()
                }
            };
            let failed =
                if tally.failures > 0 { format!(" ({} failed)", tally.failures) } else { String::new() };
            println!(
                "| {} | {} | {}{} | {} | {} | {} | {} | {} | {} | {} | {} |",
                scenario.title(),
                config.workers,
                config.label(),
                failed,
                fmt_opt(tally.rate(), 0),
                p(0.5),
                p(0.99),
                fmt_opt(tally.cpu_us_per_op(), 2),
                ratio(tally.cpu_us_per_op(), tokio.and_then(Tally::cpu_us_per_op)),
                spread,
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
    print!("| --- | ---: | --- |");
    for _ in 0..=BREAKDOWN.len() {
        print!(" ---: |");
    }
    println!();
    for (si, scenario) in opts.scenarios.iter().enumerate() {
        for config in &opts.configs {
            let Some(tally) = tallies.get(&(si, *config)) else { continue };
            print!("| {} | {} | {} |", scenario.title(), config.workers, config.runtime);
            let mut listed = 0.0;
            for (title, names) in BREAKDOWN {
                let v = tally.per_op(names);
                if !title.starts_with("of which") {
                    listed += v.unwrap_or(0.0);
                }
                print!(" {} |", fmt_opt(v, 2));
            }
            println!(" {} |", fmt_opt(tally.per_op(&["total"]).map(|t| (t - listed).max(0.0)), 2));
        }
    }
}
