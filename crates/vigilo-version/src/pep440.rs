//! PyPI versions: PEP 440, parsed and ordered exactly as Python's `packaging`
//! (≥ 22, which has no `LegacyVersion`) does.
//!
//! Accepted syntax (case-insensitive, surrounding whitespace allowed):
//! `[v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with every
//! normalisation `packaging` applies: `alpha`/`beta`/`c`/`pre`/`preview`
//! spellings, `post`/`rev`/`r` and the implicit `-N` post-release,
//! `.`/`-`/`_` separators (or none) around the letters, implicit `0` numbers,
//! leading zeros, and local labels separated by `.`/`-`/`_`. Numbers are
//! unbounded, as Python's integers are.
//!
//! Ordering is `packaging`'s `_cmpkey`: epoch, then the release with trailing
//! zeros removed (`1.0 == 1.0.0`), then dev-only releases < alpha < beta < rc
//! < final, post-releases after their release (with `.postN.devM` before
//! `.postN`), dev releases before the same version without; a local label
//! sorts after the same public version without one, and local segments
//! compare numerically when numeric, as lowercase strings otherwise, with
//! strings before numbers.
//!
//! Parsing encodes that key once into a flat sequence of `u64` words whose
//! lexicographic order is the version order, so comparing two parsed
//! versions is a slice comparison with no allocation and no re-parsing.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{MAX_VERSION_LEN, ParseError, Scheme};

/// A PEP 440 version. Equality, hashing and ordering follow `packaging`
/// (`1.0 == 1.0.0 == v1.0`, `1.0+ABC == 1.0+abc`); `Display` shows the input
/// as given, [`Version::normalized`] the canonical form.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    /// The order-preserving encoding of `packaging`'s `_cmpkey` (see [`encode`]).
    key: Box<[u64]>,
}

/// Parses `s` as a PEP 440 version.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    Version::parse(s)
}

impl Version {
    /// Parses `s` as a PEP 440 version.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        if s.len() > MAX_VERSION_LEN {
            return Err(ParseError::new(
                Scheme::Pep440,
                s,
                format!("longer than {MAX_VERSION_LEN} bytes"),
            ));
        }
        let parts = split(s).map_err(|reason| ParseError::new(Scheme::Pep440, s, reason))?;
        Ok(Version {
            text: s.into(),
            key: encode(&parts).into_boxed_slice(),
        })
    }

    /// The input text, as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The canonical form, as `str(packaging.version.Version(text))` writes
    /// it: `1!2.0rc1.post3.dev4+ubuntu.1`.
    pub fn normalized(&self) -> String {
        match split(&self.text) {
            Ok(parts) => parts.normalized(),
            // Unreachable: the text was validated by `parse`.
            Err(_) => self.text.to_string(),
        }
    }

    /// Whether this is a pre-release or a development release (`1.0a1`,
    /// `1.0.dev1`, `1.0.post1.dev1`), as `packaging`'s `is_prerelease`.
    pub fn is_prerelease(&self) -> bool {
        split(&self.text).is_ok_and(|p| p.pre.is_some() || p.dev.is_some())
    }

    /// Whether this version has a local label (`1.0+ubuntu.1`).
    pub fn has_local(&self) -> bool {
        split(&self.text).is_ok_and(|p| p.local.is_some())
    }
}

impl FromStr for Version {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Version").field(&&*self.text).finish()
    }
}

// ---------------------------------------------------------------------------
// Syntax

/// Pre-release kinds, in their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    Alpha = 0,
    Beta = 1,
    Rc = 2,
}

impl Pre {
    fn as_str(self) -> &'static str {
        match self {
            Pre::Alpha => "a",
            Pre::Beta => "b",
            Pre::Rc => "rc",
        }
    }
}

/// The pieces of a valid version, borrowed from the input. Numbers are ASCII
/// digit runs (possibly with leading zeros, possibly huge); `None` numbers
/// are the implicit 0.
#[derive(Debug, Clone, Copy)]
struct Parts<'a> {
    epoch: Option<&'a str>,
    /// `N(.N)*`.
    release: &'a str,
    pre: Option<(Pre, Option<&'a str>)>,
    post: Option<Option<&'a str>>,
    dev: Option<Option<&'a str>>,
    /// `[a-z0-9]+([._-][a-z0-9]+)*`, as written.
    local: Option<&'a str>,
}

