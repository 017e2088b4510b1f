//! The measuring side of the load and memory benchmarks, shared by `benches/load.rs` and
//! `benches/memory.rs` (each includes this file with `#[path]`):
//!
//! * [`Peer`]: a `serve_*` process, pinned to its cores, and its address;
//! * [`client`]: the load generator, one thread with its own small level-triggered epoll
//!   loop over blocking-free sockets and libc, none of the runtimes under test; each
//!   connection has one request in flight (closed loop);
//! * [`cpu_ns`]: a process's CPU time (all threads, user + system) from procfs;
//! * [`Perf`]: `perf stat` counting a process's syscalls over a window we open and close;
//! * [`measure`], [`Run`] and [`Tally`]: one closed-loop run against a server (warm-up, a
//!   CPU window, a syscall window) and the sum of a server's runs, shared by `load.rs` and
//!   `hyper_load.rs`; [`fmt_opt`] and [`ratio`] print them.
//!
//! Included by several crates, each of which uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Turns libc's -1 into the `errno` error.
fn check(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// The CPU numbers listed in `spec` ("0", "0,1", "0-1").
pub fn parse_cpus(spec: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => cpus.extend(a.trim().parse::<usize>().ok()?..=b.trim().parse::<usize>().ok()?),
            None => cpus.push(part.parse().ok()?),
        }
    }
    (!cpus.is_empty()).then_some(cpus)
}

fn cpu_set(cpus: &[usize]) -> libc::cpu_set_t {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus.iter().filter(|&&cpu| cpu < libc::CPU_SETSIZE as usize) {
        // SAFETY: CPU_SET writes inside `set` only, for cpu < CPU_SETSIZE (filtered above).
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    set
}

/// Pins the calling thread (and so the threads and processes it starts later) to `cpus`.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    let set = cpu_set(cpus);
    // SAFETY: `set` is a live cpu_set_t of the size passed; pid 0 is the calling thread.
    check(unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } as isize)
        .map(drop)
}

/// A `serve_*` peer running as a process of its own. Killed when dropped.
pub struct Peer {
    child: Child,
    pub addr: Option<SocketAddr>,
    /// The peer's stdout, for the sleepers' report line.
    stdout: BufReader<std::process::ChildStdout>,
}

impl Peer {
    /// Starts `exe args...` pinned to `cpus`. For a server, waits for its
    /// `listening on ADDR` line; otherwise (`wait_for_addr` false) returns at once.
    pub fn start(exe: &str, args: &[&str], cpus: &[usize], wait_for_addr: bool) -> io::Result<Peer> {
        let set = cpu_set(cpus);
        let mut command = Command::new(exe);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
        // SAFETY: the closure makes one syscall on a value prepared before the fork: it is
        // async-signal-safe, as pre_exec requires.
        unsafe {
            command.pre_exec(move || {
                check(libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) as isize)
                    .map(drop)
            });
        }
        let mut child = command.spawn()?;
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut peer = Peer { child, addr: None, stdout };
        if wait_for_addr {
            let line = peer.line()?;
            let addr = line.trim().strip_prefix("listening on ").and_then(|a| a.parse().ok());
            peer.addr = Some(addr.ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{exe}: unexpected first line {line:?}"))
            })?);
        }
        Ok(peer)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The peer's next line on stdout; an error if it closed its stdout (it died).
    pub fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            let status = self.child.wait()?;
            return Err(io::Error::other(format!("peer exited ({status}) before it reported")));
        }
        Ok(line)
    }

    /// Whether the process still runs.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The threads of process `pid`.
pub fn threads(pid: u32) -> io::Result<Vec<u32>> {
    let mut tids = Vec::new();
    for entry in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            tids.push(tid);
        }
    }
    tids.sort_unstable();
    Ok(tids)
}

/// CPU time, user plus system, of every thread of `pid`, in nanoseconds. This is what
/// `utime + stime` of `/proc/PID/stat` counts, read from `/proc/PID/task/TID/schedstat`
/// (the scheduler's own run time, in ns) instead of in 10 ms clock ticks.
pub fn cpu_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for tid in threads(pid)? {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")) else {
            continue; // the thread has just exited
        };
        total += stat.split_whitespace().next().and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
    }
    Ok(total)
}

