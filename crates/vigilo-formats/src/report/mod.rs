//! Scan results out: vigilo's JSON, SARIF 2.1.0, CycloneDX 1.6 with
//! vulnerabilities.

use vigilo_core::inventory::{Finding, Found};

use crate::diag::Diagnostic;

mod cyclonedx;
mod json;
mod sarif;

pub use cyclonedx::write_cyclonedx;
pub use json::write_json;
pub use sarif::write_sarif;

/// Everything a scan produced.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The scanned roots, as given.
    pub roots: Vec<String>,
    /// RFC 3339 instant the scan started.
    pub started: String,
    /// RFC 3339 instant the scan ended.
    pub finished: String,
    /// The tool version (`vigilo 0.1.0`).
    pub tool_version: String,
    /// The host name the scan ran on.
    pub host: String,
    /// Every component found, vulnerable or not, sorted by path.
    pub components: Vec<Found>,
    /// Components that match advisories, sorted by severity (highest
    /// first), then path.
    pub findings: Vec<Finding>,
    /// What could not be read or was skipped, with stable codes.
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
}

/// Counters of a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: u64,
    pub bytes: u64,
    pub archives: u64,
}
