//! Lockfiles, manifests, installed-package metadata and SBOMs: files that
//! list packages with their versions.
//!
//! [`Kind::detect`] recognises a file by its path (and, for SBOMs with
//! generic names, by the first bytes); [`parse`] turns its bytes into
//! [`Package`]s plus [`Diagnostic`]s for entries it had to skip. Parsers
//! never panic and never stop at the first bad entry; a file that cannot be
//! read at all is one `Err` diagnostic naming the file and what was wrong.
//!
//! **Absent:** filesystem access. `requirements.txt` includes (`-r other.txt`)
//! are returned in [`Parsed::includes`] for the caller to resolve.

use vigilo_core::Ecosystem;

use crate::diag::{Diagnostic, DiagnosticCode, Severity};

mod cargo;
mod cyclonedx;
mod dpkg;
mod golang;
mod gradle;
mod maven;
mod npm;
mod nuget;
mod php;
mod pnpm;
mod python;
mod ruby;
mod spdx;
mod yarn;

/// A package listed by a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// As the file spells it (Maven: `group:artifact`; npm: `@scope/name`).
    pub name: String,
    pub version: String,
    /// The purl the file gives, else one derived with
    /// [`vigilo_core::package::purl_for`].
    pub purl: Option<String>,
    /// Where in the file: a JSON pointer, or `line N`.
    pub location: String,
    /// A development-only dependency, when the format says so.
    pub dev: bool,
}

impl Package {
    /// A package with its purl derived from ecosystem, name and version.
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str, location: String) -> Package {
        let purl = vigilo_core::package::purl_for(&ecosystem, name, version);
        Package {
            ecosystem,
            name: name.to_owned(),
            version: version.to_owned(),
            purl,
            location,
            dev: false,
        }
    }
}

/// What a file listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    /// Entries skipped, with why.
    pub diagnostics: Vec<Diagnostic>,
    /// Other files this one includes, as written (`-r base.txt`), relative
    /// to this file's folder.
    pub includes: Vec<String>,
}

/// The file formats vigilo reads packages from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `requirements*.txt` (also `constraints*.txt`, `*.pip`).
    Requirements,
    PoetryLock,
    PipfileLock,
    UvLock,
    PdmLock,
    /// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `PKG-INFO` of an egg.
    PythonMetadata,
    /// `package-lock.json` (v1–v3) and `npm-shrinkwrap.json`.
    PackageLock,
    /// `node_modules/**/package.json`: an installed npm package.
    NodePackageJson,
    /// `yarn.lock`, classic v1 and berry.
    YarnLock,
    /// `pnpm-lock.yaml`, lockfile versions 6 to 9.
    PnpmLock,
    CargoLock,
    GoMod,
    GoSum,
    GemfileLock,
    ComposerLock,
    /// `pom.xml`: dependencies with explicit versions (properties of the
    /// same pom resolved).
    PomXml,
    /// `gradle.lockfile` (and `*.lockfile` under `gradle/dependency-locks`).
    GradleLockfile,
    /// NuGet `packages.lock.json`.
    NugetLock,
    /// Debian's `/var/lib/dpkg/status` (and distroless `status.d/*`).
    DpkgStatus,
    CycloneDxJson,
    CycloneDxXml,
    SpdxJson,
    SpdxTagValue,
}

impl Kind {
    pub const ALL: [Kind; 23] = [
        Kind::Requirements,
        Kind::PoetryLock,
        Kind::PipfileLock,
        Kind::UvLock,
        Kind::PdmLock,
        Kind::PythonMetadata,
        Kind::PackageLock,
        Kind::NodePackageJson,
        Kind::YarnLock,
        Kind::PnpmLock,
        Kind::CargoLock,
        Kind::GoMod,
        Kind::GoSum,
        Kind::GemfileLock,
        Kind::ComposerLock,
        Kind::PomXml,
        Kind::GradleLockfile,
        Kind::NugetLock,
        Kind::DpkgStatus,
        Kind::CycloneDxJson,
        Kind::CycloneDxXml,
        Kind::SpdxJson,
        Kind::SpdxTagValue,
    ];

