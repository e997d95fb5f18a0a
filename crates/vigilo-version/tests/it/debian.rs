//! Debian: `vigilo_version::debian` against dpkg itself, `dpkg
//! --compare-versions` (one process per question: dpkg has no batch mode),
//! driven by `tests/reference/debian_compare.pl`.
//!
//! Validity: a version is valid when dpkg compares it without reporting bad
//! syntax (error or warning). The empty string is left out: dpkg's
//! `--compare-versions` takes it for "no version" (lower than all), we reject
//! it.
//!
//! Sorting: our sorted list is checked pair by adjacent pair (`lt` or `eq`
//! as we order them), which proves that it is also sorted for dpkg, with the
//! same runs of equal versions, in n - 1 questions instead of dpkg's own
//! n log n.

use std::cmp::Ordering;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use vigilo_version::debian::Version;
use vigilo_version::{Ecosystem, Scheme};

use crate::maven::osv;
use crate::support;

// ---------------------------------------------------------------------------
// The reference

#[allow(clippy::print_stderr)] // reports the reference and what was compared
fn available() -> bool {
    static DPKG: OnceLock<bool> = OnceLock::new();
    *DPKG.get_or_init(|| {
        let Some(version) = support::run_reference("dpkg", "dpkg", &["--version"], "") else {
            return false;
        };
        if support::run_reference("perl", "perl", &["-e", "1"], "").is_none() {
            return false;
        }
        eprintln!("Debian reference: {}", version.lines().next().unwrap_or(""));
        true
    })
}

fn harness(mode: &str, fields: &[&str]) -> Vec<String> {
    let script = support::reference_file("debian_compare.pl");
    let input: String = fields.iter().flat_map(|f| [*f, "\0"]).collect();
    let out = support::run_reference(
        "dpkg",
        "perl",
        &[script.to_str().expect("UTF-8 path"), mode],
        &input,
    )
    .expect("dpkg and perl ran before");
    out.lines().map(str::to_owned).collect()
}

/// dpkg's verdict on each version: `None` when valid, else its message.
fn dpkg_check(versions: &[String]) -> Vec<Option<String>> {
    let fields: Vec<&str> = versions.iter().map(String::as_str).collect();
    let out = harness("check", &fields);
    assert_eq!(out.len(), versions.len(), "one answer per version");
    out.into_iter()
        .map(|l| if l == "ok" { None } else { Some(l) })
        .collect()
}

/// dpkg's comparison of each pair (asking first about `hint`, our answer).
fn dpkg_compare(pairs: &[(&str, &str, Ordering)]) -> Vec<Result<Ordering, String>> {
    let mut fields = Vec::with_capacity(pairs.len() * 3);
    for (a, b, hint) in pairs {
        fields.extend([
            *a,
            *b,
            match hint {
                Ordering::Less => "lt",
                Ordering::Equal => "eq",
                Ordering::Greater => "gt",
            },
        ]);
    }
    let out = harness("cmp", &fields);
    assert_eq!(out.len(), pairs.len(), "one answer per pair");
    out.into_iter()
        .map(|l| match l.as_str() {
            "-1" => Ok(Ordering::Less),
            "0" => Ok(Ordering::Equal),
            "1" => Ok(Ordering::Greater),
            _ => Err(l),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Generators

fn runner(cases: u32) -> (TestRunner, usize) {
    let config = support::proptest_config(cases);
    let n = config.cases as usize;
    let runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (runner, n)
}

fn draw<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).expect("a value").current()
}

/// A run of an upstream version or revision: digits, letters, `.+~`.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[0-9]{1,3}",
        1 => "0{1,4}[0-9]{0,2}",
        1 => "[1-9][0-9]{18,25}",
        3 => prop::sample::select(vec![
            ".", ".", ".", "~", "~~", "+", "a", "b", "z", "A", "Z", "rc", "beta", "dfsg", "ds",
            "deb", "u", "ubuntu", "build", "bpo", "+b", "+dfsg", "~rc", "~beta", "~bpo", "+git",
            "+really", "~~", ".~", "+~",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z.+~]{1,3}",
    ]
}

fn upstream() -> impl Strategy<Value = String> {
    ("[0-9]{1,3}", prop::collection::vec(piece(), 0..6))
        .prop_map(|(first, rest)| first + &rest.concat())
}

fn revision() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..4).prop_map(|p| p.concat())
}

/// A version dpkg should accept, in the shapes Debian and Ubuntu use.
fn valid_version() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            6 => Just(String::new()),
            3 => (0u32..10).prop_map(|e| format!("{e}:")),
            1 => prop::sample::select(vec!["00:", "01:", "+1:", "-0:", "2147483647:", "\n1:", "0:"]).prop_map(str::to_owned),
        ],
        upstream(),
        prop::collection::vec(
            prop_oneof![Just("-".to_owned()), Just(":".to_owned()), piece()],
            0..2,
        ),
        prop::option::of(revision()),
    )
        .prop_map(|(epoch, up, extra, rev)| {
            let mut s = epoch.clone();
            s.push_str(&up);
            for e in extra {
                // `:` in the upstream version needs an epoch, `-` a revision.
                if (e == ":" && epoch.is_empty()) || (e == "-" && rev.is_none()) {
                    continue;
                }
                s.push_str(&e);
            }
            if let Some(rev) = rev {
                s.push('-');
                s.push_str(&rev);
            }
            s
        })
}

