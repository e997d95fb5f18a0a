//! Maven versions, ordered as `ComparableVersion` in Maven 3.8.7's
//! `maven-artifact` orders them.
//!
//! Every string is a Maven version: `ComparableVersion` never rejects one.
//! This parser rejects only the empty string (which `ComparableVersion`
//! silently treats as `0`, and which in advisory data is always a mistake)
//! and strings longer than [`MAX_VERSION_LEN`].
//!
//! # The algorithm, as `ComparableVersion` has it
//!
//! The text is lowercased (Java's `toLowerCase(Locale.ENGLISH)`) and split
//! into items: `.` ends an item, `-` ends an item and opens a sub-list, and a
//! switch between digits and non-digits ends an item and opens a sub-list
//! too (`1.0alpha1` is `1.0-alpha-1`); a qualifier that ends the text or is
//! followed by a digit, and is not the list's first item, opens a sub-list of
//! its own (`1.0.RC1` is `1.0-RC1`). An empty item is `0`. Digit runs are
//! numbers of unlimited size ("digits" are Java's `Character.isDigit`,
//! which includes other scripts' decimal digits); a run of up to 9
//! characters after leading ASCII zeros are removed is an int, up to 18 a
//! long, longer a big integer, and the three kinds order int < long < big
//! whatever their values (which only matters for other scripts' zeros). The
//! other runs are qualifiers: `alpha < beta < milestone < rc = cr <
//! snapshot < "" = ga = final = release < sp <` unknown qualifiers, which
//! order among themselves as strings (UTF-16 code units); `a`, `b` and `m`
//! directly followed by a digit mean `alpha`, `beta` and `milestone`. Each
//! list then drops its trailing "null" items (`0`, `""`, empty lists),
//! including those before its final sub-list (`1.0-alpha` is `1-alpha`).
//!
//! Lists compare item by item; a missing item compares as the null item of
//! the other side's kind (`1.0 == 1`, `1-sp > 1`, `1-rc < 1`, `1-1 > 1`).
//! Between kinds, qualifier < list < number.
//!
//! # The comparison key
//!
//! Parsing flattens those lists into one byte string whose lexicographic
//! order is the version order: each item is a tag byte and its value,
//! a sub-list is a tag byte followed by its items and an end byte. The tag
//! of an item holds, before its kind, the sign of the comparison of the rest
//! of its list (from that item on) with nothing, so that a list that ends
//! early compares against the other's remaining items as `ComparableVersion`
//! does (`1` against `1.0.alpha.1` compares `null` with `alpha`: `1` is
//! greater). Comparing two versions compares the first 16 key bytes as one
//! `u128` and, rarely, the rest as a byte slice: no allocation, no parsing.
//!
//! # Where this differs from `ComparableVersion`
//!
//! `ComparableVersion.compareTo` is not transitive on some unusual shapes,
//! where an item compared with a missing item disagrees with the same item
//! compared with an item of another kind: `1.0.alpha.1 < 1 < 1.ga.1 <
//! 1.0.alpha.1`, or `1-beta < 1 < 1.x.1 < 1-beta` (a qualifier between two
//! dots is an item of the outer list, a qualifier after `-` opens a
//! sub-list). No total order can agree with all three comparisons of such a
//! cycle; this one keeps the comparisons with the shorter version (`a`
//! against the common prefix of `a` and `b`) and so differs from
//! `ComparableVersion` on the direct comparison of the two longer ones. The
//! differential tests check that every disagreement is such a cycle. Cycles
//! need a null item (`0`, `ga`…) or a qualifier followed by more items where
//! the other version has an item of another kind, e.g. `1.0-0-SNAPSHOT <
//! 1.0 < 1.0-sp.1 < 1.0-0-SNAPSHOT` (here `1.0-0-SNAPSHOT < 1.0-sp.1`):
//! rare in real version schemes.
//!
//! Lowercasing uses Rust's Unicode tables, which may be newer than Java 17's
//! (Unicode 13) and handle the Greek final sigma by Unicode's rule rather
//! than Java's word-break rule: versions with letters outside those
//! tables can order differently.
//!
//! Later Maven releases changed `ComparableVersion` (among other things, how
//! unknown qualifiers rank and which characters separate items); this module
//! follows 3.8.7, the Maven that Debian 12 ships and the tests run against.
//! Within 3.8.x, 3.8.7 is the reference; the differential tests print the
//! `maven-artifact` version they ran against.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{MAX_VERSION_LEN, ParseError, Scheme};

