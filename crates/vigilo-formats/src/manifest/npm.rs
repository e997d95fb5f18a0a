//! npm's `package-lock.json` / `npm-shrinkwrap.json`, and the `package.json`
//! of a package installed under `node_modules`.
//!
//! Lockfile versions read:
//!
//! - **1** (npm 5 and 6): the `dependencies` tree. Each entry is keyed by its
//!   name and may carry its own nested `dependencies` (packages installed
//!   below it); `dev: true` marks development-only packages.
//! - **2** (npm 7 and 8): the `packages` map only. The legacy `dependencies`
//!   section of a v2 file repeats the same packages for old npm versions and
//!   is ignored, so nothing is counted twice.
//! - **3** (npm 9 and later): the `packages` map.
//!
//! A `packages` key is the install path (`node_modules/a/node_modules/b`);
//! the package name is its last `node_modules/` segment (`@scope/name` for
//! scoped packages) unless the entry names itself with a `name` field, as
//! aliased packages (`"x": "npm:other@1.0.0"`) do. The root project (`""`),
//! symlinks (`link: true`) and workspace folders (paths without
//! `node_modules/`) are the project's own code and are skipped.
//!
//! `devOptional: true` is *not* read as development-only: npm sets it on a
//! package that is a dev dependency and also an optional dependency of a
//! production package, so `npm install --omit=dev` still installs it.
//!
//! Packages come in key order. Locations are JSON pointers to the entry (`/packages/node_modules~1lodash`,
//! `/dependencies/send/dependencies/ms`).

use serde_json::{Map, Value};
use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode, pointer_token};

/// The newest `lockfileVersion` read.
const NEWEST_LOCKFILE_VERSION: u64 = 3;

/// How deep the v1 `dependencies` tree is followed. Real trees rarely pass
/// ten levels. (JSON parsing itself refuses nesting past 128, which is
/// about 63 tree levels.)
const MAX_V1_DEPTH: usize = 32;

/// Reads a `package-lock.json` or `npm-shrinkwrap.json`.
pub(super) fn package_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let root = json_object(bytes, path)?;
    let version = match root.get("lockfileVersion") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            file_error(
                DiagnosticCode::ManifestSyntax,
                path,
                format!("/lockfileVersion is {v}, not a whole number"),
            )
        })?),
    };
    if let Some(v) = version.filter(|v| !(1..=NEWEST_LOCKFILE_VERSION).contains(v)) {
        return Err(file_error(
            DiagnosticCode::Unsupported,
            path,
            format!(
                "package-lock lockfileVersion {v} is not read (versions 1 to {NEWEST_LOCKFILE_VERSION} are)"
            ),
        ));
    }

    let mut out = Parsed::default();
    // v2 and v3 describe the tree in `packages`; v1 (and files too old to
    // say) in `dependencies`. A v2+ file without `packages` falls back to
    // `dependencies` rather than reporting nothing.
    let packages = root.get("packages");
    let use_packages = match version {
        Some(v) if v >= 2 => packages.is_some() || root.get("dependencies").is_none(),
        _ => packages.is_some() && root.get("dependencies").is_none(),
    };
    if use_packages {
        match packages {
            Some(Value::Object(map)) => read_packages(map, path, &mut out),
            Some(other) => out.diagnostics.push(entry_warning(
                path,
                "/packages".into(),
                format!("`packages` is {}, not an object", type_name(other)),
            )),
            None => {}
        }
    } else {
        match root.get("dependencies") {
            Some(Value::Object(map)) => read_v1_tree(map, "", 0, path, &mut out),
            Some(other) => out.diagnostics.push(entry_warning(
                path,
                "/dependencies".into(),
                format!("`dependencies` is {}, not an object", type_name(other)),
            )),
            None => {}
        }
    }
    Ok(out)
}

