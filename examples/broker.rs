//! A message broker: clients subscribe to topics and publish to them, one command a line.
//!
//! ```text
//! $ cargo run --release --example broker            # listens on 127.0.0.1:7880
//! listening on 127.0.0.1:7880
//! ```
//!
//! The protocol, to type into `nc 127.0.0.1 7880` (`nc -C` sends CRLF; both work):
//!
//! | you send                | you get back                                             |
//! | ----------------------- | -------------------------------------------------------- |
//! | `SUB topic`             | `OK SUB topic`; then `MSG topic message` for each publish |
//! | `UNSUB topic`           | `OK UNSUB topic`                                         |
//! | `PUB topic message...`  | `OK PUB topic N`: N subscribers got it (you, too, if subscribed) |
//! | anything else           | `ERR what was wrong`; the connection stays open          |
//!
//! ```text
//! $ nc 127.0.0.1 7880                     $ nc 127.0.0.1 7880
//! SUB news                                PUB news crest 0.1 is out
//! OK SUB news                             OK PUB news 1
//! MSG news crest 0.1 is out
//! ```
//!
//! Commands are case-insensitive; a topic is 1 to 256 bytes without spaces; a message is
//! everything after the topic's space, any bytes but a newline.
//!
//! Every client has a bounded queue drained by its own writer task: a publish never waits
//! for a slow subscriber, it `try_send`s. A subscriber whose queue is full has fallen too far
//! behind: it is dropped from every topic at once, told why (if its socket takes the notice
//! within a second) and disconnected; the others go on receiving. A line over 64 KiB gets an
//! `ERR` reply and the connection is closed.
//!
//! SIGINT (ctrl-c) or SIGTERM stops it cleanly: it stops accepting (new connections are
//! refused) and reading commands, delivers what is queued for each client (publishes
//! already made included), closes, and exits 0; connections still open after the deadline
//! (default 5 s, `broker ADDR SECONDS`) are dropped and it exits 1.

use std::collections::{HashMap, HashSet};
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

#[path = "broker/proto.rs"]
mod proto;
use proto::{parse, read_line, reply, Command};

const DEFAULT_ADDR: &str = "127.0.0.1:7880";

/// The most topics one client may be subscribed to.
const MAX_SUBSCRIPTIONS: usize = 1024;

/// How many messages may wait for a client before it counts as too slow.
const QUEUE_LEN: usize = 256;

/// A reader yields to the other tasks after this many commands, so that one flooding
/// publisher cannot fill the subscribers' queues before their writers get a turn.
const LINES_PER_TURN: usize = 32;

/// How long a client being disconnected for slowness gets to take its last message and the
/// notice; then it is cut off whatever it has read.
const KICK_GRACE: Duration = Duration::from_secs(1);

/// How long connections may take to finish after SIGINT/SIGTERM, unless given.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

const TOO_SLOW: &[u8] = b"ERR you fell too far behind and are being disconnected\n";

type Message = Arc<[u8]>;
type Topic = Box<[u8]>;

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
            eprintln!("broker: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    match listener.local_addr() {
        Ok(local) => println!("listening on {local}"),
        Err(_) => println!("listening on {addr}"),
    }

    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        eprintln!("broker: cannot listen for SIGTERM/SIGINT");
        std::process::exit(1);
    };
    // Closing this channel (dropping `stop`) tells every connection to finish.
    let (stop, stopping) = async_channel::bounded::<()>(1);
    let broker = Arc::new(Broker::default());
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
                let broker = broker.clone();
                let stopping = stopping.clone();
                connections.retain(|c: &crest::task::JoinHandle<()>| !c.is_finished());
                connections.push(crest::spawn(async move {
                    if let Err(e) = serve(&broker, stream, stopping).await {
                        if !is_disconnect(&e) {
                            eprintln!("broker: {peer}: {e}");
                        }
                    }
                }));
            }
            Err(e) if is_disconnect(&e) => {}
            // Out of descriptors or memory: log and go on; the listener's next `accept`
            // waits out its own back-off, so this loop does not spin.
            Err(e) => eprintln!("broker: accept failed: {e}"),
        }
    }

    // Refuse new connections, stop reading commands, let each writer drain and close.
    drop(listener);
    drop(stop);
    // Those that ended since the last accept are gone already: count the rest.
    connections.retain(|c| !c.is_finished());
    eprintln!("broker: stopping; {} connection(s) finishing", connections.len());
    let finished = crest::time::timeout(deadline, async {
        for connection in connections {
            let _ = connection.await;
        }
    });
    if finished.await.is_err() {
        eprintln!("broker: connections still open after {deadline:?}; closing them");
        std::process::exit(1);
    }
    eprintln!("broker: stopped cleanly");
}