/// A parsed Maven version. Displays as the text it was parsed from; equal
/// (and hashes equal) to every version `ComparableVersion` deems equal, e.g.
/// `1.0 == 1 == 1-GA == 1.final`.
#[derive(Clone)]
pub struct Version {
    /// Key bytes 0..16, big-endian, zero-padded.
    head: u128,
    /// Key bytes 16.. (usually empty: no allocation).
    tail: Box<[u8]>,
    text: Box<str>,
}

/// Parses a Maven version.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    Version::parse(s)
}

impl Version {
    /// Parses a Maven version. Fails only on the empty string and on text
    /// longer than [`MAX_VERSION_LEN`].
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        if s.is_empty() {
            return Err(ParseError::new(Scheme::Maven, s, "empty version"));
        }
        if s.len() > MAX_VERSION_LEN {
            return Err(ParseError::new(
                Scheme::Maven,
                s,
                format!("longer than {MAX_VERSION_LEN} bytes"),
            ));
        }
        let key = encode(&items(&s.to_lowercase()));
        let split = key.len().min(16);
        let mut head = [0u8; 16];
        head[..split].copy_from_slice(&key[..split]);
        Ok(Version {
            head: u128::from_be_bytes(head),
            tail: key[split..].into(),
            text: s.into(),
        })
    }

    /// The text this version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl Ord for Version {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // No key is a proper prefix of another (each ends with the end byte
        // of the outermost list), so equal heads mean both keys are at most
        // 16 bytes and equal, or both longer.
        self.head
            .cmp(&other.head)
            .then_with(|| self.tail.cmp(&other.tail))
    }
}

impl PartialOrd for Version {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head && self.tail == other.tail
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.head.hash(state);
        self.tail.hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("maven::Version").field(&self.text).finish()
    }
}

// ---------------------------------------------------------------------------
// Items

/// Kinds of numbers, in `ComparableVersion`'s order (`IntItem < LongItem <
/// BigIntegerItem` whatever the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumKind {
    Int,
    Long,
    Big,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom<'a> {
    /// A run of digits (Java's `Character.isDigit`), as written.
    Number { kind: NumKind, digits: &'a str },
    /// A qualifier: its rank (0 `alpha` … 5 `""` … 6 `sp`, 7 unknown) and,
    /// for unknown ones, the text.
    Qualifier { rank: u8, text: &'a str },
}

const RANK_RELEASE: u8 = 5;
const RANK_UNKNOWN: u8 = 7;

impl Atom<'_> {
    /// The sign of comparing this item with a missing one.
    fn sign(&self) -> i8 {
        match *self {
            Atom::Number { digits, .. } => {
                i8::from(digits.chars().any(|c| java_digit(c) != Some(0)))
            }
            Atom::Qualifier { rank, .. } => match rank.cmp(&RANK_RELEASE) {
                Ordering::Less => -1,
                Ordering::Equal => 0,
                Ordering::Greater => 1,
            },
        }
    }
}

/// One list of the chain `ComparableVersion` builds: its own items, then
/// (in the next element of the chain) its sub-list, if any. A list holds at
/// most one sub-list, always last: items are only ever added to the newest.
type Chain<'a> = Vec<Vec<Atom<'a>>>;

/// Splits lowercased text into `ComparableVersion`'s lists, normalized.
fn items(text: &str) -> Chain<'_> {
    let mut chain: Chain<'_> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '.' || c == '-' {
            let atom = if i == start {
                Atom::Number {
                    kind: NumKind::Int,
                    digits: "0",
                }
            } else {
                atom(is_digit, &text[start..i], false)
            };
            push(&mut chain, atom);
            start = i + 1;
            if c == '-' {
                chain.push(Vec::new());
            }
        } else if java_digit(c).is_some() {
            if !is_digit && i > start {
                // `1.0.X1` is `1.0-X1`: a qualifier followed by a digit
                // starts a sub-list unless it is the list's first item.
                if !newest_is_empty(&chain) {
                    chain.push(Vec::new());
                }
                push(&mut chain, atom(false, &text[start..i], true));
                start = i;
                chain.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut chain, atom(true, &text[start..i], false));
                start = i;
                chain.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if text.len() > start {
        if !is_digit && !newest_is_empty(&chain) {
            chain.push(Vec::new());
        }
        push(&mut chain, atom(is_digit, &text[start..], false));
    }
    normalize(&mut chain);
    chain
}

/// Whether the newest list is empty.
fn newest_is_empty(chain: &Chain<'_>) -> bool {
    chain.last().is_none_or(Vec::is_empty)
}

