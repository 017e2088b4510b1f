//! Runs shell commands concurrently, at most N at a time, streaming each one's output lines
//! prefixed by its name, then reports every exit status: the small `xargs -P` / CI-runner
//! job.
//!
//! ```text
//! $ cargo run --example run_many -- -j 2 'build=sleep 1; echo built' 'lint=echo ok; exit 3' 'test=echo passed'
//! [build] built
//! [lint] ok
//! [test] passed
//! build: exit 0
//! lint: exit 3
//! test: exit 0
//! 1 of 3 failed
//! ```
//!
//! Each argument is `NAME=COMMAND` (or just `COMMAND`, named by its position), run with
//! `sh -c`. stdout and stderr lines are both printed to stdout, each as it arrives. The
//! exit status is 0 when every command succeeded, 1 otherwise. Waiting for the children
//! costs no thread: their pipes and pidfds are on crest's driver.

use std::io;
use std::process::{ExitStatus, Stdio};

use async_channel::Sender;
use crest::io::{AsyncBufReadExt, AsyncRead, BufReader};
use crest::process::Command;
use futures_lite::StreamExt;

#[crest::main(flavor = "current_thread")]
async fn main() {
    let (limit, jobs) = match parse_args() {
        Ok(args) => args,
        Err(usage) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    // A bounded channel of tokens is the concurrency limit: a job holds one while it runs.
    let (tokens, slots) = async_channel::bounded::<()>(limit);
    let mut handles = Vec::new();
    for (name, command) in jobs {
        // Waits while `limit` jobs run.
        let _ = tokens.send(()).await;
        let slots = slots.clone();
        let handle = crest::task::spawn_local(async move {
            let status = run(&name, &command).await;
            let _ = slots.recv().await;
            (name, status)
        });
        handles.push(handle);
    }
    let total = handles.len();
    let mut failed = 0;
    for handle in handles {
        let Ok((name, status)) = handle.await else { continue };
        match status {
            Ok(status) if status.success() => println!("{name}: exit 0"),
            Ok(status) => {
                failed += 1;
                match status.code() {
                    Some(code) => println!("{name}: exit {code}"),
                    None => println!("{name}: {status}"),
                }
            }
            Err(e) => {
                failed += 1;
                println!("{name}: could not run: {e}");
            }
        }
    }
    if failed > 0 {
        println!("{failed} of {total} failed");
        std::process::exit(1);
    }
}

/// Runs one command, printing its output lines as they come; its exit status.
async fn run(name: &str, command: &str) -> io::Result<ExitStatus> {
    let mut child = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (lines, printed) = async_channel::unbounded::<String>();
    let out = prefix_lines(child.stdout.take(), name, lines.clone());
    let err = prefix_lines(child.stderr.take(), name, lines);
    // One printer, so that two lines never interleave mid-line.
    let printer = async {
        while let Ok(line) = printed.recv().await {
            println!("{line}");
        }
    };
    futures_lite::future::zip(futures_lite::future::zip(out, err), printer).await;
    child.wait().await
}

/// Sends each line of `pipe`, prefixed by `[name]`, to `lines` until EOF.
async fn prefix_lines(pipe: Option<impl AsyncRead + Unpin>, name: &str, lines: Sender<String>) {
    let Some(pipe) = pipe else { return };
    let mut stream = BufReader::new(pipe).lines();
    while let Some(Ok(line)) = stream.next().await {
        let _ = lines.send(format!("[{name}] {line}")).await;
    }
}

/// `run_many [-j N] [NAME=]COMMAND...`; the error is the usage text.
fn parse_args() -> Result<(usize, Vec<(String, String)>), String> {
    let usage = "usage: run_many [-j N] [NAME=]COMMAND...   (N defaults to the number of CPUs)".to_string();
    let mut limit = std::thread::available_parallelism().map_or(4, |n| n.get());
    let mut jobs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Err(usage),
            "-j" => {
                limit = match args.next().and_then(|n| n.parse().ok()) {
                    Some(n) if n > 0 => n,
                    _ => return Err(format!("run_many: -j wants a positive number\n{usage}")),
                }
            }
            _ => {
                let (name, command) = match arg.split_once('=') {
                    Some((name, command)) if !name.is_empty() && !name.contains(' ') => {
                        (name.to_string(), command.to_string())
                    }
                    _ => ((jobs.len() + 1).to_string(), arg.clone()),
                };
                jobs.push((name, command));
            }
        }
    }
    if jobs.is_empty() {
        return Err(usage);
    }
    Ok((limit, jobs))
}
