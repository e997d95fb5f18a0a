//! Package identities: names normalised per ecosystem, and package URLs.
//!
//! Every comparison of package names in vigilo goes through
//! [`normalize_name`]; raw strings are never compared.

use std::fmt;

use vigilo_version::Ecosystem;

/// A package in an ecosystem, with its name normalised for lookups.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageKey {
    pub ecosystem: Ecosystem,
    /// The normalised name ([`normalize_name`]).
    pub name: String,
}

impl PackageKey {
    pub fn new(ecosystem: Ecosystem, name: &str) -> Self {
        let name = normalize_name(&ecosystem, name);
        PackageKey { ecosystem, name }
    }

    /// The key ignoring a distribution release (`Debian:12` → `Debian`), so
    /// that a query for one release finds advisories for the distribution.
    pub fn base(&self) -> PackageKey {
        let ecosystem = match &self.ecosystem {
            Ecosystem::Debian(Some(_)) => Ecosystem::Debian(None),
            Ecosystem::Ubuntu(Some(_)) => Ecosystem::Ubuntu(None),
            Ecosystem::Alpine(Some(_)) => Ecosystem::Alpine(None),
            Ecosystem::Rpm(b, Some(_)) => Ecosystem::Rpm(b.clone(), None),
            other => other.clone(),
        };
        PackageKey {
            ecosystem,
            name: self.name.clone(),
        }
    }
}

impl fmt::Display for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ecosystem, self.name)
    }
}

/// Normalises a package name by its ecosystem's rules:
///
/// - PyPI: PEP 503 (lower-case, runs of `-`, `_`, `.` become one `-`);
/// - crates.io: lower-case, `_` and `-` equivalent (as crates.io treats them);
/// - NuGet, Packagist, Debian, Ubuntu, Alpine: lower-case (case-insensitive registries);
/// - npm, Maven (`group:artifact`), Go module paths, RubyGems, RPM: kept as
///   given (case-sensitive), only trimmed.
pub fn normalize_name(ecosystem: &Ecosystem, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.extend(c.to_lowercase());
                }
            }
            out
        }
        Ecosystem::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
        Ecosystem::NuGet
        | Ecosystem::Packagist
        | Ecosystem::Debian(_)
        | Ecosystem::Ubuntu(_)
        | Ecosystem::Alpine(_) => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

/// A component to match: a package at a version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Component {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// The purl it was given as, if any.
    pub purl: Option<String>,
}

/// The package URL of a package at a version, for the ecosystems with a purl
/// type (`pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1`). Names are
/// percent-encoded where the purl specification requires it.
pub fn purl_for(ecosystem: &Ecosystem, name: &str, version: &str) -> Option<String> {
    let enc = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let split_last = |sep: char| match name.rsplit_once(sep) {
        Some((ns, n)) => format!(
            "{}/{}",
            ns.split('/').map(enc).collect::<Vec<_>>().join("/"),
            enc(n)
        ),
        None => enc(name),
    };
    let (ty, path) = match ecosystem {
        Ecosystem::PyPI => ("pypi", enc(&normalize_name(ecosystem, name))),
        Ecosystem::Npm => ("npm", split_last('/')),
        Ecosystem::CratesIo => ("cargo", enc(name)),
        Ecosystem::Go => ("golang", split_last('/')),
        Ecosystem::Maven => ("maven", split_last(':')),
        Ecosystem::NuGet => ("nuget", enc(name)),
        Ecosystem::RubyGems => ("gem", enc(name)),
        Ecosystem::Packagist => ("composer", split_last('/')),
        Ecosystem::Debian(_) => ("deb", format!("debian/{}", enc(name))),
        Ecosystem::Ubuntu(_) => ("deb", format!("ubuntu/{}", enc(name))),
        Ecosystem::Alpine(_) => ("apk", format!("alpine/{}", enc(name))),
        Ecosystem::Rpm(..) | Ecosystem::Other(_) => return None,
    };
    Some(format!("pkg:{ty}/{path}@{}", enc(version)))
}

/// A parsed package URL (`pkg:type/namespace/name@version?qualifiers#subpath`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

