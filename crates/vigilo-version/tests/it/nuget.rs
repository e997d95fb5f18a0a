//! NuGet. No .NET runs here, so `NuGet.Versioning` itself is not a reference:
//! the cases from NuGet.Client's own test suite are unit tests in
//! `src/nuget.rs`. What can be checked against a running reference is the
//! part of NuGet's order that is SemVer 2.0.0 (NuGet documents its
//! pre-release order as SemVer's, case-insensitive): versions with three
//! numbers (or a fourth that is 0), numbers within `Int32`, and labels that
//! are not `-` followed by digits (NuGet reads `-1` as a number, SemVer as
//! text). Those are mapped to SemVer (numbers without leading zeros, labels
//! lower-cased, metadata dropped) and ordered by node-semver.

use std::cmp::Ordering;

use proptest::prelude::*;
use vigilo_version::nuget::Version;

use crate::semver::common::{self, check_pairs, check_ranks, dense_ranks, osv, sample};
use crate::support;

fn node(command: &str, lines: &[String]) -> Option<Vec<String>> {
    let script = support::reference_file("semver_cmp.js");
    common::reference_lines(
        "node-semver (tests/reference/node: npm ci)",
        "node",
        &[script.to_str().expect("UTF-8 path"), "strict", command],
        lines,
    )
}

/// The SemVer 2.0.0 version that orders as `v` does in NuGet, if `v` is in
/// the SemVer-compatible subset.
fn as_semver(v: &str) -> Option<String> {
    let v = v.trim();
    let (v, _metadata) = v.split_once('+').unwrap_or((v, ""));
    let (numbers, labels) = match v.split_once('-') {
        Some((n, l)) => (n, Some(l)),
        None => (v, None),
    };
    let mut numbers: Vec<u32> = numbers
        .split('.')
        .map(|n| {
            n.trim()
                .parse::<u32>()
                .ok()
                .filter(|&n| n <= i32::MAX as u32)
        })
        .collect::<Option<_>>()?;
    match numbers.len() {
        3 => {}
        4 if numbers[3] == 0 => {
            numbers.pop();
        }
        _ => return None,
    }
    let mut s = format!("{}.{}.{}", numbers[0], numbers[1], numbers[2]);
    if let Some(labels) = labels {
        for label in labels.split('.') {
            let digits = label.strip_prefix('-').unwrap_or(label);
            let all_digits = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            if all_digits && (label.starts_with('-') || label.parse::<i32>().is_err()) {
                return None;
            }
        }
        s.push('-');
        s.push_str(&labels.to_ascii_lowercase());
    }
    Some(s)
}

fn st(x: &str) -> BoxedStrategy<String> {
    Just(x.to_owned()).boxed()
}

/// Valid NuGet versions from a small alphabet, mostly in the SemVer subset.
fn nuget_version() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        12 => (0u32..3).prop_map(|n| n.to_string()),
        1 => st("10"),
        1 => st("01"),
        1 => (0u32..=i32::MAX as u32).prop_map(|n| n.to_string()),
    ];
    let numbers = (
        proptest::collection::vec(number, 3..=3),
        proptest::option::weighted(0.15, prop_oneof![3 => st("0"), 1 => st("1")]),
    )
        .prop_map(|(mut n, fourth)| {
            n.extend(fourth);
            n.join(".")
        });
    let label = prop_oneof![
        4 => (0u32..3).prop_map(|n| n.to_string()),
        1 => st("10"),
        1 => st("2147483647"),
        3 => prop_oneof![st("a"), st("A"), st("b"), st("B"), st("alpha"), st("Alpha"), st("rc")],
        1 => prop_oneof![st("-"), st("0a"), st("a-1"), st("-1"), st("aA"), st("Aa")],
    ];
    let labels = proptest::option::weighted(0.6, proptest::collection::vec(label, 1..4));
    let metadata = proptest::option::weighted(0.2, "[a-zA-Z0-9]{1,3}");
    let space = prop_oneof![8 => st(""), 1 => st(" ")];
    (space.clone(), numbers, labels, metadata, space).prop_map(|(a, n, l, m, b)| {
        let mut s = format!("{a}{n}");
        if let Some(l) = l {
            s.push('-');
            s.push_str(&l.join("."));
        }
        if let Some(m) = m {
            s.push('+');
            s.push_str(&m);
        }
        s.push_str(&b);
        s
    })
}

fn parse(v: &str) -> Version {
    Version::parse(v).unwrap_or_else(|e| panic!("generated {v:?}: {e}"))
}

