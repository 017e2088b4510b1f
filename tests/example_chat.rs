//! `examples/chat.rs`, run as a process and spoken to as `nc` would.
mod util;

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use util::example::{Client, Example};

const PROMPT: &str = "Welcome to crest chat! What is your nickname?";

fn start() -> io::Result<Example> {
    Example::start("chat", &["127.0.0.1:0"])
}

/// Connects and joins as `nick`; gives the client past its welcome line.
fn join(addr: SocketAddr, nick: &str) -> io::Result<Client> {
    let mut client = Client::connect(addr)?;
    assert_eq!(client.line()?, PROMPT);
    client.send_line(nick)?;
    let welcome = client.line()?;
    assert!(welcome.starts_with(&format!("*** Welcome, {nick}!")), "{welcome:?}");
    Ok(client)
}

#[test]
fn lines_go_to_everyone_else_with_joins_and_leaves() -> io::Result<()> {
    let chat = start()?;
    let mut ann = join(chat.addr(), "ann")?;
    let mut bob = Client::connect(chat.addr())?;
    assert_eq!(bob.line()?, PROMPT);
    bob.send(b"bob\r\n")?; // `nc -C` sends CRLF
    assert_eq!(bob.line()?, "*** Welcome, bob! Here now: ann. Type /quit to leave.");
    assert_eq!(ann.line()?, "*** bob joined");

    ann.send_line("hi bob")?;
    assert_eq!(bob.line()?, "ann: hi bob");
    bob.send_line("hello ann")?;
    assert_eq!(ann.line()?, "bob: hello ann");

    let mut carl = join(chat.addr(), "carl")?;
    assert_eq!(ann.line()?, "*** carl joined");
    assert_eq!(bob.line()?, "*** carl joined");
    carl.send_line("hey all")?;
    assert_eq!(ann.line()?, "carl: hey all");
    assert_eq!(bob.line()?, "carl: hey all");

    // Nobody hears their own lines: the next thing ann sees is bob's leave.
    bob.send_line("/quit")?;
    assert_eq!(bob.line()?, "*** Bye, bob!");
    assert!(bob.read_to_close()?.is_empty(), "the server closes after /quit");
    assert_eq!(ann.line()?, "*** bob left");
    assert_eq!(carl.line()?, "*** bob left");

    drop(carl); // EOF without /quit is a leave too
    assert_eq!(ann.line()?, "*** carl left");
    Ok(())
}

#[test]
fn bad_nicknames_are_refused_and_asked_again() -> io::Result<()> {
    let chat = start()?;
    let _ann = join(chat.addr(), "ann")?;
    let mut client = Client::connect(chat.addr())?;
    assert_eq!(client.line()?, PROMPT);

    client.send(b"\xff\xfe nick\n")?;
    let reply = client.line()?;
    assert!(reply.starts_with("ERR") && reply.contains("UTF-8"), "{reply:?}");
    assert_eq!(client.line()?, PROMPT);

    for bad in ["", "two words", "/quit", &"x".repeat(100), "ann"] {
        client.send_line(bad)?;
        let reply = client.line()?;
        assert!(reply.starts_with("ERR"), "nickname {bad:?} gave {reply:?}");
        assert_eq!(client.line()?, PROMPT);
    }

    client.send_line("zoë")?;
    assert_eq!(client.line()?, "*** Welcome, zoë! Here now: ann. Type /quit to leave.");
    Ok(())
}

#[test]
fn bad_messages_get_err_replies() -> io::Result<()> {
    let chat = start()?;
    let mut ann = join(chat.addr(), "ann")?;
    let mut bob = join(chat.addr(), "bob")?;
    assert_eq!(ann.line()?, "*** bob joined");

    bob.send(b"caf\xe9\n")?;
    let reply = bob.line()?;
    assert!(reply.starts_with("ERR") && reply.contains("UTF-8"), "{reply:?}");
    bob.send_line("/dance")?;
    assert!(bob.line()?.starts_with("ERR unknown command /dance"));

    // Still connected, and nothing of that reached ann.
    bob.send_line("sorry")?;
    assert_eq!(ann.line()?, "bob: sorry");
    Ok(())
}

