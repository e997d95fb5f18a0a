//! SemVer (crates.io), npm and Go against node-semver
//! (`tests/reference/semver_cmp.js`, node-semver pinned in
//! `tests/reference/node/`).
//!
//! - npm: `semver.valid` / `semver.compare` themselves.
//! - crates.io (strict SemVer 2.0.0): validity against the regular expression
//!   published on semver.org, order against node-semver (same precedence;
//!   numbers beyond 2^53, which node-semver cannot hold, are left to the unit
//!   tests).
//! - Go: no Go toolchain here; the harness maps Go's forms (optional `v`,
//!   `vMAJOR`/`vMAJOR.MINOR` shorthands) onto strict SemVer, whose precedence
//!   is Go's. The x/mod/semver test table is a unit test in `src/go.rs`.
//!
//! Also home of [`common`], the helpers the NuGet and RubyGems differential
//! tests share.

use std::cmp::Ordering;

use proptest::prelude::*;
use vigilo_version::{go, semver::Version};

use self::common::{
    Mismatches, check_pairs, check_ranks, check_validity, dense_ranks, osv, sample,
};
use crate::support;

const HARNESS: &str = "semver_cmp.js";

fn node(dialect: &str, command: &str, lines: &[String]) -> Option<Vec<String>> {
    let script = support::reference_file(HARNESS);
    common::reference_lines(
        "node-semver (tests/reference/node: npm ci)",
        "node",
        &[script.to_str().expect("UTF-8 path"), dialect, command],
        lines,
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Strict,
    Npm,
    Go,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Strict => "strict",
            Dialect::Npm => "npm",
            Dialect::Go => "go",
        }
    }

    fn parse(self, s: &str) -> Result<Version, vigilo_version::ParseError> {
        match self {
            Dialect::Strict => Version::parse(s),
            Dialect::Npm => Version::parse_npm(s),
            Dialect::Go => go::parse(s),
        }
    }
}

// ---------------------------------------------------------------------------
// Generators

fn s(x: &str) -> BoxedStrategy<String> {
    Just(x.to_owned()).boxed()
}

/// A major/minor/patch number, sometimes malformed or oversized.
fn near_number() -> BoxedStrategy<String> {
    prop_oneof![
        12 => (0u64..12).prop_map(|n| n.to_string()),
        2 => (0u64..1_000_000).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => s("9007199254740991"),
        1 => s("9007199254740992"),
        1 => "[1-9][0-9]{19,24}",
        1 => "0[0-9]{1,2}",
        1 => s(""),
        1 => "[a-zA-Z]",
        1 => s("-1"),
        1 => s(" 1"),
        1 => s("1 "),
    ]
    .boxed()
}

/// A pre-release identifier, sometimes malformed.
fn near_identifier() -> BoxedStrategy<String> {
    prop_oneof![
        6 => (0u64..12).prop_map(|n| n.to_string()),
        6 => "[a-zA-Z-][a-zA-Z0-9-]{0,4}",
        2 => "[0-9][a-zA-Z-][0-9]?",
        1 => "[1-9][0-9]{15,22}",
        1 => "0[0-9]{1,2}",
        1 => s(""),
        1 => "[a-z][_+~é ][a-z]",
    ]
    .boxed()
}

fn near_build() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[a-zA-Z0-9-]{1,5}",
        2 => "0[0-9]{1,3}",
        1 => s(""),
        1 => "[a-z][_+~][a-z]",
    ]
    .boxed()
}

