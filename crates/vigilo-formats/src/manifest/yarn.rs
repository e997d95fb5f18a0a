//! Yarn's `yarn.lock`, classic (v1) and berry (Yarn 2 and later).
//!
//! Both are read line by line, as both Yarn lines write them: an unindented
//! key line ending in `:` lists the descriptors that share one resolution,
//! and the fields below it are indented.
//!
//! - **Classic** (`# yarn lockfile v1`): keys `"a@^1", a@~1.2:`, fields
//!   `version "1.2.3"`. Every block is one package; two blocks resolving to
//!   the same version stay two packages, as Yarn installs them separately.
//!   The name is the first descriptor's (the alias target's for
//!   `a@npm:b@^1` descriptors).
//! - **Berry** (a `__metadata:` block; any metadata version): keys
//!   `"lodash@npm:^4.17.15, lodash@npm:^4.17.20":`, fields
//!   `version: 4.17.15` and `resolution: "lodash@npm:4.17.15"`. The name
//!   comes from `resolution`. Workspaces (the project itself), `link:` and
//!   `portal:` folders are skipped; a `patch:` resolution is read as the
//!   package it patches (and skipped when that is a workspace). Identical
//!   name@version pairs (a patched package and its original) are listed
//!   once.
//!
//! Neither says which packages are development-only, so `dev` is false.
//! Locations are `line N` of the key line.

use std::collections::HashSet;

use vigilo_core::Ecosystem;

use super::npm::split_spec;
use super::{Package, Parsed, entry_warning, utf8};
use crate::diag::Diagnostic;

/// One top-level block: its key line and the fields directly below it.
#[derive(Debug)]
struct Block<'a> {
    line: usize,
    key: &'a str,
    version: Option<String>,
    resolution: Option<String>,
}

/// Reads a `yarn.lock`, classic or berry.
pub(super) fn yarn_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut out = Parsed::default();
    let blocks = blocks(text, path, &mut out);
    let berry = blocks.iter().any(|b| b.key == "__metadata");
    let mut seen = HashSet::new();
    for block in &blocks {
        if block.key == "__metadata" {
            continue;
        }
        let location = format!("line {}", block.line);
        let found = if berry {
            berry_package(block)
        } else {
            classic_package(block)
        };
        match found {
            Found::Package(name, version) => {
                if berry && !seen.insert((name.clone(), version.clone())) {
                    continue;
                }
                out.packages
                    .push(Package::new(Ecosystem::Npm, &name, &version, location));
            }
            Found::Local => {}
            Found::Bad(why) => out.diagnostics.push(entry_warning(path, location, why)),
        }
    }
    Ok(out)
}

/// Splits the file into blocks. Lines that fit neither a key nor a field
/// are reported and skipped.
fn blocks<'a>(text: &'a str, path: &str, out: &mut Parsed) -> Vec<Block<'a>> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    // The indentation of the current block's own fields (the first
    // indented line below its key); deeper lines are nested maps.
    let mut field_indent = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        if indent == 0 {
            match line.strip_suffix(':') {
                Some(key) => {
                    blocks.push(Block {
                        line: i + 1,
                        key: key.trim(),
                        version: None,
                        resolution: None,
                    });
                    field_indent = None;
                }
                None => out.diagnostics.push(entry_warning(
                    path,
                    format!("line {}", i + 1),
                    "unindented line is not a `descriptors:` key; skipped".into(),
                )),
            }
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            out.diagnostics.push(entry_warning(
                path,
                format!("line {}", i + 1),
                "indented line before any key; skipped".into(),
            ));
            continue;
        };
        if *field_indent.get_or_insert(indent) != indent {
            continue;
        }
        if let Some((field, value)) = field(content) {
            match field {
                "version" => block.version = Some(value),
                "resolution" => block.resolution = Some(value),
                _ => {}
            }
        }
    }
    blocks
}

/// A field line: classic `version "1.2.3"`, berry `version: 1.2.3`. Lines
/// opening a nested map (`dependencies:`) give `None`.
fn field(content: &str) -> Option<(&str, String)> {
    let end = content.find([' ', ':']).unwrap_or(content.len());
    let (name, rest) = content.split_at(end);
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim();
    if name.is_empty() || rest.is_empty() {
        return None;
    }
    Some((name, unquote(rest)))
}

/// A value without its double quotes, `\"` and `\\` unescaped. Unquoted
/// values are returned as they are.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The descriptors of a key: `"a@^1", a@~1.2` (classic) or
/// `"a@npm:^1, a@npm:~1.2"` (berry).
fn descriptors(key: &str) -> impl Iterator<Item = &str> {
    key.split(',')
        .map(|d| d.trim().trim_matches('"').trim())
        .filter(|d| !d.is_empty())
}

/// What a block holds.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Package(String, String),
    /// The project itself, a workspace, or a linked folder.
    Local,
    Bad(String),
}

fn classic_package(block: &Block<'_>) -> Found {
    let Some(first) = descriptors(block.key).next() else {
        return Found::Bad("key lists no descriptor".into());
    };
    let Some((name, range)) = split_spec(first) else {
        return Found::Bad(format!("descriptor {first:?} is not `name@range`"));
    };
    if is_local_reference(range) {
        return Found::Local;
    }
    // `a@npm:b@^1`: the package installed is b.
    let name = match range.strip_prefix("npm:").and_then(split_spec) {
        Some((target, _)) => target,
        None => name,
    };
    match &block.version {
        Some(version) => Found::Package(name.to_owned(), version.clone()),
        None => Found::Bad(format!("entry for {name} has no `version`")),
    }
}