/// Strings near a valid version: bad characters, empty parts, odd epochs,
/// blanks.
fn near_version() -> impl Strategy<Value = String> {
    (
        valid_version(),
        prop::sample::select(vec![
            "",
            "",
            ":",
            "-",
            " ",
            "\t",
            "_",
            ",",
            "é",
            "/",
            "=",
            "a",
            "~",
            "0",
            "1:",
            ":-",
            "--",
            "a:",
            "1a:",
            "99999999999:",
            "2147483648:",
            "-1:",
            "+:",
            " 1",
            "1 ",
            "\r",
            "\u{b}",
            "!",
            "@",
            "*",
        ]),
        0usize..12,
        prop::bool::ANY,
    )
        .prop_map(|(v, bit, at, prefix)| {
            let mut s = v;
            if prefix {
                s.insert_str(0, bit);
            } else {
                let mut at = at.min(s.len());
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert_str(at, bit);
            }
            if s.is_empty() { "-".to_owned() } else { s }
        })
}

/// Two versions sharing a prefix, differing in how they go on.
fn close_pair() -> impl Strategy<Value = (String, String)> {
    let tail = prop_oneof![
        2 => Just(String::new()),
        4 => prop::collection::vec(piece(), 1..3).prop_map(|p| p.concat()),
        2 => revision().prop_map(|r| format!("-{r}")),
    ];
    (valid_version(), tail.clone(), tail).prop_map(|(base, x, y)| {
        // A tail with `-` after a version that has a revision moves the
        // split: fine, both stay valid.
        (format!("{base}{x}"), format!("{base}{y}"))
    })
}

const EDGE_CASES: &[&str] = &[
    "0",
    "0~",
    "0~~",
    "0a",
    "0+",
    "0.",
    "0.0",
    "00",
    "1",
    "1.0",
    "1.00",
    "1.",
    "1.0.",
    "1.0~",
    "1.0~~",
    "1.0~~a",
    "1.0~a",
    "1.0~rc1",
    "1.0a",
    "1.0A",
    "1.0z",
    "1.0Z",
    "1.0+",
    "1.0+dfsg",
    "1.0+dfsg-1",
    "1.0-0",
    "1.0-00",
    "1.0-0.1",
    "1.0-1",
    "1.0-1~",
    "1.0-1~bpo1",
    "1.0-1+b1",
    "1.0-1.1",
    "1.0-1ubuntu1",
    "1.0-1ubuntu0.1",
    "1.0-10",
    "1.0-a",
    "1.0-~",
    "1.0-+",
    "1.0-.",
    "1.0.1",
    "1.01",
    "1.1",
    "1.10",
    "1.9",
    "0:1.0",
    "00:1.0",
    "1:0",
    "1:1.0",
    "2:0",
    "+1:1.0",
    "-0:1.0",
    "\n1:1.0",
    "2147483647:1",
    "1:1:1",
    "1:1-1:1-1",
    "1-1-1",
    "1+-1",
    "1.0-1-1",
    "18446744073709551615",
    "18446744073709551616",
    "1.99999999999999999999",
    "1.100000000000000000000",
    " 1.0",
    "1.0 ",
    "\t1.0\t",
    "1.2.3~rc1+dfsg-4ubuntu0.20.04.1",
    "2:1.2.3-4",
    "1.0~beta1~svn1245-1",
    "7.4.052-1ubuntu3.1",
    "1:2.30.2-1+deb11u2",
];

/// Every Debian or Ubuntu version string of the OSV corpus.
fn corpus() -> Option<Vec<osv::Found>> {
    osv::versions(|eco| Ecosystem::parse(eco).scheme() == Some(Scheme::Debian))
}

fn parse(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s:?} must parse: {e}"))
}

/// `v` with a `0` before each run of digits after the epoch.
fn zero_padded(v: &str) -> String {
    let start = v.find(':').map_or(0, |c| c + 1);
    let mut out = v[..start].to_owned();
    let mut prev_digit = false;
    for c in v[start..].chars() {
        if c.is_ascii_digit() && !prev_digit {
            out.push('0');
        }
        prev_digit = c.is_ascii_digit();
        out.push(c);
    }
    out
}