fn push<'a>(chain: &mut Chain<'a>, atom: Atom<'a>) {
    if let Some(list) = chain.last_mut() {
        list.push(atom);
    }
}

fn atom(is_digit: bool, run: &str, followed_by_digit: bool) -> Atom<'_> {
    if is_digit {
        // `stripLeadingZeroes` strips ASCII zeros only, and keeps an
        // all-zero run whole.
        let stripped = run.trim_start_matches('0');
        let stripped = if stripped.is_empty() { run } else { stripped };
        // Digits are single UTF-16 units (all of Java's are in the BMP).
        let kind = match stripped.chars().count() {
            0..=9 => NumKind::Int,
            10..=18 => NumKind::Long,
            _ => NumKind::Big,
        };
        Atom::Number { kind, digits: run }
    } else {
        let name = if followed_by_digit {
            match run {
                "a" => "alpha",
                "b" => "beta",
                "m" => "milestone",
                other => other,
            }
        } else {
            run
        };
        let rank = match name {
            "alpha" => 0,
            "beta" => 1,
            "milestone" => 2,
            "rc" | "cr" => 3,
            "snapshot" => 4,
            "" | "ga" | "final" | "release" => RANK_RELEASE,
            "sp" => 6,
            _ => RANK_UNKNOWN,
        };
        Atom::Qualifier { rank, text: run }
    }
}