/// Version-like strings, valid and near-valid, for the validity checks.
fn near_version() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        12 => s(""),
        4 => s("v"),
        1 => s("V"),
        1 => s("="),
        1 => s("vv"),
        1 => s("v="),
        1 => s(" "),
        1 => s("\t"),
        1 => s("\u{feff}"),
        1 => s("\u{a0}"),
        1 => s("\u{85}"),
    ];
    let suffix = prop_oneof![
        12 => s(""),
        1 => s(" "),
        1 => s("\n"),
        1 => s("\u{2028}"),
        1 => s("\u{85}"),
        1 => s("."),
    ];
    let numbers = prop_oneof![
        1 => proptest::collection::vec(near_number(), 1..=2),
        6 => proptest::collection::vec(near_number(), 3..=3),
        1 => proptest::collection::vec(near_number(), 4..=4),
    ];
    let pre = proptest::option::weighted(0.5, proptest::collection::vec(near_identifier(), 1..4));
    let build = proptest::option::weighted(0.3, proptest::collection::vec(near_build(), 1..3));
    (prefix, numbers, pre, build, suffix).prop_map(|(prefix, numbers, pre, build, suffix)| {
        let mut v = prefix;
        v.push_str(&numbers.join("."));
        if let Some(pre) = pre {
            v.push('-');
            v.push_str(&pre.join("."));
        }
        if let Some(build) = build {
            v.push('+');
            v.push_str(&build.join("."));
        }
        v.push_str(&suffix);
        v
    })
}

/// Hand-picked edge cases, valid and invalid.
const EDGE_CASES: &[&str] = &[
    "",
    " ",
    "v",
    "0",
    "1",
    "1.2",
    "v1",
    "v1.2",
    "1.2.3",
    "v1.2.3",
    "=1.2.3",
    "v=1.2.3",
    " 1.2.3 ",
    "\u{feff}1.2.3",
    "\u{85}1.2.3",
    "0.0.0",
    "0.0.0-0",
    "00.0.0",
    "1.2.3-0",
    "1.2.3-00",
    "1.2.3-0a",
    "1.2.3-a0",
    "1.2.3--",
    "1.2.3---",
    "1.2.3-",
    "1.2.3+",
    "1.2.3-+",
    "1.2.3-a+",
    "1.2.3-a..b",
    "1.2.3-.a",
    "1.2.3+a..b",
    "1.2.3+001",
    "1.2.3+a+b",
    "1.2.3-a+b+c",
    "1.2.3.4",
    "1.2.3-alpha.1+build.5",
    "2.0.0+incompatible",
    "v2.0.0+incompatible",
    "2.2.5-rc6.0.20190621200032-0ddffe484adc+incompatible",
    "0.0.0-20191109021931-daa7c04131f5",
    "1.0.0-rc.1+build.1",
    "9007199254740991.9007199254740991.9007199254740991",
    "9007199254740992.0.0",
    "0.9007199254740992.0",
    "0.0.9007199254740992",
    "18446744073709551616.0.0",
    "1.0.0-9007199254740991",
    "1.0.0-9007199254740992",
    "1.0.0-18446744073709551616",
    "1.2.3-é",
    "1.2.3-a_b",
    "1.2.3 -a",
    "1.2.3\n",
    "\n1.2.3",
    "1.2.3\u{0}",
    "١.٢.٣",
    "1.2.3-\u{1d7ce}",
];

