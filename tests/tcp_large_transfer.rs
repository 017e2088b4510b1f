//! 64 MiB through one TCP connection: what arrives has the checksum of what was sent.
mod util;

use std::io;
use std::time::Duration;

use crest::io::{AsyncReadExt, AsyncWriteExt};
use crest::net::{TcpListener, TcpStream};
use util::block_on_timeout;
use util::net::{fnv1a, Pattern, FNV_START};

const TOTAL: usize = 64 << 20;
const CHUNK: usize = 256 << 10;

#[test]
fn sixty_four_mib_arrive_intact() -> io::Result<()> {
    block_on_timeout(Duration::from_secs(120), async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let receiver = crest::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            let (mut hash, mut len) = (FNV_START, 0u64);
            let mut buf = vec![0; 64 << 10];
            loop {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                hash = fnv1a(hash, &buf[..n]);
                len += n as u64;
            }
            // Still writable after the client's half-close: report what arrived.
            let mut report = len.to_le_bytes().to_vec();
            report.extend_from_slice(&hash.to_le_bytes());
            stream.write_all(&report).await?;
            io::Result::Ok(())
        });

        let mut stream = TcpStream::connect(addr).await?;
        let (mut pattern, mut hash) = (Pattern::new(0x5eed), FNV_START);
        let mut chunk = vec![0; CHUNK];
        for _ in 0..TOTAL / CHUNK {
            pattern.fill(&mut chunk);
            hash = fnv1a(hash, &chunk);
            stream.write_all(&chunk).await?;
        }
        stream.close().await?;
        let mut report = [0; 16];
        stream.read_exact(&mut report).await?;
        let got_len = u64::from_le_bytes(report[..8].try_into().unwrap());
        let got_hash = u64::from_le_bytes(report[8..].try_into().unwrap());
        assert_eq!(got_len, TOTAL as u64);
        assert_eq!(got_hash, hash, "checksums differ");
        receiver.await.expect("receiver panicked")
    })
}
