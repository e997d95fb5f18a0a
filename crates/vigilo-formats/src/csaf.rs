//! Advisories out as CSAF 2.0 documents.
//!
//! [`from_osv`] turns one OSV record (as stored: the JSON value, every field
//! kept) into a CSAF 2.0 document; [`from_record`] does the same for a record
//! [`crate::osv`] has already parsed. The record must be an OSV record that
//! [`crate::osv::from_json`] accepts; anything else is a [`CsafError`].
//!
//! **Profile.** A record that names at least one affected package becomes a
//! `csaf_security_advisory` (CSAF 2.0 §4.5: a product tree, and per
//! vulnerability notes and a product status — all of which such a record
//! gives). A record without any package (only `GIT` ranges without a
//! package, or no `affected` at all) has no product to put in the tree, so it
//! becomes a `csaf_base` document (§4.1), which asks for no product tree.
//!
//! **Document.** `title` is the summary (else `ID: ` and the first line of
//! the details, else the id); the publisher is a parameter ([`Publisher`]);
//! `tracking.id` is the OSV id, `tracking.aliases` its aliases; the revision
//! history has one entry for `published` and, when the record was modified
//! later, a second one for `modified` (integer versioning: the version is
//! the number of entries); `initial_release_date` is `published` (else
//! `modified`), `current_release_date` is `modified`; `status` is `final`,
//! or `interim` when the record gives no `published` date (the source has
//! not released it as such); the generator is vigilo. A withdrawn record
//! keeps status `final` (CSAF 2.0 has no withdrawn status), says so in a
//! document note and in its title, and names no products (so it is a
//! `csaf_base` document: nothing is claimed affected or fixed any more). The TLP label comes from a [`Marking`]: CSAF 2.0 speaks
//! TLP 1.0 (§3.2.1.5.2: `WHITE`, `GREEN`, `AMBER`, `RED`), so `TLP:CLEAR` is
//! written `WHITE` and `TLP:AMBER+STRICT` `AMBER`, with
//! `document.distribution.text` naming the TLP 2.0 level (and what STRICT
//! restricts). Without a marking the document has no `distribution`.
//!
//! **Product tree.** Per affected package, a `vendor` branch named after the
//! ecosystem (`Maven`, `PyPI`, …), a `product_name` branch named after the
//! package, and under it one product per range: `product_version_range`
//! named with a `vers` string (`vers:pypi/>=1.0|<2.0`, the purl-spec
//! version range syntax, `vers:maven/*` for "every version"), with the
//! package's purl (no version) as identification helper; and one
//! `product_version` product per fixed version, with the purl of that
//! version (`pkg:pypi/jinja2@2.11.3`). A package listed with explicit
//! `versions` and no `ECOSYSTEM`/`SEMVER` range gets one `product_version`
//! per listed version instead; a package with only `GIT` ranges gets a
//! product at the `product_name` level. Equal products are written once.
//! Product ids are `CSAFPID-0001`, … in order of appearance.
//!
//! **Vulnerability.** One per record: `cve` the record's CVE id (the id
//! itself, else its first CVE alias); `ids` the record's id and its other
//! aliases (`GHSA-…`, `PYSEC-…` …) with the database they come from;
//! `title` the summary; notes `summary` and `description` (the details);
//! `release_date` `published`; `product_status` `known_affected` (every
//! range and listed version) and `fixed` (every fixed version that no range
//! of the same package still covers); `remediations` a `vendor_fix` per
//! range with fixed versions, `none_available` for a range without one;
//! `scores` one `cvss_v3` per CVSS v3.x vector of the record (top level: for
//! every affected product; per `affected` entry: for its products), with
//! `baseScore`/`baseSeverity` computed by `vigilo_core::cvss` and the
//! vector normalised; a CVSS v4.0 vector, which CSAF 2.0 cannot hold as a
//! score, becomes a note; `references` every reference of the record (URLs
//! that are not valid URIs are percent-encoded); `acknowledgments` the
//! credited names. CWE ids are left out: CSAF requires the CWE name beside
//! the id (and its mandatory test 6.1.11 checks it against the catalogue),
//! which an OSV record does not carry.
//!
//! **Reproducible output.** No clock is read: every date comes from the
//! record. The same record and options always give the same value, and
//! [`write_document`] writes it with keys sorted.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde_json::{Map, Value, json};
use vigilo_core::advisory::{Affected, AffectedRange};
use vigilo_core::cvss::{self, CvssVersion};
use vigilo_core::marking::{Marking, Tlp};
use vigilo_core::package::purl_for;
use vigilo_core::version::range::Event;
use vigilo_core::{Ecosystem, Scheme, Version};

use crate::diag::Diagnostic;
use crate::osv::ParsedRecord;

/// The `document.publisher.category` of CSAF 2.0 (§3.2.1.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublisherCategory {
    Coordinator,
    Discoverer,
    #[default]
    Other,
    Translator,
    User,
    Vendor,
}

impl PublisherCategory {
    pub const ALL: [PublisherCategory; 6] = [
        PublisherCategory::Coordinator,
        PublisherCategory::Discoverer,
        PublisherCategory::Other,
        PublisherCategory::Translator,
        PublisherCategory::User,
        PublisherCategory::Vendor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PublisherCategory::Coordinator => "coordinator",
            PublisherCategory::Discoverer => "discoverer",
            PublisherCategory::Other => "other",
            PublisherCategory::Translator => "translator",
            PublisherCategory::User => "user",
            PublisherCategory::Vendor => "vendor",
        }
    }
}

