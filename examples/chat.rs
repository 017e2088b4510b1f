//! A chat room: pick a nickname, and every line you type goes to everyone else.
//!
//! ```text
//! $ cargo run --release --example chat              # listens on 127.0.0.1:7879
//! listening on 127.0.0.1:7879
//! ```
//!
//! Join from two or more terminals with `nc` (`nc -C` sends CRLF; both work):
//!
//! ```text
//! $ nc 127.0.0.1 7879
//! Welcome to crest chat! What is your nickname?
//! ann
//! *** Welcome, ann! Here now: bob. Type /quit to leave.
//! hi bob
//! bob: hello ann
//! *** carl joined
//! /quit
//! *** Bye, ann!
//! ```
//!
//! Each member has a reader task (lines in, broadcast) and a writer task (its queue out). The
//! queue is bounded: a broadcast never waits for a slow reader, it `try_send`s. A member whose
//! queue is full has fallen too far behind: it is removed from the room at once, told why (if
//! its socket takes the notice within a second) and disconnected, and the room announces it.
//!
//! SIGINT (ctrl-c) or SIGTERM stops it cleanly: it stops accepting (new connections are
//! refused), tells every member the server is going away, delivers what is queued for
//! each (a message being broadcast included), closes, and exits 0; connections still open
//! after the deadline (default 5 s, `chat ADDR SECONDS`) are dropped and it exits 1.
//!
//! Bad input never takes the server down: a nickname that is not UTF-8, empty, too long or
//! taken is refused and asked for again; a message that is not UTF-8 gets an `ERR` reply; a
//! line over 64 KiB gets an `ERR` reply and the connection is closed.

use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_channel::{Receiver, Sender, TrySendError};
use crest::io::{AsyncWriteExt, BufReader};
use crest::net::{TcpListener, TcpStream};
use crest::signal::unix::{signal, SignalKind};
use futures_lite::future;

#[path = "chat/proto.rs"]
mod proto;
use proto::{parse_message, read_line, valid_nick, Message};

const DEFAULT_ADDR: &str = "127.0.0.1:7879";

/// How many messages may wait for a member before it counts as too slow.
const QUEUE_LEN: usize = 256;

/// A reader yields to the other tasks after this many lines, so that one flooding client
/// cannot fill the others' queues before their writers get a turn.
const LINES_PER_TURN: usize = 32;

/// How long a member being disconnected for slowness gets to take its last message and the
/// notice; then it is cut off whatever it has read.
const KICK_GRACE: Duration = Duration::from_secs(1);

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

const GOING_AWAY: &str = "*** The server is shutting down. Bye!\n";

const PROMPT: &str = "Welcome to crest chat! What is your nickname?\n";
const TOO_SLOW: &str = "*** You fell too far behind the room and are being disconnected.\n";

#[crest::main]
async fn main() {
    let (addr, deadline) = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let listener = match TcpListener::bind(addr.as_str()).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("chat: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(_) => println!("listening on {addr}"),
    }

    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        eprintln!("chat: cannot listen for SIGTERM/SIGINT");
        std::process::exit(1);
    };
    // Closing this channel (dropping `stop`) tells every connection to finish.
    let (stop, stopping) = async_channel::bounded::<()>(1);
    let room = Arc::new(Room::default());
    let mut connections = Vec::new();
    loop {
        let signalled = async {
            future::or(term.recv(), int.recv()).await;
            None
        };
        let Some(accepted) = future::or(signalled, async { Some(listener.accept().await) }).await else {
            break;
        };
        match accepted {
            Ok((stream, peer)) => {
                let room = room.clone();
                let stopping = stopping.clone();
                connections.retain(|c: &crest::task::JoinHandle<()>| !c.is_finished());
                connections.push(crest::spawn(async move {
                    if let Err(e) = serve(&room, stream, stopping).await {
                        if !is_disconnect(&e) {
                            eprintln!("chat: {peer}: {e}");
                        }
                    }
                }));
            }
            Err(e) if is_disconnect(&e) => {}
            // Out of descriptors or memory: log and go on; the listener's next `accept`
            // waits out its own back-off, so this loop does not spin.
            Err(e) => eprintln!("chat: accept failed: {e}"),
        }
    }

    // Refuse new connections; queue the farewell behind what each member still has to
    // receive, and let the readers stop; each writer drains its queue and closes.
    drop(listener);
    room.close();
    drop(stop);
    // Those that ended since the last accept are gone already: count the rest.
    connections.retain(|c| !c.is_finished());
    eprintln!("chat: stopping; {} connection(s) finishing", connections.len());
    let finished = crest::time::timeout(deadline, async {
        for connection in connections {
            let _ = connection.await;
        }
    });
    if finished.await.is_err() {
        eprintln!("chat: connections still open after {deadline:?}; closing them");
        std::process::exit(1);
    }
    eprintln!("chat: stopped cleanly");
}

/// The members of the room, by id.
#[derive(Default)]
struct Room {
    members: Mutex<Members>,
}

#[derive(Default)]
struct Members {
    next_id: u64,
    by_id: HashMap<u64, Member>,
    /// The server is stopping: nobody joins any more.
    closed: bool,
}