    /// The name shown in evidence (`package-lock.json`, `cyclonedx-json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Requirements => "requirements.txt",
            Kind::PoetryLock => "poetry.lock",
            Kind::PipfileLock => "Pipfile.lock",
            Kind::UvLock => "uv.lock",
            Kind::PdmLock => "pdm.lock",
            Kind::PythonMetadata => "python-metadata",
            Kind::PackageLock => "package-lock.json",
            Kind::NodePackageJson => "node_modules-package.json",
            Kind::YarnLock => "yarn.lock",
            Kind::PnpmLock => "pnpm-lock.yaml",
            Kind::CargoLock => "Cargo.lock",
            Kind::GoMod => "go.mod",
            Kind::GoSum => "go.sum",
            Kind::GemfileLock => "Gemfile.lock",
            Kind::ComposerLock => "composer.lock",
            Kind::PomXml => "pom.xml",
            Kind::GradleLockfile => "gradle.lockfile",
            Kind::NugetLock => "packages.lock.json",
            Kind::DpkgStatus => "dpkg-status",
            Kind::CycloneDxJson => "cyclonedx-json",
            Kind::CycloneDxXml => "cyclonedx-xml",
            Kind::SpdxJson => "spdx-json",
            Kind::SpdxTagValue => "spdx-tag-value",
        }
    }

    /// Whether the file is an SBOM (evidence method `sbom`).
    pub fn is_sbom(self) -> bool {
        matches!(
            self,
            Kind::CycloneDxJson | Kind::CycloneDxXml | Kind::SpdxJson | Kind::SpdxTagValue
        )
    }

    /// Whether the file describes installed packages rather than a lock.
    pub fn is_installed(self) -> bool {
        matches!(
            self,
            Kind::PythonMetadata | Kind::NodePackageJson | Kind::DpkgStatus
        )
    }

    /// Recognises a file by its path (`/` separated; archive members too).
    /// Returns `None` for files that need [`Kind::sniff`] (generic `.json`
    /// and `.xml` names) or that are not package lists.
    pub fn detect(path: &str) -> Option<Kind> {
        let path = path.trim_end_matches('/');
        let name = path.rsplit('/').next().unwrap_or(path);
        let parent = path
            .rsplit('/')
            .nth(1)
            .filter(|_| path.contains('/'))
            .unwrap_or("");
        let lower = name.to_ascii_lowercase();
        Some(match name {
            "poetry.lock" => Kind::PoetryLock,
            "Pipfile.lock" => Kind::PipfileLock,
            "uv.lock" => Kind::UvLock,
            "pdm.lock" => Kind::PdmLock,
            "package-lock.json" | "npm-shrinkwrap.json" => {
                // npm writes `node_modules/.package-lock.json` (hidden) too;
                // that one is caught by the dot-prefix below.
                Kind::PackageLock
            }
            "yarn.lock" => Kind::YarnLock,
            "pnpm-lock.yaml" => Kind::PnpmLock,
            "Cargo.lock" => Kind::CargoLock,
            "go.mod" => Kind::GoMod,
            "go.sum" => Kind::GoSum,
            "Gemfile.lock" | "gems.locked" => Kind::GemfileLock,
            "composer.lock" => Kind::ComposerLock,
            "pom.xml" => Kind::PomXml,
            "gradle.lockfile" => Kind::GradleLockfile,
            "packages.lock.json" => Kind::NugetLock,
            "METADATA" if parent.ends_with(".dist-info") => Kind::PythonMetadata,
            "PKG-INFO" if parent.ends_with(".egg-info") || parent == "EGG-INFO" => {
                Kind::PythonMetadata
            }
            "package.json" if parent_is_node_module(path) => Kind::NodePackageJson,
            "status" if path.ends_with("var/lib/dpkg/status") => Kind::DpkgStatus,
            _ if path.contains("var/lib/dpkg/status.d/") && !name.ends_with(".md5sums") => {
                Kind::DpkgStatus
            }
            _ if parent.ends_with(".egg-info") && lower == "pkg-info" => Kind::PythonMetadata,
            _ if lower.ends_with(".egg-info") && !path.contains(".egg-info/") => {
                // A bare `foo-1.0.egg-info` file (distutils installs).
                Kind::PythonMetadata
            }
            _ if lower.ends_with(".lockfile") && path.contains("dependency-locks/") => {
                Kind::GradleLockfile
            }
            _ if (lower.starts_with("requirements") || lower.starts_with("constraints"))
                && (lower.ends_with(".txt") || lower.ends_with(".in")) =>
            {
                Kind::Requirements
            }
            _ if lower.ends_with(".cdx.json") || lower == "bom.json" => Kind::CycloneDxJson,
            _ if lower.ends_with(".cdx.xml") || lower == "bom.xml" => Kind::CycloneDxXml,
            _ if lower.ends_with(".spdx.json") => Kind::SpdxJson,
            _ if lower.ends_with(".spdx") => Kind::SpdxTagValue,
            _ => return None,
        })
    }

    /// Whether a file not recognised by [`Kind::detect`] is worth sniffing:
    /// a `.json` or `.xml` that may be an SBOM under any name.
    pub fn may_sniff(path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        (lower.ends_with(".json") || lower.ends_with(".xml")) && !lower.contains("node_modules/")
    }

    /// Recognises an SBOM by its first bytes (up to a few KiB): CycloneDX
    /// JSON (`"bomFormat": "CycloneDX"`), CycloneDX XML (its namespace), SPDX
    /// JSON (`"spdxVersion"`).
    pub fn sniff(head: &[u8]) -> Option<Kind> {
        let find = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace());
        match first {
            Some(b'{') if key_is(head, b"\"bomFormat\"", b"\"CycloneDX\"") => {
                Some(Kind::CycloneDxJson)
            }
            Some(b'{') if find(b"\"spdxVersion\"") => Some(Kind::SpdxJson),
            // SPDX 3 (JSON-LD): recognised so that it is reported as not read.
            Some(b'{') if find(b"\"@context\"") && find(b"spdx.org/rdf/3") => Some(Kind::SpdxJson),
            Some(b'<') | Some(0xEF) if find(b"cyclonedx.org/schema/bom") => {
                Some(Kind::CycloneDxXml)
            }
            _ => None,
        }
    }
}

