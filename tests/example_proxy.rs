//! `examples/proxy.rs`, run as a process in front of an upstream, spoken to as `nc` would.
mod util;

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use util::example::{run_to_exit, Client, Example, IO_TIMEOUT};

/// A proxy in front of `upstream`.
fn proxy_to(upstream: &str) -> io::Result<Example> {
    Example::start("proxy", &["127.0.0.1:0", upstream])
}

/// A one-connection upstream the test drives by hand.
fn hand_upstream() -> io::Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?.to_string();
    Ok((listener, addr))
}

/// The proxy's connection to the hand-driven upstream; an error if none comes in time.
fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + IO_TIMEOUT;
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    };
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

#[test]
fn bytes_go_through_to_the_echo_example_and_back() -> io::Result<()> {
    let echo = Example::start("echo", &["127.0.0.1:0"])?;
    let proxy = proxy_to(&echo.addr().to_string())?;
    let mut client = Client::connect(proxy.addr())?;
    client.send_line("hello through the proxy")?;
    assert_eq!(client.line()?, "hello through the proxy");

    // 4 MiB both ways at once, then a half-close: it all comes back, then EOF.
    let data: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i ^ (i >> 9)) as u8).collect();
    let mut writer = client.stream().try_clone()?;
    let sent = data.clone();
    let sender = thread::spawn(move || -> io::Result<()> {
        writer.write_all(&sent)?;
        writer.shutdown(Shutdown::Write)
    });
    let back = client.read_to_close()?;
    sender.join().expect("the writer thread does not panic")?;
    assert_eq!(back.len(), data.len());
    assert!(back == data, "the bytes that came back differ from those sent");
    Ok(())
}

#[test]
fn a_client_half_close_reaches_the_upstream_which_can_still_answer() -> io::Result<()> {
    let (upstream, upstream_addr) = hand_upstream()?;
    let proxy = proxy_to(&upstream_addr)?;
    let mut client = Client::connect(proxy.addr())?;
    client.send(b"request")?;
    client.shutdown_write()?;

    let mut server = accept(&upstream)?;
    let mut request = Vec::new();
    server.read_to_end(&mut request)?; // ends: the proxy passed the half-close on
    assert_eq!(request, b"request");
    server.write_all(b"response")?;
    server.shutdown(Shutdown::Write)?;

    assert_eq!(client.read_to_close()?, b"response");
    Ok(())
}

#[test]
fn an_upstream_half_close_reaches_the_client_which_can_still_send() -> io::Result<()> {
    let (upstream, upstream_addr) = hand_upstream()?;
    let proxy = proxy_to(&upstream_addr)?;
    let mut client = Client::connect(proxy.addr())?;
    client.send(b"x")?; // the proxy connects upstream as soon as it accepts; no need to wait
    let mut server = accept(&upstream)?;
    server.write_all(b"banner\n")?;
    server.shutdown(Shutdown::Write)?;

    assert_eq!(client.read_to_close()?, b"banner\n");
    client.send(b"still talking")?;
    client.shutdown_write()?;
    let mut request = Vec::new();
    server.read_to_end(&mut request)?;
    assert_eq!(request, b"xstill talking");
    Ok(())
}

#[test]
fn a_refusing_upstream_is_reported_and_the_client_closed() -> io::Result<()> {
    // A port that was just free: nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string();
    let mut proxy = proxy_to(&closed)?;
    let mut client = Client::connect(proxy.addr())?;
    assert!(client.read_to_close()?.is_empty());
    let stderr = proxy.wait_for_stderr("refused", Duration::from_secs(10))?;
    assert!(stderr.contains(&closed), "stderr names the upstream:\n{stderr}");

    // And the proxy goes on accepting.
    let mut again = Client::connect(proxy.addr())?;
    assert!(again.read_to_close()?.is_empty());
    proxy.assert_running()
}

#[test]
fn bad_arguments_are_a_usage_error() -> io::Result<()> {
    for args in [&["127.0.0.1:0"][..], &[], &["127.0.0.1:0", "nowhere"], &["a", "b", "c"]] {
        let (status, _, stderr) = run_to_exit("proxy", args, Duration::from_secs(30))?;
        assert_eq!(status.code(), Some(2), "proxy {args:?}; stderr:\n{stderr}");
        assert!(stderr.contains("usage: proxy LISTEN UPSTREAM"), "stderr:\n{stderr}");
    }
    Ok(())
}
