//! Semantic Versioning 2.0.0: crates.io (strict), npm (as node-semver reads
//! it) and, through [`crate::go`], Go module versions.
//!
//! Precedence follows the specification (§11): major, minor and patch
//! compare numerically; a pre-release sorts before its release; pre-release
//! identifiers compare one by one, numeric ones numerically and below
//! alphanumeric ones, alphanumeric ones in ASCII order, and a longer list wins
//! when all shared identifiers are equal. Build metadata is ignored, so
//! `1.0.0+a == 1.0.0+b`.
//!
//! Numbers of any size are kept exactly (digit strings beyond `u64`), as the
//! specification sets no limit; [`Version::parse_npm`] follows node-semver
//! instead, which rejects a major, minor or patch above
//! `Number.MAX_SAFE_INTEGER` and compares numeric pre-release identifiers as
//! JavaScript numbers (so identifiers above 2^53 that round to the same
//! double are equal there, and here).

use std::cmp::Ordering;
use std::fmt;

use crate::{ParseError, Scheme};

/// A parsed SemVer version. Ordering, equality and hashing follow SemVer
/// precedence (build metadata ignored); [`fmt::Display`] prints the input as
/// given.
#[derive(Debug, Clone)]
pub struct Version {
    text: Box<str>,
    key: Key,
    has_build: bool,
}

/// The normalized precedence key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    major: Num,
    minor: Num,
    patch: Num,
    /// Empty for a release.
    pre: Box<[Ident]>,
}

/// A non-negative integer of any size: `Small` whenever it fits in a `u64`,
/// otherwise its decimal digits without leading zeros (so `Big` is always
/// larger). Shared with [`crate::rubygems`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    Small(u64),
    Big(Box<str>),
}

/// A pre-release identifier; numeric ones sort first (variant order).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Ident {
    Numeric(Num),
    Alpha(Box<str>),
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Num::Small(a), Num::Small(b)) => a.cmp(b),
            (Num::Small(_), Num::Big(_)) => Ordering::Less,
            (Num::Big(_), Num::Small(_)) => Ordering::Greater,
            (Num::Big(a), Num::Big(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Num {
    /// From ASCII digits without leading zeros (or a lone `0`).
    pub(crate) fn from_digits(digits: &str) -> Num {
        match digits.parse::<u64>() {
            Ok(n) => Num::Small(n),
            Err(_) => Num::Big(digits.into()),
        }
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then_with(|| self.minor.cmp(&other.minor))
            .then_with(|| self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Slice order: identifier by identifier, then the longer wins.
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Which dialect a version string is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// The SemVer 2.0.0 grammar exactly; numbers of any size.
    Strict,
    /// node-semver's `new SemVer(v)` without `loose`.
    Npm,
    /// Go (`crate::go`): the strict grammar once the `v` and the short forms
    /// are dealt with; numbers of any size.
    Go,
}

impl Dialect {
    fn scheme(self) -> Scheme {
        match self {
            Dialect::Strict => Scheme::SemVer,
            Dialect::Npm => Scheme::Npm,
            Dialect::Go => Scheme::Go,
        }
    }
}

/// node-semver's `MAX_LENGTH`, in UTF-16 code units of the untrimmed input.
const NPM_MAX_LENGTH: usize = 256;
/// `Number.MAX_SAFE_INTEGER`.
const JS_MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Whitespace as JavaScript's `String.prototype.trim` removes it
/// (WhiteSpace and LineTerminator: U+FEFF yes, U+0085 no); node-semver's
/// `WHITESPACE_CHARACTERS`.
const JS_WHITESPACE: [char; 25] = [
    '\t', '\n', '\u{b}', '\u{c}', '\r', ' ', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}',
    '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}',
    '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}', '\u{feff}',
];

impl Version {
    /// Parses a strict SemVer 2.0.0 version (crates.io): no `v` prefix, no
    /// surrounding whitespace, no leading zeros in numeric parts.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        if s.starts_with(['v', 'V', '=']) {
            return Err(ParseError::new(
                Scheme::SemVer,
                s,
                "a SemVer version has no prefix (`v` or `=`)",
            ));
        }
        Self::parse_dialect(s, s, Dialect::Strict)
    }

    /// Parses a version as node-semver's `semver.valid(v)` (non-loose)
    /// accepts it: surrounding whitespace and one leading `v` allowed (not
    /// `=`, which only loose mode and ranges accept), at most 256 characters,
    /// major/minor/patch at most `Number.MAX_SAFE_INTEGER`.
    pub fn parse_npm(s: &str) -> Result<Version, ParseError> {
        let err = |reason: &str| ParseError::new(Scheme::Npm, s, reason);
        if s.chars().map(char::len_utf16).sum::<usize>() > NPM_MAX_LENGTH {
            return Err(err("longer than 256 characters"));
        }
        let body = s.trim_matches(JS_WHITESPACE);
        if body.starts_with('=') {
            return Err(err(
                "a leading `=` is accepted only by node-semver's loose mode and in ranges",
            ));
        }
        let body = body.strip_prefix('v').unwrap_or(body);
        Self::parse_dialect(s, body, Dialect::Npm)
    }

    /// Parses `body` (the version proper, prefixes removed) and keeps `text`
    /// as the displayed form.
    pub(crate) fn parse_dialect(
        text: &str,
        body: &str,
        dialect: Dialect,
    ) -> Result<Version, ParseError> {
        match parse_body(body, dialect) {
            Ok((key, has_build)) => Ok(Version {
                text: text.into(),
                key,
                has_build,
            }),
            Err(reason) => Err(ParseError::new(dialect.scheme(), text, reason)),
        }
    }

    /// Whether the version has a pre-release part (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.key.pre.is_empty()
    }

    /// Whether the version carries build metadata (`1.0.0+build`).
    pub fn has_build_metadata(&self) -> bool {
        self.has_build
    }

    /// The major version, when it fits in a `u64`.
    pub fn major(&self) -> Option<u64> {
        match self.key.major {
            Num::Small(n) => Some(n),
            Num::Big(_) => None,
        }
    }
}

