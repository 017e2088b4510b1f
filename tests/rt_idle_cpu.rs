//! An idle runtime sleeps in the kernel: 2 workers and 1,000 sleeping tasks use under
//! 50 ms of CPU per second of wall time. (One test in this file: it reads the process's
//! CPU time.)
mod util;

use std::time::{Duration, Instant};

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the buffer we own.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
fn an_idle_runtime_uses_almost_no_cpu() {
    util::with_timeout(util::LIMIT, || {
        let rt = crest::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        for i in 0..1000u64 {
            rt.spawn(async move { crest::time::sleep(Duration::from_secs(3600 + i)).await });
        }
        // Let the tasks start and the workers settle.
        std::thread::sleep(Duration::from_millis(200));
        let (cpu0, wall0) = (cpu_time(), Instant::now());
        std::thread::sleep(Duration::from_secs(1));
        let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
        let per_second = cpu.as_secs_f64() / wall.as_secs_f64();
        assert!(per_second < 0.050, "idle runtime used {:.1} ms of CPU per second", per_second * 1000.0);
        drop(rt);
    });
}