/// Reads the `package.json` of an installed package
/// (`node_modules/<name>/package.json`): its `name` and `version`.
///
/// A private package without a version (a project's own root, copied in)
/// gives nothing; any other file missing either field gives a warning.
pub(super) fn node_package_json(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let root = json_object(bytes, path)?;
    let mut out = Parsed::default();
    let name = non_empty_str(root.get("name"));
    let version = non_empty_str(root.get("version"));
    let private = root.get("private").and_then(Value::as_bool) == Some(true);
    match (name, version) {
        (Some(name), Some(version)) => {
            out.packages
                .push(Package::new(Ecosystem::Npm, name, version, String::new()));
        }
        (_, None) if private => {}
        (name, version) => {
            let missing = match (name, version) {
                (None, None) => "`name` and `version`",
                (None, _) => "`name`",
                _ => "`version`",
            };
            out.diagnostics.push(entry_warning(
                path,
                String::new(),
                format!("installed package.json has no {missing}"),
            ));
        }
    }
    Ok(out)
}

/// Splits an npm package spec `name@rest` (`@scope/name@rest` for scoped
/// names) at the `@` that ends the name. `None` when there is no such `@`,
/// or nothing after it.
pub(super) fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    let (name, rest) = spec.split_at(at);
    Some((name, rest.get(1..).filter(|r| !r.is_empty())?))
}

/// Parses the bytes as a JSON object.
fn json_object(bytes: &[u8], path: &str) -> Result<Map<String, Value>, Diagnostic> {
    let text = utf8(bytes, path)?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("the document is {}, not a JSON object", type_name(&other)),
        )),
        Err(e) => Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not valid JSON: {e}"),
        )),
    }
}

/// Reads the v2/v3 `packages` map.
fn read_packages(map: &Map<String, Value>, path: &str, out: &mut Parsed) {
    for (key, entry) in map {
        let location = format!("/packages/{}", pointer_token(key));
        // The root project, and workspace folders (`packages/foo`): the
        // project's own code, not installed packages.
        let Some((_, last)) = key.rsplit_once("node_modules/") else {
            continue;
        };
        let Value::Object(entry) = entry else {
            out.diagnostics.push(entry_warning(
                path,
                location,
                format!("entry is {}, not an object", type_name(entry)),
            ));
            continue;
        };
        // A symlink to a workspace or `file:` folder; the folder itself is
        // listed (and skipped) under its own path.
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let Some(version) = non_empty_str(entry.get("version")) else {
            out.diagnostics.push(entry_warning(
                path,
                location,
                "entry has no `version`".into(),
            ));
            continue;
        };
        let name = non_empty_str(entry.get("name")).unwrap_or(last);
        if name.is_empty() {
            out.diagnostics.push(entry_warning(
                path,
                location,
                "entry's path does not end in a package name".into(),
            ));
            continue;
        }
        // `version` is the installed package.json's own, so aliases show up
        // in `name`; a hand-edited `npm:` version is honoured all the same.
        let (name, version) = match version.strip_prefix("npm:").and_then(split_spec) {
            Some((real, v)) => (real, v),
            None => (name, version),
        };
        let mut package = Package::new(Ecosystem::Npm, name, version, location);
        package.dev = is_true(entry.get("dev"));
        out.packages.push(package);
    }
}

/// Reads a v1 `dependencies` map at `prefix` (a JSON pointer), then the
/// maps nested in its entries.
fn read_v1_tree(
    map: &Map<String, Value>,
    prefix: &str,
    depth: usize,
    path: &str,
    out: &mut Parsed,
) {
    for (name, entry) in map {
        let location = format!("{prefix}/dependencies/{}", pointer_token(name));
        let Value::Object(entry) = entry else {
            out.diagnostics.push(entry_warning(
                path,
                location,
                format!("entry is {}, not an object", type_name(entry)),
            ));
            continue;
        };
        match non_empty_str(entry.get("version")) {
            None => out.diagnostics.push(entry_warning(
                path,
                location.clone(),
                "entry has no `version`".into(),
            )),
            Some(version) => match v1_version(name, version) {
                V1Version::Registry(name, version) => {
                    let mut package = Package::new(Ecosystem::Npm, name, version, location.clone());
                    package.dev = is_true(entry.get("dev"));
                    out.packages.push(package);
                }
                V1Version::Local => {}
                V1Version::Url => out.diagnostics.push(entry_warning(
                    path,
                    location.clone(),
                    format!("version {version:?} is a git or tarball URL, not a registry version"),
                )),
            },
        }
        match entry.get("dependencies") {
            None => {}
            Some(Value::Object(nested)) if depth < MAX_V1_DEPTH => {
                read_v1_tree(nested, &location, depth + 1, path, out);
            }
            Some(Value::Object(_)) => out.diagnostics.push(entry_warning(
                path,
                location,
                format!("dependencies nested deeper than {MAX_V1_DEPTH} levels were not read"),
            )),
            Some(other) => out.diagnostics.push(entry_warning(
                path,
                format!("{location}/dependencies"),
                format!("`dependencies` is {}, not an object", type_name(other)),
            )),
        }
    }
}

