//! The crest peer of the load and memory benchmarks: `serve_crest (echo|http|sleepers N)
//! WORKERS` on a multi-thread runtime with WORKERS workers. The protocol code is
//! `src/proto.rs`, shared with every other peer.
//!
//! `SERVE_FLAVOR` (read by the latency benchmark's runs, echo and http only) picks another
//! shape: `current_thread` (one thread, WORKERS ignored) or `per_core` (WORKERS threads, each
//! running a current-thread runtime with its own `SO_REUSEPORT` listener on the one port and
//! its connections as `spawn_local` tasks, pinned to the CPUs listed in `SERVE_CPUS`, one
//! each, if set: the shape of `examples/per_core.rs`).

#[path = "../proto.rs"]
mod proto;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use proto::{Conn, Mode};

impl Conn for TcpStream {
    fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl std::future::Future<Output = io::Result<usize>> + Send + 'a {
        AsyncReadExt::read(self, buf)
    }
    fn write_all<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> impl std::future::Future<Output = io::Result<()>> + Send + 'a {
        AsyncWriteExt::write_all(self, buf)
    }
}

fn main() -> io::Result<()> {
    let args = proto::Args::parse();
    proto::raise_nofile()?;
    match std::env::var("SERVE_FLAVOR").as_deref() {
        Ok("current_thread") => return current_thread(args.mode),
        Ok("per_core") => return per_core(args.mode, args.workers),
        _ => {}
    }
    let rt = crest::runtime::Builder::new_multi_thread().worker_threads(args.workers).build()?;
    match args.mode {
        Mode::Sleepers(n) => {
            let before = proto::status_kb(None, "VmRSS")?;
            let started = Arc::new(AtomicUsize::new(0));
            let t = Instant::now();
            for _ in 0..n {
                let started = started.clone();
                rt.spawn(async move {
                    started.fetch_add(1, Ordering::Relaxed);
                    crest::time::sleep(proto::SLEEP).await;
                });
            }
            let spawn = t.elapsed();
            proto::report_sleepers(before, &started, n, spawn)?;
            // Exit without dropping 100,000 tasks: only the memory was asked for.
            std::process::exit(0);
        }
        mode => {
            let std_listener = proto::listener(0)?;
            let addr = std_listener.local_addr()?;
            // The accept loop is a task like the connections, so that every task runs on
            // the workers and the main thread only waits.
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener)?;
                proto::announce(addr);
                let accept = crest::spawn(async move {
                    loop {
                        let (stream, _) = match listener.accept().await {
                            Ok(accepted) => accepted,
                            Err(e) if proto::is_disconnect(&e) => continue,
                            Err(e) => return Err::<(), io::Error>(e),
                        };
                        stream.set_nodelay(true)?;
                        crest::spawn(proto::serve(mode, stream, "serve_crest"));
                    }
                });
                accept.await.map_err(io::Error::other)?
            })
        }
    }
}

/// The server on a current-thread runtime: the accept loop and every connection on the
/// calling thread.
fn current_thread(mode: Mode) -> io::Result<()> {
    let std_listener = proto::listener(0)?;
    let addr = std_listener.local_addr()?;
    let rt = crest::runtime::Builder::new_current_thread().build()?;
    rt.block_on(async move {
        let listener = TcpListener::from_std(std_listener)?;
        proto::announce(addr);
        accept_loop(mode, listener).await
    })
}

async fn accept_loop(mode: Mode, listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if proto::is_disconnect(&e) => continue,
            Err(e) => return Err(e),
        };
        stream.set_nodelay(true)?;
        crest::task::spawn_local(proto::serve(mode, stream, "serve_crest"));
    }
}

/// One current-thread runtime per core, each with its own `SO_REUSEPORT` listener on the
/// same port (the kernel spreads connections over them), nothing shared between threads.
fn per_core(mode: Mode, threads: usize) -> io::Result<()> {
    let cpus: Vec<usize> = std::env::var("SERVE_CPUS")
        .ok()
        .map(|s| s.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_default();
    let first = crest::net::TcpSocket::new_v4()?;
    first.set_reuseport(true)?;
    first.bind("127.0.0.1:0".parse().expect("an address"))?;
    let addr = first.local_addr()?;
    let mut sockets = vec![first];
    for _ in 1..threads {
        let socket = crest::net::TcpSocket::new_v4()?;
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        sockets.push(socket);
    }
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let mut handles = Vec::new();
    for (i, socket) in sockets.into_iter().enumerate() {
        let cpu = cpus.get(i).copied();
        let ready = ready_tx.clone();
        handles.push(std::thread::Builder::new().name(format!("serve-core-{i}")).spawn(move || {
            if let Some(cpu) = cpu {
                pin_to(cpu)?;
            }
            let rt = crest::runtime::Builder::new_current_thread().build()?;
            rt.block_on(async move {
                let listener = socket.listen(1024)?;
                let _ = ready.send(());
                accept_loop(mode, listener).await
            })
        })?);
    }
    for _ in 0..threads {
        ready_rx.recv().map_err(|_| io::Error::other("a per-core thread failed to listen"))?;
    }
    proto::announce(addr);
    for handle in handles {
        handle.join().map_err(|_| io::Error::other("a per-core thread panicked"))??;
    }
    Ok(())
}

/// Pins the calling thread to `cpu`.
fn pin_to(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes one bit inside `set`, which is live (cpu is bounds-checked by
    // the macro's callers in libc: it ignores cpus beyond the set).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live cpu_set_t of the size passed; pid 0 is the calling thread.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