/// Whether `head` holds `key` followed by `:` and `value` (JSON, any
/// whitespace between): `"bomFormat": "CycloneDX"` in a BOM, but not in
/// the CycloneDX JSON schema, where `"bomFormat"` is followed by `{`.
fn key_is(head: &[u8], key: &[u8], value: &[u8]) -> bool {
    let mut rest = head;
    while let Some(i) = rest.windows(key.len()).position(|w| w == key) {
        let after = &rest[i + key.len()..];
        let after = after.trim_ascii_start();
        if let Some(after) = after.strip_prefix(b":") {
            if after.trim_ascii_start().starts_with(value) {
                return true;
            }
        }
        rest = &rest[i + key.len()..];
    }
    false
}

/// Whether `path` is `…/node_modules/<name>/package.json` or
/// `…/node_modules/@scope/<name>/package.json`.
fn parent_is_node_module(path: &str) -> bool {
    let mut parts = path.rsplit('/').skip(1);
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some("node_modules"), _) => true,
        (Some(_), Some(scope), Some("node_modules")) => scope.starts_with('@'),
        _ => false,
    }
}

/// Parses a file of the given kind. `path` is used in diagnostics only.
pub fn parse(kind: Kind, bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    match kind {
        Kind::Requirements => python::requirements(bytes, path),
        Kind::PoetryLock => python::poetry_lock(bytes, path),
        Kind::PipfileLock => python::pipfile_lock(bytes, path),
        Kind::UvLock => python::uv_lock(bytes, path),
        Kind::PdmLock => python::pdm_lock(bytes, path),
        Kind::PythonMetadata => python::metadata(bytes, path),
        Kind::PackageLock => npm::package_lock(bytes, path),
        Kind::NodePackageJson => npm::node_package_json(bytes, path),
        Kind::YarnLock => yarn::yarn_lock(bytes, path),
        Kind::PnpmLock => pnpm::pnpm_lock(bytes, path),
        Kind::CargoLock => cargo::cargo_lock(bytes, path),
        Kind::GoMod => golang::go_mod(bytes, path),
        Kind::GoSum => golang::go_sum(bytes, path),
        Kind::GemfileLock => ruby::gemfile_lock(bytes, path),
        Kind::ComposerLock => php::composer_lock(bytes, path),
        Kind::PomXml => maven::pom_xml(bytes, path),
        Kind::GradleLockfile => gradle::gradle_lockfile(bytes, path),
        Kind::NugetLock => nuget::packages_lock(bytes, path),
        Kind::DpkgStatus => dpkg::status(bytes, path),
        Kind::CycloneDxJson => cyclonedx::json(bytes, path),
        Kind::CycloneDxXml => cyclonedx::xml(bytes, path),
        Kind::SpdxJson => spdx::json(bytes, path),
        Kind::SpdxTagValue => spdx::tag_value(bytes, path),
    }
}

