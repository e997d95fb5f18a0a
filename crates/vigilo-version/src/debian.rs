//! Debian (and Ubuntu) package versions, parsed and ordered as dpkg does
//! (`dpkg --compare-versions`, dpkg 1.21: `parseversion` and
//! `dpkg_version_compare`).
//!
//! Syntax: `[epoch:]upstream[-revision]`, with surrounding spaces and tabs
//! ignored. The epoch is what C's `strtol` reads before the first `:`: a
//! decimal number, at most `INT_MAX`, not negative (dpkg accepts `+1:` and
//! `-0:` too); the revision is what follows the last `-`. The upstream
//! version must start with a digit and hold only ASCII letters, digits and
//! `.+~-:` (`-` only with a revision, `:` only with an epoch); the revision
//! only letters, digits and `.+~`. dpkg rejects empty parts outright and
//! only warns about a bad first character or an invalid character (still
//! comparing such versions); this parser rejects both, as Debian policy and
//! dpkg's own "bad syntax" message do.
//!
//! Ordering: epochs numerically; then upstream versions, then revisions
//! (absent = `0`), each by dpkg's `verrevcmp`: alternately a run of
//! non-digits compared character by character, where `~` sorts before
//! everything (even the end of the string), then the end, then letters, then
//! the other characters (each in ASCII order), and a run of digits compared
//! as a number (of any length; absent = 0). So `1.0~rc1 < 1.0 < 1.0a <
//! 1.0+b1 < 1.0.1`, and `1.01 == 1.1`, `1.0 == 1.0-0 == 0:1.0`.
//!
//! Comparing parsed versions walks their bytes; nothing is allocated.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::str::FromStr;

use crate::{MAX_VERSION_LEN, ParseError, Scheme};

/// A parsed Debian version. Displays as the text it was parsed from; equal
/// (and hashes equal) to every version dpkg deems equal.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    epoch: u32,
    upstream: Range<usize>,
    /// Empty when there is no revision.
    revision: Range<usize>,
}

/// Parses a Debian version.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    Version::parse(s)
}

const INT_MAX: u64 = i32::MAX as u64;

impl Version {
    /// Parses a Debian version, rejecting what `dpkg --compare-versions`
    /// reports as bad syntax (errors and warnings alike).
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        let err = |reason: &str| ParseError::new(Scheme::Debian, s, reason);
        if s.len() > MAX_VERSION_LEN {
            return Err(err(&format!("longer than {MAX_VERSION_LEN} bytes")));
        }
        let blank = |c: char| c == ' ' || c == '\t';
        let body = s.trim_matches(blank);
        let offset = s.len() - s.trim_start_matches(blank).len();
        if body.is_empty() {
            return Err(err("version string is empty"));
        }
        if body.contains(blank) {
            return Err(err("version string has embedded spaces"));
        }
        let (epoch, rest_start) = match body.find(':') {
            Some(colon) => {
                let epoch = strtol_epoch(&body[..colon]).map_err(err)?;
                if colon + 1 == body.len() {
                    return Err(err("nothing after colon in version number"));
                }
                (epoch, colon + 1)
            }
            None => (0, 0),
        };
        let rest = &body[rest_start..];
        let (upstream, revision) = match rest.rfind('-') {
            Some(h) if h + 1 == rest.len() => return Err(err("revision number is empty")),
            Some(h) => (&rest[..h], &rest[h + 1..]),
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err(err("version number is empty"));
        }
        if !upstream.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err("version number does not start with digit"));
        }
        if !upstream
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".-+~:".contains(&c))
        {
            return Err(err("invalid character in version number"));
        }
        if !revision
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".+~".contains(&c))
        {
            return Err(err("invalid character in revision number"));
        }
        let up_start = offset + rest_start;
        let rev_start = up_start + upstream.len() + 1;
        Ok(Version {
            text: s.into(),
            epoch,
            upstream: up_start..up_start + upstream.len(),
            revision: if revision.is_empty() {
                0..0
            } else {
                rev_start..rev_start + revision.len()
            },
        })
    }

    /// The text this version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The upstream version.
    pub fn upstream(&self) -> &str {
        self.text.get(self.upstream.clone()).unwrap_or_default()
    }

    /// The Debian revision ("" when absent).
    pub fn revision(&self) -> &str {
        self.text.get(self.revision.clone()).unwrap_or_default()
    }
}

