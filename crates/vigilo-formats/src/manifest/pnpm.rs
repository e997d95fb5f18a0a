//! pnpm's `pnpm-lock.yaml`.
//!
//! Lockfile versions read (the major part of `lockfileVersion`):
//!
//! - **5** (pnpm 5 to 7, `5.3`, `5.4`): `packages` keys `/name/version`,
//!   `/@scope/name/version`, with peer suffixes `_react@18.0.0`.
//! - **6** (pnpm 8, `'6.0'`): keys `/name@version`,
//!   `/@scope/name@version(react@18.0.0)`.
//! - **7** and **9** (pnpm 9 and later, `'9.0'`): keys `name@version`
//!   without peers in `packages`; the peer-qualified variants live in
//!   `snapshots`.
//!
//! Packages come from `packages`, one per name@version (peer variants of
//! v5/v6 merged). Entries with `name`/`version` fields (tarball and git
//! dependencies) are read by those fields. Versions 5 and 6 mark
//! development-only packages with `dev: true`; for 7 and 9 that is worked
//! out from the graph: a package is dev when it is reachable from some
//! importer's `devDependencies` through `snapshots` and not from any
//! `dependencies` or `optionalDependencies`. Without `snapshots`, dev is
//! false.
//!
//! Locations are JSON pointers (`/packages/lodash@4.17.15`).

use std::collections::{HashMap, HashSet};

use serde_yaml_ng::{Mapping, Value};
use vigilo_core::Ecosystem;

use super::npm::split_spec;
use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode, pointer_token};

/// The `lockfileVersion` majors read.
const KNOWN_MAJORS: [u64; 4] = [5, 6, 7, 9];

/// Reads a `pnpm-lock.yaml`.
pub(super) fn pnpm_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not valid YAML: {e}"),
        )
    })?;
    let Some(root) = doc.as_mapping() else {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            "the document is not a YAML mapping".into(),
        ));
    };
    let major = lockfile_major(root.get("lockfileVersion"), path)?;

    let mut out = Parsed::default();
    let packages = match root.get("packages") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Mapping(m)) => m,
        Some(_) => {
            out.diagnostics.push(entry_warning(
                path,
                "/packages".into(),
                "`packages` is not a mapping".into(),
            ));
            return Ok(out);
        }
    };
    let dev_only = if major >= 7 {
        dev_only_from_graph(root)
    } else {
        HashSet::new()
    };

    // name@version → index in out.packages, to merge peer variants.
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (key, entry) in packages {
        let key = match key_string(key) {
            Some(k) => k,
            None => {
                out.diagnostics.push(entry_warning(
                    path,
                    "/packages".into(),
                    "a `packages` key is not a string".into(),
                ));
                continue;
            }
        };
        let location = format!("/packages/{}", pointer_token(&key));
        let (name, version) = match name_and_version(&key, entry, major) {
            Ok(nv) => nv,
            Err(why) => {
                out.diagnostics.push(entry_warning(path, location, why));
                continue;
            }
        };
        let dev = if major >= 7 {
            dev_only.contains(strip_peers(&key))
        } else {
            entry.get("dev").and_then(Value::as_bool) == Some(true)
        };
        match index.get(&(name.clone(), version.clone())) {
            Some(&i) => {
                // A production variant makes the package production.
                if let Some(p) = out.packages.get_mut(i) {
                    p.dev &= dev;
                }
            }
            None => {
                let mut package = Package::new(Ecosystem::Npm, &name, &version, location);
                package.dev = dev;
                index.insert((name, version), out.packages.len());
                out.packages.push(package);
            }
        }
    }
    Ok(out)
}

/// The major part of `lockfileVersion` (`5.4`, `'6.0'`, `'9.0'`), or
/// why it is not read.
fn lockfile_major(version: Option<&Value>, path: &str) -> Result<u64, Diagnostic> {
    let text = match version {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(file_error(
                DiagnosticCode::ManifestSyntax,
                path,
                "/lockfileVersion is not a version".into(),
            ));
        }
        None => {
            return Err(file_error(
                DiagnosticCode::ManifestSyntax,
                path,
                "no /lockfileVersion".into(),
            ));
        }
    };
    let major = text
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u64>().ok());
    match major {
        Some(m) if KNOWN_MAJORS.contains(&m) => Ok(m),
        _ => Err(file_error(
            DiagnosticCode::Unsupported,
            path,
            format!("pnpm lockfileVersion {text:?} is not read (majors 5, 6, 7 and 9 are)"),
        )),
    }
}

