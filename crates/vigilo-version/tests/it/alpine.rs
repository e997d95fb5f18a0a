//! Tests for Alpine (apk) versions. No apk binary installs on Debian, so there
//! is no live reference: the references are apk-tools' own test vectors
//! (`tests/reference/alpine_version.data`, with attribution there), an
//! independent restatement of apk's version grammar, and properties that
//! follow from apk's documented rules.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use proptest::prelude::*;
use vigilo_version::alpine::Version;

use crate::support;

fn v(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

enum Line<'a> {
    Cmp(&'a str, Ordering, &'a str),
    Valid(&'a str),
    Invalid(&'a str),
}

fn data_lines(text: &str) -> Vec<(usize, Line<'_>)> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_end();
        if line.trim().is_empty() && !line.starts_with('!') {
            continue;
        }
        let parsed = if let Some(s) = line.strip_prefix('!') {
            Line::Invalid(s)
        } else if let Some(s) = line.strip_prefix('+') {
            Line::Valid(s)
        } else {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [a, op, b] = f[..] else {
                panic!("alpine_version.data:{}: bad line {raw:?}", n + 1);
            };
            let op = match op {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                _ => panic!("alpine_version.data:{}: bad operator {op:?}", n + 1),
            };
            Line::Cmp(a, op, b)
        };
        out.push((n + 1, parsed));
    }
    out
}

fn data() -> String {
    std::fs::read_to_string(support::reference_file("alpine_version.data"))
        .expect("reading alpine_version.data")
}

#[test]
fn apk_test_vectors() {
    let text = data();
    let lines = data_lines(&text);
    let mut failures = Vec::new();
    let (mut cmps, mut validity) = (0, 0);
    for (n, line) in &lines {
        match line {
            Line::Cmp(a, want, b) => {
                cmps += 1;
                let (a, b) = (v(a), v(b));
                if a.cmp(&b) != *want || b.cmp(&a) != want.reverse() {
                    failures.push(format!("line {n}: {a} {want:?} {b}, got {:?}", a.cmp(&b)));
                }
                if (a == b) != (*want == Ordering::Equal) {
                    failures.push(format!("line {n}: == disagrees with cmp"));
                }
            }
            Line::Valid(s) => {
                validity += 1;
                if let Err(e) = Version::parse(s) {
                    failures.push(format!("line {n}: {s:?} should be valid: {e}"));
                }
            }
            Line::Invalid(s) => {
                validity += 1;
                if Version::parse(s).is_ok() {
                    failures.push(format!("line {n}: {s:?} should be invalid"));
                }
            }
        }
    }
    assert!(cmps > 600, "only {cmps} comparisons read");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    note(&format!(
        "alpine vectors: {cmps} comparisons and {validity} validity cases agree"
    ));
}

/// Sorting every version of the vector file gives an order that satisfies
/// every comparison stated there.
#[test]
fn sort_satisfies_vectors() {
    let text = data();
    let lines = data_lines(&text);
    let mut all = BTreeSet::new();
    for (_, line) in &lines {
        if let Line::Cmp(a, _, b) = line {
            all.insert(*a);
            all.insert(*b);
        }
    }
    let mut sorted: Vec<Version> = all.iter().map(|s| v(s)).collect();
    sorted.sort();
    // Rank of each string: equal versions share one.
    let mut rank = std::collections::BTreeMap::new();
    let mut r = 0usize;
    for (i, x) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1] != *x {
            r += 1;
        }
        rank.insert(x.to_string(), r);
    }
    for (n, line) in &lines {
        if let Line::Cmp(a, want, b) = line {
            assert_eq!(
                rank[*a].cmp(&rank[*b]),
                *want,
                "line {n}: {a} vs {b} in sort"
            );
        }
    }
    note(&format!("alpine sort: {} versions", sorted.len()));
}

/// apk's grammar, `digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}`,
/// restated as a plain matcher independent of the parser.
fn grammar_accepts(s: &str) -> bool {
    fn digits(s: &str) -> usize {
        s.bytes().take_while(u8::is_ascii_digit).count()
    }
    let mut rest = s;
    // -r# at the very end
    if let Some(i) = rest.rfind("-r") {
        let rev = &rest[i + 2..];
        if !rev.is_empty() && digits(rev) == rev.len() {
            rest = &rest[..i];
        }
    }
    // ~hash
    if let Some(i) = rest.rfind('~') {
        let h = &rest[i + 1..];
        if h.is_empty() || !h.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return false;
        }
        rest = &rest[..i];
    }
    // {_suf{#}}...
    let mut parts = rest.split('_');
    let head = parts.next().unwrap_or("");
    for p in parts {
        let name = p.trim_end_matches(|c: char| c.is_ascii_digit());
        if !["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"].contains(&name) {
            return false;
        }
    }
    // digit{.digit}...{letter}
    let head = match head.as_bytes().last() {
        Some(c) if c.is_ascii_lowercase() => &head[..head.len() - 1],
        _ => head,
    };
    !head.is_empty()
        && head
            .split('.')
            .all(|n| !n.is_empty() && digits(n) == n.len())
}

