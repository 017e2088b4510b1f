//! Runtime metrics under a real load: 20 TCP echo connections, timers and blocking calls on
//! both flavors. The counters move while the load runs, and once it ends the gauges come
//! back: no task alive, no fd registered, no timer armed.
mod util;

use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use crest::runtime::{Builder, RuntimeMetrics};

const CONNECTIONS: usize = 20;
const ROUNDS: usize = 50;

fn polls(m: &RuntimeMetrics) -> u64 {
    (0..m.workers()).map(|i| m.worker(i).polls()).sum()
}

fn load(builder: &mut Builder, workers: usize) {
    let rt = builder.build().unwrap();
    let handle = rt.handle();
    let before = handle.metrics();
    assert_eq!(before.workers(), workers);
    assert_eq!((before.alive_tasks(), before.spawned_tasks()), (0, 0));
    let during = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = crest::spawn(async move {
            for _ in 0..CONNECTIONS {
                let (mut stream, _) = listener.accept().await.unwrap();
                crest::spawn(async move {
                    let mut buf = [0; 64];
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        stream.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        // Armed for the whole load however slow it runs (the chaos build, a loaded machine);
        // cancelled at the end.
        let sleepers: Vec<_> =
            (0..10).map(|_| crest::spawn(crest::time::sleep(Duration::from_secs(3600)))).collect();
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                crest::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    let mut buf = [0; 8];
                    for i in 0..ROUNDS {
                        s.write_all(&(i as u64).to_le_bytes()).await.unwrap();
                        s.read_exact(&mut buf).await.unwrap();
                        assert_eq!(u64::from_le_bytes(buf), i as u64);
                    }
                    s
                })
            })
            .collect();
        let blocking = crest::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)));
        let mut streams = Vec::new();
        for c in clients {
            streams.push(c.await.unwrap());
        }
        server.await.unwrap();
        let during = crest::runtime::Handle::current().metrics();
        blocking.await.unwrap();
        drop(streams);
        for s in sleepers {
            s.abort();
            assert!(s.await.unwrap_err().is_cancelled());
        }
        during
    });
    // Mid-load: connections registered (client and server ends), sleepers armed.
    assert!(during.registered_fds() >= 2 * CONNECTIONS, "{during}");
    assert!(during.timers() >= 10, "{during}");
    assert!(during.alive_tasks() >= CONNECTIONS + 10, "echo tasks and sleepers: {during}");
    assert!(during.blocking_threads() >= 1, "{during}");
    assert!(
        during.driver_turns() > 0 && during.events_dispatched() >= (CONNECTIONS * ROUNDS) as u64,
        "{during}"
    );
    // The echo tasks see their connection close and end; wait for them, driving the runtime
    // meanwhile (a current-thread runtime runs its tasks only inside `block_on`).
    let mut after = handle.metrics();
    for _ in 0..200 {
        if after.alive_tasks() == 0 && after.registered_fds() == 0 {
            break;
        }
        rt.block_on(async { crest::time::sleep(Duration::from_millis(10)).await });
        after = handle.metrics();
    }
    let spawned = (1 + 2 * CONNECTIONS + 10) as u64;
    assert_eq!(after.alive_tasks(), 0, "{after}");
    assert_eq!(after.spawned_tasks(), spawned, "{after}");
    assert_eq!(after.registered_fds(), 0, "{after}");
    assert_eq!(after.timers(), 0, "{after}");
    assert_eq!(after.injection_queue_depth(), 0, "{after}");
    assert_eq!(after.failed_deregistrations(), 0, "{after}");
    assert!(polls(&after) >= polls(&during) && polls(&during) >= (CONNECTIONS * ROUNDS) as u64, "{after}");
    assert!(after.driver_turns() >= during.driver_turns(), "{after}");
    assert!(after.events_dispatched() >= during.events_dispatched(), "{after}");
    let busy: Duration = (0..workers).map(|i| after.worker(i).busy_time()).sum();
    let parks: u64 = (0..workers).map(|i| after.worker(i).parks()).sum();
    assert!(busy > Duration::ZERO && parks > 0, "{after}");
    assert!(after.blocking_threads() >= after.idle_blocking_threads(), "{after}");
}

#[test]
fn counters_move_under_load_multi_thread() {
    util::with_timeout(util::LIMIT, || load(Builder::new_multi_thread().worker_threads(2), 2));
}

#[test]
fn counters_move_under_load_current_thread() {
    util::with_timeout(util::LIMIT, || load(&mut Builder::new_current_thread(), 1));
}
