//! A task whose I/O is always ready must not starve the others: the cooperative budget
//! makes it yield every so many operations.
mod util;

use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crest::io::{Async, AsyncReadExt, AsyncWriteExt};

fn flood_and_serve(rt: crest::runtime::Runtime) {
    let reads = Arc::new(AtomicU64::new(0));
    let r = reads.clone();
    rt.block_on(async move {
        // The flood: a socket at EOF is always readable, so this loop never sees Pending
        // from the kernel. Only the budget makes it yield.
        let (flood, peer) = UnixStream::pair().unwrap();
        drop(peer);
        let flood = Async::new(flood).unwrap();
        let flooder = crest::spawn(async move {
            let mut flood = flood;
            let mut buf = [0; 16];
            loop {
                let _ = flood.read(&mut buf).await;
                r.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Another connection still gets served.
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a, mut b) = (Async::new(a).unwrap(), Async::new(b).unwrap());
        let echo = crest::spawn(async move {
            let mut buf = [0; 4];
            for _ in 0..100 {
                b.read_exact(&mut buf).await.unwrap();
                b.write_all(&buf).await.unwrap();
            }
        });
        let mut buf = [0; 4];
        for i in 0..100u32 {
            a.write_all(&i.to_le_bytes()).await.unwrap();
            a.read_exact(&mut buf).await.unwrap();
            assert_eq!(u32::from_le_bytes(buf), i);
        }
        echo.await.unwrap();
        flooder.abort();
    });
    assert!(reads.load(Ordering::Relaxed) > 0, "the flood ran too");
}

#[test]
fn a_flooding_connection_does_not_starve_another_on_the_current_thread_runtime() {
    util::with_timeout(util::LIMIT, || {
        flood_and_serve(crest::runtime::Builder::new_current_thread().build().unwrap());
    });
}

#[test]
fn a_flooding_connection_does_not_starve_another_on_one_worker() {
    util::with_timeout(util::LIMIT, || {
        flood_and_serve(crest::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap());
    });
}