impl std::str::FromStr for PublisherCategory {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PublisherCategory::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!(
                    "unknown publisher category {s:?}: expected coordinator, discoverer, other, \
                     translator, user or vendor"
                )
            })
    }
}

/// Who publishes the document (`document.publisher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    /// The organisation's name.
    pub name: String,
    /// A URL that identifies the organisation (`https://cert.example`).
    pub namespace: String,
    pub category: PublisherCategory,
}

/// What a conversion needs beside the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub publisher: Publisher,
    /// The document's marking; `None`: no `distribution`.
    pub marking: Option<Marking>,
}

/// Why a record could not be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CsafError {
    /// The input is not an OSV record vigilo reads.
    #[error("not an OSV record: {0}")]
    NotOsv(Box<Diagnostic>),
    /// The publisher cannot be written (empty name, namespace not a URL).
    #[error("publisher: {0}")]
    Publisher(String),
}

/// The CSAF 2.0 document for an OSV record given as JSON (see the module
/// docs).
pub fn from_osv(record: &Value, options: &Options) -> Result<Value, CsafError> {
    let parsed =
        crate::osv::from_json(record.clone(), "").map_err(|d| CsafError::NotOsv(Box::new(d)))?;
    from_record(&parsed, options)
}

/// The CSAF 2.0 document for a parsed OSV record (see the module docs).
pub fn from_record(record: &ParsedRecord, options: &Options) -> Result<Value, CsafError> {
    check_publisher(&options.publisher)?;
    Ok(sorted(document(record, options)))
}

/// Writes a document: pretty-printed JSON, keys sorted, ending with a
/// newline.
pub fn write_document(document: &Value, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sorted(document.clone()))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The file name CSAF 2.0 §5.1 gives a document with this tracking id:
/// lower-cased, every character other than `+`, `-`, `a-z` and `0-9`
/// replaced by `_`, and `.json`.
pub fn file_name(tracking_id: &str) -> String {
    let mut name: String = tracking_id
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        name.push('_');
    }
    name.push_str(".json");
    name
}

fn check_publisher(p: &Publisher) -> Result<(), CsafError> {
    if p.name.trim().is_empty() {
        return Err(CsafError::Publisher("the name is empty".into()));
    }
    let ns = p.namespace.trim();
    let rest = ns
        .strip_prefix("https://")
        .or_else(|| ns.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && ns == uri(ns) => Ok(()),
        _ => Err(CsafError::Publisher(format!(
            "the namespace {:?} is not an http(s) URL",
            p.namespace
        ))),
    }
}

