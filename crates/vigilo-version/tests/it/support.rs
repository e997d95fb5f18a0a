//! Running reference implementations and finding the shared test data.
//!
//! A reference that is not installed skips its test with a note, unless
//! `VIGILO_REQUIRE_REFERENCES=1` (set by `scripts/test`), which makes a
//! missing reference a failure: CI never silently skips a differential test.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub const REQUIRE_ENV: &str = "VIGILO_REQUIRE_REFERENCES";

pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// Handles an unavailable reference: panics when references are required,
/// otherwise prints why the test is skipped and returns `None`.
#[allow(clippy::print_stderr)]
pub fn unavailable<T>(what: &str, why: &str) -> Option<T> {
    assert!(
        !required(),
        "{what} is required ({REQUIRE_ENV}=1) but unavailable: {why}"
    );
    eprintln!("skipping: {what} unavailable: {why}");
    None
}

/// Runs `program args…` with `input` on stdin; returns stdout. `None` (or a
/// panic when required) if the program cannot be started.
pub fn run_reference(what: &str, program: &str, args: &[&str], input: &str) -> Option<String> {
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return unavailable(what, &format!("cannot run {program}: {e}")),
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("waiting for the reference");
    writer.join().expect("writer thread");
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        // A missing module or class is "unavailable"; anything else is a bug in the harness.
        if stderr.contains("ModuleNotFoundError")
            || stderr.contains("Cannot find module")
            || stderr.contains("ClassNotFoundException")
            || stderr.contains("cannot load such file")
        {
            return unavailable(what, stderr.lines().last().unwrap_or(""));
        }
        panic!("{what} failed ({}): {stderr}", out.status);
    }
    Some(String::from_utf8(out.stdout).expect("reference output is UTF-8"))
}

/// The shared data is optional (a checkout may not have `../shared`): its
/// absence skips a corpus test with a note, even when references are required.
#[allow(clippy::print_stderr)]
pub fn no_shared_data(what: &str) {
    eprintln!("skipping {what}: no shared data folder (set VIGILO_SHARED_DATA)");
}

/// `crates/vigilo-version/tests/reference/<name>`.
pub fn reference_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("reference")
        .join(name)
}

/// The shared data folder (`../shared/data` beside the repository), or
/// `VIGILO_SHARED_DATA`. `None` when absent (the corpus tests then skip).
pub fn shared_data() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VIGILO_SHARED_DATA") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    p.is_dir().then_some(p)
}

/// A deterministic proptest runner config with `cases` cases (overridable with
/// `PROPTEST_CASES`).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    proptest::test_runner::Config {
        cases,
        ..proptest::test_runner::Config::default()
    }
}
