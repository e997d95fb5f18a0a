//! Python package lists, all in the PyPI ecosystem:
//!
//! - **`requirements.txt`** (pip's requirements-file format, also
//!   `constraints.txt`): only exact pins (`name==1.0`, `name===1.0`) are
//!   packages; anything else that would install something (ranges, bare
//!   names, `name @ url`, URLs and paths) is skipped with a warning.
//!   Backslash continuations, comments, environment markers, extras and
//!   per-requirement options (`--hash=…`) are understood the way pip does;
//!   `-r`/`-c` includes are returned in [`Parsed::includes`]; editable
//!   installs (`-e`, usually the project itself) and index options are
//!   ignored, unknown options warned about. Locations are `line N` of the
//!   logical line's first physical line.
//! - **`poetry.lock`** (lock versions 1.x and 2.x): `[[package]]` tables;
//!   a package is dev-only when its `category` is `dev` (1.x) or its
//!   `groups` do not include `main` (2.x).
//! - **`Pipfile.lock`** (pipfile-spec 6): the `default` and `develop`
//!   sections, versions written `==x`.
//! - **`uv.lock`** (version 1, any revision): `[[package]]` tables, except
//!   the project and workspace members (`virtual` and `editable` sources).
//!   A package may appear at several versions (one per resolution fork);
//!   each is kept. Dev-only means reachable from the project only through
//!   its `dev-dependencies` (dependency groups).
//! - **`pdm.lock`** (lock versions 3.x and 4.x): `[[package]]` tables; dev-only
//!   when the package's `groups` do not include `default`.
//! - **Installed metadata**: `*.dist-info/METADATA` and `*.egg-info/PKG-INFO`
//!   (RFC 822 headers; the `Name:` and `Version:` of the header block,
//!   which ends at the first empty line).
//!
//! TOML and JSON locations are JSON pointers into the document
//! (`/package/3`, `/default/django`).

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value as Json;
use toml::{Table, Value as Toml};
use vigilo_core::Ecosystem;
use vigilo_core::package::normalize_name;

use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode, pointer_token};

// ---------------------------------------------------------------------------
// requirements.txt

/// Options pip accepts in a requirements file that do not name a package to
/// install (or name one vigilo deliberately ignores: `-e`, the project
/// itself in most files).
const IGNORED_OPTIONS: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "-e",
    "--editable",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--require-hashes",
    "--pre",
    "--trusted-host",
    "--use-feature",
    "-Z",
    "--always-unzip",
    "--hash",
    "--global-option",
    "--install-option",
    "--config-settings",
];

/// The version-specifier operators of PEP 440, longest first.
const OPERATORS: [&str; 8] = ["===", "==", "~=", "!=", "<=", ">=", "<", ">"];

/// Reads a pip requirements file.
pub(super) fn requirements(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut parsed = Parsed::default();
    for (line_no, line) in logical_lines(text) {
        let line = strip_comment(&line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let location = format!("line {line_no}");
        if line.starts_with('-') {
            option_line(line, path, location, &mut parsed);
        } else {
            // pip's `break_args_options`: the requirement ends at the first
            // space-separated token that starts with `-` (`--hash=…`).
            let requirement = line
                .split(' ')
                .take_while(|t| !t.starts_with('-'))
                .collect::<Vec<_>>()
                .join(" ");
            match pinned_requirement(&requirement) {
                Ok((name, version)) => {
                    parsed
                        .packages
                        .push(Package::new(Ecosystem::PyPI, name, version, location))
                }
                Err(why) => parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    format!("`{}`: {why}", clip(&requirement)),
                )),
            }
        }
    }
    Ok(parsed)
}

/// At most 100 characters of `s`, for quoting input in a message.
fn clip(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((end, _)) => format!("{}…", s.get(..end).unwrap_or(s)),
        None => s.to_owned(),
    }
}

