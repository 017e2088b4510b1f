//! Soak: 10,000 concurrent echo connections on a 2-worker runtime. Every connection is
//! open at once (the clients wait for each other before sending), every byte that comes
//! back is checked, no operation on either side fails, and once the server runtime is
//! dropped every descriptor it opened is closed.
//!
//! The clients run in a child process (this test binary again, in the client role), so
//! that each process needs one descriptor a connection: the test raises RLIMIT_NOFILE to
//! its hard limit and is skipped, saying so, where that is not enough.
//! It takes under 2 s here, so it runs with the suite; `CREST_SOAK_CONNECTIONS=N` runs
//! it with another count.
mod util;

use std::io;
use std::net::Shutdown;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::TcpStream;
use crest::runtime::Builder;
use util::net::Pattern;

/// Bytes each client sends and reads back (a multiple of 8, for `Pattern`).
const PAYLOAD: usize = 2048;
/// Connections being set up at once; the rest wait their turn, so that the listener's
/// backlog never overflows into SYN retransmits.
const CONNECTING: usize = 256;

fn connections() -> usize {
    std::env::var("CREST_SOAK_CONNECTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000)
}

/// Raises RLIMIT_NOFILE to at least `want` if allowed; returns the soft limit now in force.
fn raise_fd_limit_to(want: u64) -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read or write one rlimit in a live local.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        if lim.rlim_cur >= want {
            return lim.rlim_cur;
        }
        let raised = libc::rlimit { rlim_cur: want, rlim_max: lim.rlim_max.max(want) };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            return want;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        lim.rlim_cur
    }
}

/// Echoes until EOF with a small buffer (10,000 of them are alive at once).
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// One client: waits for a connect slot, connects, waits until every client is
/// connected, sends its pattern, half-closes and checks what comes back.
async fn client(
    id: usize,
    addr: std::net::SocketAddr,
    slots: async_channel::Receiver<()>,
    slot_back: async_channel::Sender<()>,
    connected: Arc<AtomicUsize>,
    go: async_channel::Receiver<()>,
) -> io::Result<()> {
    slots.recv().await.map_err(io::Error::other)?;
    let stream = TcpStream::connect(addr).await;
    let _ = slot_back.send(()).await;
    let mut stream = stream?;
    connected.fetch_add(1, Ordering::SeqCst);
    // Closed (never sent to) once every client is connected.
    let _ = go.recv().await;

    let mut sent = [0; PAYLOAD];
    Pattern::new(id as u64 + 1).fill(&mut sent);
    stream.write_all(&sent).await?;
    stream.shutdown(Shutdown::Write)?;
    let mut got = Vec::with_capacity(PAYLOAD);
    stream.read_to_end(&mut got).await?;
    if got[..] != sent[..] {
        return Err(io::Error::other(format!(
            "connection {id}: {} bytes came back, not the {PAYLOAD} sent",
            got.len()
        )));
    }
    Ok(())
}

/// Set in the child process: the server's address.
const CLIENT_ROLE: &str = "CREST_SOAK_SERVER";

#[test]
fn ten_thousand_concurrent_echo_connections() -> io::Result<()> {
    let n = connections();
    let want = n as u64 + 256;
    let limit = raise_fd_limit_to(want);
    if limit < want {
        eprintln!("SKIPPED: {n} connections need {want} descriptors; RLIMIT_NOFILE allows {limit}");
        return Ok(());
    }
    if let Ok(addr) = std::env::var(CLIENT_ROLE) {
        let addr = addr.parse().map_err(io::Error::other)?;
        return util::with_timeout(Duration::from_secs(100), move || run_clients(n, addr));
    }
    util::with_timeout(Duration::from_secs(110), move || soak(n))
}

/// The client role: `n` clients on a current-thread runtime; an error names the first
/// failure.
fn run_clients(n: usize, addr: std::net::SocketAddr) -> io::Result<()> {
    let clients = Builder::new_current_thread().build()?;
    let errors: Vec<String> = clients.block_on(async {
        let (slot_back, slots) = async_channel::bounded(CONNECTING);
        for _ in 0..CONNECTING {
            slot_back.send(()).await.expect("room for every slot");
        }
        let connected = Arc::new(AtomicUsize::new(0));
        let (go_tx, go) = async_channel::bounded::<()>(1);
        let tasks: Vec<_> = (0..n)
            .map(|id| {
                let task = client(id, addr, slots.clone(), slot_back.clone(), connected.clone(), go.clone());
                crest::spawn(task)
            })
            .collect();
        while connected.load(Ordering::SeqCst) < n && tasks.iter().all(|t| !t.is_finished()) {
            crest::time::sleep(Duration::from_millis(5)).await;
        }
        eprintln!("{} of {n} clients connected at once", connected.load(Ordering::SeqCst));
        drop(go_tx);
        let mut errors = Vec::new();
        for task in tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => errors.push(e.to_string()),
                Err(e) => errors.push(format!("client task: {e}")),
            }
        }
        errors
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!("{} of {n} clients failed, first: {:?}", errors.len(), errors[0])))
    }
}

fn soak(n: usize) -> io::Result<()> {
    let fds_before = util::open_fds();
    let started = Instant::now();
    let server = Builder::new_multi_thread().worker_threads(2).build()?;
    let served = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let listener = server.block_on(async {
        let socket = crest::net::TcpSocket::new_v4()?;
        socket.bind("127.0.0.1:0".parse().expect("an address"))?;
        socket.listen(4096)
    })?;
    let addr = listener.local_addr()?;
    {
        let (served, failed) = (served.clone(), failed.clone());
        server.spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        let (served, failed) = (served.clone(), failed.clone());
                        crest::spawn(async move {
                            match echo(stream).await {
                                Ok(()) => served.fetch_add(1, Ordering::SeqCst),
                                Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                            };
                        });
                    }
                    Err(e) => panic!("accept failed: {e}"),
                }
            }
        });
    }

    // The clients: this test binary again, in the client role.
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(["--exact", "ten_thousand_concurrent_echo_connections", "--nocapture", "--test-threads=1"])
        .env(CLIENT_ROLE, addr.to_string())
        .env("CREST_SOAK_CONNECTIONS", n.to_string())
        .status()?;
    assert!(status.success(), "the clients failed ({status}); their output is above");

    // Every server task has seen its EOF and closed its socket.
    let deadline = Instant::now() + Duration::from_secs(20);
    while served.load(Ordering::SeqCst) + failed.load(Ordering::SeqCst) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(failed.load(Ordering::SeqCst), 0, "server-side echo errors");
    assert_eq!(served.load(Ordering::SeqCst), n, "every connection was served to its EOF");
    drop(server);
    assert_eq!(util::open_fds(), fds_before, "every descriptor is closed");
    eprintln!("{n} connections, {} bytes checked, in {:?}", n * PAYLOAD, started.elapsed());
    Ok(())
}
