//! `echo` stops cleanly on a real SIGTERM (sent with `kill`): new connections are refused,
//! a connection whose echo is in flight (the server is blocked writing to a client that
//! has not read yet) gets every byte the server read, in order, then a clean EOF; an idle
//! connection gets EOF; the exit status is 0. SIGINT does the same.

mod util;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use util::example::{Client, Example, IO_TIMEOUT};

const SENT: usize = 8 * 1024 * 1024;

fn pattern() -> Vec<u8> {
    (0..SENT).map(|i| (i % 253) as u8).collect()
}

fn stops_cleanly_on(signal: &str) -> io::Result<()> {
    let mut echo = Example::start("echo", &["127.0.0.1:0", "5"])?;
    let mut idle = Client::connect(echo.addr())?;
    idle.send_line("hello")?;
    assert_eq!(idle.line()?, "hello");

    // The busy client writes 8 MB without reading: the server fills our receive buffer
    // and blocks in its write, with bytes in flight.
    let busy = TcpStream::connect(echo.addr())?;
    busy.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut writer = busy.try_clone()?;
    let sender = thread::spawn(move || {
        // The server stops reading once it stops; what it did not read is dropped.
        let _ = writer.write_all(&pattern());
        let _ = writer.shutdown(std::net::Shutdown::Write);
    });
    thread::sleep(Duration::from_millis(300));

    echo.kill_with(signal)?;
    echo.wait_refused(Duration::from_secs(5))?;

    let mut back = Vec::new();
    (&busy).read_to_end(&mut back)?;
    assert!(!back.is_empty(), "nothing came back");
    assert!(back == pattern()[..back.len()], "the {} bytes echoed are not what was sent", back.len());
    assert_eq!(idle.read_to_close()?, b"", "the idle connection got EOF");
    let _ = sender.join();

    let status = echo.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", echo.stderr());
    Ok(())
}

#[test]
fn sigterm_finishes_in_flight_echoes_and_exits_0() -> io::Result<()> {
    stops_cleanly_on("TERM")
}

#[test]
fn sigint_too() -> io::Result<()> {
    stops_cleanly_on("INT")
}
