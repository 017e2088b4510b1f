//! Per-core mode: one current-thread runtime per core, nothing shared between them. Each
//! thread has its own `SO_REUSEPORT` listener on the one port (the kernel spreads new
//! connections over the listeners), runs its connections as `spawn_local` tasks (so they
//! may hold `!Send` state: here an `Rc<Cell<_>>` per core), and can be pinned to its CPU.
//! The server is the echo server of `examples/echo.rs`.
//!
//! ```text
//! $ cargo run --release --example per_core                      # one thread per CPU
//! $ cargo run --release --example per_core -- 127.0.0.1:9000 --threads 2 --pin
//! listening on 127.0.0.1:9000 (2 threads, pinned)
//! ```
//!
//! When this wins over the work-stealing runtime, and when it does not, is measured in
//! BENCHMARKS.md ("Per-core mode"): with no cross-core traffic at all it pays for no
//! stealing, no shared queue and no cross-thread wakeup, but a core whose connections are
//! busier than the others' gets no help from them.

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpSocket, TcpStream};

const DEFAULT_ADDR: &str = "127.0.0.1:7878";
const USAGE: &str = "usage: per_core [ADDR] [--threads N] [--pin]";

struct Args {
    addr: SocketAddr,
    threads: usize,
    pin: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: DEFAULT_ADDR.parse().expect("the default address parses"),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        pin: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--threads" => {
                args.threads = it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).ok_or(USAGE)?;
            }
            "--pin" => args.pin = true,
            addr => args.addr = addr.parse().map_err(|_| format!("bad address {addr:?}\n{USAGE}"))?,
        }
    }
    Ok(args)
}

fn main() {
    let args = parse_args().unwrap_or_else(|usage| {
        eprintln!("{usage}");
        std::process::exit(2);
    });
    if let Err(e) = serve(&args) {
        eprintln!("per_core: {e}");
        std::process::exit(1);
    }
}

/// Binds one listener per thread on one port, starts the threads, and waits for them.
fn serve(args: &Args) -> io::Result<()> {
    // The first listener picks the port (when ADDR says port 0); the others join it.
    let mut sockets = Vec::with_capacity(args.threads);
    let mut addr = args.addr;
    for _ in 0..args.threads {
        let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        addr = socket.local_addr()?;
        sockets.push(socket);
    }
    let cpus = if args.pin { allowed_cpus()? } else { Vec::new() };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let mut threads = Vec::with_capacity(args.threads);
    for (i, socket) in sockets.into_iter().enumerate() {
        let cpu = (!cpus.is_empty()).then(|| cpus[i % cpus.len()]);
        let ready = ready_tx.clone();
        let thread =
            std::thread::Builder::new().name(format!("core-{i}")).spawn(move || -> io::Result<()> {
                if let Some(cpu) = cpu {
                    pin_current_thread(cpu)?;
                }
                let rt = crest::runtime::Builder::new_current_thread().build()?;
                rt.block_on(async move {
                    // `listen` registers the socket with this thread's runtime.
                    let listener = socket.listen(1024)?;
                    let _ = ready.send(());
                    accept_loop(listener).await
                })
            })?;
        threads.push(thread);
    }
    drop(ready_tx);
    for _ in 0..args.threads {
        ready_rx.recv().map_err(|_| io::Error::other("a thread failed before it listened"))?;
    }
    let pinned = if args.pin { ", pinned" } else { "" };
    println!("listening on {addr} ({} threads{pinned})", args.threads);
    for thread in threads {
        thread.join().map_err(|_| io::Error::other("a thread panicked"))??;
    }
    Ok(())
}

/// This thread's accept loop: every connection becomes a task on this thread.
async fn accept_loop(listener: TcpListener) -> io::Result<()> {
    // Per-core state needs no lock and no atomic: only this thread's tasks see it.
    let served = Rc::new(Cell::new(0u64));
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let served = served.clone();
                crest::task::spawn_local(async move {
                    served.set(served.get() + 1);
                    if let Err(e) = echo(stream).await {
                        if !matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe) {
                            eprintln!("per_core: {peer}: {e}");
                        }
                    }
                });
            }
            // EMFILE and the like: log and accept again; the listener's next `accept` waits
            // out its own back-off, so this loop does not spin.
            Err(e) => eprintln!("per_core: accept: {e}"),
        }
    }
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// The CPUs this process may run on, in order.
fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size passed; pid 0 is the calling thread.
    if unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET reads one bit of the live `set`; every index is below CPU_SETSIZE.
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect())
}

/// Pins the calling thread to `cpu` (`sched_setaffinity`).
fn pin_current_thread(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes one bit of the live `set`; `cpu` came from CPU_ISSET's range.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live cpu_set_t of the size passed; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
