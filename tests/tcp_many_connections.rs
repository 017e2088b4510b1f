//! 2,000 concurrent loopback connections, each echoing 10 messages.
mod util;

use std::io;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::TcpStream;
use util::net::echo_server;
use util::{block_on_timeout, raise_fd_limit};

const CONNECTIONS: usize = 2_000;
const MESSAGES: usize = 10;

#[test]
fn two_thousand_connections_echo_ten_messages_each() -> io::Result<()> {
    // Each connection holds two descriptors (client and server side).
    let limit = raise_fd_limit();
    assert!(
        limit >= (2 * CONNECTIONS + 100) as u64,
        "RLIMIT_NOFILE hard limit {limit} is too low for {CONNECTIONS} connections"
    );
    let echoed = block_on_timeout(Duration::from_secs(120), async {
        let (addr, _server) = echo_server().await?;
        let clients: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                crest::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await?;
                    for m in 0..MESSAGES {
                        let msg = format!("connection {c:04} message {m:02}\n");
                        stream.write_all(msg.as_bytes()).await?;
                        let mut back = vec![0; msg.len()];
                        stream.read_exact(&mut back).await?;
                        assert_eq!(back, msg.as_bytes());
                    }
                    io::Result::Ok(MESSAGES)
                })
            })
            .collect();
        let mut echoed = 0;
        for client in clients {
            echoed += client.await.expect("client task panicked")?;
        }
        io::Result::Ok(echoed)
    })?;
    assert_eq!(echoed, CONNECTIONS * MESSAGES);
    Ok(())
}