/// `s` with every byte that may not appear in a URI percent-encoded (a
/// `%` already followed by two hex digits is kept).
fn uri(s: &str) -> String {
    let bytes = s.trim().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if keep || escape {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A CSAF date-time for an OSV time: RFC 3339 in UTC, or `None` when it
/// does not parse.
fn date(s: &str) -> Option<String> {
    let t: jiff::Timestamp = s.trim().parse().ok()?;
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(t.strftime("%Y-%m-%dT%H:%M:%S%.fZ").to_string())
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, num)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// The database an advisory id comes from, by its prefix.
fn id_system(id: &str) -> &'static str {
    let prefix = id.split('-').next().unwrap_or_default();
    match prefix {
        "GHSA" => "GitHub Advisory Database",
        "PYSEC" => "PyPA Advisory Database",
        "RUSTSEC" => "RustSec Advisory Database",
        "GO" => "Go Vulnerability Database",
        "OSV" => "OSV",
        "DSA" | "DLA" | "DTSA" => "Debian Security Tracker",
        "USN" | "UBUNTU" => "Ubuntu Security Notices",
        "ALSA" | "ALBA" | "ALEA" => "AlmaLinux Errata",
        "RLSA" => "Rocky Linux Errata",
        "RHSA" | "RHBA" | "RHEA" => "Red Hat Errata",
        "MAL" => "OpenSSF Malicious Packages",
        "GSD" => "Global Security Database",
        "BIT" => "Bitnami Vulnerability Database",
        "CURL" => "curl",
        "SNYK" => "Snyk Vulnerability Database",
        "PSF" => "Python Software Foundation",
        "RSEC" => "R Security Advisory Database",
        "HSEC" => "Haskell Security Advisory Database",
        "CGA" => "Chainguard",
        "MGASA" => "Mageia Advisories",
        "SUSE" | "openSUSE" => "SUSE",
        "PHSA" => "Photon OS",
        "LBSEC" => "LoopBack",
        "UVI" => "UVI",
        _ => "OSV",
    }
}

/// The purl type and `vers` versioning scheme of an ecosystem.
fn vers_scheme(e: &Ecosystem) -> String {
    match e {
        Ecosystem::PyPI => "pypi".into(),
        Ecosystem::Npm => "npm".into(),
        Ecosystem::CratesIo => "cargo".into(),
        Ecosystem::Go => "golang".into(),
        Ecosystem::Maven => "maven".into(),
        Ecosystem::NuGet => "nuget".into(),
        Ecosystem::RubyGems => "gem".into(),
        Ecosystem::Packagist => "composer".into(),
        Ecosystem::Debian(_) | Ecosystem::Ubuntu(_) => "deb".into(),
        Ecosystem::Alpine(_) => "apk".into(),
        Ecosystem::Rpm(..) => "rpm".into(),
        Ecosystem::Other(name) => {
            let s: String = name
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
                .collect();
            if s.is_empty() { "generic".into() } else { s }
        }
    }
}

/// A version in a `vers` string: `|`, `%`, spaces and non-ASCII
/// percent-encoded.
fn vers_version(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.trim().bytes() {
        if b.is_ascii_graphic() && b != b'|' && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One interval of a range: lower bound (`None`: from the beginning),
/// upper bound (`None`: no end) and whether the upper bound is included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Interval {
    lower: Option<String>,
    upper: Option<(String, bool)>,
}

/// The intervals of an event list read in order (OSV semantics: an
/// `introduced` opens, a `fixed` or `last_affected` closes, a repeated one
/// changes nothing).
fn intervals<'a>(events: impl Iterator<Item = (&'a str, String)>) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut open: Option<Option<String>> = None;
    for (kind, version) in events {
        match kind {
            "introduced" if open.is_none() => {
                let v = version.trim();
                open = Some((v != "0" && !v.is_empty()).then(|| v.to_owned()));
            }
            "fixed" | "last_affected" => {
                if let Some(lower) = open.take() {
                    out.push(Interval {
                        lower,
                        upper: Some((version, kind == "last_affected")),
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(lower) = open {
        out.push(Interval { lower, upper: None });
    }
    out
}

/// `vers:SCHEME/CONSTRAINTS` for intervals (`*` when one covers every
/// version).
fn vers(scheme: &str, intervals: &[Interval]) -> String {
    let every = intervals
        .iter()
        .any(|i| i.lower.is_none() && i.upper.is_none());
    if every || intervals.is_empty() {
        return format!("vers:{scheme}/*");
    }
    let mut parts: Vec<String> = Vec::new();
    for i in intervals {
        if let Some(l) = &i.lower {
            parts.push(format!(">={}", vers_version(l)));
        }
        if let Some((u, inclusive)) = &i.upper {
            let op = if *inclusive { "<=" } else { "<" };
            parts.push(format!("{op}{}", vers_version(u)));
        }
    }
    format!("vers:{scheme}/{}", parts.join("|"))
}

/// The events of a JSON range in the order given.
fn json_events(range: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for e in range
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for key in ["introduced", "fixed", "last_affected", "limit"] {
            if let Some(v) = e.get(key).and_then(Value::as_str) {
                out.push((key, v.to_owned()));
            }
        }
    }
    out
}

fn parsed_events(events: &mut dyn Iterator<Item = &Event>) -> Vec<(&'static str, String)> {
    events
        .map(|e| match e {
            Event::Introduced(None) => ("introduced", "0".to_owned()),
            Event::Introduced(Some(v)) => ("introduced", v.to_string()),
            Event::Fixed(v) => ("fixed", v.to_string()),
            Event::LastAffected(v) => ("last_affected", v.to_string()),
            Event::Limit(v) => ("limit", v.to_string()),
        })
        .collect()
}

/// A version range's scheme, as `crate::osv` chose it.
fn range_scheme(a: &Affected, kind: vigilo_core::advisory::RangeKind) -> Option<Scheme> {
    use vigilo_core::advisory::RangeKind;
    match (kind, a.ecosystem.scheme()) {
        (RangeKind::SemVer, Some(Scheme::Go)) => Some(Scheme::Go),
        (RangeKind::SemVer, _) => Some(Scheme::SemVer),
        (RangeKind::Ecosystem, s) => s,
    }
}

/// Whether some version range of `affected` (of one package) covers `v`.
fn still_affected(affected: &[&Affected], version: &str) -> bool {
    affected.iter().any(|a| {
        a.ranges.iter().any(|r| match r {
            AffectedRange::Versions { kind, range, .. } => range_scheme(a, *kind)
                .and_then(|s| Version::parse(s, version).ok())
                .is_some_and(|v| range.contains(&v)),
            _ => false,
        })
    })
}

/// The product tree under construction.
#[derive(Default)]
struct Tree {
    /// (ecosystem, package) in order of appearance, with their leaves.
    packages: Vec<Package>,
    next_id: usize,
}

struct Package {
    ecosystem: String,
    name: String,
    /// (branch category, branch name, product name, purl, product id).
    leaves: Vec<Leaf>,
}

struct Leaf {
    category: &'static str,
    name: String,
    product_name: String,
    purl: Option<String>,
    id: String,
}

impl Tree {
    /// The id of the product (reused when an equal one exists).
    fn product(
        &mut self,
        ecosystem: &str,
        package: &str,
        category: &'static str,
        name: &str,
        purl: Option<String>,
    ) -> String {
        let pi = match self
            .packages
            .iter()
            .position(|p| p.ecosystem == ecosystem && p.name == package)
        {
            Some(i) => i,
            None => {
                self.packages.push(Package {
                    ecosystem: ecosystem.to_owned(),
                    name: package.to_owned(),
                    leaves: Vec::new(),
                });
                self.packages.len() - 1
            }
        };
        let pkg = &mut self.packages[pi];
        if let Some(l) = pkg
            .leaves
            .iter()
            .find(|l| l.category == category && l.name == name)
        {
            return l.id.clone();
        }
        self.next_id += 1;
        let id = format!("CSAFPID-{:04}", self.next_id);
        let product_name = if name.is_empty() {
            package.to_owned()
        } else {
            format!("{package} {name}")
        };
        pkg.leaves.push(Leaf {
            category,
            name: name.to_owned(),
            product_name,
            purl,
            id: id.clone(),
        });
        id
    }

    fn to_json(&self) -> Value {
        let mut vendors: Vec<(String, Vec<Value>)> = Vec::new();
        for p in &self.packages {
            let mut leaves = Vec::new();
            let mut whole = None;
            for l in &p.leaves {
                let mut product = json!({ "name": l.product_name, "product_id": l.id });
                if let Some(purl) = &l.purl {
                    product["product_identification_helper"] = json!({ "purl": purl });
                }
                if l.category.is_empty() {
                    whole = Some(product);
                } else {
                    leaves.push(json!({
                        "category": l.category,
                        "name": l.name,
                        "product": product,
                    }));
                }
            }
            let mut branch = json!({ "category": "product_name", "name": p.name });
            if let Some(product) = whole {
                branch["product"] = product;
            }
            if !leaves.is_empty() {
                branch["branches"] = Value::Array(leaves);
            }
            match vendors.iter_mut().find(|(e, _)| *e == p.ecosystem) {
                Some((_, list)) => list.push(branch),
                None => vendors.push((p.ecosystem.clone(), vec![branch])),
            }
        }
        let branches: Vec<Value> = vendors
            .into_iter()
            .map(|(name, products)| {
                json!({ "category": "vendor", "name": name, "branches": products })
            })
            .collect();
        json!({ "branches": branches })
    }
}

/// What one record's products are, per status.
#[derive(Default)]
struct Status {
    known_affected: Vec<String>,
    fixed: Vec<String>,
    remediations: Vec<Value>,
    /// Product ids per JSON `affected` index, for per-entry scores.
    per_entry: Vec<(usize, Vec<String>)>,
    /// Ranges with a `limit`, which `vers` cannot express (for a note).
    limits: usize,
}

fn push_unique(list: &mut Vec<String>, id: String) {
    if !list.contains(&id) {
        list.push(id);
    }
}

fn products(record: &ParsedRecord, tree: &mut Tree) -> Status {
    let mut st = Status::default();
    // The JSON entries osv.rs read into `Affected` (those with a package),
    // in the same order.
    let entries: Vec<(usize, &Value)> = record
        .json
        .get("affected")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, a)| a.get("package").is_some_and(|p| !p.is_null()))
        .collect();
    let all: &[Affected] = &record.advisory.affected;
    for (k, a) in all.iter().enumerate() {
        let (index, entry) = entries
            .get(k)
            .copied()
            .unwrap_or((usize::MAX, &Value::Null));
        let json_ranges: Vec<&Value> = entry
            .get("ranges")
            .and_then(Value::as_array)
            .map(|r| r.iter().collect())
            .unwrap_or_default();
        let ecosystem = entry
            .pointer("/package/ecosystem")
            .and_then(Value::as_str)
            .map_or_else(|| a.ecosystem.to_string(), str::to_owned);
        let ecosystem = if ecosystem.trim().is_empty() {
            "unknown ecosystem".to_owned()
        } else {
            ecosystem.trim().to_owned()
        };
        let package = if a.name.trim().is_empty() {
            "unnamed package".to_owned()
        } else {
            a.name.trim().to_owned()
        };
        let scheme = vers_scheme(&a.ecosystem);
        let given_purl = a
            .purl
            .as_deref()
            .map(|p| p.split(['@', '?', '#']).next().unwrap_or(p).to_owned())
            .filter(|p| vigilo_core::package::Purl::parse(p).is_ok());
        let bare_purl = purl_for(&a.ecosystem, &package, "")
            .map(|p| p.trim_end_matches('@').to_owned())
            .or(given_purl);
        let versioned_purl =
            |v: &str| purl_for(&a.ecosystem, &package, v.trim()).filter(|_| !v.trim().is_empty());
        let same_package: Vec<&Affected> = all
            .iter()
            .filter(|o| o.ecosystem == a.ecosystem && o.name.trim() == a.name.trim())
            .collect();
        let mut ids = Vec::new();
        let mut has_versions_range = false;
        for (ri, r) in a.ranges.iter().enumerate() {
            let events = match r {
                AffectedRange::Versions { range, .. } => {
                    has_versions_range = true;
                    parsed_events(&mut range.events())
                }
                AffectedRange::Unordered { .. } => {
                    has_versions_range = true;
                    json_ranges
                        .get(ri)
                        .map(|r| json_events(r))
                        .unwrap_or_default()
                }
                AffectedRange::Git { .. } => continue,
            };
            if events.iter().any(|(k, _)| *k == "limit")
                || json_ranges
                    .get(ri)
                    .is_some_and(|r| json_events(r).iter().any(|(k, _)| *k == "limit"))
            {
                st.limits += 1;
            }
            let iv = intervals(events.iter().map(|(k, v)| (*k, v.clone())));
            let name = vers(&scheme, &iv);
            let range_id = tree.product(
                &ecosystem,
                &package,
                "product_version_range",
                &name,
                bare_purl.clone(),
            );
            push_unique(&mut ids, range_id.clone());
            push_unique(&mut st.known_affected, range_id.clone());
            let fixes: Vec<&str> = events
                .iter()
                .filter(|(k, v)| *k == "fixed" && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
                .collect();
            if fixes.is_empty() {
                st.remediations.push(json!({
                    "category": "none_available",
                    "details": format!("No fixed version of {package} is known for {name}."),
                    "product_ids": [range_id],
                }));
                continue;
            }
            for f in &fixes {
                if still_affected(&same_package, f) {
                    continue;
                }
                let (category, leaf) = if looks_like_range(f) {
                    (
                        "product_version_range",
                        format!("vers:{scheme}/{}", vers_version(f)),
                    )
                } else {
                    ("product_version", (*f).to_owned())
                };
                let id = tree.product(&ecosystem, &package, category, &leaf, versioned_purl(f));
                push_unique(&mut st.fixed, id);
            }
            let listed = fixes.join(", ");
            let details = if fixes.len() == 1 {
                format!("Upgrade {package} to version {listed} or later.")
            } else {
                format!("Upgrade {package} to a fixed version: {listed}.")
            };
            st.remediations.push(json!({
                "category": "vendor_fix",
                "details": details,
                "product_ids": [range_id],
            }));
        }
        if !has_versions_range {
            let listed: Vec<&str> = a
                .versions
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if listed.is_empty() {
                let id = tree.product(&ecosystem, &package, "", "", bare_purl.clone());
                push_unique(&mut ids, id.clone());
                push_unique(&mut st.known_affected, id);
            }
            for v in listed {
                let (category, leaf) = if looks_like_range(v) {
                    (
                        "product_version_range",
                        format!("vers:{scheme}/{}", vers_version(v)),
                    )
                } else {
                    ("product_version", v.to_owned())
                };
                let id = tree.product(&ecosystem, &package, category, &leaf, versioned_purl(v));
                push_unique(&mut ids, id.clone());
                push_unique(&mut st.known_affected, id);
            }
        }
        st.per_entry.push((index, ids));
    }
    // A product both fixed and affected (one range's fix, another entry's
    // listed version) is affected.
    let affected = st.known_affected.clone();
    st.fixed.retain(|f| !affected.contains(f));
    st
}

/// What CSAF's mandatory test 6.1.31 reads as a version range in a
/// `product_version` name.
fn looks_like_range(v: &str) -> bool {
    let lower = v.to_lowercase();
    ["<", ">"].iter().any(|s| lower.contains(s))
        || lower.split_whitespace().any(|w| {
            matches!(
                w,
                "after" | "all" | "before" | "earlier" | "later" | "prior" | "versions"
            )
        })
}

/// The `cvss_v3` objects of a `severity` list (v3.0 and v3.1 vectors that
/// parse), and the v4.0 vectors.
fn cvss_scores(list: Option<&Value>) -> (Vec<Value>, Vec<String>) {
    let mut v3 = Vec::new();
    let mut v4 = Vec::new();
    for entry in list.and_then(Value::as_array).into_iter().flatten() {
        let Some(vector) = entry.get("score").and_then(Value::as_str) else {
            continue;
        };
        let Ok(c) = cvss::parse(vector.trim()) else {
            continue;
        };
        let s = c.score();
        match c.version() {
            CvssVersion::V3_0 | CvssVersion::V3_1 => {
                let obj = json!({
                    "version": c.version().as_str(),
                    "vectorString": c.to_string(),
                    "baseScore": s.base,
                    "baseSeverity": s.severity.as_str().to_ascii_uppercase(),
                });
                if !v3.contains(&obj) {
                    v3.push(obj);
                }
            }
            CvssVersion::V4_0 => {
                let text = format!("{} (score {:.1}, {})", c, s.base, s.severity.as_str());
                if !v4.contains(&text) {
                    v4.push(text);
                }
            }
        }
    }
    (v3, v4)
}

fn reference_summary(kind: &str) -> &'static str {
    match kind {
        "ADVISORY" => "Advisory",
        "ARTICLE" => "Article",
        "DETECTION" => "Detection",
        "DISCUSSION" => "Discussion",
        "REPORT" => "Report",
        "FIX" => "Fix",
        "INTRODUCED" => "Change that introduced the vulnerability",
        "GIT" => "Git repository",
        "PACKAGE" => "Package",
        "EVIDENCE" => "Evidence",
        "WEB" => "Web page",
        _ => "Reference",
    }
}

/// The record's references as CSAF references (URLs made URIs, duplicates
/// dropped); only those of type `ADVISORY` when `advisories_only`.
fn references(json: &Value, advisories_only: bool) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in json
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = str_at(r, "type").unwrap_or("");
        if advisories_only && kind != "ADVISORY" {
            continue;
        }
        let Some(url) = str_at(r, "url") else {
            continue;
        };
        let url = uri(url);
        let lower = url.to_ascii_lowercase();
        let scheme_ok = lower.split_once(':').is_some_and(|(s, rest)| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
                && s.as_bytes()[0].is_ascii_alphabetic()
                && !rest.is_empty()
        });
        if !scheme_ok || !seen.insert(url.clone()) {
            continue;
        }
        out.push(json!({
            "category": "external",
            "summary": reference_summary(kind),
            "url": url,
        }));
    }
    out
}

