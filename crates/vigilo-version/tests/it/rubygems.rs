//! RubyGems against Ruby's own `Gem::Version`
//! (`tests/reference/rubygems_cmp.rb`; Debian's `ruby` package).

use std::cmp::Ordering;

use proptest::prelude::*;
use vigilo_version::rubygems::Version;

use crate::semver::common::{
    self, Mismatches, check_pairs, check_ranks, check_validity, dense_ranks, osv, sample,
};
use crate::support;

fn ruby(command: &str, lines: &[String]) -> Option<Vec<String>> {
    let script = support::reference_file("rubygems_cmp.rb");
    common::reference_lines(
        "Ruby's Gem::Version (apt-get install ruby)",
        "ruby",
        &[script.to_str().expect("UTF-8 path"), command],
        lines,
    )
}

fn st(x: &str) -> BoxedStrategy<String> {
    Just(x.to_owned()).boxed()
}

/// A segment of a valid version: numbers (leading zeros, big ones), letters
/// (both cases), mixtures.
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        10 => (0u32..3).prop_map(|n| n.to_string()),
        1 => st("10"),
        1 => st("00"),
        1 => st("010"),
        1 => "[1-9][0-9]{18,22}",
        4 => prop_oneof![st("a"), st("b"), st("A"), st("pre"), st("rc"), st("beta"), st("z")],
        2 => "[0-2][ab][0-2]?",
        1 => "[ab][0-2][ab]?",
    ]
    .boxed()
}

/// Valid versions from a small alphabet, so that ties are common.
fn valid_version() -> impl Strategy<Value = String> {
    let first =
        prop_oneof![8 => (0u32..3).prop_map(|n| n.to_string()), 1 => st("01"), 1 => st("10")];
    let pre_ident = prop_oneof![
        4 => segment(),
        1 => prop_oneof![st("-"), st("a-b"), st("1-"), st("-0")],
    ];
    let pre = proptest::option::weighted(0.25, proptest::collection::vec(pre_ident, 1..3));
    let space = prop_oneof![10 => st(""), 1 => st(" "), 1 => st("\t")];
    (
        space.clone(),
        first,
        proptest::collection::vec(segment(), 0..4),
        pre,
        space,
    )
        .prop_map(|(a, first, rest, pre, b)| {
            let mut s = format!("{a}{first}");
            for r in rest {
                s.push('.');
                s.push_str(&r);
            }
            if let Some(pre) = pre {
                s.push('-');
                s.push_str(&pre.join("."));
            }
            s.push_str(&b);
            s
        })
}

/// Valid and near-valid strings.
fn near_version() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => segment(),
        1 => st(""),
        1 => st("-"),
        1 => "[_+~ é!]",
        1 => "[a-z][_+~ é][0-9]",
    ];
    let sep = prop_oneof![8 => st("."), 2 => st("-"), 1 => st(".."), 1 => st(""), 1 => st("+")];
    let lead = prop_oneof![
        10 => st(""),
        1 => st(" "),
        1 => st("\n"),
        1 => st("\u{b}"),
        1 => st("\u{a0}"),
        1 => st("v"),
        1 => st("."),
        1 => st("-"),
        1 => st("a"),
    ];
    let trail = prop_oneof![10 => st(""), 1 => st(" "), 1 => st("\r\n"), 1 => st("."), 1 => st("-"), 1 => st("\u{0}")];
    (
        lead,
        prop_oneof![6 => (0u32..12).prop_map(|n| n.to_string()), 1 => st(""), 1 => st("  ")],
        proptest::collection::vec((sep, piece), 0..5),
        trail,
    )
        .prop_map(|(lead, first, rest, trail)| {
            let mut s = format!("{lead}{first}");
            for (sep, piece) in rest {
                s.push_str(&sep);
                s.push_str(&piece);
            }
            s.push_str(&trail);
            s
        })
}

const EDGE_CASES: &[&str] = &[
    "",
    " ",
    "\n",
    "0",
    "1",
    "1.0",
    "1.0.0.0.0",
    "1.a",
    "1.A",
    "1.0a1",
    "1.0.0.pre",
    "1.0.0-pre",
    "1-",
    "1--",
    "1---",
    "1-1",
    "1-a.-.b",
    "1.-",
    "1..0",
    ".1",
    "1.",
    "a",
    "a.1",
    "v1.0",
    "1.0+1",
    "1.0 1",
    " 1.0 ",
    "1.0\n",
    "\n1.0",
    "1.0\u{0}",
    "1.0\u{a0}",
    "1.0.é",
    "00001",
    "1.000",
    "999999999999999999999999.0",
    "1.2.3-4.5.6",
    "2.0.0.rc1",
    "2.0.0-rc1",
    "2.0.0.rc.1",
];

