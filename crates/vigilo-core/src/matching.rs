//! The matching index: which advisories affect a given package version.
//!
//! Built once from a set of advisories, per package (ecosystem and
//! normalised name): the `affected` entries naming it, their ranges
//! (pre-parsed, pre-sorted) and what a match reports (labels, fixed
//! versions) prepared, and the answer for every version the package's
//! records name (explicitly listed versions and range events) computed in
//! advance. A query normalises the name, finds the package by `&str`, and:
//!
//! - if the version's text is one the records use, returns the prepared
//!   answer (one hash lookup, no parsing);
//! - else parses the version once per scheme; if it equals a named version,
//!   returns that one's answer;
//! - else evaluates each entry's ranges (the version cannot be listed).
//!
//! Answers borrow from the index: nothing is allocated beyond the
//! normalised name, the parsed version and the result vector.

use std::collections::HashMap;

use vigilo_version::range::{Event, Range};
use vigilo_version::{Ecosystem, Scheme, Version};

use crate::advisory::{Advisory, AffectedRange};
use crate::package::{PackageKey, Purl, normalize_name};

/// One `affected` entry of one advisory: what evaluating it reads.
struct Entry {
    advisory: u32,
    affected: u32,
    /// Its `ECOSYSTEM`/`SEMVER` ranges: `Package::ranges[start..end]`.
    ranges: (u32, u32),
}

/// Evaluating every entry of a package for each version it names is
/// skipped above this many (version, entry) pairs: such a package is
/// answered by evaluating its ranges at query time.
const PRECOMPUTE_BUDGET: usize = 1 << 20;

/// In a precomputed answer: matched by an explicitly listed version.
const LISTED: u32 = u32::MAX;

/// Longest version text kept inline as a key of [`Package::by_text`].
const SHORT: usize = 31;

/// A short version text, stored inline: looking it up follows no pointer.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortText {
    len: u8,
    bytes: [u8; SHORT],
}

impl ShortText {
    fn new(s: &str) -> Option<ShortText> {
        let len = s.len();
        if len > SHORT {
            return None;
        }
        let mut bytes = [0; SHORT];
        bytes[..len].copy_from_slice(s.as_bytes());
        Some(ShortText {
            len: len as u8,
            bytes,
        })
    }
}

/// A version the package's records name (listed, or a range event), with
/// what is known about it in advance.
struct Known {
    /// The entries listing it: `Package::listings[start..end]`.
    listed: (u32, u32),
    /// The whole answer for it, `Package::answers[start..end]`, unless the
    /// package is over [`PRECOMPUTE_BUDGET`].
    answer: Option<(u32, u32)>,
}

/// Everything the index knows about one package (one ecosystem and
/// normalised name), laid out for the query loop: the entries are small and
/// contiguous, the ranges of all entries are in one vector (built package
/// by package, so their versions sit close together in memory too), and
/// what only a match reads (labels, fixed versions) is kept apart.
///
/// For each version the package's records name, the answer is computed
/// when the index is built, by the same evaluation a query does: a query
/// for a version equal (`Eq`) to one of them returns it with one hash
/// lookup. That is exact because equal versions order the same against
/// every version (`Ord` agrees with `Eq`), and evaluating an entry depends
/// only on that order and on the listing, which is by equality.
struct Package {
    /// The ecosystem's scheme (the same for every entry: they share the ecosystem).
    scheme: Option<Scheme>,
    entries: Vec<Entry>,
    /// The ranges of every entry, in entry order, then in the record's order.
    ranges: Vec<Range>,
    /// For each range, what a match on it reports
    /// (`"ECOSYSTEM introduced 1.0, fixed 1.2"`).
    labels: Vec<String>,
    /// For each entry, its fixed versions: ascending, deduplicated, as text.
    fixed: Vec<Vec<String>>,
    /// Explicitly listed versions, as text: the entries listing each
    /// (indexes into `entries`, ascending, once each).
    listed_texts: HashMap<String, Vec<u32>>,
    /// The versions the records name that parse under the scheme (every
    /// listed one that parses, every range event).
    known: HashMap<Version, Known>,
    /// Entry numbers, ascending for each known version.
    listings: Vec<u32>,
    /// Precomputed answers: (entry, range matched or [`LISTED`]), in entry order.
    answers: Vec<(u32, u32)>,
    /// The precomputed answers again, by the texts that name the known
    /// versions (short ones that parse to them): a query giving one of these
    /// texts needs neither a parse nor a comparison. Parsing is a function
    /// of the text, so a text parses to the version it was found for.
    by_text: HashMap<ShortText, (u32, u32)>,
    /// Each entry's advisory id (what a match reads, kept with the package).
    ids: Vec<Box<str>>,
}

