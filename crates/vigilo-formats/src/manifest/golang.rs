//! Go modules, in the Go ecosystem, versions as written (`v1.2.3`,
//! pseudo-versions, `+incompatible`):
//!
//! - **`go.mod`**: the `require` directives (single lines and blocks,
//!   `// indirect` ones included), with `replace` directives applied: a
//!   module replaced by another module at a version is reported as that
//!   one; a module replaced by a local directory is skipped with a warning
//!   (its code is not any published version). `exclude`, `retract` and the
//!   other directives do not list dependencies and are ignored.
//! - **`go.sum`**: each module@version with a hash of its full content
//!   (`h1:` line without the `/go.mod` suffix), once. Lines hashing only a
//!   `go.mod` are modules the build graph looked at but did not build.
//!
//! Locations are `line N`.

use std::collections::{HashMap, HashSet};

use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, utf8};
use crate::diag::Diagnostic;

/// The directives of go.mod that vigilo does not need.
const OTHER_DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "exclude",
    "retract",
    "godebug",
    "tool",
    "ignore",
];

/// One `require`d module.
#[derive(Debug)]
struct Require {
    path: String,
    version: String,
    line: usize,
}

/// What a `replace` directive substitutes.
#[derive(Debug)]
enum Target {
    Module { path: String, version: String },
    Directory(String),
}

/// One `replace` directive: `old [version] => new [version]`.
#[derive(Debug)]
struct Replace {
    path: String,
    /// `None`: every version of `path` is replaced.
    version: Option<String>,
    target: Target,
}

/// Reads a `go.mod`.
pub(super) fn go_mod(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut parsed = Parsed::default();
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    // The verb of the open `verb ( … )` block, with its first line.
    let mut block: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let tokens = match tokenize(line) {
            Ok(tokens) => tokens,
            Err(why) => {
                parsed
                    .diagnostics
                    .push(entry_warning(path, format!("line {line_no}"), why.into()));
                continue;
            }
        };
        let (verb, args) = match (&block, tokens.as_slice()) {
            (_, []) => continue,
            (Some(_), [close]) if close == ")" => {
                block = None;
                continue;
            }
            (Some((verb, _)), args) => (verb.clone(), args),
            (None, [verb, open]) if open == "(" => {
                block = Some((verb.clone(), line_no));
                continue;
            }
            (None, [_, open, close]) if open == "(" && close == ")" => continue,
            (None, [verb, args @ ..]) => (verb.clone(), args),
        };
        let location = format!("line {line_no}");
        match verb.as_str() {
            "require" => match args {
                [module, version] => requires.push(Require {
                    path: module.clone(),
                    version: version.clone(),
                    line: line_no,
                }),
                _ => parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    "a `require` is `module version`: skipped".into(),
                )),
            },
            "replace" => match parse_replace(args) {
                Some(replace) => replaces.push(replace),
                None => parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    "a `replace` is `module [version] => module version` or `=> ./dir`: skipped"
                        .into(),
                )),
            },
            verb if OTHER_DIRECTIVES.contains(&verb) => {}
            verb => parsed.diagnostics.push(entry_warning(
                path,
                location,
                format!("unknown directive `{}`: skipped", clip(verb)),
            )),
        }
    }
    if let Some((verb, line)) = block {
        parsed.diagnostics.push(entry_warning(
            path,
            format!("line {line}"),
            format!("the `{verb} (` block is not closed with `)`"),
        ));
    }
    // The go command refuses duplicate replacements; the first one wins
    // here.
    let mut replaced: HashMap<(&str, Option<&str>), &Target> = HashMap::new();
    for r in &replaces {
        replaced
            .entry((r.path.as_str(), r.version.as_deref()))
            .or_insert(&r.target);
    }
    for require in &requires {
        let location = format!("line {}", require.line);
        // A replacement of this exact version wins over one of all
        // versions, as in the go command.
        let target = replaced
            .get(&(require.path.as_str(), Some(require.version.as_str())))
            .or_else(|| replaced.get(&(require.path.as_str(), None)));
        match target {
            None => parsed.packages.push(Package::new(
                Ecosystem::Go,
                &require.path,
                &require.version,
                location,
            )),
            Some(Target::Module {
                path: module,
                version,
            }) => parsed
                .packages
                .push(Package::new(Ecosystem::Go, module, version, location)),
            Some(Target::Directory(dir)) => parsed.diagnostics.push(entry_warning(
                path,
                location,
                format!(
                    "{}@{} is replaced by the local directory `{dir}`: skipped",
                    require.path, require.version
                ),
            )),
        }
    }
    Ok(parsed)
}

/// `old [version] => new [version]`; the new side has no version exactly
/// when it is a directory.
fn parse_replace(args: &[String]) -> Option<Replace> {
    let arrow = args.iter().position(|t| t == "=>")?;
    let (old, new) = (args.get(..arrow)?, args.get(arrow + 1..)?);
    let (path, version) = match old {
        [path] => (path.clone(), None),
        [path, version] => (path.clone(), Some(version.clone())),
        _ => return None,
    };
    let target = match new {
        [dir] if is_directory_path(dir) => Target::Directory(dir.clone()),
        [module, version] if !is_directory_path(module) => Target::Module {
            path: module.clone(),
            version: version.clone(),
        },
        _ => return None,
    };
    Some(Replace {
        path,
        version,
        target,
    })
}