/// Joins backslash-continued lines the way pip does: a line ending in `\`
/// continues on the next, unless it is a comment line (which also ends a
/// continuation). Yields each logical line with its first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let comment = line.trim_start().starts_with('#');
        if line.ends_with('\\') && !comment {
            let (_, buf) = pending.get_or_insert_with(|| (line_no, String::new()));
            buf.push_str(line.trim_end_matches('\\'));
            continue;
        }
        // pip prefixes a comment line with a space so that, joined to a
        // continuation, it is still stripped as a comment.
        let line = if comment {
            format!(" {line}")
        } else {
            line.to_owned()
        };
        match pending.take() {
            Some((start, mut buf)) => {
                buf.push_str(&line);
                out.push((start, buf));
            }
            None => out.push((line_no, line)),
        }
    }
    out.extend(pending);
    out
}

/// Drops a comment: a `#` at the start or after whitespace, to the end of
/// the line (so `git+https://…#egg=x` keeps its fragment).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line.get(..i).unwrap_or(line);
        }
        prev_space = c.is_whitespace();
    }
    line
}

/// An option line: `-r`/`-c` includes are recorded, known options ignored,
/// unknown ones warned about.
fn option_line(line: &str, path: &str, location: String, parsed: &mut Parsed) {
    let mut tokens = line.split_whitespace();
    let first = tokens.next().unwrap_or_default();
    let (option, attached) = match first.split_once('=') {
        Some((o, v)) if o.starts_with("--") => (o, Some(v)),
        _ => match first.get(..2) {
            // `-rbase.txt`: a short option with its value attached.
            Some(short @ ("-r" | "-c" | "-e" | "-i" | "-f")) if first.len() > 2 => {
                (short, first.get(2..))
            }
            _ => (first, None),
        },
    };
    match option {
        "-r" | "--requirement" | "-c" | "--constraint" => {
            match attached.or_else(|| tokens.next()).filter(|v| !v.is_empty()) {
                Some(file) => parsed.includes.push(file.to_owned()),
                None => parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    format!("`{option}` without a file name"),
                )),
            }
        }
        _ if IGNORED_OPTIONS.contains(&option) => {}
        _ => parsed.diagnostics.push(entry_warning(
            path,
            location,
            format!("unknown option `{}`: line skipped", clip(option)),
        )),
    }
}

/// The name and exact version of a PEP 508 requirement (markers and extras
/// dropped), or why it is not one pinned package.
fn pinned_requirement(requirement: &str) -> Result<(&str, &str), String> {
    let (spec, _markers) = requirement.split_once(';').unwrap_or((requirement, ""));
    let spec = spec.trim();
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let (name, rest) = spec.split_at(name_len);
    let looks_like_file = ["/", "\\", "://"].iter().any(|s| spec.contains(s))
        || [".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2"]
            .iter()
            .any(|s| spec.ends_with(s));
    let rest = rest.trim_start();
    if rest.starts_with('@') {
        return Err("a direct reference (`name @ url`) has no version to match: skipped".into());
    }
    if !valid_name(name)
        || (looks_like_file && !rest.starts_with(['=', '~', '!', '<', '>', '[', '(']))
    {
        return Err(if looks_like_file {
            "a URL or path, not a package from an index: skipped".into()
        } else {
            "not a requirement (no valid package name)".into()
        });
    }
    let rest = match rest.strip_prefix('[') {
        Some(extras) => match extras.split_once(']') {
            Some((_, after)) => after.trim_start(),
            None => return Err("unclosed `[` of extras".into()),
        },
        None => rest,
    };
    let rest = match rest.strip_prefix('(') {
        Some(inner) => match inner.trim_end().strip_suffix(')') {
            Some(inner) => inner,
            None => return Err("unclosed `(` around the version".into()),
        },
        None => rest,
    };
    if rest.trim().is_empty() {
        return Err("no version: not pinned".into());
    }
    let mut pin: Option<&str> = None;
    for clause in rest.split(',') {
        let clause = clause.trim();
        let Some(op) = OPERATORS.iter().find(|op| clause.starts_with(**op)) else {
            return Err(format!("`{clause}` is not a version specifier"));
        };
        let version = clause.get(op.len()..).unwrap_or_default().trim();
        let version_chars = |c: char| c.is_ascii_alphanumeric() || ".+-_!*".contains(c);
        if version.is_empty() || !version.chars().all(version_chars) {
            return Err(format!("`{clause}` is not a version specifier"));
        }
        let exact = *op == "===" || (*op == "==" && !version.ends_with(".*"));
        if !exact {
            continue;
        }
        match pin {
            Some(p) if p != version => return Err("conflicting `==` pins".into()),
            _ => pin = Some(version),
        }
    }
    match pin {
        Some(version) => Ok((name, version)),
        None => Err("not pinned to one version (`==`)".into()),
    }
}

