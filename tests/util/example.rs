//! Runs an example server as a child process, the way a user would, and talks to it over
//! loopback the way `nc` would: plain blocking `std::net` sockets, each read bounded by a
//! timeout so that a broken server fails the test instead of hanging it.
//!
//! ```ignore
//! let echo = Example::start("echo", &["127.0.0.1:0"])?;   // a free port
//! let mut client = Client::connect(echo.addr())?;
//! client.send(b"hi\n")?;
//! assert_eq!(client.line()?, "hi");
//! ```
//!
//! Cargo gives integration tests no path to example binaries, so the first `start` of each
//! example in a test process runs `cargo build --example NAME` in the profile the tests were
//! built in, into the target directory the test binary lives in.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long one read or write of a test client may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an example may take to say where it listens (building it comes before).
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Examples built by this test process.
static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The path of example `name`'s binary, built first (once per test process).
pub fn example_binary(name: &str) -> io::Result<PathBuf> {
    // .../target[/triple]/PROFILE/deps/TEST-HASH
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or_else(|| io::Error::other(format!("no profile directory above {}", exe.display())))?;
    let profile = profile_dir.file_name().and_then(|p| p.to_str()).unwrap_or("debug");
    let binary = profile_dir.join("examples").join(name);

    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if built.get_or_insert_with(HashSet::new).contains(name) {
        return Ok(binary);
    }
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "-q", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    match profile {
        "debug" => {}
        "release" => {
            cargo.arg("--release");
        }
        other => {
            cargo.args(["--profile", other]);
        }
    }
    // Build where this test binary was built (a `--target-dir` flag leaves no variable).
    // In a cross-compiling layout (`target/TRIPLE/PROFILE`: `--target`, as scripts/asan
    // builds) the target directory is one level further up, and the example is built for
    // the same triple; cargo marks both levels with a CACHEDIR.TAG.
    // A target directory nested in another (`target/chaos`, scripts/chaos) is told from
    // the cross layout by the `.rustc_info.json` cargo keeps at a target directory's root.
    if let Some(dir) = profile_dir.parent() {
        let nested = dir.join(".rustc_info.json").exists();
        let target_dir = dir.parent().filter(|up| !nested && up.join("CACHEDIR.TAG").exists());
        let triple = dir.file_name().and_then(|t| t.to_str());
        match (target_dir, triple) {
            (Some(target_dir), Some(triple)) => {
                cargo.env("CARGO_TARGET_DIR", target_dir).args(["--target", triple]);
            }
            _ if dir.join("CACHEDIR.TAG").exists() => {
                cargo.env("CARGO_TARGET_DIR", dir);
            }
            _ => {}
        }
    }
    let output = cargo.output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "`cargo build --example {name}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    if !binary.exists() {
        return Err(io::Error::other(format!("built example {name}, but {} is missing", binary.display())));
    }
    built.as_mut().map(|set| set.insert(name.to_string()));
    Ok(binary)
}