/// Python's `\s` for `str` patterns: Unicode `White_Space` plus the ASCII
/// separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The letter spellings of `packaging`'s `VERSION_PATTERN`, in the order its
/// alternations try them (the first that matches wins: `alpha` before `a`,
/// `preview` before `pre`).
const PRE_SPELLINGS: [(&str, Pre); 8] = [
    ("alpha", Pre::Alpha),
    ("a", Pre::Alpha),
    ("beta", Pre::Beta),
    ("b", Pre::Beta),
    ("preview", Pre::Rc),
    ("pre", Pre::Rc),
    ("c", Pre::Rc),
    ("rc", Pre::Rc),
];
const POST_SPELLINGS: [(&str, ()); 3] = [("post", ()), ("rev", ()), ("r", ())];
const DEV_SPELLINGS: [(&str, ()); 1] = [("dev", ())];

/// Splits a version into its parts, following `packaging`'s regular
/// expression (whose optional groups are possessive: once a group has
/// matched it is never given back, which is what this single greedy pass
/// does).
fn split(s: &str) -> Result<Parts<'_>, String> {
    let t = s.trim_matches(is_py_space);
    // Error offsets count from the start of the input.
    let lead = s.len() - s.trim_start_matches(is_py_space).len();
    let unexpected = |i: usize, expected: &str| match t.get(i..).and_then(|r| r.chars().next()) {
        Some(c) => format!("unexpected {c:?} at byte {}, expected {expected}", lead + i),
        None => format!("unexpected end, expected {expected}"),
    };
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'v' | b'V')) {
        i = 1;
    }

    // Epoch and release.
    let mut epoch = None;
    let mut end = digits(b, i);
    if end > i && b.get(end) == Some(&b'!') {
        epoch = Some(&t[i..end]);
        i = end + 1;
        end = digits(b, i);
    }
    if end == i {
        return Err(unexpected(i, "a release number"));
    }
    let release_start = i;
    while b.get(end) == Some(&b'.') && digits(b, end + 1) > end + 1 {
        end = digits(b, end + 1);
    }
    let release = &t[release_start..end];
    i = end;

    // Pre-release: [._-]? letter [._-]? N?
    let mut pre = None;
    if let Some((kind, after)) = keyword(b, separator(b, i), &PRE_SPELLINGS) {
        let (number, next) = number(t, separator(b, after));
        pre = Some((kind, number));
        i = next;
    }

    // Post-release: -N, or [._-]? letter [._-]? N?
    let mut post = None;
    if b.get(i) == Some(&b'-') && digits(b, i + 1) > i + 1 {
        let next = digits(b, i + 1);
        post = Some(Some(&t[i + 1..next]));
        i = next;
    } else if let Some(((), after)) = keyword(b, separator(b, i), &POST_SPELLINGS) {
        let (number, next) = number(t, separator(b, after));
        post = Some(number);
        i = next;
    }

    // Development release: [._-]? dev [._-]? N?
    let mut dev = None;
    if let Some(((), after)) = keyword(b, separator(b, i), &DEV_SPELLINGS) {
        let (number, next) = number(t, separator(b, after));
        dev = Some(number);
        i = next;
    }

    // Local label: + [a-z0-9]+ ([._-] [a-z0-9]+)*
    let mut local = None;
    if b.get(i) == Some(&b'+') {
        let start = i + 1;
        let mut end = alphanumerics(b, start);
        if end == start {
            return Err(unexpected(start, "a local version label"));
        }
        while separator(b, end) > end && alphanumerics(b, end + 1) > end + 1 {
            end = alphanumerics(b, end + 1);
        }
        local = Some(&t[start..end]);
        i = end;
    }

    if i != b.len() {
        return Err(unexpected(i, "the end of the version"));
    }
    Ok(Parts {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// The end of the run of ASCII digits starting at `i`.
fn digits(b: &[u8], i: usize) -> usize {
    i + b
        .get(i..)
        .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// The end of the run of ASCII letters and digits starting at `i`.
fn alphanumerics(b: &[u8], i: usize) -> usize {
    i + b.get(i..).map_or(0, |r| {
        r.iter().take_while(|c| c.is_ascii_alphanumeric()).count()
    })
}

/// `i + 1` if `b[i]` is one of `.`, `-`, `_`, else `i`.
fn separator(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'.' | b'-' | b'_') => i + 1,
        _ => i,
    }
}

/// The first spelling that `b[i..]` starts with (ASCII case-insensitively),
/// and where it ends.
fn keyword<T: Copy>(b: &[u8], i: usize, spellings: &[(&str, T)]) -> Option<(T, usize)> {
    let rest = b.get(i..)?;
    spellings.iter().find_map(|&(word, value)| {
        let n = word.len();
        rest.get(..n)
            .filter(|head| head.eq_ignore_ascii_case(word.as_bytes()))
            .map(|_| (value, i + n))
    })
}

/// An optional digit run at `i`, and where it ends.
fn number(t: &str, i: usize) -> (Option<&str>, usize) {
    let end = digits(t.as_bytes(), i);
    ((end > i).then(|| &t[i..end]), end)
}

/// A digit run without its leading zeros (`""` for zero).
fn significant(n: &str) -> &str {
    n.trim_start_matches('0')
}

impl Parts<'_> {
    fn normalized(&self) -> String {
        fn num(out: &mut String, n: Option<&str>) {
            let n = significant(n.unwrap_or(""));
            out.push_str(if n.is_empty() { "0" } else { n });
        }
        let mut out = String::with_capacity(self.release.len() + 16);
        if let Some(epoch) = self.epoch.map(significant).filter(|e| !e.is_empty()) {
            out.push_str(epoch);
            out.push('!');
        }
        for (n, component) in self.release.split('.').enumerate() {
            if n > 0 {
                out.push('.');
            }
            num(&mut out, Some(component));
        }
        if let Some((kind, n)) = self.pre {
            out.push_str(kind.as_str());
            num(&mut out, n);
        }
        if let Some(n) = self.post {
            out.push_str(".post");
            num(&mut out, n);
        }
        if let Some(n) = self.dev {
            out.push_str(".dev");
            num(&mut out, n);
        }
        if let Some(local) = self.local {
            out.push('+');
            for (n, segment) in local.split(['.', '-', '_']).enumerate() {
                if n > 0 {
                    out.push('.');
                }
                if segment.bytes().all(|c| c.is_ascii_digit()) {
                    num(&mut out, Some(segment));
                } else {
                    out.push_str(&segment.to_ascii_lowercase());
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// The sort key

/// Numbers with at most this many significant digits are stored in one word.
const SMALL_DIGITS: usize = 18;
/// First word of a number too big for one word: above every small number.
const BIG: u64 = u64::MAX;

/// Appends a number so that lexicographic word order is numeric order: a
/// number below 10^18 is the single word `n + offset`; a bigger one is
/// [`BIG`], its digit count, then its digits in 18-digit chunks. Encodings
/// that compare equal up to some word are aligned there, so what follows
/// compares correctly too.
fn push_number(key: &mut Vec<u64>, digits: &str, offset: u64) {
    let digits = significant(digits);
    if digits.len() <= SMALL_DIGITS {
        let n = digits
            .bytes()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        key.push(n + offset);
    } else {
        key.push(BIG);
        key.push(digits.len() as u64);
        for chunk in digits.as_bytes().chunks(SMALL_DIGITS) {
            let n = chunk.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            // Right-pad the last chunk: numbers of equal length share chunk bounds.
            let pad = (SMALL_DIGITS - chunk.len()) as u32;
            key.push(n * 10u64.pow(pad));
        }
    }
}

/// Appends a non-empty lowercase string so that word order is Python's
/// string order (all bytes are non-zero ASCII): big-endian 8-byte chunks,
/// zero-padded, and a zero word after a string whose length is a multiple
/// of 8 (so a proper prefix sorts first).
fn push_string(key: &mut Vec<u64>, s: &str) {
    for chunk in s.as_bytes().chunks(8) {
        let mut word = [0u8; 8];
        for (w, c) in word.iter_mut().zip(chunk) {
            *w = c.to_ascii_lowercase();
        }
        key.push(u64::from_be_bytes(word));
    }
    if s.len() % 8 == 0 {
        key.push(0);
    }
}

/// Encodes `packaging`'s `_cmpkey(epoch, release, pre, post, dev, local)`:
///
/// - epoch;
/// - the release without trailing zeros, each number `+ 1`, then `0`;
/// - `(pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n)` with pre_rank
///   dev-only = 0 < a = 1 < b = 2 < rc = 3 < none = 4, post_rank none = 0 <
///   post = 1, dev_rank dev = 0 < none = 1;
/// - `0` without a local label; else `1`, each segment (a string: `1` then
///   [`push_string`]; a number: itself `+ 2`), then `0`.
fn encode(p: &Parts<'_>) -> Vec<u64> {
    let mut key = Vec::with_capacity(12 + p.release.len() / 2);
    push_number(&mut key, p.epoch.unwrap_or(""), 0);

    let kept = p
        .release
        .split('.')
        .enumerate()
        .filter(|(_, c)| !significant(c).is_empty())
        .last()
        .map_or(0, |(n, _)| n + 1);
    for component in p.release.split('.').take(kept) {
        push_number(&mut key, component, 1);
    }
    key.push(0);

    let (pre_rank, pre_n) = match (p.pre, p.post, p.dev) {
        (Some((kind, n)), _, _) => (kind as u64 + 1, n),
        (None, None, Some(_)) => (0, None),
        (None, _, _) => (4, None),
    };
    key.push(pre_rank);
    push_number(&mut key, pre_n.unwrap_or(""), 0);
    key.push(u64::from(p.post.is_some()));
    push_number(&mut key, p.post.flatten().unwrap_or(""), 0);
    key.push(u64::from(p.dev.is_none()));
    push_number(&mut key, p.dev.flatten().unwrap_or(""), 0);

    match p.local {
        None => key.push(0),
        Some(local) => {
            key.push(1);
            for segment in local.split(['.', '-', '_']) {
                if segment.bytes().all(|c| c.is_ascii_digit()) {
                    push_number(&mut key, segment, 2);
                } else {
                    key.push(1);
                    push_string(&mut key, segment);
                }
            }
            key.push(0);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn hash_of(v: &Version) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    /// Strictly ascending, from packaging's own test suite (`VERSIONS`).
    const ASCENDING: &[&str] = &[
        // Implicit epoch of 0
        "1.0.dev456",
        "1.0a1",
        "1.0a2.dev456",
        "1.0a12.dev456",
        "1.0a12",
        "1.0b1.dev456",
        "1.0b2",
        "1.0b2.post345.dev456",
        "1.0b2.post345",
        "1.0b2-346",
        "1.0c1.dev456",
        "1.0c1",
        "1.0rc2",
        "1.0c3",
        "1.0",
        "1.0.post456.dev34",
        "1.0.post456",
        "1.1.dev1",
        "1.2+123abc",
        "1.2+123abc456",
        "1.2+abc",
        "1.2+abc123",
        "1.2+abc123def",
        "1.2+1234.abc",
        "1.2+123456",
        "1.2.r32+123456",
        "1.2.rev33+123456",
        // Explicit epoch of 1
        "1!1.0.dev456",
        "1!1.0a1",
        "1!1.0a2.dev456",
        "1!1.0a12.dev456",
        "1!1.0a12",
        "1!1.0b1.dev456",
        "1!1.0b2",
        "1!1.0b2.post345.dev456",
        "1!1.0b2.post345",
        "1!1.0b2-346",
        "1!1.0c1.dev456",
        "1!1.0c1",
        "1!1.0rc2",
        "1!1.0c3",
        "1!1.0",
        "1!1.0.post456.dev34",
        "1!1.0.post456",
        "1!1.1.dev1",
        "1!1.2+123abc",
        "1!1.2+123abc456",
        "1!1.2+abc",
        "1!1.2+abc123",
        "1!1.2+abc123def",
        "1!1.2+1234.abc",
        "1!1.2+123456",
        "1!1.2.r32+123456",
        "1!1.2.rev33+123456",
    ];

    #[test]
    fn packaging_suite_order() {
        let parsed: Vec<Version> = ASCENDING.iter().map(|s| v(s)).collect();
        for (i, a) in parsed.iter().enumerate() {
            for (j, b) in parsed.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
                assert_eq!(a == b, i == j);
            }
        }
    }

    #[test]
    fn more_order() {
        let ascending = [
            "0.dev0",
            "0",
            "0.0.0.1",
            "0.1",
            "1.0.dev1",
            "1.0a1.dev1",
            "1.0a1",
            "1.0a1.post1.dev1",
            "1.0a1.post1",
            "1.0",
            "1.0+a",
            "1.0+a.a",
            "1.0+a-z",
            "1.0+a.0",
            "1.0+aa",
            "1.0+aaaaaaaa",
            "1.0+aaaaaaaa.1",
            "1.0+aaaaaaaaa",
            "1.0+b",
            "1.0+0",
            "1.0+1",
            "1.0+1.a",
            "1.0+1.0",
            "1.0+2",
            "1.0+99999999999999999999",
            "1.0+100000000000000000000",
            "1.0.post0.dev0",
            "1.0.post0",
            "1.0.post1",
            "1.0.1",
            "1.99999999999999999",
            "1.999999999999999999",
            "1.1000000000000000000",
            "1.9999999999999999999",
            "1.10000000000000000000",
            "1.10000000000000000000.1",
            "1.10000000000000000001",
            "1.123456789012345678901234567890123456789",
            "1.123456789012345678901234567890123456790",
            "2",
            "1!0",
            "99999999999999999999!0",
        ];
        let parsed: Vec<Version> = ascending.iter().map(|s| v(s)).collect();
        for w in parsed.windows(2) {
            assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
        }
        for (i, a) in parsed.iter().enumerate() {
            for (j, b) in parsed.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn equal_spellings() {
        let groups: &[&[&str]] = &[
            &[
                "1", "1.0", "1.0.0", "01.00", "v1", "V1.0", " 1.0\n", "0!1", "00!1.0",
            ],
            &["0", "0.0", "00", "v0.0.0"],
            &[
                "1.0a1",
                "1.0alpha1",
                "1.0-a-1",
                "1.0_A.1",
                "1.0.alpha.1",
                "1.0a01",
            ],
            &["1.0a0", "1.0a", "1.0ALPHA", "1.0-a"],
            &["1.0b2", "1.0beta2", "1.0-b.2"],
            &[
                "1.0rc3",
                "1.0c3",
                "1.0pre3",
                "1.0preview3",
                "1.0-RC-3",
                "1.0.C_3",
            ],
            &[
                "1.0.post1",
                "1.0post1",
                "1.0-1",
                "1.0.r1",
                "1.0rev1",
                "1.0-post-1",
                "1.0_r_1",
            ],
            &["1.0.post0", "1.0.post", "1.0-r", "1.0rev", "1.0-0"],
            &["1.0.dev0", "1.0dev", "1.0-dev", "1.0_DEV_0", "1.0.dev."],
            &["1.0+abc.1", "1.0+ABC-01", "1.0+abc_1", "1.0.0+Abc.001"],
            &["1.0a.", "1.0a0"],
            &["1.0.post.", "1.0.post0"],
            &[
                "1.100000000000000000000000",
                "1.00100000000000000000000000",
                "1.100000000000000000000000.0.0",
            ],
        ];
        for group in groups {
            let first = v(group[0]);
            for s in *group {
                let other = v(s);
                assert_eq!(first, other, "{} == {s}", group[0]);
                assert_eq!(first.cmp(&other), Ordering::Equal);
                assert_eq!(hash_of(&first), hash_of(&other), "hash {} {s}", group[0]);
            }
        }
    }

    #[test]
    fn normalized_forms() {
        let cases = [
            ("1.0", "1.0"),
            ("v1.0.0", "1.0.0"),
            ("  V01.02\t", "1.2"),
            ("0!1", "1"),
            ("02!1", "2!1"),
            ("1.0ALPHA", "1.0a0"),
            ("1.0-beta.2", "1.0b2"),
            ("1.0preview", "1.0rc0"),
            ("1.0c1", "1.0rc1"),
            ("1.0-1", "1.0.post1"),
            ("1.0r", "1.0.post0"),
            ("1.0rev02", "1.0.post2"),
            ("1.0dev", "1.0.dev0"),
            ("1.0-a1-post2-dev3", "1.0a1.post2.dev3"),
            ("1.0+UBUNTU-01_x", "1.0+ubuntu.1.x"),
            ("1.0+000", "1.0+0"),
            ("1.0001000000000000000000000", "1.1000000000000000000000"),
        ];
        for (input, want) in cases {
            assert_eq!(v(input).normalized(), want, "{input}");
            assert_eq!(v(input).to_string(), input);
        }
    }

    #[test]
    fn invalid() {
        for s in [
            "",
            " ",
            "v",
            "vv1",
            "1.",
            ".1",
            "1..0",
            "1!",
            "!1",
            "1!2!3",
            "1.0-",
            "1.0+",
            "1.0+a.",
            "1.0+a..b",
            "1.0+a+b",
            "1.0+a b",
            "1.0 a1",
            "1.0ab",
            "1.0a1b2",
            "1.0alpha-beta",
            "1.0dev1.post1",
            "1.0.post1a1",
            "1.0prev1",
            "1.0prevıew1",
            "1.0\u{200b}",
            "١.٠",
            "１.０",
            "1.0-final",
            "1.0-1-1",
            "a1.0",
            "v 1.0",
            "1.0.x",
            "0x1",
            "1_000",
            "-1",
            "+1",
        ] {
            assert!(Version::parse(s).is_err(), "{s:?} must be rejected");
        }
        let long = "1".repeat(MAX_VERSION_LEN + 1);
        assert!(Version::parse(&long).is_err());
    }

    #[test]
    fn whitespace_is_python_s() {
        for ws in [
            "\t", "\n", "\u{b}", "\u{c}", "\r", "\u{1c}", "\u{1f}", "\u{85}", "\u{a0}",
        ] {
            let s = format!("{ws}1.0{ws}");
            assert_eq!(v(&s), v("1.0"), "{s:?}");
        }
        for ws in ["\u{2003}", "\u{3000}", "\u{2028}"] {
            assert!(Version::parse(&format!("{ws}1.0")).is_ok());
        }
        assert!(Version::parse("1.0\u{0}").is_err());
        assert!(Version::parse("\u{feff}1.0").is_err());
    }

    #[test]
    fn error_reasons() {
        let e = Version::parse("1.0-final").unwrap_err();
        assert_eq!(e.scheme, Scheme::Pep440);
        assert!(e.reason.contains("at byte 3"), "{}", e.reason);
        let e = Version::parse(" \t1.0-final").unwrap_err();
        assert!(e.reason.contains("at byte 5"), "{}", e.reason);
        let e = Version::parse("").unwrap_err();
        assert!(e.reason.contains("release number"), "{}", e.reason);
    }

    #[test]
    fn flags() {
        assert!(v("1.0a1").is_prerelease());
        assert!(v("1.0.dev1").is_prerelease());
        assert!(v("1.0.post1.dev1").is_prerelease());
        assert!(!v("1.0.post1").is_prerelease());
        assert!(v("1.0+x").has_local());
        assert!(!v("1.0").has_local());
        assert_eq!(v("1.0").as_str(), "1.0");
        assert_eq!("1.0".parse::<Version>().unwrap(), v("1.0.0"));
        assert_eq!(format!("{:?}", v("1.0")), "Version(\"1.0\")");
    }

    // --- Model check: the word encoding against a direct implementation of
    // packaging's `_cmpkey` tuple comparison.

    fn cmp_num(a: Option<&str>, b: Option<&str>) -> Ordering {
        let a = significant(a.unwrap_or(""));
        let b = significant(b.unwrap_or(""));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    fn model_cmp(a: &str, b: &str) -> Ordering {
        let (a, b) = (split(a).unwrap(), split(b).unwrap());
        let trimmed = |p: &Parts<'_>| -> Vec<String> {
            let mut r: Vec<String> = p
                .release
                .split('.')
                .map(|c| significant(c).to_string())
                .collect();
            while r.last().is_some_and(|c| c.is_empty()) {
                r.pop();
            }
            r
        };
        type Suffix<'a> = (
            i32,
            Option<&'a str>,
            i32,
            Option<&'a str>,
            i32,
            Option<&'a str>,
        );
        fn suffix<'a>(p: &Parts<'a>) -> Suffix<'a> {
            let (rank, n) = match (p.pre, p.post, p.dev) {
                (Some((k, n)), _, _) => (k as i32, n),
                (None, None, Some(_)) => (-1, None),
                _ => (3, None),
            };
            (
                rank,
                n,
                i32::from(p.post.is_some()),
                p.post.flatten(),
                i32::from(p.dev.is_none()),
                p.dev.flatten(),
            )
        }
        let local = |p: &Parts<'_>| -> Option<Vec<(bool, String)>> {
            p.local.map(|l| {
                l.split(['.', '-', '_'])
                    .map(|s| {
                        if s.bytes().all(|c| c.is_ascii_digit()) {
                            (true, significant(s).to_string())
                        } else {
                            (false, s.to_ascii_lowercase())
                        }
                    })
                    .collect()
            })
        };
        let release_cmp = |x: &[String], y: &[String]| -> Ordering {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_num(Some(p), Some(q));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        };
        let (sa, sb) = (suffix(&a), suffix(&b));
        cmp_num(a.epoch, b.epoch)
            .then_with(|| release_cmp(&trimmed(&a), &trimmed(&b)))
            .then_with(|| sa.0.cmp(&sb.0))
            .then_with(|| cmp_num(sa.1, sb.1))
            .then_with(|| sa.2.cmp(&sb.2))
            .then_with(|| cmp_num(sa.3, sb.3))
            .then_with(|| sa.4.cmp(&sb.4))
            .then_with(|| cmp_num(sa.5, sb.5))
            .then_with(|| match (local(&a), local(&b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => {
                    for (p, q) in x.iter().zip(&y) {
                        let o = match (p.0, q.0) {
                            (true, true) => cmp_num(Some(&p.1), Some(&q.1)),
                            (false, false) => p.1.cmp(&q.1),
                            (false, true) => Ordering::Less,
                            (true, false) => Ordering::Greater,
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    x.len().cmp(&y.len())
                }
            })
    }

    fn number() -> BoxedStrategy<String> {
        prop_oneof![
            4 => (0u32..4).prop_map(|n| n.to_string()),
            1 => "0{0,2}[0-9]{1,3}",
            1 => "[0-9]{17,40}",
            1 => Just("999999999999999999".to_string()),
            1 => Just("1000000000000000000".to_string()),
        ]
        .boxed()
    }

    fn version() -> impl Strategy<Value = String> {
        let sep = prop_oneof![Just(""), Just("."), Just("-"), Just("_")];
        let opt_num = proptest::option::of(number()).prop_map(Option::unwrap_or_default);
        let pre = proptest::option::of((
            sep.clone(),
            prop::sample::select(vec!["a", "alpha", "b", "BETA", "rc", "c", "pre", "preview"]),
            sep.clone(),
            opt_num.clone(),
        ))
        .prop_map(|o| o.map_or(String::new(), |(a, b, c, d)| format!("{a}{b}{c}{d}")));
        let post = proptest::option::of(prop_oneof![
            number().prop_map(|n| format!("-{n}")),
            (
                sep.clone(),
                prop::sample::select(vec!["post", "r", "REV"]),
                opt_num.clone()
            )
                .prop_map(|(a, b, c)| format!("{a}{b}{c}")),
        ])
        .prop_map(Option::unwrap_or_default);
        let dev = proptest::option::of((sep, opt_num))
            .prop_map(|o| o.map_or(String::new(), |(a, b)| format!("{a}dev{b}")));
        let segment = prop_oneof![number(), "[a-zA-Z0-9]{1,10}"];
        let local = proptest::option::of(prop::collection::vec(segment, 1..4))
            .prop_map(|o| o.map_or(String::new(), |s| format!("+{}", s.join("."))));
        let epoch = proptest::option::of(number())
            .prop_map(|o| o.map_or(String::new(), |e| format!("{e}!")));
        (
            epoch,
            prop::collection::vec(number(), 1..5),
            pre,
            post,
            dev,
            local,
        )
            .prop_map(|(e, r, pre, post, dev, local)| {
                format!("{e}{}{pre}{post}{dev}{local}", r.join("."))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn encoding_matches_model(a in version(), b in version()) {
            let (va, vb) = (v(&a), v(&b));
            prop_assert_eq!(va.cmp(&vb), model_cmp(&a, &b), "{} vs {}", a, b);
        }

        #[test]
        fn total_order_consistent_with_eq(a in version(), b in version(), c in version()) {
            let (a, b, c) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
            // Re-parsing the canonical form gives an equal version.
            prop_assert_eq!(v(&a.normalized()), a.clone());
            prop_assert_eq!(a.cmp(&a), Ordering::Equal);
        }

        #[test]
        fn never_panics(s in "[ v0-9a-zA-Z.!+_-]{0,24}|\\PC{0,16}") {
            if let Ok(version) = Version::parse(&s) {
                prop_assert_eq!(v(&version.normalized()), version);
            }
        }
    }
}
