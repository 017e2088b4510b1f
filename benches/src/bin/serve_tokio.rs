//! The tokio peer of the load and memory benchmarks: `serve_tokio (echo|http|sleepers N)
//! WORKERS` on a multi-thread runtime with WORKERS workers. The protocol code is
//! `src/proto.rs`, shared with every other peer. `SERVE_FLAVOR=current_thread` runs it on a
//! current-thread runtime instead (the latency benchmark's tokio-ct rows).

#[path = "../proto.rs"]
mod proto;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use proto::{Conn, Mode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
    // SERVE_FLAVOR=current_thread (the latency benchmark's tokio-ct rows): one thread.
    let rt = if std::env::var("SERVE_FLAVOR").as_deref() == Ok("current_thread") {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.workers).enable_all().build()?
    };
    match args.mode {
        Mode::Sleepers(n) => {
            let before = proto::status_kb(None, "VmRSS")?;
            let started = Arc::new(AtomicUsize::new(0));
            let t = Instant::now();
            for _ in 0..n {
                let started = started.clone();
                rt.spawn(async move {
                    started.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(proto::SLEEP).await;
                });
            }
            let spawn = t.elapsed();
            proto::report_sleepers(before, &started, n, spawn)?;
            std::process::exit(0);
        }
        mode => {
            let std_listener = proto::listener(0)?;
            std_listener.set_nonblocking(true)?;
            let addr = std_listener.local_addr()?;
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener)?;
                proto::announce(addr);
                let accept = tokio::spawn(async move {
                    loop {
                        let (stream, _) = match listener.accept().await {
                            Ok(accepted) => accepted,
                            Err(e) if proto::is_disconnect(&e) => continue,
                            Err(e) => return Err::<(), io::Error>(e),
                        };
                        stream.set_nodelay(true)?;
                        tokio::spawn(proto::serve(mode, stream, "serve_tokio"));
                    }
                });
                accept.await.map_err(io::Error::other)?
            })
        }
    }
}