impl Package {
    /// The package of the `affected` entries `refs` ((advisory, affected)
    /// indexes into `advisories`, in order).
    fn build(scheme: Option<Scheme>, advisories: &[Advisory], refs: &[(u32, u32)]) -> Package {
        let mut p = Package {
            scheme,
            entries: Vec::with_capacity(refs.len()),
            ranges: Vec::new(),
            labels: Vec::new(),
            fixed: Vec::with_capacity(refs.len()),
            listed_texts: HashMap::new(),
            known: HashMap::new(),
            listings: Vec::new(),
            answers: Vec::new(),
            by_text: HashMap::new(),
            ids: Vec::with_capacity(refs.len()),
        };
        let mut listed_versions: HashMap<Version, Vec<u32>> = HashMap::new();
        for (i, &(ai, fi)) in refs.iter().enumerate() {
            let i = i as u32;
            let advisory = &advisories[ai as usize];
            p.ids.push(advisory.id.as_str().into());
            let aff = &advisory.affected[fi as usize];
            for text in &aff.versions {
                push_once(p.listed_texts.entry(text.clone()).or_default(), i);
            }
            for v in aff.parsed_versions() {
                push_once(listed_versions.entry(v).or_default(), i);
            }
            let start = p.ranges.len();
            for r in &aff.ranges {
                if let AffectedRange::Versions { kind, range, text } = r {
                    p.ranges.push(range.clone());
                    p.labels.push(format!("{} {text}", kind.as_str()));
                }
            }
            let mut fixed: Vec<&Version> = p.ranges[start..]
                .iter()
                .flat_map(Range::fixed_versions)
                .collect();
            fixed.sort_by(|a, b| a.compare(b).unwrap_or(std::cmp::Ordering::Equal));
            fixed.dedup_by(|a, b| a.compare(b) == Some(std::cmp::Ordering::Equal));
            p.fixed
                .push(fixed.into_iter().map(ToString::to_string).collect());
            p.entries.push(Entry {
                advisory: ai,
                affected: fi,
                ranges: (start as u32, p.ranges.len() as u32),
            });
        }
        // Every version the ranges name is known too (unlisted).
        for range in &p.ranges {
            for e in range.events() {
                let v = match e {
                    Event::Introduced(v) => v.as_ref(),
                    Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(v),
                };
                if let Some(v) = v {
                    if !listed_versions.contains_key(v) {
                        listed_versions.insert(v.clone(), Vec::new());
                    }
                }
            }
        }
        let precompute = listed_versions.len().saturating_mul(p.entries.len()) <= PRECOMPUTE_BUDGET;
        let mut known = HashMap::with_capacity(listed_versions.len());
        for (v, listing) in listed_versions {
            let listed = (
                p.listings.len() as u32,
                (p.listings.len() + listing.len()) as u32,
            );
            p.listings.extend_from_slice(&listing);
            let answer = precompute.then(|| {
                let start = p.answers.len() as u32;
                let mut listing = listing.as_slice();
                for (i, e) in p.entries.iter().enumerate() {
                    let listed = take(&mut listing, i as u32);
                    if let Some(range) = p.evaluate(e, listed, Some(&v)) {
                        p.answers.push((i as u32, range));
                    }
                }
                (start, p.answers.len() as u32)
            });
            known.insert(v, Known { listed, answer });
        }
        p.known = known;
        if let (true, Some(scheme)) = (precompute, scheme) {
            let texts = p.listed_texts.keys().cloned();
            let event_texts = p.known.keys().map(ToString::to_string);
            for text in texts.chain(event_texts) {
                let Some(short) = ShortText::new(&text) else {
                    continue;
                };
                let Ok(v) = Version::parse(scheme, &text) else {
                    continue;
                };
                if let Some(Known {
                    answer: Some(answer),
                    ..
                }) = p.known.get(&v)
                {
                    p.by_text.insert(short, *answer);
                }
            }
        }
        p
    }