/// The epoch as `strtol(s, &end, 10)` followed by dpkg's checks reads it,
/// where `end` must be the colon: C white space, a sign, digits.
fn strtol_epoch(s: &str) -> Result<u32, &'static str> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        // No digits at all: strtol stops at the start.
        let none = !digits.starts_with(|c: char| c.is_ascii_digit());
        return Err(if none {
            "epoch in version is empty"
        } else {
            "epoch in version is not number"
        });
    }
    let significant = digits.trim_start_matches('0');
    let value = if significant.len() > 10 {
        u64::MAX
    } else {
        significant.parse::<u64>().unwrap_or(0)
    };
    if negative && value != 0 {
        // strtol returns LONG_MIN on underflow: negative either way.
        return Err("epoch in version is negative");
    }
    if value > INT_MAX {
        return Err("epoch in version is too big");
    }
    Ok(value as u32)
}

impl FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

/// dpkg's `order`: `~` first, then the end of a run (and digits), then
/// letters, then everything else.
#[inline]
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff.is_eq() {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff.is_ne() {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Feeds `verrevcmp`'s equivalence class of `s` to `state`: its runs, with
/// digit runs as numbers (leading zeros dropped); a string of only zeros is
/// the same as the empty string.
fn hash_part<H: Hasher>(s: &[u8], state: &mut H) {
    let mut k = 0;
    while k < s.len() {
        let start = k;
        while k < s.len() && !s[k].is_ascii_digit() {
            k += 1;
        }
        let text = &s[start..k];
        while k < s.len() && s[k] == b'0' {
            k += 1;
        }
        let from = k;
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        let number = &s[from..k];
        if !(start == 0 && text.is_empty() && number.is_empty() && k == s.len()) {
            state.write(text);
            state.write_u8(0xff);
            state.write(number);
            state.write_u8(0xfe);
        }
    }
    state.write_u8(0xfd);
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(self.upstream().as_bytes(), other.upstream().as_bytes()))
            .then_with(|| verrevcmp(self.revision().as_bytes(), other.revision().as_bytes()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.epoch.hash(state);
        hash_part(self.upstream().as_bytes(), state);
        hash_part(self.revision().as_bytes(), state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("debian::Version").field(&self.text).finish()
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

    fn hash(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    fn assert_order(list: &[&str]) {
        for (i, a) in list.iter().enumerate() {
            for (j, b) in list.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn orders_as_dpkg() {
        assert_order(&[
            "0~",
            "0",
            "0a",
            "0+",
            "0.1",
            "1.0~~",
            "1.0~~a",
            "1.0~",
            "1.0~rc1",
            "1.0",
            "1.0-0.1",
            "1.0-1~bpo1",
            "1.0-1",
            "1.0-1+b1",
            "1.0-1.1",
            "1.0-2",
            "1.0-10",
            "1.0A",
            "1.0a",
            "1.0z",
            "1.0+dfsg",
            "1.0.1",
            "1.2",
            "1.10",
            "1:0.1",
            "2:0",
        ]);
        // ASCII order among the other characters too: + < - < . < :
        assert!(v("1.0+") < v("1.0."));
        assert!(v("1:1.0+x-1") < v("1:1.0-x-1"));
        assert!(v("1:1.0-x-1") < v("1:1.0.x-1"));
        assert!(v("1:1.0.x-1") < v("1:1.0:x-1"));
    }

    #[test]
    fn equal_versions() {
        for (a, b) in [
            ("1.0", "1.00"),
            ("1.0", "1.0-0"),
            ("1.0", "0:1.0"),
            ("1.0", "000:1.0"),
            ("1.01", "1.1"),
            ("1.", "1.0"),
            ("1.0-00", "1.0"),
            (" 1.0\t", "1.0"),
            ("+1:2", "1:2"),
            ("-0:2", "2"),
            ("\n1:2", "1:2"),
            ("1:1:1", "01:1:1-0"),
            ("1-1-1", "1-1-01"),
            ("1.000000000000000000000000001", "1.1"),
        ] {
            assert_eq!(v(a), v(b), "{a:?} == {b:?}");
            assert_eq!(hash(&v(a)), hash(&v(b)), "hash {a:?} == {b:?}");
        }
        assert_ne!(v("1.0"), v("1.0."));
        assert_ne!(v("1.0"), v("1.0-a"));
    }

    #[test]
    fn big_numbers() {
        assert!(v("1.18446744073709551616") > v("1.18446744073709551615"));
        assert!(v("1.100000000000000000000000000000") > v("1.99999999999999999999999999999"));
        assert_eq!(v("2147483647:1").epoch(), 2_147_483_647);
        assert!(Version::parse("2147483648:1").is_err());
        assert!(Version::parse("99999999999999999999999:1").is_err());
    }

    #[test]
    fn parts() {
        let x = v(" 2:1.0-rc1-3 ");
        assert_eq!((x.epoch(), x.upstream(), x.revision()), (2, "1.0-rc1", "3"));
        assert_eq!(x.to_string(), " 2:1.0-rc1-3 ");
        let y = v("1:2:3");
        assert_eq!((y.epoch(), y.upstream(), y.revision()), (1, "2:3", ""));
    }

    #[test]
    fn rejects_what_dpkg_calls_bad_syntax() {
        for s in [
            "",
            " ",
            "1 0",
            "1.0-",
            "-1",
            ":1",
            "a:1",
            "1a:1",
            "1:",
            "-1:1",
            "2147483648:1",
            "a1",
            "~1",
            ".1",
            "1_0",
            "1.0-1_1",
            "1.0-1:1",
            "1.0-1-",
            "é",
            "1.é",
            "1.0\0",
            "1:-1",
            "1:a",
            "1,0",
        ] {
            assert!(Version::parse(s).is_err(), "{s:?}");
        }
        for s in ["0", "1:0", "1.0-a", "1.0-~", "1-1", "1+-1", "1:1-1:1-1"] {
            assert!(Version::parse(s).is_ok(), "{s:?}");
        }
        assert!(Version::parse(&"1".repeat(MAX_VERSION_LEN + 1)).is_err());
    }

    fn version() -> impl Strategy<Value = String> {
        let part = "[0-9]{0,3}[a-zA-Z~+.]{0,3}[0-9]{0,2}";
        (
            prop::option::of("[0-9]{1,2}"),
            "[0-9]{1,3}",
            prop::collection::vec(part, 0..3),
            prop::option::of(prop::collection::vec(part, 1..3)),
        )
            .prop_map(|(epoch, first, up, rev)| {
                let mut s = epoch.map(|e| format!("{e}:")).unwrap_or_default();
                s.push_str(&first);
                s.push_str(&up.concat());
                if let Some(rev) = rev {
                    s.push('-');
                    s.push_str(&rev.concat());
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn total_order_consistent_with_eq(a in version(), b in version(), c in version()) {
            let (Ok(x), Ok(y), Ok(z)) = (Version::parse(&a), Version::parse(&b), Version::parse(&c)) else {
                return Ok(());
            };
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            prop_assert_eq!(x == y, x.cmp(&y).is_eq());
            if x == y {
                prop_assert_eq!(hash(&x), hash(&y));
            }
            if x <= y && y <= z {
                prop_assert!(x <= z, "{} <= {} <= {}", a, b, c);
            }
        }

        #[test]
        fn zero_padding_is_equal(a in version()) {
            // Inserting leading zeros into digit runs keeps the version.
            if let Ok(x) = Version::parse(&a) {
                let mut padded = String::new();
                let mut prev_digit = false;
                for ch in a.chars() {
                    if ch.is_ascii_digit() && !prev_digit {
                        padded.push('0');
                    }
                    prev_digit = ch.is_ascii_digit();
                    padded.push(ch);
                }
                if let Ok(y) = Version::parse(&padded) {
                    prop_assert_eq!(&x, &y);
                    prop_assert_eq!(hash(&x), hash(&y));
                }
            }
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Version::parse(&s);
        }
    }
}
