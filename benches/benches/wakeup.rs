//! The cost of one wakeup through select, poll, epoll (level-triggered) and epoll
//! (edge-triggered), with N idle descriptors beside the one that becomes ready: the picture
//! of why epoll exists. select and poll hand the kernel the whole set on every call, and the
//! kernel walks all of it (and user space walks it again to find the ready one); epoll keeps
//! the set in the kernel and returns only what is ready.
//!
//! ```text
//! cargo bench -p crest-benches --bench wakeup              # table on stdout, docs/wakeup.svg
//! cargo bench -p crest-benches --bench wakeup -- --idle socketpair --out /tmp/w.svg
//! CREST_BENCH_QUICK=1 cargo bench -p crest-benches --bench wakeup   # fewer rounds
//! ```
//!
//! Two ways to be woken, each measured for N in {10, 100, 1,000, 10,000, 50,000}:
//!
//! * **ready**: one thread writes a byte to the active pipe, calls the wait (which finds the
//!   pipe readable on its first pass and returns), finds the ready descriptor, reads the byte.
//!   The cost of one call of the API with one event pending: what a busy server pays.
//! * **asleep**: the waiting thread is blocked in the wait when another thread writes the byte;
//!   it wakes, finds the descriptor, reads the byte and acknowledges over an eventfd. This adds
//!   two thread wakeups (tens of µs on a shared machine, the same for every API), and for
//!   select and poll a second walk of the set (the first registers a wait on every descriptor).
//!
//! Idle descriptors are eventfds by default (one fd each, never readable), so that 50,000 of
//! them fit in 50,000 fds; `--idle socketpair` or `--idle pipe` watches one end of a
//! socketpair or pipe instead (two fds each). The process raises `RLIMIT_NOFILE` as far as it
//! may and skips the N that do not fit. select is measured only while every descriptor is
//! below `FD_SETSIZE` (1024). Each N builds one epoll set per mode (LT, ET) holding the
//! idle descriptors; each batch opens a fresh active pipe and adds it to the set under test
//! only, so that no other API's registration sits on the pipe's wait queue while one is timed.
//! The four APIs alternate within each round (forwards, then backwards); the result is the
//! median over rounds of each batch's mean (ready) or median (asleep) time.
//!
//! This benchmark calls libc directly: it measures the system calls themselves.

use std::fmt::Write as _;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crest_benches::median;

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 50_000];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Api {
    Select,
    Poll,
    EpollLt,
    EpollEt,
}

const APIS: [Api; 4] = [Api::Select, Api::Poll, Api::EpollLt, Api::EpollEt];

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::Select => "select",
            Api::Poll => "poll",
            Api::EpollLt => "epoll LT",
            Api::EpollEt => "epoll ET",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// The byte is written just before the call, on the same thread.
    Ready,
    /// Another thread writes the byte `nap` after the previous wakeup was acknowledged.
    Asleep { nap: Duration },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Idle {
    Eventfd,
    Socketpair,
    Pipe,
}

impl Idle {
    fn fds_each(self) -> usize {
        if self == Idle::Eventfd {
            1
        } else {
            2
        }
    }
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn owned(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by a successful syscall that created it; nothing else owns it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn pipe(flags: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags | libc::O_CLOEXEC) })?;
    Ok((owned(fds[0]), owned(fds[1])))
}

fn eventfd(flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall with no pointer arguments.
    Ok(owned(check(unsafe { libc::eventfd(0, flags | libc::EFD_CLOEXEC) })?))
}

/// N idle descriptors: the watched ones, and the other ends kept open so nothing hangs up.
struct IdleSet {
    watched: Vec<OwnedFd>,
    peers: Vec<OwnedFd>,
}

fn idle_set(kind: Idle, n: usize) -> io::Result<IdleSet> {
    let mut watched = Vec::with_capacity(n);
    let mut peers = Vec::new();
    for _ in 0..n {
        match kind {
            Idle::Eventfd => watched.push(eventfd(libc::EFD_NONBLOCK)?),
            Idle::Pipe => {
                let (r, w) = pipe(libc::O_NONBLOCK)?;
                watched.push(r);
                peers.push(w);
            }
            Idle::Socketpair => {
                let mut fds = [0; 2];
                // SAFETY: `fds` is a valid array of two ints for socketpair to fill.
                check(unsafe {
                    libc::socketpair(
                        libc::AF_UNIX,
                        libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                        0,
                        fds.as_mut_ptr(),
                    )
                })?;
                watched.push(owned(fds[0]));
                peers.push(owned(fds[1]));
            }
        }
    }
    Ok(IdleSet { watched, peers })
}