    /// Whether entry `e` affects the version: [`LISTED`] when the entry
    /// lists it explicitly, else the first of its ranges that contains `v`
    /// (the version parsed under the package's scheme, if it parses).
    fn evaluate(&self, e: &Entry, listed: bool, v: Option<&Version>) -> Option<u32> {
        if listed {
            return Some(LISTED);
        }
        let v = v?;
        let (start, end) = (e.ranges.0 as usize, e.ranges.1 as usize);
        let r = self.ranges[start..end]
            .iter()
            .position(|range| range.contains(v))?;
        Some((start + r) as u32)
    }
}

/// Adds entry `i` to a listing, once.
fn push_once(ids: &mut Vec<u32>, i: u32) {
    if ids.last() != Some(&i) {
        ids.push(i);
    }
}

/// Whether entry `i` heads `ids`; if so, moves past it. Entries are visited
/// in ascending order, so this walks the listing once.
fn take(ids: &mut &[u32], i: u32) -> bool {
    match ids.split_first() {
        Some((&first, rest)) if first == i => {
            *ids = rest;
            true
        }
        _ => false,
    }
}

/// The ecosystem without a distribution release (`Debian:12` → `Debian`),
/// as [`PackageKey::base`] defines it.
fn base_ecosystem(ecosystem: &Ecosystem) -> Ecosystem {
    PackageKey {
        ecosystem: ecosystem.clone(),
        name: String::new(),
    }
    .base()
    .ecosystem
}

/// A version of a package affected by an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub advisory_id: &'a str,
    /// Index of the `affected` entry in the advisory.
    pub affected_index: usize,
    /// What matched: a range's events as written, or `versions` for an
    /// explicitly listed version.
    pub matched_by: &'a str,
    /// Fixed versions named by the matching entry's ranges, ascending.
    pub fixed: &'a [String],
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
    /// Per ecosystem (a handful: scanned, not hashed), the packages by
    /// normalised name, looked up as `&str`.
    packages: Vec<(Ecosystem, HashMap<String, Package>)>,
}

