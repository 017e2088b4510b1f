//! A sandbox (a seccomp policy such as systemd's `SystemCallFilter=` or an older container
//! runtime's) may refuse `epoll_pwait2` with EPERM rather than ENOSYS, or refuse epoll
//! waits altogether. crest must then fall back to `epoll_wait`, and where no wait works at
//! all it must report the failure to I/O callers and keep timers running, never spin.
//!
//! Each test installs a real seccomp filter on its own test thread (threads the runtime
//! starts from there inherit it); the rest of the process is unaffected. x86_64 only,
//! like the syscall numbers it names.

mod util;

use std::time::Duration;

use crest::net::UdpSocket;
use crest::runtime::Builder;

/// Makes the calling thread's `syscalls` fail with EPERM (seccomp, `SECCOMP_RET_ERRNO`).
fn refuse(syscalls: &[libc::c_long]) {
    let n = syscalls.len();
    let mut prog = vec![libc::sock_filter {
        code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
        jt: 0,
        jf: 0,
        k: 0, // seccomp_data.nr
    }];
    for (i, &nr) in syscalls.iter().enumerate() {
        prog.push(libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: (n - i) as u8, // to the ERRNO return below
            jf: 0,
            k: nr as u32,
        });
    }
    prog.push(libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ALLOW,
    });
    prog.push(libc::sock_filter {
        code: (libc::BPF_RET | libc::BPF_K) as u16,
        jt: 0,
        jf: 0,
        k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
    });
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_mut_ptr() };
    // SAFETY: prctl with integer arguments; then a filter program that lives across the call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0, "PR_SET_NO_NEW_PRIVS");
        let rc =
            libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog as *const libc::sock_fprog);
        assert_eq!(rc, 0, "install the seccomp filter: {}", std::io::Error::last_os_error());
    }
}

/// Thread CPU time (user + system) of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: writes one timespec into a live local.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[test]
fn pwait2_refused_before_the_runtime_starts_falls_back() {
    util::with_timeout(util::LIMIT, || {
        refuse(&[libc::SYS_epoll_pwait2]);
        for rt in [
            Builder::new_current_thread().build().unwrap(),
            Builder::new_multi_thread().worker_threads(2).build().unwrap(),
        ] {
            round_trip(&rt);
        }
    });
}

#[test]
fn pwait2_refused_after_the_runtime_started_falls_back() {
    util::with_timeout(util::LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        refuse(&[libc::SYS_epoll_pwait2]);
        round_trip(&rt);
    });
}

#[test]
fn a_failing_wait_is_reported_and_not_spun_on() {
    util::with_timeout(util::LIMIT, || {
        refuse(&[libc::SYS_epoll_pwait2, libc::SYS_epoll_wait, libc::SYS_epoll_pwait]);
        let rt = Builder::new_current_thread().build().unwrap();
        let err = rt.block_on(async {
            let sock = UdpSocket::bind("127.0.0.1:0").await?;
            let mut buf = [0; 8];
            sock.recv_from(&mut buf).await.map(|_| ())
        });
        let err = err.expect_err("no wait can work, so the receive must fail");
        assert!(err.to_string().contains("epoll_wait failed"), "the error names the cause: {err}");
        // Timers still fire, and waiting for them does not burn the CPU.
        let cpu = thread_cpu();
        rt.block_on(async { crest::time::sleep(Duration::from_millis(300)).await });
        let used = thread_cpu() - cpu;
        assert!(used < Duration::from_millis(150), "a failing wait was spun on: {used:?} of CPU in 300 ms");
    });
}

/// A UDP round trip and a timer on `rt`.
fn round_trip(rt: &crest::runtime::Runtime) {
    rt.block_on(async {
        crest::time::sleep(Duration::from_millis(2)).await;
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = b.local_addr().unwrap();
        let reader = crest::spawn(async move {
            let mut buf = [0; 8];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            buf[..n].to_vec()
        });
        crest::time::sleep(Duration::from_millis(2)).await;
        a.send_to(b"hello", to).await.unwrap();
        assert_eq!(reader.await.unwrap(), b"hello");
    });
}