fn acknowledgments(json: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for c in json
        .get("credits")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = str_at(c, "name") else {
            continue;
        };
        let mut ack = json!({ "names": [name] });
        let urls: Vec<String> = c
            .get("contact")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(uri)
            .collect();
        if !urls.is_empty() {
            ack["urls"] = json!(urls);
        }
        if let Some(kind) = str_at(c, "type") {
            ack["summary"] = json!(format!("Credited as {}.", kind.to_ascii_lowercase()));
        }
        if !out.contains(&ack) {
            out.push(ack);
        }
    }
    out
}

fn tlp_distribution(m: &Marking) -> Value {
    let (label, text) = match m.tlp {
        Tlp::Clear => (
            "WHITE",
            "TLP:CLEAR (TLP 2.0; TLP:WHITE in TLP 1.0): recipients may spread this to the world, \
             there is no limit on disclosure.",
        ),
        Tlp::Green => (
            "GREEN",
            "TLP:GREEN (TLP 2.0): limited disclosure, recipients may spread this within their \
             community, but not via publicly accessible channels.",
        ),
        Tlp::Amber => (
            "AMBER",
            "TLP:AMBER (TLP 2.0): limited disclosure, recipients may only spread this on a \
             need-to-know basis within their organization and its clients.",
        ),
        Tlp::AmberStrict => (
            "AMBER",
            "TLP:AMBER+STRICT (TLP 2.0), written as AMBER because CSAF 2.0 knows TLP 1.0 labels \
             only: recipients may only spread this on a need-to-know basis within their own \
             organization, not to its clients.",
        ),
        Tlp::Red => (
            "RED",
            "TLP:RED (TLP 2.0): for the eyes and ears of individual recipients only, no further \
             disclosure.",
        ),
    };
    json!({
        "text": text,
        "tlp": { "label": label, "url": "https://www.first.org/tlp/" },
    })
}