/// Valid versions drawn from a small alphabet, so that ties and shared
/// prefixes are common.
fn valid_version(dialect: Dialect) -> BoxedStrategy<String> {
    let number = prop_oneof![
        16 => (0u64..3).prop_map(|n| n.to_string()),
        1 => s("10"),
        1 => (0u64..1_000_000_000_000_000).prop_map(|n| n.to_string()),
    ];
    let ident = prop_oneof![
        4 => (0u64..3).prop_map(|n| n.to_string()),
        1 => s("10"),
        1 => s("123456789012345"),
        2 => prop_oneof![s("a"), s("b"), s("A"), s("alpha"), s("beta"), s("rc")],
        1 => prop_oneof![s("-"), s("0a"), s("a-1"), s("1-"), s("-1"), s("aa")],
    ];
    // node-semver compares numeric identifiers as doubles and stops at the
    // first pair that differs as text but not as a double, which is not a
    // total order; so beyond 2^53 only as the last identifier.
    let last_ident = if dialect == Dialect::Npm {
        prop_oneof![
            20 => ident.clone(),
            1 => prop_oneof![
                s("9007199254740991"),
                s("9007199254740992"),
                s("9007199254740993"),
                s("9007199254740994"),
                s("18446744073709551616"),
                s("18446744073709551617"),
            ],
        ]
        .boxed()
    } else {
        ident.clone().boxed()
    };
    let pre = proptest::option::weighted(
        0.6,
        (proptest::collection::vec(ident, 0..3), last_ident).prop_map(|(mut v, last)| {
            v.push(last);
            v.join(".")
        }),
    );
    let build = proptest::option::weighted(0.2, "[a-z0-9]{1,3}(\\.[a-zA-Z0-9-]{1,3})?");
    let prefix = match dialect {
        Dialect::Strict => s(""),
        Dialect::Npm => prop_oneof![6 => s(""), 1 => s("v"), 1 => s(" "), 1 => s("v")].boxed(),
        Dialect::Go => prop_oneof![s(""), s("v")].boxed(),
    };
    (prefix, number.clone(), number.clone(), number, pre, build)
        .prop_map(move |(prefix, a, b, c, pre, build)| {
            let mut v = format!("{prefix}{a}");
            // Go's shorthands vMAJOR and vMAJOR.MINOR.
            let short = dialect == Dialect::Go && pre.is_none() && build.is_none() && c == "0";
            if short && b == "0" && a.len() % 2 == 0 {
                return v;
            }
            v.push('.');
            v.push_str(&b);
            if short && a.len() % 2 == 1 {
                return v;
            }
            v.push('.');
            v.push_str(&c);
            if let Some(pre) = pre {
                v.push('-');
                v.push_str(&pre);
            }
            if dialect == Dialect::Go && build.is_some() {
                v.push_str("+incompatible");
            } else if let Some(build) = build {
                v.push('+');
                v.push_str(&build);
            }
            v
        })
        .boxed()
}

/// `(version, rest)` where `rest` starts at the build metadata, if any.
fn split_build(v: &str) -> (&str, &str) {
    v.split_at(v.find('+').unwrap_or(v.len()))
}

/// Two valid versions, often related: the same core, the same pre-release
/// with other build metadata, or one pre-release extending the other.
fn related_pair(dialect: Dialect) -> impl Strategy<Value = (String, String)> {
    (valid_version(dialect), valid_version(dialect), 0..5u8).prop_map(move |(a, b, how)| {
        let full = a.trim().trim_start_matches('v').matches('.').count() >= 2;
        let (a_version, _) = split_build(&a);
        let (b_version, b_build) = split_build(&b);
        let a_core_end = a_version.find('-').unwrap_or(a_version.len());
        let a_pre = &a_version[a_core_end..];
        let big_last = a_pre.rsplit('.').next().is_some_and(|id| id.len() > 15);
        let build = if dialect == Dialect::Go {
            "+incompatible"
        } else {
            "+x.1"
        };
        match how {
            // Same core, other pre-release and build.
            1 if full => {
                let b_pre = b_version.find('-').map_or("", |i| &b_version[i..]);
                let b = format!("{}{b_pre}{b_build}", &a_version[..a_core_end]);
                (a, b)
            }
            // Same version, other build metadata.
            2 if full => (a.clone(), format!("{a_version}{build}")),
            // A pre-release and its extension.
            3 if full && !a_pre.is_empty() && !big_last => (a.clone(), format!("{a_version}.0")),
            4 if full && !a_pre.is_empty() && !big_last => (format!("{a_version}.a"), a.clone()),
            _ => (a, b),
        }
    })
}

// ---------------------------------------------------------------------------
// Generated versions

#[allow(clippy::print_stderr)] // what was compared, in the test output
fn validity(dialect: Dialect) {
    let n = support::proptest_config(4000).cases as usize;
    let mut inputs: Vec<String> = EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    inputs.extend(sample(near_version(), n));
    inputs.extend(sample(valid_version(dialect), n / 4));
    let Some(reference) = node(dialect.name(), "valid", &common::lines1(&inputs)) else {
        return;
    };
    let (valid, invalid) = check_validity(
        &format!("{} validity", dialect.name()),
        &inputs,
        &reference,
        |s| dialect.parse(s).is_ok(),
    );
    eprintln!(
        "{} validity: {} inputs agree ({valid} valid, {invalid} invalid)",
        dialect.name(),
        inputs.len()
    );
    assert!(valid > inputs.len() / 4 && invalid > inputs.len() / 10);
}

