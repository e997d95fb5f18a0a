//! RubyGems versions, as `Gem::Version` parses and orders them.
//!
//! Syntax (`Gem::Version.correct?`): optional ASCII white space around
//! `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`; a blank
//! string is version `0`.
//!
//! Order (`Gem::Version#<=>`): every `-` reads as `.pre.`; the version splits
//! into segments, maximal runs of digits (integers of any size) or of letters
//! (strings, case kept), so `1.0.0a2` is `1, 0, 0, "a", 2`. The canonical
//! segments drop trailing zeros from the numeric prefix and from the rest
//! separately (`1.0.a.0` is `1, "a"`). Canonical segments compare one by one,
//! a missing one counting as 0; a string sorts before a number, strings
//! compare bytewise, numbers numerically. A version with any letter (or `-`)
//! is a pre-release.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::semver::Num;
use crate::{ParseError, Scheme};

/// A parsed RubyGems version. Ordering, equality and hashing follow
/// `Gem::Version#<=>` (canonical segments); [`fmt::Display`] prints the input
/// as given.
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    /// Canonical segments; never ends with a zero.
    segments: Box<[Segment]>,
    prerelease: bool,
}

/// A segment; strings sort before numbers (variant order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Segment {
    Str(Box<str>),
    Num(Num),
}

static ZERO: Segment = Segment::Num(Num::Small(0));

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Num(Num::Small(0)))
    }
}

/// Ruby's `\s`.
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

impl Version {
    /// Parses a version that `Gem::Version.correct?` accepts.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        let body = s.trim_matches(is_ruby_space);
        if let Err(reason) = check_syntax(body) {
            return Err(ParseError::new(Scheme::RubyGems, s, reason));
        }
        Ok(Version {
            text: s.into(),
            segments: canonical_segments(body),
            prerelease: body.bytes().any(|b| b.is_ascii_alphabetic() || b == b'-'),
        })
    }

    /// Whether this is a pre-release (`Gem::Version#prerelease?`): it has a
    /// letter (`1.0.a`, `2.0.0.rc1`) or a `-` (read as `.pre.`).
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, or empty.
fn check_syntax(body: &str) -> Result<(), String> {
    if body.is_empty() {
        return Ok(());
    }
    let (release, pre) = match body.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (body, None),
    };
    let mut parts = release.split('.');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must start with a number".into());
    }
    for part in parts {
        if part.is_empty() {
            return Err("empty segment".into());
        }
        if let Some(c) = part.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(format!("invalid character {c:?}"));
        }
    }
    if let Some(pre) = pre {
        for part in pre.split('.') {
            if part.is_empty() {
                return Err("empty pre-release segment".into());
            }
            if let Some(c) = part
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
            {
                return Err(format!("invalid character {c:?} in pre-release"));
            }
        }
    }
    Ok(())
}

