//! `Cargo.lock`, lockfile versions 1 to 4 (v1 and v2 carry no `version`
//! key; v3 and v4 write `version = 3`/`4`). All four list `[[package]]`
//! tables with `name`, `version` and, for packages not in the workspace,
//! `source`.
//!
//! Packages without a `source` are the workspace's own crates and path
//! dependencies — the project being scanned, not a published crate — and
//! are left out. Registry (`registry+…`, `sparse+…`) and git (`git+…`)
//! sources are kept, in the crates.io ecosystem: a git dependency is
//! usually a fork or an unreleased commit of a published crate. Cargo.lock
//! does not say which dependencies are dev-only, so `dev` is never set.
//! Locations are JSON pointers (`/package/3`).

use vigilo_core::Ecosystem;

use super::python::{toml_document, toml_name_version, toml_packages};
use super::{Package, Parsed, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode};

/// The newest lockfile version read.
const NEWEST_VERSION: i64 = 4;

/// Reads a `Cargo.lock`.
pub(super) fn cargo_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let doc = toml_document(utf8(bytes, path)?, path)?;
    match doc.get("version") {
        None => {} // v1 or v2.
        Some(toml::Value::Integer(v)) if (1..=NEWEST_VERSION).contains(v) => {}
        Some(other) => {
            return Err(file_error(
                DiagnosticCode::Unsupported,
                path,
                format!(
                    "Cargo.lock version {other} is not read (versions 1 to {NEWEST_VERSION} are)"
                ),
            ));
        }
    }
    let mut parsed = Parsed::default();
    for (location, table) in toml_packages(&doc, path, &mut parsed.diagnostics)? {
        let Some((name, version)) =
            toml_name_version(table, &location, path, &mut parsed.diagnostics)
        else {
            continue;
        };
        if table.get("source").and_then(toml::Value::as_str).is_none() {
            continue; // A workspace member or path dependency.
        }
        parsed
            .packages
            .push(Package::new(Ecosystem::CratesIo, name, version, location));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn v1_lockfile_with_metadata_checksums() {
        let lock = br#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec 1.6.0 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "1.0.100"
source = "git+https://github.com/serde-rs/serde?rev=abc#abc"

[metadata]
"checksum smallvec 1.6.0 (registry+https://github.com/rust-lang/crates.io-index)" = "abc"
"#;
        let parsed = cargo_lock(lock, "Cargo.lock").unwrap();
        let got: Vec<(&str, &str, &str)> = parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("smallvec", "1.6.0", "/package/1"),
                ("serde", "1.0.100", "/package/2")
            ]
        );
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:cargo/smallvec@1.6.0")
        );
        assert!(parsed.diagnostics.is_empty());
    }

    #[test]
    fn bad_entries_are_skipped_with_a_warning() {
        let lock = br#"
version = 3

[[package]]
name = "no-version"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "ok"
version = "1.0.0"
source = "sparse+https://index.example.com/"
"#;
        let parsed = cargo_lock(lock, "Cargo.lock").unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "/package/0");
        assert_eq!(parsed.diagnostics[0].code, DiagnosticCode::ManifestEntry);
    }

    #[test]
    fn unknown_versions_and_syntax_errors() {
        let err = cargo_lock(b"version = 5\n", "Cargo.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::Unsupported);
        let err = cargo_lock(b"version = \"4\"\n", "Cargo.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::Unsupported);
        let err = cargo_lock(b"[[package]]\nname = \n", "Cargo.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
        assert!(err.message.contains("line 2"), "{}", err.message);
        let empty = cargo_lock(b"version = 4\n", "Cargo.lock").unwrap();
        assert!(empty.packages.is_empty());
    }
}
