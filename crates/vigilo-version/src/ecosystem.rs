//! OSV ecosystem names and the version scheme each one uses.

use std::fmt;

/// A version scheme: how an ecosystem's version strings are parsed and ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// PyPI: PEP 440.
    Pep440,
    /// SemVer 2.0, strict (crates.io).
    SemVer,
    /// npm: SemVer 2.0 as node-semver parses it (leading `v`/`=` allowed).
    Npm,
    /// Go modules: SemVer with a `v` prefix, pseudo-versions, `+incompatible`.
    Go,
    /// Maven: `ComparableVersion`.
    Maven,
    /// Debian and Ubuntu: dpkg.
    Debian,
    /// RubyGems: `Gem::Version`.
    RubyGems,
    /// NuGet: `NuGetVersion` (four parts, case-insensitive pre-release).
    NuGet,
    /// Alpine: apk.
    Alpine,
    /// RPM-based distributions: rpmvercmp.
    Rpm,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Pep440 => "PEP 440",
            Scheme::SemVer => "SemVer",
            Scheme::Npm => "npm",
            Scheme::Go => "Go",
            Scheme::Maven => "Maven",
            Scheme::Debian => "Debian",
            Scheme::RubyGems => "RubyGems",
            Scheme::NuGet => "NuGet",
            Scheme::Alpine => "Alpine",
            Scheme::Rpm => "RPM",
        })
    }
}

/// An OSV ecosystem, e.g. `PyPI`, `npm`, `Debian:12`. Names are spelled as
/// OSV spells them; unknown ones are kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    PyPI,
    Npm,
    CratesIo,
    Go,
    Maven,
    NuGet,
    RubyGems,
    Packagist,
    /// `Debian` or `Debian:<release>`.
    Debian(Option<String>),
    /// `Ubuntu` or `Ubuntu:<release>`.
    Ubuntu(Option<String>),
    /// `Alpine` or `Alpine:v3.18`.
    Alpine(Option<String>),
    /// RPM-based: `Red Hat`, `Rocky Linux`, `AlmaLinux`, `openSUSE`, `SUSE`,
    /// `Mageia`, `openEuler`, with their optional `:<release>`.
    Rpm(String, Option<String>),
    /// Anything else, as given.
    Other(String),
}

const RPM_FAMILIES: [&str; 7] = [
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "openSUSE",
    "SUSE",
    "Mageia",
    "openEuler",
];

impl Ecosystem {
    /// Parses an OSV ecosystem name. Never fails: unknown names are `Other`.
    pub fn parse(name: &str) -> Ecosystem {
        let name = name.trim();
        let (base, release) = match name.split_once(':') {
            Some((b, r)) => (b, Some(r.to_owned())),
            None => (name, None),
        };
        match (base, release) {
            ("PyPI", None) => Ecosystem::PyPI,
            ("npm", None) => Ecosystem::Npm,
            ("crates.io", None) => Ecosystem::CratesIo,
            ("Go", None) => Ecosystem::Go,
            ("Maven", None) => Ecosystem::Maven,
            ("NuGet", None) => Ecosystem::NuGet,
            ("RubyGems", None) => Ecosystem::RubyGems,
            ("Packagist", None) => Ecosystem::Packagist,
            ("Debian", r) => Ecosystem::Debian(r),
            ("Ubuntu", r) => Ecosystem::Ubuntu(r),
            ("Alpine", r) => Ecosystem::Alpine(r),
            (b, r) if RPM_FAMILIES.contains(&b) => Ecosystem::Rpm(b.to_owned(), r),
            _ => Ecosystem::Other(name.to_owned()),
        }
    }

    /// The version scheme, or `None` for an ecosystem vigilo cannot order.
    pub fn scheme(&self) -> Option<Scheme> {
        Some(match self {
            Ecosystem::PyPI => Scheme::Pep440,
            Ecosystem::Npm => Scheme::Npm,
            Ecosystem::CratesIo => Scheme::SemVer,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::NuGet => Scheme::NuGet,
            Ecosystem::RubyGems => Scheme::RubyGems,
            Ecosystem::Debian(_) | Ecosystem::Ubuntu(_) => Scheme::Debian,
            Ecosystem::Alpine(_) => Scheme::Alpine,
            Ecosystem::Rpm(..) => Scheme::Rpm,
            Ecosystem::Packagist | Ecosystem::Other(_) => return None,
        })
    }

    /// Whether this ecosystem is one vigilo knows by name.
    pub fn is_known(&self) -> bool {
        !matches!(self, Ecosystem::Other(_))
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |f: &mut fmt::Formatter<'_>, base: &str, r: &Option<String>| match r {
            Some(r) => write!(f, "{base}:{r}"),
            None => f.write_str(base),
        };
        match self {
            Ecosystem::PyPI => f.write_str("PyPI"),
            Ecosystem::Npm => f.write_str("npm"),
            Ecosystem::CratesIo => f.write_str("crates.io"),
            Ecosystem::Go => f.write_str("Go"),
            Ecosystem::Maven => f.write_str("Maven"),
            Ecosystem::NuGet => f.write_str("NuGet"),
            Ecosystem::RubyGems => f.write_str("RubyGems"),
            Ecosystem::Packagist => f.write_str("Packagist"),
            Ecosystem::Debian(r) => with(f, "Debian", r),
            Ecosystem::Ubuntu(r) => with(f, "Ubuntu", r),
            Ecosystem::Alpine(r) => with(f, "Alpine", r),
            Ecosystem::Rpm(b, r) => with(f, b, r),
            Ecosystem::Other(s) => f.write_str(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_round_trip() {
        for name in [
            "PyPI",
            "npm",
            "crates.io",
            "Go",
            "Maven",
            "NuGet",
            "RubyGems",
            "Packagist",
            "Debian",
            "Debian:12",
            "Ubuntu:22.04:LTS",
            "Alpine:v3.18",
            "Red Hat",
            "Rocky Linux:9",
            "GitHub Actions",
            "Hackage",
        ] {
            assert_eq!(Ecosystem::parse(name).to_string(), name);
        }
        assert_eq!(Ecosystem::parse("GitHub Actions").scheme(), None);
        assert!(!Ecosystem::parse("Hackage").is_known());
        assert_eq!(Ecosystem::parse("Debian:11").scheme(), Some(Scheme::Debian));
        assert_eq!(Ecosystem::parse("pypi"), Ecosystem::Other("pypi".into()));
    }
}