/// A running example. Dropping it kills the process.
pub struct Example {
    name: String,
    child: Child,
    addr: SocketAddr,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Example {
    /// Starts example `name` with `args` and waits for its `listening on ADDR` line.
    pub fn start(name: &str, args: &[&str]) -> io::Result<Example> {
        Example::start_with_fd_limit(name, args, None)
    }

    /// [`Example::start`], with the process's RLIMIT_NOFILE (soft and hard) set to
    /// `fd_limit`: a server that runs out of descriptors.
    pub fn start_with_fd_limit(name: &str, args: &[&str], fd_limit: Option<u64>) -> io::Result<Example> {
        let binary = example_binary(name)?;
        let mut command = Command::new(&binary);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if let Some(limit) = fd_limit {
            let limit = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            // SAFETY: the closure runs in the forked child before exec, where only
            // async-signal-safe calls are allowed; setrlimit is one, and it reads `limit`,
            // a copy the closure owns.
            unsafe {
                command.pre_exec(move || {
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::last_os_error())
                    }
                });
            }
        }
        let mut child = command.spawn()?;
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout is piped");
        let log = stdout.clone();
        // Both pipes are drained for the child's whole life, so it never blocks on them.
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                // Logged before the address is announced, so a test that has the address can
                // already read the line that carried it.
                {
                    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
                if let Some(addr) = parse_listening(&line) {
                    let _ = addr_tx.send(addr);
                }
            }
        });
        drain(child.stderr.take().expect("stderr is piped"), stderr.clone());

        let mut example =
            Example { name: name.to_string(), child, addr: ([0, 0, 0, 0], 0).into(), stdout, stderr };
        match addr_rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => {
                example.addr = addr;
                Ok(example)
            }
            Err(_) => {
                let status = example.child.try_wait()?;
                // Give stderr's reader a moment to collect the last words.
                thread::sleep(Duration::from_millis(100));
                Err(io::Error::other(format!(
                    "{name} did not print `listening on ADDR` within {START_TIMEOUT:?} (exit status: {status:?})\n\
                     stdout:\n{}\nstderr:\n{}",
                    example.stdout(),
                    example.stderr()
                )))
            }
        }
    }

    /// Where the example listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything the example has printed to stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Everything the example has printed to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until stderr contains `needle`; an error after `limit`.
    pub fn wait_for_stderr(&self, needle: &str, limit: Duration) -> io::Result<String> {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.stderr();
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} never printed {needle:?} to stderr; it printed:\n{text}", self.name),
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The CPU time (user + system) the process has used so far, from `/proc/PID/stat`.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
        let ticks: u64 = fields.get(11..13).into_iter().flatten().filter_map(|f| f.parse::<u64>().ok()).sum();
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        Ok(Duration::from_millis(ticks * 1000 / per_second))
    }

    /// Sends signal `name` (`TERM`, `INT`) with the `kill` command, as a supervisor would.
    pub fn kill_with(&self, name: &str) -> io::Result<()> {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status()?;
        if !status.success() {
            return Err(io::Error::other(format!("kill -{name} {} failed: {status}", self.child.id())));
        }
        Ok(())
    }

    /// Waits for the process to exit, at most `limit`; its status.
    pub fn wait_exit(&mut self, limit: Duration) -> io::Result<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{} still running after {limit:?}; stderr:\n{}", self.name, self.stderr()),
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until connecting to the example is refused (it stopped listening), at most
    /// `limit`.
    pub fn wait_refused(&self, limit: Duration) -> io::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            match TcpStream::connect(self.addr) {
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("{} still accepted connections {limit:?} after the signal", self.name),
                    ))
                }
                _ => thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    /// Whether the process is still running (a server should never exit on bad input).
    pub fn is_running(&mut self) -> io::Result<bool> {
        Ok(self.child.try_wait()?.is_none())
    }

    /// Fails with the process's stderr if it has exited.
    pub fn assert_running(&mut self) -> io::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            thread::sleep(Duration::from_millis(100));
            panic!("{} exited ({status}); stderr:\n{}", self.name, self.stderr());
        }
        Ok(())
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs example `name` with `args` to completion (for argument errors and the like); gives
/// its status, stdout and stderr. Killed, and an error, after `limit`.
pub fn run_to_exit(name: &str, args: &[&str], limit: Duration) -> io::Result<(ExitStatus, String, String)> {
    let binary = example_binary(name)?;
    let mut child = Command::new(&binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let out_done = drain(child.stdout.take().expect("stdout is piped"), stdout.clone());
    let err_done = drain(child.stderr.take().expect("stderr is piped"), stderr.clone());
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{name} {args:?} ran past {limit:?}"),
            ));
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = out_done.join();
    let _ = err_done.join();
    let text = |s: &Arc<Mutex<String>>| s.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok((status, text(&stdout), text(&stderr)))
}

/// Copies a pipe into `log` on a thread until the pipe closes.
fn drain(mut pipe: impl Read + Send + 'static, log: Arc<Mutex<String>>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            log.lock().unwrap_or_else(|e| e.into_inner()).push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

/// `listening on 127.0.0.1:7878` (anything may follow a space or a comma).
fn parse_listening(line: &str) -> Option<SocketAddr> {
    let rest = line.split("listening on ").nth(1)?;
    let token = rest.split([' ', ',']).next()?;
    token.parse().ok()
}

/// A test client: a blocking socket whose reads and writes time out after [`IO_TIMEOUT`].
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        Ok(Client { reader: BufReader::with_capacity(64 * 1024, stream) })
    }

    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// Sends `line` and a `\n`.
    pub fn send_line(&mut self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.send(&bytes)
    }

    /// The next line, without its `\n` or `\r\n`; EOF is an `UnexpectedEof` error.
    pub fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
        }
        if line.ends_with('\n') {
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
        }
        Ok(line)
    }

    /// Reads lines until one satisfies `want`; gives it. Lines before it are skipped.
    pub fn line_where(&mut self, want: impl Fn(&str) -> bool) -> io::Result<String> {
        loop {
            let line = self.line()?;
            if want(&line) {
                return Ok(line);
            }
        }
    }

    /// Reads exactly `n` bytes.
    pub fn bytes(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.reader.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Reads until the server closes; gives what came. A reset counts as a close, as it
    /// does for `nc`; a timeout is an error.
    pub fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        match self.reader.read_to_end(&mut all) {
            Ok(_) => Ok(all),
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => Ok(all),
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("waiting for the server to close, after {} bytes: {e}", all.len()),
            )),
        }
    }

    /// Half-closes: the server reads EOF, and can still write to us.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.stream().shutdown(Shutdown::Write)
    }
}