/// A PEP 508 name: ASCII letters, digits, `-_.`, starting and ending with a
/// letter or digit.
fn valid_name(name: &str) -> bool {
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    alnum(name.chars().next()) && alnum(name.chars().last())
}

// ---------------------------------------------------------------------------
// TOML lockfiles

/// Parses a TOML document, or a `manifest-syntax` error naming the line and
/// column. Shared with `cargo.rs`. (The TOML parser limits nesting depth.)
pub(super) fn toml_document(text: &str, path: &str) -> Result<Table, Diagnostic> {
    text.parse::<Table>().map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let before = text.get(..span.start).unwrap_or(text);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or(before).chars().count() + 1;
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("not TOML{at}: {}", e.message().trim()),
        )
    })
}

/// The `[[package]]` tables of a TOML lockfile, each with its JSON pointer
/// (`/package/3`). Entries that are not tables are warned about; a
/// `package` key that is not an array is a syntax error. Shared with
/// `cargo.rs`.
pub(super) fn toml_packages<'a>(
    doc: &'a Table,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<Vec<(String, &'a Table)>, Diagnostic> {
    let entries = match doc.get("package") {
        None => return Ok(Vec::new()),
        Some(Toml::Array(entries)) => entries,
        Some(other) => {
            return Err(file_error(
                DiagnosticCode::ManifestSyntax,
                path,
                format!(
                    "`package` is a {}, not an array of tables",
                    other.type_str()
                ),
            ));
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let location = format!("/package/{i}");
        match entry {
            Toml::Table(table) => out.push((location, table)),
            other => diagnostics.push(entry_warning(
                path,
                location,
                format!("a {}, not a package table", other.type_str()),
            )),
        }
    }
    Ok(out)
}

/// The `name` and `version` strings of a package table, or a warning (and
/// `None`) when either is missing. Shared with `cargo.rs`.
pub(super) fn toml_name_version<'a>(
    table: &'a Table,
    location: &str,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(&'a str, &'a str)> {
    let field = |key: &str| {
        table
            .get(key)
            .and_then(Toml::as_str)
            .filter(|s| !s.is_empty())
    };
    match (field("name"), field("version")) {
        (Some(name), Some(version)) => Some((name, version)),
        (name, _) => {
            let missing = if name.is_none() { "name" } else { "version" };
            diagnostics.push(entry_warning(
                path,
                location.to_owned(),
                format!("no `{missing}` string: package skipped"),
            ));
            None
        }
    }
}

/// The major number of a lock version written as a string (`"2.1"`) or an
/// integer (`1`), or `None` when absent or unreadable.
fn lock_major(value: Option<&Toml>) -> Option<i64> {
    match value? {
        Toml::Integer(n) => Some(*n),
        Toml::String(s) => s.split('.').next()?.trim().parse().ok(),
        _ => None,
    }
}

/// An `unsupported-format` error when the file's lock version is newer than
/// the newest major version read.
fn check_major(major: Option<i64>, newest: i64, what: &str, path: &str) -> Result<(), Diagnostic> {
    match major {
        Some(m) if m > newest || m < 1 => Err(file_error(
            DiagnosticCode::Unsupported,
            path,
            format!("{what} {m} is not read (versions 1 to {newest} are)"),
        )),
        _ => Ok(()),
    }
}

/// Whether a `groups` array exists and lacks `default_group`.
fn only_other_groups(table: &Table, default_group: &str) -> bool {
    match table.get("groups").and_then(Toml::as_array) {
        Some(groups) => !groups.iter().any(|g| g.as_str() == Some(default_group)),
        None => false,
    }
}

/// Reads a `poetry.lock`.
pub(super) fn poetry_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let doc = toml_document(utf8(bytes, path)?, path)?;
    let metadata = doc.get("metadata").and_then(Toml::as_table);
    let major = lock_major(metadata.and_then(|m| m.get("lock-version")));
    check_major(major, 2, "poetry.lock lock-version", path)?;
    let mut parsed = Parsed::default();
    for (location, table) in toml_packages(&doc, path, &mut parsed.diagnostics)? {
        let Some((name, version)) =
            toml_name_version(table, &location, path, &mut parsed.diagnostics)
        else {
            continue;
        };
        let mut package = Package::new(Ecosystem::PyPI, name, version, location);
        package.dev = table.get("category").and_then(Toml::as_str) == Some("dev")
            || only_other_groups(table, "main");
        parsed.packages.push(package);
    }
    Ok(parsed)
}

