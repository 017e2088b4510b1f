//! An idle runtime makes no wakeups: once it has settled, none of its threads is scheduled
//! at all for 2 s (no timed re-check, no tick), on either flavor. Counted through the
//! kernel's per-thread context-switch counters in `/proc/self/task/*/status`: a thread that
//! wakes from `epoll_wait` or a futex and sleeps again adds one voluntary switch.
mod util;

use std::io::Read;
use std::time::Duration;

/// How long the runtime gets to settle, and how long its threads are watched.
const SETTLE: Duration = Duration::from_millis(500);
const WATCH: Duration = Duration::from_secs(2);

/// Context switches so far (voluntary + involuntary) of each thread of this process whose
/// name starts with `prefix`, by thread id.
fn switches(prefix: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").expect("read /proc/self/task") {
        let dir = task.expect("a /proc/self/task entry").path();
        let Ok(comm) = std::fs::read_to_string(dir.join("comm")) else { continue };
        if !comm.trim_end().starts_with(prefix) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(dir.join("status")) else { continue };
        let total = status
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches")
            })
            .map(|l| l.split_whitespace().nth(1).and_then(|n| n.parse::<u64>().ok()).expect("a count"))
            .sum();
        let tid = dir.file_name().unwrap().to_string_lossy().into_owned();
        out.push((format!("{tid} {}", comm.trim_end()), total));
    }
    out.sort();
    out
}

/// Watches the threads named `prefix*` for `WATCH` and fails if any of them ran.
fn assert_no_wakeups(prefix: &str, expected_threads: usize) {
    let before = switches(prefix);
    assert_eq!(before.len(), expected_threads, "runtime threads named {prefix}*: {before:?}");
    std::thread::sleep(WATCH);
    let after = switches(prefix);
    assert_eq!(before.len(), after.len(), "the runtime's threads changed: {before:?} -> {after:?}");
    let woke: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, a)| format!("{}: {} wakeups", b.0, a.1 - b.1))
        .collect();
    assert!(woke.is_empty(), "an idle runtime's threads woke up within {WATCH:?}: {woke:?}");
}

/// A task that waits for a connection that only comes at the end of the test, and one that
/// waits on a timer far in the future: I/O and a timer are registered, nothing is due.
async fn idle_tasks(listener: crest::net::TcpListener) {
    let far = crest::spawn(crest::time::sleep(Duration::from_secs(3600)));
    let (mut stream, _) = listener.accept().await.expect("accept");
    far.abort();
    let mut buf = [0; 1];
    let _ = crest::io::AsyncReadExt::read(&mut stream, &mut buf).await;
}

#[test]
fn an_idle_multi_thread_runtime_makes_no_wakeups() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("idlemt")
            .build()
            .unwrap();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let task = rt.spawn(async move {
            std_listener.set_nonblocking(true).unwrap();
            idle_tasks(crest::net::TcpListener::from_std(std_listener).unwrap()).await
        });
        std::thread::sleep(SETTLE);
        assert_no_wakeups("idlemt-", 2);
        // The runtime still works: a connection ends the task.
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        rt.block_on(task).unwrap();
    });
}

#[test]
fn an_idle_current_thread_runtime_makes_no_wakeups() {
    util::with_timeout(util::LIMIT, || {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let runner = std::thread::Builder::new()
            .name("idlect".into())
            .spawn(move || {
                let rt = crest::runtime::Builder::new_current_thread().build().unwrap();
                rt.block_on(async move {
                    std_listener.set_nonblocking(true).unwrap();
                    idle_tasks(crest::net::TcpListener::from_std(std_listener).unwrap()).await
                });
            })
            .unwrap();
        std::thread::sleep(SETTLE);
        assert_no_wakeups("idlect", 1);
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        runner.join().unwrap();
    });
}