fn berry_package(block: &Block<'_>) -> Found {
    // The resolution names the package actually installed; old berry
    // files without one fall back on the key.
    let locator = match &block.resolution {
        Some(r) => r.as_str(),
        None => match descriptors(block.key).next() {
            Some(d) => d,
            None => return Found::Bad("key lists no descriptor".into()),
        },
    };
    let Some((mut name, mut reference)) = split_spec(locator) else {
        return Found::Bad(format!("resolution {locator:?} is not `name@reference`"));
    };
    let patched;
    if let Some(patch) = reference.strip_prefix("patch:") {
        // `patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=…`
        let source = patch.split('#').next().unwrap_or(patch);
        patched = percent_decode(source);
        match split_spec(&patched) {
            Some((n, r)) => (name, reference) = (n, r),
            None => return Found::Bad(format!("patch source {patched:?} is not `name@reference`")),
        }
    }
    if is_local_reference(reference) {
        return Found::Local;
    }
    match block.version.as_deref() {
        // Yarn's version for workspaces it could not read one for.
        Some("0.0.0-use.local") => Found::Local,
        Some(version) => Found::Package(name.to_owned(), version.to_owned()),
        None => Found::Bad(format!("entry for {name} has no `version`")),
    }
}

/// Whether a range or reference points at the project's own folders.
fn is_local_reference(reference: &str) -> bool {
    ["workspace:", "link:", "portal:"]
        .iter()
        .any(|p| reference.starts_with(p))
}

/// Decodes `%XX` escapes (Yarn writes `npm%3A1.0.0` inside `patch:`).
/// Malformed escapes are kept as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Parsed {
        yarn_lock(text.as_bytes(), "yarn.lock").unwrap_or_else(|d| panic!("{d}"))
    }

    fn pairs(p: &Parsed) -> Vec<(&str, &str, &str)> {
        p.packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
            .collect()
    }

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"
  dependencies:
    "@babel/highlight" "^7.12.13"

minimist@1.2.5:
  version "1.2.5"

minimist@^1.2.0:
  version "1.2.8"

minimist@~1.2.5:
  version "1.2.8"

string-width-cjs@npm:string-width@^4.2.0:
  version "4.2.3"

broken@^1:
  resolved "https://example.com/broken.tgz"
"#;

    #[test]
    fn classic_blocks_scopes_aliases() {
        let p = parse(CLASSIC);
        assert_eq!(
            pairs(&p),
            [
                ("@babel/code-frame", "7.12.13", "line 5"),
                ("minimist", "1.2.5", "line 11"),
                ("minimist", "1.2.8", "line 14"),
                ("minimist", "1.2.8", "line 17"),
                ("string-width", "4.2.3", "line 20"),
            ]
        );
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].pointer, "line 23");
        assert!(p.packages.iter().all(|p| !p.dev));
    }

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"@types/node@npm:*, @types/node@npm:^18.0.0":
  version: 18.11.9
  resolution: "@types/node@npm:18.11.9"
  checksum: cd22ba2c
  languageName: node
  linkType: hard

"my-app@workspace:.":
  version: 0.0.0-use.local
  resolution: "my-app@workspace:."
  dependencies:
    resolve: ^1.20.0
    version: 9.9.9
  languageName: unknown
  linkType: soft

"resolve@npm:^1.20.0":
  version: 1.22.1
  resolution: "resolve@npm:1.22.1"

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"

"typescript@patch:typescript@npm%3A4.9.3#~builtin<compat/typescript>":
  version: 4.9.3
  resolution: "typescript@patch:typescript@npm%3A4.9.3#~builtin<compat/typescript>::version=4.9.3&hash=701156"

"my-app@patch:my-app@workspace:.#./fix.patch::locator=my-app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "my-app@patch:my-app@workspace:.#./fix.patch::version=0.0.0-use.local&hash=1&locator=my-app%40workspace%3A."

"local@link:./vendor/local::locator=my-app%40workspace%3A.":
  version: 0.0.0-use.local
  resolution: "local@link:./vendor/local::locator=my-app%40workspace%3A."

"sw@npm:string-width@^4":
  version: 4.2.3
  resolution: "string-width@npm:4.2.3"
"#;

    #[test]
    fn berry_workspaces_patches_aliases_and_dedup() {
        let p = parse(BERRY);
        assert_eq!(
            pairs(&p),
            [
                ("@types/node", "18.11.9", "line 8"),
                ("resolve", "1.22.1", "line 24"),
                ("typescript", "4.9.3", "line 32"),
                ("string-width", "4.2.3", "line 44"),
            ]
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn fields_and_quotes() {
        assert_eq!(
            field(r#"version "1.2.3""#),
            Some(("version", "1.2.3".into()))
        );
        assert_eq!(field("version: 1.2.3"), Some(("version", "1.2.3".into())));
        assert_eq!(field("dependencies:"), None);
        assert_eq!(field("version"), None);
        assert_eq!(unquote(r#""a\"b\\c""#), r#"a"b\c"#);
        assert_eq!(unquote(r#"""#), r#"""#);
        assert_eq!(percent_decode("a%3Ab%zz%4"), "a:b%zz%4");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }

    #[test]
    fn garbage_gives_warnings_not_panics() {
        for text in [
            "<<<<<<< HEAD\nfoo:\n  version \"1\"\n=======\n",
            "  indented first\n",
            "@:\n  version \"1\"\n",
            ":\n",
            "\"\":\n  version: 1\n__metadata:\n",
            "a@patch:%\n",
            "x@npm:1:\n  version \u{e9}\n",
        ] {
            let p = parse(text);
            assert!(p.packages.len() <= 1, "{text}");
        }
        let p = parse("<<<<<<< HEAD\nfoo@^1:\n  version \"1.0.0\"\n");
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.diagnostics[0].pointer, "line 1");
        assert!(yarn_lock(b"\xff\xfe", "yarn.lock").is_err());
    }
}
