//! `run_many` runs commands at most N at a time, prefixes each output line with the
//! command's name, reports each exit status, and exits 1 when one failed.

mod util;

use std::time::{Duration, Instant};

use util::example::run_to_exit;

#[test]
fn runs_reports_and_fails_when_one_fails() -> std::io::Result<()> {
    let (status, stdout, stderr) = run_to_exit(
        "run_many",
        &["-j", "2", "a=echo one; echo two >&2", "b=exit 3", "c=kill -TERM $$", "echo unnamed"],
        Duration::from_secs(60),
    )?;
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    for line in ["[a] one", "[a] two", "[4] unnamed", "a: exit 0", "b: exit 3", "4: exit 0", "2 of 4 failed"]
    {
        assert!(stdout.lines().any(|l| l == line), "no line {line:?} in:\n{stdout}");
    }
    assert!(stdout.lines().any(|l| l.starts_with("c: ") && l.contains("15")), "c's signal in:\n{stdout}");
    Ok(())
}

#[test]
fn the_limit_holds() -> std::io::Result<()> {
    // Four jobs of 0.3 s, two at a time: at least 0.6 s; all at once would take 0.3 s.
    let jobs = ["sleep 0.3", "sleep 0.3", "sleep 0.3", "sleep 0.3"];
    let mut args = vec!["-j", "2"];
    args.extend(jobs);
    // Build first, so that the timing below is the run alone.
    run_to_exit("run_many", &["true"], Duration::from_secs(120))?;
    let start = Instant::now();
    let (status, stdout, _) = run_to_exit("run_many", &args, Duration::from_secs(60))?;
    assert!(status.success(), "{stdout}");
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "4 jobs of 0.3 s with -j 2 took {:?}",
        start.elapsed()
    );
    Ok(())
}