impl std::fmt::Debug for MatchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchIndex")
            .field("advisories", &self.advisories.len())
            .field(
                "packages",
                &self.packages.iter().map(|(_, p)| p.len()).sum::<usize>(),
            )
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
        // The `affected` entries of each package, in order; then each
        // package is built in one go.
        let mut refs: HashMap<Ecosystem, HashMap<String, Vec<(u32, u32)>>> = HashMap::new();
        for (ai, a) in list.iter().enumerate() {
            if a.is_withdrawn() {
                continue;
            }
            for (fi, aff) in a.affected.iter().enumerate() {
                let key = PackageKey::new(aff.ecosystem.clone(), &aff.name);
                refs.entry(key.ecosystem)
                    .or_default()
                    .entry(key.name)
                    .or_default()
                    .push((ai as u32, fi as u32));
            }
        }
        let packages = refs
            .into_iter()
            .map(|(ecosystem, names)| {
                let scheme = ecosystem.scheme();
                let names = names
                    .into_iter()
                    .map(|(name, refs)| (name, Package::build(scheme, &list, &refs)))
                    .collect();
                (ecosystem, names)
            })
            .collect();
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

    fn package(&self, ecosystem: &Ecosystem, normalized: &str) -> Option<&Package> {
        self.packages
            .iter()
            .find(|(e, _)| e == ecosystem)?
            .1
            .get(normalized)
    }

    /// Advisories affecting `version` of package `name` in `ecosystem`.
    ///
    /// A version that does not parse under the ecosystem's scheme can still
    /// match an explicitly listed version (as text); an ecosystem without a
    /// scheme matches only explicit versions.
    pub fn query(&self, ecosystem: &Ecosystem, name: &str, version: &str) -> Vec<Match<'_>> {
        let name = normalize_name(ecosystem, name);
        let base = base_ecosystem(ecosystem);
        let ecosystems: &[&Ecosystem] = if base == *ecosystem {
            &[ecosystem]
        } else {
            &[ecosystem, &base]
        };
        let mut out = Vec::new();
        let mut parsed: Option<(Scheme, Option<Version>)> = None;
        for eco in ecosystems {
            let Some(package) = self.package(eco, &name) else {
                continue;
            };
            if let Some(&(start, end)) = ShortText::new(version)
                .filter(|_| !package.by_text.is_empty())
                .and_then(|t| package.by_text.get(&t))
            {
                self.push_answers(&mut out, package, start, end);
                continue;
            }
            let v = match package.scheme {
                Some(scheme) => {
                    if parsed.as_ref().is_none_or(|(s, _)| *s != scheme) {
                        parsed = Some((scheme, Version::parse(scheme, version).ok()));
                    }
                    parsed.as_ref().and_then(|(_, v)| v.as_ref())
                }
                None => None,
            };
            // A version the records name has its answer ready. Otherwise,
            // the entries listing it explicitly: when it parses, those found
            // by parsed version (a listed text equal to `version` parsed to
            // the same version when the index was built, so it is known);
            // when it does not, by text.
            let (mut listed, answer): (&[u32], _) = match v {
                Some(v) => match package.known.get(v) {
                    Some(k) => (
                        &package.listings[k.listed.0 as usize..k.listed.1 as usize],
                        k.answer,
                    ),
                    None => (&[], None),
                },
                None => (
                    package.listed_texts.get(version).map_or(&[], Vec::as_slice),
                    None,
                ),
            };
            if let Some((start, end)) = answer {
                self.push_answers(&mut out, package, start, end);
                continue;
            }
            for (i, e) in package.entries.iter().enumerate() {
                let listed = take(&mut listed, i as u32);
                if let Some(range) = package.evaluate(e, listed, v) {
                    if out.capacity() == 0 {
                        out.reserve(8);
                    }
                    out.push(self.to_match(package, i, range));
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
        let name = normalize_name(ecosystem, name);
        let mut ids: Vec<u32> = self
            .package(ecosystem, &name)
            .into_iter()
            .flat_map(|p| &p.entries)
            .map(|e| e.advisory)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|i| &self.advisories[i as usize])
            .collect()
    }

    /// Appends the precomputed answer `package.answers[start..end]`.
    fn push_answers<'s>(
        &'s self,
        out: &mut Vec<Match<'s>>,
        package: &'s Package,
        start: u32,
        end: u32,
    ) {
        let answers = &package.answers[start as usize..end as usize];
        out.reserve(answers.len());
        for &(i, range) in answers {
            out.push(self.to_match(package, i as usize, range));
        }
    }

    /// The match of entry `i` of `package`, by `range` (or [`LISTED`]).
    fn to_match<'s>(&'s self, package: &'s Package, i: usize, range: u32) -> Match<'s> {
        let e = &package.entries[i];
        Match {
            advisory_id: &package.ids[i],
            affected_index: e.affected as usize,
            matched_by: match range {
                LISTED => "versions",
                r => &package.labels[r as usize],
            },
            fixed: &package.fixed[i],
        }
    }
}