/// Who is connected and who listens to what.
#[derive(Default)]
struct Broker {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    clients: HashMap<u64, Client>,
    subscribers: HashMap<Topic, HashSet<u64>>,
}

/// What the broker holds of a client: how to reach its writer, and its subscriptions.
struct Client {
    queue: Sender<Message>,
    /// Told once, when the client is too slow; its writer then stops taking from `queue`.
    kick: Sender<()>,
    topics: HashSet<Topic>,
}

impl Broker {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind, still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn connect(&self, queue: Sender<Message>, kick: Sender<()>) -> u64 {
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        state.clients.insert(id, Client { queue, kick, topics: HashSet::new() });
        id
    }

    /// Forgets the client and its subscriptions (a kick may have done so already).
    fn disconnect(&self, id: u64) {
        self.lock().remove(id);
    }

    /// Queues `reply` for client `id`.
    fn reply(&self, id: u64, reply: Vec<u8>) {
        self.lock().send(id, reply.into());
    }

    /// Runs one command for client `id` and queues the reply, under one lock: a
    /// subscriber's `OK SUB` comes before any message on the topic.
    fn execute(&self, id: u64, command: Command<'_>) {
        let mut state = self.lock();
        let reply = match command {
            Command::Sub(topic) => {
                let Some(client) = state.clients.get_mut(&id) else {
                    return; // kicked: nothing to answer
                };
                if !client.topics.contains(topic) {
                    if client.topics.len() >= MAX_SUBSCRIPTIONS {
                        let full = format!("ERR at most {MAX_SUBSCRIPTIONS} subscriptions\n");
                        return state.send(id, full.into_bytes().into());
                    }
                    client.topics.insert(topic.into());
                    state.subscribers.entry(topic.into()).or_default().insert(id);
                }
                reply(b"OK SUB ", topic, b"")
            }
            Command::Unsub(topic) => {
                let Some(client) = state.clients.get_mut(&id) else {
                    return; // kicked: nothing to answer
                };
                if !client.topics.remove(topic) {
                    return state.send(id, reply(b"ERR not subscribed to ", topic, b"").into());
                }
                State::unsubscribe(&mut state.subscribers, topic, id);
                reply(b"OK UNSUB ", topic, b"")
            }
            Command::Pub(topic, message) => {
                let delivered = state.publish(topic, message);
                reply(b"OK PUB ", topic, format!(" {delivered}").as_bytes())
            }
        };
        state.send(id, reply.into());
    }
}

impl State {
    /// Queues `message` for client `id`, without waiting; kicks the client if its queue is
    /// full.
    fn send(&mut self, id: u64, message: Message) {
        let Some(client) = self.clients.get(&id) else { return };
        if let Err(TrySendError::Full(_)) = client.queue.try_send(message) {
            let _ = client.kick.try_send(());
            self.remove(id);
        }
    }