/// How many descriptors `pid` has open.
pub fn open_fds(pid: u32) -> io::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Closes `stream` with a reset (SO_LINGER 0), so that thousands of benchmark connections
/// leave no TIME_WAIT behind to exhaust the ports of the next run.
pub fn reset_on_close(stream: &TcpStream) {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: the socket is open; `linger` is live and of the size passed.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Opens `n` connections to `addr` (blocking connects, one after another).
pub fn connect_many(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpStream>> {
    let mut conns = Vec::with_capacity(n);
    for _ in 0..n {
        let stream = TcpStream::connect(addr)?;
        reset_on_close(&stream);
        conns.push(stream);
    }
    Ok(conns)
}

/// What each connection of a load run sends, and how many bytes come back per request.
pub struct Workload {
    pub request: Vec<u8>,
    pub response_len: usize,
    pub conns: usize,
}

/// The state the load generator shares with the thread that times the run.
#[derive(Default)]
pub struct Shared {
    /// Requests answered so far.
    pub ops: AtomicU64,
    /// While set, each answered request's latency is recorded.
    pub record: AtomicBool,
    /// Set by the timer thread to end the run.
    pub stop: AtomicBool,
    /// Set by the generator once every connection is open and has sent its first request.
    pub running: AtomicBool,
}

struct ClientConn {
    stream: TcpStream,
    /// Response bytes received for the request in flight.
    got: usize,
    sent_at: Instant,
}

fn send_all(fd: RawFd, buf: &[u8]) -> io::Result<()> {
    // One request into a socket whose peer has read everything sent before: the send
    // buffer has room, so a short send means something is wrong.
    // SAFETY: `buf` is live for `buf.len()` bytes; `fd` is an open socket.
    let n = check(unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) })?;
    if n != buf.len() {
        return Err(io::Error::other(format!("short send: {n} of {} bytes", buf.len())));
    }
    Ok(())
}

/// The load generator: opens `work.conns` connections to `addr`, keeps one request in
/// flight on each until `shared.stop`, and returns the latencies (ns, send to last byte
/// received) of the requests answered while `shared.record` was set. Runs on the calling
/// thread; a level-triggered epoll loop of its own, one `recvfrom` and one `sendto` per
/// request plus a share of `epoll_wait`.
pub fn client(addr: SocketAddr, work: &Workload, shared: &Shared) -> io::Result<Vec<u32>> {
    let mut conns = Vec::with_capacity(work.conns);
    for stream in connect_many(addr, work.conns)? {
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        conns.push(ClientConn { stream, got: 0, sent_at: Instant::now() });
    }
    // SAFETY: epoll_create1 has no memory-safety preconditions.
    let epfd = check(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) } as isize)? as RawFd;
    // SAFETY: epoll_create1 just returned `epfd`; nobody else owns it.
    let _epoll = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(epfd) };
    for (i, conn) in conns.iter().enumerate() {
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: i as u64 };
        // SAFETY: both fds are open; `event` is live.
        check(unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, conn.stream.as_raw_fd(), &mut event) }
            as isize)?;
    }
    for conn in &mut conns {
        conn.sent_at = Instant::now();
        send_all(conn.stream.as_raw_fd(), &work.request)?;
    }
    shared.running.store(true, Ordering::Release);

    let mut latencies = Vec::with_capacity(1 << 20);
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut scratch = vec![0u8; work.response_len];
    let mut last_progress = Instant::now();
    let mut ops = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        // SAFETY: `events` is live and holds `events.len()` entries.
        let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, 100) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            if last_progress.elapsed() > Duration::from_secs(10) {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the server stopped answering"));
            }
            continue;
        }
        let record = shared.record.load(Ordering::Relaxed);
        for event in &events[..n as usize] {
            let conn = &mut conns[event.u64 as usize];
            let fd = conn.stream.as_raw_fd();
            let want = work.response_len - conn.got;
            // SAFETY: `scratch` is live and at least `want` bytes long.
            let got = unsafe { libc::recv(fd, scratch.as_mut_ptr().cast(), want, 0) };
            match got {
                0 => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed")),
                n if n < 0 => {
                    let e = io::Error::last_os_error();
                    if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) {
                        continue;
                    }
                    return Err(e);
                }
                n => conn.got += n as usize,
            }
            if conn.got == work.response_len {
                let now = Instant::now();
                if record {
                    let ns = now.duration_since(conn.sent_at).as_nanos();
                    latencies.push(u32::try_from(ns).unwrap_or(u32::MAX));
                }
                ops += 1;
                conn.got = 0;
                conn.sent_at = now;
                send_all(fd, &work.request)?;
            }
        }
        shared.ops.store(ops, Ordering::Relaxed);
        last_progress = Instant::now();
    }
    Ok(latencies)
}

