//! RPM versions: `[epoch:]version[-release]`, ordered as `rpm.labelCompare`
//! orders `(epoch, version, release)` triples, each part compared with
//! `rpmvercmp`.
//!
//! `rpmvercmp` splits a string into segments: maximal runs of ASCII digits,
//! maximal runs of ASCII letters, and the single characters `~` and `^`; every
//! other character only separates segments and is otherwise ignored. Two
//! strings compare segment by segment, where
//!
//! - `~` sorts before everything, even the end of the string (`1.0~rc1 <
//!   1.0`);
//! - the end of the string comes next;
//! - `^` sorts after the end but before any other segment (`1.0 < 1.0^git1 <
//!   1.0.1`);
//! - letter runs sort before digit runs;
//! - digit runs compare as numbers of any size (leading zeros ignored), letter
//!   runs byte-wise.
//!
//! As `labelCompare` does, a missing epoch is `0`, epochs compare with
//! `rpmvercmp` too (so numerically), and a missing release sorts before any
//! release (`1.0 < 1.0-0`).
//!
//! # Validity
//!
//! RPM itself accepts almost any string as an EVR. This module is stricter, so
//! that garbage is reported rather than silently ordered: a version is valid
//! when it is printable ASCII without spaces; when it contains a `:`, the text
//! before the first `:` is a non-empty run of ASCII digits (the epoch) and no
//! other `:` follows; the release (after the last `-`, when there is one) and
//! the version each contain at least one ASCII letter or digit. Where valid,
//! the split into epoch, version and release is the one `rpm.ver` makes.
//!
//! # Normalized key
//!
//! Parsing encodes the triple into a byte string whose byte-wise order is the
//! `labelCompare` order, so `cmp`, `==` and `hash` are plain slice operations.
//! Each segment is a tag byte followed by its payload:
//!
//! | segment | encoding                                             |
//! |---------|------------------------------------------------------|
//! | `~`     | `1`                                                  |
//! | end     | `2`                                                  |
//! | `^`     | `3`                                                  |
//! | letters | `4`, the letters, `0`                                |
//! | digits  | `5`, digit count without leading zeros (4 bytes BE), the digits |
//!
//! The key is the epoch's digit segment, the version's segments and its end,
//! then `0` when there is no release or `1`, the release's segments and its
//! end.

use std::fmt;

use crate::{ParseError, Scheme};

const TAG_TILDE: u8 = 1;
const TAG_END: u8 = 2;
const TAG_CARET: u8 = 3;
const TAG_ALPHA: u8 = 4;
const TAG_NUM: u8 = 5;

const NO_RELEASE: u8 = 0;
const HAS_RELEASE: u8 = 1;

/// An RPM `[epoch:]version[-release]`.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    /// Byte ranges of the parts in `text`: epoch (empty when absent), version,
    /// release (`None` when absent).
    epoch: (u32, u32),
    version: (u32, u32),
    release: Option<(u32, u32)>,
    key: Box<[u8]>,
}

impl Version {
    /// Parses an RPM EVR string.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        parse(s)
    }

    /// The epoch as written, `None` when absent (which orders as `0`).
    pub fn epoch(&self) -> Option<&str> {
        let (a, b) = self.epoch;
        (a != b).then(|| self.slice((a, b)))
    }

    /// The version part.
    pub fn version(&self) -> &str {
        self.slice(self.version)
    }

    /// The release, `None` when absent.
    pub fn release(&self) -> Option<&str> {
        self.release.map(|r| self.slice(r))
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        self.text.get(a as usize..b as usize).unwrap_or("")
    }
}