fn parse_all(dialect: Dialect, versions: &[String]) -> Vec<Version> {
    versions
        .iter()
        .map(|s| {
            dialect
                .parse(s)
                .unwrap_or_else(|e| panic!("generated {s:?}: {e}"))
        })
        .collect()
}

#[allow(clippy::print_stderr)] // what was compared, in the test output
fn order(dialect: Dialect) {
    let n = support::proptest_config(4000).cases as usize;

    // (a) pairs, many of them close: same core, same pre-release with other
    // build metadata, one pre-release extending the other.
    let pairs = sample(related_pair(dialect), 3 * n);
    let ours: Vec<Ordering> = pairs
        .iter()
        .map(|(a, b)| {
            let p = parse_all(dialect, &[a.clone(), b.clone()]);
            p[0].cmp(&p[1])
        })
        .collect();
    let Some(reference) = node(dialect.name(), "cmp", &common::lines2(&pairs)) else {
        return;
    };
    let stats = check_pairs(
        &format!("{} order", dialect.name()),
        &pairs,
        &ours,
        &reference,
    );
    eprintln!("{} order: {stats}", dialect.name());

    // (b) a full sort.
    let versions = sample(valid_version(dialect), (3 * n / 4).max(100));
    let Some(reference) = node(dialect.name(), "rank", &common::lines1(&versions)) else {
        return;
    };
    let ours = dense_ranks(&parse_all(dialect, &versions));
    check_ranks(
        &format!("{} sort", dialect.name()),
        &versions,
        &ours,
        &reference,
    );
    eprintln!(
        "{} sort: {} versions in {} equivalence classes agree",
        dialect.name(),
        versions.len(),
        ours.iter().max().map_or(0, |m| m + 1)
    );
}

#[test]
fn npm_validity_matches_node_semver() {
    validity(Dialect::Npm);
}

#[test]
fn strict_validity_matches_semver_org_regex() {
    validity(Dialect::Strict);
}

#[test]
fn go_validity_matches_go_grammar() {
    validity(Dialect::Go);
}

#[test]
fn npm_order_matches_node_semver() {
    order(Dialect::Npm);
}

#[test]
fn strict_order_matches_node_semver() {
    order(Dialect::Strict);
}

#[test]
fn go_order_matches_node_semver() {
    order(Dialect::Go);
}

