//! Debian's dpkg database: `/var/lib/dpkg/status`, and the one-package
//! files of distroless images under `/var/lib/dpkg/status.d/`.
//!
//! Both are deb822 control data: paragraphs separated by blank lines, each
//! `Field: value` lines with continuation lines indented. A paragraph is
//! one binary package (`Package`, `Version` with its epoch kept,
//! `Architecture`), reported in the `Debian` ecosystem with the purl
//! `pkg:deb/debian/<name>@<version>?arch=<arch>`. The `Source:` field is
//! not used: advisories are matched on the binary package here.
//!
//! Only packages whose files are on disk and configured are reported: the
//! third word of `Status:` is `installed` (or `triggers-pending` /
//! `triggers-awaited`, which are configured packages waiting on a trigger).
//! Removed packages whose configuration files remain (`deinstall ok
//! config-files`), half-installed and not-installed ones are skipped
//! silently. A paragraph without `Status:` is installed: distroless writes
//! the package's control file, which has none. Locations are `line N` of the
//! paragraph's first line.

use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, utf8};
use crate::diag::Diagnostic;

/// The `Status:` states of a package whose files are installed and
/// configured.
const INSTALLED_STATES: [&str; 3] = ["installed", "triggers-pending", "triggers-awaited"];

/// The fields of one paragraph that vigilo reads.
#[derive(Debug, Default)]
struct Paragraph<'a> {
    line: usize,
    package: Option<&'a str>,
    version: Option<&'a str>,
    architecture: Option<&'a str>,
    status: Option<&'a str>,
}

/// Reads a dpkg `status` file (or a `status.d/` file).
pub(super) fn status(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut parsed = Parsed::default();
    let mut paragraph: Option<Paragraph<'_>> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if let Some(p) = paragraph.take() {
                finish(p, path, &mut parsed);
            }
            continue;
        }
        let p = paragraph.get_or_insert_with(|| Paragraph {
            line: i + 1,
            ..Paragraph::default()
        });
        if line.starts_with([' ', '\t']) {
            continue; // A continuation (descriptions, conffiles).
        }
        let Some((field, value)) = line.split_once(':') else {
            parsed.diagnostics.push(entry_warning(
                path,
                format!("line {}", i + 1),
                "not a `Field: value` line: ignored".into(),
            ));
            continue;
        };
        let value = value.trim();
        let slot = match field.trim().to_ascii_lowercase().as_str() {
            "package" => &mut p.package,
            "version" => &mut p.version,
            "architecture" => &mut p.architecture,
            "status" => &mut p.status,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    if let Some(p) = paragraph {
        finish(p, path, &mut parsed);
    }
    Ok(parsed)
}

/// Adds a paragraph's package, if installed and complete.
fn finish(p: Paragraph<'_>, path: &str, parsed: &mut Parsed) {
    let installed = p.status.is_none_or(|s| {
        s.split_whitespace()
            .nth(2)
            .is_some_and(|state| INSTALLED_STATES.contains(&state))
    });
    if !installed {
        return;
    }
    let location = format!("line {}", p.line);
    let (name, version) = match (
        p.package.filter(|s| !s.is_empty()),
        p.version.filter(|s| !s.is_empty()),
    ) {
        (Some(name), Some(version)) => (name, version),
        (name, _) => {
            let what = match name {
                None => "no `Package:` field".to_owned(),
                Some(name) => format!("`{name}` has no `Version:` field"),
            };
            parsed
                .diagnostics
                .push(entry_warning(path, location, format!("{what}: skipped")));
            return;
        }
    };
    let mut package = Package::new(Ecosystem::Debian(None), name, version, location);
    if let (Some(purl), Some(arch)) = (&mut package.purl, p.architecture) {
        if !arch.is_empty() && arch.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            purl.push_str("?arch=");
            purl.push_str(arch);
        }
    }
    parsed.packages.push(package);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn installed_paragraphs_only() {
        let text = "\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries.
 .
 More text: with a colon.

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9+deb12u4

Package: oldpkg
Status: deinstall ok config-files
Version: 1.0-1
Architecture: amd64
Conffiles:
 /etc/oldpkg.conf 0123456789abcdef

Package: tzdata
Status: install ok triggers-pending
Architecture: all
Version: 2024a-0+deb12u1

Package: bash
Status: install ok half-installed
Version: 5.2-1

Package: noversion
Status: install ok installed


Version: 1:2.0
Status: install ok installed
";
        let parsed = status(text.as_bytes(), "/var/lib/dpkg/status").unwrap();
        let got: Vec<(&str, &str, &str, Option<&str>)> = parsed
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.location.as_str(),
                    p.purl.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "libc6",
                    "2.36-9+deb12u4",
                    "line 1",
                    Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64")
                ),
                (
                    "libc6",
                    "2.36-9+deb12u4",
                    "line 13",
                    Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=i386")
                ),
                (
                    "tzdata",
                    "2024a-0+deb12u1",
                    "line 25",
                    Some("pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all")
                ),
            ]
        );
        assert!(
            parsed
                .packages
                .iter()
                .all(|p| p.ecosystem == Ecosystem::Debian(None))
        );
        let at: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(at, ["line 34", "line 38"]);
    }

    #[test]
    fn distroless_paragraph_without_status() {
        let text = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";
        let parsed = status(text.as_bytes(), "var/lib/dpkg/status.d/base-files").unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert_eq!(parsed.packages[0].version, "12.4+deb12u5");
    }

    #[test]
    fn epoch_is_kept_and_junk_is_warned_about() {
        let text = "Package: perl\r\nVersion: 1:5.36.0-7\r\ngarbage\r\n";
        let parsed = status(text.as_bytes(), "status").unwrap();
        assert_eq!(parsed.packages[0].version, "1:5.36.0-7");
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:deb/debian/perl@1%3A5.36.0-7")
        );
        assert_eq!(parsed.diagnostics[0].pointer, "line 3");
    }
}
