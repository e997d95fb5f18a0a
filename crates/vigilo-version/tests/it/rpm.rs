//! Differential tests for RPM versions against rpm's own Python bindings
//! (Debian `python3-rpm`, run with `/usr/bin/python3`): `rpm.ver` splits an
//! EVR, `rpm.labelCompare` orders two. Harness: `tests/reference/rpm_cmp.py`.
//!
//! RPM accepts almost any string; our parser is stricter by policy (see the
//! `rpm` module docs). So parse agreement is checked one way: whatever we
//! accept, rpm accepts and splits identically; whatever rpm rejects, we reject.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use vigilo_version::rpm::Version;

use crate::support;

const PYTHON: &str = "/usr/bin/python3";

fn reference(mode: &str, input: &str) -> Option<String> {
    let script = support::reference_file("rpm_cmp.py");
    let script = script.to_str().expect("UTF-8 path");
    support::run_reference("rpm (python3-rpm)", PYTHON, &[script, mode], input)
}

/// Hand-picked versions: rpm's documented corner cases and real EVRs.
const EDGE: &[&str] = &[
    "0",
    "00",
    "1",
    "01",
    "1.0",
    "1.00",
    "1.0.0",
    "1_0",
    "1+0",
    "1..0",
    "1.0.",
    ".1.0",
    "1.0~rc1",
    "1.0~rc1~git1",
    "1.0~~",
    "1.0~",
    "1.0^",
    "1.0^git1",
    "1.0^git1~1",
    "1.0~rc1^git1",
    "1.0a",
    "1.0aa",
    "1.0A",
    "1.0Z",
    "1.0z",
    "a",
    "A",
    "aa",
    "a1",
    "1a",
    "10.0001",
    "10.1",
    "99999999999999999999999",
    "100000000000000000000000",
    "0:1.0",
    "00:1.0",
    "1:1.0",
    "2:0",
    "10:0",
    "9:9",
    "1.0-1",
    "1.0-01",
    "1.0-1.el8",
    "1.0-1.el8_2",
    "1.0-1.el8.1",
    "1.0-2",
    "1.0-1~",
    "1.0-1^1",
    "1.0-1-1",
    "1.0-a-b",
    "1:1.0-1",
    "2.4.37-56.module+el8.8.0+19808+379766d6.7",
    "3.0.7-27.el9",
    "1:3.0.7-27.el9",
    "1.1.1k-12.el8_9",
    "2.17-326.el7_9.3",
    "4.18.0-513.5.1.el8_9",
    "1.2.3-150400.4.3.1",
    "5.1.9-1.mga9",
    "1.2.11-1.oe2203sp3",
    "0.9.8zh-1",
    "20230808-1",
    "1.0_rc1-1",
    "6.0.rc1",
    "6.0",
    "1.0^20160101",
    "1.0.1",
    "1.01",
];

/// Atoms of generated versions: digits, letters, `~`, `^` and separators, with
/// a few characters our policy rejects (near-valid strings).
fn atom() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "0", "1", "2", "9", "10", "01", "007", "100", "20240101",
            "123456789012345678901234567",
        ]),
        5 => prop::sample::select(vec!["a", "b", "z", "rc", "el", "fc", "git", "A", "Zz", "mga"]),
        6 => prop::sample::select(vec![".", ".", "_", "+", "~", "^", "-", "..", "~~", "^^"]),
        1 => prop::sample::select(vec![":", " ", "é", "%", "{", "}", "*", "/"]),
    ]
}

fn evr_string() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![
        6 => Just(String::new()),
        3 => "[0-9]{1,3}:",
        1 => prop::sample::select(vec![":", "a:", "1:2:", "-1:"]).prop_map(str::to_owned),
    ];
    (epoch, prop::collection::vec(atom(), 1..7)).prop_map(|(e, atoms)| {
        let mut s = e;
        s.extend(atoms);
        s
    })
}

/// Two versions with a common prefix: differences sit where it matters.
fn close_pair() -> impl Strategy<Value = (String, String)> {
    (
        evr_string(),
        prop::collection::vec(atom(), 0..3),
        prop::collection::vec(atom(), 0..3),
    )
        .prop_map(|(base, x, y)| {
            let mut a = base.clone();
            a.extend(x);
            let mut b = base;
            b.extend(y);
            (a, b)
        })
}

/// `n` deterministic samples of `strategy` (`PROPTEST_CASES` overrides `n`).
fn samples<S: Strategy>(strategy: S, n: u32) -> Vec<S::Value> {
    let config = support::proptest_config(n);
    let cases = config.cases;
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (0..cases)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .expect("strategy generates")
                .current()
        })
        .collect()
}

/// Strings safe to send on the line protocol.
fn sendable(s: &str) -> bool {
    !s.is_empty() && !s.contains(['\t', '\n', '\r'])
}

fn valid_pool() -> Vec<String> {
    let mut pool: Vec<String> = EDGE.iter().map(|s| s.to_string()).collect();
    pool.extend(samples(evr_string(), 3000));
    pool.retain(|s| sendable(s) && Version::parse(s).is_ok());
    pool
}