/// `ListItem.normalize`, innermost list first: drop empty sub-lists, then
/// the trailing null items of each list.
fn normalize(chain: &mut Chain<'_>) {
    for k in (0..chain.len()).rev() {
        // A list is empty when it has neither items nor a sub-list (which
        // would be non-empty: empty ones are gone by now).
        let child_empty = chain.get(k + 1).is_none_or(Vec::is_empty) && chain.len() <= k + 2;
        if child_empty {
            chain.truncate(k + 1);
        }
        if let Some(list) = chain.get_mut(k) {
            while list.last().is_some_and(|a| a.sign() == 0) {
                list.pop();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Key encoding

/// Tag bytes: the sign of "this item and the rest of its list" against a
/// missing item, then the kind (qualifier < list < number).
const TAG_NEG: u8 = 0x01;
const END: u8 = 0x04;
const TAG_POS: u8 = 0x05;
const KIND_QUALIFIER: u8 = 0;
const KIND_LIST: u8 = 1;
const KIND_NUMBER: u8 = 2;

fn tag(sign: i8, kind: u8) -> u8 {
    if sign < 0 {
        TAG_NEG + kind
    } else {
        TAG_POS + kind
    }
}

fn encode(chain: &Chain<'_>) -> Vec<u8> {
    // The sign of each list against nothing: its first non-null item's, or
    // its sub-list's. Only an empty outermost list has sign 0.
    let mut list_sign = vec![0i8; chain.len() + 1];
    for k in (0..chain.len()).rev() {
        let own = chain[k].iter().map(Atom::sign).find(|&s| s != 0);
        list_sign[k] = own.unwrap_or(list_sign[k + 1]);
    }
    let mut key = Vec::with_capacity(16);
    let mut signs = Vec::new();
    for (k, list) in chain.iter().enumerate() {
        // Suffix signs, right to left.
        signs.clear();
        let mut running = list_sign[k + 1];
        for a in list.iter().rev() {
            let s = a.sign();
            if s != 0 {
                running = s;
            }
            signs.push(running);
        }
        for (a, &sign) in list.iter().zip(signs.iter().rev()) {
            encode_atom(&mut key, a, sign);
        }
        if k + 1 < chain.len() {
            key.push(tag(list_sign[k + 1], KIND_LIST));
        }
    }
    key.extend(std::iter::repeat_n(END, chain.len()));
    key
}

fn encode_atom(key: &mut Vec<u8>, atom: &Atom<'_>, sign: i8) {
    match *atom {
        Atom::Number { kind, digits } => {
            key.push(tag(sign, KIND_NUMBER));
            let values = digits.chars().filter_map(java_digit);
            let significant: Vec<u8> = values.skip_while(|&d| d == 0).collect();
            let n = significant.len();
            match kind {
                // Int: n <= 9; Long: n <= 18; the byte ranges keep the kinds
                // apart and in order.
                NumKind::Int => key.push(n as u8),
                NumKind::Long => key.push(0x10 + n as u8),
                NumKind::Big => {
                    key.push(0x40);
                    key.extend_from_slice(&(n as u16).to_be_bytes());
                }
            }
            for pair in significant.chunks(2) {
                let hi = pair.first().copied().unwrap_or(0);
                let lo = pair.get(1).copied().unwrap_or(0);
                key.push((hi << 4) | lo);
            }
        }
        Atom::Qualifier { rank, text } => {
            key.push(tag(sign, KIND_QUALIFIER));
            key.push(rank);
            if rank == RANK_UNKNOWN {
                // UTF-16 code units (Java's `String.compareTo`), each in an
                // order-preserving, prefix-free byte form; 0x00 ends it.
                for unit in text.encode_utf16() {
                    match unit {
                        0 | 1 => key.extend_from_slice(&[0x01, unit as u8]),
                        2..=0x7f => key.push(unit as u8),
                        _ => key.extend_from_slice(&[
                            0x80 + (unit >> 12) as u8,
                            ((unit >> 6) & 0x3f) as u8,
                            (unit & 0x3f) as u8,
                        ]),
                    }
                }
                key.push(0x00);
            }
        }
    }
}

/// The zero of each run of ten decimal digits in the Basic Multilingual
/// Plane, as Java 17's `Character.isDigit(char)` sees them (Unicode 13,
/// general category Nd). `ComparableVersion` reads `char`s, so digits
/// outside the BMP are not digits to it.
const JAVA_DIGIT_ZEROS: [u32; 37] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

/// The value of `c` if Java deems it a decimal digit.
fn java_digit(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    let c = c as u32;
    if c < 0x80 {
        return None;
    }
    let i = JAVA_DIGIT_ZEROS.partition_point(|&z| z <= c);
    let zero = *JAVA_DIGIT_ZEROS.get(i.checked_sub(1)?)?;
    let d = c - zero;
    (d < 10).then_some(d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
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

    fn assert_equal(list: &[&str]) {
        for a in list {
            for b in list {
                assert_eq!(v(a), v(b), "{a} == {b}");
                assert_eq!(hash(&v(a)), hash(&v(b)), "hash {a} == {b}");
            }
        }
    }

    // From Maven's ComparableVersionTest, as 3.8.7 orders them (later Maven
    // versions put `2-1` before `2.0.a`).
    #[test]
    fn qualifier_order() {
        assert_order(&[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ]);
    }

    #[test]
    fn number_order() {
        assert_order(&[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ]);
    }

    #[test]
    fn equal_versions() {
        assert_equal(&[
            "1", "1.0", "1.0.0", "1-0", "1-0-0", "1.0-0", "1.ga", "1-GA", "1.final",
        ]);
        assert_equal(&["1.RELEASE", "1-release", "1.0.0.0.0.0.0", "1.0-ga-0", "1-"]);
        assert_equal(&["1x", "1-x", "1.0.0-x", "1.0.0.x", "1.0-x"]);
        assert_equal(&["1a1", "1-a1", "1-alpha-1", "1.0-ALPHA1", "1.0.0alpha1"]);
        assert_equal(&["1b2", "1-beta-2", "1.0-b2"]);
        assert_equal(&["2.0.a", "2.0.0.a", "2-a"]);
        assert_equal(&["1m3", "1-milestone-3", "1.0M3"]);
        assert_equal(&["1cr", "1rc", "1-CR", "1.0-rc"]);
        assert_equal(&["1.0.1", "1.00.01", "1.000000.1"]);
        assert_equal(&["0", "ga", "0.0", "-", ".", "0-0.final", "00000000000"]);
    }

    #[test]
    fn shorthands_only_before_digits() {
        // `a` alone is an unknown qualifier, after the release.
        assert!(v("1-a") > v("1"));
        assert!(v("1-a1") < v("1"));
        assert!(v("1-b") > v("1-a"));
        assert!(v("1-m") > v("1"));
        assert!(v("1-alpha") < v("1-a"));
    }

    #[test]
    fn mng_cases() {
        // MNG-5568: no transitive violation with `.`-separated qualifiers.
        assert_order(&["6.1.0rc3", "6.1.0", "6.1H.5-beta"]);
        // MNG-6572: big numbers.
        assert_order(&[
            "20190126.230843",
            "1234567890.12345",
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
        ]);
        // MNG-6964: `1-0.alpha` < `1`.
        assert_order(&["1-0.alpha", "1"]);
        assert_order(&["1-0.beta", "1"]);
        // MNG-7644 style cases, as 3.8.7 has them.
        assert!(v("1.0.0.RC1") < v("1.0.0"));
        assert_eq!(v("1.0.0.RC1"), v("1.0.0-RC1"));
    }

    #[test]
    fn numbers() {
        assert!(v("1.9") < v("1.10"));
        assert!(v("1.999999999") < v("1.1000000000"));
        assert!(v("1.999999999999999999") < v("1.1000000000000000000"));
        assert!(v("1.99999999999999999999999") < v("1.100000000000000000000000"));
        assert_eq!(v("1.000000000000000000000000001"), v("1.1"));
        // Kinds follow the length without leading ASCII zeros; other zeros
        // count (Java's `Integer.parseInt` reads any decimal digit).
        assert_eq!(v("1.\u{0663}"), v("1.3"));
        assert!(
            v("1.\u{0660}\u{0660}\u{0660}\u{0660}\u{0660}\u{0660}\u{0660}\u{0660}\u{0660}3")
                > v("1.4")
        );
        assert!(v("1.0000000000.1") > v("1.0.1"));
    }

    #[test]
    fn unknown_qualifiers_sort_lexically_after_known() {
        assert_order(&[
            "1-sp", "1-a", "1-abc", "1-abd", "1-b", "1-jre", "1-z", "1-zz",
        ]);
        assert!(v("1-X") == v("1-x"));
        assert!(v("1-é") > v("1-z"));
        // UTF-16 order: a surrogate pair sorts before U+E000..U+FFFF.
        assert!(v("1-\u{1F600}") < v("1-\u{E000}"));
    }

    #[test]
    fn intransitive_region_is_ordered_consistently() {
        // ComparableVersion: 1.0.alpha.1 < 1 < 1.ga.1 < 1.0.alpha.1. We keep
        // the comparisons with the shorter version.
        assert!(v("1.0.alpha.1") < v("1"));
        assert!(v("1") < v("1.ga.1"));
        assert!(v("1.0.alpha.1") < v("1.ga.1"));
        assert!(v("1.0-0-SNAPSHOT") < v("1.0"));
        assert!(v("1.0") < v("1.0-sp.1"));
        assert!(v("1.0-0-SNAPSHOT") < v("1.0-sp.1")); // Java: greater
    }

    #[test]
    fn rejects_only_empty_and_too_long() {
        assert!(Version::parse("").is_err());
        assert!(Version::parse(&"1".repeat(MAX_VERSION_LEN + 1)).is_err());
        assert!(Version::parse(&"9".repeat(MAX_VERSION_LEN)).is_ok());
        for s in [
            " ",
            "\0",
            "..",
            "--",
            "\u{10FFFF}",
            "a",
            "İ",
            "1.0 beta",
            "\t",
        ] {
            assert!(Version::parse(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn display_is_the_input() {
        assert_eq!(v("1.0-SNAPSHOT").to_string(), "1.0-SNAPSHOT");
        assert_eq!(format!("{:?}", v("1.0")), "maven::Version(\"1.0\")");
    }

    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[0-9]{1,3}",
            1 => "0{1,12}[0-9]{0,2}",
            1 => "[0-9]{9,22}",
            4 => prop::sample::select(vec![
                "alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot", "SNAPSHOT",
                "ga", "final", "Final", "release", "sp", "SP", "jre", "x", "abc", "",
            ]).prop_map(str::to_owned),
            1 => "[a-z]{1,3}",
            1 => prop::sample::select(vec!["\u{0663}", "\u{0660}", "é", "İ", "\u{1F600}", "\u{E000}", " "])
                .prop_map(str::to_owned),
        ]
    }

    fn version() -> impl Strategy<Value = String> {
        prop::collection::vec(
            (
                token(),
                prop::sample::select(vec!["", ".", ".", "-", "-", "--", ".-"]),
            ),
            1..7,
        )
        .prop_map(|parts| {
            parts
                .into_iter()
                .flat_map(|(t, s)| [t, s.to_owned()])
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn total_order_consistent_with_eq(a in version(), b in version(), c in version()) {
            let (Ok(x), Ok(y), Ok(z)) = (Version::parse(&a), Version::parse(&b), Version::parse(&c)) else {
                prop_assert!(a.is_empty() || b.is_empty() || c.is_empty());
                return Ok(());
            };
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            prop_assert_eq!(x == y, x.cmp(&y) == Ordering::Equal);
            if x == y {
                prop_assert_eq!(hash(&x), hash(&y));
            }
            if x <= y && y <= z {
                prop_assert!(x <= z, "{} <= {} <= {}", a, b, c);
            }
            prop_assert_eq!(x.cmp(&x), Ordering::Equal);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Version::parse(&s);
        }

        #[test]
        fn case_insensitive_ascii(s in version()) {
            if let (Ok(a), Ok(b)) = (Version::parse(&s), Version::parse(&s.to_ascii_uppercase())) {
                prop_assert_eq!(a, b);
            }
        }
    }
}
