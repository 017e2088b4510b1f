//! Level-triggered versus edge-triggered epoll, shown on a socket pair.
//!
//! ```text
//! cargo run --example lt_vs_et
//! ```
//!
//! For each mode the peer writes 100 bytes, the reader takes only 10, and waits again.
//! Level-triggered epoll reports the fd again (data is still there); edge-triggered does
//! not, until new data arrives: a reader that stops before `WouldBlock` sleeps forever.
//! That is why crest keeps readiness as state and clears it only on `WouldBlock`.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use crest::sys::epoll::{Epoll, Events};

const WAIT: Option<Duration> = Some(Duration::from_millis(100));

fn reports(epoll: &Epoll) -> io::Result<String> {
    let mut events = Vec::with_capacity(4);
    epoll.wait(&mut events, WAIT)?;
    Ok(match events.first() {
        Some(ev) => format!("reported {:?}", ev.events()),
        None => "nothing (timed out after 100ms)".to_string(),
    })
}

fn scenario(name: &str, interest: Events) -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (mut reader, mut writer) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    epoll.add(reader.as_fd(), interest, 1)?;
    println!("{name} ({interest:?})");
    writer.write_all(&[b'x'; 100])?;
    println!("  peer writes 100 bytes        -> wait: {}", reports(&epoll)?);
    let mut buf = [0; 10];
    reader.read_exact(&mut buf)?;
    println!("  reader takes 10, 90 remain   -> wait: {}", reports(&epoll)?);
    writer.write_all(b"y")?;
    println!("  peer writes 1 more byte      -> wait: {}", reports(&epoll)?);
    if interest.contains(Events::ONESHOT) {
        epoll.modify(reader.as_fd(), interest, 1)?;
        println!("  modify() re-arms             -> wait: {}", reports(&epoll)?);
    }
    writer.shutdown(Shutdown::Write)?;
    println!("  peer shuts down its writes   -> wait: {}", reports(&epoll)?);
    drop(writer);
    println!("  peer closes                  -> wait: {}", reports(&epoll)?);
    println!();
    Ok(())
}

fn main() -> io::Result<()> {
    scenario("level-triggered", Events::IN | Events::RDHUP)?;
    scenario("edge-triggered", Events::IN | Events::RDHUP | Events::ET)?;
    scenario("one-shot", Events::IN | Events::RDHUP | Events::ONESHOT)?;
    println!("Edge-triggered reports changes, not states: drain until WouldBlock.");
    Ok(())
}