/// Reads a `pdm.lock`.
pub(super) fn pdm_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let doc = toml_document(utf8(bytes, path)?, path)?;
    let metadata = doc.get("metadata").and_then(Toml::as_table);
    let major = lock_major(metadata.and_then(|m| m.get("lock_version")));
    check_major(major, 4, "pdm.lock lock_version", path)?;
    let mut parsed = Parsed::default();
    for (location, table) in toml_packages(&doc, path, &mut parsed.diagnostics)? {
        let Some((name, version)) =
            toml_name_version(table, &location, path, &mut parsed.diagnostics)
        else {
            continue;
        };
        let mut package = Package::new(Ecosystem::PyPI, name, version, location);
        package.dev = only_other_groups(table, "default");
        parsed.packages.push(package);
    }
    Ok(parsed)
}

/// Reads a `uv.lock`.
pub(super) fn uv_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let doc = toml_document(utf8(bytes, path)?, path)?;
    check_major(lock_major(doc.get("version")), 1, "uv.lock version", path)?;
    let mut parsed = Parsed::default();
    let tables = toml_packages(&doc, path, &mut parsed.diagnostics)?;
    let dev_only = uv_dev_only(&tables);
    for (i, (location, table)) in tables.iter().enumerate() {
        if uv_is_local_project(table) {
            continue;
        }
        let Some((name, version)) =
            toml_name_version(table, location, path, &mut parsed.diagnostics)
        else {
            continue;
        };
        let mut package = Package::new(Ecosystem::PyPI, name, version, location.clone());
        package.dev = dev_only.contains(&i);
        parsed.packages.push(package);
    }
    Ok(parsed)
}

/// Whether a uv package is the project or a workspace member: its source
/// is `{ virtual = "." }` or `{ editable = "…" }`.
fn uv_is_local_project(table: &Table) -> bool {
    table
        .get("source")
        .and_then(Toml::as_table)
        .is_some_and(|s| s.contains_key("virtual") || s.contains_key("editable"))
}

/// What a uv dependency names: a package by normalised name, and its
/// version when several are locked.
type UvKey = (String, Option<String>);