/// What a v1 entry's `version` says.
enum V1Version<'a> {
    /// A registry package: name (the alias target's for `npm:` aliases) and
    /// version.
    Registry(&'a str, &'a str),
    /// `file:` or `link:`: the project's own folders.
    Local,
    /// A git repository or tarball URL.
    Url,
}

fn v1_version<'a>(name: &'a str, version: &'a str) -> V1Version<'a> {
    if let Some(alias) = version.strip_prefix("npm:") {
        return match split_spec(alias) {
            Some((real, v)) => V1Version::Registry(real, v),
            None => V1Version::Url,
        };
    }
    if version.starts_with("file:") || version.starts_with("link:") {
        V1Version::Local
    } else if version.contains(':') || version.contains('/') {
        V1Version::Url
    } else {
        V1Version::Registry(name, version)
    }
}

fn non_empty_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

/// "an array", "a string"… for messages.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(json: &str) -> Parsed {
        package_lock(json.as_bytes(), "package-lock.json").unwrap_or_else(|d| panic!("{d}"))
    }

    fn triples(p: &Parsed) -> Vec<(&str, &str, bool)> {
        p.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect()
    }

    #[test]
    fn splits_specs() {
        assert_eq!(split_spec("lodash@^4"), Some(("lodash", "^4")));
        assert_eq!(
            split_spec("@babel/core@7.0.0"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(split_spec("a@npm:b@1"), Some(("a", "npm:b@1")));
        assert_eq!(split_spec("@scope/name"), None);
        assert_eq!(split_spec("lodash"), None);
        assert_eq!(split_spec("@"), None);
        assert_eq!(split_spec("a@"), None);
        assert_eq!(split_spec(""), None);
    }

    #[test]
    fn v3_packages_with_nesting_scopes_aliases_links_and_workspaces() {
        let p = lock(
            r#"{
              "lockfileVersion": 3,
              "packages": {
                "": {"name": "app", "version": "1.0.0"},
                "node_modules/lodash": {"version": "4.17.15"},
                "node_modules/@babel/core": {"version": "7.1.0", "dev": true},
                "node_modules/send/node_modules/ms": {"version": "2.1.1"},
                "node_modules/fsevents": {"version": "2.3.2", "devOptional": true},
                "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3",
                   "resolved": "https://registry.npmjs.org/string-width/-/string-width-4.2.3.tgz"},
                "node_modules/my-lib": {"resolved": "packages/my-lib", "link": true},
                "packages/my-lib": {"name": "my-lib", "version": "0.1.0"},
                "packages/my-lib/node_modules/@types/node": {"version": "20.1.0", "dev": true}
              }
            }"#,
        );
        assert_eq!(
            triples(&p),
            [
                ("@babel/core", "7.1.0", true),
                ("fsevents", "2.3.2", false),
                ("lodash", "4.17.15", false),
                ("ms", "2.1.1", false),
                ("string-width", "4.2.3", false),
                ("@types/node", "20.1.0", true),
            ]
        );
        assert_eq!(
            p.packages[0].location,
            "/packages/node_modules~1@babel~1core"
        );
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some("pkg:npm/%40babel/core@7.1.0")
        );
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn v2_reads_packages_not_the_legacy_tree() {
        let p = lock(
            r#"{"lockfileVersion": 2,
                "packages": {"": {}, "node_modules/a": {"version": "1.0.0"}},
                "dependencies": {"a": {"version": "1.0.0"}, "legacy-only": {"version": "9.9.9"}}}"#,
        );
        assert_eq!(triples(&p), [("a", "1.0.0", false)]);
    }

    #[test]
    fn v1_tree_nesting_aliases_and_local_versions() {
        let p = lock(
            r#"{"lockfileVersion": 1, "dependencies": {
                "send": {"version": "0.17.1", "dependencies": {
                    "ms": {"version": "2.1.1", "dev": true}}},
                "sw": {"version": "npm:string-width@4.2.3"},
                "mine": {"version": "file:../mine"},
                "gitdep": {"version": "git+https://github.com/a/b.git#abc"},
                "broken": {"dev": true},
                "odd": 7
            }}"#,
        );
        assert_eq!(
            triples(&p),
            [
                ("send", "0.17.1", false),
                ("ms", "2.1.1", true),
                ("string-width", "4.2.3", false),
            ]
        );
        assert_eq!(p.packages[1].location, "/dependencies/send/dependencies/ms");
        let at: Vec<&str> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/dependencies/broken",
                "/dependencies/gitdep",
                "/dependencies/odd"
            ]
        );
    }

    #[test]
    fn deep_v1_nesting_is_bounded() {
        let mut json = String::from(r#"{"version": "1.0.0"}"#);
        for _ in 0..40 {
            json = format!(r#"{{"version": "1.0.0", "dependencies": {{"x": {json}}}}}"#);
        }
        let doc = format!(r#"{{"lockfileVersion": 1, "dependencies": {{"x": {json}}}}}"#);
        let p = lock(&doc);
        assert_eq!(p.packages.len(), MAX_V1_DEPTH + 1);
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.contains("deeper than"));
        // Deeper still, the JSON parser refuses the file.
        let doc = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let e = package_lock(doc.as_bytes(), "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
    }

    #[test]
    fn rejects_newer_versions_and_bad_json() {
        let e = package_lock(br#"{"lockfileVersion": 4, "packages": {}}"#, "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::Unsupported);
        assert!(e.message.contains('4'));
        let e = package_lock(br#"{"lockfileVersion": "3"}"#, "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        let e = package_lock(b"{\n  \"packages\": {,}\n}", "p").unwrap_err();
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        assert!(e.message.contains("line 2"), "{}", e.message);
        let e = package_lock(b"[]", "p").unwrap_err();
        assert!(e.message.contains("an array"));
    }

    #[test]
    fn bad_entries_are_skipped_with_warnings() {
        let p = lock(
            r#"{"lockfileVersion": 3, "packages": {
                "node_modules/a": "1.0.0",
                "node_modules/b": {},
                "node_modules/": {"version": "1.0.0"},
                "node_modules/c": {"version": "1.0.0"}}}"#,
        );
        assert_eq!(triples(&p), [("c", "1.0.0", false)]);
        assert_eq!(p.diagnostics.len(), 3);
        assert!(
            p.diagnostics
                .iter()
                .all(|d| d.code == DiagnosticCode::ManifestEntry)
        );
    }

    #[test]
    fn installed_package_json() {
        let p = node_package_json(
            br#"{"name": "@types/node", "version": "20.1.0", "private": false}"#,
            "node_modules/@types/node/package.json",
        )
        .unwrap();
        assert_eq!(triples(&p), [("@types/node", "20.1.0", false)]);

        let p = node_package_json(br#"{"name": "app", "private": true}"#, "x").unwrap();
        assert!(p.packages.is_empty() && p.diagnostics.is_empty());

        let p = node_package_json(br#"{"version": "1.0.0"}"#, "x").unwrap();
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].message.contains("`name`"));

        assert!(node_package_json(b"\xff", "x").is_err());
        assert!(node_package_json(b"\"str\"", "x").is_err());
    }
}
