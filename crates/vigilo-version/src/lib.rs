//! Version syntax and ordering for every ecosystem vigilo matches, and the
//! evaluation of OSV affected ranges.
//!
//! Each scheme lives in its own module with a `Version` type that parses
//! (never panicking: invalid input is a [`ParseError`]) and orders exactly as
//! the ecosystem's reference implementation does; the differential tests in
//! `tests/` hold each one to that reference. [`Ecosystem`] maps OSV's
//! ecosystem names to schemes; an ecosystem without a known scheme has none,
//! and callers must say "cannot order" rather than guess.
//!
//! No IO and no serde: wire formats live in `vigilo-formats`.
#![forbid(unsafe_code)]

/// Implements `PartialEq`, `Eq`, `Hash`, `Ord` and `PartialOrd` for a version
/// type from its precomputed comparison `key` field, so that all five agree.
macro_rules! key_ordering {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.key == other.key
            }
        }

        impl Eq for $t {}

        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.key.hash(state);
            }
        }

        impl Ord for $t {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.key.cmp(&other.key)
            }
        }

        impl PartialOrd for $t {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
    };
}
pub(crate) use key_ordering;

pub mod alpine;
pub mod debian;
mod ecosystem;
pub mod go;
pub mod maven;
pub mod nuget;
pub mod pep440;
pub mod range;
pub mod rpm;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

pub use ecosystem::{Ecosystem, Scheme};

/// A version string that does not follow its scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {input:?}: {reason}")]
pub struct ParseError {
    pub scheme: Scheme,
    pub input: String,
    pub reason: String,
}

impl ParseError {
    pub fn new(scheme: Scheme, input: &str, reason: impl Into<String>) -> Self {
        // Keep error values bounded whatever the input size.
        let input = if input.len() > 256 {
            let mut end = 256;
            while !input.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &input[..end])
        } else {
            input.to_owned()
        };
        ParseError {
            scheme,
            input,
            reason: reason.into(),
        }
    }
}

/// Longest version string any parser accepts.
pub const MAX_VERSION_LEN: usize = 1024;

/// A parsed version of some scheme. Versions of different schemes are
/// incomparable ([`Version::compare`] returns `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Version {
    Pep440(pep440::Version),
    SemVer(semver::Version),
    Maven(maven::Version),
    Debian(debian::Version),
    RubyGems(rubygems::Version),
    NuGet(nuget::Version),
    Alpine(alpine::Version),
    Rpm(rpm::Version),
}

impl Version {
    /// Parses `text` under `scheme`.
    pub fn parse(scheme: Scheme, text: &str) -> Result<Version, ParseError> {
        if text.len() > MAX_VERSION_LEN {
            return Err(ParseError::new(
                scheme,
                text,
                format!("longer than {MAX_VERSION_LEN} bytes"),
            ));
        }
        Ok(match scheme {
            Scheme::Pep440 => Version::Pep440(pep440::Version::parse(text)?),
            Scheme::SemVer => Version::SemVer(semver::Version::parse(text)?),
            Scheme::Npm => Version::SemVer(semver::Version::parse_npm(text)?),
            Scheme::Go => Version::SemVer(go::parse(text)?),
            Scheme::Maven => Version::Maven(maven::Version::parse(text)?),
            Scheme::Debian => Version::Debian(debian::Version::parse(text)?),
            Scheme::RubyGems => Version::RubyGems(rubygems::Version::parse(text)?),
            Scheme::NuGet => Version::NuGet(nuget::Version::parse(text)?),
            Scheme::Alpine => Version::Alpine(alpine::Version::parse(text)?),
            Scheme::Rpm => Version::Rpm(rpm::Version::parse(text)?),
        })
    }

    /// Orders two versions of the same scheme.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        use Version::*;
        Some(match (self, other) {
            (Pep440(a), Pep440(b)) => a.cmp(b),
            (SemVer(a), SemVer(b)) => a.cmp(b),
            (Maven(a), Maven(b)) => a.cmp(b),
            (Debian(a), Debian(b)) => a.cmp(b),
            (RubyGems(a), RubyGems(b)) => a.cmp(b),
            (NuGet(a), NuGet(b)) => a.cmp(b),
            (Alpine(a), Alpine(b)) => a.cmp(b),
            (Rpm(a), Rpm(b)) => a.cmp(b),
            _ => return None,
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare(other)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Pep440(v) => v.fmt(f),
            Version::SemVer(v) => v.fmt(f),
            Version::Maven(v) => v.fmt(f),
            Version::Debian(v) => v.fmt(f),
            Version::RubyGems(v) => v.fmt(f),
            Version::NuGet(v) => v.fmt(f),
            Version::Alpine(v) => v.fmt(f),
            Version::Rpm(v) => v.fmt(f),
        }
    }
}

/// Compares two version strings of an ecosystem. `Err` when either does not
/// parse, or the ecosystem has no known scheme.
pub fn compare(ecosystem: &Ecosystem, a: &str, b: &str) -> Result<Ordering, CompareError> {
    let scheme = ecosystem
        .scheme()
        .ok_or_else(|| CompareError::CannotOrder(ecosystem.to_string()))?;
    let a = Version::parse(scheme, a)?;
    let b = Version::parse(scheme, b)?;
    a.compare(&b)
        .ok_or_else(|| CompareError::CannotOrder(ecosystem.to_string()))
}

/// Why two versions could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("cannot order versions of ecosystem {0:?}: no known version scheme")]
    CannotOrder(String),
    #[error(transparent)]
    Parse(#[from] ParseError),
}