/// Why a purl was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid package URL {input:?}: {reason}")]
pub struct PurlError {
    pub input: String,
    pub reason: &'static str,
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Purl {
    pub fn parse(input: &str) -> Result<Purl, PurlError> {
        let err = |reason| PurlError {
            input: input.chars().take(256).collect(),
            reason,
        };
        if input.len() > 4096 {
            return Err(err("longer than 4096 bytes"));
        }
        let rest = input
            .strip_prefix("pkg:")
            .ok_or_else(|| err("must start with `pkg:`"))?
            .trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let (path, version) = match rest.rsplit_once('@') {
            // An `@` inside the first segment is an npm scope written unencoded.
            Some((p, v)) if p.contains('/') => (p, Some(v)),
            _ => (rest, None),
        };
        let (ty, path) = path.split_once('/').ok_or_else(|| err("missing name"))?;
        if ty.is_empty()
            || !ty
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(err("invalid type"));
        }
        let path = path.trim_end_matches('/');
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, path),
        };
        let name = percent_decode(name).ok_or_else(|| err("bad percent-encoding in name"))?;
        if name.is_empty() {
            return Err(err("missing name"));
        }
        let namespace = match namespace {
            Some(ns) => Some(
                ns.split('/')
                    .map(percent_decode)
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| err("bad percent-encoding in namespace"))?
                    .join("/"),
            ),
            None => None,
        };
        let version = match version {
            Some(v) => {
                Some(percent_decode(v).ok_or_else(|| err("bad percent-encoding in version"))?)
            }
            None => None,
        }
        .filter(|v| !v.is_empty());
        let mut qs = Vec::new();
        for pair in qualifiers.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| err("qualifier without `=`"))?;
            let v = percent_decode(v).ok_or_else(|| err("bad percent-encoding in qualifier"))?;
            qs.push((k.to_ascii_lowercase(), v));
        }
        Ok(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version,
            qualifiers: qs,
        })
    }

    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The OSV ecosystem and package name this purl denotes, when its type
    /// maps to one.
    pub fn to_package(&self) -> Option<(Ecosystem, String)> {
        let ns = self.namespace.as_deref();
        let joined = |sep: &str| match ns {
            Some(ns) => format!("{ns}{sep}{}", self.name),
            None => self.name.clone(),
        };
        Some(match self.ty.as_str() {
            "pypi" => (Ecosystem::PyPI, self.name.clone()),
            "npm" => (Ecosystem::Npm, joined("/")),
            "cargo" => (Ecosystem::CratesIo, self.name.clone()),
            "golang" => (Ecosystem::Go, joined("/")),
            "maven" => (Ecosystem::Maven, joined(":")),
            "nuget" => (Ecosystem::NuGet, self.name.clone()),
            "gem" => (Ecosystem::RubyGems, self.name.clone()),
            "composer" => (Ecosystem::Packagist, joined("/")),
            // A deb purl's `distro` qualifier (`bullseye`, `debian-11`) does not
            // name an OSV release reliably: match the distribution as a whole.
            "deb" => match ns.map(str::to_ascii_lowercase).as_deref() {
                Some("ubuntu") => (Ecosystem::Ubuntu(None), self.name.clone()),
                _ => (Ecosystem::Debian(None), self.name.clone()),
            },
            "apk" => (Ecosystem::Alpine(None), self.name.clone()),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_for_packages_round_trip() {
        for (eco, name, version, want) in [
            (
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ),
            (
                Ecosystem::Npm,
                "@babel/core",
                "7.0.0",
                "pkg:npm/%40babel/core@7.0.0",
            ),
            (
                Ecosystem::PyPI,
                "Jinja2",
                "2.11.2",
                "pkg:pypi/jinja2@2.11.2",
            ),
            (
                Ecosystem::Go,
                "golang.org/x/net",
                "v0.1.0",
                "pkg:golang/golang.org/x/net@v0.1.0",
            ),
            (
                Ecosystem::Debian(None),
                "libc6",
                "2.36-9+deb12u4",
                "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4",
            ),
        ] {
            let purl = purl_for(&eco, name, version).unwrap();
            assert_eq!(purl, want);
            let parsed = Purl::parse(&purl).unwrap();
            let (e, n) = parsed.to_package().unwrap();
            assert_eq!(
                e.to_string().split(':').next(),
                eco.to_string().split(':').next()
            );
            assert_eq!(normalize_name(&e, &n), normalize_name(&eco, name));
            assert_eq!(parsed.version.as_deref(), Some(version));
        }
    }

    #[test]
    fn names_are_normalised_per_ecosystem() {
        assert_eq!(normalize_name(&Ecosystem::PyPI, "Jinja2"), "jinja2");
        assert_eq!(
            normalize_name(&Ecosystem::PyPI, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            normalize_name(&Ecosystem::PyPI, "Foo__Bar-.baz"),
            "foo-bar-baz"
        );
        assert_eq!(
            normalize_name(&Ecosystem::CratesIo, "Serde_JSON"),
            "serde-json"
        );
        assert_eq!(
            normalize_name(&Ecosystem::NuGet, "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(
            normalize_name(&Ecosystem::Npm, "@Babel/core"),
            "@Babel/core"
        );
        assert_eq!(
            normalize_name(&Ecosystem::Maven, " org.apache.logging.log4j:log4j-core "),
            "org.apache.logging.log4j:log4j-core"
        );
    }

    #[test]
    fn purls_map_to_osv_packages() {
        let cases = [
            (
                "pkg:pypi/Django@3.2",
                Ecosystem::PyPI,
                "Django",
                Some("3.2"),
            ),
            (
                "pkg:npm/%40babel/core@7.0.0",
                Ecosystem::Npm,
                "@babel/core",
                Some("7.0.0"),
            ),
            (
                "pkg:npm/@babel/core@7.0.0",
                Ecosystem::Npm,
                "@babel/core",
                Some("7.0.0"),
            ),
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                Some("2.14.1"),
            ),
            (
                "pkg:golang/github.com/gin-gonic/gin@v1.6.0",
                Ecosystem::Go,
                "github.com/gin-gonic/gin",
                Some("v1.6.0"),
            ),
            (
                "pkg:cargo/smallvec@1.6.0",
                Ecosystem::CratesIo,
                "smallvec",
                Some("1.6.0"),
            ),
            (
                "pkg:deb/debian/openssl@1.1.1n-0+deb11u3?arch=amd64",
                Ecosystem::Debian(None),
                "openssl",
                Some("1.1.1n-0+deb11u3"),
            ),
            ("pkg:gem/rack", Ecosystem::RubyGems, "rack", None),
        ];
        for (purl, eco, name, version) in cases {
            let p = Purl::parse(purl).unwrap();
            assert_eq!(p.to_package(), Some((eco, name.to_owned())), "{purl}");
            assert_eq!(p.version.as_deref(), version, "{purl}");
        }
        for bad in [
            "",
            "pypi/x",
            "pkg:",
            "pkg:pypi",
            "pkg:pypi/",
            "pkg:pypi/a%zz",
        ] {
            assert!(Purl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Purl::parse("pkg:hackage/x@1").unwrap().to_package(), None);
    }
}
