//! `http_hello` stops cleanly on a real SIGTERM (sent with `kill`): new connections are
//! refused, a request whose head was half received when the signal came is answered in
//! full, an idle keep-alive connection is closed, and the exit status is 0.

mod util;

use std::io;
use std::time::Duration;

use util::example::{Client, Example};

/// Reads one response: head lines up to the empty one, then the 13-byte body.
fn response(client: &mut Client) -> io::Result<String> {
    let status = client.line()?;
    while !client.line()?.is_empty() {}
    let body = client.bytes(13)?;
    Ok(format!("{status} {}", String::from_utf8_lossy(&body)))
}

#[test]
fn sigterm_answers_the_request_in_flight_and_exits_0() -> io::Result<()> {
    let mut server = Example::start("http_hello", &["127.0.0.1:0", "5"])?;
    let mut idle = Client::connect(server.addr())?;
    idle.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
    assert_eq!(response(&mut idle)?, "HTTP/1.1 200 OK Hello, World!");

    let mut busy = Client::connect(server.addr())?;
    busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n")?;
    std::thread::sleep(Duration::from_millis(200));

    server.kill_with("TERM")?;
    server.wait_refused(Duration::from_secs(5))?;
    assert_eq!(idle.read_to_close()?, b"", "the idle keep-alive connection is closed");

    // The rest of the head arrives after the signal: the request is still answered.
    busy.send(b"\r\n")?;
    assert_eq!(response(&mut busy)?, "HTTP/1.1 200 OK Hello, World!");
    assert_eq!(busy.read_to_close()?, b"");

    let status = server.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    Ok(())
}
