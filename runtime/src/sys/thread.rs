//! Per-thread kernel settings for the runtime's own threads.

use std::io;
use std::time::Duration;

/// Sets the calling thread's timer slack: how late the kernel may wake it from a timed
/// wait so that it can batch wakeups. The default is 50µs; a runtime with sub-millisecond
/// timers wants less. Zero restores the thread's default.
pub(crate) fn set_timer_slack(slack: Duration) -> io::Result<()> {
    let ns = libc::c_ulong::try_from(slack.as_nanos()).unwrap_or(libc::c_ulong::MAX);
    // SAFETY: PR_SET_TIMERSLACK takes an integer argument; no memory is passed.
    syscall!(prctl(libc::PR_SET_TIMERSLACK, ns, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong))?;
    Ok(())
}

/// The calling thread's current timer slack.
pub(crate) fn timer_slack() -> io::Result<Duration> {
    // SAFETY: PR_GET_TIMERSLACK takes no pointer; it returns the slack in ns.
    let ns = syscall!(prctl(
        libc::PR_GET_TIMERSLACK,
        0 as libc::c_ulong,
        0 as libc::c_ulong,
        0 as libc::c_ulong,
        0 as libc::c_ulong
    ))?;
    Ok(Duration::from_nanos(ns as u64))
}