/// Raises the soft (and, where allowed, the hard) `RLIMIT_NOFILE` to `want`; returns the
/// soft limit in force afterwards.
fn raise_nofile(want: u64) -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    if lim.rlim_cur >= want {
        return lim.rlim_cur;
    }
    // Past the hard limit only with CAP_SYS_RESOURCE (root here); otherwise up to the hard limit.
    let raised = libc::rlimit { rlim_cur: want.max(lim.rlim_max), rlim_max: want.max(lim.rlim_max) };
    // SAFETY: `raised` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return raised.rlim_cur;
    }
    let to_hard = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
    // SAFETY: `to_hard` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &to_hard) } == 0 {
        return lim.rlim_max;
    }
    lim.rlim_cur
}

/// One API set up over the idle descriptors plus the active pipe's read end (`active`).
enum Waiter {
    Select {
        template: libc::fd_set,
        nfds: RawFd,
        fds: Vec<RawFd>,
        active: RawFd,
    },
    Poll {
        fds: Vec<libc::pollfd>,
        active: RawFd,
    },
    /// `epfd` is an [`EpollSet`]'s, which outlives the waiter; the waiter added `active` to it.
    Epoll {
        epfd: RawFd,
        events: Vec<libc::epoll_event>,
        active: RawFd,
    },
}

/// An epoll instance with the idle descriptors registered, built once per N and API so that
/// no batch pays for (or runs beside the kernel's deferred freeing of) 10,000 registrations.
/// Each batch adds its active pipe and removes it again.
struct EpollSet {
    epfd: OwnedFd,
    events: u32,
}

impl EpollSet {
    fn new(api: Api, idle: &[OwnedFd]) -> io::Result<EpollSet> {
        // SAFETY: plain syscall with no pointer arguments.
        let epfd = owned(check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?);
        let flags = if api == Api::EpollEt { libc::EPOLLET } else { 0 };
        let events = (libc::EPOLLIN | flags) as u32;
        for fd in idle {
            let mut ev = libc::epoll_event { events, u64: fd.as_raw_fd() as u64 };
            // SAFETY: both fds are open; `ev` is a valid epoll_event.
            check(unsafe {
                libc::epoll_ctl(epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut ev)
            })?;
        }
        Ok(EpollSet { epfd, events })
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Waiter::Epoll { epfd, active, .. } = *self {
            let mut ev = libc::epoll_event { events: 0, u64: 0 };
            // SAFETY: `epfd` belongs to a live EpollSet; `active` is still open (the batch
            // drops its waiter before its pipe).
            unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, active, &mut ev) };
        }
    }
}

impl Waiter {
    fn new(api: Api, idle: &[OwnedFd], active: RawFd, epoll: Option<&EpollSet>) -> io::Result<Waiter> {
        let mut all: Vec<RawFd> = idle.iter().map(|f| f.as_raw_fd()).collect();
        all.push(active);
        Ok(match api {
            Api::Select => {
                // SAFETY: fd_set is plain data; all-zero bytes are the empty set (FD_ZERO).
                let mut template: libc::fd_set = unsafe { std::mem::zeroed() };
                for &fd in &all {
                    assert!((fd as usize) < libc::FD_SETSIZE, "select: fd {fd} past FD_SETSIZE");
                    // SAFETY: fd < FD_SETSIZE, checked above; `template` is a valid fd_set.
                    unsafe { libc::FD_SET(fd, &mut template) };
                }
                let nfds = all.iter().copied().max().unwrap_or(0) + 1;
                Waiter::Select { template, nfds, fds: all, active }
            }
            Api::Poll => Waiter::Poll {
                fds: all.iter().map(|&fd| libc::pollfd { fd, events: libc::POLLIN, revents: 0 }).collect(),
                active,
            },
            Api::EpollLt | Api::EpollEt => {
                let set = epoll.expect("an epoll set for the epoll APIs");
                let mut ev = libc::epoll_event { events: set.events, u64: active as u64 };
                // SAFETY: both fds are open; `ev` is a valid epoll_event.
                check(unsafe {
                    libc::epoll_ctl(set.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, active, &mut ev)
                })?;
                Waiter::Epoll {
                    epfd: set.epfd.as_raw_fd(),
                    events: vec![libc::epoll_event { events: 0, u64: 0 }; 64],
                    active,
                }
            }
        })
    }

