//! The open-loop latency benchmark (issue 17, part 1): echo and HTTP servers of crest and
//! tokio, both flavors (and crest's per-core mode), under a constant request rate.
//!
//! ```text
//! cargo bench -p crest-benches --bench latency                    # about 4 minutes
//! cargo bench -p crest-benches --bench latency -- --secs 1 --conns 64 --out /tmp/l.svg
//! ```
//!
//! A closed-loop client (one request in flight per connection, the next sent when the reply
//! is in, as `benches/load.rs` does) hides a stalled server: while the server stalls the
//! client sends nothing, so the stall delays one request instead of all those that should
//! have been sent meanwhile (coordinated omission). Here requests leave on a fixed schedule
//! instead — request `j` at `start + j / rate`, on connection `j % conns`, pipelined behind
//! any still unanswered on that connection — and each latency runs from the request's
//! *scheduled* time to the last byte of its reply, so a late send counts against the server
//! too. Latencies go into an `hdrhistogram` (1 µs to 60 s, 3 significant digits).
//!
//! For each protocol and connection count, tokio's saturation rate is measured first with
//! the closed-loop generator (requests/s with every connection busy), then every server runs
//! at 25, 50, 75 and 90% of it, one after the other at each rate, a fresh process each time.
//! The table gives p50, p99, p99.9 and max per row and crest's p99 as a ratio to tokio's of
//! the same flavor; the plot (`docs/latency.svg` unless `--out`) draws p99 against the rate.
//!
//! The server runs pinned to `--server-cpus` (default `0`; its `WORKERS` argument is the
//! number of CPUs given), the generator to `--client-cpus` (default `1`). On the 2-core
//! machine this was written on, shared with other work, the windows are short (`--secs`,
//! default 2) and the numbers noisy: compare ratios from one run, not absolute values.
//!
//! Options: `--secs S`, `--warmup S`, `--conns 64,1000`, `--protos echo,http`,
//! `--rates 25,50,75,90`, `--servers crest-mt,tokio-mt,crest-ct,tokio-ct,crest-percore`,
//! `--server-cpus LIST`, `--client-cpus LIST`, `--out FILE.svg`.

#[path = "../src/loadgen.rs"]
mod loadgen;
#[path = "../src/openloop.rs"]
mod openloop;
#[path = "../src/proto.rs"]
mod proto;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use loadgen::{Peer, Workload};

/// A server under test: which peer binary, and which flavor (`SERVE_FLAVOR`).
#[derive(Clone, Copy, PartialEq)]
struct Server {
    key: &'static str,
    runtime: &'static str,
    flavor: &'static str,
}

const SERVERS: &[Server] = &[
    Server { key: "tokio-mt", runtime: "tokio", flavor: "multi_thread" },
    Server { key: "crest-mt", runtime: "crest", flavor: "multi_thread" },
    Server { key: "tokio-ct", runtime: "tokio", flavor: "current_thread" },
    Server { key: "crest-ct", runtime: "crest", flavor: "current_thread" },
    Server { key: "crest-percore", runtime: "crest", flavor: "per_core" },
];

struct Options {
    warmup: Duration,
    measure: Duration,
    conns: Vec<usize>,
    protos: Vec<&'static str>,
    rates: Vec<u32>,
    servers: Vec<Server>,
    server_cpus: Vec<usize>,
    client_cpus: Vec<usize>,
    out: PathBuf,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "latency: {problem}\nusage: cargo bench -p crest-benches --bench latency -- [--secs S] [--warmup S]\n\
         \x20      [--conns 64,1000] [--protos echo,http] [--rates 25,50,75,90]\n\
         \x20      [--servers crest-mt,tokio-mt,crest-ct,tokio-ct,crest-percore]\n\
         \x20      [--server-cpus 0] [--client-cpus 1] [--out FILE.svg]"
    );
    std::process::exit(2);
}

