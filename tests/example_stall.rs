//! `examples/stall.rs`, run as a process: the default stall report is one line on stderr
//! naming the blocking task's spawn line, and the dump printed meanwhile shows it running.
mod util;

use std::time::Duration;

#[test]
fn the_blocking_task_is_reported_on_stderr() -> std::io::Result<()> {
    let source = include_str!("../examples/stall.rs");
    let line =
        |needle: &str| 1 + source.lines().position(|l| l.contains(needle)).expect("the example has the line");
    let blocker = format!("examples/stall.rs:{}", line("let blocker = crest::spawn"));
    let ticker = format!("examples/stall.rs:{}", line("let ticker = crest::spawn"));
    let (status, stdout, stderr) = util::example::run_to_exit("stall", &[], Duration::from_secs(60))?;
    assert!(status.success(), "{status:?}\n{stderr}");
    let reports: Vec<&str> = stderr.lines().filter(|l| l.starts_with("crest: task")).collect();
    assert_eq!(reports.len(), 1, "one report for the one stalled poll:\n{stderr}");
    assert!(reports[0].contains(&blocker), "{stderr}");
    assert!(reports[0].contains("on thread crest-worker-"), "{stderr}");
    let running: Vec<&str> = stdout.lines().filter(|l| l.contains(" running ")).collect();
    assert_eq!(running.len(), 1, "{stdout}");
    assert!(running[0].ends_with(&blocker), "{stdout}");
    assert!(stdout.lines().any(|l| l.ends_with(&ticker)), "{stdout}");
    assert!(stdout.contains("crest_spawned_tasks_total 2"), "{stdout}");
    Ok(())
}