#[test]
fn npm_big_prerelease_numbers_match_node_semver() {
    let pairs: Vec<(String, String)> = [
        ("1.0.0-9007199254740993", "1.0.0-9007199254740992"),
        ("1.0.0-9007199254740991", "1.0.0-9007199254740992"),
        ("1.0.0-18446744073709551617", "1.0.0-18446744073709551616"),
        ("1.0.0-18446744073709551616", "1.0.0-18446744073709553665"),
        ("1.0.0-a.9007199254740993", "1.0.0-a.9007199254740992"),
        ("1.0.0-9007199254740993", "1.0.0-a"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let ours: Vec<Ordering> = pairs
        .iter()
        .map(|(a, b)| {
            Version::parse_npm(a)
                .unwrap()
                .cmp(&Version::parse_npm(b).unwrap())
        })
        .collect();
    let Some(reference) = node("npm", "cmp", &common::lines2(&pairs)) else {
        return;
    };
    check_pairs("npm big numbers", &pairs, &ours, &reference);
}

// ---------------------------------------------------------------------------
// Every version in the shared OSV data

#[allow(clippy::print_stderr)] // what was compared, in the test output
fn corpus(dialect: Dialect, folder: &str, ecosystem: &str) {
    let Some(data) = support::shared_data() else {
        eprintln!("skipping: no shared data");
        return;
    };
    let found = osv::versions(&data.join("osv").join(folder), ecosystem);
    assert!(!found.is_empty(), "no {ecosystem} versions under {folder}");
    let all: Vec<String> = found.keys().cloned().collect();
    let Some(reference) = node(dialect.name(), "valid", &common::lines1(&all)) else {
        return;
    };
    let mut mismatches = Mismatches::new(format!("{ecosystem} corpus parse"));
    let mut rejected_by_both = Vec::new();
    let mut ok = Vec::new();
    for (v, r) in all.iter().zip(&reference) {
        match (dialect.parse(v), r.as_str()) {
            (Ok(p), "1") => ok.push((v.clone(), p)),
            (Err(_), "0") => rejected_by_both.push(v.clone()),
            (ours, _) => mismatches.push(format!(
                "{v:?} (in {}): ours {}, reference {r}",
                found[v].iter().next().map_or("?", String::as_str),
                if ours.is_ok() { "valid" } else { "invalid" }
            )),
        }
    }
    mismatches.assert_none();
    for v in &rejected_by_both {
        eprintln!(
            "note: {ecosystem} version {v:?} (in {}) is invalid for the reference too",
            found[v].iter().next().map_or("?", String::as_str)
        );
    }

    let strings: Vec<String> = ok.iter().map(|(s, _)| s.clone()).collect();
    let parsed: Vec<Version> = ok.into_iter().map(|(_, p)| p).collect();
    let Some(reference) = node(dialect.name(), "rank", &common::lines1(&strings)) else {
        return;
    };
    let ours = dense_ranks(&parsed);
    check_ranks(
        &format!("{ecosystem} corpus sort"),
        &strings,
        &ours,
        &reference,
    );
    eprintln!(
        "{ecosystem}: {} distinct versions, {} parse and sort as the reference, {} rejected by both",
        all.len(),
        strings.len(),
        rejected_by_both.len()
    );
}

#[test]
fn osv_npm_versions_parse_and_sort_as_node_semver() {
    corpus(Dialect::Npm, "ghsa/npm", "npm");
}

#[test]
fn osv_crates_io_versions_parse_and_sort_as_reference() {
    corpus(Dialect::Strict, "crates.io", "crates.io");
}

#[test]
fn osv_go_versions_parse_and_sort_as_reference() {
    corpus(Dialect::Go, "go", "Go");
}

#[test]
fn go_and_strict_agree_where_both_parse() {
    // Go is strict SemVer behind an optional `v`: same order, and the same
    // validity once the shorthands are set aside.
    for v in sample(near_version(), 3000) {
        let strict = Version::parse(&v);
        let g = go::parse(&v);
        if let Ok(s) = &strict {
            let g = g.as_ref().unwrap_or_else(|e| panic!("{v:?}: {e}"));
            assert_eq!(s.cmp(g), Ordering::Equal, "{v:?}");
        }
    }
}

// ---------------------------------------------------------------------------

/// Helpers shared by the SemVer, NuGet and RubyGems differential tests.
pub(crate) mod common {
    use std::cmp::Ordering;
    use std::fmt;

    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    use crate::support;

    /// `n` values from `strategy`, the same on every run.
    pub fn sample<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| {
                strategy
                    .new_tree(&mut runner)
                    .expect("generating a value")
                    .current()
            })
            .collect()
    }

    /// A JSON string literal.
    pub fn json(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// One `[v]` JSON line per version.
    pub fn lines1(items: &[String]) -> Vec<String> {
        items.iter().map(|v| format!("[{}]", json(v))).collect()
    }

    /// One `[a, b]` JSON line per pair.
    pub fn lines2(pairs: &[(String, String)]) -> Vec<String> {
        pairs
            .iter()
            .map(|(a, b)| format!("[{},{}]", json(a), json(b)))
            .collect()
    }

    /// Runs a reference on JSON lines; one output line per input line.
    pub fn reference_lines(
        what: &str,
        program: &str,
        args: &[&str],
        lines: &[String],
    ) -> Option<Vec<String>> {
        let mut input = lines.join("\n");
        input.push('\n');
        let out = support::run_reference(what, program, args, &input)?;
        let out: Vec<String> = out.lines().map(str::to_owned).collect();
        assert_eq!(out.len(), lines.len(), "{what}: one answer per input line");
        Some(out)
    }

    /// Collected disagreements; panics listing the first few.
    pub struct Mismatches {
        what: String,
        items: Vec<String>,
    }

    impl Mismatches {
        pub fn new(what: impl Into<String>) -> Self {
            Mismatches {
                what: what.into(),
                items: Vec::new(),
            }
        }

        pub fn push(&mut self, item: String) {
            self.items.push(item);
        }

        pub fn assert_none(&self) {
            assert!(
                self.items.is_empty(),
                "{}: {} disagreements with the reference, first ones:\n{}",
                self.what,
                self.items.len(),
                self.items
                    .iter()
                    .take(25)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }

    /// Compares validity with the reference's `1`/`0` answers; returns the
    /// counts of valid and invalid inputs.
    pub fn check_validity(
        what: &str,
        inputs: &[String],
        reference: &[String],
        ours: impl Fn(&str) -> bool,
    ) -> (usize, usize) {
        let mut mismatches = Mismatches::new(what);
        let (mut valid, mut invalid) = (0, 0);
        for (input, r) in inputs.iter().zip(reference) {
            let theirs = r == "1";
            if ours(input) != theirs {
                mismatches.push(format!(
                    "{input:?}: reference says {}",
                    if theirs { "valid" } else { "invalid" }
                ));
            } else if theirs {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        mismatches.assert_none();
        (valid, invalid)
    }

    pub struct PairStats {
        pub compared: usize,
        pub skipped: usize,
        pub less: usize,
        pub equal: usize,
        pub greater: usize,
    }

    impl fmt::Display for PairStats {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "{} pairs agree ({} <, {} =, {} >), {} skipped",
                self.compared, self.less, self.equal, self.greater, self.skipped
            )
        }
    }

    /// Compares our orderings of `pairs` with the reference's `-1`/`0`/`1`
    /// answers (`skip`: the reference cannot judge that pair).
    pub fn check_pairs(
        what: &str,
        pairs: &[(String, String)],
        ours: &[Ordering],
        reference: &[String],
    ) -> PairStats {
        let mut mismatches = Mismatches::new(what);
        let mut stats = PairStats {
            compared: 0,
            skipped: 0,
            less: 0,
            equal: 0,
            greater: 0,
        };
        for (((a, b), &ord), r) in pairs.iter().zip(ours).zip(reference) {
            let theirs = match r.as_str() {
                "skip" => {
                    stats.skipped += 1;
                    continue;
                }
                "-1" => Ordering::Less,
                "0" => Ordering::Equal,
                "1" => Ordering::Greater,
                other => panic!("{what}: unexpected reference answer {other:?}"),
            };
            if ord != theirs {
                mismatches.push(format!(
                    "{a:?} vs {b:?}: ours {ord:?}, reference {theirs:?}"
                ));
                continue;
            }
            stats.compared += 1;
            match ord {
                Ordering::Less => stats.less += 1,
                Ordering::Equal => stats.equal += 1,
                Ordering::Greater => stats.greater += 1,
            }
        }
        mismatches.assert_none();
        stats
    }

    /// Dense ranks of `items` in ascending order (equal items share a rank).
    pub fn dense_ranks<T: Ord>(items: &[T]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| items[a].cmp(&items[b]));
        let mut ranks = vec![0; items.len()];
        let mut rank = 0;
        for (k, &i) in order.iter().enumerate() {
            if k > 0 && items[order[k - 1]] != items[i] {
                rank += 1;
            }
            ranks[i] = rank;
        }
        ranks
    }

    /// Compares our dense ranks with the reference's.
    pub fn check_ranks(what: &str, inputs: &[String], ours: &[usize], reference: &[String]) {
        let mut mismatches = Mismatches::new(what);
        let theirs: Vec<usize> = reference
            .iter()
            .map(|r| r.parse().expect("a rank"))
            .collect();
        // Report as pairs of neighbours in the reference's order.
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        order.sort_by_key(|&i| (theirs[i], ours[i]));
        for w in order.windows(2) {
            let (a, b) = (w[0], w[1]);
            let theirs_ord = theirs[a].cmp(&theirs[b]);
            let ours_ord = ours[a].cmp(&ours[b]);
            if theirs_ord != ours_ord {
                mismatches.push(format!(
                    "{:?} vs {:?}: ours {ours_ord:?}, reference {theirs_ord:?}",
                    inputs[a], inputs[b]
                ));
            }
        }
        mismatches.assert_none();
        assert_eq!(
            ours.iter().max(),
            theirs.iter().max(),
            "{what}: class count"
        );
    }

    /// Version strings in OSV JSON records (no serde here: a small parser).
    pub mod osv {
        use std::collections::{BTreeMap, BTreeSet};
        use std::path::{Path, PathBuf};

        /// Every version string of `ecosystem` in the OSV files under
        /// `dir`: range events (`introduced` other than "0", `fixed`,
        /// `last_affected`, `limit`) of `SEMVER` and `ECOSYSTEM` ranges and
        /// `versions` lists; each with where it was found.
        pub fn versions(dir: &Path, ecosystem: &str) -> BTreeMap<String, BTreeSet<String>> {
            let mut files = Vec::new();
            walk(dir, &mut files);
            let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for file in files {
                let name = file.display().to_string();
                assert!(
                    !(name.ends_with(".yaml") || name.ends_with(".yml")),
                    "{name}: YAML OSV files are not read by this test yet"
                );
                if !name.ends_with(".json") {
                    continue;
                }
                let text = std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("reading {name}: {e}"));
                let record = Json::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                let short = file
                    .file_name()
                    .map_or(name.clone(), |f| f.to_string_lossy().into_owned());
                let mut add = |v: &str, field: &str| {
                    found
                        .entry(v.to_owned())
                        .or_default()
                        .insert(format!("{short} {field}"));
                };
                for affected in record.get("affected").map(Json::items).unwrap_or_default() {
                    let eco = affected
                        .get("package")
                        .and_then(|p| p.get("ecosystem"))
                        .and_then(Json::str);
                    if eco != Some(ecosystem) {
                        continue;
                    }
                    for range in affected.get("ranges").map(Json::items).unwrap_or_default() {
                        let kind = range.get("type").and_then(Json::str);
                        if !matches!(kind, Some("SEMVER" | "ECOSYSTEM")) {
                            continue;
                        }
                        for event in range.get("events").map(Json::items).unwrap_or_default() {
                            for field in ["introduced", "fixed", "last_affected", "limit"] {
                                match event.get(field).and_then(Json::str) {
                                    Some("0") if field == "introduced" => {}
                                    Some(v) => add(v, field),
                                    None => {}
                                }
                            }
                        }
                    }
                    for v in affected
                        .get("versions")
                        .map(Json::items)
                        .unwrap_or_default()
                    {
                        if let Some(v) = v.str() {
                            add(v, "versions");
                        }
                    }
                }
            }
            found
        }

        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }

        /// A JSON value (what these tests need of it: strings, arrays, objects).
        #[derive(Debug)]
        pub enum Json {
            Null,
            Bool,
            Number,
            String(String),
            Array(Vec<Json>),
            Object(Vec<(String, Json)>),
        }

        impl Json {
            pub fn get(&self, key: &str) -> Option<&Json> {
                match self {
                    Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                    _ => None,
                }
            }

            pub fn items(&self) -> Vec<&Json> {
                match self {
                    Json::Array(items) => items.iter().collect(),
                    _ => Vec::new(),
                }
            }

            pub fn str(&self) -> Option<&str> {
                match self {
                    Json::String(s) => Some(s),
                    _ => None,
                }
            }

            pub fn parse(text: &str) -> Result<Json, String> {
                let mut p = Parser {
                    chars: text.chars().collect(),
                    at: 0,
                };
                let v = p.value()?;
                p.ws();
                if p.at != p.chars.len() {
                    return Err(format!("trailing characters at {}", p.at));
                }
                Ok(v)
            }
        }

        struct Parser {
            chars: Vec<char>,
            at: usize,
        }

        impl Parser {
            fn peek(&self) -> Option<char> {
                self.chars.get(self.at).copied()
            }

            fn next(&mut self) -> Result<char, String> {
                let c = self.peek().ok_or("unexpected end of JSON")?;
                self.at += 1;
                Ok(c)
            }

            fn ws(&mut self) {
                while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
                    self.at += 1;
                }
            }

            fn expect(&mut self, c: char) -> Result<(), String> {
                let got = self.next()?;
                if got == c {
                    Ok(())
                } else {
                    Err(format!("expected {c:?}, found {got:?} at {}", self.at))
                }
            }

            fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
                for c in word.chars() {
                    self.expect(c)?;
                }
                Ok(value)
            }

            fn value(&mut self) -> Result<Json, String> {
                self.ws();
                match self.peek().ok_or("unexpected end of JSON")? {
                    '{' => {
                        self.at += 1;
                        let mut members = Vec::new();
                        self.ws();
                        if self.peek() == Some('}') {
                            self.at += 1;
                            return Ok(Json::Object(members));
                        }
                        loop {
                            self.ws();
                            let key = self.string()?;
                            self.ws();
                            self.expect(':')?;
                            members.push((key, self.value()?));
                            self.ws();
                            match self.next()? {
                                ',' => {}
                                '}' => return Ok(Json::Object(members)),
                                c => return Err(format!("unexpected {c:?} in object")),
                            }
                        }
                    }
                    '[' => {
                        self.at += 1;
                        let mut items = Vec::new();
                        self.ws();
                        if self.peek() == Some(']') {
                            self.at += 1;
                            return Ok(Json::Array(items));
                        }
                        loop {
                            items.push(self.value()?);
                            self.ws();
                            match self.next()? {
                                ',' => {}
                                ']' => return Ok(Json::Array(items)),
                                c => return Err(format!("unexpected {c:?} in array")),
                            }
                        }
                    }
                    '"' => Ok(Json::String(self.string()?)),
                    't' => self.literal("true", Json::Bool),
                    'f' => self.literal("false", Json::Bool),
                    'n' => self.literal("null", Json::Null),
                    _ => {
                        let start = self.at;
                        while matches!(self.peek(), Some('0'..='9' | '-' | '+' | '.' | 'e' | 'E')) {
                            self.at += 1;
                        }
                        if start == self.at {
                            return Err(format!("unexpected character at {start}"));
                        }
                        Ok(Json::Number)
                    }
                }
            }

            fn hex4(&mut self) -> Result<u32, String> {
                let mut n = 0;
                for _ in 0..4 {
                    let d = self.next()?.to_digit(16).ok_or("bad \\u escape")?;
                    n = n * 16 + d;
                }
                Ok(n)
            }

            fn string(&mut self) -> Result<String, String> {
                self.expect('"')?;
                let mut s = String::new();
                loop {
                    match self.next()? {
                        '"' => return Ok(s),
                        '\\' => match self.next()? {
                            '"' => s.push('"'),
                            '\\' => s.push('\\'),
                            '/' => s.push('/'),
                            'b' => s.push('\u{8}'),
                            'f' => s.push('\u{c}'),
                            'n' => s.push('\n'),
                            'r' => s.push('\r'),
                            't' => s.push('\t'),
                            'u' => {
                                let hi = self.hex4()?;
                                let code = if (0xd800..0xdc00).contains(&hi) {
                                    self.expect('\\')?;
                                    self.expect('u')?;
                                    let lo = self.hex4()?;
                                    0x10000
                                        + ((hi - 0xd800) << 10)
                                        + (lo.wrapping_sub(0xdc00) & 0x3ff)
                                } else {
                                    hi
                                };
                                s.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            c => return Err(format!("bad escape \\{c}")),
                        },
                        c => s.push(c),
                    }
                }
            }
        }
    }
}