/// The load generator on a thread of its own (pinned to `cpus` when given), once every
/// connection is open and has sent its first request; at most 60 s for that. End it with
/// [`ClientThread::finish`].
pub fn start_client(addr: SocketAddr, work: Workload, cpus: Option<Vec<usize>>) -> io::Result<ClientThread> {
    let shared = std::sync::Arc::new(Shared::default());
    let thread = {
        let shared = shared.clone();
        std::thread::Builder::new().name("load-client".into()).spawn(move || {
            if let Some(cpus) = cpus {
                let _ = pin_current_thread(&cpus);
            }
            let result = client(addr, &work, &shared);
            // Whatever happened, let the timing thread stop waiting.
            shared.running.store(true, Ordering::Release);
            result
        })?
    };
    let client = ClientThread { shared, thread: Some(thread) };
    let started = Instant::now();
    while !client.shared.running.load(Ordering::Acquire) {
        if started.elapsed() > Duration::from_secs(60) {
            client.shared.stop.store(true, Ordering::Relaxed);
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the connections did not open"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(client)
}

/// A running [`start_client`]; dropping it stops the load (an early return cannot leave
/// the generator running into the next measurement).
pub struct ClientThread {
    pub shared: std::sync::Arc<Shared>,
    thread: Option<std::thread::JoinHandle<io::Result<Vec<u32>>>>,
}

impl ClientThread {
    /// Stops the load and returns the latencies recorded (see [`client`]).
    pub fn finish(mut self) -> io::Result<Vec<u32>> {
        self.shared.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("finish is called once");
        thread.join().map_err(|_| io::Error::other("the load generator panicked"))?
    }
}

impl Drop for ClientThread {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
    }
}

/// The `q` quantile (0..=1) of `sorted`, in ns.
pub fn quantile(sorted: &[u32], q: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    Some(sorted[at])
}

/// The tracepoints [`Perf`] counts: the total of all syscalls, then the ones that matter
/// for a network server, each named as it is reported. A `Some` filter counts only the
/// calls whose return value matches it (`ret == -11`: failed with EAGAIN).
pub const SYSCALL_EVENTS: &[(&str, &str, Option<&str>)] = &[
    ("total", "raw_syscalls:sys_enter", None),
    ("recvfrom", "syscalls:sys_enter_recvfrom", None),
    ("recvfrom EAGAIN", "syscalls:sys_exit_recvfrom", Some("ret == -11")),
    ("sendto", "syscalls:sys_enter_sendto", None),
    ("read", "syscalls:sys_enter_read", None),
    ("read EAGAIN", "syscalls:sys_exit_read", Some("ret == -11")),
    ("write", "syscalls:sys_enter_write", None),
    ("readv", "syscalls:sys_enter_readv", None),
    ("writev", "syscalls:sys_enter_writev", None),
    ("recvmsg", "syscalls:sys_enter_recvmsg", None),
    ("sendmsg", "syscalls:sys_enter_sendmsg", None),
    ("epoll_wait", "syscalls:sys_enter_epoll_wait", None),
    ("epoll_pwait", "syscalls:sys_enter_epoll_pwait", None),
    ("epoll_pwait2", "syscalls:sys_enter_epoll_pwait2", None),
    ("epoll_ctl", "syscalls:sys_enter_epoll_ctl", None),
    ("futex", "syscalls:sys_enter_futex", None),
    ("sched_yield", "syscalls:sys_enter_sched_yield", None),
];

/// `perf stat` attached to a process, counting [`SYSCALL_EVENTS`] only between
/// [`Perf::enable`] and [`Perf::disable`] (it starts with its counters off and takes
/// commands through a pair of fifos), so that the counted window matches the window in
/// which the load generator counts requests.
pub struct Perf {
    child: Child,
    ctl: File,
    ack: File,
    out: PathBuf,
    dir: PathBuf,
}

impl Perf {
    /// Starts `perf stat` on every thread `pid` has now. Setting up the tracepoints takes
    /// perf a moment; [`Perf::ready`] waits for it.
    pub fn attach(pid: u32) -> io::Result<Perf> {
        let dir = std::env::temp_dir().join(format!("crest-perf-{}-{pid}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (ctl_path, ack_path, out) = (dir.join("ctl"), dir.join("ack"), dir.join("out.csv"));
        for fifo in [&ctl_path, &ack_path] {
            let _ = std::fs::remove_file(fifo);
            let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
            // SAFETY: `c` is a live NUL-terminated path.
            check(unsafe { libc::mkfifo(c.as_ptr(), 0o600) } as isize)?;
        }
        // Opened read-write so that neither open waits for perf to open the other end.
        let ctl = OpenOptions::new().read(true).write(true).open(&ctl_path)?;
        let ack = OpenOptions::new().read(true).write(true).custom_flags(libc::O_NONBLOCK).open(&ack_path)?;
        let mut command = Command::new("perf");
        command.args(["stat", "-x", ",", "-D", "-1", "-o"]).arg(&out);
        command.arg(format!("--control=fifo:{},{}", ctl_path.display(), ack_path.display()));
        for (_, event, filter) in SYSCALL_EVENTS {
            command.args(["-e", event]);
            if let Some(filter) = filter {
                command.args(["--filter", filter]);
            }
        }
        command
            .args(["-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn()?;
        Ok(Perf { child, ctl, ack, out, dir })
    }

    /// Sends a control command and waits (at most 30 s) for perf's acknowledgement.
    fn command(&mut self, cmd: &str) -> io::Result<()> {
        self.ctl.write_all(format!("{cmd}\n").as_bytes())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut buf = [0u8; 64];
        loop {
            match self.ack.read(&mut buf) {
                Ok(n) if n > 0 => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(io::Error::other(format!("perf exited ({status})")));
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "perf did not answer"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits until perf has set up its counters (it answers commands only then).
    pub fn ready(&mut self) -> io::Result<()> {
        self.command("disable")
    }

    pub fn enable(&mut self) -> io::Result<()> {
        self.command("enable")
    }

    pub fn disable(&mut self) -> io::Result<()> {
        self.command("disable")
    }

    /// Stops perf and returns its counts, by the names of [`SYSCALL_EVENTS`].
    pub fn finish(mut self) -> io::Result<BTreeMap<&'static str, u64>> {
        // SAFETY: kill() on our own child's pid has no memory-safety preconditions.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        self.child.wait()?;
        let text = std::fs::read_to_string(&self.out)?;
        let _ = std::fs::remove_dir_all(&self.dir);
        // One CSV line per event, in the order given: value,unit,event,...
        let values: Vec<u64> = text
            .lines()
            .filter(|line| line.contains("sys_e"))
            .map(|line| line.split(',').next().and_then(|v| v.parse().ok()).unwrap_or(0))
            .collect();
        if values.len() != SYSCALL_EVENTS.len() {
            return Err(io::Error::other(format!("unexpected perf output:\n{text}")));
        }
        Ok(SYSCALL_EVENTS.iter().map(|(name, ..)| *name).zip(values).collect())
    }
}

impl Drop for Perf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether `perf stat` can count syscall tracepoints here.
pub fn perf_works() -> bool {
    Command::new("perf")
        .args(["stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "--", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stderr).lines().any(|l| {
                    l.contains("raw_syscalls")
                        && l.split(',').next().is_some_and(|v| v.parse::<u64>().is_ok())
                })
        })
        .unwrap_or(false)
}

/// The absolute path of a `serve_*` peer built beside the running benchmark.
pub fn peer_exe(name: &str) -> String {
    let exe = match name {
        "crest" => env!("CARGO_BIN_EXE_serve_crest"),
        "tokio" => env!("CARGO_BIN_EXE_serve_tokio"),
        "smol" => env!("CARGO_BIN_EXE_serve_smol"),
        "epoll" => env!("CARGO_BIN_EXE_serve_epoll"),
        other => panic!("no peer named {other}"),
    };
    exe.to_string()
}

/// The windows of one closed-loop run: the warm-up, the window for the server's CPU time
/// per operation (procfs), and, with `perf`, the window for its syscalls per operation.
pub struct Windows {
    pub warmup: Duration,
    pub measure: Duration,
    pub trace: Duration,
    pub perf: bool,
}

/// What one closed-loop run against one server measured.
pub struct Run {
    /// Operations completed in the CPU window.
    pub ops: u64,
    pub secs: f64,
    /// The server's CPU time (all threads, user + system) in the CPU window.
    pub cpu_ns: u64,
    pub latencies: Vec<u32>,
    /// Operations completed in the syscall window.
    pub trace_ops: u64,
    pub syscalls: Option<BTreeMap<&'static str, u64>>,
}

/// Drives `work` against `peer` (listening at `addr`) through the [`Windows`]; fails if the
/// server died during the run.
pub fn measure(peer: &mut Peer, addr: SocketAddr, work: Workload, w: &Windows) -> io::Result<Run> {
    let pid = peer.pid();
    let mut perf = if w.perf { Some(Perf::attach(pid)?) } else { None };
    let client = start_client(addr, work, None)?;
    let shared = &client.shared;
    std::thread::sleep(w.warmup);
    if let Some(perf) = perf.as_mut() {
        perf.ready()?;
    }
    let (ops0, cpu0, t0) = (shared.ops.load(Ordering::Relaxed), cpu_ns(pid)?, Instant::now());
    shared.record.store(true, Ordering::Relaxed);
    std::thread::sleep(w.measure);
    shared.record.store(false, Ordering::Relaxed);
    let (ops1, cpu1, t1) = (shared.ops.load(Ordering::Relaxed), cpu_ns(pid)?, Instant::now());
    let mut trace_ops = 0;
    if let Some(perf) = perf.as_mut() {
        perf.enable()?;
        let ops2 = shared.ops.load(Ordering::Relaxed);
        std::thread::sleep(w.trace);
        perf.disable()?;
        trace_ops = shared.ops.load(Ordering::Relaxed) - ops2;
    }
    let latencies = client.finish()?;
    let syscalls = perf.map(Perf::finish).transpose()?;
    if !peer.alive() {
        return Err(io::Error::other("the server died during the run"));
    }
    Ok(Run {
        ops: ops1 - ops0,
        secs: (t1 - t0).as_secs_f64(),
        cpu_ns: cpu1.saturating_sub(cpu0),
        latencies,
        trace_ops,
        syscalls,
    })
}

/// Everything measured for one server in one scenario, over all rounds.
#[derive(Default)]
pub struct Tally {
    pub ops: u64,
    pub secs: f64,
    pub cpu_ns: u64,
    /// CPU µs per operation of each round, for the spread.
    pub round_cpu_us: Vec<f64>,
    pub latencies: Vec<u32>,
    pub trace_ops: u64,
    pub syscalls: BTreeMap<&'static str, u64>,
    /// Rounds that failed (the server died or a socket call failed).
    pub failures: usize,
}

impl Tally {
    pub fn add(&mut self, run: Run) {
        self.ops += run.ops;
        self.secs += run.secs;
        self.cpu_ns += run.cpu_ns;
        if run.ops > 0 {
            self.round_cpu_us.push(run.cpu_ns as f64 / run.ops as f64 / 1e3);
        }
        self.latencies.extend(run.latencies);
        if let Some(counts) = run.syscalls {
            self.trace_ops += run.trace_ops;
            for (name, n) in counts {
                *self.syscalls.entry(name).or_default() += n;
            }
        }
    }

    /// Operations per second.
    pub fn rate(&self) -> Option<f64> {
        (self.secs > 0.0).then(|| self.ops as f64 / self.secs)
    }

    pub fn cpu_us_per_op(&self) -> Option<f64> {
        (self.ops > 0).then(|| self.cpu_ns as f64 / self.ops as f64 / 1e3)
    }

    /// Calls per operation of the named counters.
    pub fn per_op(&self, names: &[&str]) -> Option<f64> {
        (self.trace_ops > 0).then(|| {
            names.iter().map(|n| self.syscalls.get(n).copied().unwrap_or(0)).sum::<u64>() as f64
                / self.trace_ops as f64
        })
    }
}

/// `v` with `digits` decimals, or "n/a".
pub fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("n/a".to_string(), |v| format!("{v:.digits$}"))
}

/// `v / base` as "1.23x", or "—".
pub fn ratio(v: Option<f64>, base: Option<f64>) -> String {
    match (v, base) {
        (Some(v), Some(b)) if b > 0.0 => format!("{:.2}x", v / b),
        _ => "—".to_string(),
    }
}
