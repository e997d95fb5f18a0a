//! NuGet versions, as `NuGet.Versioning.NuGetVersion` parses and orders them.
//!
//! Syntax (`NuGetVersion.TryParse`): after trimming surrounding whitespace,
//! `NUMBERS[-LABELS][+METADATA]`, where NUMBERS is one to four dot-separated
//! integers read as `System.Version` reads them (each 0 to 2147483647, leading
//! zeros allowed, ASCII whitespace allowed around each number), LABELS are
//! non-empty dot-separated `[0-9A-Za-z-]` identifiers without leading zeros
//! in all-digit ones, and METADATA the same with leading zeros allowed. No
//! `v` prefix.
//!
//! Order (`VersionComparer.Default`): the four numbers, missing ones being 0
//! (`1.0 == 1.0.0 == 1.0.0.0`); then a version with labels sorts before one
//! without; labels compare one by one, a label that `Int32.TryParse` reads
//! as a number (so `-1` too) before any other and numerically, others
//! case-insensitively (ordinal, upper-cased); more labels win when all shared
//! ones are equal. Metadata is ignored.

use std::cmp::Ordering;
use std::fmt;

use crate::{ParseError, Scheme};

/// A parsed NuGet version. Ordering, equality and hashing follow
/// `VersionComparer.Default`; [`fmt::Display`] prints the input as given.
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    key: Key,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    /// Major, minor, patch, revision (each at most `i32::MAX`).
    numbers: [u32; 4],
    /// Release labels; empty for a release.
    labels: Box<[Label]>,
}

/// A release label; numeric ones sort first (variant order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Label {
    Numeric(i32),
    /// Upper-cased: ordinal case-insensitive comparison.
    Alpha(Box<str>),
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.labels.cmp(&other.labels),
            }
        })
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Version {
    /// Parses a NuGet version as `NuGetVersion.TryParse` does.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        match parse_key(s) {
            Ok(key) => Ok(Version {
                text: s.into(),
                key,
            }),
            Err(reason) => Err(ParseError::new(Scheme::NuGet, s, reason)),
        }
    }

    /// Whether the version has release labels (`1.0.0-beta`).
    pub fn is_prerelease(&self) -> bool {
        !self.key.labels.is_empty()
    }

    /// Major, minor, patch and revision, missing ones being 0.
    pub fn numbers(&self) -> [u32; 4] {
        self.key.numbers
    }
}

fn parse_key(s: &str) -> Result<Key, String> {
    // `String.Trim()`: Unicode white space, as `char::is_whitespace`.
    let s = s.trim();
    if s.is_empty() {
        return Err("empty version".into());
    }
    // `ParseSections`: the numbers run to the first `-` or `+`, the labels to
    // the next `+`. A separator that ends the string stays attached to the
    // section before it, which then fails to parse.
    let (numbers, labels, metadata) = match s.find(['-', '+']) {
        None => (s, None, None),
        Some(i) if i + 1 == s.len() => {
            return Err("nothing after the final separator".into());
        }
        Some(i) => {
            let (numbers, rest) = (&s[..i], &s[i + 1..]);
            if s[i..].starts_with('+') {
                (numbers, None, Some(rest))
            } else {
                match rest.find('+') {
                    None => (numbers, Some(rest), None),
                    Some(j) if j + 1 == rest.len() => {
                        return Err("nothing after the build metadata separator".into());
                    }
                    Some(j) => (numbers, Some(&rest[..j]), Some(&rest[j + 1..])),
                }
            }
        }
    };

    let numbers = parse_numbers(numbers)?;

    let labels = match labels {
        None => Box::default(),
        Some(labels) => labels
            .split('.')
            .map(parse_label)
            .collect::<Result<Vec<_>, _>>()?
            .into_boxed_slice(),
    };

    if let Some(metadata) = metadata {
        for part in metadata.split('.') {
            check_part(part, "build metadata", true)?;
        }
    }

    Ok(Key { numbers, labels })
}

