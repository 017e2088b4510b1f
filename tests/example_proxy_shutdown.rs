//! `proxy` stops cleanly on a real SIGTERM (sent with `kill`): new connections are
//! refused, the proxy stops reading from the client (the upstream gets EOF after what the
//! client had sent), an answer the upstream was still preparing is forwarded in full, and
//! the exit status is 0.

mod util;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use util::example::{Client, Example, IO_TIMEOUT};

#[test]
fn sigterm_forwards_the_answer_in_flight_and_exits_0() -> io::Result<()> {
    let upstream = TcpListener::bind("127.0.0.1:0")?;
    let mut proxy = Example::start("proxy", &["127.0.0.1:0", &upstream.local_addr()?.to_string(), "5"])?;
    let mut client = Client::connect(proxy.addr())?;
    client.send_line("slow request")?;

    upstream.set_nonblocking(true)?;
    let deadline = Instant::now() + IO_TIMEOUT;
    let server = loop {
        match upstream.accept() {
            Ok((server, _)) => break server,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(e) => return Err(e),
        }
    };
    // No more upstream connections: a probe of `wait_refused` that the proxy accepts just
    // before it stops then fails at once instead of waiting on an upstream nobody serves.
    drop(upstream);
    server.set_nonblocking(false)?;
    server.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut from_proxy = BufReader::new(server.try_clone()?);
    let mut request = String::new();
    from_proxy.read_line(&mut request)?;
    assert_eq!(request, "slow request\n");

    // The answer is still being prepared when the signal comes.
    proxy.kill_with("TERM")?;
    proxy.wait_refused(Duration::from_secs(5))?;

    // The proxy stopped reading from the client: the upstream sees EOF.
    let mut rest = Vec::new();
    from_proxy.read_to_end(&mut rest)?;
    assert!(rest.is_empty(), "{rest:?}");
    (&server).write_all(b"slow answer\n")?;
    drop(from_proxy);
    drop(server);

    assert_eq!(client.line()?, "slow answer");
    assert_eq!(client.read_to_close()?, b"");

    let status = proxy.wait_exit(Duration::from_secs(10))?;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proxy.stderr());
    Ok(())
}
