//! The smol peer of the load and memory benchmarks: `serve_smol (echo|http|sleepers N)
//! WORKERS`: one `async_executor::Executor` run by WORKERS threads (each in `async_io`'s
//! `block_on`, which drives the reactor when it has nothing else to do), the way smol's
//! docs build a multi-threaded executor. The protocol code is `src/proto.rs`, shared with
//! every other peer.

#[path = "../proto.rs"]
mod proto;

use std::io;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use proto::{Conn, Mode};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::{Async, Executor};

impl Conn for Async<TcpStream> {
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
    let ex: &'static Executor<'static> = Box::leak(Box::new(Executor::new()));
    match args.mode {
        Mode::Sleepers(n) => {
            for _ in 0..args.workers {
                std::thread::spawn(|| smol::block_on(ex.run(std::future::pending::<()>())));
            }
            let before = proto::status_kb(None, "VmRSS")?;
            let started = Arc::new(AtomicUsize::new(0));
            let t = Instant::now();
            for _ in 0..n {
                let started = started.clone();
                ex.spawn(async move {
                    started.fetch_add(1, Ordering::Relaxed);
                    smol::Timer::after(proto::SLEEP).await;
                })
                .detach();
            }
            let spawn = t.elapsed();
            proto::report_sleepers(before, &started, n, spawn)?;
            std::process::exit(0);
        }
        mode => {
            // The main thread is one of the WORKERS threads that run the executor.
            for _ in 1..args.workers {
                std::thread::spawn(|| smol::block_on(ex.run(std::future::pending::<()>())));
            }
            let std_listener = proto::listener(0)?;
            let addr = std_listener.local_addr()?;
            let listener = Async::new(std_listener)?;
            proto::announce(addr);
            smol::block_on(ex.run(async move {
                loop {
                    let (stream, _) = match listener.accept().await {
                        Ok(accepted) => accepted,
                        Err(e) if proto::is_disconnect(&e) => continue,
                        Err(e) => return Err::<(), io::Error>(e),
                    };
                    stream.get_ref().set_nodelay(true)?;
                    ex.spawn(proto::serve(mode, stream, "serve_smol")).detach();
                }
            }))
        }
    }
}