    /// Blocks until a descriptor is readable and walks the result the way a caller of the
    /// API has to; returns how many ready descriptors it found (the active one: 1).
    fn wait(&mut self) -> io::Result<usize> {
        match self {
            Waiter::Select { template, nfds, fds, active } => {
                let mut set = *template;
                // SAFETY: `set` is a valid fd_set holding only fds below nfds ≤ FD_SETSIZE.
                check(unsafe {
                    libc::select(
                        *nfds,
                        &mut set,
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                    )
                })?;
                // select says how many, not which: the caller tests every descriptor it asked for.
                // SAFETY: each fd < FD_SETSIZE (checked when the template was built).
                let found = fds.iter().filter(|&&fd| unsafe { libc::FD_ISSET(fd, &set) }).count();
                // SAFETY: as above.
                debug_assert!(unsafe { libc::FD_ISSET(*active, &set) });
                Ok(found)
            }
            Waiter::Poll { fds, active } => {
                // SAFETY: `fds` is a valid array of fds.len() pollfds.
                check(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) })?;
                let found = fds.iter().filter(|p| p.revents != 0).count();
                debug_assert!(fds.last().is_some_and(|p| p.fd == *active && p.revents != 0));
                Ok(found)
            }
            Waiter::Epoll { epfd, events, active } => {
                // SAFETY: `events` has room for events.len() entries.
                let n = check(unsafe {
                    libc::epoll_wait(*epfd, events.as_mut_ptr(), events.len() as libc::c_int, -1)
                })? as usize;
                debug_assert!(events[..n].iter().any(|e| e.u64 == *active as u64));
                Ok(n)
            }
        }
    }
}

fn write_byte(fd: RawFd) -> io::Result<()> {
    // SAFETY: one byte from a valid buffer.
    check(unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) as libc::c_int }).map(drop)
}

fn read_byte(fd: RawFd) -> io::Result<()> {
    let mut b = 0u8;
    // SAFETY: one byte into a valid buffer.
    check(unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) as libc::c_int }).map(drop)
}

fn write_u64(fd: RawFd) -> io::Result<()> {
    let one = 1u64;
    // SAFETY: eight bytes from a valid u64.
    check(unsafe { libc::write(fd, (&one as *const u64).cast(), 8) as libc::c_int }).map(drop)
}

fn read_u64(fd: RawFd) -> io::Result<()> {
    let mut v = 0u64;
    // SAFETY: eight bytes into a valid u64.
    check(unsafe { libc::read(fd, (&mut v as *mut u64).cast(), 8) as libc::c_int }).map(drop)
}

/// The time of one wakeup over `iters` wakeups: for `Ready`, the mean from the write to the
/// byte read back; for `Asleep`, the median from the writer's `write` to the waiter's `read`
/// returning.
fn batch(
    api: Api,
    mode: Mode,
    idle: &[OwnedFd],
    epoll: &[EpollSet; 2],
    iters: usize,
) -> io::Result<Duration> {
    // A fresh active pipe per batch: no earlier API's wait entries linger on it.
    let (rx, tx) = pipe(libc::O_NONBLOCK)?;
    let set = match api {
        Api::EpollLt => Some(&epoll[0]),
        Api::EpollEt => Some(&epoll[1]),
        _ => None,
    };
    let mut waiter = Waiter::new(api, idle, rx.as_raw_fd(), set)?;
    let (rx, tx) = (rx.as_raw_fd(), tx.as_raw_fd());
    match mode {
        Mode::Ready => {
            let start = Instant::now();
            for _ in 0..iters {
                write_byte(tx)?;
                waiter.wait()?;
                read_byte(rx)?;
            }
            Ok(start.elapsed() / iters as u32)
        }
        Mode::Asleep { nap } => {
            let ack = eventfd(0)?; // blocking: the writer sleeps in read until acknowledged
            let ack_fd = ack.as_raw_fd();
            let base = Instant::now();
            let stamp = AtomicU64::new(0);
            std::thread::scope(|s| {
                let writer = s.spawn(|| -> io::Result<()> {
                    for _ in 0..iters {
                        // Let the waiter finish its pass and fall asleep, as it would before
                        // a peer's packet arrives.
                        std::thread::sleep(nap);
                        stamp.store(base.elapsed().as_nanos() as u64, Ordering::Release);
                        write_byte(tx)?;
                        read_u64(ack_fd)?;
                    }
                    Ok(())
                });
                let mut latencies = Vec::with_capacity(iters);
                for _ in 0..iters {
                    waiter.wait()?;
                    read_byte(rx)?;
                    let written = Duration::from_nanos(stamp.load(Ordering::Acquire));
                    latencies.push(base.elapsed().saturating_sub(written).as_secs_f64());
                    write_u64(ack_fd)?;
                }
                writer.join().expect("writer thread")?;
                // The median: a wakeup that found both cores taken by other work waits for
                // the kernel's scheduler, whatever the API; the mean would measure that.
                Ok(Duration::from_secs_f64(median(&mut latencies).unwrap_or(0.0)))
            })
        }
    }
}