/// A mapping key as text (YAML may type `1.0` keys as numbers).
fn key_string(key: &Value) -> Option<String> {
    match key {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Everything before a peer suffix: `a@1.0.0(react@18.0.0)` → `a@1.0.0`.
fn strip_peers(key: &str) -> &str {
    key.split('(').next().unwrap_or(key)
}

/// The package a `packages` entry describes.
fn name_and_version(key: &str, entry: &Value, major: u64) -> Result<(String, String), String> {
    let field = |f: &str| {
        entry
            .get(f)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let from_key = parse_key(key, major);
    let name = field("name").or(from_key.map(|(n, _)| n));
    let version = field("version").or(from_key.map(|(_, v)| v));
    match (name, version) {
        (Some(name), Some(version)) if !version.contains(['/', ':']) => {
            Ok((name.to_owned(), version.to_owned()))
        }
        (Some(_), Some(version)) => Err(format!(
            "version {version:?} is a URL or path, and the entry has no `version` field"
        )),
        _ => Err(format!(
            "key {key:?} is not `name@version` and the entry has no `name`/`version`"
        )),
    }
}

/// `/name/1.0.0_peer@1` (v5), `/name@1.0.0(peer@1)` (v6), `name@1.0.0` (v7+).
///
/// Before v7, registry keys start with `/`; others (`github.com/a/b/<sha>`,
/// tarball URLs) name the package in `name`/`version` fields only.
fn parse_key(key: &str, major: u64) -> Option<(&str, &str)> {
    let bare = match key.strip_prefix('/') {
        Some(bare) => bare,
        None if major < 7 => return None,
        None => key,
    };
    if major < 6 {
        let (name, version) = bare.rsplit_once('/')?;
        let version = version.split('_').next().unwrap_or(version);
        (!name.is_empty() && !version.is_empty()).then_some((name, version))
    } else {
        let (name, version) = split_spec(strip_peers(bare))?;
        (!version.is_empty()).then_some((name, version))
    }
}

/// The `packages` keys (`name@version`) reachable only from
/// `devDependencies`, for lockfiles with `snapshots`.
fn dev_only_from_graph(root: &Mapping) -> HashSet<String> {
    let Some(snapshots) = root.get("snapshots").and_then(Value::as_mapping) else {
        return HashSet::new();
    };
    let Some(importers) = root.get("importers").and_then(Value::as_mapping) else {
        return HashSet::new();
    };
    let mut prod_roots = Vec::new();
    let mut dev_roots = Vec::new();
    for importer in importers.values() {
        for section in ["dependencies", "optionalDependencies", "devDependencies"] {
            let Some(deps) = importer.get(section).and_then(Value::as_mapping) else {
                continue;
            };
            let roots = if section == "devDependencies" {
                &mut dev_roots
            } else {
                &mut prod_roots
            };
            for (name, dep) in deps {
                // v9 importers: `name: {specifier, version}`.
                let version = dep.get("version").unwrap_or(dep);
                if let Some(id) = dependency_id(name, version) {
                    roots.push(id);
                }
            }
        }
    }
    // Peer variants are one package: one production variant makes it
    // production.
    let packages = |ids: HashSet<String>| -> HashSet<String> {
        ids.iter().map(|id| strip_peers(id).to_owned()).collect()
    };
    let prod = packages(reachable(prod_roots, snapshots));
    let dev = packages(reachable(dev_roots, snapshots));
    dev.difference(&prod).cloned().collect()
}

/// The snapshot key a dependency `name: version` points at: `name@version`,
/// or the version itself for aliases (`x: string-width@4.2.3`). `None` for
/// `link:` dependencies and keys or values that are not text.
fn dependency_id(name: &Value, version: &Value) -> Option<String> {
    let (name, version) = (key_string(name)?, key_string(version)?);
    if version.starts_with("link:") {
        return None;
    }
    if split_spec(strip_peers(&version)).is_some() {
        Some(version)
    } else {
        Some(format!("{name}@{version}"))
    }
}

/// The snapshot keys reachable from `roots` through `dependencies` and
/// `optionalDependencies`.
fn reachable(roots: Vec<String>, snapshots: &Mapping) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut stack = roots;
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(snapshot) = snapshots.get(id.as_str()) else {
            continue;
        };
        for section in ["dependencies", "optionalDependencies"] {
            let Some(deps) = snapshot.get(section).and_then(Value::as_mapping) else {
                continue;
            };
            for (name, version) in deps {
                if let Some(next) = dependency_id(name, version).filter(|n| !seen.contains(n)) {
                    stack.push(next);
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        pnpm_lock(text.as_bytes(), "pnpm-lock.yaml").unwrap_or_else(|d| panic!("{d}"))
    }

    fn triples(p: &Parsed) -> Vec<(&str, &str, bool)> {
        p.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect()
    }

    #[test]
    fn parses_keys_of_each_version() {
        assert_eq!(parse_key("/lodash/4.17.15", 5), Some(("lodash", "4.17.15")));
        assert_eq!(
            parse_key("/@babel/core/7.0.0_supports-color@5.5.0", 5),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(
            parse_key("/@s/n@1.0.0(react@18.0.0)(@types/react@18.0.1)", 6),
            Some(("@s/n", "1.0.0"))
        );
        assert_eq!(parse_key("lodash@4.17.15", 9), Some(("lodash", "4.17.15")));
        assert_eq!(parse_key("lodash", 9), None);
        assert_eq!(parse_key("/x/", 5), None);
        assert_eq!(parse_key("github.com/a/b/0123abc", 5), None);
        assert_eq!(parse_key("registry.example.com/a@1.0.0", 6), None);
        assert_eq!(parse_key("", 6), None);
    }

    #[test]
    fn v5_dev_flags_and_peer_variants() {
        let p = parse(
            "lockfileVersion: 5.4\n\
             packages:\n\
             \x20 /react/18.2.0:\n    dev: false\n\
             \x20 /react-dom/18.2.0_react@18.2.0:\n    dev: true\n\
             \x20 /react-dom/18.2.0_react@18.1.0:\n    dev: false\n\
             \x20 /@types/node/18.0.0:\n    dev: true\n",
        );
        assert_eq!(
            triples(&p),
            [
                ("react", "18.2.0", false),
                ("react-dom", "18.2.0", false),
                ("@types/node", "18.0.0", true),
            ]
        );
        assert_eq!(p.packages[2].location, "/packages/~1@types~1node~118.0.0");
    }

    #[test]
    fn v9_dev_from_graph_aliases_and_tarballs() {
        let p = parse(
            r#"lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      a:
        specifier: ^1
        version: 1.0.0(react@18.0.0)
      sw:
        specifier: npm:string-width@^4
        version: string-width@4.2.3
      local:
        specifier: link:../local
        version: link:../local
    devDependencies:
      d:
        specifier: ^2
        version: 2.0.0
packages:
  a@1.0.0:
    resolution: {integrity: sha512-x}
  shared@3.0.0:
    resolution: {integrity: sha512-x}
  string-width@4.2.3:
    resolution: {integrity: sha512-x}
  d@2.0.0:
    resolution: {integrity: sha512-x}
  devonly@1.1.0:
    resolution: {integrity: sha512-x}
  tar@https://example.com/tar-1.0.0.tgz:
    resolution: {tarball: https://example.com/tar-1.0.0.tgz}
    version: 1.0.0
  bad@https://example.com/bad.tgz:
    resolution: {tarball: https://example.com/bad.tgz}
snapshots:
  a@1.0.0(react@18.0.0):
    dependencies:
      shared: 3.0.0
  string-width@4.2.3: {}
  d@2.0.0:
    dependencies:
      shared: 3.0.0
      devonly: 1.1.0
  shared@3.0.0: {}
  devonly@1.1.0: {}
  tar@https://example.com/tar-1.0.0.tgz: {}
"#,
        );
        assert_eq!(
            triples(&p),
            [
                ("a", "1.0.0", false),
                ("shared", "3.0.0", false),
                ("string-width", "4.2.3", false),
                ("d", "2.0.0", true),
                ("devonly", "1.1.0", true),
                ("tar", "1.0.0", false),
            ]
        );
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(
            p.diagnostics[0].pointer,
            "/packages/bad@https:~1~1example.com~1bad.tgz"
        );
    }

    #[test]
    fn rejects_unknown_versions_and_bad_yaml() {
        for v in ["'10.0'", "'4.0'", "'8.0'", "x", "[1]"] {
            let e = pnpm_lock(format!("lockfileVersion: {v}\n").as_bytes(), "p").unwrap_err();
            assert!(
                matches!(
                    e.code,
                    DiagnosticCode::Unsupported | DiagnosticCode::ManifestSyntax
                ),
                "{v}"
            );
        }
        let e = pnpm_lock(b"lockfileVersion: '10.0'\n", "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::Unsupported);
        let e = pnpm_lock(b"packages: {}\n", "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        let e = pnpm_lock(b"lockfileVersion: '9.0'\npackages:\n  a: [\n", "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        assert!(e.message.contains("line"), "{}", e.message);
        assert!(pnpm_lock(b"- a\n", "p").is_err());
    }

    #[test]
    fn odd_shapes_do_not_panic() {
        let p = parse("lockfileVersion: '6.0'\npackages: [1, 2]\n");
        assert_eq!(p.diagnostics.len(), 1);
        let p = parse("lockfileVersion: '6.0'\n");
        assert!(p.packages.is_empty());
        let p = parse(
            "lockfileVersion: '9.0'\nimporters: 3\nsnapshots: {a@1: {dependencies: 5}}\n\
             packages:\n  a@1: null\n  ? [x]\n  : {}\n",
        );
        assert_eq!(triples(&p), [("a", "1", false)]);
        assert_eq!(p.diagnostics.len(), 1);
    }
}
