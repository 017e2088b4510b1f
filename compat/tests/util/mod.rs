//! Helpers shared by the compatibility tests: timeouts, a server on its own crest runtime,
//! child-process clients (python3, curl) under a time limit, and a TLS setup made at test
//! time.
#![allow(dead_code)]

pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

/// The time limit of one test.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a fresh thread and fails the test if it has not returned within `limit`.
/// A panic inside `f` is re-raised.
pub fn with_timeout<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            let _ = worker.join();
            v
        }
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test did not finish within {limit:?}"),
    }
}

/// `fut` on a crest current-thread runtime, under [`LIMIT`].
pub fn block_on<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    with_timeout(LIMIT, move || crest::block_on(fut))
}

/// `fut` on a crest multi-thread runtime with two workers, under [`LIMIT`].
pub fn block_on_multi<F>(fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    with_timeout(LIMIT, move || {
        let rt =
            crest::runtime::Builder::new_multi_thread().worker_threads(2).build().expect("build a runtime");
        rt.block_on(fut)
    })
}

/// A server running on its own crest multi-thread runtime, on its own thread, until
/// [`Server::stop`].
pub struct Server {
    pub addr: SocketAddr,
    stop: async_channel::Sender<()>,
    thread: JoinHandle<io::Result<()>>,
}

impl Server {
    /// Binds 127.0.0.1:0 and runs `run(listener, shutdown)` there; `shutdown` completes
    /// when [`stop`](Server::stop) is called.
    pub fn start<F, Fut>(run: F) -> Server
    where
        F: FnOnce(crest::net::TcpListener, ShutdownSignal) -> Fut + Send + 'static,
        Fut: Future<Output = io::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let (addr_tx, addr_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
            rt.block_on(async move {
                let listener = crest::net::TcpListener::bind("127.0.0.1:0").await?;
                addr_tx.send(listener.local_addr()?).expect("the test waits for the address");
                run(listener, ShutdownSignal(stopped)).await
            })
        });
        let addr = addr_rx.recv_timeout(LIMIT).expect("the server started");
        Server { addr, stop, thread }
    }

    /// Starts the shutdown and waits (at most [`LIMIT`]) for the server to return.
    pub fn stop(self) -> io::Result<()> {
        let _ = self.stop.try_send(());
        let thread = self.thread;
        with_timeout(LIMIT, move || thread.join().expect("the server thread panicked"))
    }
}

/// Completes when the test stops the server.
pub struct ShutdownSignal(async_channel::Receiver<()>);

impl ShutdownSignal {
    pub async fn wait(self) {
        let _ = self.0.recv().await;
    }
}

/// The hello service: `Hello, World!` with a text content type, for every request.
pub async fn hello(_: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
    response.headers_mut().insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
    Ok(response)
}

/// Runs a child process to the end, killing it after [`LIMIT`]; returns its stdout, or
/// panics with its stderr if it failed.
pub fn run_child(cmd: &mut Command) -> String {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.success(), "{cmd:?} failed ({status}):\n{err}");
    out
}

/// Runs a python3 script with `args` (`sys.argv[1..]`); returns what it printed.
pub fn python(script: &str, args: &[&str]) -> String {
    run_child(Command::new("python3").arg("-c").arg(script).args(args))
}

/// A python3 helper that prints an `http.client` response as the tests compare it: the
/// status line, the headers in the order received (a `date` header is checked for its
/// RFC 9110 shape and printed as `date: <ok>`), an empty line, and the body as a
/// Python bytes literal.
pub const PY_PRINT_RESPONSE: &str = r#"
import email.utils, sys
def show(resp):
    out = ["%d %s" % (resp.status, resp.reason)]
    for k, v in resp.getheaders():
        if k.lower() == "date":
            assert email.utils.parsedate_to_datetime(v) is not None, v
            v = "<ok>"
        out.append("%s: %s" % (k, v))
    out.append("")
    out.append(repr(resp.read()))
    return "\n".join(out)
"#;
