//! `examples/broker.rs`, run as a process and spoken to as `nc` would.
mod util;

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use util::example::{Client, Example};

fn start() -> io::Result<Example> {
    Example::start("broker", &["127.0.0.1:0"])
}

/// Sends `command` and reads the one-line reply.
fn ask(client: &mut Client, command: &str) -> io::Result<String> {
    client.send_line(command)?;
    client.line()
}

#[test]
fn messages_fan_out_to_the_topic_subscribers() -> io::Result<()> {
    let broker = start()?;
    let mut ann = Client::connect(broker.addr())?;
    let mut bob = Client::connect(broker.addr())?;
    let mut pubber = Client::connect(broker.addr())?;

    assert_eq!(ask(&mut ann, "SUB news")?, "OK SUB news");
    assert_eq!(ask(&mut bob, "sub news")?, "OK SUB news"); // case-insensitive
    assert_eq!(ask(&mut bob, "SUB sport")?, "OK SUB sport");

    assert_eq!(ask(&mut pubber, "PUB news crest 0.1 is out")?, "OK PUB news 2");
    assert_eq!(ann.line()?, "MSG news crest 0.1 is out");
    assert_eq!(bob.line()?, "MSG news crest 0.1 is out");

    assert_eq!(ask(&mut pubber, "PUB sport 2 - 1")?, "OK PUB sport 1");
    assert_eq!(bob.line()?, "MSG sport 2 - 1");
    assert_eq!(ask(&mut pubber, "PUB weather  ")?, "OK PUB weather 0");

    // ann leaves the topic: the next publish reaches bob alone, and ann's next line is
    // the reply to her next command.
    assert_eq!(ask(&mut ann, "UNSUB news")?, "OK UNSUB news");
    assert_eq!(ask(&mut pubber, "PUB news second")?, "OK PUB news 1");
    assert_eq!(bob.line()?, "MSG news second");
    assert_eq!(ask(&mut ann, "UNSUB news")?, "ERR not subscribed to news");

    // A publisher subscribed to its own topic gets its message too; CRLF works as LF.
    assert_eq!(ask(&mut pubber, "SUB sport")?, "OK SUB sport");
    pubber.send(b"PUB sport goal\r\n")?;
    let (first, second) = (pubber.line()?, pubber.line()?);
    let mut got = [first.as_str(), second.as_str()];
    got.sort();
    assert_eq!(got, ["MSG sport goal", "OK PUB sport 2"]);
    assert_eq!(bob.line()?, "MSG sport goal");

    // A subscriber that disconnects is forgotten.
    drop(bob);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(ask(&mut pubber, "PUB news third")?, "OK PUB news 0");
    Ok(())
}

#[test]
fn bad_commands_get_err_and_the_connection_stays() -> io::Result<()> {
    let mut broker = start()?;
    let mut client = Client::connect(broker.addr())?;
    for bad in ["HELLO", "SUB", "SUB ", "SUB two words", "UNSUB", "PUB", "PUB news", "\u{7f}"] {
        let reply = ask(&mut client, bad)?;
        assert!(reply.starts_with("ERR "), "{bad:?} gave {reply:?}");
    }
    client.send(b"\xff\xfe\x00 garbage\n")?;
    assert!(client.line()?.starts_with("ERR unknown command"));
    let long_topic = format!("SUB {}", "t".repeat(257));
    assert!(ask(&mut client, &long_topic)?.starts_with("ERR a topic has at most 256 bytes"));
    // Empty lines are ignored; the connection still works.
    client.send(b"\n\r\n")?;
    assert_eq!(ask(&mut client, "SUB ok")?, "OK SUB ok");
    broker.assert_running()
}

#[test]
fn a_line_over_64_kib_is_refused_and_closed() -> io::Result<()> {
    let mut broker = start()?;
    let mut client = Client::connect(broker.addr())?;
    let mut long = b"PUB news ".to_vec();
    long.resize(64 * 1024 + 1, b'x');
    long.push(b'\n');
    client.send(&long)?;
    let reply = client.line()?;
    assert!(reply.starts_with("ERR line too long"), "{reply:?}");
    client.read_to_close()?;

    // Exactly 64 KiB is fine.
    let mut sub = Client::connect(broker.addr())?;
    assert_eq!(ask(&mut sub, "SUB news")?, "OK SUB news");
    let mut publisher = Client::connect(broker.addr())?;
    long.truncate(64 * 1024);
    long.push(b'\n');
    publisher.send(&long)?;
    assert_eq!(publisher.line()?, "OK PUB news 1");
    assert_eq!(sub.line()?.len(), 64 * 1024 - "PUB news ".len() + "MSG news ".len());
    broker.assert_running()
}

#[test]
fn a_subscriber_that_falls_behind_is_disconnected_and_the_others_go_on() -> io::Result<()> {
    let broker = start()?;
    let mut slow = Client::connect(broker.addr())?; // never reads after subscribing
    let mut fast = Client::connect(broker.addr())?;
    let mut publisher = Client::connect(broker.addr())?;
    assert_eq!(ask(&mut slow, "SUB news")?, "OK SUB news");
    assert_eq!(ask(&mut fast, "SUB news")?, "OK SUB news");

    // `fast` reads on a thread and checks that it gets every message, in order.
    let received = Arc::new(AtomicU64::new(0));
    let seen = received.clone();
    let reader = thread::spawn(move || -> io::Result<()> {
        loop {
            let line = fast.line()?;
            if line == "MSG news done" {
                return Ok(());
            }
            let n: u64 = line
                .strip_prefix("MSG news ")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {:.80?}", line));
            assert_eq!(n, seen.load(Ordering::SeqCst), "fast lost a message");
            seen.store(n + 1, Ordering::SeqCst);
        }
    });

    // Rounds of 64 messages until a publish reaches one subscriber instead of two: slow is
    // out. After each round, wait for `fast` to have it all: a window far below the
    // server's queue, so that `fast` can never count as too slow.
    let padding = "x".repeat(1000);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = 0u64;
    let mut dropped = false;
    while !dropped && sent < 64 * 1024 && Instant::now() < deadline {
        for _ in 0..64 {
            publisher.send_line(&format!("PUB news {sent} {padding}"))?;
            sent += 1;
        }
        for _ in 0..64 {
            match publisher.line()?.as_str() {
                "OK PUB news 2" => {}
                "OK PUB news 1" => dropped = true,
                other => panic!("unexpected reply {other:?}"),
            }
        }
        while received.load(Ordering::SeqCst) < sent && !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
    }
    assert!(dropped, "slow was never dropped ({sent} messages sent)");
    assert_eq!(ask(&mut publisher, "PUB news done")?, "OK PUB news 1");
    reader.join().expect("the reader thread does not panic")?;
    assert_eq!(received.load(Ordering::SeqCst), sent, "fast received every message");

    // The slow client finds its connection closed once it reads what was buffered.
    let rest = slow.read_to_close()?;
    assert!(rest.len() < sent as usize * 1000, "slow cannot have received everything");
    Ok(())
}
