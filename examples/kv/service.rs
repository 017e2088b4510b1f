//! The key-value service, written the way a tokio user writes one, against `super::rt`:
//! a thin alias module that names either crest's items or tokio's. This file is compiled
//! unchanged against both (`examples/kv/main.rs` for crest, `benches/src/bin/kv_tokio.rs`
//! for tokio); only the alias modules differ.
//!
//! Protocol, one command per line: `SET key value` → `OK`, `GET key` → the value or `NIL`,
//! `DEL key` → `1` or `0`, `PING` → `PONG`, `QUIT` → `BYE`, `SHUTDOWN` → `BYE shutting
//! down` and the server stops (every other connection is closed), anything else →
//! `ERR unknown command`. A connection idle for `idle` gets `BYE idle` and is closed.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::rt::{self, AsyncBufReadExt, AsyncWriteExt, BufReader, JoinSet, TcpListener, TcpStream};

rt::task_local! {
    /// The connection's number, for log lines.
    static CONN: u64;
}

type Store = Arc<Mutex<HashMap<String, String>>>;

/// How long the accept loop rests after an error such as EMFILE before it tries again.
/// crest's `TcpListener::accept` backs off by itself; this loop keeps its own because the
/// same file is compiled on tokio (`benches/src/bin/kv_tokio.rs`), whose listener does not.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How a connection ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    Closed,
    Shutdown,
}

/// Serves connections from `listener` until a client sends `SHUTDOWN`.
pub async fn run(listener: TcpListener, idle: Duration) -> io::Result<()> {
    let store = Store::default();
    let mut conns = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        rt::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    next_id += 1;
                    conns.spawn(CONN.scope(next_id, connection(stream, store.clone(), idle)));
                }
                // Out of descriptors or memory, or a connection reset before it was taken:
                // the server keeps going; it rests a moment so that EMFILE is no busy loop.
                Err(e) => {
                    eprintln!("kv: accept failed: {e}");
                    rt::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(done) = conns.join_next() => match done {
                Ok(Ended::Shutdown) => break,
                Ok(Ended::Closed) => {}
                Err(e) => eprintln!("kv: a connection task failed: {e}"),
            },
        }
    }
    let open = conns.len();
    conns.shutdown().await;
    eprintln!("kv: shut down; {open} other connections closed");
    Ok(())
}

async fn connection(stream: TcpStream, store: Store, idle: Duration) -> Ended {
    let id = CONN.get();
    eprintln!("[conn {id}] open");
    // One reply per request line: Nagle would hold a reply's tail back until the client
    // acknowledges its head.
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    let ended = loop {
        line.clear();
        let (reply, then) = rt::select! {
            n = read.read_line(&mut line) => match n {
                Ok(0) | Err(_) => break Ended::Closed,
                Ok(_) => execute(line.trim_end(), &store),
            },
            _ = rt::sleep(idle) => ("BYE idle".to_string(), Some(Ended::Closed)),
        };
        if write.write_all(format!("{reply}\n").as_bytes()).await.is_err() {
            break Ended::Closed;
        }
        if let Some(ended) = then {
            break ended;
        }
    };
    eprintln!("[conn {}] closed ({ended:?})", CONN.get());
    ended
}

/// The reply to one command, and whether the connection ends after it.
fn execute(command: &str, store: &Store) -> (String, Option<Ended>) {
    let mut words = command.splitn(3, ' ');
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    let reply = match (words.next(), words.next(), words.next()) {
        (Some("SET"), Some(key), Some(value)) => {
            store.insert(key.to_string(), value.to_string());
            "OK".to_string()
        }
        (Some("GET"), Some(key), None) => store.get(key).cloned().unwrap_or_else(|| "NIL".to_string()),
        (Some("DEL"), Some(key), None) => if store.remove(key).is_some() { "1" } else { "0" }.to_string(),
        (Some("PING"), None, None) => "PONG".to_string(),
        (Some("QUIT"), None, None) => return ("BYE".to_string(), Some(Ended::Closed)),
        (Some("SHUTDOWN"), None, None) => return ("BYE shutting down".to_string(), Some(Ended::Shutdown)),
        _ => "ERR unknown command".to_string(),
    };
    (reply, None)
}