/// `System.Version.TryParse` on the numeric section, with `.0` appended when
/// it has no dot (NuGet accepts a lone major).
fn parse_numbers(section: &str) -> Result<[u32; 4], String> {
    let mut numbers = [0u32; 4];
    for (count, component) in section.split('.').enumerate() {
        let slot = numbers
            .get_mut(count)
            .ok_or("more than four numeric parts")?;
        *slot = parse_component(component)?;
    }
    Ok(numbers)
}

/// `int.TryParse(component, NumberStyles.Integer, InvariantCulture)` for a
/// non-negative value: ASCII white space around ASCII digits (a sign cannot
/// occur, `-` and `+` having split the string already), and, as .NET allows,
/// trailing NUL characters.
fn parse_component(component: &str) -> Result<u32, String> {
    let is_white = |c: char| matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ');
    let trimmed = component
        .trim_end_matches('\0')
        .trim_start_matches(is_white)
        .trim_end_matches(is_white);
    if trimmed.is_empty() {
        return Err(format!("empty numeric part {component:?}"));
    }
    if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("numeric part {component:?} is not a number"));
    }
    match trimmed.parse::<u32>() {
        Ok(n) if n <= i32::MAX as u32 => Ok(n),
        _ => Err(format!(
            "numeric part {component:?} is larger than 2147483647"
        )),
    }
}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]`, and (for labels) no leading
/// zero in an all-digit part.
fn check_part(part: &str, what: &str, allow_leading_zeros: bool) -> Result<(), String> {
    if part.is_empty() {
        return Err(format!("empty {what} part"));
    }
    if let Some(c) = part
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!("invalid character {c:?} in {what} {part:?}"));
    }
    if !allow_leading_zeros
        && part.len() > 1
        && part.starts_with('0')
        && part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("leading zero in numeric {what} {part:?}"));
    }
    Ok(())
}

fn parse_label(label: &str) -> Result<Label, String> {
    check_part(label, "release label", false)?;
    // `Int32.TryParse(label)`: an optional `-` sign and digits, in range.
    let digits = label.strip_prefix('-').unwrap_or(label);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = label.parse::<i32>() {
            return Ok(Label::Numeric(n));
        }
    }
    Ok(Label::Alpha(label.to_ascii_uppercase().into()))
}

crate::key_ordering!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hash_of(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    // Cases below are from NuGet.Client's
    // test/NuGet.Core.Tests/NuGet.Versioning.Test (NuGetVersionTest,
    // VersionParsingTests, VersionComparerTests).

    #[test]
    fn invalid_versions() {
        for bad in [
            "",
            "         ",
            "1beta",
            "$version$",
            "1.2Av^c",
            "1.2..",
            "1.2.3.4.5",
            "1.2.3.Beta",
            "1.2.3.4This version is full of awesomeness!!",
            "So.is.this",
            "1.34.2Alpha",
            "1.34.2Release Candidate",
            "1.4.7-",
            "1.4.7-*",
            "1.4.7+*",
            "1.4.7-AA.01^",
            "1.4.7-AA.0A^",
            "1.4.7-A^A",
            "1.4.7+AA.01^",
            "1.2147483648",
            "1.1.2147483648",
            "1.1.1.2147483648",
            "1.1.1.1.2147483648",
            "10000000000000000000",
            "1.10000000000000000000",
            "1.1.10000000000000000000",
            "1.1.1.1.10000000000000000000",
            "1..2",
            "....",
            "..1",
            "-1.1.1.1",
            "1.-1.1.1",
            "1.1.-1.1",
            "1.1.1.-1",
            "1.",
            "1.1.",
            "1.1.1.",
            "1.1.1.1.",
            "1.1.1.1.1.",
            "1     1.1.1.1",
            "1.1     1.1.1",
            "1.1.1     1.1",
            "1.1.1.1     1",
            " .1.1.1",
            "1. .1.1",
            "1.1. .1",
            "1.1.1. ",
            "1 .",
            "1.1 .",
            "1.1.1 .",
            "1.1.1.1 .",
            "2147483648.2.3.4",
            "1.2147483648.3.4",
            "1.2.2147483648.4",
            "1.2.3.2147483648",
            "..1.2",
            "-1.2.3.4",
            "1.-2.3.4",
            "1.2.-3.4",
            "1.2.3.-4",
            "   1 9",
            "   19.   1 9",
            "   19.   19.   1 9",
            "   19.   19.   19.   1 9",
            "1 9   ",
            "19   .1 9   ",
            "19   .19   .1 9   ",
            "19   .19   .19   .1 9   ",
            "   1 9   ",
            "   19   .   1 9   ",
            "   19   .   19   .   1 9   ",
            "   19   .   19   .   19   .   1 9   ",
            // And a few of our own.
            "v1.0.0",
            "1.0.0-a..b",
            "1.0.0+",
            "1.0.0-beta+",
            "1.0.0-+meta",
            "1.0.0+a..b",
            "1.0.0+a+b",
            "1.0.0-01",
            "1.0.0-a_b",
            "1.0.0-é",
            "١.0.0",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn valid_version_patterns() {
        for (s, numbers) in [
            ("   19", [19, 0, 0, 0]),
            ("   19.   19", [19, 19, 0, 0]),
            ("   19.   19.   19", [19, 19, 19, 0]),
            ("   19.   19.   19.   19", [19, 19, 19, 19]),
            ("19   ", [19, 0, 0, 0]),
            ("19   .19   ", [19, 19, 0, 0]),
            ("19   .19   .19   ", [19, 19, 19, 0]),
            ("19   .19   .19   .19   ", [19, 19, 19, 19]),
            ("   19   ", [19, 0, 0, 0]),
            ("   19   .   19   ", [19, 19, 0, 0]),
            ("   19   .   19   .   19   ", [19, 19, 19, 0]),
            ("   19   .   19   .   19   .   19   ", [19, 19, 19, 19]),
            ("01.1.1.1", [1, 1, 1, 1]),
            ("1.01.1.1", [1, 1, 1, 1]),
            ("1.1.01.1", [1, 1, 1, 1]),
            ("1.1.1.01", [1, 1, 1, 1]),
            ("2147483647.1.1.1", [2147483647, 1, 1, 1]),
            ("1.2147483647.1.1", [1, 2147483647, 1, 1]),
            ("1.1.2147483647.1", [1, 1, 2147483647, 1]),
            ("1.1.1.2147483647", [1, 1, 1, 2147483647]),
            ("1.022", [1, 22, 0, 0]),
            ("23.2.3", [23, 2, 3, 0]),
            ("1.3.42.10133", [1, 3, 42, 10133]),
            ("1.3.42.200930-RC-2", [1, 3, 42, 200930]),
            ("  1.022-Beta", [1, 22, 0, 0]),
            ("23.2.3-Alpha  ", [23, 2, 3, 0]),
            ("2", [2, 0, 0, 0]),
            ("1.0.0009.01-1.1+A", [1, 0, 9, 1]),
            ("234.234234.1111", [234, 234234, 1111, 0]),
        ] {
            assert_eq!(v(s).numbers(), numbers, "{s:?}");
        }
        for good in [
            "1.2.3-X.y.3+Meta-2",
            "1.2.3-X.yZ.3.234.243.3242342+METADATA",
            "1.2.3-X.y3+0",
            "1.2.3+0",
            "1.2.3-0",
            "3.4.0.3-RC-3",
            "1.0.0-beta.x.y.5.79.0+aa",
            "1.0.0-RC.X.35.A.3455+Meta-A-B-C",
            "1.3.2-CTP-2-Refresh-Alpha",
            "1.0.0+001",
            "1.0.0--",
        ] {
            assert!(Version::parse(good).is_ok(), "{good:?} should parse");
        }
        assert!(v("1.0.0-Beta").is_prerelease());
        assert!(!v("1.0.0+Metadata").is_prerelease());
    }

    #[test]
    fn less_than() {
        for (a, b) in [
            ("1.0", "1.0.1"),
            ("1.23", "1.231"),
            ("1.4.5.6", "1.45.6"),
            ("1.4.5.6", "1.4.5.60"),
            ("1.01", "1.10"),
            ("1.01-alpha", "1.10-beta"),
            ("1.01.0-RC-1", "1.10.0-rc-2"),
            ("1.01-RC-1", "1.01"),
            ("1.01", "1.2-preview"),
            ("1.0.0-alpha", "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", "1.0.0-beta"),
            ("1.0.0-beta", "1.0.0-beta.2"),
            ("1.0.0-beta.2", "1.0.0-beta.11"),
            ("1.0.0-beta.11", "1.0.0-rc.1"),
            ("1.0.0-rc.1", "1.0.0"),
            ("1.0.0", "1.0.0.1"),
            ("1.0.0.1-a", "1.0.0.1"),
            ("1.0.0-a", "1.0.0-B"),
            ("1.0.0-2147483647", "1.0.0-a"),
            ("1.0.0--1", "1.0.0-0"),
        ] {
            assert!(v(a) < v(b), "{a} < {b}");
            assert!(v(b) > v(a), "{b} > {a}");
        }
    }

    #[test]
    fn equal() {
        for (a, b) in [
            ("1.0", "1.0.0.0"),
            ("1.23.01", "1.23.1"),
            ("1.45.6", "1.45.6.0"),
            ("1.45.6-Alpha", "1.45.6-Alpha"),
            ("1.6.2-BeTa", "1.6.02-beta"),
            ("22.3.07     ", "22.3.07"),
            ("1.0", "1.0.0.0+beta"),
            ("1.0.0.0+beta.2", "1.0.0.0+beta.1"),
            ("1", "1.0.0"),
            ("1.0.0-RC.X", "1.0.0-rc.x"),
            ("1.0.0--0", "1.0.0-0"),
        ] {
            assert_eq!(v(a), v(b), "{a} == {b}");
            assert_eq!(hash_of(&v(a)), hash_of(&v(b)), "{a} == {b}");
        }
        assert_eq!(v(" 1.0-A ").to_string(), " 1.0-A ");
    }

    #[test]
    fn int32_label_quirks() {
        // Beyond Int32 an all-digit label is compared as text, after numbers.
        assert!(v("1.0.0-5") < v("1.0.0-2147483648"));
        assert!(v("1.0.0-9999999999") > v("1.0.0-10000000000"));
        assert!(v("1.0.0-2147483648") < v("1.0.0-A"));
        assert!(v("1.0.0--2147483648") < v("1.0.0--1"));
    }

    fn arb_nuget() -> impl Strategy<Value = String> {
        let num =
            prop_oneof![5 => (0u32..3).prop_map(|n| n.to_string()), 1 => Just("01".to_string())];
        let numbers = proptest::collection::vec(num, 1..5).prop_map(|v| v.join("."));
        let label = prop_oneof![
            (0u32..3).prop_map(|n| n.to_string()),
            Just("-1".to_string()),
            Just("2147483648".to_string()),
            "[a-bA-B-]{1,2}",
        ];
        let labels = proptest::collection::vec(label, 0..3);
        let meta = proptest::option::of("[a-z0-9]{1,2}");
        (numbers, labels, meta).prop_map(|(n, l, m)| {
            let mut s = n;
            if !l.is_empty() {
                s.push('-');
                s.push_str(&l.join("."));
            }
            if let Some(m) = m {
                s.push('+');
                s.push_str(&m);
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn total_order_consistent_with_eq(a in arb_nuget(), b in arb_nuget(), c in arb_nuget()) {
            let (a, b, c) = (v(&a), v(&b), v(&c));
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