/// Parses `MAJOR.MINOR.PATCH[-PRE][+BUILD]`; returns the key and whether
/// build metadata was present.
fn parse_body(s: &str, dialect: Dialect) -> Result<(Key, bool), String> {
    if s.is_empty() {
        return Err("empty version".into());
    }
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };

    let mut parts = core.split('.');
    let mut number = |what: &str| -> Result<Num, String> {
        let part = parts
            .next()
            .ok_or_else(|| format!("missing {what} version (expected MAJOR.MINOR.PATCH)"))?;
        numeric_part(part, what, dialect)
    };
    let major = number("major")?;
    let minor = number("minor")?;
    let patch = number("patch")?;
    if parts.next().is_some() {
        return Err("more than three numeric parts (expected MAJOR.MINOR.PATCH)".into());
    }

    let pre = match pre {
        None => Box::default(),
        Some(pre) => pre
            .split('.')
            .map(|id| prerelease_identifier(id, dialect))
            .collect::<Result<Vec<_>, _>>()?
            .into_boxed_slice(),
    };

    if let Some(build) = build {
        for id in build.split('.') {
            if id.is_empty() {
                return Err("empty build metadata identifier".into());
            }
            if let Some(c) = id.chars().find(|c| !is_ident_char(*c)) {
                return Err(format!("invalid character {c:?} in build metadata {id:?}"));
            }
        }
    }

    Ok((
        Key {
            major,
            minor,
            patch,
            pre,
        },
        build.is_some(),
    ))
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// A major, minor or patch number.
fn numeric_part(part: &str, what: &str, dialect: Dialect) -> Result<Num, String> {
    if part.is_empty() {
        return Err(format!("empty {what} version"));
    }
    if let Some(c) = part.chars().find(|c| !c.is_ascii_digit()) {
        return Err(format!(
            "invalid character {c:?} in {what} version {part:?}"
        ));
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(format!("leading zero in {what} version {part:?}"));
    }
    let n = Num::from_digits(part);
    if dialect == Dialect::Npm {
        match n {
            Num::Small(v) if v <= JS_MAX_SAFE_INTEGER => {}
            _ => {
                return Err(format!(
                    "{what} version {part} is larger than Number.MAX_SAFE_INTEGER"
                ));
            }
        }
    }
    Ok(n)
}