/// The indices of uv packages reachable from the local projects only
/// through `dev-dependencies` (dependency groups). Without a local project
/// in the lock, nothing is dev-only. Each dependency key is expanded once
/// per walk, so the work is linear in the lock's size.
fn uv_dev_only(tables: &[(String, &Table)]) -> HashSet<usize> {
    let name_of = |t: &Table| {
        t.get("name")
            .and_then(Toml::as_str)
            .map(|n| normalize_name(&Ecosystem::PyPI, n))
    };
    let mut index: HashMap<UvKey, Vec<usize>> = HashMap::new();
    for (i, (_, table)) in tables.iter().enumerate() {
        let Some(name) = name_of(table) else {
            continue;
        };
        let version = table.get("version").and_then(Toml::as_str);
        if let Some(version) = version {
            index
                .entry((name.clone(), Some(version.to_owned())))
                .or_default()
                .push(i);
        }
        index.entry((name, None)).or_default().push(i);
    }
    let keys = |deps: &Toml| -> Vec<UvKey> {
        let deps = deps.as_array().map(Vec::as_slice).unwrap_or_default();
        deps.iter()
            .filter_map(|dep| {
                let name = dep.get("name").and_then(Toml::as_str)?;
                let version = dep.get("version").and_then(Toml::as_str);
                Some((
                    normalize_name(&Ecosystem::PyPI, name),
                    version.map(str::to_owned),
                ))
            })
            .collect()
    };
    // Runtime edges: `dependencies` and every `optional-dependencies`
    // group (extras are not tracked, which can only make fewer packages
    // dev-only).
    let runtime_keys = |table: &Table| -> Vec<UvKey> {
        let mut out = table.get("dependencies").map(keys).unwrap_or_default();
        if let Some(groups) = table.get("optional-dependencies").and_then(Toml::as_table) {
            groups.values().for_each(|deps| out.extend(keys(deps)));
        }
        out
    };
    let walk = |start: Vec<UvKey>| -> HashSet<usize> {
        let mut reached: HashSet<usize> = HashSet::new();
        let mut expanded: HashSet<UvKey> = HashSet::new();
        let mut queue: VecDeque<UvKey> = start.into();
        while let Some(key) = queue.pop_front() {
            if !expanded.insert(key.clone()) {
                continue;
            }
            for &i in index.get(&key).map(Vec::as_slice).unwrap_or_default() {
                if reached.insert(i) {
                    if let Some((_, table)) = tables.get(i) {
                        queue.extend(runtime_keys(table));
                    }
                }
            }
        }
        reached
    };
    let roots: Vec<&Table> = tables
        .iter()
        .map(|(_, t)| *t)
        .filter(|t| uv_is_local_project(t))
        .collect();
    let runtime = walk(roots.iter().flat_map(|t| runtime_keys(t)).collect());
    let dev_starts: Vec<UvKey> = roots
        .iter()
        .filter_map(|t| t.get("dev-dependencies").and_then(Toml::as_table))
        .flat_map(|groups| groups.values().flat_map(keys))
        .collect();
    walk(dev_starts)
        .into_iter()
        .filter(|i| !runtime.contains(i))
        .collect()
}

// ---------------------------------------------------------------------------
// Pipfile.lock

/// Reads a `Pipfile.lock`.
pub(super) fn pipfile_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let doc: Json = serde_json::from_str(text).map_err(|e| {
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
    let mut runtime: HashSet<(String, String)> = HashSet::new();
    for (section, dev) in [("default", false), ("develop", true)] {
        let entries = match doc.get(section) {
            None => continue,
            Some(Json::Object(entries)) => entries,
            Some(_) => {
                parsed.diagnostics.push(entry_warning(
                    path,
                    format!("/{section}"),
                    "not an object: section skipped".into(),
                ));
                continue;
            }
        };
        for (name, entry) in entries {
            let location = format!("/{section}/{}", pointer_token(name));
            match pipfile_version(entry) {
                Ok(version) => {
                    let key = (normalize_name(&Ecosystem::PyPI, name), version.to_owned());
                    // A package both sections list is a runtime one.
                    if dev && runtime.contains(&key) {
                        continue;
                    }
                    let mut package = Package::new(Ecosystem::PyPI, name, version, location);
                    package.dev = dev;
                    parsed.packages.push(package);
                    if !dev {
                        runtime.insert(key);
                    }
                }
                Err(why) => parsed
                    .diagnostics
                    .push(entry_warning(path, location, why.into())),
            }
        }
    }
    Ok(parsed)
}

/// The version of a Pipfile.lock entry (`"version": "==1.0"`), or why there
/// is none.
fn pipfile_version(entry: &Json) -> Result<&str, &'static str> {
    let Some(entry) = entry.as_object() else {
        return Err("not an object: entry skipped");
    };
    match entry.get("version").and_then(Json::as_str) {
        Some(v) => v
            .strip_prefix("===")
            .or_else(|| v.strip_prefix("=="))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or("`version` is not an exact `==` pin: entry skipped"),
        None if ["git", "path", "file", "editable"]
            .iter()
            .any(|k| entry.contains_key(*k)) =>
        {
            Err("a VCS, path or URL dependency has no version: entry skipped")
        }
        None => Err("no `version`: entry skipped"),
    }
}

