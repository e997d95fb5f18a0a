//! Composer's `composer.lock`, Packagist ecosystem.
//!
//! The lock is a JSON object whose `packages` and `packages-dev` arrays
//! list the locked packages (`packages-dev` ones are dev-only), each an
//! object with `name` (`vendor/name`) and `version`. Composer has kept this
//! layout since its first stable release. Versions are reported without the
//! `v` many tags carry (`v5.4.3` → `5.4.3`), as Packagist advisories write
//! them; branch versions (`dev-main`) are kept as written. Platform
//! requirements (`platform`, `platform-dev`) are not packages. Locations
//! are JSON pointers (`/packages/3`).

use serde_json::Value;
use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode};

/// Reads a `composer.lock`.
pub(super) fn composer_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not JSON at line {}, column {}: {e}", e.line(), e.column()),
        )
    })?;
    let Some(doc) = doc.as_object() else {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            "the document is not a JSON object".into(),
        ));
    };
    let mut parsed = Parsed::default();
    for (section, dev) in [("packages", false), ("packages-dev", true)] {
        let entries = match doc.get(section) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(entries)) => entries,
            Some(_) => {
                parsed.diagnostics.push(entry_warning(
                    path,
                    format!("/{section}"),
                    "not an array: section skipped".into(),
                ));
                continue;
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let location = format!("/{section}/{i}");
            let field = |key: &str| {
                entry
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            match (field("name"), field("version")) {
                (Some(name), Some(version)) => {
                    let mut package =
                        Package::new(Ecosystem::Packagist, name, strip_v(version), location);
                    package.dev = dev;
                    parsed.packages.push(package);
                }
                (name, _) => parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    format!(
                        "no `{}` string: package skipped",
                        if name.is_none() { "name" } else { "version" }
                    ),
                )),
            }
        }
    }
    Ok(parsed)
}

/// `v1.2.3` → `1.2.3`; anything else (`dev-main`, `1.2.3`) as is.
fn strip_v(version: &str) -> &str {
    match version.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => version,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn packages_and_dev_packages() {
        let lock = br#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "abc",
    "packages": [
        {"name": "symfony/http-kernel", "version": "v5.4.3", "type": "library"},
        {"name": "guzzlehttp/guzzle", "version": "7.4.0"},
        {"name": "acme/fork", "version": "dev-main"},
        {"name": "acme/broken"},
        "junk"
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "9.5.10"}
    ],
    "platform": {"php": ">=7.4"},
    "platform-dev": []
}"#;
        let parsed = composer_lock(lock, "composer.lock").unwrap();
        let got: Vec<(&str, &str, bool, &str)> = parsed
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.dev,
                    p.location.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("symfony/http-kernel", "5.4.3", false, "/packages/0"),
                ("guzzlehttp/guzzle", "7.4.0", false, "/packages/1"),
                ("acme/fork", "dev-main", false, "/packages/2"),
                ("phpunit/phpunit", "9.5.10", true, "/packages-dev/0"),
            ]
        );
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:composer/symfony/http-kernel@5.4.3")
        );
        let at: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(at, ["/packages/3", "/packages/4"]);
    }

    #[test]
    fn syntax_errors() {
        let err = composer_lock(b"{\n  \"packages\": [,]\n}", "composer.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
        assert!(err.message.contains("line 2"), "{}", err.message);
        assert!(composer_lock(b"[]", "composer.lock").is_err());
        assert!(composer_lock("[".repeat(10_000).as_bytes(), "composer.lock").is_err());
        let parsed = composer_lock(br#"{"packages": {}}"#, "composer.lock").unwrap();
        assert_eq!(parsed.diagnostics[0].pointer, "/packages");
    }

    #[test]
    fn v_prefix() {
        assert_eq!(strip_v("v1.0"), "1.0");
        assert_eq!(strip_v("V2"), "2");
        assert_eq!(strip_v("vendor"), "vendor");
        assert_eq!(strip_v("1.0"), "1.0");
    }
}
