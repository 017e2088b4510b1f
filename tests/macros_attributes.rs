//! `#[crest::test]` keeps the function's return type and its other attributes.

use std::io;
use std::process::Command;

#[crest::test]
async fn a_test_can_return_ok() -> io::Result<()> {
    let value: u32 =
        crest::spawn(async { "42".parse() }).await.map_err(io::Error::other)?.map_err(io::Error::other)?;
    assert_eq!(value, 42);
    Ok(())
}

/// Runs only when called: [`the_return_value_is_passed_on`] checks that its `Err` comes out.
#[crest::test]
#[ignore = "called by the_return_value_is_passed_on, where failing is the point"]
async fn returns_err() -> Result<(), String> {
    let message =
        crest::spawn(async { String::from("failed on purpose") }).await.map_err(|error| error.to_string())?;
    Err(message)
}

#[test]
fn the_return_value_is_passed_on() {
    assert_eq!(returns_err(), Err(String::from("failed on purpose")));
}

#[crest::test]
#[should_panic(expected = "panicked on purpose")]
async fn should_panic_after_the_attribute() {
    crest::spawn(async {}).await.unwrap();
    panic!("panicked on purpose");
}

#[should_panic(expected = "panicked on purpose")]
#[crest::test]
async fn should_panic_before_the_attribute() {
    panic!("panicked on purpose");
}

#[crest::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "panicked on purpose")]
async fn should_panic_on_multi_thread() {
    crest::spawn(async {}).await.unwrap();
    panic!("panicked on purpose");
}

#[crest::test]
#[ignore]
async fn ignored() {}

/// `#[ignore]` survives the expansion: the test binary lists `ignored` among its ignored tests
/// (and `returns_err`, ignored with a reason).
#[test]
fn ignore_is_kept() -> io::Result<()> {
    let output = Command::new(std::env::current_exe()?).args(["--list", "--ignored"]).output()?;
    assert!(output.status.success(), "{output:?}");
    let listed = String::from_utf8_lossy(&output.stdout);
    let mut ignored: Vec<&str> = listed.lines().filter_map(|line| line.strip_suffix(": test")).collect();
    ignored.sort_unstable();
    assert_eq!(ignored, ["ignored", "returns_err"], "{listed}");
    Ok(())
}