// ---------------------------------------------------------------------------
// Installed metadata

/// Reads the `Name:` and `Version:` headers of a `METADATA`/`PKG-INFO`.
pub(super) fn metadata(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut name: Option<(usize, &str)> = None;
    let mut version: Option<&str> = None;
    let mut headers_end = 0;
    for (i, line) in text.lines().enumerate() {
        headers_end = i + 1;
        if line.is_empty() {
            break; // The body (the long description) follows.
        }
        if line.starts_with([' ', '\t']) {
            continue; // A folded continuation of the previous header.
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if key.trim().eq_ignore_ascii_case("name") && name.is_none() {
            name = Some((i + 1, value));
        } else if key.trim().eq_ignore_ascii_case("version") && version.is_none() {
            version = Some(value);
        }
    }
    match (
        name.filter(|(_, n)| !n.is_empty()),
        version.filter(|v| !v.is_empty()),
    ) {
        (Some((line, name)), Some(version)) => Ok(Parsed {
            packages: vec![Package::new(
                Ecosystem::PyPI,
                name,
                version,
                format!("line {line}"),
            )],
            ..Parsed::default()
        }),
        (name, _) => Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!(
                "no `{}:` header in the metadata headers (lines 1 to {headers_end})",
                if name.is_none() { "Name" } else { "Version" }
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn req(text: &str) -> Parsed {
        requirements(text.as_bytes(), "requirements.txt").unwrap()
    }

    fn pairs(parsed: &Parsed) -> Vec<(&str, &str)> {
        parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    #[test]
    fn requirement_pins_extras_markers_and_hashes() {
        let parsed = req("\
# comment
Django==3.2.0
requests[security,socks] == 2.25.0 ; python_version >= \"3.6\"
pyyaml===5.3  # trailing comment
jinja2==2.11.2 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
    # via flask
urllib3 (==1.26.4)
six>=1.0,==1.16.0
zope.interface==5.4.0 --global-option=x
");
        assert_eq!(
            pairs(&parsed),
            [
                ("Django", "3.2.0"),
                ("requests", "2.25.0"),
                ("pyyaml", "5.3"),
                ("jinja2", "2.11.2"),
                ("urllib3", "1.26.4"),
                ("six", "1.16.0"),
                ("zope.interface", "5.4.0"),
            ]
        );
        let lines: Vec<&str> = parsed
            .packages
            .iter()
            .map(|p| p.location.as_str())
            .collect();
        assert_eq!(
            lines,
            [
                "line 2", "line 3", "line 4", "line 5", "line 9", "line 10", "line 11"
            ]
        );
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:pypi/django@3.2.0")
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    }

    #[test]
    fn unpinned_and_direct_references_are_warned_about() {
        let parsed = req("\
flask>=1.0
click
numpy==1.*
pip @ https://github.com/pypa/pip/archive/1.3.1.zip
https://example.com/pkg-1.0.tar.gz
./vendor/foo-1.0-py3-none-any.whl
a==1,==2
b==${VERSION}
--frobnicate
bad[extra==1
");
        assert!(parsed.packages.is_empty());
        let at: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(
            at,
            [
                "line 1", "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 8",
                "line 9", "line 10"
            ]
        );
        assert!(parsed.diagnostics[3].message.contains("direct reference"));
        assert!(parsed.diagnostics[4].message.contains("URL or path"));
        assert!(parsed.diagnostics[5].message.contains("URL or path"));
        assert!(parsed.diagnostics[8].message.contains("--frobnicate"));
        assert!(
            parsed
                .diagnostics
                .iter()
                .all(|d| d.code == DiagnosticCode::ManifestEntry)
        );
    }

    #[test]
    fn includes_and_ignored_options() {
        let parsed = req("\
-r base.txt
--requirement=dev.txt
-rother.txt
-c constraints.txt
--constraint more.txt
-e .
-e git+https://github.com/x/y.git#egg=y
--index-url https://pypi.org/simple
--extra-index-url=https://example.com/simple
--find-links ./wheels
--pre
-r
");
        assert!(parsed.packages.is_empty());
        assert_eq!(
            parsed.includes,
            [
                "base.txt",
                "dev.txt",
                "other.txt",
                "constraints.txt",
                "more.txt"
            ]
        );
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "line 12");
    }

    #[test]
    fn continuations_follow_pip() {
        // A fragment `#` is not a comment; a comment line ends a
        // continuation; a final backslash at the end of the file is fine.
        assert_eq!(strip_comment("a#b # c"), "a#b ");
        assert_eq!(strip_comment("# all"), "");
        let lines = logical_lines("a==1 \\\n# note \\\nb==2\nc==3 \\");
        assert_eq!(
            lines,
            [
                (1, "a==1  # note \\".to_owned()),
                (3, "b==2".to_owned()),
                (4, "c==3 ".to_owned())
            ]
        );
        let parsed = req("a==1 \\\r\n  --hash=sha256:x\r\nb==2\r\n");
        assert_eq!(pairs(&parsed), [("a", "1"), ("b", "2")]);
        assert_eq!(parsed.packages[1].location, "line 3");
    }

    #[test]
    fn long_lines_are_clipped_in_messages() {
        let parsed = req(&format!("{}>=1\n", "a".repeat(10_000)));
        assert!(parsed.diagnostics[0].message.len() < 200);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn not_utf8_is_a_syntax_error() {
        let err = requirements(b"a==1\n\xff\n", "r.txt").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
    }

    #[test]
    fn poetry_categories_and_groups() {
        let old = br#"
[[package]]
name = "pytest"
version = "6.2.5"
category = "dev"

[[package]]
name = "requests"
version = "2.25.0"
category = "main"

[metadata]
lock-version = "1.1"
"#;
        let parsed = poetry_lock(old, "poetry.lock").unwrap();
        let dev: Vec<bool> = parsed.packages.iter().map(|p| p.dev).collect();
        assert_eq!(dev, [true, false]);

        let new = br#"
[[package]]
name = "pytest"
version = "8.0.0"
groups = ["dev"]

[[package]]
name = "click"
version = "8.1.8"
groups = ["main", "dev"]

[[package]]
name = "broken"

[metadata]
lock-version = "2.1"
"#;
        let parsed = poetry_lock(new, "poetry.lock").unwrap();
        assert_eq!(pairs(&parsed), [("pytest", "8.0.0"), ("click", "8.1.8")]);
        let dev: Vec<bool> = parsed.packages.iter().map(|p| p.dev).collect();
        assert_eq!(dev, [true, false]);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "/package/2");
    }

    #[test]
    fn toml_errors_name_the_line() {
        let err = poetry_lock(
            b"[[package]]\nname = \"x\"\nversion = 1.2.3\n",
            "poetry.lock",
        )
        .unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
        assert!(err.message.contains("line 3"), "{}", err.message);

        let err = poetry_lock(b"package = 3\n", "poetry.lock").unwrap_err();
        assert!(err.message.contains("not an array"), "{}", err.message);

        let err = poetry_lock(b"[metadata]\nlock-version = \"3.0\"\n", "poetry.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::Unsupported);

        // Deep nesting is refused by the parser, not a stack overflow.
        let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = uv_lock(deep.as_bytes(), "uv.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
    }

    #[test]
    fn uv_skips_the_project_and_marks_dev_groups() {
        let lock = br#"
version = 1
revision = 2

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "requests" }]

[package.optional-dependencies]
yaml = [{ name = "pyyaml" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }, { name = "requests" }]

[[package]]
name = "requests"
version = "2.25.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna", version = "2.10", source = { registry = "https://pypi.org/simple" } }]

[[package]]
name = "idna"
version = "2.10"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pyyaml"
version = "5.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna", version = "3.7", source = { registry = "https://pypi.org/simple" } }]
"#;
        let parsed = uv_lock(lock, "uv.lock").unwrap();
        let got: Vec<(&str, &str, bool)> = parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("requests", "2.25.0", false),
                ("idna", "2.10", false),
                ("idna", "3.7", true),
                ("pyyaml", "5.3", false),
                ("pytest", "8.0.0", true),
            ]
        );
        assert_eq!(parsed.packages[0].location, "/package/1");

        let err = uv_lock(b"version = 2\n", "uv.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::Unsupported);
    }

    #[test]
    fn uv_dev_walk_is_linear() {
        // Every package depends on every version of `x`: quadratic if each
        // dependency were expanded anew.
        let mut lock = String::from(
            "version = 1\n[[package]]\nname = \"app\"\nsource = { virtual = \".\" }\n\
             [package.dev-dependencies]\ndev = [{ name = \"x\" }]\n",
        );
        for i in 0..20_000 {
            lock.push_str(&format!(
                "[[package]]\nname = \"x\"\nversion = \"{i}\"\ndependencies = [{{ name = \"x\" }}]\n"
            ));
        }
        let parsed = uv_lock(lock.as_bytes(), "uv.lock").unwrap();
        assert_eq!(parsed.packages.len(), 20_000);
        assert!(parsed.packages.iter().all(|p| p.dev));
    }

    #[test]
    fn pdm_groups() {
        let lock = br#"
[metadata]
groups = ["default", "dev"]
lock_version = "4.5.0"

[[package]]
name = "requests"
version = "2.25.0"
groups = ["default"]

[[package]]
name = "pytest"
version = "8.0.0"
groups = ["dev"]

[[package]]
name = "idna"
version = "2.10"
"#;
        let parsed = pdm_lock(lock, "pdm.lock").unwrap();
        let dev: Vec<bool> = parsed.packages.iter().map(|p| p.dev).collect();
        assert_eq!(dev, [false, true, false]);
    }

    #[test]
    fn pipfile_sections() {
        let lock = br#"{
  "_meta": {"pipfile-spec": 6},
  "default": {
    "requests": {"version": "==2.25.0"},
    "six": {"version": "==1.16.0"},
    "mylib": {"editable": true, "path": "."},
    "odd": {"version": ">=1"}
  },
  "develop": {
    "pytest": {"version": "==8.0.0"},
    "six": {"version": "==1.16.0"},
    "a/b": []
  }
}"#;
        let parsed = pipfile_lock(lock, "Pipfile.lock").unwrap();
        let got: Vec<(&str, &str, bool)> = parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.dev))
            .collect();
        assert_eq!(
            got,
            [
                ("requests", "2.25.0", false),
                ("six", "1.16.0", false),
                ("pytest", "8.0.0", true)
            ]
        );
        let at: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(at, ["/default/mylib", "/default/odd", "/develop/a~1b"]);

        let err = pipfile_lock(b"{\"default\": {,}}", "Pipfile.lock").unwrap_err();
        assert!(err.message.contains("line 1, column"), "{}", err.message);
        let err = pipfile_lock(b"[]", "Pipfile.lock").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
        let deep = "[".repeat(100_000);
        assert!(pipfile_lock(deep.as_bytes(), "Pipfile.lock").is_err());
    }

    #[test]
    fn metadata_headers_only() {
        let text = b"Metadata-Version: 2.1\r\nName: Jinja2\r\nVersion: 2.11.2\r\nSummary: A very\r\n  long summary\r\n\r\nName: not-this\r\n";
        let parsed = metadata(text, "Jinja2-2.11.2.dist-info/METADATA").unwrap();
        assert_eq!(pairs(&parsed), [("Jinja2", "2.11.2")]);
        assert_eq!(parsed.packages[0].location, "line 2");
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:pypi/jinja2@2.11.2")
        );

        let err = metadata(b"Name: x\n\nVersion: 1\n", "x.egg-info/PKG-INFO").unwrap_err();
        assert_eq!(err.code, DiagnosticCode::ManifestSyntax);
        assert!(err.message.contains("Version"), "{}", err.message);
        assert!(metadata(b"", "PKG-INFO").is_err());
    }
}