fn list<T>(s: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Vec<T> {
    s.split(',').map(|x| parse(x).unwrap_or_else(|| usage(&format!("bad {what}: {x:?}")))).collect()
}

fn parse_options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let mut opts = Options {
        warmup: Duration::from_millis(500),
        measure: Duration::from_secs(2),
        conns: vec![64, 1000],
        protos: vec!["echo", "http"],
        rates: vec![25, 50, 75, 90],
        servers: SERVERS.to_vec(),
        server_cpus: vec![0],
        client_cpus: vec![1],
        out: Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("docs/latency.svg"),
    };
    let secs =
        |v: String| Duration::from_secs_f64(v.parse().unwrap_or_else(|_| usage("a duration is in seconds")));
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--secs" => opts.measure = secs(value()),
            "--warmup" => opts.warmup = secs(value()),
            "--conns" => opts.conns = list(&value(), |c| c.parse().ok().filter(|&c| c > 0), "--conns"),
            "--protos" => {
                opts.protos = list(
                    &value(),
                    |p| match p {
                        "echo" => Some("echo"),
                        "http" => Some("http"),
                        _ => None,
                    },
                    "--protos",
                )
            }
            "--rates" => {
                opts.rates = list(&value(), |r| r.parse().ok().filter(|&r| r > 0 && r <= 100), "--rates")
            }
            "--servers" => {
                opts.servers = list(&value(), |k| SERVERS.iter().copied().find(|s| s.key == k), "--servers")
            }
            "--server-cpus" => {
                opts.server_cpus = loadgen::parse_cpus(&value()).unwrap_or_else(|| usage("bad --server-cpus"))
            }
            "--client-cpus" => {
                opts.client_cpus = loadgen::parse_cpus(&value()).unwrap_or_else(|| usage("bad --client-cpus"))
            }
            "--out" => opts.out = PathBuf::from(value()),
            other => usage(&format!("unknown option {other:?}")),
        }
    }
    opts
}

fn workload(proto: &str, conns: usize) -> Workload {
    match proto {
        "echo" => Workload { request: vec![0x5a; 64], response_len: 64, conns },
        _ => Workload {
            request: proto::HTTP_REQUEST.to_vec(),
            response_len: proto::HTTP_RESPONSE.len(),
            conns,
        },
    }
}

fn start(opts: &Options, server: Server, proto: &str) -> io::Result<Peer> {
    let exe = loadgen::peer_exe(server.runtime);
    let workers = opts.server_cpus.len().to_string();
    std::env::set_var("SERVE_FLAVOR", server.flavor);
    std::env::set_var(
        "SERVE_CPUS",
        opts.server_cpus.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(","),
    );
    Peer::start(&exe, &[proto, &workers], &opts.server_cpus, true)
}

