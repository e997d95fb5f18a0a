//! Bundler's `Gemfile.lock` (also `gems.locked`), RubyGems ecosystem.
//!
//! The lock is made of unindented section headers (`GEM`, `GIT`, `PATH`,
//! `PLATFORMS`, `DEPENDENCIES`, `CHECKSUMS`, `BUNDLED WITH`, …). In the
//! source sections `GEM`, `GIT` and `PATH`, the lines under `  specs:`
//! indented by four spaces are the locked gems, `name (version)`; lines
//! indented by six are their dependencies (requirements, not gems) and are
//! skipped. A platform-specific gem carries its platform after the version
//! (`nokogiri (1.13.10-x86_64-linux)`): the version is the part before the
//! first `-` (RubyGems versions never contain one), and a gem locked for
//! several platforms is reported once. Bundler has written this layout
//! since 1.0; Gemfile.lock does not record groups, so `dev` is never set.
//! Locations are `line N`.

use std::collections::HashSet;

use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, utf8};
use crate::diag::Diagnostic;

/// The sections whose `specs:` list locked gems.
const SOURCE_SECTIONS: [&str; 3] = ["GEM", "GIT", "PATH"];

/// Reads a `Gemfile.lock`.
pub(super) fn gemfile_lock(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut parsed = Parsed::default();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut in_source = false;
    let mut in_specs = false;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if content.is_empty() {
            continue;
        }
        match indent {
            0 => {
                in_source = SOURCE_SECTIONS.contains(&content);
                in_specs = false;
            }
            2 => in_specs = in_source && content == "specs:",
            4 if in_specs => {
                let location = format!("line {}", i + 1);
                match spec(content) {
                    Some((name, version)) => {
                        if seen.insert((name, version)) {
                            parsed.packages.push(Package::new(
                                Ecosystem::RubyGems,
                                name,
                                version,
                                location,
                            ));
                        }
                    }
                    None => parsed.diagnostics.push(entry_warning(
                        path,
                        location,
                        format!("`{}` is not `name (version)`: skipped", clip(content)),
                    )),
                }
            }
            _ => {} // Dependencies of a spec, remotes, platforms, …
        }
    }
    Ok(parsed)
}

/// `name (version[-platform])` → name and version.
fn spec(content: &str) -> Option<(&str, &str)> {
    let (name, rest) = content.split_once(" (")?;
    let full = rest.strip_suffix(')')?;
    let version = full.split_once('-').map_or(full, |(v, _platform)| v);
    let name = name.trim();
    let ok = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    (ok(name) && ok(version)).then_some((name, version))
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

    #[test]
    fn sections_specs_and_platforms() {
        let text = "\
GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef
  branch: main
  specs:
    rails (7.1.0.alpha)
      actionpack (= 7.1.0.alpha)

PATH
  remote: .
  specs:
    myapp (0.1.0)

GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.10-arm64-darwin)
      racc (~> 1.4)
    rack (2.2.3)
    broken
    racc (1.6.0)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  nokogiri (= 1.13.10)
  rails!

CHECKSUMS
  rack (2.2.3) sha256=abc

BUNDLED WITH
   2.5.6
";
        let parsed = gemfile_lock(text.as_bytes(), "Gemfile.lock").unwrap();
        let got: Vec<(&str, &str, &str)> = parsed
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rails", "7.1.0.alpha", "line 6"),
                ("myapp", "0.1.0", "line 12"),
                ("nokogiri", "1.13.10", "line 17"),
                ("rack", "2.2.3", "line 21"),
                ("racc", "1.6.0", "line 23"),
            ]
        );
        assert_eq!(
            parsed.packages[2].purl.as_deref(),
            Some("pkg:gem/nokogiri@1.13.10")
        );
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].pointer, "line 22");
    }

    #[test]
    fn specs_parse() {
        assert_eq!(spec("rack (2.2.3)"), Some(("rack", "2.2.3")));
        assert_eq!(spec("ffi (1.15.5-java)"), Some(("ffi", "1.15.5")));
        assert_eq!(spec("rack (2.2.3"), None);
        assert_eq!(spec("rack ()"), None);
        assert_eq!(spec(" (1.0)"), None);
    }

    #[test]
    fn crlf_and_empty() {
        let parsed =
            gemfile_lock(b"GEM\r\n  specs:\r\n    rack (2.2.3)\r\n", "Gemfile.lock").unwrap();
        assert_eq!(parsed.packages.len(), 1);
        assert!(
            gemfile_lock(b"", "Gemfile.lock")
                .unwrap()
                .packages
                .is_empty()
        );
    }
}