#[test]
fn split_agrees_with_rpm() {
    let mut inputs: Vec<String> = EDGE.iter().map(|s| s.to_string()).collect();
    inputs.extend(samples(evr_string(), 3000));
    inputs.retain(|s| sendable(s));
    let Some(out) = reference("split", &(inputs.join("\n") + "\n")) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), inputs.len());
    let (mut accepted, mut stricter) = (0, 0);
    for (s, line) in inputs.iter().zip(lines) {
        let ours = Version::parse(s);
        let theirs: Vec<&str> = line.split('\t').collect();
        match (&ours, theirs.first()) {
            (Ok(v), Some(&"ok")) => {
                accepted += 1;
                let none = |x: Option<&str>| x.unwrap_or("<none>").to_owned();
                let split = [none(v.epoch()), v.version().to_owned(), none(v.release())];
                assert_eq!(&split[..], &theirs[1..], "split of {s:?}");
            }
            (Ok(_), _) => panic!("we accept {s:?}, rpm rejects it: {line}"),
            (Err(_), Some(&"ok")) => stricter += 1,
            (Err(_), _) => {}
        }
    }
    assert!(accepted > 1000, "too few valid inputs: {accepted}");
    support_note(&format!(
        "rpm split: {} inputs, {accepted} accepted by both, {stricter} rejected by our policy only",
        inputs.len()
    ));
}

#[test]
fn pairs_agree_with_rpm() {
    let pool = valid_pool();
    let mut pairs: Vec<(String, String)> = samples(close_pair(), 4000);
    let picks = samples((0..pool.len(), 0..pool.len()), 2000);
    pairs.extend(
        picks
            .into_iter()
            .map(|(i, j)| (pool[i].clone(), pool[j].clone())),
    );
    for a in EDGE {
        for b in EDGE {
            pairs.push((a.to_string(), b.to_string()));
        }
    }
    pairs.retain(|(a, b)| {
        sendable(a) && sendable(b) && Version::parse(a).is_ok() && Version::parse(b).is_ok()
    });
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    let Some(out) = reference("pairs", &input) else {
        return;
    };
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), pairs.len());
    let mut mismatches = Vec::new();
    for ((a, b), line) in pairs.iter().zip(lines) {
        let theirs: i32 = line.parse().expect("-1, 0 or 1");
        let ours = Version::parse(a).unwrap().cmp(&Version::parse(b).unwrap()) as i32;
        if ours != theirs {
            mismatches.push(format!("{a:?} vs {b:?}: ours {ours}, rpm {theirs}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} pairs disagree:\n{}",
        mismatches.len(),
        pairs.len(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
    support_note(&format!("rpm pairs: {} pairs agree", pairs.len()));
}

/// Checks that sorting `versions` (distinct strings, all valid) gives the
/// reference's order, up to the order among versions it deems equal.
fn assert_sort_agrees(what: &str, versions: &[String]) -> Option<()> {
    let out = reference("sort", &(versions.join("\n") + "\n"))?;
    let theirs: BTreeMap<&str, usize> = out
        .lines()
        .map(|l| {
            let (rank, v) = l.split_once('\t').expect("RANK\\tVERSION");
            (v, rank.parse().expect("rank"))
        })
        .collect();
    assert_eq!(theirs.len(), versions.len(), "{what}: reference lost lines");
    let mut ours: Vec<Version> = versions
        .iter()
        .map(|s| Version::parse(s).unwrap())
        .collect();
    ours.sort();
    let mut rank = 0;
    for (i, v) in ours.iter().enumerate() {
        if i > 0 && ours[i - 1] != *v {
            rank += 1;
        }
        let s = v.to_string();
        assert_eq!(
            theirs.get(s.as_str()),
            Some(&rank),
            "{what}: {s:?} is at rank {rank} in our order, elsewhere in rpm's"
        );
    }
    support_note(&format!(
        "{what}: {} versions sort identically",
        versions.len()
    ));
    Some(())
}

#[test]
fn sort_agrees_with_rpm() {
    let distinct: BTreeSet<String> = valid_pool().into_iter().collect();
    let versions: Vec<String> = distinct.into_iter().collect();
    assert!(versions.len() > 1000);
    assert_sort_agrees("rpm sort", &versions);
}

/// The RPM-family ecosystems OSV uses.
const ECOSYSTEMS: &[&str] = &[
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "openSUSE",
    "SUSE",
    "Mageia",
    "openEuler",
];

#[test]
fn osv_corpus_parses_and_sorts() {
    let Some(data) = support::shared_data() else {
        support_note("rpm corpus: no shared data, skipped");
        return;
    };
    let script = support::reference_file("rpm_osv_versions.py");
    let osv = data.join("osv");
    let mut args = vec![
        script.to_str().expect("UTF-8 path"),
        osv.to_str().expect("UTF-8 path"),
    ];
    args.extend(ECOSYSTEMS);
    let Some(out) = support::run_reference("OSV extractor (python3-yaml)", PYTHON, &args, "")
    else {
        return;
    };
    let mut versions = BTreeSet::new();
    let mut failures = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [eco, event, version, file] = f[..] else {
            panic!("bad extractor line {line:?}");
        };
        if event == "introduced" && version == "0" {
            continue;
        }
        match Version::parse(version) {
            Ok(_) => {
                versions.insert(version.to_owned());
            }
            Err(e) => failures.push(format!("{file}: {eco} {event} {version:?}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "OSV versions that do not parse:\n{}",
        failures.join("\n")
    );
    support_note(&format!(
        "rpm corpus: {} distinct versions from {ECOSYSTEMS:?}",
        versions.len()
    ));
    if versions.len() > 1 {
        let versions: Vec<String> = versions.into_iter().collect();
        assert_sort_agrees("rpm corpus sort", &versions);
    }
}

#[allow(clippy::print_stderr)]
fn support_note(msg: &str) {
    eprintln!("{msg}");
}