/// An error diagnostic for the whole file.
pub(crate) fn file_error(code: DiagnosticCode, path: &str, message: String) -> Diagnostic {
    Diagnostic {
        code,
        severity: Severity::Error,
        path: path.to_owned(),
        record: None,
        pointer: String::new(),
        message,
    }
}

/// A warning about one entry, at `location` (JSON pointer or `line N`).
pub(crate) fn entry_warning(path: &str, location: String, message: String) -> Diagnostic {
    Diagnostic {
        code: DiagnosticCode::ManifestEntry,
        severity: Severity::Warning,
        path: path.to_owned(),
        record: None,
        pointer: location,
        message,
    }
}

/// The bytes as UTF-8 (a leading BOM dropped), or a `manifest-syntax` error.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &str) -> Result<&'a str, Diagnostic> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_path() {
        for (path, kind) in [
            ("app/requirements-dev.txt", Some(Kind::Requirements)),
            ("a/poetry.lock", Some(Kind::PoetryLock)),
            (
                "lib/python3.11/site-packages/Jinja2-2.11.2.dist-info/METADATA",
                Some(Kind::PythonMetadata),
            ),
            (
                "site-packages/foo.egg-info/PKG-INFO",
                Some(Kind::PythonMetadata),
            ),
            (
                "site-packages/foo-1.0-py3.11.egg-info",
                Some(Kind::PythonMetadata),
            ),
            (
                "x/node_modules/lodash/package.json",
                Some(Kind::NodePackageJson),
            ),
            (
                "x/node_modules/@babel/core/package.json",
                Some(Kind::NodePackageJson),
            ),
            ("x/package.json", None),
            ("x/node_modules/lodash/lib/package.json", None),
            ("/var/lib/dpkg/status", Some(Kind::DpkgStatus)),
            ("var/lib/dpkg/status.d/libc6", Some(Kind::DpkgStatus)),
            ("out/app.cdx.json", Some(Kind::CycloneDxJson)),
            ("doc/example.spdx", Some(Kind::SpdxTagValue)),
            ("doc/example.spdx.json", Some(Kind::SpdxJson)),
            (
                "gradle/dependency-locks/compileClasspath.lockfile",
                Some(Kind::GradleLockfile),
            ),
            ("README.md", None),
        ] {
            assert_eq!(Kind::detect(path), kind, "{path}");
        }
    }

    #[test]
    fn sniffs_sboms() {
        assert_eq!(
            Kind::sniff(br#"{"bomFormat": "CycloneDX", "specVersion": "1.5"}"#),
            Some(Kind::CycloneDxJson)
        );
        assert_eq!(
            Kind::sniff(br#"  {"spdxVersion": "SPDX-2.3"}"#),
            Some(Kind::SpdxJson)
        );
        assert_eq!(
            Kind::sniff(
                br#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4">"#
            ),
            Some(Kind::CycloneDxXml)
        );
        assert_eq!(Kind::sniff(br#"{"name": "x"}"#), None);
        // The CycloneDX JSON schema names the field without being a BOM.
        assert_eq!(
            Kind::sniff(br#"{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"bomFormat": {"type": "string", "enum": ["CycloneDX"]}}}"#),
            None
        );
    }
}
