//! `broker` stops cleanly on a real SIGTERM (sent with `kill`): new connections are
//! refused, messages published before the signal still reach a subscriber that had not
//! read them yet, every client then sees EOF, and the exit status is 0.

mod util;

use std::io;
use std::time::Duration;

use util::example::{Client, Example};

#[test]
fn sigterm_delivers_queued_messages_and_exits_0() -> io::Result<()> {
    let mut server = Example::start("broker", &["127.0.0.1:0", "5"])?;
    let mut subscriber = Client::connect(server.addr())?;
    subscriber.send_line("SUB news")?;
    assert_eq!(subscriber.line()?, "OK SUB news");

    // The subscriber does not read: the messages wait for it in the server.
    let mut publisher = Client::connect(server.addr())?;
    for i in 0..3 {
        publisher.send_line(&format!("PUB news item {i}"))?;
        assert_eq!(publisher.line()?, "OK PUB news 1");
    }

    server.kill_with("TERM")?;
    server.wait_refused(Duration::from_secs(5))?;

    for i in 0..3 {
        assert_eq!(subscriber.line()?, format!("MSG news item {i}"));
    }
    assert_eq!(subscriber.read_to_close()?, b"");
    assert_eq!(publisher.read_to_close()?, b"");

    let status = server.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    Ok(())
}
