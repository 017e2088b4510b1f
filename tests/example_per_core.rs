//! `examples/per_core.rs`, run as a process: one current-thread runtime per thread, each
//! with its own `SO_REUSEPORT` listener on the one port, serves echo on every connection,
//! whichever thread's listener the kernel hands it to.
mod util;

use std::io;

use util::example::{Client, Example};

#[test]
fn every_connection_is_echoed_whichever_thread_gets_it() -> io::Result<()> {
    let server = Example::start("per_core", &["127.0.0.1:0", "--threads", "2", "--pin"])?;
    assert!(server.stdout().contains("(2 threads, pinned)"), "stdout: {}", server.stdout());
    // Enough connections that both listeners get some (the kernel hashes each connection's
    // addresses and ports to one of them).
    let mut clients = (0..16).map(|_| Client::connect(server.addr())).collect::<io::Result<Vec<_>>>()?;
    for round in 0..3 {
        for (i, client) in clients.iter_mut().enumerate() {
            let text = format!("client {i}, round {round}");
            client.send_line(&text)?;
            assert_eq!(client.line()?, text);
        }
    }
    Ok(())
}
