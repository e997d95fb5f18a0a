//! NuGet's `packages.lock.json` (lock file versions 1 and 2).
//!
//! `dependencies` maps each target framework (`net6.0`, and runtime-specific
//! ones such as `net6.0/linux-x64`) to the packages restored for it, each
//! with its `type` (`Direct`, `Transitive`, `CentralTransitive`, `Project`)
//! and `resolved` version. Project references are the solution's own code
//! and are skipped; a package restored for several frameworks at the same
//! version is listed once, at its first entry. NuGet ids are
//! case-insensitive, so `Newtonsoft.Json` and `newtonsoft.json` are one.
//!
//! NuGet has no development-only dependencies, so `dev` is false.
//! Locations are JSON pointers (`/dependencies/net6.0/Newtonsoft.Json`).

use std::collections::HashSet;

use serde_json::Value;
use vigilo_core::Ecosystem;

use super::npm::type_name;
use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode, pointer_token};

/// The newest lock file `version` read.
const NEWEST_VERSION: u64 = 2;

/// Reads a `packages.lock.json`.
pub(super) fn packages_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not valid JSON: {e}"),
        )
    })?;
    let Value::Object(root) = &doc else {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("the document is {}, not a JSON object", type_name(&doc)),
        ));
    };
    match root.get("version") {
        None => {}
        Some(v) => match v.as_u64() {
            Some(n) if (1..=NEWEST_VERSION).contains(&n) => {}
            Some(n) => {
                return Err(file_error(
                    DiagnosticCode::Unsupported,
                    path,
                    format!(
                        "packages.lock.json version {n} is not read (versions 1 to {NEWEST_VERSION} are)"
                    ),
                ));
            }
            None => {
                return Err(file_error(
                    DiagnosticCode::ManifestSyntax,
                    path,
                    format!("/version is {v}, not a whole number"),
                ));
            }
        },
    }

    let mut out = Parsed::default();
    let frameworks = match root.get("dependencies") {
        None => return Ok(out),
        Some(Value::Object(f)) => f,
        Some(other) => {
            out.diagnostics.push(entry_warning(
                path,
                "/dependencies".into(),
                format!("`dependencies` is {}, not an object", type_name(other)),
            ));
            return Ok(out);
        }
    };
    let mut seen = HashSet::new();
    for (framework, packages) in frameworks {
        let framework_at = format!("/dependencies/{}", pointer_token(framework));
        let Value::Object(packages) = packages else {
            out.diagnostics.push(entry_warning(
                path,
                framework_at,
                format!("framework entry is {}, not an object", type_name(packages)),
            ));
            continue;
        };
        for (name, entry) in packages {
            let location = format!("{framework_at}/{}", pointer_token(name));
            let Value::Object(entry) = entry else {
                out.diagnostics.push(entry_warning(
                    path,
                    location,
                    format!("entry is {}, not an object", type_name(entry)),
                ));
                continue;
            };
            if entry.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            let Some(version) = entry
                .get("resolved")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
            else {
                out.diagnostics.push(entry_warning(
                    path,
                    location,
                    format!("{name} has no `resolved` version"),
                ));
                continue;
            };
            if !seen.insert((name.to_ascii_lowercase(), version.to_ascii_lowercase())) {
                continue;
            }
            out.packages
                .push(Package::new(Ecosystem::NuGet, name, version, location));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frameworks_projects_and_dedup() {
        let p = packages_lock(
            br#"{
              "version": 1,
              "dependencies": {
                "net6.0": {
                  "Newtonsoft.Json": {"type": "Direct", "requested": "[12.0.1, )", "resolved": "12.0.1", "contentHash": "x"},
                  "MyLib": {"type": "Project", "dependencies": {"Newtonsoft.Json": "[12.0.1, )"}},
                  "Broken": {"type": "Transitive"}
                },
                "net6.0/linux-x64": {
                  "newtonsoft.json": {"type": "Direct", "requested": "[12.0.1, )", "resolved": "12.0.1"},
                  "System.Text.Json": {"type": "CentralTransitive", "requested": "[4.6.0, )", "resolved": "4.6.0"}
                },
                "net48": []
              }
            }"#,
            "packages.lock.json",
        )
        .unwrap();
        let got: Vec<_> = p
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "Newtonsoft.Json",
                    "12.0.1",
                    "/dependencies/net6.0/Newtonsoft.Json"
                ),
                (
                    "System.Text.Json",
                    "4.6.0",
                    "/dependencies/net6.0~1linux-x64/System.Text.Json"
                ),
            ]
        );
        let at: Vec<&str> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(at, ["/dependencies/net48", "/dependencies/net6.0/Broken"]);
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some("pkg:nuget/Newtonsoft.Json@12.0.1")
        );
    }

    #[test]
    fn rejects_unknown_versions_and_bad_json() {
        let e = packages_lock(br#"{"version": 3, "dependencies": {}}"#, "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::Unsupported);
        let e = packages_lock(br#"{"version": "1"}"#, "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        let e = packages_lock(b"{\"version\": 1,\n\"dependencies\": }", "p").unwrap_err();
        assert!(e.message.contains("line 2"), "{}", e.message);
        assert!(packages_lock(b"null", "p").is_err());
        let p = packages_lock(br#"{"version": 2, "dependencies": 5}"#, "p").unwrap();
        assert_eq!(p.diagnostics.len(), 1);
    }
}