    /// Queues `MSG topic message` for every subscriber, without waiting; a subscriber whose
    /// queue is full is kicked. Gives how many got it.
    fn publish(&mut self, topic: &[u8], message: &[u8]) -> usize {
        let Some(ids) = self.subscribers.get(topic) else {
            return 0;
        };
        let line: Message = [b"MSG ", topic, b" ", message, b"\n"].concat().into();
        let mut delivered = 0;
        let mut too_slow = Vec::new();
        for id in ids {
            let Some(client) = self.clients.get(id) else { continue };
            match client.queue.try_send(line.clone()) {
                Ok(()) => delivered += 1,
                Err(TrySendError::Full(_)) => {
                    let _ = client.kick.try_send(());
                    too_slow.push(*id);
                }
                // Its writer is gone (the connection failed); its reader cleans up soon.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        for id in too_slow {
            self.remove(id);
        }
        delivered
    }

    fn remove(&mut self, id: u64) {
        if let Some(client) = self.clients.remove(&id) {
            for topic in &client.topics {
                State::unsubscribe(&mut self.subscribers, topic, id);
            }
        }
    }

    fn unsubscribe(subscribers: &mut HashMap<Topic, HashSet<u64>>, topic: &[u8], id: u64) {
        if let Some(ids) = subscribers.get_mut(topic) {
            ids.remove(&id);
            if ids.is_empty() {
                subscribers.remove(topic);
            }
        }
    }
}

/// Runs one connection: commands in (here), the client's queue out (a task).
async fn serve(broker: &Broker, stream: TcpStream, stopping: Receiver<()>) -> io::Result<()> {
    let stream = Arc::new(stream);
    let (queue, queued) = async_channel::bounded(QUEUE_LEN);
    let (kick, kicked) = async_channel::bounded(1);
    let id = broker.connect(queue.clone(), kick);
    let writer = crest::spawn(write_queue(stream.clone(), queued, kicked));

    let mut reader = BufReader::with_capacity(8 * 1024, &*stream);
    let mut line = Vec::new();
    let mut lines = 0;
    let commands = async {
        loop {
            match read_line(&mut reader, &mut line).await {
                Ok(true) => {}
                Ok(false) => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    let _ = queue.try_send(format!("ERR {e}\n").into_bytes().into());
                    break Ok(());
                }
                Err(e) => break Err(e),
            }
            lines += 1;
            if lines % LINES_PER_TURN == 0 {
                crest::task::yield_now().await;
            }
            if line.is_empty() {
                continue;
            }
            // A client that does not read its replies is as slow as one that does not read
            // its messages: a reply to a full queue kicks it, and this loop then ends at EOF.
            match parse(&line) {
                Ok(command) => broker.execute(id, command),
                Err(why) => broker.reply(id, format!("ERR {why}\n").into_bytes()),
            }
        }
    };
    let stopped = async {
        let _ = stopping.recv().await;
        Ok(())
    };
    // On a stop, commands not yet read are not run; what is queued is still delivered.
    let result = future::or(stopped, commands).await;
    broker.disconnect(id);
    // With the broker's sender and ours gone, the writer drains the queue and closes; the
    // connection is done once it has.
    drop(queue);
    let _ = writer.await;
    result
}

/// Writes the client's queue to its socket, a batch per write, until the queue ends (the
/// client left) or the broker kicks the client; then closes the connection both ways, which
/// also ends the reader.
async fn write_queue(stream: Arc<TcpStream>, queued: Receiver<Message>, kicked: Receiver<()>) {
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
                let _ = crest::time::timeout(KICK_GRACE, notice.write_all(TOO_SLOW)).await;
                break;
            }
        };
        batch.clear();
        batch.extend_from_slice(&first);
        while batch.len() < 64 * 1024 {
            match queued.try_recv() {
                Ok(more) => batch.extend_from_slice(&more),
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
                    notice.write_all(TOO_SLOW).await
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
    Send(Message),
    /// The client left: its queue is drained and every sender dropped.
    End,
    Kick,
}

/// Completes when the client is kicked; never when the broker merely lets go of it.
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

/// `broker [ADDR [DEADLINE_SECONDS]]`; the error is the usage text.
fn parse_args() -> Result<(String, Duration), String> {
    let usage = format!("usage: broker [ADDR [DEADLINE_SECONDS]]   (default {DEFAULT_ADDR}, 5 s)");
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
            _ => return Err(format!("broker: {s:?} is not a number of seconds\n{usage}")),
        },
    };
    if args.next().is_some() {
        return Err(usage);
    }
    if addr.parse::<SocketAddr>().is_err() && !addr.contains(':') {
        return Err(format!("broker: {addr:?} is not an address like 127.0.0.1:7880\n{usage}"));
    }
    Ok((addr, deadline))
}