#[test]
fn semver_subset_orders_as_node_semver() {
    let n = support::proptest_config(4000).cases as usize;

    // (a) pairs.
    let pairs: Vec<(String, String)> = sample((nuget_version(), nuget_version()), 3 * n)
        .into_iter()
        .filter(|(a, b)| as_semver(a).is_some() && as_semver(b).is_some())
        .collect();
    let mapped: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| (as_semver(a).unwrap(), as_semver(b).unwrap()))
        .collect();
    let Some(reference) = node("cmp", &common::lines2(&mapped)) else {
        return;
    };
    let ours: Vec<Ordering> = pairs.iter().map(|(a, b)| parse(a).cmp(&parse(b))).collect();
    let stats = check_pairs("NuGet order (SemVer subset)", &pairs, &ours, &reference);
    eprintln!("NuGet order (SemVer subset): {stats}");

    // (b) a full sort.
    let versions: Vec<String> = sample(nuget_version(), n)
        .into_iter()
        .filter(|v| as_semver(v).is_some())
        .collect();
    let mapped: Vec<String> = versions.iter().filter_map(|v| as_semver(v)).collect();
    let Some(reference) = node("rank", &common::lines1(&mapped)) else {
        return;
    };
    let parsed: Vec<Version> = versions.iter().map(|v| parse(v)).collect();
    let ours = dense_ranks(&parsed);
    check_ranks("NuGet sort (SemVer subset)", &versions, &ours, &reference);
    eprintln!(
        "NuGet sort (SemVer subset): {} versions in {} equivalence classes agree",
        versions.len(),
        ours.iter().max().map_or(0, |m| m + 1)
    );
    assert!(pairs.len() > n && versions.len() > n / 2);
}

#[test]
fn strict_semver_is_valid_nuget() {
    // Every SemVer 2.0.0 version with numbers within Int32 is a NuGet
    // version; a NuGet version with a SemVer-shaped core is SemVer.
    let n = support::proptest_config(4000).cases as usize;
    let inputs: Vec<String> = sample(near_version(), n);
    let Some(reference) = node("valid", &common::lines1(&inputs)) else {
        return;
    };
    let mut mismatches = common::Mismatches::new("NuGet validity (SemVer subset)");
    let mut checked = 0;
    for (v, r) in inputs.iter().zip(&reference) {
        let semver_valid = r == "1";
        let ours = Version::parse(v).is_ok();
        let core = v.split(['-', '+']).next().unwrap_or_default();
        let parts: Vec<&str> = core.split('.').collect();
        let semver_shaped_core = parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p.len() == 1 || !p.starts_with('0'))
                    && p.parse::<i32>().is_ok()
            });
        if semver_shaped_core && semver_valid != ours {
            mismatches.push(format!("{v:?}: SemVer {semver_valid}, ours {ours}"));
        }
        checked += usize::from(semver_shaped_core);
    }
    mismatches.assert_none();
    eprintln!("NuGet validity (SemVer subset): {checked} inputs agree");
}

fn near_version() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        10 => (0u32..12).prop_map(|n| n.to_string()),
        1 => st("01"),
        1 => st("2147483648"),
        1 => st(""),
    ];
    let ident = prop_oneof![
        6 => "[a-zA-Z0-9-]{1,4}",
        1 => "0[0-9]",
        1 => st(""),
        1 => "[a-z][_+~é ][a-z]",
    ];
    (
        proptest::collection::vec(number, 2..=4),
        proptest::option::of(proptest::collection::vec(ident.clone(), 1..3)),
        proptest::option::weighted(0.3, proptest::collection::vec(ident, 1..3)),
    )
        .prop_map(|(n, pre, build)| {
            let mut s = n.join(".");
            if let Some(pre) = pre {
                s.push('-');
                s.push_str(&pre.join("."));
            }
            if let Some(build) = build {
                s.push('+');
                s.push_str(&build.join("."));
            }
            s
        })
}

#[test]
fn osv_nuget_versions_parse_and_sort() {
    let Some(data) = support::shared_data() else {
        eprintln!("skipping: no shared data");
        return;
    };
    let found = osv::versions(&data.join("osv/ghsa/NuGet"), "NuGet");
    assert!(!found.is_empty(), "no NuGet versions in the shared data");
    let mut mismatches = common::Mismatches::new("NuGet corpus parse");
    for (v, places) in &found {
        if let Err(e) = Version::parse(v) {
            mismatches.push(format!("{e} (in {places:?})"));
        }
    }
    mismatches.assert_none();

    let versions: Vec<String> = found
        .keys()
        .filter(|v| as_semver(v).is_some())
        .cloned()
        .collect();
    let mapped: Vec<String> = versions.iter().filter_map(|v| as_semver(v)).collect();
    let Some(reference) = node("rank", &common::lines1(&mapped)) else {
        return;
    };
    let parsed: Vec<Version> = versions.iter().map(|v| parse(v)).collect();
    check_ranks(
        "NuGet corpus sort",
        &versions,
        &dense_ranks(&parsed),
        &reference,
    );
    eprintln!(
        "NuGet: {} distinct versions parse; {} (SemVer-compatible) sort as node-semver",
        found.len(),
        versions.len()
    );
}
