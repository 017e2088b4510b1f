//! UDP multicast on the loopback interface: a member of 239.255.77.1 joined on 127.0.0.1
//! receives what a sender on 127.0.0.1 sends to the group while looping is on, and
//! nothing after it leaves. Skipped, with a message, where the kernel refuses multicast on
//! lo.
mod util;

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use crest::net::UdpSocket;

const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 77, 1);
const LO: Ipv4Addr = Ipv4Addr::LOCALHOST;

#[test]
fn join_receive_leave_on_loopback() {
    util::block_on_timeout(util::LIMIT, async {
        // Bound to the group address: only datagrams to the group arrive.
        let member = UdpSocket::bind((GROUP, 0)).await?;
        let port = member.local_addr()?.port();
        if let Err(e) = member.join_multicast_v4(GROUP, LO) {
            eprintln!("SKIPPED: the kernel refuses to join {GROUP} on lo: {e}");
            return Ok(());
        }
        let sender = UdpSocket::bind((LO, 0)).await?;
        sender.set_multicast_if_v4(LO)?;
        sender.set_multicast_loop_v4(true)?;
        assert!(sender.multicast_loop_v4()?);
        if let Err(e) = sender.send_to(b"to the group", (GROUP, port)).await {
            eprintln!("SKIPPED: the kernel refuses to send to {GROUP} over lo: {e}");
            return Ok(());
        }
        let mut buf = [0u8; 64];
        let (n, from) = crest::time::timeout(Duration::from_secs(5), member.recv_from(&mut buf))
            .await
            .map_err(|_| io::Error::other("no multicast datagram within 5 s"))??;
        assert_eq!(&buf[..n], b"to the group");
        assert_eq!(from, sender.local_addr()?);

        member.leave_multicast_v4(GROUP, LO)?;
        sender.send_to(b"after leaving", (GROUP, port)).await?;
        let late = crest::time::timeout(Duration::from_millis(200), member.recv_from(&mut buf)).await;
        assert!(late.is_err(), "a datagram arrived after leave_multicast_v4");
        io::Result::Ok(())
    })
    .unwrap();
}