/// tokio's closed-loop saturation rate (requests/s) for `proto` over `conns` connections.
fn saturation(opts: &Options, server: Server, proto: &'static str, conns: usize) -> io::Result<f64> {
    let peer = start(opts, server, proto)?;
    let addr = peer.addr.expect("a server announces its address");
    let client = loadgen::start_client(addr, workload(proto, conns), Some(opts.client_cpus.clone()))?;
    let shared = &client.shared;
    std::thread::sleep(opts.warmup);
    let (ops0, t0) = (shared.ops.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(opts.measure);
    let (ops1, t1) = (shared.ops.load(Ordering::Relaxed), Instant::now());
    client.finish()?;
    drop(peer);
    Ok((ops1 - ops0) as f64 / (t1 - t0).as_secs_f64())
}

/// One open-loop run: the histogram of latencies (µs) over the measuring window.
fn run_rate(
    opts: &Options,
    server: Server,
    proto: &'static str,
    conns: usize,
    rate: f64,
) -> io::Result<Histogram<u64>> {
    let mut peer = start(opts, server, proto)?;
    let addr = peer.addr.expect("a server announces its address");
    let _ = loadgen::pin_current_thread(&opts.client_cpus);
    let work = workload(proto, conns);
    let hist = openloop::run(addr, &work, rate, opts.warmup, opts.measure)?;
    if !peer.alive() {
        return Err(io::Error::other("the server died during the run"));
    }
    Ok(hist)
}

struct Row {
    proto: &'static str,
    conns: usize,
    pct: u32,
    rate: f64,
    server: Server,
    /// p50, p99, p99.9, max in µs; None if the run failed.
    q: Option<[u64; 4]>,
}

fn main() -> io::Result<()> {
    let opts = parse_options();
    // Before any pinning narrows what this thread sees.
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut rows = Vec::new();
    for &proto in &opts.protos {
        for &conns in &opts.conns {
            let tokio_mt = SERVERS[0];
            let sat = saturation(&opts, tokio_mt, proto, conns)?;
            eprintln!("latency: {proto} x{conns}: tokio-mt saturates at {sat:.0} requests/s");
            for &pct in &opts.rates {
                let rate = sat * f64::from(pct) / 100.0;
                for &server in &opts.servers {
                    let q = match run_rate(&opts, server, proto, conns, rate) {
                        Ok(h) => Some([
                            h.value_at_quantile(0.5),
                            h.value_at_quantile(0.99),
                            h.value_at_quantile(0.999),
                            h.max(),
                        ]),
                        Err(e) => {
                            eprintln!("latency: {proto} x{conns} {pct}% {}: {e}", server.key);
                            None
                        }
                    };
                    eprintln!("latency: {proto} x{conns} {pct}% ({rate:.0}/s) {}: {q:?} µs", server.key);
                    rows.push(Row { proto, conns, pct, rate, server, q });
                }
            }
        }
    }
    print_table(&opts, cpus, &rows);
    if let Err(e) = plot(&opts, &rows) {
        eprintln!("latency: the plot failed: {e}");
    }
    Ok(())
}

fn print_table(opts: &Options, cpus: usize, rows: &[Row]) {
    println!("\n## Open-loop latency\n");
    println!(
        "{} CPUs; server on CPUs {:?}, load generator on {:?}; {:.1} s warm-up, {:.1} s window per row; \
         latencies in µs from the scheduled send time.\n",
        cpus,
        opts.server_cpus,
        opts.client_cpus,
        opts.warmup.as_secs_f64(),
        opts.measure.as_secs_f64()
    );
    println!("| load | rate (req/s) | server | p50 | p99 | p99.9 | max | p99 ÷ tokio's | p99.9 ÷ tokio's |");
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let tokio_flavor = if row.server.flavor == "current_thread" { "tokio-ct" } else { "tokio-mt" };
        let base = rows
            .iter()
            .find(|r| {
                r.proto == row.proto
                    && r.conns == row.conns
                    && r.pct == row.pct
                    && r.server.key == tokio_flavor
            })
            .and_then(|r| r.q);
        let cell = |i: usize| row.q.map_or("failed".to_string(), |q| q[i].to_string());
        let ratio = |i: usize| match (row.q, base) {
            (Some(q), Some(b)) if row.server.runtime != "tokio" && b[i] > 0 => {
                format!("{:.2}x", q[i] as f64 / b[i] as f64)
            }
            _ => String::new(),
        };
        println!(
            "| {} x{} at {}% | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
            row.proto,
            row.conns,
            row.pct,
            row.rate,
            row.server.key,
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            ratio(1),
            ratio(2)
        );
    }
    println!("\n(ratios below 1: crest's latency is lower than tokio's of the same flavor; per-core is compared with tokio-mt.)");
}

/// p99 against the load (% of tokio's saturation), one panel per protocol × connections.
fn plot(opts: &Options, rows: &[Row]) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let panels: Vec<(&str, usize)> =
        opts.protos.iter().flat_map(|&p| opts.conns.iter().map(move |&c| (p, c))).collect();
    let root = SVGBackend::new(&opts.out, (480 * panels.len() as u32, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
    ];
    for (area, &(proto, conns)) in root.split_evenly((1, panels.len())).iter().zip(&panels) {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.proto == proto && r.conns == conns).collect();
        let top = mine.iter().filter_map(|r| r.q.map(|q| q[1])).max().unwrap_or(1).max(1) as f64 * 1.2;
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{proto}, {conns} connections: p99 (µs)"), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0u32..100u32, (1f64..top).log_scale())?;
        chart.configure_mesh().x_desc("% of tokio-mt's saturation rate").y_desc("p99 µs").draw()?;
        for (i, server) in opts.servers.iter().enumerate() {
            let color = colors[i % colors.len()];
            let points: Vec<(u32, f64)> = mine
                .iter()
                .filter(|r| r.server.key == server.key)
                .filter_map(|r| r.q.map(|q| (r.pct, q[1].max(1) as f64)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
                .label(server.key)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    }
    root.present()?;
    eprintln!("latency: wrote {}", opts.out.display());
    Ok(())
}