fn document(record: &ParsedRecord, options: &Options) -> Value {
    let json = &record.json;
    let adv = &record.advisory;
    let id = adv.id.trim();
    let summary = adv
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let details = str_at(json, "details");
    let title = match (summary, details) {
        (Some(s), _) => s.to_owned(),
        (None, Some(d)) => {
            let first = d
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or(d);
            let first = first.trim_start_matches('#').trim();
            format!("{id}: {}", clip(first, 200))
        }
        (None, None) => id.to_owned(),
    };
    let title = if adv.withdrawn.is_some() {
        format!("WITHDRAWN: {title}")
    } else {
        title
    };

    // Dates: `modified` always parses (osv.rs checks it); `published` may
    // not, or may come after `modified`.
    let modified = date(&adv.modified).unwrap_or_else(|| adv.modified.trim().to_owned());
    let published = adv.published.as_deref().and_then(date);
    let mut revisions = Vec::new();
    let initial = match &published {
        Some(p) if modified_after(&modified, p) => {
            revisions.push(
                json!({ "date": p, "number": "1", "summary": "Initial version (published)." }),
            );
            revisions.push(json!({ "date": modified, "number": "2", "summary": "Current version (last modified)." }));
            p.clone()
        }
        Some(_) => {
            revisions.push(json!({ "date": modified, "number": "1", "summary": "Initial version (published)." }));
            modified.clone()
        }
        None => {
            revisions.push(json!({ "date": modified, "number": "1", "summary": "Current version (last modified)." }));
            modified.clone()
        }
    };
    let status = if published.is_some() {
        "final"
    } else {
        "interim"
    };
    let version = revisions.len().to_string();

    let aliases: Vec<&str> = adv
        .aliases
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty() && *a != id)
        .collect();
    let mut tracking = json!({
        "id": id,
        "status": status,
        "version": version,
        "revision_history": revisions,
        "initial_release_date": initial,
        "current_release_date": modified,
        "generator": { "engine": { "name": "vigilo", "version": env!("CARGO_PKG_VERSION") } },
    });
    let mut unique_aliases: Vec<&str> = Vec::new();
    for a in &aliases {
        if !unique_aliases.contains(a) {
            unique_aliases.push(a);
        }
    }
    if !unique_aliases.is_empty() {
        tracking["aliases"] = json!(unique_aliases);
    }

    let mut doc_notes = vec![json!({
        "category": "general",
        "title": "Source",
        "text": format!(
            "Converted by vigilo from the OSV record {id} (modified {}).",
            adv.modified.trim()
        ),
    })];
    if let Some(w) = adv.withdrawn.as_deref() {
        doc_notes.push(json!({
            "category": "general",
            "title": "Withdrawn",
            "text": format!("The source withdrew this advisory on {}: it no longer applies.", w.trim()),
        }));
    }

    // A withdrawn record claims nothing about products any more.
    let mut tree = Tree::default();
    let status_of = if adv.withdrawn.is_some() {
        Status::default()
    } else {
        products(record, &mut tree)
    };
    let has_products = !tree.packages.is_empty();
    let category = if has_products {
        "csaf_security_advisory"
    } else {
        "csaf_base"
    };
    if status_of.limits > 0 {
        doc_notes.push(json!({
            "category": "other",
            "title": "Range limits",
            "text": "Some ranges of the source carry a `limit`, which the version ranges here do \
                     not express: see the OSV record.",
        }));
    }

    let mut document = json!({
        "category": category,
        "csaf_version": "2.0",
        "lang": "en",
        "publisher": {
            "category": options.publisher.category.as_str(),
            "name": options.publisher.name.trim(),
            "namespace": options.publisher.namespace.trim(),
        },
        "title": title,
        "tracking": tracking,
        "notes": doc_notes,
    });
    let doc_refs = references(json, true);
    if !doc_refs.is_empty() {
        document["references"] = Value::Array(doc_refs);
    }
    if let Some(m) = &options.marking {
        document["distribution"] = tlp_distribution(m);
    }

    // The vulnerability.
    let mut vuln = Map::new();
    let cve = if is_cve(id) {
        Some(id)
    } else {
        aliases.iter().copied().find(|a| is_cve(a))
    };
    if let Some(c) = cve {
        vuln.insert("cve".into(), json!(c));
    }
    let mut ids: Vec<Value> = Vec::new();
    for a in std::iter::once(id).chain(aliases.iter().copied()) {
        if Some(a) == cve {
            continue;
        }
        let entry = json!({ "system_name": id_system(a), "text": a });
        if !ids.contains(&entry) {
            ids.push(entry);
        }
    }
    if !ids.is_empty() {
        vuln.insert("ids".into(), Value::Array(ids));
    }
    if let Some(s) = summary {
        vuln.insert("title".into(), json!(s));
    }
    if let Some(p) = &published {
        vuln.insert("release_date".into(), json!(p));
    }
    let mut notes = Vec::new();
    if let Some(s) = summary {
        notes.push(json!({ "category": "summary", "title": "Summary", "text": s }));
    }
    if let Some(d) = details {
        notes.push(json!({ "category": "description", "title": "Details", "text": d }));
    }
    if notes.is_empty() {
        notes.push(json!({
            "category": "general",
            "text": format!("The OSV record {id} gives no summary or details."),
        }));
    }

    let (top_v3, mut v4) = cvss_scores(json.get("severity"));
    let mut scores = Vec::new();
    if !status_of.known_affected.is_empty() {
        for s in top_v3 {
            scores.push(json!({ "cvss_v3": s, "products": status_of.known_affected }));
        }
    }
    let entries = json.get("affected").and_then(Value::as_array);
    for (index, pids) in &status_of.per_entry {
        let Some(entry) = entries.and_then(|e| e.get(*index)) else {
            continue;
        };
        let (v3, more4) = cvss_scores(entry.get("severity"));
        for s in more4 {
            if !v4.contains(&s) {
                v4.push(s);
            }
        }
        if pids.is_empty() {
            continue;
        }
        for s in v3 {
            let score = json!({ "cvss_v3": s, "products": pids });
            if !scores.contains(&score) {
                scores.push(score);
            }
        }
    }
    for s in &v4 {
        notes.push(json!({
            "category": "other",
            "title": "CVSS v4.0",
            "text": format!("CVSS v4.0 vector given by the source: {s}."),
        }));
    }
    vuln.insert("notes".into(), Value::Array(notes));
    if !scores.is_empty() {
        vuln.insert("scores".into(), Value::Array(scores));
    }
    if has_products {
        let mut ps = Map::new();
        if !status_of.known_affected.is_empty() {
            ps.insert("known_affected".into(), json!(status_of.known_affected));
        }
        if !status_of.fixed.is_empty() {
            ps.insert("fixed".into(), json!(status_of.fixed));
        }
        vuln.insert("product_status".into(), Value::Object(ps));
        if !status_of.remediations.is_empty() {
            vuln.insert("remediations".into(), Value::Array(status_of.remediations));
        }
    }
    let refs = references(json, false);
    if !refs.is_empty() {
        vuln.insert("references".into(), Value::Array(refs));
    }
    let acks = acknowledgments(json);
    if !acks.is_empty() {
        vuln.insert("acknowledgments".into(), Value::Array(acks));
    }

    let mut out = json!({
        "document": document,
        "vulnerabilities": [Value::Object(vuln)],
    });
    if has_products {
        out["product_tree"] = tree.to_json();
    }
    out
}