/// Sorts `versions` our way and has dpkg confirm every adjacent pair.
#[allow(clippy::print_stderr)] // reports the reference and what was compared
fn assert_sorted_as_dpkg(what: &str, versions: &[String]) {
    let mut sorted: Vec<(Version, &str)> =
        versions.iter().map(|v| (parse(v), v.as_str())).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted.dedup_by(|a, b| a.1 == b.1);
    let pairs: Vec<(&str, &str, Ordering)> = sorted
        .windows(2)
        .map(|w| (w[0].1, w[1].1, w[0].0.cmp(&w[1].0)))
        .collect();
    let answers = dpkg_compare(&pairs);
    let mut classes = 1;
    for ((a, b, ours), theirs) in pairs.iter().zip(&answers) {
        assert_eq!(
            theirs.as_ref(),
            Ok(ours),
            "{what}: {a:?} then {b:?} in our order"
        );
        if ours.is_ne() {
            classes += 1;
        }
    }
    eprintln!(
        "debian: {what}: {} versions ({classes} distinct) sorted as dpkg sorts them",
        sorted.len()
    );
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn parse_agrees_with_dpkg() {
    if !available() {
        return;
    }
    let (mut runner, n) = runner(500);
    let (valid, near) = (valid_version(), near_version());
    let mut strings: Vec<String> = EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    for _ in 0..n {
        strings.push(draw(&mut runner, &valid));
        strings.push(draw(&mut runner, &near));
    }
    strings.sort();
    strings.dedup();
    strings.retain(|s| !s.is_empty());
    let verdicts = dpkg_check(&strings);
    let mut valid_count = 0;
    for (s, verdict) in strings.iter().zip(&verdicts) {
        match (Version::parse(s), verdict) {
            (Ok(_), None) => valid_count += 1,
            (Err(_), Some(_)) => {}
            (Ok(v), Some(msg)) => panic!("{s:?}: we accept {v:?}, dpkg says {msg}"),
            (Err(e), None) => panic!("{s:?}: dpkg accepts, we say {e}"),
        }
    }
    eprintln!(
        "debian: parse: {} strings, {valid_count} valid, {} invalid, all as dpkg says",
        strings.len(),
        strings.len() - valid_count
    );
}

#[test]
fn pairs_agree_with_dpkg() {
    if !available() {
        return;
    }
    let (mut runner, n) = runner(600);
    let (valid, close) = (valid_version(), close_pair());
    let mut pairs: Vec<(String, String)> = Vec::new();
    for _ in 0..n {
        pairs.push((draw(&mut runner, &valid), draw(&mut runner, &valid)));
        pairs.push(draw(&mut runner, &close));
    }
    let questions: Vec<(&str, &str, Ordering)> = pairs
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str(), parse(a).cmp(&parse(b))))
        .collect();
    let answers = dpkg_compare(&questions);
    let mut counts = [0; 3];
    for ((a, b, ours), theirs) in questions.iter().zip(&answers) {
        assert_eq!(theirs.as_ref(), Ok(ours), "{a:?} vs {b:?}");
        counts[(*ours as i8 + 1) as usize] += 1;
    }
    eprintln!(
        "debian: {} pairs agree with dpkg ({} less, {} equal, {} greater)",
        pairs.len(),
        counts[0],
        counts[1],
        counts[2]
    );
}

#[test]
fn sort_agrees_with_dpkg() {
    if !available() {
        return;
    }
    let (mut runner, n) = runner(1500);
    let (valid, close) = (valid_version(), close_pair());
    let mut versions: Vec<String> = EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    for i in 0..n {
        match i % 6 {
            0 | 3 => {
                let (a, b) = draw(&mut runner, &close);
                versions.extend([a, b]);
            }
            1 => {
                // A twin with zeros before its numbers: equal to dpkg.
                let v = draw(&mut runner, &valid);
                versions.push(zero_padded(&v));
                versions.push(v);
            }
            _ => versions.push(draw(&mut runner, &valid)),
        }
    }
    assert_sorted_as_dpkg("generated", &versions);
}

#[test]
fn osv_corpus_parses_and_sorts_as_dpkg() {
    let Some(found) = corpus() else {
        support::no_shared_data("the OSV corpus");
        return;
    };
    let mut versions: Vec<String> = Vec::new();
    let mut rejected = Vec::new();
    for f in &found {
        match Version::parse(&f.version) {
            Ok(_) => versions.push(f.version.clone()),
            Err(e) => rejected.push((f, e)),
        }
    }
    versions.sort();
    versions.dedup();
    eprintln!(
        "debian: OSV corpus: {} Debian/Ubuntu version strings ({} distinct valid), {} rejected",
        found.len(),
        versions.len(),
        rejected.len()
    );
    if !available() {
        assert!(rejected.is_empty(), "rejected: {rejected:?}");
        return;
    }
    // A rejected version must be one dpkg rejects too.
    let rejected_texts: Vec<String> = rejected.iter().map(|(f, _)| f.version.clone()).collect();
    for ((f, e), verdict) in rejected.iter().zip(dpkg_check(&rejected_texts)) {
        assert!(
            verdict.is_some() || f.version.is_empty(),
            "{} ({}, {} in {}): dpkg accepts, we say {e}",
            f.version,
            f.ecosystem,
            f.field,
            f.file.display()
        );
        eprintln!(
            "debian: OSV corpus: {:?} ({}) rejected, as dpkg does: {e}",
            f.version, f.field
        );
    }
    if versions.len() > 1 {
        assert_sorted_as_dpkg("OSV corpus", &versions);
    }
}