/// Segments of a syntactically valid body, then canonicalized.
fn canonical_segments(body: &str) -> Box<[Segment]> {
    let mut segments = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let run_end = |pred: fn(&u8) -> bool| {
            bytes
                .get(i..)
                .and_then(|rest| rest.iter().position(|c| !pred(c)))
                .map_or(bytes.len(), |n| i + n)
        };
        if b.is_ascii_digit() {
            let end = run_end(u8::is_ascii_digit);
            let digits = body.get(i..end).unwrap_or("0").trim_start_matches('0');
            segments.push(Segment::Num(if digits.is_empty() {
                Num::Small(0)
            } else {
                Num::from_digits(digits)
            }));
            i = end;
        } else if b.is_ascii_alphabetic() {
            let end = run_end(u8::is_ascii_alphabetic);
            segments.push(Segment::Str(body.get(i..end).unwrap_or_default().into()));
            i = end;
        } else {
            if b == b'-' {
                // `gsub("-", ".pre.")`
                segments.push(Segment::Str("pre".into()));
            }
            i += 1;
        }
    }

    let string_start = segments
        .iter()
        .position(|s| matches!(s, Segment::Str(_)))
        .unwrap_or(segments.len());
    let mut strings = segments.split_off(string_start);
    let mut numbers = segments;
    for part in [&mut numbers, &mut strings] {
        while part.last().is_some_and(Segment::is_zero) {
            part.pop();
        }
    }
    numbers.append(&mut strings);
    numbers.into_boxed_slice()
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.segments, &other.segments);
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).unwrap_or(&ZERO);
            let y = b.get(i).unwrap_or(&ZERO);
            match x.cmp(y) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        // Canonical segments never end with zero, so padded equality is
        // plain equality.
        self.segments == other.segments
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.segments.hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hash_of(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    // Mostly from rubygems' test/rubygems/test_gem_version.rb.

    #[test]
    fn correct() {
        for good in [
            "5.1",
            "1.0",
            "1.0.0",
            "1.0.a",
            "1.0.0.rc1",
            "1.0-alpha",
            "1-a-b",
            "1--",
            "  1.0  ",
            "",
            "   ",
            "\t",
            "1.0-a.-.b",
            "1.A",
            "0001",
            "1.0.0-beta.1-2",
            "2.9.b",
            "1.a2b3",
        ] {
            assert!(Version::parse(good).is_ok(), "{good:?} should parse");
        }
        for bad in [
            "junk",
            "1.0\n2.0",
            "1..2",
            "1.2\\ 3.4",
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
            ".1",
            "1.",
            "1.0-",
            "1.0+build",
            "v1.0",
            "-1",
            "1.0 beta",
            "a1",
            "1._",
            "1.é",
            "1.0-a..b",
            "1\u{a0}",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn equal() {
        for (a, b) in [
            ("1.2", "1.2"),
            ("1.2.b1", "1.2.b.1"),
            ("1.0", "1"),
            ("1.0.0", "1"),
            ("1.0.a", "1.a"),
            ("1.a.0", "1.a"),
            ("1.0.0.a.0.0", "1.a"),
            ("1-a", "1.pre.a"),
            ("", "0"),
            ("  ", "0.0"),
            ("01.002", "1.2"),
            (" 1.0 ", "1"),
        ] {
            assert_eq!(v(a), v(b), "{a} == {b}");
            assert_eq!(hash_of(&v(a)), hash_of(&v(b)), "{a} == {b}");
        }
    }

    #[test]
    fn less_than() {
        for (a, b) in [
            ("1.0.a", "1.0"),
            ("1.0.a", "1.0.b"),
            ("1.0.b1", "1.0"),
            ("1.a.0.b", "1.a"),
            ("1.2.3.a", "1.2.3"),
            ("1.2.3.a", "1.2.3.b"),
            ("1.2.3.a", "1.2.3.0.1"),
            ("1.8.2", "1.8.12"),
            ("1.0.0.rc1", "1.0.0"),
            ("1.0.0.beta", "1.0.0.rc"),
            ("1.0-alpha", "1.0"),
            ("1.0.a", "1.0-alpha"),
            ("1.0.A", "1.0.a"),
            ("9.9", "10"),
            ("1.99999999999999999999", "1.100000000000000000000"),
            ("1.18446744073709551615", "1.18446744073709551616"),
        ] {
            assert!(v(a) < v(b), "{a} < {b}");
            assert!(v(b) > v(a), "{b} > {a}");
        }
    }

    #[test]
    fn prerelease() {
        for (s, pre) in [
            ("1.2.0.a", true),
            ("1.2.0.rc1", true),
            ("2.9.b", true),
            ("22.1.50.0.d", true),
            ("1.2.d.42", true),
            ("1.A", true),
            ("1-1", true),
            ("1-a", true),
            ("1.2", false),
            ("1.2.3.4.5", false),
            ("", false),
        ] {
            assert_eq!(v(s).is_prerelease(), pre, "{s}");
        }
    }

    fn arb_gem() -> impl Strategy<Value = String> {
        let seg = prop_oneof![
            3 => (0u32..3).prop_map(|n| n.to_string()),
            1 => Just("00".to_string()),
            2 => "[aAb]{1,2}",
            1 => "[0-2][ab][0-2]?",
            1 => "[1-9][0-9]{19,20}",
        ];
        let release =
            ((0u32..3), proptest::collection::vec(seg, 0..4)).prop_map(|(first, rest)| {
                let mut s = first.to_string();
                for r in rest {
                    s.push('.');
                    s.push_str(&r);
                }
                s
            });
        let pre = proptest::option::of("[a0-][a0.-]{0,2}[a0-]");
        (release, pre).prop_map(|(r, p)| match p {
            Some(p) => format!("{r}-{p}"),
            None => r,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn total_order_consistent_with_eq(a in arb_gem(), b in arb_gem(), c in arb_gem()) {
            let (Ok(a), Ok(b), Ok(c)) = (Version::parse(&a), Version::parse(&b), Version::parse(&c)) else {
                return Ok(());
            };
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Version::parse(&s);
        }
    }
}
