//! The key-value example ported from tokio (examples/kv): the same source built against
//! crest (`kv_crest`) and against tokio (`kv_tokio`) answers the same client script with
//! the same bytes, including the idle timeout and the shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts a server binary on a free port with a 1.5 s idle timeout; returns it and its
/// address.
fn start(bin: &str) -> (Child, String) {
    let mut child = Command::new(bin)
        .arg("127.0.0.1:0")
        .env("KV_IDLE_MS", "1500")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut first).expect("read the address line");
    let addr = first.trim().strip_prefix("listening on ").expect("a `listening on ADDR` line").to_string();
    (child, addr)
}

fn connect(addr: &str) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

/// Sends each command and records `> command` and `< reply` lines.
fn exchange(stream: &mut TcpStream, reader: &mut BufReader<TcpStream>, commands: &[&str], out: &mut String) {
    for command in commands {
        stream.write_all(format!("{command}\n").as_bytes()).unwrap();
        let mut reply = String::new();
        reader.read_line(&mut reply).unwrap();
        out.push_str(&format!("> {command}\n< {reply}"));
    }
}

fn transcript(bin: &str) -> String {
    let (mut child, addr) = start(bin);
    let mut out = String::new();
    let (mut a, mut ra) = connect(&addr);
    let (mut b, mut rb) = connect(&addr);
    exchange(&mut a, &mut ra, &["PING", "SET colour blue", "GET colour", "GET shape", "FROB"], &mut out);
    exchange(&mut b, &mut rb, &["GET colour", "SET shape a round one", "DEL colour", "DEL colour"], &mut out);
    exchange(&mut a, &mut ra, &["GET shape", "GET colour", "QUIT"], &mut out);
    let mut rest = String::new();
    ra.read_to_string(&mut rest).unwrap();
    out.push_str(&format!("after QUIT: {rest:?}\n"));

    // A silent connection is told goodbye after the idle timeout.
    let (_c, mut rc) = connect(&addr);
    let mut idle = String::new();
    rc.read_line(&mut idle).unwrap();
    out.push_str(&format!("idle: {idle}"));

    // A connection still open when another sends SHUTDOWN is closed by the server.
    let (_d, mut rd) = connect(&addr);
    let (mut e, mut re) = connect(&addr);
    exchange(&mut e, &mut re, &["SHUTDOWN"], &mut out);
    let mut tail = String::new();
    rd.read_to_string(&mut tail).unwrap();
    out.push_str(&format!("other connection after SHUTDOWN: {tail:?}\n"));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("{bin} did not exit after SHUTDOWN");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    out.push_str(&format!("exit: {}\n", status.success()));
    out
}

#[test]
fn crest_and_tokio_builds_give_the_same_transcript() {
    let crest = transcript(env!("CARGO_BIN_EXE_kv_crest"));
    let tokio = transcript(env!("CARGO_BIN_EXE_kv_tokio"));
    print!("{crest}");
    assert_eq!(crest, tokio, "the crest and tokio builds of examples/kv differ");
    assert!(crest.contains("> GET colour\n< blue\n"));
    assert!(crest.contains("idle: BYE idle\n"));
    assert!(crest.contains("> SHUTDOWN\n< BYE shutting down\n"));
    assert!(crest.ends_with("exit: true\n"));
}
