//! A short, busy run of the multi-thread runtime over TCP, for memory checkers
//! (`scripts/valgrind`) and as a smoke test of its own: exits 0 when every round trip came
//! back intact, 1 otherwise.
//!
//! ```text
//! $ cargo run --example stress                 # 8 clients x 200 round trips
//! $ cargo run --example stress -- 32 1000      # clients, round trips each
//! stress: 8 clients x 200 round trips, 2 workers: ok
//! ```
//!
//! A runtime with 2 workers runs an echo server on 127.0.0.1:0 (one task per connection)
//! and the clients, which send messages of varying size and check each echo. Around them
//! it exercises what else moves tasks and wakers between threads: timers that expire
//! while their tasks sit on another worker, `yield_now`, tasks aborted while they wait,
//! `JoinHandle`s dropped before their task ends, and `spawn_blocking`. Everything is
//! awaited or dropped before the runtime is, so a leak report means a real leak.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};

const DEFAULT_CLIENTS: usize = 8;
const DEFAULT_ROUND_TRIPS: usize = 200;
/// The largest message; sizes cycle up to it, so some echoes take several reads.
const MAX_MESSAGE: usize = 8 * 1024;

fn main() -> ExitCode {
    let (clients, round_trips) = match parse_args() {
        Ok(v) => v,
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    match run(clients, round_trips) {
        Ok(()) => {
            println!("stress: {clients} clients x {round_trips} round trips, 2 workers: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("stress: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<(usize, usize), String> {
    let usage = "usage: stress [CLIENTS [ROUND_TRIPS]]";
    let mut args = std::env::args().skip(1);
    let mut next = |default| match args.next() {
        None => Ok(default),
        Some(a) => a.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| usage.to_string()),
    };
    let clients = next(DEFAULT_CLIENTS)?;
    let round_trips = next(DEFAULT_ROUND_TRIPS)?;
    match args.next() {
        None => Ok((clients, round_trips)),
        Some(_) => Err(usage.to_string()),
    }
}

fn run(clients: usize, round_trips: usize) -> io::Result<()> {
    let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = crest::spawn(serve(listener, clients));

        // Tasks that are aborted while they wait on a timer, and one whose handle is
        // dropped while it runs: their futures are dropped by the runtime.
        let sleepers: Vec<_> =
            (0..4).map(|_| crest::spawn(crest::time::sleep(Duration::from_secs(3600)))).collect();
        drop(crest::spawn(async {
            crest::time::sleep(Duration::from_millis(1)).await;
            vec![0u8; 64]
        }));
        let blocking = crest::task::spawn_blocking(|| (0..1000u64).sum::<u64>());

        let tasks: Vec<_> = (0..clients).map(|id| crest::spawn(client(addr, id, round_trips))).collect();
        for task in tasks {
            task.await??;
        }
        server.await??;

        for sleeper in &sleepers {
            sleeper.abort();
        }
        for sleeper in sleepers {
            let err = sleeper.await.expect_err("an aborted sleeper cannot finish");
            if !err.is_cancelled() {
                return Err(io::Error::other(format!("a sleeper failed: {err}")));
            }
        }
        if blocking.await? != 499_500 {
            return Err(io::Error::other("spawn_blocking returned a wrong sum"));
        }
        Ok(())
    })
}

/// Accepts `clients` connections and echoes each on a task of its own.
async fn serve(listener: TcpListener, clients: usize) -> io::Result<()> {
    let mut connections = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (stream, _) = listener.accept().await?;
        connections.push(crest::spawn(echo(stream)));
    }
    for connection in connections {
        connection.await??;
    }
    Ok(())
}

/// Sends back everything it reads until the peer closes.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0; MAX_MESSAGE];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// `round_trips` messages of varying size, each checked when it comes back.
async fn client(addr: SocketAddr, id: usize, round_trips: usize) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut back = vec![0; MAX_MESSAGE];
    for trip in 0..round_trips {
        let len = 1 + (id * 131 + trip * 977) % MAX_MESSAGE;
        let message: Vec<u8> = (0..len).map(|i| (i + trip + id) as u8).collect();
        stream.write_all(&message).await?;
        stream.read_exact(&mut back[..len]).await?;
        if back[..len] != message[..] {
            return Err(io::Error::other(format!("client {id}: round trip {trip} came back changed")));
        }
        match trip % 16 {
            // A timer that fires on whichever worker holds the driver.
            0 => crest::time::sleep(Duration::from_micros(200)).await,
            8 => crest::task::yield_now().await,
            _ => {}
        }
    }
    Ok(())
}
