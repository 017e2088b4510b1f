//! `examples/echo.rs`, run as a process and spoken to as `nc` would.
mod util;

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::Duration;

use util::example::{run_to_exit, Client, Example};

fn start() -> io::Result<Example> {
    Example::start("echo", &["127.0.0.1:0"])
}

#[test]
fn lines_come_back() -> io::Result<()> {
    let echo = start()?;
    let mut client = Client::connect(echo.addr())?;
    for text in ["hello", "crest", "", "a somewhat longer line, with spaces and punctuation!"] {
        client.send_line(text)?;
        assert_eq!(client.line()?, text);
    }
    Ok(())
}

#[test]
fn bytes_that_are_not_text_come_back_unchanged() -> io::Result<()> {
    let echo = start()?;
    let mut client = Client::connect(echo.addr())?;
    let garbage: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0, b'\r', 0xc3]).collect();
    client.send(&garbage)?;
    assert_eq!(client.bytes(garbage.len())?, garbage);
    Ok(())
}

#[test]
fn half_close_gets_everything_back_then_eof() -> io::Result<()> {
    let echo = start()?;
    let mut client = Client::connect(echo.addr())?;
    // Larger than the socket buffers, so the writes run beside the reads.
    let data: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let mut writer = client.stream().try_clone()?;
    let sent = data.clone();
    let sender = thread::spawn(move || -> io::Result<()> {
        writer.write_all(&sent)?;
        writer.shutdown(std::net::Shutdown::Write)
    });
    let back = client.read_to_close()?;
    sender.join().expect("the writer thread does not panic")?;
    assert_eq!(back.len(), data.len());
    assert!(back == data, "the echoed bytes differ from those sent");
    Ok(())
}

#[test]
fn many_clients_at_once() -> io::Result<()> {
    let echo = start()?;
    let addr = echo.addr();
    let clients: Vec<_> = (0..50)
        .map(|c| {
            thread::spawn(move || -> io::Result<()> {
                let mut client = Client::connect(addr)?;
                for m in 0..10 {
                    let text = format!("client {c} message {m}");
                    client.send_line(&text)?;
                    assert_eq!(client.line()?, text);
                }
                Ok(())
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client thread does not panic")?;
    }
    Ok(())
}

#[test]
fn a_client_that_resets_does_not_hurt_the_others() -> io::Result<()> {
    let mut echo = start()?;
    let mut steady = Client::connect(echo.addr())?;
    steady.send_line("before")?;
    assert_eq!(steady.line()?, "before");

    for _ in 0..20 {
        let rude = Client::connect(echo.addr())?;
        // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        // SAFETY: setsockopt reads one `linger` from a live local for the duration of the
        // call, on a descriptor `rude` owns.
        let rc = unsafe {
            libc::setsockopt(
                rude.stream().as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "setsockopt(SO_LINGER): {}", io::Error::last_os_error());
        rude.stream().write_all(b"half a message")?;
        drop(rude);
    }
    thread::sleep(Duration::from_millis(100));

    steady.send_line("after")?;
    assert_eq!(steady.line()?, "after");
    echo.assert_running()
}

#[test]
fn out_of_descriptors_it_backs_off_serves_the_others_and_recovers() -> io::Result<()> {
    // Room for the runtime's own descriptors and a handful of connections.
    let mut echo = Example::start_with_fd_limit("echo", &["127.0.0.1:0"], Some(16))?;
    // Connections past the limit still complete their handshake into the listen backlog;
    // the server just cannot accept them yet.
    let mut clients = Vec::new();
    for i in 0..30 {
        let mut client = Client::connect(echo.addr())?;
        client.send_line(&format!("client {i}"))?;
        clients.push(client);
    }
    echo.wait_for_stderr("accept failed", Duration::from_secs(10))?;

    // Sort the served from the waiting.
    let (mut served, mut waiting) = (Vec::new(), Vec::new());
    for (i, mut client) in clients.into_iter().enumerate() {
        client.stream().set_read_timeout(Some(Duration::from_millis(300)))?;
        match client.line() {
            Ok(line) => {
                assert_eq!(line, format!("client {i}"));
                served.push(client);
            }
            Err(_) => waiting.push((i, client)),
        }
    }
    assert!(!served.is_empty() && !waiting.is_empty(), "{} served, {} waiting", served.len(), waiting.len());

    // Meanwhile the server keeps serving the connections it has, and does not spin.
    let cpu_before = echo.cpu_time()?;
    thread::sleep(Duration::from_secs(1));
    let spent = echo.cpu_time()? - cpu_before;
    assert!(spent < Duration::from_millis(300), "the accept loop spins: {spent:?} of CPU in 1 s");
    for client in &mut served {
        client.stream().set_read_timeout(Some(util::example::IO_TIMEOUT))?;
        client.send_line("still here")?;
        assert_eq!(client.line()?, "still here");
    }

    // Freeing descriptors lets the waiting ones in, a few at a time.
    drop(served);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !waiting.is_empty() {
        assert!(std::time::Instant::now() < deadline, "{} clients were never served", waiting.len());
        waiting.retain_mut(|(i, client)| match client.line() {
            Ok(line) => {
                assert_eq!(line, format!("client {i}"));
                false // served: dropping it frees a descriptor for the next
            }
            Err(_) => true,
        });
    }
    echo.assert_running()
}

#[test]
fn a_bad_address_is_a_usage_error() -> io::Result<()> {
    let (status, _, stderr) = run_to_exit("echo", &["not-an-address"], Duration::from_secs(30))?;
    assert_eq!(status.code(), Some(2), "stderr:\n{stderr}");
    assert!(stderr.contains("usage: echo"), "stderr:\n{stderr}");
    Ok(())
}
