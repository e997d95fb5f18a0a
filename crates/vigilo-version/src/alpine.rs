//! Alpine (apk) versions, validated and ordered as apk-tools' `src/version.c`
//! (`apk_version_validate`, `apk_version_compare`) does.
//!
//! Grammar: `digits{.digits}[letter]{_suffix[digits]}[~hash][-rdigits]`, where
//! `letter` is one of `a`–`z`, `suffix` one of `alpha`, `beta`, `pre`, `rc`,
//! `cvs`, `svn`, `git`, `hg`, `p`, and `hash` a run of lowercase hex digits.
//! Nothing else is valid (no uppercase, no `-` other than `-r`, nothing after
//! the revision).
//!
//! Two versions compare token by token. Tokens of the same kind compare by
//! value: the first number and suffix/revision numbers numerically; later
//! dot-separated numbers numerically unless either has a leading zero, in
//! which case as strings (so `1.01 < 1.1`, `1.0 < 1.00`); letters and hashes
//! byte-wise; suffixes `_alpha < _beta < _pre < _rc < _cvs < _svn < _git <
//! _hg < _p`. At the first pair of tokens of different kinds (the end of a
//! version counts as a kind), a pre-release suffix (`_alpha` … `_rc`) is the
//! smaller; otherwise the side whose token kind comes later in the grammar
//! (dot number, letter, suffix, suffix number, hash, revision, end) is the
//! smaller. So `1.0_rc1 < 1.0 < 1.0-r1 < 1.0_p1 < 1.0a < 1.0.1`.
//!
//! # Difference from apk
//!
//! apk reads numbers into a wrapping `uint64_t`; here numbers of any size
//! compare exactly. The two agree on every number below 2^64.
//!
//! # Normalized key
//!
//! Parsing encodes the token sequence into a byte string whose byte-wise order
//! is apk's order, so `cmp`, `==` and `hash` are slice operations. Each token
//! is a class byte (in the order of the rules above) and a payload:
//!
//! | class | token                  | payload                                   |
//! |-------|------------------------|-------------------------------------------|
//! | 0     | `_alpha` … `_rc`       | suffix rank                               |
//! | 1     | end                    |                                           |
//! | 2     | `-r` number            | number                                    |
//! | 3     | `~` hash               | the hex digits, `0`                       |
//! | 4     | suffix number          | number                                    |
//! | 5     | `_cvs` … `_p`          | suffix rank                               |
//! | 6     | letter                 | the letter                                |
//! | 7     | `.` number             | `0`, the digits, `0` when it starts with `0`; else `1`, number |
//! | 8     | first number           | number                                    |
//!
//! where "number" is the digit count without leading zeros (4 bytes, big
//! endian) followed by those digits.

use std::fmt;

use crate::{ParseError, Scheme};

const CLASS_PRE_SUFFIX: u8 = 0;
const CLASS_END: u8 = 1;
const CLASS_REVISION: u8 = 2;
const CLASS_HASH: u8 = 3;
const CLASS_SUFFIX_NO: u8 = 4;
const CLASS_POST_SUFFIX: u8 = 5;
const CLASS_LETTER: u8 = 6;
const CLASS_DIGIT: u8 = 7;
const CLASS_INITIAL_DIGIT: u8 = 8;

/// Suffixes in apk's order; `_` + name. The pre-release ones come first.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const PRE_RELEASE_SUFFIXES: usize = 4;

/// apk's token kinds, in grammar order (which is also the order `next`
/// checks against: a token may only follow tokens of certain earlier kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
}

/// An Alpine package version.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    key: Box<[u8]>,
}

impl Version {
    /// Parses an apk version.
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        parse(s)
    }
}