/// What the room holds of a member: how to reach its writer.
struct Member {
    nick: Arc<str>,
    queue: Sender<Arc<str>>,
    /// Told once, when the member is too slow; its writer then stops taking from `queue`.
    kick: Sender<()>,
}

impl Room {
    fn lock(&self) -> MutexGuard<'_, Members> {
        // A panic while holding the lock leaves plain data behind, still consistent.
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a member under `nick`, with a welcome first in its queue, and tells the others;
    /// `None` when the name is taken. All under the lock, so that no line gets between.
    fn join(&self, nick: &Arc<str>, queue: Sender<Arc<str>>, kick: Sender<()>) -> Option<u64> {
        let mut members = self.lock();
        if members.closed || members.by_id.values().any(|m| *m.nick == **nick) {
            return None;
        }
        let others: Vec<&str> = members.by_id.values().map(|m| &*m.nick).collect();
        let here = if others.is_empty() { "nobody else".to_string() } else { others.join(", ") };
        let welcome = format!("*** Welcome, {nick}! Here now: {here}. Type /quit to leave.\n");
        // The queue is new and empty: this cannot fail.
        let _ = queue.try_send(welcome.into());
        members.next_id += 1;
        let id = members.next_id;
        Self::broadcast_locked(&mut members, id, format!("*** {nick} joined\n").into());
        members.by_id.insert(id, Member { nick: nick.clone(), queue, kick });
        Some(id)
    }

    /// Removes the member and tells the others why it left. A member the room no longer
    /// holds was kicked for being too slow, whatever its reader saw.
    fn leave(&self, id: u64, nick: &str, why: Leave) {
        let mut members = self.lock();
        let why = if members.by_id.remove(&id).is_some() { why } else { Leave::TooSlow };
        let text = match why {
            Leave::Quit => format!("*** {nick} left\n"),
            Leave::TooSlow => format!("*** {nick} was disconnected: too slow\n"),
            Leave::Error => format!("*** {nick} was disconnected\n"),
        };
        Self::broadcast_locked(&mut members, id, text.into());
    }

    /// The server stops: every member gets the farewell after what is already queued for
    /// it, and leaves the room; nobody joins any more.
    fn close(&self) {
        let mut members = self.lock();
        members.closed = true;
        Self::broadcast_locked(&mut members, 0, GOING_AWAY.into());
        members.by_id.clear();
    }

    /// Sends `line` to every member but `from`.
    fn broadcast(&self, from: u64, line: Arc<str>) {
        Self::broadcast_locked(&mut self.lock(), from, line);
    }

    /// Queues `line` for every member but `from`, without waiting: a member whose queue is
    /// full is kicked and removed. Its leave is announced by its own reader, once its writer
    /// has closed the connection.
    fn broadcast_locked(members: &mut Members, from: u64, line: Arc<str>) {
        let mut too_slow = Vec::new();
        for (&id, member) in &members.by_id {
            if id == from {
                continue;
            }
            match member.queue.try_send(line.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    let _ = member.kick.try_send(());
                    too_slow.push(id);
                }
                // Its writer is gone (the connection failed); its reader will leave soon.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        for id in too_slow {
            members.by_id.remove(&id);
        }
    }
}

/// Why a member left, for the announcement.
#[derive(Clone, Copy)]
enum Leave {
    Quit,
    TooSlow,
    Error,
}

/// Runs one connection: the nickname, then the member's reader (here) and writer (a task).
async fn serve(room: &Room, stream: TcpStream, stopping: Receiver<()>) -> io::Result<()> {
    let stream = Arc::new(stream);
    let mut reader = BufReader::with_capacity(8 * 1024, &*stream);
    let mut line = Vec::new();

    let (queue, queued) = async_channel::bounded(QUEUE_LEN);
    let (kick, kicked) = async_channel::bounded(1);
    let (id, nick) = loop {
        (&*stream).write_all(PROMPT.as_bytes()).await?;
        let stopped = async {
            let _ = stopping.recv().await;
            None
        };
        // Not a member yet: a stop just closes.
        let Some(read) = future::or(stopped, async { Some(read_line(&mut reader, &mut line).await) }).await
        else {
            return (&*stream).write_all(GOING_AWAY.as_bytes()).await;
        };
        match read {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return (&*stream).write_all(format!("ERR {e}\n").as_bytes()).await;
            }
            Err(e) => return Err(e),
        }
        let nick: Arc<str> = match valid_nick(&line) {
            Ok(nick) => nick.into(),
            Err(why) => {
                (&*stream).write_all(format!("ERR {why}\n").as_bytes()).await?;
                continue;
            }
        };
        match room.join(&nick, queue.clone(), kick.clone()) {
            Some(id) => break (id, nick),
            None if stopping.is_closed() => return (&*stream).write_all(GOING_AWAY.as_bytes()).await,
            None => {
                let taken = format!("ERR the nickname {nick} is taken\n");
                (&*stream).write_all(taken.as_bytes()).await?;
            }
        }
    };
    // The room holds the only other senders: once it drops them, `kicked` reports Closed.
    drop(kick);
    let writer = crest::spawn(write_queue(stream.clone(), queued, kicked));

    let stopped = async {
        let _ = stopping.recv().await;
        None
    };
    let reading = async { Some(read_messages(room, id, &nick, &mut reader, &mut line, &queue).await) };
    // On a stop the room has already let go of the member and queued the farewell.
    if let Some(why) = future::or(stopped, reading).await {
        room.leave(id, &nick, why);
    }
    // Dropping our sender (the room has dropped its own) lets the writer drain and close;
    // the connection is done once it has.
    drop(queue);
    let _ = writer.await;
    Ok(())
}