#[test]
fn validity_matches_gem_version() {
    let n = support::proptest_config(4000).cases as usize;
    let mut inputs: Vec<String> = EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    inputs.extend(sample(near_version(), n));
    inputs.extend(sample(valid_version(), n / 4));
    let Some(reference) = ruby("valid", &common::lines1(&inputs)) else {
        return;
    };
    let (valid, invalid) = check_validity("RubyGems validity", &inputs, &reference, |s| {
        Version::parse(s).is_ok()
    });
    eprintln!(
        "RubyGems validity: {} inputs agree ({valid} valid, {invalid} invalid)",
        inputs.len()
    );
    assert!(valid > inputs.len() / 4 && invalid > inputs.len() / 10);
}

#[test]
fn order_matches_gem_version() {
    let n = support::proptest_config(4000).cases as usize;
    let script = support::reference_file("rubygems_cmp.rb");
    let script = script.to_str().expect("UTF-8 path");
    if let Some(info) = support::run_reference("Ruby", "ruby", &[script, "info"], "") {
        eprintln!("reference: RubyGems {}", info.trim());
    }

    // (a) pairs: independent ones, and a version against itself extended.
    let pairs: Vec<(String, String)> =
        sample((valid_version(), valid_version(), 0..4u8, segment()), 3 * n)
            .into_iter()
            .map(|(a, b, how, seg)| match how {
                1 => {
                    let a = a.trim().to_owned();
                    let b = format!("{a}.{seg}");
                    (a, b)
                }
                2 => {
                    let a = a.trim().to_owned();
                    let b = format!("{a}-{seg}");
                    (b, a)
                }
                _ => (a, b),
            })
            .collect();
    let ours: Vec<Ordering> = pairs.iter().map(|(a, b)| parse(a).cmp(&parse(b))).collect();
    let Some(reference) = ruby("cmp", &common::lines2(&pairs)) else {
        return;
    };
    let stats = check_pairs("RubyGems order", &pairs, &ours, &reference);
    eprintln!("RubyGems order: {stats}");

    // (b) a full sort.
    let versions = sample(valid_version(), (3 * n / 4).max(100));
    let Some(reference) = ruby("rank", &common::lines1(&versions)) else {
        return;
    };
    let parsed: Vec<Version> = versions.iter().map(|v| parse(v)).collect();
    let ours = dense_ranks(&parsed);
    check_ranks("RubyGems sort", &versions, &ours, &reference);
    eprintln!(
        "RubyGems sort: {} versions in {} equivalence classes agree",
        versions.len(),
        ours.iter().max().map_or(0, |m| m + 1)
    );
}

fn parse(v: &str) -> Version {
    Version::parse(v).unwrap_or_else(|e| panic!("generated {v:?}: {e}"))
}

#[test]
fn osv_rubygems_versions_parse_and_sort_as_gem_version() {
    let Some(data) = support::shared_data() else {
        eprintln!("skipping: no shared data");
        return;
    };
    let found = osv::versions(&data.join("osv/ghsa/RubyGems"), "RubyGems");
    assert!(!found.is_empty(), "no RubyGems versions in the shared data");
    let all: Vec<String> = found.keys().cloned().collect();
    let Some(reference) = ruby("valid", &common::lines1(&all)) else {
        return;
    };
    let mut mismatches = Mismatches::new("RubyGems corpus parse");
    for (v, r) in all.iter().zip(&reference) {
        let ours = Version::parse(v).is_ok();
        if !ours || r != "1" {
            mismatches.push(format!(
                "{v:?} (in {:?}): ours {ours}, reference {r}",
                found[v]
            ));
        }
    }
    mismatches.assert_none();
    let Some(reference) = ruby("rank", &common::lines1(&all)) else {
        return;
    };
    let parsed: Vec<Version> = all.iter().map(|v| parse(v)).collect();
    check_ranks(
        "RubyGems corpus sort",
        &all,
        &dense_ranks(&parsed),
        &reference,
    );
    eprintln!(
        "RubyGems: {} distinct versions parse and sort as Gem::Version",
        all.len()
    );
}