/// Whether CSAF date `a` is later than `b` (both RFC 3339 in UTC, so they
/// compare as instants).
fn modified_after(a: &str, b: &str) -> bool {
    crate::osv::modified_cmp(a, b) == std::cmp::Ordering::Greater
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Every object with its keys in sorted order (see `stix::sorted`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(marking: Option<Marking>) -> Options {
        Options {
            publisher: Publisher {
                name: "Example CERT".into(),
                namespace: "https://cert.example".into(),
                category: PublisherCategory::Coordinator,
            },
            marking,
        }
    }

    fn convert(json: &str) -> Value {
        let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        from_osv(&v, &options(None)).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn vers_strings_from_events() {
        let iv =
            |ev: &[(&'static str, &str)]| intervals(ev.iter().map(|(k, v)| (*k, (*v).to_owned())));
        assert_eq!(
            vers("pypi", &iv(&[("introduced", "1.0"), ("fixed", "2.0")])),
            "vers:pypi/>=1.0|<2.0"
        );
        assert_eq!(vers("npm", &iv(&[("introduced", "0")])), "vers:npm/*");
        assert_eq!(
            vers(
                "maven",
                &iv(&[
                    ("introduced", "0"),
                    ("fixed", "1.2"),
                    ("introduced", "2.0"),
                    ("last_affected", "2.3|x")
                ])
            ),
            "vers:maven/<1.2|>=2.0|<=2.3%7Cx"
        );
    }

    #[test]
    fn profiles_and_statuses() {
        let d = convert(
            r#"{"id":"PYSEC-1","modified":"2024-02-01T00:00:00Z","published":"2024-01-01T00:00:00Z",
                "aliases":["CVE-2024-0001","GHSA-aaaa-bbbb-cccc"],"summary":"A bug",
                "affected":[{"package":{"ecosystem":"PyPI","name":"Foo_Bar"},
                  "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.5"}]},
                            {"type":"ECOSYSTEM","events":[{"introduced":"1.4"},{"fixed":"1.6"}]}]}]}"#,
        );
        assert_eq!(d["document"]["category"], "csaf_security_advisory");
        assert_eq!(d["document"]["tracking"]["version"], "2");
        let v = &d["vulnerabilities"][0];
        assert_eq!(v["cve"], "CVE-2024-0001");
        // 1.5 is fixed for the first range but inside the second: not fixed.
        let fixed = v["product_status"]["fixed"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(fixed.len(), 1);
        let tree = serde_json::to_string(&d["product_tree"]).unwrap_or_default();
        assert!(tree.contains("pkg:pypi/foo-bar@1.6"), "{tree}");
        assert!(tree.contains("vers:pypi/<1.5"), "{tree}");

        let base = convert(r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z"}"#);
        assert_eq!(base["document"]["category"], "csaf_base");
        assert_eq!(base["document"]["tracking"]["status"], "interim");
        assert!(base.get("product_tree").is_none());
    }

    #[test]
    fn tlp_labels_are_tlp_1() {
        let rec: Value = serde_json::from_str(r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z"}"#)
            .unwrap_or_default();
        for (tlp, label) in [
            (Tlp::Clear, "WHITE"),
            (Tlp::Green, "GREEN"),
            (Tlp::Amber, "AMBER"),
            (Tlp::AmberStrict, "AMBER"),
            (Tlp::Red, "RED"),
        ] {
            let d = from_osv(&rec, &options(Some(Marking::tlp(tlp)))).unwrap_or_default();
            assert_eq!(d["document"]["distribution"]["tlp"]["label"], label);
        }
        let d = from_osv(&rec, &options(Some(Marking::tlp(Tlp::AmberStrict)))).unwrap_or_default();
        assert!(
            d["document"]["distribution"]["text"]
                .as_str()
                .unwrap_or_default()
                .contains("AMBER+STRICT")
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let o = options(None);
        assert!(matches!(
            from_osv(&json!([1]), &o),
            Err(CsafError::NotOsv(_))
        ));
        let mut bad = o.clone();
        bad.publisher.namespace = "not a url".into();
        let rec = json!({"id":"X","modified":"2024-01-01T00:00:00Z"});
        assert!(matches!(from_osv(&rec, &bad), Err(CsafError::Publisher(_))));
    }

    #[test]
    fn odd_records_convert() {
        // Only GIT ranges, listed versions, a limit, an unknown ecosystem, a
        // withdrawn record, a CVSS v4 vector, odd URLs and credits.
        let d = convert(
            r#"{"id":"OSV-1","modified":"2024-02-01T00:00:00Z","published":"2024-03-01T00:00:00Z",
                "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
                            {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
                "affected":[
                  {"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"}]}]},
                  {"package":{"ecosystem":"npm","name":"@s/b"},"versions":["1.0.0","all versions"]},
                  {"package":{"ecosystem":"GitHub Actions","name":"o/r"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"limit":"9"}]}]},
                  {"ranges":[{"type":"GIT","repo":"https://y","events":[{"introduced":"0"}]}]}],
                "references":[{"type":"WEB","url":"https://x.example/a b"},{"type":"WEB","url":"nonsense"}],
                "credits":[{"name":"Ann","contact":["mailto:a@x","https://ann.example"],"type":"FINDER"}]}"#,
        );
        let text = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(d["document"]["category"], "csaf_security_advisory");
        assert!(text.contains("CVSS v4.0") && text.contains("Range limits"));
        assert!(text.contains("pkg:npm/%40s/b@1.0.0"), "{text}");
        assert!(text.contains("vers:npm/all%20versions"), "{text}");
        assert!(text.contains("vers:githubactions/*"), "{text}");
        assert!(text.contains("https://x.example/a%20b") && !text.contains("nonsense"));
        let v = &d["vulnerabilities"][0];
        assert_eq!(
            v["acknowledgments"][0]["urls"],
            json!(["https://ann.example"])
        );
        assert_eq!(v["scores"][0]["cvss_v3"]["baseScore"], 9.8);
        // published after modified: one revision.
        assert_eq!(d["document"]["tracking"]["version"], "1");

        let w = convert(
            r#"{"id":"OSV-2","modified":"2024-02-01T00:00:00Z","withdrawn":"2024-02-01T00:00:00Z",
                "summary":"Oops","affected":[{"package":{"ecosystem":"PyPI","name":"a"}}]}"#,
        );
        assert_eq!(w["document"]["category"], "csaf_base");
        assert_eq!(w["document"]["title"], "WITHDRAWN: Oops");
        assert!(w.get("product_tree").is_none());
        assert!(w["vulnerabilities"][0].get("product_status").is_none());
        assert!(
            serde_json::to_string(&w)
                .unwrap_or_default()
                .contains("withdrew")
        );
    }

    #[test]
    fn file_names_follow_the_spec() {
        assert_eq!(file_name("GHSA-jfh8-c2jp-5v3q"), "ghsa-jfh8-c2jp-5v3q.json");
        assert_eq!(file_name("Example Co/2024:1"), "example_co_2024_1.json");
    }

    #[test]
    fn uris_are_escaped() {
        assert_eq!(
            uri("https://x.example/a b%zz%20"),
            "https://x.example/a%20b%25zz%20"
        );
    }
}
