//! `kv` stops on a real SIGTERM or SIGINT (sent with `kill`): it stops listening, closes
//! every connection (the client reads EOF) and exits 0. A command answered before the
//! signal stays answered.

mod util;

use std::io;
use std::time::Duration;

use util::example::{Client, Example};

fn stops_on(signal: &str) -> io::Result<()> {
    let mut kv = Example::start("kv", &["127.0.0.1:0"])?;
    let mut client = Client::connect(kv.addr())?;
    client.send_line("SET a 1")?;
    assert_eq!(client.line()?, "OK");
    client.send_line("GET a")?;
    assert_eq!(client.line()?, "1");

    kv.kill_with(signal)?;
    kv.wait_refused(Duration::from_secs(5))?;
    assert_eq!(client.read_to_close()?, b"", "the open connection is closed");
    let status = kv.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", kv.stderr());
    Ok(())
}

#[test]
fn sigterm_closes_connections_and_exits_0() -> io::Result<()> {
    stops_on("TERM")
}

#[test]
fn sigint_too() -> io::Result<()> {
    stops_on("INT")
}