/// Whether a replacement names a directory rather than a module (the go
/// command's rule: a relative `./`, `../` or an absolute path).
fn is_directory_path(s: &str) -> bool {
    s == "."
        || s == ".."
        || ["./", "../", "/", ".\\", "..\\"]
            .iter()
            .any(|p| s.starts_with(p))
        || s.get(1..3) == Some(":\\")
}

/// Splits a go.mod line into tokens: `//` starts a comment, `(` and `)` are
/// tokens of their own, and `"…"` (with escapes) and `` `…` `` are strings.
fn tokenize(line: &str) -> Result<Vec<String>, &'static str> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => break,
            c if c.is_whitespace() => flush(&mut current, &mut tokens),
            '(' | ')' => {
                flush(&mut current, &mut tokens);
                tokens.push(c.to_string());
            }
            '"' => loop {
                match chars.next() {
                    None => return Err("unterminated string: line skipped"),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(escaped) => current.push(escaped),
                        None => return Err("unterminated string: line skipped"),
                    },
                    Some(c) => current.push(c),
                }
            },
            '`' => loop {
                match chars.next() {
                    None => return Err("unterminated string: line skipped"),
                    Some('`') => break,
                    Some(c) => current.push(c),
                }
            },
            c => current.push(c),
        }
    }
    flush(&mut current, &mut tokens);
    Ok(tokens)
}

/// Reads a `go.sum`.
pub(super) fn go_sum(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut parsed = Parsed::default();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let location = format!("line {}", i + 1);
        let (module, version) = match fields.as_slice() {
            [] => continue,
            [module, version, hash] if hash.contains(':') => (*module, *version),
            _ => {
                parsed.diagnostics.push(entry_warning(
                    path,
                    location,
                    "not `module version hash`: line skipped".into(),
                ));
                continue;
            }
        };
        if version.ends_with("/go.mod") {
            continue;
        }
        if seen.insert((module, version)) {
            parsed
                .packages
                .push(Package::new(Ecosystem::Go, module, version, location));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn triples(parsed: &Parsed) -> Vec<(&str, &str, &str)> {
        parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
            .collect()
    }

    #[test]
    fn requires_with_replacements() {
        let text = "\
module example.com/app // the app

go 1.22

require github.com/pkg/errors v0.9.1

require (
\tgolang.org/x/text v0.3.7 // indirect
\t\"github.com/quoted/mod\" v1.0.0
\tgithub.com/old/mod v1.2.3
\tgithub.com/local/mod v0.1.0
\tgithub.com/only/v1 v1.0.0
\tgithub.com/only/v1 v1.1.0
)

replace github.com/old/mod => github.com/new/mod v1.4.0
replace (
\tgithub.com/local/mod => ../local
\tgithub.com/only/v1 v1.0.0 => github.com/only/v1 v1.0.1
)
exclude golang.org/x/text v0.3.6
retract [v0.1.0, v0.1.5]
";
        let parsed = go_mod(text.as_bytes(), "go.mod").unwrap();
        assert_eq!(
            triples(&parsed),
            [
                ("github.com/pkg/errors", "v0.9.1", "line 5"),
                ("golang.org/x/text", "v0.3.7", "line 8"),
                ("github.com/quoted/mod", "v1.0.0", "line 9"),
                ("github.com/new/mod", "v1.4.0", "line 10"),
                ("github.com/only/v1", "v1.0.1", "line 12"),
                ("github.com/only/v1", "v1.1.0", "line 13"),
            ]
        );
        assert_eq!(
            parsed.packages[0].purl.as_deref(),
            Some("pkg:golang/github.com/pkg/errors@v0.9.1")
        );
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "line 11");
        assert!(parsed.diagnostics[0].message.contains("../local"));
    }

    #[test]
    fn malformed_lines_are_warned_about() {
        let text = "\
require github.com/a/b
require \"unterminated v1
frobnicate x
replace a => b
require (
\tgithub.com/c/d v1.0.0
";
        let parsed = go_mod(text.as_bytes(), "go.mod").unwrap();
        assert_eq!(triples(&parsed), [("github.com/c/d", "v1.0.0", "line 6")]);
        let at: Vec<&str> = parsed
            .diagnostics
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(at, ["line 1", "line 2", "line 3", "line 4", "line 5"]);
    }

    #[test]
    fn tokens() {
        assert_eq!(tokenize("require (// c").unwrap(), ["require", "("]);
        assert_eq!(tokenize("`a b` \"c\\\"d\"").unwrap(), ["a b", "c\"d"]);
        assert!(
            is_directory_path("./x") && is_directory_path("C:\\x") && !is_directory_path("x.org/y")
        );
    }

    #[test]
    fn go_sum_full_hashes_only() {
        let text = "\
github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=
github.com/pkg/errors v0.9.1/go.mod h1:bwawxfHBFNV+L2hUp1rHADufV3IMtnDRdf1r5NINEl0=
golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=
golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=

broken line
";
        let parsed = go_sum(text.as_bytes(), "go.sum").unwrap();
        assert_eq!(
            triples(&parsed),
            [
                ("github.com/pkg/errors", "v0.9.1", "line 1"),
                ("golang.org/x/text", "v0.3.7", "line 4"),
            ]
        );
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "line 7");
    }
}