struct Options {
    idle: Idle,
    out: PathBuf,
    rounds: usize,
    batch_time: Duration,
}

fn options() -> Options {
    let quick = std::env::var_os("CREST_BENCH_QUICK").is_some_and(|v| v != "0");
    let mut opts = Options {
        idle: Idle::Eventfd,
        out: Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).join("docs/wakeup.svg"),
        rounds: if quick { 3 } else { 9 },
        batch_time: Duration::from_millis(if quick { 10 } else { 40 }),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--idle" => {
                opts.idle = match args.next().as_deref() {
                    Some("eventfd") => Idle::Eventfd,
                    Some("socketpair") => Idle::Socketpair,
                    Some("pipe") => Idle::Pipe,
                    other => panic!("--idle takes eventfd, socketpair or pipe, not {other:?}"),
                }
            }
            "--out" => opts.out = args.next().expect("--out takes a path to the SVG to write").into(),
            "--quick" => {
                opts.rounds = 3;
                opts.batch_time = Duration::from_millis(10);
            }
            // `cargo bench` passes --bench; criterion-style filters mean nothing here.
            _ => {}
        }
    }
    opts
}

/// Results: `[mode][api][size index]`, µs per wakeup, `None` where not measured.
type Table = [[Vec<Option<f64>>; 4]; 2];

fn main() -> io::Result<()> {
    let opts = options();
    let biggest = *SIZES.iter().max().unwrap() as u64;
    let limit = raise_nofile(biggest * opts.idle.fds_each() as u64 + 256);
    let fits = |n: usize| (n * opts.idle.fds_each()) as u64 + 256 <= limit;
    let mut sizes: Vec<usize> = SIZES.iter().copied().filter(|&n| fits(n)).collect();
    if sizes.len() < SIZES.len() {
        // The largest round N that fits stands in for the sizes that do not.
        let most = (limit.saturating_sub(256) as usize / opts.idle.fds_each()) / 1000 * 1000;
        if most > sizes.last().copied().unwrap_or(0) {
            sizes.push(most);
        }
        eprintln!(
            "RLIMIT_NOFILE is {limit} and cannot be raised further here: N up to {}",
            sizes.last().copied().unwrap_or(0)
        );
    }

    let mut table: Table = Default::default();
    for per_mode in table.iter_mut() {
        for per_api in per_mode.iter_mut() {
            *per_api = vec![None; sizes.len()];
        }
    }
    for (si, &n) in sizes.iter().enumerate() {
        let idle = idle_set(opts.idle, n)?;
        let sets = [EpollSet::new(Api::EpollLt, &idle.watched)?, EpollSet::new(Api::EpollEt, &idle.watched)?];
        // The active pipe (and the ack eventfd) come after the idle set and the two epoll
        // sets in fd order: select needs all of them below FD_SETSIZE.
        let highest =
            idle.watched.iter().chain(&idle.peers).map(|f| f.as_raw_fd()).max().unwrap_or(0) as usize;
        let select_fits = highest + 8 < libc::FD_SETSIZE;
        let apis: Vec<Api> = APIS.iter().copied().filter(|&a| a != Api::Select || select_fits).collect();
        for mi in 0..2 {
            // Asleep: the writer naps long enough for the waiter's pass over the set (its
            // ready-mode cost) to end, so that the waiter is asleep when the byte comes.
            let modes: Vec<Mode> = apis
                .iter()
                .map(|&api| {
                    let ai = APIS.iter().position(|&a| a == api).unwrap();
                    match mi {
                        0 => Mode::Ready,
                        _ => Mode::Asleep {
                            nap: Duration::from_secs_f64(table[0][ai][si].unwrap_or(0.0) * 3e-6)
                                .max(Duration::from_micros(50)),
                        },
                    }
                })
                .collect();
            // Calibrate: iterations per batch so that one batch takes about batch_time.
            let mut iters = Vec::new();
            for (&api, &mode) in apis.iter().zip(&modes) {
                let start = Instant::now();
                batch(api, mode, &idle.watched, &sets, 5)?;
                let per = start.elapsed().as_secs_f64() / 5.0;
                iters.push(((opts.batch_time.as_secs_f64() / per.max(1e-9)) as usize).clamp(10, 200_000));
            }
            let mut samples = vec![Vec::new(); apis.len()];
            for round in 0..opts.rounds {
                let mut order: Vec<usize> = (0..apis.len()).collect();
                if round % 2 == 1 {
                    order.reverse();
                }
                for i in order {
                    samples[i]
                        .push(batch(apis[i], modes[i], &idle.watched, &sets, iters[i])?.as_secs_f64() * 1e6);
                }
            }
            for (i, api) in apis.iter().enumerate() {
                let ai = APIS.iter().position(|a| a == api).unwrap();
                table[mi][ai][si] = median(&mut samples[i]);
            }
        }
        eprintln!("N = {n}: done");
    }

    print!("{}", markdown(&sizes, &table, opts.idle));
    plot(&opts.out, &sizes, &table, opts.idle).map_err(|e| io::Error::other(e.to_string()))?;
    println!("\nplot written to {}", opts.out.display());
    Ok(())
}