#[test]
fn a_line_over_64_kib_is_refused_and_closed() -> io::Result<()> {
    let mut chat = start()?;
    let mut ann = join(chat.addr(), "ann")?;
    let mut bob = join(chat.addr(), "bob")?;
    assert_eq!(ann.line()?, "*** bob joined");

    let mut long = vec![b'a'; 64 * 1024 + 1];
    long.push(b'\n');
    bob.send(&long)?;
    let reply = bob.line()?;
    assert!(reply.starts_with("ERR line too long"), "{reply:?}");
    bob.read_to_close()?;
    assert_eq!(ann.line()?, "*** bob was disconnected");

    // A line of exactly 64 KiB is fine.
    let mut carl = join(chat.addr(), "carl")?;
    assert_eq!(ann.line()?, "*** carl joined");
    let exact = "c".repeat(64 * 1024);
    carl.send_line(&exact)?;
    assert_eq!(ann.line()?, format!("carl: {exact}"));

    // A long nickname line is refused too.
    let mut dan = Client::connect(chat.addr())?;
    assert_eq!(dan.line()?, PROMPT);
    dan.send(&long)?;
    assert!(dan.line()?.starts_with("ERR line too long"));
    dan.read_to_close()?;
    chat.assert_running()
}

#[test]
fn a_reader_that_falls_behind_is_disconnected_and_the_room_goes_on() -> io::Result<()> {
    let chat = start()?;
    let mut slow = join(chat.addr(), "slow")?; // never reads again until the end
    let mut fast = join(chat.addr(), "fast")?;
    let mut talker = join(chat.addr(), "talker")?;
    assert_eq!(fast.line()?, "*** talker joined");

    // `fast` reads everything on a thread and checks that no line of talker's is lost.
    let kicked = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let (seen_kick, seen_lines) = (kicked.clone(), received.clone());
    let reader = thread::spawn(move || -> io::Result<()> {
        loop {
            let line = fast.line()?;
            if line == "*** slow was disconnected: too slow" {
                seen_kick.store(true, Ordering::SeqCst);
            } else if line == "talker: done" {
                return Ok(());
            } else {
                let n: u64 = line
                    .strip_prefix("talker: ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("unexpected line {:.80?}", line));
                assert_eq!(n, seen_lines.load(Ordering::SeqCst), "fast lost a line");
                seen_lines.store(n + 1, Ordering::SeqCst);
            }
        }
    });

    // Rounds of 64 lines; after each, wait for `fast` to have it all: a window far below the
    // server's queue, so that `fast` can never count as too slow, and the announcement of
    // the kick is not stuck behind megabytes in fast's buffers. It comes up to a second
    // after the kick (the grace slow gets to take a notice).
    let padding = "x".repeat(1000);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut sent = 0u64;
    while !kicked.load(Ordering::SeqCst) && !reader.is_finished() && Instant::now() < deadline {
        if sent >= 64 * 1024 {
            // 64 MiB is far past what the socket buffers and the queue can hold.
            thread::sleep(Duration::from_millis(10));
            continue;
        }
        for _ in 0..64 {
            talker.send_line(&format!("{sent} {padding}"))?;
            sent += 1;
        }
        while received.load(Ordering::SeqCst) < sent && !reader.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
    }
    talker.send_line("done")?;
    reader.join().expect("the reader thread does not panic")?;
    assert!(kicked.load(Ordering::SeqCst), "slow was never disconnected ({sent} lines sent)");
    assert_eq!(received.load(Ordering::SeqCst), sent, "fast received every line");
    assert_eq!(talker.line()?, "*** slow was disconnected: too slow");

    // The slow client finds its connection closed once it reads what was buffered.
    let rest = slow.read_to_close()?;
    assert!(rest.len() < sent as usize * 1000, "slow cannot have received everything");
    Ok(())
}
