//! `examples/http_hello.rs`, run as a process and spoken to as `nc` (or wrk) would.
mod util;

use std::io;
use std::time::{Duration, Instant};

use util::example::{Client, Example};

fn start() -> io::Result<Example> {
    Example::start("http_hello", &["127.0.0.1:0"])
}

/// One parsed response.
#[derive(Debug)]
struct Response {
    status: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Reads one response; `with_body: false` for the answer to a HEAD request.
fn response(client: &mut Client, with_body: bool) -> io::Result<Response> {
    let status = client.line()?;
    let mut headers = Vec::new();
    loop {
        let line = client.line()?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line has a colon");
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut response = Response { status, headers, body: Vec::new() };
    if with_body {
        let length: usize =
            response.header("Content-Length").expect("Content-Length").parse().expect("a number");
        response.body = client.bytes(length)?;
    }
    Ok(response)
}

fn assert_hello(response: &Response) {
    assert_eq!(response.status, "HTTP/1.1 200 OK", "{response:?}");
    assert_eq!(response.body, b"Hello, World!", "{response:?}");
}

#[test]
fn keep_alive_serves_request_after_request() -> io::Result<()> {
    let server = start()?;
    let mut client = Client::connect(server.addr())?;
    for path in ["/", "/a/b?c=d", "/favicon.ico"] {
        client
            .send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n").as_bytes())?;
        let response = response(&mut client, true)?;
        assert_hello(&response);
        assert_eq!(response.header("Content-Length"), Some("13"));
        assert_eq!(response.header("Connection"), None);
    }
    Ok(())
}

#[test]
fn pipelined_requests_are_answered_in_order() -> io::Result<()> {
    let server = start()?;
    let mut client = Client::connect(server.addr())?;
    // Four requests in one write: a body to skip, a HEAD, bare-LF line ends, then close.
    client.send(
        b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello=world\
          HEAD /3 HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /4 HTTP/1.1\nHost: x\nConnection: close\n\n",
    )?;
    assert_hello(&response(&mut client, true)?);
    assert_hello(&response(&mut client, true)?);
    let head = response(&mut client, false)?;
    assert_eq!(head.status, "HTTP/1.1 200 OK");
    assert_eq!(head.header("Content-Length"), Some("13"));
    let last = response(&mut client, true)?;
    assert_hello(&last);
    assert_eq!(last.header("Connection"), Some("close"));
    assert!(client.read_to_close()?.is_empty(), "nothing follows the close");
    Ok(())
}

#[test]
fn requests_split_across_writes_and_bodies_across_reads() -> io::Result<()> {
    let server = start()?;
    let mut client = Client::connect(server.addr())?;
    let request = b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
    for chunk in request.chunks(7) {
        client.send(chunk)?;
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_hello(&response(&mut client, true)?);
    // The body comes after the answer; it is skipped, not taken for a request.
    client.send(&vec![b'G'; 100_000])?;
    client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
    assert_hello(&response(&mut client, true)?);
    Ok(())
}

#[test]
fn http_1_0_closes_unless_asked_to_keep_alive() -> io::Result<()> {
    let server = start()?;
    let mut client = Client::connect(server.addr())?;
    client.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")?;
    let kept = response(&mut client, true)?;
    assert_hello(&kept);
    assert_eq!(kept.header("Connection"), Some("keep-alive"));
    client.send(b"GET / HTTP/1.0\r\n\r\n")?;
    assert_eq!(response(&mut client, true)?.header("Connection"), Some("close"));
    assert!(client.read_to_close()?.is_empty());
    Ok(())
}

#[test]
fn malformed_requests_get_400_and_a_close() -> io::Result<()> {
    let mut server = start()?;
    let cases: [&[u8]; 8] = [
        b"garbage\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\n\r\n",
        b"G(T / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ];
    for case in cases {
        let mut client = Client::connect(server.addr())?;
        client.send(case)?;
        let answer = response(&mut client, true)?;
        assert_eq!(answer.status, "HTTP/1.1 400 Bad Request", "for {:?}", String::from_utf8_lossy(case));
        assert_eq!(answer.header("Connection"), Some("close"));
        assert!(client.read_to_close()?.is_empty());
    }

    // A good request before a bad one in the same write is still answered.
    let mut client = Client::connect(server.addr())?;
    client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02\r\n\r\n")?;
    assert_hello(&response(&mut client, true)?);
    assert_eq!(response(&mut client, true)?.status, "HTTP/1.1 400 Bad Request");
    assert!(client.read_to_close()?.is_empty());

    // Versions and bodies it does not speak.
    let mut client = Client::connect(server.addr())?;
    client.send(b"GET / HTTP/2.0\r\n\r\n")?;
    assert_eq!(response(&mut client, true)?.status, "HTTP/1.1 505 HTTP Version Not Supported");
    let mut client = Client::connect(server.addr())?;
    client.send(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")?;
    assert_eq!(response(&mut client, true)?.status, "HTTP/1.1 501 Not Implemented");
    server.assert_running()
}

#[test]
fn a_header_block_over_64_kib_is_refused() -> io::Result<()> {
    let mut server = start()?;
    let mut client = Client::connect(server.addr())?;
    client.send(b"GET / HTTP/1.1\r\n")?;
    let header = format!("X-Filler: {}\r\n", "f".repeat(1000));
    let mut refused = None;
    // Keep sending headers, never the end; the server answers once past 64 KiB.
    for _ in 0..80 {
        if let Err(e) = client.send(header.as_bytes()) {
            refused = Some(e);
            break;
        }
    }
    let answer = response(&mut client, true)?;
    assert_eq!(answer.status, "HTTP/1.1 431 Request Header Fields Too Large", "{refused:?}");
    client.read_to_close()?;
    server.assert_running()
}

#[test]
fn a_request_that_stalls_half_sent_gets_408() -> io::Result<()> {
    let server = start()?;
    let mut client = Client::connect(server.addr())?;
    client.stream().set_read_timeout(Some(Duration::from_secs(30)))?;
    let started = Instant::now();
    client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")?; // and no end
    let answer = response(&mut client, true)?;
    assert_eq!(answer.status, "HTTP/1.1 408 Request Timeout");
    assert!(started.elapsed() >= Duration::from_secs(9), "not before the timeout");
    assert!(client.read_to_close()?.is_empty());
    Ok(())
}
