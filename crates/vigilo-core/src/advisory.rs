//! Advisories: the OSV model, as vigilo's domain types.
//!
//! An [`Advisory`] keeps what matching and listing need, parsed; the full
//! record (every field, `database_specific` and `ecosystem_specific`
//! included) travels beside it as its original JSON, so nothing is lost on
//! the way through the hub.

use vigilo_version::range::Range;
use vigilo_version::{Ecosystem, Version};

/// One advisory (an OSV record).
#[derive(Debug, Clone)]
pub struct Advisory {
    pub id: String,
    /// RFC 3339, as in the record.
    pub modified: String,
    pub published: Option<String>,
    pub withdrawn: Option<String>,
    pub aliases: Vec<String>,
    pub related: Vec<String>,
    pub summary: Option<String>,
    /// The rating: from a CVSS v3 vector's base score, else the source's
    /// own word (`database_specific.severity`).
    pub severity: Option<crate::Severity>,
    pub affected: Vec<Affected>,
}

impl Advisory {
    /// Whether the advisory has been withdrawn (it then matches nothing).
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

/// One `affected` entry: a package and the versions of it that are affected.
#[derive(Debug, Clone)]
pub struct Affected {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub purl: Option<String>,
    pub ranges: Vec<AffectedRange>,
    /// Explicitly listed affected versions, as given.
    pub versions: Vec<String>,
}

/// A range of an `affected` entry.
#[derive(Debug, Clone)]
pub enum AffectedRange {
    /// `ECOSYSTEM` or `SEMVER`: evaluated against package versions.
    Versions {
        kind: RangeKind,
        range: Range,
        /// The events as written, for display (`introduced 2.0.0, fixed 2.15.0`).
        text: String,
    },
    /// `GIT`: commit ranges, kept but never evaluated against package versions.
    Git { repo: String, text: String },
    /// An `ECOSYSTEM` range of an ecosystem vigilo cannot order: kept, shown,
    /// never evaluated.
    Unordered { text: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeKind {
    Ecosystem,
    SemVer,
}

impl RangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::SemVer => "SEMVER",
        }
    }
}

impl Affected {
    /// The parsed explicit versions (those that parse under the scheme).
    pub fn parsed_versions(&self) -> Vec<Version> {
        let Some(scheme) = self.ecosystem.scheme() else {
            return Vec::new();
        };
        self.versions
            .iter()
            .filter_map(|v| Version::parse(scheme, v).ok())
            .collect()
    }
}