/// Parses an RPM EVR string (see the module documentation for what is valid).
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let err = |reason: &str| ParseError::new(Scheme::Rpm, s, reason);
    if s.is_empty() {
        return Err(err("empty version"));
    }
    if s.len() > crate::MAX_VERSION_LEN {
        return Err(err("too long"));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(err(&format!(
            "contains {c:?}: only printable ASCII without spaces is accepted"
        )));
    }
    let (epoch, rest, rest_start) = match s.split_once(':') {
        Some((e, rest)) => {
            if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("the epoch (before ':') must be a number"));
            }
            if rest.contains(':') {
                return Err(err("more than one ':'"));
            }
            (e, rest, e.len() + 1)
        }
        None => ("", s, 0),
    };
    let (version, release) = match rest.rsplit_once('-') {
        Some((v, r)) => (v, Some(r)),
        None => (rest, None),
    };
    let has_alnum = |p: &str| p.bytes().any(|b| b.is_ascii_alphanumeric());
    if !has_alnum(version) {
        return Err(err("the version has no letter or digit"));
    }
    if release.is_some_and(|r| !has_alnum(r)) {
        return Err(err(
            "the release (after the last '-') has no letter or digit",
        ));
    }

    let mut key = Vec::with_capacity(s.len() + 16);
    push_segments(&mut key, if epoch.is_empty() { "0" } else { epoch });
    push_segments(&mut key, version);
    match release {
        None => key.push(NO_RELEASE),
        Some(r) => {
            key.push(HAS_RELEASE);
            push_segments(&mut key, r);
        }
    }

    // Lengths are bounded by MAX_VERSION_LEN, so they fit in u32.
    let pos = |n: usize| n as u32;
    let version_start = rest_start;
    let version_end = version_start + version.len();
    Ok(Version {
        text: s.into(),
        epoch: (0, pos(epoch.len())),
        version: (pos(version_start), pos(version_end)),
        release: release.map(|_| (pos(version_end + 1), pos(s.len()))),
        key: key.into_boxed_slice(),
    })
}

/// Appends the `rpmvercmp` segments of `s`, then the end tag.
fn push_segments(key: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'~' {
            key.push(TAG_TILDE);
            i += 1;
        } else if c == b'^' {
            key.push(TAG_CARET);
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let digits = &b[start..i];
            let first = digits
                .iter()
                .position(|&d| d != b'0')
                .unwrap_or(digits.len());
            let digits = &digits[first..];
            key.push(TAG_NUM);
            key.extend_from_slice(&(digits.len() as u32).to_be_bytes());
            key.extend_from_slice(digits);
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            key.push(TAG_ALPHA);
            key.extend_from_slice(&b[start..i]);
            key.push(0);
        } else {
            i += 1;
        }
    }
    key.push(TAG_END);
}