/// Reads the member's lines and broadcasts them, until it quits or the connection ends.
async fn read_messages(
    room: &Room,
    id: u64,
    nick: &str,
    reader: &mut BufReader<&TcpStream>,
    line: &mut Vec<u8>,
    own: &Sender<Arc<str>>,
) -> Leave {
    let mut lines = 0;
    loop {
        match read_line(reader, line).await {
            Ok(true) => {}
            Ok(false) => return Leave::Quit,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let _ = own.try_send(format!("ERR {e}\n").into());
                return Leave::Error;
            }
            Err(_) => return Leave::Error,
        }
        lines += 1;
        if lines % LINES_PER_TURN == 0 {
            crest::task::yield_now().await;
        }
        match parse_message(line) {
            Message::NotText => {
                let _ = own.try_send("ERR messages must be UTF-8 text\n".into());
            }
            Message::Empty => {}
            Message::Quit => {
                let _ = own.try_send(format!("*** Bye, {nick}!\n").into());
                return Leave::Quit;
            }
            Message::Unknown(command) => {
                let _ = own.try_send(format!("ERR unknown command {command}; /quit leaves\n").into());
            }
            Message::Text(text) => room.broadcast(id, format!("{nick}: {text}\n").into()),
        }
    }
}

/// Writes the member's queue to its socket, a batch per write, until the queue ends (the
/// member left) or the room kicks the member; then closes the connection both ways, which
/// also ends the reader.
async fn write_queue(stream: Arc<TcpStream>, queued: Receiver<Arc<str>>, kicked: Receiver<()>) {
    let mut batch = Vec::with_capacity(8 * 1024);
    let mut notice = &*stream;
    loop {
        let next = future::or(async { queued.recv().await.map_or(Next::End, Next::Send) }, async {
            wait_for_kick(&kicked).await;
            Next::Kick
        })
        .await;
        let first = match next {
            Next::Send(first) => first,
            Next::End => break,
            Next::Kick => {
                let _ = crest::time::timeout(KICK_GRACE, notice.write_all(TOO_SLOW.as_bytes())).await;
                break;
            }
        };
        batch.clear();
        batch.extend_from_slice(first.as_bytes());
        while batch.len() < 64 * 1024 {
            match queued.try_recv() {
                Ok(more) => batch.extend_from_slice(more.as_bytes()),
                Err(_) => break,
            }
        }

        let mut out = &*stream;
        let mut write = pin!(out.write_all(&batch));
        let finished = future::or(async { Some((&mut write).await) }, async {
            wait_for_kick(&kicked).await;
            None
        })
        .await;
        match finished {
            Some(Ok(())) => {}
            Some(Err(_)) => break,
            None => {
                // Kicked in the middle of a write: let it finish, so that the notice
                // starts on a line of its own, but do not wait for long.
                let _ = crest::time::timeout(KICK_GRACE, async {
                    write.await?;
                    notice.write_all(TOO_SLOW.as_bytes()).await
                })
                .await;
                break;
            }
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// What the writer does next.
enum Next {
    Send(Arc<str>),
    /// The member left: its queue is drained and every sender dropped.
    End,
    Kick,
}

/// Completes when the member is kicked; never when the room merely lets go of it.
async fn wait_for_kick(kicked: &Receiver<()>) {
    if kicked.recv().await.is_err() {
        future::pending::<()>().await;
    }
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe
    )
}

/// `chat [ADDR [DEADLINE_SECONDS]]`; the error is the usage text.
fn parse_args() -> Result<(String, Duration), String> {
    let usage = format!("usage: chat [ADDR [DEADLINE_SECONDS]]   (default {DEFAULT_ADDR}, 5 s)");
    let mut args = std::env::args().skip(1);
    let addr = match args.next() {
        None => DEFAULT_ADDR.to_string(),
        Some(a) if a == "-h" || a == "--help" => return Err(usage),
        Some(a) => a,
    };
    let deadline = match args.next() {
        None => DEFAULT_DEADLINE,
        Some(s) => match s.parse::<f64>() {
            Ok(secs) if secs >= 0.0 && secs.is_finite() => Duration::from_secs_f64(secs),
            _ => return Err(format!("chat: {s:?} is not a number of seconds\n{usage}")),
        },
    };
    if args.next().is_some() {
        return Err(usage);
    }
    if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
        return Err(format!("chat: {addr:?} is not an address like 127.0.0.1:7879\n{usage}"));
    }
    Ok((addr, deadline))
}