fn cell(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(us) if us < 9.995 => format!("{us:.2}"),
        Some(us) if us < 99.95 => format!("{us:.1}"),
        Some(us) => format!("{us:.0}"),
    }
}

fn markdown(sizes: &[usize], table: &Table, idle: Idle) -> String {
    let mut s = String::new();
    let idle = format!("{idle:?}").to_lowercase();
    for (mi, title) in ["ready (the byte is there when the call is made)", "asleep (woken by another thread)"]
        .iter()
        .enumerate()
    {
        let _ = writeln!(s, "\n### µs per wakeup, {title}; idle fds: {idle}s\n");
        let _ = writeln!(s, "| idle fds N | select | poll | epoll LT | epoll ET | poll ÷ epoll ET |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
        for (si, n) in sizes.iter().enumerate() {
            let row: Vec<String> = (0..4).map(|ai| cell(table[mi][ai][si])).collect();
            let ratio = match (table[mi][1][si], table[mi][3][si]) {
                (Some(p), Some(e)) => format!("{:.1}x", p / e),
                _ => "-".into(),
            };
            let _ = writeln!(s, "| {n} | {} | {ratio} |", row.join(" | "));
        }
    }
    s
}

fn plot(out: &Path, sizes: &[usize], table: &Table, idle: Idle) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;

    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let values: Vec<f64> = table.iter().flatten().flatten().flatten().copied().collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min).max(1e-3) / 1.5;
    let hi = values.iter().copied().fold(0.0, f64::max) * 1.5;
    let (x_lo, x_hi) =
        (*sizes.first().unwrap_or(&10) as f64 / 1.3, *sizes.last().unwrap_or(&10) as f64 * 1.3);
    let colors = [RGBColor(214, 39, 40), RGBColor(31, 119, 180), RGBColor(44, 160, 44), RGBColor(0, 0, 0)];

    let root = SVGBackend::new(out, (1100, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let idle = format!("{idle:?}").to_lowercase();
    let root = root.titled(
        &format!("One wakeup with N idle descriptors ({idle}s) plus one active: µs, log-log"),
        ("sans-serif", 20),
    )?;
    let panels = root.split_evenly((1, 2));
    let titles = ["ready when called (one thread)", "asleep when the byte arrives (two threads)"];
    for (mi, panel) in panels.iter().enumerate() {
        let mut chart = ChartBuilder::on(panel)
            .caption(titles[mi], ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("idle descriptors N")
            .y_desc("µs per wakeup")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| if *y < 1.0 { format!("{y:.2}") } else { format!("{y:.0}") })
            .draw()?;
        for (ai, api) in APIS.iter().enumerate() {
            let points: Vec<(f64, f64)> =
                sizes.iter().zip(&table[mi][ai]).filter_map(|(&n, v)| v.map(|us| (n as f64, us))).collect();
            if points.is_empty() {
                continue;
            }
            let color = colors[ai];
            // select and poll cost the same, as do LT and ET: the first of each pair is drawn
            // wide with hollow squares so that it shows around the second.
            let (width, hollow) =
                if matches!(api, Api::Select | Api::EpollLt) { (5, true) } else { (2, false) };
            chart
                .draw_series(LineSeries::new(points.clone(), color.mix(0.6).stroke_width(width)))?
                .label(api.name())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(width)));
            if hollow {
                chart.draw_series(points.iter().map(|&(x, y)| {
                    EmptyElement::at((x, y)) + Rectangle::new([(-6, -6), (6, 6)], color.stroke_width(2))
                }))?;
            } else {
                chart.draw_series(
                    points
                        .iter()
                        .map(|&(x, y)| EmptyElement::at((x, y)) + Circle::new((0, 0), 3, color.filled())),
                )?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()?;
    }
    root.present()?;
    Ok(())
}