/// Versions built along apk's grammar, then often damaged by inserting a
/// random token somewhere, plus plain random token soup.
fn near_valid() -> impl Strategy<Value = String> {
    let tok = || {
        prop::sample::select(vec![
            "0", "1", "01", "12", ".", ".0", ".1", ".10", ".007", "a", "b", "z", "A", "_alpha",
            "_beta", "_pre", "_rc", "_cvs", "_svn", "_git", "_hg", "_p", "_", "_foo", "_pr", "~",
            "~0", "~ab", "~g", "-", "-r", "-r0", "-r1", "-r10", "-1", "+", " ",
        ])
    };
    let structured = (
        "[0-9]{1,3}",
        prop::collection::vec("\\.[0-9]{1,3}", 0..3),
        prop::option::of("[a-z]"),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p",
                ]),
                prop::option::of(0u32..100),
            ),
            0..3,
        ),
        prop::option::of("[0-9a-f]{1,4}"),
        prop::option::of(0u32..20),
        prop::option::of((any::<prop::sample::Index>(), tok())),
    )
        .prop_map(|(first, dots, letter, suffixes, hash, rev, damage)| {
            let mut s = first + &dots.concat() + &letter.unwrap_or_default();
            for (name, n) in suffixes {
                s += &format!("_{name}{}", n.map(|n| n.to_string()).unwrap_or_default());
            }
            if let Some(h) = hash {
                s += &format!("~{h}");
            }
            if let Some(r) = rev {
                s += &format!("-r{r}");
            }
            if let Some((at, t)) = damage {
                let i = at.index(s.len() + 1);
                s.insert_str(i, t);
            }
            s
        });
    prop_oneof![
        3 => structured,
        1 => prop::collection::vec(tok(), 1..8).prop_map(|t| t.concat()),
    ]
}

/// A valid version without suffix, hash or revision: `N{.N}[letter]`.
fn base() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0u32..30, 1..4),
        prop::option::of(prop::sample::select(vec!["a", "b", "z"])),
    )
        .prop_map(|(nums, letter)| {
            let mut s = nums
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(".");
            s.push_str(letter.unwrap_or(""));
            s
        })
}

proptest! {
    #![proptest_config(support::proptest_config(3000))]

    #[test]
    fn validity_matches_grammar(s in near_valid()) {
        prop_assert_eq!(Version::parse(&s).is_ok(), grammar_accepts(&s), "{:?}", s);
    }

    #[test]
    fn suffix_and_revision_rules(
        b in base(),
        n in 0u32..20,
        pre in prop::sample::select(vec!["alpha", "beta", "pre", "rc"]),
        post in prop::sample::select(vec!["cvs", "svn", "git", "hg", "p"]),
    ) {
        let base = v(&b);
        let pre_v = v(&format!("{b}_{pre}{n}"));
        let rev = v(&format!("{b}-r{n}"));
        let hash = v(&format!("{b}~{n:x}"));
        let post_v = v(&format!("{b}_{post}{n}"));
        prop_assert!(pre_v < base);
        prop_assert!(base < rev);
        prop_assert!(rev < hash);
        prop_assert!(hash < post_v);
        if !b.ends_with(char::is_alphabetic) {
            let (letter_a, letter_z) = (v(&format!("{b}a")), v(&format!("{b}z")));
            let dot = v(&format!("{b}.0"));
            prop_assert!(post_v < letter_a);
            prop_assert!(letter_z < dot);
        }
        // Revisions and suffix numbers compare numerically.
        prop_assert_eq!(
            v(&format!("{b}-r{n}")).cmp(&v(&format!("{b}-r{}", n + 1))),
            Ordering::Less
        );
        prop_assert_eq!(v(&format!("{b}_{post}{n}")), v(&format!("{b}_{post}0{n}")));
    }

    #[test]
    fn dot_numbers(a in 1u64..u64::MAX, b in 1u64..u64::MAX, z in 1usize..3) {
        // Without leading zeros: numeric; with one: as strings.
        prop_assert_eq!(v(&format!("1.{a}")).cmp(&v(&format!("1.{b}"))), a.cmp(&b));
        let (za, zb) = (format!("{}{a}", "0".repeat(z)), format!("0{b}"));
        prop_assert_eq!(
            v(&format!("1.{za}")).cmp(&v(&format!("1.{zb}"))),
            za.as_str().cmp(zb.as_str())
        );
        // The first number is numeric even with leading zeros.
        prop_assert_eq!(v(&format!("{za}.1")).cmp(&v(&format!("{b}.1"))), a.cmp(&b));
    }
}

#[test]
fn osv_corpus_parses() {
    let Some(data) = support::shared_data() else {
        note("alpine corpus: no shared data, skipped");
        return;
    };
    let script = support::reference_file("rpm_osv_versions.py");
    let osv = data.join("osv");
    let args = [
        script.to_str().expect("UTF-8 path"),
        osv.to_str().expect("UTF-8 path"),
        "Alpine",
    ];
    let Some(out) = support::run_reference(
        "OSV extractor (python3-yaml)",
        "/usr/bin/python3",
        &args,
        "",
    ) else {
        return;
    };
    let mut versions = BTreeSet::new();
    let mut failures = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let [_, event, version, file] = f[..] else {
            panic!("bad extractor line {line:?}");
        };
        if event == "introduced" && version == "0" {
            continue;
        }
        match Version::parse(version) {
            Ok(x) => {
                versions.insert(x);
            }
            Err(e) => failures.push(format!("{file}: {event} {version:?}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "Alpine OSV versions that do not parse:\n{}",
        failures.join("\n")
    );
    note(&format!(
        "alpine corpus: {} distinct versions parse (no apk to compare the order with)",
        versions.len()
    ));
}

#[allow(clippy::print_stderr)]
fn note(msg: &str) {
    eprintln!("{msg}");
}