crate::key_ordering!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rpm::Version({:?})", &*self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    fn v(s: &str) -> Version {
        parse(s).unwrap()
    }

    fn ord(a: &str, b: &str) -> Ordering {
        v(a).cmp(&v(b))
    }

    #[test]
    fn rpmvercmp_cases() {
        use Ordering::*;
        // Cases from rpm's own rpmvercmp test suite (tests/rpmvercmp.at).
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0", "2.0", Less),
            ("2.0.1", "2.0.1", Equal),
            ("2.0", "2.0.1", Less),
            ("2.0.1a", "2.0.1a", Equal),
            ("2.0.1a", "2.0.1", Greater),
            ("5.5p1", "5.5p2", Less),
            ("5.5p10", "5.5p1", Greater),
            ("10xyz", "10.1xyz", Less),
            ("xyz10", "xyz10.1", Less),
            ("xyz.4", "8", Less),
            ("xyz.4", "2", Less),
            ("5.5p2", "5.6p1", Less),
            ("5.6p1", "6.5p1", Less),
            ("6.0.rc1", "6.0", Greater),
            ("10b2", "10a1", Greater),
            ("1.0aa", "1.0a", Greater),
            ("10.0001", "10.1", Equal),
            ("10.0001", "10.0039", Less),
            ("4.999.9", "5.0", Less),
            ("20101121", "20101122", Less),
            ("2_0", "2_0", Equal),
            ("2.0", "2_0", Equal),
            ("a", "a", Equal),
            ("a+", "a_", Equal),
            ("+a", "_a", Equal),
            ("1.0~rc1", "1.0~rc1", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~rc1", "1.0~rc2", Less),
            ("1.0~rc1~git123", "1.0~rc1", Less),
            ("1.0^", "1.0", Greater),
            ("1.0^git1", "1.0", Greater),
            ("1.0^git1", "1.0^git2", Less),
            ("1.0^git1", "1.01", Less),
            ("1.0^20160101", "1.0.1", Less),
            ("1.0^20160101^git1", "1.0^20160101", Greater),
            ("1.0~rc1^git1", "1.0~rc1", Greater),
            ("1.0^git1~pre", "1.0^git1", Less),
        ] {
            assert_eq!(ord(a, b), want, "{a} vs {b}");
            assert_eq!(ord(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn evr() {
        assert_eq!(ord("0:1.0-1", "1.0-1"), Ordering::Equal);
        assert_eq!(v("0:1.0-1"), v("00:1.0-01"));
        assert_eq!(ord("1:0.1-1", "9.9-9"), Ordering::Greater);
        assert_eq!(ord("10:1", "9:1"), Ordering::Greater);
        // A missing release sorts before any release.
        assert_eq!(ord("1.0", "1.0-0"), Ordering::Less);
        assert_eq!(ord("1.0-1", "1.0-1.el8"), Ordering::Less);
        assert_eq!(ord("1.0-1.el8", "1.0-1.el8_2"), Ordering::Less);
        // The release starts after the last '-'.
        let x = v("3:1.2-3-4.fc40");
        assert_eq!(x.epoch(), Some("3"));
        assert_eq!(x.version(), "1.2-3");
        assert_eq!(x.release(), Some("4.fc40"));
        let y = v("2.4.37-56.module+el8.8.0+19808+379766d6.7");
        assert_eq!(y.epoch(), None);
        assert_eq!(y.version(), "2.4.37");
        assert_eq!(y.release(), Some("56.module+el8.8.0+19808+379766d6.7"));
        assert_eq!(y.to_string(), "2.4.37-56.module+el8.8.0+19808+379766d6.7");
        // Numbers of any size.
        assert_eq!(
            ord("1.123456789012345678901234567890", "1.99999999999999999999"),
            Ordering::Greater
        );
    }

    #[test]
    fn invalid() {
        for s in [
            "", " ", "1.0 ", "1.0\n", "1.\u{e9}", ":1.0", "a:1.0", "1:2:3", "1:", "-1", "1.0-",
            "1.0-.", "...", "~", "1:-2", "\u{0}",
        ] {
            assert!(parse(s).is_err(), "{s:?} should be invalid");
        }
    }

    fn arb_version() -> impl Strategy<Value = String> {
        let seg = prop::sample::select(vec![
            "0", "1", "01", "2", "10", "a", "b", "rc", "el8", ".", "_", "+", "~", "^", "-",
        ]);
        (
            prop::option::of(prop::sample::select(vec!["0", "1", "00", "2"])),
            prop::collection::vec(seg, 1..7),
        )
            .prop_map(|(e, segs)| {
                let mut s = e.map(|e| format!("{e}:")).unwrap_or_default();
                s.extend(segs);
                s
            })
    }

    proptest! {
        #[test]
        fn total_order_consistent_with_eq(
            a in arb_version(), b in arb_version(), c in arb_version()
        ) {
            let (Ok(a), Ok(b), Ok(c)) = (parse(&a), parse(&b), parse(&c)) else {
                return Ok(());
            };
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
            if a == b {
                use std::hash::BuildHasher;
                let h = std::collections::hash_map::RandomState::new();
                prop_assert_eq!(h.hash_one(&a), h.hash_one(&b));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse(&s);
        }
    }
}
