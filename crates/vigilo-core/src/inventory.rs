//! What a scan finds: components with the evidence of where they live and
//! how they were identified.

use std::fmt;

use crate::package::Component;

/// The separator between the links of an evidence path chain:
/// `app.ear!/lib/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar`.
pub const CHAIN_SEPARATOR: &str = "!/";

/// How a component was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// Listed in an SBOM (CycloneDX, SPDX).
    Sbom,
    /// Listed in a lockfile or a manifest with exact versions.
    Lockfile,
    /// An installed package's own metadata (`*.dist-info/METADATA`,
    /// `node_modules/**/package.json`, dpkg's status database).
    Installed,
    /// `META-INF/maven/**/pom.properties` inside a Java archive.
    PomProperties,
    /// `META-INF/MANIFEST.MF` attributes.
    JarManifest,
    /// The archive's file name (`log4j-core-2.14.1.jar`).
    FileName,
    /// Class files recognised by name and content (shaded or renamed copies).
    ClassFingerprint,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Sbom => "sbom",
            Method::Lockfile => "lockfile",
            Method::Installed => "installed",
            Method::PomProperties => "pom-properties",
            Method::JarManifest => "jar-manifest",
            Method::FileName => "file-name",
            Method::ClassFingerprint => "class-fingerprint",
        }
    }

    /// How much the identification is worth: a higher rank wins when one
    /// archive is identified several ways.
    pub fn rank(self) -> u8 {
        match self {
            Method::Sbom | Method::Lockfile | Method::Installed => 5,
            Method::PomProperties => 4,
            Method::ClassFingerprint => 3,
            Method::JarManifest => 2,
            Method::FileName => 1,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a component was found and why it is believed to be what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Evidence {
    /// The path chain, links joined by [`CHAIN_SEPARATOR`].
    pub path: String,
    pub method: Method,
    /// What was read: the member (`META-INF/maven/…/pom.properties`), the
    /// lockfile location (`line 12`, `/packages/node_modules~1qs`), the
    /// class fingerprint's findings.
    pub detail: String,
    /// SHA-256 (hex) of the innermost file holding the evidence: the jar, the
    /// lockfile, the SBOM.
    pub sha256: Option<String>,
}

/// Whether a component is exposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// A version known to be affected.
    Affected,
    /// Affected by version, but the vulnerable code is provably absent
    /// (`JndiLookup.class` removed).
    Mitigated,
    /// The evidence does not pin down the version enough to say.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Affected => "affected",
            Status::Mitigated => "mitigated",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A component found by a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub component: Component,
    pub evidence: Evidence,
    /// When the evidence proves only a range of versions (a class
    /// fingerprint), the range in words (`>=2.0-beta9, <2.15.0`); the
    /// component's version is then the lowest version of that range.
    pub version_range: Option<String>,
    /// Notes that change the verdict: `JndiLookup.class removed`.
    pub mitigations: Vec<String>,
    /// The advisory aliases (CVE ids) those mitigations neutralise: a match
    /// on one of them is reported as mitigated, not affected.
    pub mitigated: Vec<String>,
    /// Development-only dependency, when the lockfile says so.
    pub dev: bool,
}

/// An advisory that a found component matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingAdvisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub summary: Option<String>,
    pub severity: Option<crate::Severity>,
    /// Fixed versions named by the matching range, ascending.
    pub fixed: Vec<String>,
    /// What matched: the range's events as written, or `versions`.
    pub matched_by: String,
}

/// A found component with the advisories it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub found: Found,
    /// Never empty.
    pub advisories: Vec<FindingAdvisory>,
    pub status: Status,
}

impl Finding {
    /// The highest severity among the advisories.
    pub fn severity(&self) -> Option<crate::Severity> {
        self.advisories.iter().filter_map(|a| a.severity).max()
    }
}
