//! `chat` stops cleanly on a real SIGTERM (sent with `kill`): new connections are refused,
//! a message broadcast just before the signal still reaches a member who had not read it
//! yet, every member is told the server is going away and then sees EOF, a client still
//! choosing a nickname is told too, and the exit status is 0.

mod util;

use std::io;
use std::time::Duration;

use util::example::{Client, Example};

fn join(server: &Example, nick: &str) -> io::Result<Client> {
    let mut client = Client::connect(server.addr())?;
    client.line_where(|l| l.contains("nickname"))?;
    client.send_line(nick)?;
    client.line_where(|l| l.starts_with("*** Welcome"))?;
    Ok(client)
}

#[test]
fn sigterm_delivers_in_flight_messages_says_goodbye_and_exits_0() -> io::Result<()> {
    let mut server = Example::start("chat", &["127.0.0.1:0", "5"])?;
    let mut bob = join(&server, "bob")?;
    let mut ann = join(&server, "ann")?;
    let mut newcomer = Client::connect(server.addr())?;
    newcomer.line_where(|l| l.contains("nickname"))?;

    // Bob does not read: ann's message waits for him in the server.
    ann.send_line("hi bob")?;
    // Lines are handled in order: once this error is back, "hi bob" was broadcast.
    ann.send_line("/nope")?;
    ann.line_where(|l| l.starts_with("ERR"))?;

    server.kill_with("TERM")?;
    server.wait_refused(Duration::from_secs(5))?;

    bob.line_where(|l| l == "ann: hi bob")?;
    bob.line_where(|l| l.contains("shutting down"))?;
    assert_eq!(bob.read_to_close()?, b"");
    ann.line_where(|l| l.contains("shutting down"))?;
    assert_eq!(ann.read_to_close()?, b"");
    newcomer.line_where(|l| l.contains("shutting down"))?;
    assert_eq!(newcomer.read_to_close()?, b"");

    let status = server.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    Ok(())
}
