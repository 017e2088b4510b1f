//! A worker blocked in a task must not freeze I/O for the others: on 2 workers, one task
//! blocks its thread for 3 s while an echo connection keeps getting its replies.
mod util;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crest::io::{Async, AsyncReadExt, AsyncWriteExt};

#[test]
fn echo_is_served_while_a_worker_is_blocked() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let (server_end, mut client) = UnixStream::pair().unwrap();
        let _guard = rt.enter();
        rt.spawn(async move {
            let mut s = Async::new(server_end).unwrap();
            let mut buf = [0; 64];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
        });
        // Warm up: the echo task is parked on its socket.
        client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        client.write_all(b"warm").unwrap();
        let mut buf = [0; 4];
        client.read_exact(&mut buf).unwrap();

        let blocking_started = Arc::new(AtomicBool::new(false));
        let b = blocking_started.clone();
        let blocker = rt.spawn(async move {
            b.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(3));
        });
        while !blocking_started.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        // While one of the two workers sleeps for 3 s, each reply must come within 1.5 s
        // (in practice within milliseconds); a frozen driver would time the read out.
        client.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
        for i in 0..10u8 {
            client.write_all(&[i; 4]).unwrap();
            client.read_exact(&mut buf).expect("an echo reply while a worker is blocked");
            assert_eq!(buf, [i; 4]);
        }
        assert!(!blocker.is_finished(), "the replies came while the worker was still blocked");
        drop(client);
        rt.block_on(blocker).unwrap();
    });
}
