//! The matching index: which advisories affect a given package version.
//!
//! Built once from a set of advisories (ranges pre-parsed and pre-sorted),
//! then queried without allocation beyond the result: the component's name is
//! normalised, looked up in a hash map, its version parsed once per scheme,
//! and each candidate entry's ranges evaluated.

use std::collections::HashMap;

use vigilo_version::{Ecosystem, Scheme, Version};

use crate::advisory::{Advisory, AffectedRange};
use crate::package::{PackageKey, Purl};

struct Entry {
    advisory: u32,
    affected: u32,
    scheme: Option<Scheme>,
    /// Explicit versions, parsed where the scheme allows, else kept as text.
    versions: Vec<Version>,
    version_texts: Vec<String>,
}

/// A version of a package affected by an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub advisory_id: &'a str,
    /// Index of the `affected` entry in the advisory.
    pub affected_index: usize,
    /// What matched: a range's events as written, or `versions` for an
    /// explicitly listed version.
    pub matched_by: String,
    /// Fixed versions named by the matching entry's ranges, ascending.
    pub fixed: Vec<String>,
}

/// Why a query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Purl(#[from] crate::package::PurlError),
    #[error("package URL {0:?} has no version")]
    PurlWithoutVersion(String),
    #[error("package URL type {0:?} does not map to an OSV ecosystem")]
    UnknownPurlType(String),
    #[error(transparent)]
    Version(#[from] vigilo_version::ParseError),
}

/// An index over a set of advisories.
pub struct MatchIndex {
    advisories: Vec<Advisory>,
    by_id: HashMap<String, u32>,
    packages: HashMap<PackageKey, Vec<Entry>>,
}

impl std::fmt::Debug for MatchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchIndex")
            .field("advisories", &self.advisories.len())
            .field("packages", &self.packages.len())
            .finish()
    }
}

impl MatchIndex {
    /// Builds the index. Withdrawn advisories are kept (they can be shown)
    /// but never match. A later advisory with the same id replaces an earlier one.
    pub fn build(advisories: impl IntoIterator<Item = Advisory>) -> MatchIndex {
        let mut by_id: HashMap<String, u32> = HashMap::new();
        let mut list: Vec<Advisory> = Vec::new();
        for a in advisories {
            match by_id.get(&a.id) {
                Some(&i) => list[i as usize] = a,
                None => {
                    by_id.insert(a.id.clone(), list.len() as u32);
                    list.push(a);
                }
            }
        }
        let mut packages: HashMap<PackageKey, Vec<Entry>> = HashMap::new();
        for (ai, a) in list.iter().enumerate() {
            if a.is_withdrawn() {
                continue;
            }
            for (fi, aff) in a.affected.iter().enumerate() {
                let key = PackageKey::new(aff.ecosystem.clone(), &aff.name);
                packages.entry(key).or_default().push(Entry {
                    advisory: ai as u32,
                    affected: fi as u32,
                    scheme: aff.ecosystem.scheme(),
                    versions: aff.parsed_versions(),
                    version_texts: aff.versions.clone(),
                });
            }
        }
        MatchIndex {
            advisories: list,
            by_id,
            packages,
        }
    }

    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Advisory> {
        self.by_id.get(id).map(|&i| &self.advisories[i as usize])
    }

    pub fn advisories(&self) -> impl Iterator<Item = &Advisory> {
        self.advisories.iter()
    }

    /// Advisories affecting `version` of package `name` in `ecosystem`.
    ///
    /// A version that does not parse under the ecosystem's scheme can still
    /// match an explicitly listed version (as text); an ecosystem without a
    /// scheme matches only explicit versions.
    pub fn query(&self, ecosystem: &Ecosystem, name: &str, version: &str) -> Vec<Match<'_>> {
        let key = PackageKey::new(ecosystem.clone(), name);
        let mut out = Vec::new();
        let mut parsed: Option<(Scheme, Option<Version>)> = None;
        let base = key.base();
        let keys: &[&PackageKey] = if base == key { &[&key] } else { &[&key, &base] };
        for k in keys {
            let Some(entries) = self.packages.get(*k) else {
                continue;
            };
            for e in entries {
                let v = match e.scheme {
                    Some(scheme) => {
                        if parsed.as_ref().is_none_or(|(s, _)| *s != scheme) {
                            parsed = Some((scheme, Version::parse(scheme, version).ok()));
                        }
                        parsed.as_ref().and_then(|(_, v)| v.as_ref())
                    }
                    None => None,
                };
                if let Some(m) = self.match_entry(e, version, v) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// Like [`MatchIndex::query`], for a purl with a version.
    pub fn query_purl(&self, purl: &str) -> Result<Vec<Match<'_>>, QueryError> {
        let p = Purl::parse(purl)?;
        let version = p
            .version
            .clone()
            .ok_or_else(|| QueryError::PurlWithoutVersion(purl.to_owned()))?;
        let (eco, name) = p
            .to_package()
            .ok_or_else(|| QueryError::UnknownPurlType(p.ty.clone()))?;
        Ok(self.query(&eco, &name, &version))
    }

    /// Every advisory that names the package, whatever the version.
    pub fn for_package(&self, ecosystem: &Ecosystem, name: &str) -> Vec<&Advisory> {
        let key = PackageKey::new(ecosystem.clone(), name);
        let mut ids: Vec<u32> = self
            .packages
            .get(&key)
            .into_iter()
            .flatten()
            .map(|e| e.advisory)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|i| &self.advisories[i as usize])
            .collect()
    }

    fn match_entry(&self, e: &Entry, text: &str, v: Option<&Version>) -> Option<Match<'_>> {
        let advisory = &self.advisories[e.advisory as usize];
        let affected = &advisory.affected[e.affected as usize];
        let fixed = || {
            let mut f: Vec<&Version> = affected
                .ranges
                .iter()
                .filter_map(|r| match r {
                    AffectedRange::Versions { range, .. } => Some(range.fixed_versions()),
                    AffectedRange::Git { .. } | AffectedRange::Unordered { .. } => None,
                })
                .flatten()
                .collect();
            f.sort_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal));
            f.dedup_by(|a, b| a.compare(b) == Some(std::cmp::Ordering::Equal));
            f.into_iter().map(ToString::to_string).collect::<Vec<_>>()
        };
        let listed = match v {
            Some(v) => e.versions.iter().any(|x| x == v),
            None => false,
        } || e.version_texts.iter().any(|t| t == text);
        if listed {
            return Some(Match {
                advisory_id: &advisory.id,
                affected_index: e.affected as usize,
                matched_by: "versions".to_owned(),
                fixed: fixed(),
            });
        }
        let v = v?;
        for r in &affected.ranges {
            if let AffectedRange::Versions { range, text, kind } = r {
                if range.contains(v) {
                    return Some(Match {
                        advisory_id: &advisory.id,
                        affected_index: e.affected as usize,
                        matched_by: format!("{} {text}", kind.as_str()),
                        fixed: fixed(),
                    });
                }
            }
        }
        None
    }
}