/// Parses an apk version; valid exactly when `apk_version_validate` accepts it.
pub fn parse(s: &str) -> Result<Version, ParseError> {
    let err = |at: usize, reason: &str| {
        ParseError::new(Scheme::Alpine, s, format!("{reason} at byte {at}"))
    };
    if s.len() > crate::MAX_VERSION_LEN {
        return Err(ParseError::new(Scheme::Alpine, s, "too long"));
    }
    let b = s.as_bytes();
    let mut key = Vec::with_capacity(b.len() + 24);

    let digits = span(b, 0, |c| c.is_ascii_digit());
    if digits.is_empty() {
        return Err(err(0, "expected a digit"));
    }
    key.push(CLASS_INITIAL_DIGIT);
    push_number(&mut key, digits);
    let mut i = digits.len();
    let mut prev = Token::InitialDigit;

    while let Some(&c) = b.get(i) {
        match c {
            b'a'..=b'z' => {
                if prev > Token::Digit {
                    return Err(err(i, "unexpected letter"));
                }
                key.extend_from_slice(&[CLASS_LETTER, c]);
                i += 1;
                prev = Token::Letter;
            }
            b'.' | b'0'..=b'9' => {
                // A digit can only start a token right after a suffix name;
                // a '.' only after a number.
                let dot = c == b'.';
                if dot {
                    if prev > Token::Digit {
                        return Err(err(i, "unexpected '.'"));
                    }
                    i += 1;
                }
                let digits = span(b, i, |c| c.is_ascii_digit());
                if digits.is_empty() {
                    return Err(err(i, "expected a digit"));
                }
                match prev {
                    Token::InitialDigit | Token::Digit if dot => {
                        key.push(CLASS_DIGIT);
                        if digits.first() == Some(&b'0') {
                            // apk compares these as strings.
                            key.push(0);
                            key.extend_from_slice(digits);
                            key.push(0);
                        } else {
                            key.push(1);
                            push_number(&mut key, digits);
                        }
                        prev = Token::Digit;
                    }
                    Token::Suffix if !dot => {
                        key.push(CLASS_SUFFIX_NO);
                        push_number(&mut key, digits);
                        prev = Token::SuffixNo;
                    }
                    _ => return Err(err(i, "unexpected digit")),
                }
                i += digits.len();
            }
            b'_' => {
                if prev > Token::SuffixNo {
                    return Err(err(i, "unexpected '_'"));
                }
                let name = span(b, i + 1, |c| c.is_ascii_lowercase());
                let Some(rank) = SUFFIXES.iter().position(|s| s.as_bytes() == name) else {
                    return Err(err(i, "unknown suffix"));
                };
                let class = if rank < PRE_RELEASE_SUFFIXES {
                    CLASS_PRE_SUFFIX
                } else {
                    CLASS_POST_SUFFIX
                };
                key.extend_from_slice(&[class, rank as u8]);
                i += 1 + name.len();
                prev = Token::Suffix;
            }
            b'~' => {
                if prev >= Token::CommitHash {
                    return Err(err(i, "unexpected '~'"));
                }
                let hash = span(b, i + 1, |c| matches!(c, b'0'..=b'9' | b'a'..=b'f'));
                if hash.is_empty() {
                    return Err(err(i + 1, "expected a lowercase hex digit"));
                }
                key.push(CLASS_HASH);
                key.extend_from_slice(hash);
                key.push(0);
                i += 1 + hash.len();
                prev = Token::CommitHash;
            }
            b'-' => {
                if prev >= Token::RevisionNo || b.get(i + 1) != Some(&b'r') {
                    return Err(err(
                        i,
                        "unexpected '-' (only a final -r<number> may follow)",
                    ));
                }
                let digits = span(b, i + 2, |c| c.is_ascii_digit());
                if digits.is_empty() {
                    return Err(err(i + 2, "expected a digit"));
                }
                key.push(CLASS_REVISION);
                push_number(&mut key, digits);
                i += 2 + digits.len();
                prev = Token::RevisionNo;
            }
            _ => return Err(err(i, "unexpected character")),
        }
    }
    key.push(CLASS_END);
    Ok(Version {
        text: s.into(),
        key: key.into_boxed_slice(),
    })
}

/// The longest run of bytes from `start` that satisfy `f`.
fn span(b: &[u8], start: usize, f: impl Fn(u8) -> bool) -> &[u8] {
    let rest = b.get(start..).unwrap_or(&[]);
    let n = rest.iter().position(|&c| !f(c)).unwrap_or(rest.len());
    &rest[..n]
}

