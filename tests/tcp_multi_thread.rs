//! Sockets on a multi-thread runtime: connections and split halves whose tasks run on
//! different workers, woken across threads.
mod util;

use std::io;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::TcpStream;
use util::net::echo_server;
use util::{with_timeout, LIMIT};

#[test]
fn echo_across_workers() -> io::Result<()> {
    with_timeout(LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
        rt.block_on(async {
            let (addr, _server) = echo_server().await?;
            let clients: Vec<_> = (0..200)
                .map(|c| {
                    crest::spawn(async move {
                        let (mut rd, mut wr) = TcpStream::connect(addr).await?.into_split();
                        let writer = crest::spawn(async move {
                            for m in 0..20 {
                                wr.write_all(format!("{c:03}:{m:02}\n").as_bytes()).await?;
                            }
                            io::Result::Ok(wr)
                        });
                        let mut got = vec![0; 20 * 7];
                        rd.read_exact(&mut got).await?;
                        let expected: String = (0..20).map(|m| format!("{c:03}:{m:02}\n")).collect();
                        assert_eq!(got, expected.as_bytes());
                        let wr = writer.await.expect("writer panicked")?;
                        rd.reunite(wr).expect("reunite");
                        io::Result::Ok(())
                    })
                })
                .collect();
            for client in clients {
                client.await.expect("client panicked")?;
            }
            io::Result::Ok(())
        })
    })
}
