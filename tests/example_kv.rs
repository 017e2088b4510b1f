//! examples/kv's service, tested with the paused clock: a silent connection is closed after
//! the 30 s idle timeout (in virtual time, at once), and an active one is not.

/// The same alias module as examples/kv/main.rs.
mod rt {
    pub use crest::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    pub use crest::net::{TcpListener, TcpStream};
    pub use crest::task::JoinSet;
    pub use crest::time::sleep;
    pub use crest::{select, task_local};
}

#[path = "../examples/kv/service.rs"]
#[allow(dead_code)]
mod service;

use std::time::Duration;

use crest::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use crest::net::{TcpListener, TcpStream};

const IDLE: Duration = Duration::from_secs(30);

async fn server() -> std::io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    crest::spawn(service::run(listener, IDLE));
    Ok(addr)
}

#[crest::test(start_paused = true)]
async fn a_silent_connection_is_closed_after_the_idle_timeout() -> std::io::Result<()> {
    let addr = server().await?;
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?; // each command goes out whole, even when written in parts
    let mut client = BufReader::new(stream);
    client.get_mut().write_all(b"PING\n").await?;
    let mut line = String::new();
    client.read_line(&mut line).await?;
    assert_eq!(line, "PONG\n");
    let quiet_since = crest::time::now();
    line.clear();
    client.read_line(&mut line).await?;
    assert_eq!(line, "BYE idle\n");
    assert!(crest::time::now() - quiet_since >= IDLE);
    Ok(())
}

#[crest::test(start_paused = true)]
async fn an_active_connection_outlives_the_idle_timeout() -> std::io::Result<()> {
    let addr = server().await?;
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?; // each command goes out whole, even when written in parts
    let mut client = BufReader::new(stream);
    let start = crest::time::now();
    let mut line = String::new();
    for i in 0..10 {
        crest::time::advance(Duration::from_secs(20)).await; // under the timeout each time
        client.get_mut().write_all(format!("SET k{i} v\n").as_bytes()).await?;
        line.clear();
        client.read_line(&mut line).await?;
        assert_eq!(line, "OK\n");
    }
    assert!(crest::time::now() - start >= Duration::from_secs(200));
    Ok(())
}