/// Appends a number that orders numerically: its length without leading
/// zeros (bounded by `MAX_VERSION_LEN`), then those digits.
fn push_number(key: &mut Vec<u8>, digits: &[u8]) {
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let digits = &digits[first..];
    key.extend_from_slice(&(digits.len() as u32).to_be_bytes());
    key.extend_from_slice(digits);
}

crate::key_ordering!(Version);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "alpine::Version({:?})", &*self.text)
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

    #[test]
    fn chain() {
        // Each strictly less than the next.
        let chain = [
            "0",
            "0.0",
            "0.00",
            "0.01",
            "0.010",
            "0.1",
            "0.9",
            "0.10",
            "1_alpha",
            "1_alpha1",
            "1_alpha2_beta",
            "1_beta",
            "1_pre",
            "1_rc",
            "1_rc1",
            "1",
            "1.0_alpha",
            "1.0",
            "1.0-r1",
            "1.0-r2",
            "1.0-r10",
            "1.0~0",
            "1.0~0-r1",
            "1.0~1",
            "1.0~a",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git",
            "1.0_hg",
            "1.0_p",
            "1.0_p-r1",
            "1.0_p~0",
            "1.0_p1",
            "1.0_p1-r1",
            "1.0_p1_p",
            "1.0_p2",
            "1.0a",
            "1.0a_p1",
            "1.0b",
            "1.0z",
            "1.0.0",
            "1.1",
            "1.2.3",
            "1.10",
            "2",
            "18446744073709551615",
            "18446744073709551616",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
            assert!(v(w[1]) > v(w[0]), "{} > {}", w[1], w[0]);
        }
    }

    #[test]
    fn equal_but_differently_written() {
        for (a, b) in [
            ("01", "1"),
            ("1.0-r01", "1.0-r1"),
            ("1.0-r0", "1.0-r00"),
            ("1_p01", "1_p1"),
            ("1.0~ab-r1", "1.0~ab-r01"),
        ] {
            assert_eq!(v(a), v(b), "{a} = {b}");
            assert_eq!(v(a).cmp(&v(b)), Ordering::Equal);
            assert_eq!(v(a).to_string(), a);
        }
        // Leading zeros in a dot number are significant: string comparison.
        assert!(v("1.010") < v("1.10"));
        assert!(v("1.0") < v("1.00"));
    }

    #[test]
    fn validity() {
        for ok in [
            "0",
            "1.2.3",
            "1.2.3a",
            "1.2_alpha",
            "1_alpha1_beta2_p",
            "1.0~abc123",
            "1.0~abc-r3",
            "1.0_git20230101~deadbeef-r0",
            "1.0-r0",
            "0001.0000",
        ] {
            assert!(parse(ok).is_ok(), "{ok:?} should be valid");
        }
        for bad in [
            "",
            "a",
            ".1",
            "1.",
            "1..2",
            "1.0ab",
            "1a2",
            "1a.2",
            "1_",
            "1_foo",
            "1_alphabet",
            "1_pr",
            "1.0-r",
            "1.0-1",
            "1.0-r1-r2",
            "1.0-r1_p1",
            "1.0-r1a",
            "1.0~",
            "1.0~ABC",
            "1.0~g",
            "1.0~1~2",
            "1.0-r1~1",
            "1.0A",
            "v1.0",
            "1.0 ",
            " 1.0",
            "1.0_p1.2",
            "1.0\u{0}",
            "1_alpha.1",
            "1.0_rc1a",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    fn arb_version() -> impl Strategy<Value = String> {
        let tok = prop::sample::select(vec![
            ".0", ".1", ".01", ".10", "a", "z", "_alpha", "_rc", "_p", "_git", "1", "~0", "~a",
            "-r0", "-r1", "_", ".", "-",
        ]);
        (
            prop::sample::select(vec!["0", "1", "01", "2"]),
            prop::collection::vec(tok, 0..6),
        )
            .prop_map(|(first, toks)| {
                let mut s = first.to_owned();
                s.extend(toks);
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