fn prerelease_identifier(id: &str, dialect: Dialect) -> Result<Ident, String> {
    if id.is_empty() {
        return Err("empty pre-release identifier".into());
    }
    if let Some(c) = id.chars().find(|c| !is_ident_char(*c)) {
        return Err(format!(
            "invalid character {c:?} in pre-release identifier {id:?}"
        ));
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Ident::Alpha(id.into()));
    }
    if id.len() > 1 && id.starts_with('0') {
        return Err(format!(
            "leading zero in numeric pre-release identifier {id:?}"
        ));
    }
    if dialect == Dialect::Npm && id.len() >= 16 {
        // node-semver compares numeric identifiers as JavaScript numbers
        // (doubles): above 2^53 the identifier stands for its nearest double.
        if let Ok(f) = id.parse::<f64>() {
            return Ok(Ident::Numeric(Num::from_digits(&format!("{f:.0}"))));
        }
    }
    Ok(Ident::Numeric(Num::from_digits(id)))
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

    fn npm(s: &str) -> Version {
        Version::parse_npm(s).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hash_of(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn spec_precedence_example() {
        // SemVer 2.0.0 §11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert_eq!(v("1.0.0+a"), v("1.0.0+b.2"));
        assert_eq!(v("1.0.0-rc.1+x"), v("1.0.0-rc.1"));
        assert_eq!(hash_of(&v("1.0.0+a")), hash_of(&v("1.0.0")));
        assert!(v("1.0.0+zzz").has_build_metadata());
        assert_eq!(v("1.0.0+001").to_string(), "1.0.0+001");
    }

    #[test]
    fn identifiers() {
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(v("1.0.0-10") < v("1.0.0-1a"));
        assert!(v("1.0.0-Z") < v("1.0.0-a"));
        assert!(v("1.0.0--") < v("1.0.0-0a"));
        assert!(v("1.0.0-a") < v("1.0.0-a.0"));
        assert!(v("1.0.0-0") < v("1.0.0"));
        assert!(v("1.0.0-rc.1").is_prerelease());
        assert!(!v("1.0.0+rc.1").is_prerelease());
    }

    #[test]
    fn big_numbers_compare_as_integers() {
        let big = "18446744073709551616"; // u64::MAX + 1
        assert!(v("18446744073709551615.0.0") < v(&format!("{big}.0.0")));
        assert!(v(&format!("{big}.0.0")) < v("100000000000000000000.0.0"));
        assert!(v("1.0.0-99999999999999999999") < v("1.0.0-100000000000000000000"));
        assert!(v("1.0.0-100000000000000000000") < v("1.0.0-a"));
        assert_eq!(v(&format!("1.{big}.0")), v(&format!("1.{big}.0+b")));
        assert_eq!(v(&format!("{big}.0.0")).major(), None);
    }

    #[test]
    fn strict_rejects() {
        for bad in [
            "",
            "1",
            "1.0",
            "1.0.0.0",
            "v1.0.0",
            "=1.0.0",
            " 1.0.0",
            "1.0.0 ",
            "01.0.0",
            "1.00.0",
            "1.0.01",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-01",
            "1.0.0-a..b",
            "1.0.0-a.",
            "1.0.0+a..b",
            "1.0.0-a_b",
            "1.0.0+a+b",
            "1.0.0-é",
            "1.a.0",
            "-1.0.0",
            "+1.0.0",
            "1.0.0-+a",
            "1..0",
            ".1.0.0",
            "1.0.0.",
            "1.0.0\n",
        ] {
            assert!(Version::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        let e = Version::parse("1.0").unwrap_err();
        assert_eq!(e.scheme, Scheme::SemVer);
        assert_eq!(
            Version::parse("01.0.0").unwrap_err().to_string(),
            r#"invalid SemVer version "01.0.0": leading zero in major version "01""#
        );
        assert!(
            Version::parse("v1.0.0")
                .unwrap_err()
                .reason
                .contains("prefix")
        );
        assert!(
            Version::parse_npm("=1.0.0")
                .unwrap_err()
                .reason
                .contains("loose")
        );
    }

    #[test]
    fn strict_accepts() {
        for good in [
            "0.0.0",
            "1.2.3-0",
            "1.2.3-0a",
            "1.2.3-a-b--c",
            "1.2.3--",
            "1.2.3-0.0.0",
            "1.2.3+0.00.a",
            "1.2.3-rc.1+build.007",
            "99999999999999999999999.0.0",
        ] {
            assert!(Version::parse(good).is_ok(), "{good:?} should parse");
        }
    }

    #[test]
    fn npm_dialect() {
        assert_eq!(npm("v1.2.3"), npm(" 1.2.3\t"));
        assert_eq!(
            npm("\u{feff}1.2.3\u{3000}").to_string(),
            "\u{feff}1.2.3\u{3000}"
        );
        for bad in [
            "=1.2.3",
            "V1.2.3",
            "vv1.2.3",
            "v 1.2.3",
            "\u{85}1.2.3",
            "1.2",
            "9007199254740992.0.0",
            "1.9007199254740992.0",
            "01.2.3",
        ] {
            assert!(
                Version::parse_npm(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(Version::parse_npm("9007199254740991.0.0").is_ok());
        // Length counts the untrimmed input in UTF-16 code units.
        let long = format!("1.0.0-{}", "a".repeat(250));
        assert!(Version::parse_npm(&long).is_ok());
        assert!(Version::parse_npm(&format!("{long} ")).is_err());
        assert!(Version::parse_npm(&format!("{long}a")).is_err());
    }

    #[test]
    fn npm_big_prerelease_numbers_round_like_javascript() {
        // Both are 2^53 as doubles: node-semver calls them equal.
        assert_eq!(npm("1.0.0-9007199254740993"), npm("1.0.0-9007199254740992"));
        assert!(npm("1.0.0-9007199254740991") < npm("1.0.0-9007199254740993"));
        assert!(npm("1.0.0-9007199254740994") < npm("1.0.0-9007199254740995"));
        // The strict dialect keeps them apart.
        assert!(v("1.0.0-9007199254740992") < v("1.0.0-9007199254740993"));
    }

    fn arb_semver() -> impl Strategy<Value = String> {
        let num = prop_oneof![
            4 => (0u64..4).prop_map(|n| n.to_string()),
            1 => any::<u64>().prop_map(|n| n.to_string()),
            1 => "[1-9][0-9]{19,22}",
        ];
        let ident = prop_oneof![
            (0u64..3).prop_map(|n| n.to_string()),
            "[1-9][0-9]{18,21}",
            "[a-cA-C-]{1,2}",
            "[0-9][a-c-]",
        ];
        let pre = proptest::collection::vec(ident, 0..4);
        let build = proptest::option::of("[a-z0-9]{1,3}");
        (num.clone(), num.clone(), num, pre, build).prop_map(|(a, b, c, pre, build)| {
            let mut s = format!("{a}.{b}.{c}");
            if !pre.is_empty() {
                s.push('-');
                s.push_str(&pre.join("."));
            }
            if let Some(b) = build {
                s.push('+');
                s.push_str(&b);
            }
            s
        })
    }

    fn arb_version() -> impl Strategy<Value = Version> {
        (arb_semver(), any::<bool>()).prop_filter_map("invalid", |(s, npm)| {
            if npm {
                Version::parse_npm(&s).ok()
            } else {
                Version::parse(&s).ok()
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn total_order_consistent_with_eq(a in arb_version(), b in arb_version(), c in arb_version()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
            prop_assert_eq!(a.cmp(&a), Ordering::Equal);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Version::parse(&s);
            let _ = Version::parse_npm(&s);
        }

        #[test]
        fn display_round_trips(s in arb_semver()) {
            if let Ok(v) = Version::parse(&s) {
                prop_assert_eq!(v.to_string(), s.clone());
                prop_assert_eq!(Version::parse(&v.to_string()).ok(), Some(v));
            }
        }
    }
}
