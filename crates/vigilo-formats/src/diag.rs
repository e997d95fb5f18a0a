//! Diagnostics with stable codes.

use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Kept, but worth knowing (an unknown ecosystem, say).
    Warning,
    /// The record (or archive member) was not imported.
    Error,
}

/// Stable diagnostic codes, so users can filter and suppress them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticCode {
    /// Not JSON/YAML at all.
    Syntax,
    /// Wrong types, missing required fields.
    Schema,
    /// A version that does not parse under its ecosystem's scheme.
    BadVersion,
    /// A range whose events are malformed or out of order.
    BadRange,
    /// An ecosystem vigilo cannot order: ranges kept but not evaluated.
    UnknownEcosystem,
    /// A file could not be read.
    Io,
    /// An archive member with an absolute or `..` path.
    UnsafePath,
    /// An archive or member over the size or count limits.
    TooLarge,
    /// A corrupt archive.
    BadArchive,
    /// A lockfile, manifest or SBOM that does not parse.
    ManifestSyntax,
    /// An entry of a lockfile, manifest or SBOM that was skipped (no
    /// version, an unresolved property, an unknown package type).
    ManifestEntry,
    /// A format or format version vigilo does not read (SPDX 3, say).
    Unsupported,
    /// Archives nested deeper than the limit.
    ArchiveTooDeep,
    /// A member whose expansion ratio marks a decompression bomb.
    ArchiveBomb,
    /// A file that changed while it was being read.
    FileChanged,
}

impl DiagnosticCode {
    pub const ALL: [DiagnosticCode; 15] = [
        DiagnosticCode::Syntax,
        DiagnosticCode::Schema,
        DiagnosticCode::BadVersion,
        DiagnosticCode::BadRange,
        DiagnosticCode::UnknownEcosystem,
        DiagnosticCode::Io,
        DiagnosticCode::UnsafePath,
        DiagnosticCode::TooLarge,
        DiagnosticCode::BadArchive,
        DiagnosticCode::ManifestSyntax,
        DiagnosticCode::ManifestEntry,
        DiagnosticCode::Unsupported,
        DiagnosticCode::ArchiveTooDeep,
        DiagnosticCode::ArchiveBomb,
        DiagnosticCode::FileChanged,
    ];

    /// The kebab-case name users see and filter on.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::Syntax => "osv-syntax",
            DiagnosticCode::Schema => "osv-schema",
            DiagnosticCode::BadVersion => "osv-bad-version",
            DiagnosticCode::BadRange => "osv-bad-range",
            DiagnosticCode::UnknownEcosystem => "osv-unknown-ecosystem",
            DiagnosticCode::Io => "io-error",
            DiagnosticCode::UnsafePath => "archive-unsafe-path",
            DiagnosticCode::TooLarge => "archive-too-large",
            DiagnosticCode::BadArchive => "archive-corrupt",
            DiagnosticCode::ManifestSyntax => "manifest-syntax",
            DiagnosticCode::ManifestEntry => "manifest-entry-skipped",
            DiagnosticCode::Unsupported => "unsupported-format",
            DiagnosticCode::ArchiveTooDeep => "archive-too-deep",
            DiagnosticCode::ArchiveBomb => "archive-bomb",
            DiagnosticCode::FileChanged => "file-changed",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            DiagnosticCode::Syntax => "the file is not valid JSON or YAML",
            DiagnosticCode::Schema => "a field is missing or has the wrong type",
            DiagnosticCode::BadVersion => "a version does not parse under its ecosystem's scheme",
            DiagnosticCode::BadRange => "a range's events are malformed or out of order",
            DiagnosticCode::UnknownEcosystem => {
                "an ecosystem without a known version scheme: ranges are kept, not evaluated"
            }
            DiagnosticCode::Io => "a file could not be read",
            DiagnosticCode::UnsafePath => {
                "an archive member's path is absolute or escapes with `..`"
            }
            DiagnosticCode::TooLarge => "an archive or member exceeds the size or count limits",
            DiagnosticCode::BadArchive => "an archive is corrupt or truncated",
            DiagnosticCode::ManifestSyntax => "a lockfile, manifest or SBOM does not parse",
            DiagnosticCode::ManifestEntry => "an entry of a lockfile, manifest or SBOM was skipped",
            DiagnosticCode::Unsupported => "a format or format version vigilo does not read",
            DiagnosticCode::ArchiveTooDeep => "archives are nested deeper than the limit",
            DiagnosticCode::ArchiveBomb => {
                "a member's compression ratio marks a decompression bomb"
            }
            DiagnosticCode::FileChanged => "a file changed while it was being read",
        }
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something wrong (or worth noting) in an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: DiagnosticCode,
    pub severity: Severity,
    /// The file, with `!member` for archive members.
    pub path: String,
    /// The record's id, when known.
    pub record: Option<String>,
    /// Where in the file: a JSON pointer of the offending value ("" for the
    /// whole document), or `line N` in line-based formats.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.path)?;
        if let Some(r) = &self.record {
            write!(f, " ({r})")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " at {}", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Escapes one JSON pointer token (RFC 6901).
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut names: Vec<&str> = DiagnosticCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DiagnosticCode::ALL.len());
        assert!(
            DiagnosticCode::ALL
                .iter()
                .all(|c| !c.description().is_empty())
        );
    }
}
