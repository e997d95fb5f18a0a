//! CVSS v3.0, v3.1 and v4.0 vectors: parsing, normalisation and scoring.
//!
//! [`parse`] accepts a vector string such as
//! `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H` or
//! `CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P`,
//! with its metrics in any order, and yields a [`Cvss`] whose `Display` is
//! the normalised vector: the specification's metric order, with metrics
//! valued `X` ("Not Defined") left out.
//!
//! [`Cvss::score`] implements:
//!
//! * v3.1: the base, temporal and environmental equations of the FIRST
//!   CVSS v3.1 specification (section 7) with the integer-based `Roundup`
//!   of its Appendix A;
//! * v3.0: the same equations as written in the v3.0 specification (plain
//!   round-up to one decimal, and the v3.0 scope-changed environmental
//!   impact);
//! * v4.0: FIRST's scoring algorithm (macro vectors EQ1..EQ6, the lookup
//!   table of macro-vector scores, and the interpolation by severity
//!   distance to the highest-severity vectors of the macro vector), as in
//!   the reference calculator (`cvss40.js`). Threat (`E`), environmental
//!   (`CR`/`IR`/`AR`, `M*`) metrics take part; supplemental metrics are
//!   accepted and kept but do not change the score.
//!
//! Everything here is pure: no IO, no allocation beyond error messages.

use std::fmt;

use crate::severity::Severity;

/// Longest vector accepted by [`parse`], in bytes. A v4.0 vector with every
/// metric defined is about 170 bytes long.
pub const MAX_VECTOR_LEN: usize = 256;

/// A CVSS specification version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CvssVersion {
    /// CVSS v3.0 (`CVSS:3.0/…`).
    V3_0,
    /// CVSS v3.1 (`CVSS:3.1/…`).
    V3_1,
    /// CVSS v4.0 (`CVSS:4.0/…`).
    V4_0,
}

impl CvssVersion {
    /// The version as written in a vector's prefix (`"3.1"`).
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }

    fn metrics(self) -> &'static [MetricDef] {
        match self {
            CvssVersion::V3_0 | CvssVersion::V3_1 => &V3_METRICS,
            CvssVersion::V4_0 => &V4_METRICS,
        }
    }
}

impl fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a CVSS vector was rejected by [`parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector is longer than [`MAX_VECTOR_LEN`] bytes.
    #[error("CVSS vector is {0} bytes long (at most {MAX_VECTOR_LEN} accepted)")]
    TooLong(usize),
    /// The vector does not start with `CVSS:`.
    #[error("CVSS vector does not start with a \"CVSS:<version>\" prefix")]
    MissingPrefix,
    /// The prefix names a version other than 3.0, 3.1 or 4.0.
    #[error("unsupported CVSS version {0:?} (expected 3.0, 3.1 or 4.0)")]
    UnsupportedVersion(String),
    /// A `/`-separated component is empty (`//`, or a trailing `/`); the
    /// position counts components after the prefix, from 1.
    #[error("empty component at position {0} of the CVSS vector")]
    EmptyComponent(usize),
    /// A component is not of the form `METRIC:VALUE`.
    #[error("CVSS component {0:?} is not METRIC:VALUE")]
    MalformedComponent(String),
    /// A metric this version does not define.
    #[error("unknown CVSS v{version} metric {metric:?}")]
    UnknownMetric {
        version: CvssVersion,
        metric: String,
    },
    /// A value the metric does not allow.
    #[error("bad value {value:?} for CVSS metric {metric}")]
    BadValue { metric: &'static str, value: String },
    /// A metric given twice.
    #[error("duplicate CVSS metric {0}")]
    DuplicateMetric(&'static str),
    /// A mandatory base metric is absent.
    #[error("missing mandatory CVSS base metric {0}")]
    MissingMetric(&'static str),
}

/// The qualitative severity rating scale shared by CVSS v3.x and v4.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rating {
    /// 0.0
    None,
    /// 0.1 – 3.9
    Low,
    /// 4.0 – 6.9
    Medium,
    /// 7.0 – 8.9
    High,
    /// 9.0 – 10.0
    Critical,
}

impl Rating {
    /// The rating of a score (one decimal, 0.0 to 10.0).
    pub fn from_score(score: f64) -> Rating {
        if score >= 9.0 {
            Rating::Critical
        } else if score >= 7.0 {
            Rating::High
        } else if score >= 4.0 {
            Rating::Medium
        } else if score >= 0.1 {
            Rating::Low
        } else {
            Rating::None
        }
    }

    /// The rating's name, as the specifications write it (`"Medium"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "None",
            Rating::Low => "Low",
            Rating::Medium => "Medium",
            Rating::High => "High",
            Rating::Critical => "Critical",
        }
    }

    /// The corresponding [`Severity`]; `None` for [`Rating::None`].
    pub fn severity(self) -> Option<Severity> {
        match self {
            Rating::None => None,
            Rating::Low => Some(Severity::Low),
            Rating::Medium => Some(Severity::Medium),
            Rating::High => Some(Severity::High),
            Rating::Critical => Some(Severity::Critical),
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which metric groups a CVSS v4.0 score takes into account (specification
/// section 1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nomenclature {
    /// `CVSS-B`: base metrics only.
    Base,
    /// `CVSS-BT`: base and threat metrics.
    BaseThreat,
    /// `CVSS-BE`: base and environmental metrics.
    BaseEnvironmental,
    /// `CVSS-BTE`: base, threat and environmental metrics.
    BaseThreatEnvironmental,
}

impl Nomenclature {
    /// `"CVSS-B"`, `"CVSS-BT"`, `"CVSS-BE"` or `"CVSS-BTE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Nomenclature::Base => "CVSS-B",
            Nomenclature::BaseThreat => "CVSS-BT",
            Nomenclature::BaseEnvironmental => "CVSS-BE",
            Nomenclature::BaseThreatEnvironmental => "CVSS-BTE",
        }
    }
}

impl fmt::Display for Nomenclature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scores of a vector.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The headline score. v3.x: the base score. v4.0: the CVSS-B, -BT, -BE
    /// or -BTE score (see `nomenclature`), which already accounts for the
    /// threat and environmental metrics present.
    pub base: f64,
    /// The rating of `base`.
    pub severity: Rating,
    /// v3.x only: the temporal score, when a temporal metric (`E`, `RL`,
    /// `RC`) is defined.
    pub temporal: Option<f64>,
    /// v3.x only: the environmental score, when an environmental metric
    /// (`CR`, `IR`, `AR`, `M*`) is defined. It includes the temporal
    /// metrics.
    pub environmental: Option<f64>,
    /// v4.0 only: which metric groups `base` accounts for.
    pub nomenclature: Option<Nomenclature>,
}

/// A parsed CVSS vector. Metrics valued `X` ("Not Defined") are stored as
/// absent, so two vectors that differ only by `X` metrics or by metric order
/// compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cvss {
    version: CvssVersion,
    /// Indexed like `version.metrics()`; values are the table's strings.
    values: [Option<&'static str>; MAX_METRICS],
}

/// Parses a CVSS v3.0, v3.1 or v4.0 vector string (case-sensitive, metrics
/// in any order, each at most once, all mandatory base metrics present).
pub fn parse(vector: &str) -> Result<Cvss, CvssError> {
    if vector.len() > MAX_VECTOR_LEN {
        return Err(CvssError::TooLong(vector.len()));
    }
    let mut parts = vector.split('/');
    let prefix = parts.next().unwrap_or_default();
    let Some(version) = prefix.strip_prefix("CVSS:") else {
        return Err(CvssError::MissingPrefix);
    };
    let version = match version {
        "3.0" => CvssVersion::V3_0,
        "3.1" => CvssVersion::V3_1,
        "4.0" => CvssVersion::V4_0,
        other => return Err(CvssError::UnsupportedVersion(other.to_owned())),
    };
    let table = version.metrics();
    let mut values = [None; MAX_METRICS];
    let mut seen = [false; MAX_METRICS];
    for (i, part) in parts.enumerate() {
        if part.is_empty() {
            return Err(CvssError::EmptyComponent(i + 1));
        }
        let Some((name, value)) = part.split_once(':') else {
            return Err(CvssError::MalformedComponent(part.to_owned()));
        };
        let Some(idx) = table.iter().position(|m| m.name == name) else {
            return Err(CvssError::UnknownMetric {
                version,
                metric: name.to_owned(),
            });
        };
        let def = &table[idx];
        if std::mem::replace(&mut seen[idx], true) {
            return Err(CvssError::DuplicateMetric(def.name));
        }
        if value == "X" && !def.mandatory {
            continue;
        }
        let Some(v) = def.values.iter().find(|v| **v == value) else {
            return Err(CvssError::BadValue {
                metric: def.name,
                value: value.to_owned(),
            });
        };
        values[idx] = Some(*v);
    }
    if let Some(def) = table.iter().zip(seen).find(|(m, s)| m.mandatory && !s) {
        return Err(CvssError::MissingMetric(def.0.name));
    }
    Ok(Cvss { version, values })
}

impl std::str::FromStr for Cvss {
    type Err = CvssError;

    fn from_str(s: &str) -> Result<Cvss, CvssError> {
        parse(s)
    }
}

impl Cvss {
    /// The vector's version.
    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The value of a metric (`"N"` for `AV:N`), or `None` when the metric is
    /// absent, `X`, or not defined by this version.
    pub fn get(&self, metric: &str) -> Option<&'static str> {
        let idx = self
            .version
            .metrics()
            .iter()
            .position(|m| m.name == metric)?;
        self.values[idx]
    }

    /// v4.0 only: which metric groups are present (`X` counts as absent).
    pub fn nomenclature(&self) -> Option<Nomenclature> {
        if self.version != CvssVersion::V4_0 {
            return None;
        }
        let threat = self.values[v4::E].is_some();
        let env = self.values[v4::CR..=v4::MSA].iter().any(Option::is_some);
        Some(match (threat, env) {
            (false, false) => Nomenclature::Base,
            (true, false) => Nomenclature::BaseThreat,
            (false, true) => Nomenclature::BaseEnvironmental,
            (true, true) => Nomenclature::BaseThreatEnvironmental,
        })
    }

    /// Scores the vector; see [`Score`].
    pub fn score(&self) -> Score {
        match self.version {
            CvssVersion::V3_0 | CvssVersion::V3_1 => {
                let s = v3::scores(self);
                let temporal = self.values[v3::E..=v3::RC].iter().any(Option::is_some);
                let env = self.values[v3::CR..=v3::MA].iter().any(Option::is_some);
                Score {
                    base: s.base,
                    severity: Rating::from_score(s.base),
                    temporal: temporal.then_some(s.temporal),
                    environmental: env.then_some(s.environmental),
                    nomenclature: None,
                }
            }
            CvssVersion::V4_0 => {
                let base = v4::score(self);
                Score {
                    base,
                    severity: Rating::from_score(base),
                    temporal: None,
                    environmental: None,
                    nomenclature: self.nomenclature(),
                }
            }
        }
    }

    /// The value at `idx`, `"X"` when absent.
    fn at(&self, idx: usize) -> &'static str {
        self.values[idx].unwrap_or("X")
    }
}

impl fmt::Display for Cvss {
    /// The normalised vector: canonical metric order, `X` metrics omitted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CVSS:{}", self.version)?;
        for (def, value) in self.version.metrics().iter().zip(self.values) {
            if let Some(v) = value {
                write!(f, "/{}:{v}", def.name)?;
            }
        }
        Ok(())
    }
}

/// One metric of a version's vector: its abbreviation, its allowed values
/// (besides `X`, which every non-mandatory metric allows).
#[derive(Debug)]
struct MetricDef {
    name: &'static str,
    values: &'static [&'static str],
    mandatory: bool,
}

const MAX_METRICS: usize = 32;

const fn base(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: true,
    }
}

const fn opt(name: &'static str, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        values,
        mandatory: false,
    }
}

const CIA3: &[&str] = &["H", "L", "N"];

/// CVSS v3.x metrics in the specification's order (v3.1 section 6).
static V3_METRICS: [MetricDef; 22] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "R"]),
    base("S", &["U", "C"]),
    base("C", CIA3),
    base("I", CIA3),
    base("A", CIA3),
    opt("E", &["U", "P", "F", "H"]),
    opt("RL", &["O", "T", "W", "U"]),
    opt("RC", &["U", "R", "C"]),
    opt("CR", &["L", "M", "H"]),
    opt("IR", &["L", "M", "H"]),
    opt("AR", &["L", "M", "H"]),
    opt("MAV", &["N", "A", "L", "P"]),
    opt("MAC", &["L", "H"]),
    opt("MPR", &["N", "L", "H"]),
    opt("MUI", &["N", "R"]),
    opt("MS", &["U", "C"]),
    opt("MC", CIA3),
    opt("MI", CIA3),
    opt("MA", CIA3),
];

/// CVSS v4.0 metrics in the specification's order (v4.0 section 7).
static V4_METRICS: [MetricDef; 32] = [
    base("AV", &["N", "A", "L", "P"]),
    base("AC", &["L", "H"]),
    base("AT", &["N", "P"]),
    base("PR", &["N", "L", "H"]),
    base("UI", &["N", "P", "A"]),
    base("VC", CIA3),
    base("VI", CIA3),
    base("VA", CIA3),
    base("SC", CIA3),
    base("SI", CIA3),
    base("SA", CIA3),
    opt("E", &["A", "P", "U"]),
    opt("CR", &["H", "M", "L"]),
    opt("IR", &["H", "M", "L"]),
    opt("AR", &["H", "M", "L"]),
    opt("MAV", &["N", "A", "L", "P"]),
    opt("MAC", &["L", "H"]),
    opt("MAT", &["N", "P"]),
    opt("MPR", &["N", "L", "H"]),
    opt("MUI", &["N", "P", "A"]),
    opt("MVC", CIA3),
    opt("MVI", CIA3),
    opt("MVA", CIA3),
    opt("MSC", CIA3),
    opt("MSI", &["S", "H", "L", "N"]),
    opt("MSA", &["S", "H", "L", "N"]),
    opt("S", &["N", "P"]),
    opt("AU", &["N", "Y"]),
    opt("R", &["A", "U", "I"]),
    opt("V", &["D", "C"]),
    opt("RE", &["L", "M", "H"]),
    opt("U", &["Clear", "Green", "Amber", "Red"]),
];

/// CVSS v3.0 and v3.1 equations.
mod v3 {
    use super::{Cvss, CvssVersion};

    pub(super) const AV: usize = 0;
    pub(super) const AC: usize = 1;
    pub(super) const PR: usize = 2;
    pub(super) const UI: usize = 3;
    pub(super) const S: usize = 4;
    pub(super) const C: usize = 5;
    pub(super) const I: usize = 6;
    pub(super) const A: usize = 7;
    pub(super) const E: usize = 8;
    pub(super) const RL: usize = 9;
    pub(super) const RC: usize = 10;
    pub(super) const CR: usize = 11;
    pub(super) const IR: usize = 12;
    pub(super) const AR: usize = 13;
    pub(super) const MAV: usize = 14;
    pub(super) const MAC: usize = 15;
    pub(super) const MPR: usize = 16;
    pub(super) const MUI: usize = 17;
    pub(super) const MS: usize = 18;
    pub(super) const MC: usize = 19;
    pub(super) const MI: usize = 20;
    pub(super) const MA: usize = 21;

    /// Base, temporal and environmental scores, each computed whether or not
    /// its metrics are defined (undefined metrics weigh as `X`).
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub(super) struct Scores {
        pub(super) base: f64,
        pub(super) temporal: f64,
        pub(super) environmental: f64,
    }

    /// v3.1 Appendix A: round up to one decimal, working on integers to
    /// avoid floating-point artefacts.
    pub(super) fn roundup_31(x: f64) -> f64 {
        let int_input = (x * 100_000.0).round() as i64;
        if int_input % 10_000 == 0 {
            int_input as f64 / 100_000.0
        } else {
            ((int_input / 10_000) as f64 + 1.0) / 10.0
        }
    }

    /// v3.0: the smallest one-decimal number not below the input.
    fn roundup_30(x: f64) -> f64 {
        (x * 10.0).ceil() / 10.0
    }

    fn av(v: &str) -> f64 {
        match v {
            "N" => 0.85,
            "A" => 0.62,
            "L" => 0.55,
            _ => 0.2,
        }
    }

    fn ac(v: &str) -> f64 {
        match v {
            "L" => 0.77,
            _ => 0.44,
        }
    }

    fn pr(v: &str, scope_changed: bool) -> f64 {
        match (v, scope_changed) {
            ("N", _) => 0.85,
            ("L", false) => 0.62,
            ("L", true) => 0.68,
            (_, false) => 0.27,
            (_, true) => 0.5,
        }
    }

    fn ui(v: &str) -> f64 {
        match v {
            "N" => 0.85,
            _ => 0.62,
        }
    }

    fn cia(v: &str) -> f64 {
        match v {
            "H" => 0.56,
            "L" => 0.22,
            _ => 0.0,
        }
    }

    fn e(v: &str) -> f64 {
        match v {
            "U" => 0.91,
            "P" => 0.94,
            "F" => 0.97,
            _ => 1.0,
        }
    }

    fn rl(v: &str) -> f64 {
        match v {
            "O" => 0.95,
            "T" => 0.96,
            "W" => 0.97,
            _ => 1.0,
        }
    }

    fn rc(v: &str) -> f64 {
        match v {
            "U" => 0.92,
            "R" => 0.96,
            _ => 1.0,
        }
    }

    fn requirement(v: &str) -> f64 {
        match v {
            "L" => 0.5,
            "H" => 1.5,
            _ => 1.0,
        }
    }

    pub(super) fn scores(c: &Cvss) -> Scores {
        let v31 = c.version != CvssVersion::V3_0;
        let roundup = if v31 { roundup_31 } else { roundup_30 };
        let v = |i: usize| c.at(i);
        // A modified metric, or the base metric it modifies when it is X.
        let m = |mi: usize, bi: usize| match c.at(mi) {
            "X" => c.at(bi),
            mv => mv,
        };

        // Base (7.1).
        let changed = v(S) == "C";
        let iss = 1.0 - ((1.0 - cia(v(C))) * (1.0 - cia(v(I))) * (1.0 - cia(v(A))));
        let impact = if changed {
            7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powf(15.0)
        } else {
            6.42 * iss
        };
        let exploitability = 8.22 * av(v(AV)) * ac(v(AC)) * pr(v(PR), changed) * ui(v(UI));
        let base = if impact <= 0.0 {
            0.0
        } else if changed {
            roundup((1.08 * (impact + exploitability)).min(10.0))
        } else {
            roundup((impact + exploitability).min(10.0))
        };

        // Temporal (7.2).
        let (we, wrl, wrc) = (e(v(E)), rl(v(RL)), rc(v(RC)));
        let temporal = roundup(base * we * wrl * wrc);

        // Environmental (7.3).
        let mchanged = m(MS, S) == "C";
        let miss = (1.0
            - ((1.0 - cia(m(MC, C)) * requirement(v(CR)))
                * (1.0 - cia(m(MI, I)) * requirement(v(IR)))
                * (1.0 - cia(m(MA, A)) * requirement(v(AR)))))
        .min(0.915);
        let mimpact = if !mchanged {
            6.42 * miss
        } else if v31 {
            7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powf(13.0)
        } else {
            7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powf(15.0)
        };
        let mexploitability =
            8.22 * av(m(MAV, AV)) * ac(m(MAC, AC)) * pr(m(MPR, PR), mchanged) * ui(m(MUI, UI));
        let environmental = if mimpact <= 0.0 {
            0.0
        } else if mchanged {
            roundup(roundup((1.08 * (mimpact + mexploitability)).min(10.0)) * we * wrl * wrc)
        } else {
            roundup(roundup((mimpact + mexploitability).min(10.0)) * we * wrl * wrc)
        };

        Scores {
            base,
            temporal,
            environmental,
        }
    }
}

/// The CVSS v4.0 scoring algorithm, following FIRST's reference calculator
/// (`cvss40.js`: `calculateScore`, `LOOKUP_TABLE`, `MAX_COMPOSED`,
/// `MAX_SEVERITY`, `METRIC_LEVELS`) operation for operation, so that the
/// floating-point results agree with it.
mod v4 {
    use super::Cvss;

    pub(super) const AV: usize = 0;
    pub(super) const AC: usize = 1;
    pub(super) const AT: usize = 2;
    pub(super) const PR: usize = 3;
    pub(super) const UI: usize = 4;
    pub(super) const VC: usize = 5;
    pub(super) const VI: usize = 6;
    pub(super) const VA: usize = 7;
    pub(super) const SC: usize = 8;
    pub(super) const SI: usize = 9;
    pub(super) const SA: usize = 10;
    pub(super) const E: usize = 11;
    pub(super) const CR: usize = 12;
    pub(super) const IR: usize = 13;
    pub(super) const AR: usize = 14;
    /// `MAV`; the modified metrics follow in base-metric order, so the
    /// modified form of base metric `i` is at `MAV + i`.
    pub(super) const MAV: usize = 15;
    pub(super) const MSI: usize = 24;
    pub(super) const MSA: usize = 25;

    /// The value a metric takes in the computation: `E`, `CR`, `IR`, `AR`
    /// default to their worst case when undefined; a defined modified base
    /// metric overrides the base metric.
    fn effective(c: &Cvss, idx: usize) -> &'static str {
        match idx {
            E => c.values[E].unwrap_or("A"),
            CR | IR | AR => c.values[idx].unwrap_or("H"),
            _ if idx <= SA => c.values[MAV + idx].or(c.values[idx]).unwrap_or_default(),
            _ => c.at(idx),
        }
    }

    /// `METRIC_LEVELS`: a value's distance from the metric's most severe
    /// value, in steps of 0.1.
    fn level(metric: usize, v: &str) -> f64 {
        match (metric, v) {
            (AV, "N") | (PR, "N") | (UI, "N") | (AC, "L") | (AT, "N") => 0.0,
            (AV, "A") | (PR, "L") | (UI, "P") | (AC, "H") | (AT, "P") => 0.1,
            (AV, "L") | (PR, "H") | (UI, "A") => 0.2,
            (AV, "P") => 0.3,
            (VC | VI | VA, "H") => 0.0,
            (VC | VI | VA, "L") => 0.1,
            (VC | VI | VA, "N") => 0.2,
            (SC | SI | SA, "S") => 0.0,
            (SC | SI | SA, "H") => 0.1,
            (SC | SI | SA, "L") => 0.2,
            (SC | SI | SA, "N") => 0.3,
            (CR | IR | AR, "H") => 0.0,
            (CR | IR | AR, "M") => 0.1,
            (CR | IR | AR, "L") => 0.2,
            (E, "A") => 0.0,
            (E, "P") => 0.1,
            (E, "U") => 0.2,
            _ => f64::NAN,
        }
    }

    /// The macro vector (EQ1..EQ6) of the effective metric values.
    fn macro_vector(c: &Cvss) -> [u8; 6] {
        let m = |i| effective(c, i);
        let (av, pr, ui) = (m(AV), m(PR), m(UI));
        let eq1 = if av == "N" && pr == "N" && ui == "N" {
            0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            1
        } else {
            2
        };
        let eq2 = if m(AC) == "L" && m(AT) == "N" { 0 } else { 1 };
        let (vc, vi, va) = (m(VC), m(VI), m(VA));
        let eq3 = if vc == "H" && vi == "H" {
            0
        } else if vc == "H" || vi == "H" || va == "H" {
            1
        } else {
            2
        };
        let (msi, msa) = (c.at(MSI), c.at(MSA));
        let eq4 = if msi == "S" || msa == "S" {
            0
        } else if m(SC) == "H" || m(SI) == "H" || m(SA) == "H" {
            1
        } else {
            2
        };
        let eq5 = match m(E) {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = if (m(CR) == "H" && vc == "H")
            || (m(IR) == "H" && vi == "H")
            || (m(AR) == "H" && va == "H")
        {
            0
        } else {
            1
        };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }

    /// `LOOKUP_TABLE`: the score of each macro vector, sorted by key.
    pub(super) static LOOKUP: [(&str, f64); 270] = [
        ("000000", 10.0),
        ("000001", 9.9),
        ("000010", 9.8),
        ("000011", 9.5),
        ("000020", 9.5),
        ("000021", 9.2),
        ("000100", 10.0),
        ("000101", 9.6),
        ("000110", 9.3),
        ("000111", 8.7),
        ("000120", 9.1),
        ("000121", 8.1),
        ("000200", 9.3),
        ("000201", 9.0),
        ("000210", 8.9),
        ("000211", 8.0),
        ("000220", 8.1),
        ("000221", 6.8),
        ("001000", 9.8),
        ("001001", 9.5),
        ("001010", 9.5),
        ("001011", 9.2),
        ("001020", 9.0),
        ("001021", 8.4),
        ("001100", 9.3),
        ("001101", 9.2),
        ("001110", 8.9),
        ("001111", 8.1),
        ("001120", 8.1),
        ("001121", 6.5),
        ("001200", 8.8),
        ("001201", 8.0),
        ("001210", 7.8),
        ("001211", 7.0),
        ("001220", 6.9),
        ("001221", 4.8),
        ("002001", 9.2),
        ("002011", 8.2),
        ("002021", 7.2),
        ("002101", 7.9),
        ("002111", 6.9),
        ("002121", 5.0),
        ("002201", 6.9),
        ("002211", 5.5),
        ("002221", 2.7),
        ("010000", 9.9),
        ("010001", 9.7),
        ("010010", 9.5),
        ("010011", 9.2),
        ("010020", 9.2),
        ("010021", 8.5),
        ("010100", 9.5),
        ("010101", 9.1),
        ("010110", 9.0),
        ("010111", 8.3),
        ("010120", 8.4),
        ("010121", 7.1),
        ("010200", 9.2),
        ("010201", 8.1),
        ("010210", 8.2),
        ("010211", 7.1),
        ("010220", 7.2),
        ("010221", 5.3),
        ("011000", 9.5),
        ("011001", 9.3),
        ("011010", 9.2),
        ("011011", 8.5),
        ("011020", 8.5),
        ("011021", 7.3),
        ("011100", 9.2),
        ("011101", 8.2),
        ("011110", 8.0),
        ("011111", 7.2),
        ("011120", 7.0),
        ("011121", 5.9),
        ("011200", 8.4),
        ("011201", 7.0),
        ("011210", 7.1),
        ("011211", 5.2),
        ("011220", 5.0),
        ("011221", 3.0),
        ("012001", 8.6),
        ("012011", 7.5),
        ("012021", 5.2),
        ("012101", 7.1),
        ("012111", 5.2),
        ("012121", 2.9),
        ("012201", 6.3),
        ("012211", 2.9),
        ("012221", 1.7),
        ("100000", 9.8),
        ("100001", 9.5),
        ("100010", 9.4),
        ("100011", 8.7),
        ("100020", 9.1),
        ("100021", 8.1),
        ("100100", 9.4),
        ("100101", 8.9),
        ("100110", 8.6),
        ("100111", 7.4),
        ("100120", 7.7),
        ("100121", 6.4),
        ("100200", 8.7),
        ("100201", 7.5),
        ("100210", 7.4),
        ("100211", 6.3),
        ("100220", 6.3),
        ("100221", 4.9),
        ("101000", 9.4),
        ("101001", 8.9),
        ("101010", 8.8),
        ("101011", 7.7),
        ("101020", 7.6),
        ("101021", 6.7),
        ("101100", 8.6),
        ("101101", 7.6),
        ("101110", 7.4),
        ("101111", 5.8),
        ("101120", 5.9),
        ("101121", 5.0),
        ("101200", 7.2),
        ("101201", 5.7),
        ("101210", 5.7),
        ("101211", 5.2),
        ("101220", 5.2),
        ("101221", 2.5),
        ("102001", 8.3),
        ("102011", 7.0),
        ("102021", 5.4),
        ("102101", 6.5),
        ("102111", 5.8),
        ("102121", 2.6),
        ("102201", 5.3),
        ("102211", 2.1),
        ("102221", 1.3),
        ("110000", 9.5),
        ("110001", 9.0),
        ("110010", 8.8),
        ("110011", 7.6),
        ("110020", 7.6),
        ("110021", 7.0),
        ("110100", 9.0),
        ("110101", 7.7),
        ("110110", 7.5),
        ("110111", 6.2),
        ("110120", 6.1),
        ("110121", 5.3),
        ("110200", 7.7),
        ("110201", 6.6),
        ("110210", 6.8),
        ("110211", 5.9),
        ("110220", 5.2),
        ("110221", 3.0),
        ("111000", 8.9),
        ("111001", 7.8),
        ("111010", 7.6),
        ("111011", 6.7),
        ("111020", 6.2),
        ("111021", 5.8),
        ("111100", 7.4),
        ("111101", 5.9),
        ("111110", 5.7),
        ("111111", 5.7),
        ("111120", 4.7),
        ("111121", 2.3),
        ("111200", 6.1),
        ("111201", 5.2),
        ("111210", 5.7),
        ("111211", 2.9),
        ("111220", 2.4),
        ("111221", 1.6),
        ("112001", 7.1),
        ("112011", 5.9),
        ("112021", 3.0),
        ("112101", 5.8),
        ("112111", 2.6),
        ("112121", 1.5),
        ("112201", 2.3),
        ("112211", 1.3),
        ("112221", 0.6),
        ("200000", 9.3),
        ("200001", 8.7),
        ("200010", 8.6),
        ("200011", 7.2),
        ("200020", 7.5),
        ("200021", 5.8),
        ("200100", 8.6),
        ("200101", 7.4),
        ("200110", 7.4),
        ("200111", 6.1),
        ("200120", 5.6),
        ("200121", 3.4),
        ("200200", 7.0),
        ("200201", 5.4),
        ("200210", 5.2),
        ("200211", 4.0),
        ("200220", 4.0),
        ("200221", 2.2),
        ("201000", 8.5),
        ("201001", 7.5),
        ("201010", 7.4),
        ("201011", 5.5),
        ("201020", 6.2),
        ("201021", 5.1),
        ("201100", 7.2),
        ("201101", 5.7),
        ("201110", 5.5),
        ("201111", 4.1),
        ("201120", 4.6),
        ("201121", 1.9),
        ("201200", 5.3),
        ("201201", 3.6),
        ("201210", 3.4),
        ("201211", 1.9),
        ("201220", 1.9),
        ("201221", 0.8),
        ("202001", 6.4),
        ("202011", 5.1),
        ("202021", 2.0),
        ("202101", 4.7),
        ("202111", 2.1),
        ("202121", 1.1),
        ("202201", 2.4),
        ("202211", 0.9),
        ("202221", 0.4),
        ("210000", 8.8),
        ("210001", 7.5),
        ("210010", 7.3),
        ("210011", 5.3),
        ("210020", 6.0),
        ("210021", 5.0),
        ("210100", 7.3),
        ("210101", 5.5),
        ("210110", 5.9),
        ("210111", 4.0),
        ("210120", 4.1),
        ("210121", 2.0),
        ("210200", 5.4),
        ("210201", 4.3),
        ("210210", 4.5),
        ("210211", 2.2),
        ("210220", 2.0),
        ("210221", 1.1),
        ("211000", 7.5),
        ("211001", 5.5),
        ("211010", 5.8),
        ("211011", 4.5),
        ("211020", 4.0),
        ("211021", 2.1),
        ("211100", 6.1),
        ("211101", 5.1),
        ("211110", 4.8),
        ("211111", 1.8),
        ("211120", 2.0),
        ("211121", 0.9),
        ("211200", 4.6),
        ("211201", 1.8),
        ("211210", 1.7),
        ("211211", 0.7),
        ("211220", 0.8),
        ("211221", 0.2),
        ("212001", 5.3),
        ("212011", 2.4),
        ("212021", 1.4),
        ("212101", 2.4),
        ("212111", 1.2),
        ("212121", 0.5),
        ("212201", 1.0),
        ("212211", 0.3),
        ("212221", 0.1),
    ];

    /// The score of a macro vector; `None` for one that does not exist
    /// (an EQ level past its last, or EQ3 = 2 with EQ6 = 0).
    pub(super) fn lookup(mv: [u8; 6]) -> Option<f64> {
        let key = mv.map(|d| b'0'.wrapping_add(d));
        LOOKUP
            .binary_search_by(|(k, _)| k.as_bytes().cmp(&key[..]))
            .ok()
            .map(|i| LOOKUP[i].1)
    }

    /// `MAX_COMPOSED` EQ1: the highest-severity (AV, PR, UI) of each level.
    const MAX_EQ1: [&[[&str; 3]]; 3] = [
        &[["N", "N", "N"]],
        &[["A", "N", "N"], ["N", "L", "N"], ["N", "N", "P"]],
        &[["P", "N", "N"], ["A", "L", "P"]],
    ];
    /// EQ2: (AC, AT).
    const MAX_EQ2: [&[[&str; 2]]; 2] = [&[["L", "N"]], &[["H", "N"], ["L", "P"]]];
    /// EQ3 and EQ6 together, indexed `[eq3][eq6]`: (VC, VI, VA, CR, IR, AR).
    const MAX_EQ3_EQ6: [[&[[&str; 6]]; 2]; 3] = [
        [
            &[["H", "H", "H", "H", "H", "H"]],
            &[
                ["H", "H", "L", "M", "M", "H"],
                ["H", "H", "H", "M", "M", "M"],
            ],
        ],
        [
            &[
                ["L", "H", "H", "H", "H", "H"],
                ["H", "L", "H", "H", "H", "H"],
            ],
            &[
                ["L", "H", "L", "H", "M", "H"],
                ["L", "H", "H", "H", "M", "M"],
                ["H", "L", "H", "M", "H", "M"],
                ["H", "L", "L", "M", "H", "H"],
                ["L", "L", "H", "H", "H", "M"],
            ],
        ],
        [&[], &[["L", "L", "L", "H", "H", "H"]]],
    ];
    /// EQ4: (SC, SI, SA).
    const MAX_EQ4: [[&str; 3]; 3] = [["H", "S", "S"], ["H", "H", "H"], ["L", "L", "L"]];
    /// EQ5: E.
    const MAX_EQ5: [&str; 3] = ["A", "P", "U"];

    /// `MAX_SEVERITY`: the depth of each macro vector, in steps.
    const DEPTH_EQ1: [u8; 3] = [1, 4, 5];
    const DEPTH_EQ2: [u8; 2] = [1, 2];
    const DEPTH_EQ3_EQ6: [[u8; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
    const DEPTH_EQ4: [u8; 3] = [6, 5, 4];

    const STEP: f64 = 0.1;

    /// Severity distances of the vector from one highest-severity vector, in
    /// `METRIC_LEVELS` order: AV PR UI AC AT VC VI VA SC SI SA CR IR AR E.
    type Distances = [f64; 15];

    pub(super) fn score(c: &Cvss) -> f64 {
        let m = |i| effective(c, i);
        if [VC, VI, VA, SC, SI, SA].iter().all(|&i| m(i) == "N") {
            return 0.0;
        }
        let mv = macro_vector(c);
        let Some(value) = lookup(mv) else {
            // Unreachable: every macro vector of a valid vector is tabled.
            return 0.0;
        };
        let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
        let with = |pos: usize, delta: u8| {
            let mut next = mv;
            next[pos] += delta;
            next
        };

        // 1.a The maximal scoring difference of each EQ: the score of this
        // macro vector minus that of the next lower one (NaN when none).
        let next = |mv: [u8; 6]| lookup(mv).unwrap_or(f64::NAN);
        let next_eq1 = next(with(0, 1));
        let next_eq2 = next(with(1, 1));
        let next_eq3_eq6 = match (eq3, eq6) {
            (1, 1) | (0, 1) => next(with(2, 1)),
            (1, 0) => next(with(5, 1)),
            (0, 0) => next(with(5, 1)).max(next(with(2, 1))),
            _ => f64::NAN,
        };
        let next_eq4 = next(with(3, 1));
        let next_eq5 = next(with(4, 1));

        // 1.b The severity distance from the first highest-severity vector
        // of the macro vector that is at least as severe in every metric.
        let eff = [
            m(AV),
            m(PR),
            m(UI),
            m(AC),
            m(AT),
            m(VC),
            m(VI),
            m(VA),
            m(SC),
            m(SI),
            m(SA),
            m(CR),
            m(IR),
            m(AR),
            m(E),
        ];
        const ORDER: [usize; 15] = [AV, PR, UI, AC, AT, VC, VI, VA, SC, SI, SA, CR, IR, AR, E];
        let mut distances: Distances = [f64::NAN; 15];
        'search: for e1 in MAX_EQ1[usize::from(eq1)] {
            for e2 in MAX_EQ2[usize::from(eq2)] {
                for e36 in MAX_EQ3_EQ6[usize::from(eq3)][usize::from(eq6)] {
                    let e4 = &MAX_EQ4[usize::from(eq4)];
                    let e5 = MAX_EQ5[usize::from(eq5)];
                    let max = [
                        e1[0], e1[1], e1[2], e2[0], e2[1], e36[0], e36[1], e36[2], e4[0], e4[1],
                        e4[2], e36[3], e36[4], e36[5], e5,
                    ];
                    for k in 0..15 {
                        distances[k] = level(ORDER[k], eff[k]) - level(ORDER[k], max[k]);
                    }
                    if distances.iter().all(|d| *d >= 0.0) {
                        break 'search;
                    }
                }
            }
        }
        let [
            d_av,
            d_pr,
            d_ui,
            d_ac,
            d_at,
            d_vc,
            d_vi,
            d_va,
            d_sc,
            d_si,
            d_sa,
            d_cr,
            d_ir,
            d_ar,
            _,
        ] = distances;
        let current_eq1 = d_av + d_pr + d_ui;
        let current_eq2 = d_ac + d_at;
        let current_eq3_eq6 = d_vc + d_vi + d_va + d_cr + d_ir + d_ar;
        let current_eq4 = d_sc + d_si + d_sa;

        // 1.c/d Proportion of the distance to the macro vector's depth, times
        // the maximal scoring difference.
        let max_eq1 = f64::from(DEPTH_EQ1[usize::from(eq1)]) * STEP;
        let max_eq2 = f64::from(DEPTH_EQ2[usize::from(eq2)]) * STEP;
        let max_eq3_eq6 = f64::from(DEPTH_EQ3_EQ6[usize::from(eq3)][usize::from(eq6)]) * STEP;
        let max_eq4 = f64::from(DEPTH_EQ4[usize::from(eq4)]) * STEP;
        let mut n_existing_lower = 0u32;
        let mut normalized = [0.0f64; 5];
        let parts = [
            (value - next_eq1, current_eq1 / max_eq1),
            (value - next_eq2, current_eq2 / max_eq2),
            (value - next_eq3_eq6, current_eq3_eq6 / max_eq3_eq6),
            (value - next_eq4, current_eq4 / max_eq4),
            // EQ5 has a single metric: the proportion is always 0.
            (value - next_eq5, 0.0),
        ];
        for (slot, (available, percent)) in normalized.iter_mut().zip(parts) {
            if !available.is_nan() {
                n_existing_lower += 1;
                *slot = available * percent;
            }
        }

        // 2. The mean of the proportional distances.
        let mean = if n_existing_lower == 0 {
            0.0
        } else {
            (normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4])
                / f64::from(n_existing_lower)
        };

        // 3. The macro vector's score minus the mean, rounded to one decimal.
        let x = (value - mean).clamp(0.0, 10.0);
        (x * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn score_of(v: &str) -> Score {
        parse(v).unwrap_or_else(|e| panic!("{v}: {e}")).score()
    }

    /// v3.1 (base, temporal, environmental), each computed as if all
    /// metrics were present.
    fn v3_triple(v: &str) -> (f64, f64, f64) {
        let c = parse(v).unwrap_or_else(|e| panic!("{v}: {e}"));
        let s = v3::scores(&c);
        (s.base, s.temporal, s.environmental)
    }

    /// CVSS v3.1 vectors with (base, temporal, environmental) scores, the
    /// last two computed with every undefined metric as `X`.
    const V31: &[(&str, (f64, f64, f64))] = &[
        // RedHatProductSecurity/cvss tests/vectors_simple31 (generated with
        // the FIRST v3.1 calculator). The ones whose environmental score
        // differs from the base score exercise the v3.1 scope-changed
        // modified-impact formula (0.9731, exponent 13).
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            (10.0, 10.0, 10.0),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:L/A:L",
            (9.9, 9.9, 9.9),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N",
            (5.8, 5.8, 5.8),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N",
            (0.0, 0.0, 0.0),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            (9.8, 9.8, 9.8),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L",
            (7.3, 7.3, 7.3),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
            (5.3, 5.3, 5.3),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
            (9.6, 9.6, 9.7),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:N/A:N",
            (4.7, 4.7, 4.7),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:L",
            (6.3, 6.3, 6.3),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
            (9.9, 9.9, 10.0),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:L",
            (7.4, 7.4, 7.4),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N",
            (8.1, 8.1, 8.1),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H",
            (9.0, 9.0, 9.1),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:N/A:N",
            (4.1, 4.1, 4.1),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N",
            (3.5, 3.5, 3.5),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:L",
            (6.6, 6.6, 6.6),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
            (7.2, 7.2, 7.2),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:N/A:N",
            (4.9, 4.9, 4.9),
        ),
        // pandatix/go-cvss 31/cvss31_test.go (CVE-2021-28378,
        // CVE-2020-14144, CVE-2021-44228 as scored by NVD, and "all-defined").
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
            (5.4, 5.4, 5.4),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
            (7.2, 7.2, 7.2),
        ),
        (
            "CVSS:3.1/AV:A/AC:H/PR:L/UI:N/S:C/C:H/I:L/A:L/E:F/RL:U/RC:R/CR:H/IR:M/AR:L/MAV:N/MAC:L/MPR:N/MUI:N/MS:C/MC:H/MI:H/MA:H",
            (7.1, 6.7, 9.4),
        ),
        // Temporal scores of CVE-2021-44228-like 9.8 vectors: 9.8 × E × RL ×
        // RC rounded up per the spec (9.8·0.97·0.95·0.96 = 8.669 → 8.7, …);
        // the same values appear in other implementations' test suites.
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:R",
            (9.8, 8.7, 8.7),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C",
            (9.8, 9.1, 9.1),
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:U/RC:U",
            (9.8, 8.3, 8.3),
        ),
    ];

    /// CVSS v3.0 vectors: RedHatProductSecurity/cvss tests/vectors_cvsslib3
    /// and tests/vectors_calculator3 (FIRST v3.0 calculator).
    const V30: &[(&str, (f64, f64, f64))] = &[
        (
            "CVSS:3.0/AV:L/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N/MAV:A/MAC:L/MPR:N/MUI:N/MS:U/MC:N/MI:N/MA:N",
            (4.6, 4.6, 0.0),
        ),
        (
            "CVSS:3.0/AV:L/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N/MAV:A/MAC:L/MPR:N/MUI:N/MS:U/MC:L/MI:N/MA:N",
            (4.6, 4.6, 4.3),
        ),
        (
            "CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:N/A:H/E:H/RL:W/RC:U/CR:H/IR:H/AR:M/MAV:L/MAC:L/MPR:H/MUI:N/MS:C/MC:N/MI:H/MA:L",
            (5.8, 5.2, 7.4),
        ),
        (
            "CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:H/I:N/A:H/MPR:N",
            (5.8, 5.8, 7.1),
        ),
        (
            "CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:L/E:U/RL:U/RC:R/CR:M/MPR:L/MUI:R/MI:N/MA:H",
            (7.7, 6.8, 6.3),
        ),
        (
            "CVSS:3.0/AV:L/AC:H/PR:H/UI:N/S:C/C:N/I:H/A:N/E:P/RL:U/RC:U/CR:H/IR:L/AR:H/MAV:L/MUI:R/MS:C/MC:N/MI:L/MA:N",
            (5.3, 4.6, 1.3),
        ),
        (
            "CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X",
            (3.8, 3.7, 3.7),
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/MAV:N/MAC:L/MPR:L/MUI:N/MS:C/MC:H/MI:H/MA:H",
            (9.3, 8.9, 9.5),
        ),
        // The v3.0 environmental equation gives 9.6 here where v3.1 gives 9.7.
        (
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H",
            (9.6, 9.6, 9.6),
        ),
        (
            "CVSS:3.0/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L",
            (4.2, 4.2, 4.2),
        ),
        (
            "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N",
            (6.8, 6.8, 6.8),
        ),
        (
            "CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
            (4.6, 4.6, 4.6),
        ),
    ];

    /// CVSS v4.0 vectors and scores.
    const V40: &[(&str, f64)] = &[
        // FIRST "CVSS v4.0 Examples" page (first.org/cvss/v4-0/examples),
        // the scores it prints.
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            7.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
            5.2,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N",
            8.3,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
            8.1,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L",
            8.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U",
            6.6,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N",
            8.3,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U",
            5.6,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P",
            8.6,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P",
            9.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/V:C",
            8.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H",
            6.4,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H/E:U/MAV:A/R:U/V:C",
            2.4,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H/MAV:L/MAT:P",
            8.9,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/MVC:N/MVI:N/MVA:N",
            0.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
            7.1,
        ),
        // RedHatProductSecurity/cvss tests/vectors_simple4 (base only).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L",
            9.2,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L",
            7.8,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L",
            5.3,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.6,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:H/VI:L/VA:L/SC:L/SI:L/SA:L",
            7.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N",
            4.8,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N",
            2.1,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N",
            1.8,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N",
            4.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:L/VA:N/SC:L/SI:L/SA:H",
            9.1,
        ),
        // tests/vectors_threat4.
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A",
            7.3,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P",
            5.9,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U",
            4.1,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:U",
            0.0,
        ),
        // tests/vectors_security4 (CR/IR/AR).
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M",
            7.2,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:M/AR:L",
            7.1,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:M",
            5.5,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L",
            5.4,
        ),
        // tests/vectors_supplemental4 (supplemental metrics do not count).
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:N/AU:Y/R:I/V:C/RE:H/U:Red",
            7.3,
        ),
        // tests/test_cvss4.py (as_json tests).
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L",
            7.9,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H",
            7.7,
        ),
        // pandatix/go-cvss 40/cvss40_test.go.
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:H/SA:H",
            7.9,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U",
            9.1,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MVI:L/MSA:S",
            9.8,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            1.0,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L",
            5.2,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/E:P/CR:H/IR:M/AR:H/MAV:A/MAT:P/MPR:N/MVI:H/MVA:N/MSI:H/MSA:N/S:N/V:C/U:Amber",
            4.7,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L",
            5.8,
        ),
    ];

    /// RedHatProductSecurity/cvss tests/test_cvss4.py `test_severity`: full
    /// BTE vectors with supplemental metrics, in scrambled order, with the
    /// rating the reference gives.
    const V40_RATINGS: &[(&str, Rating)] = &[
        (
            "CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/AU:N/SA:N/S:P/R:A/V:D/RE:L/U:Red/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/CR:H/IR:L/AR:L/E:P",
            Rating::Low,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:M/U:Amber/MAV:L/MAC:H/MAT:P/MPR:N/MUI:P/MVC:L/MVI:N/MVA:H/MSC:H/MSI:H/MSA:S/CR:M/IR:M/AR:M/E:A",
            Rating::High,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:L/SI:N/AU:Y/SA:L/S:P/R:U/V:D/RE:M/U:Red/MAV:N/MAC:H/MAT:P/MPR:H/MUI:P/MVC:L/MVI:H/MVA:L/MSC:N/MSI:H/MSA:H/CR:L/IR:H/AR:M/E:U",
            Rating::Low,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:H/VA:N/SC:H/SI:N/AU:Y/SA:N/S:N/R:I/V:C/RE:L/U:Green/MAV:L/MAC:L/MAT:N/MPR:H/MUI:P/MVC:L/MVI:L/MVA:N/MSC:H/MSI:H/MSA:S/CR:H/IR:H/AR:H/E:P",
            Rating::Medium,
        ),
        (
            "CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:H/VI:N/VA:H/SC:L/SI:N/AU:N/SA:H/S:P/R:I/V:D/RE:M/U:Red/MAV:N/MAC:L/MAT:N/MPR:N/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:S/CR:H/IR:H/AR:H/E:U",
            Rating::Critical,
        ),
        (
            "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:L/SI:H/AU:N/SA:H/S:P/R:U/V:C/RE:H/U:Red/MAV:L/MAC:L/MAT:P/MPR:L/MUI:P/MVC:N/MVI:N/MVA:N/MSC:N/MSI:N/MSA:N/CR:H/IR:H/AR:H/E:P",
            Rating::None,
        ),
    ];

    fn assert_score(actual: f64, expected: f64, what: &str) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{what}: got {actual}, expected {expected}"
        );
    }

    #[test]
    fn v31_scores_match_reference() {
        assert!(V31.len() >= 15);
        for (v, (b, t, e)) in V31 {
            let (ab, at, ae) = v3_triple(v);
            assert_score(ab, *b, &format!("{v} base"));
            assert_score(at, *t, &format!("{v} temporal"));
            assert_score(ae, *e, &format!("{v} environmental"));
            let s = score_of(v);
            assert_eq!(s.base, ab);
            assert_eq!(s.severity, Rating::from_score(*b));
            assert_eq!(s.nomenclature, None);
        }
    }

    #[test]
    fn v30_scores_match_reference() {
        for (v, (b, t, e)) in V30 {
            let (ab, at, ae) = v3_triple(v);
            assert_score(ab, *b, &format!("{v} base"));
            assert_score(at, *t, &format!("{v} temporal"));
            assert_score(ae, *e, &format!("{v} environmental"));
        }
    }

    #[test]
    fn v3_temporal_and_environmental_only_when_defined() {
        let s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H");
        assert_eq!((s.base, s.temporal, s.environmental), (9.6, None, None));
        assert_eq!(s.severity, Rating::Critical);
        let s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:U/RC:U");
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (9.8, Some(8.3), None)
        );
        let s = score_of(
            "CVSS:3.1/AV:A/AC:H/PR:L/UI:N/S:C/C:H/I:L/A:L/E:F/RL:U/RC:R/CR:H/IR:M/AR:L/MAV:N/MAC:L/MPR:N/MUI:N/MS:C/MC:H/MI:H/MA:H",
        );
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (7.1, Some(6.7), Some(9.4))
        );
        assert_eq!(s.severity, Rating::High);
        // X values count as absent.
        let s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/CR:X/MAV:X");
        assert_eq!((s.temporal, s.environmental), (None, None));
        let s = score_of("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/MC:N/MI:N/MA:N");
        assert_eq!(
            (s.base, s.temporal, s.environmental),
            (9.8, None, Some(0.0))
        );
    }

    #[test]
    fn v31_roundup_appendix_a() {
        // The Appendix A examples and the float artefact it exists for.
        assert_eq!(v3::roundup_31(4.02), 4.1);
        assert_eq!(v3::roundup_31(4.0), 4.0);
        assert_eq!(v3::roundup_31(4.000_000_000_000_001), 4.0);
        assert_eq!(v3::roundup_31(0.0), 0.0);
        assert_eq!(v3::roundup_31(10.0), 10.0);
    }

    #[test]
    fn v40_scores_match_reference() {
        assert!(V40.len() >= 25);
        for (v, expected) in V40 {
            let s = score_of(v);
            assert_score(s.base, *expected, v);
            assert_eq!(s.severity, Rating::from_score(*expected), "{v}");
            assert_eq!((s.temporal, s.environmental), (None, None));
        }
    }

    #[test]
    fn v40_ratings_match_reference() {
        for (v, rating) in V40_RATINGS {
            assert_eq!(score_of(v).severity, *rating, "{v}");
        }
    }

    #[test]
    fn v40_nomenclature() {
        let base = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        let cases = [
            ("", Nomenclature::Base),
            ("/E:X/CR:X/MAV:X/S:P/U:Red", Nomenclature::Base),
            ("/E:P", Nomenclature::BaseThreat),
            ("/AR:L", Nomenclature::BaseEnvironmental),
            ("/MSA:S", Nomenclature::BaseEnvironmental),
            ("/E:U/MVC:L", Nomenclature::BaseThreatEnvironmental),
        ];
        for (extra, nomenclature) in cases {
            let v = format!("{base}{extra}");
            assert_eq!(score_of(&v).nomenclature, Some(nomenclature), "{v}");
        }
        assert_eq!(
            Nomenclature::BaseThreatEnvironmental.to_string(),
            "CVSS-BTE"
        );
        assert_eq!(Nomenclature::Base.to_string(), "CVSS-B");
        let v3 =
            parse("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v3.nomenclature(), None);
    }

    #[test]
    fn v40_lookup_table_is_sorted_and_complete() {
        assert!(v4::LOOKUP.windows(2).all(|w| w[0].0 < w[1].0));
        // Every possible macro vector (EQ3 = 2 implies EQ6 = 1) is tabled.
        let mut n = 0;
        for eq1 in 0..3 {
            for eq2 in 0..2 {
                for eq3 in 0..3 {
                    for eq4 in 0..3 {
                        for eq5 in 0..3 {
                            for eq6 in 0..2 {
                                let tabled = v4::lookup([eq1, eq2, eq3, eq4, eq5, eq6]).is_some();
                                assert_eq!(tabled, !(eq3 == 2 && eq6 == 0));
                                n += usize::from(tabled);
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 270);
    }

    #[test]
    fn display_normalises() {
        let c = parse("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:P/RL:X")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.to_string(),
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P"
        );
        assert_eq!(c.version(), CvssVersion::V3_1);
        assert_eq!(c.get("E"), Some("P"));
        assert_eq!(c.get("RL"), None);
        assert_eq!(c.get("AT"), None);
        let v = "CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/AU:N/SA:N/S:P/R:A/V:D/RE:L/U:Red/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/CR:H/IR:L/AR:L/E:P";
        let c: Cvss = v.parse().unwrap_or_else(|e: CvssError| panic!("{e}"));
        assert_eq!(
            c.to_string(),
            "CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:P/CR:H/IR:L/AR:L/MAV:L/MAC:L/MAT:N/MPR:L/MUI:A/MVC:L/MVI:N/MVA:H/MSC:H/MSI:L/MSA:N/S:P/AU:N/R:A/V:D/RE:L/U:Red"
        );
        assert_eq!(c.get("U"), Some("Red"));
    }

    #[test]
    fn ratings() {
        let cases = [
            (0.0, Rating::None),
            (0.1, Rating::Low),
            (3.9, Rating::Low),
            (4.0, Rating::Medium),
            (6.9, Rating::Medium),
            (7.0, Rating::High),
            (8.9, Rating::High),
            (9.0, Rating::Critical),
            (10.0, Rating::Critical),
        ];
        for (s, r) in cases {
            assert_eq!(Rating::from_score(s), r, "{s}");
        }
        assert_eq!(Rating::None.severity(), None);
        assert_eq!(Rating::High.severity(), Some(Severity::High));
        assert_eq!(Rating::Medium.to_string(), "Medium");
    }

    #[test]
    fn errors() {
        use CvssError::*;
        let long = format!(
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H{}",
            "/E:X".repeat(60)
        );
        let cases: &[(&str, CvssError)] = &[
            ("", MissingPrefix),
            ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", MissingPrefix),
            ("cvss:3.1/AV:N", MissingPrefix),
            ("CVSS:2.0/AV:N", UnsupportedVersion("2.0".into())),
            ("CVSS:3.1", MissingMetric("AV")),
            ("CVSS:3.1/", EmptyComponent(1)),
            ("CVSS:3.1/AV:N//AC:L", EmptyComponent(2)),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
                EmptyComponent(9),
            ),
            ("CVSS:3.1/AVN", MalformedComponent("AVN".into())),
            (
                "CVSS:3.1/AV:N/AT:N",
                UnknownMetric {
                    version: CvssVersion::V3_1,
                    metric: "AT".into(),
                },
            ),
            (
                "CVSS:4.0/AV:N/ui:N",
                UnknownMetric {
                    version: CvssVersion::V4_0,
                    metric: "ui".into(),
                },
            ),
            (
                "CVSS:4.0/AV:F",
                BadValue {
                    metric: "AV",
                    value: "F".into(),
                },
            ),
            (
                "CVSS:3.1/AV:X",
                BadValue {
                    metric: "AV",
                    value: "X".into(),
                },
            ),
            (
                "CVSS:3.1/AV:N:L",
                BadValue {
                    metric: "AV",
                    value: "N:L".into(),
                },
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSC:S",
                BadValue {
                    metric: "MSC",
                    value: "S".into(),
                },
            ),
            ("CVSS:3.1/AV:N/AV:N", DuplicateMetric("AV")),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:A/E:X",
                DuplicateMetric("E"),
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
                MissingMetric("A"),
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/SC:N/SI:N/SA:N",
                MissingMetric("VA"),
            ),
            (&long, TooLong(long.len())),
        ];
        for (v, err) in cases {
            assert_eq!(parse(v).as_ref().err(), Some(err), "{v}");
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(
            parse("CVSS:3.1/AV:N/AV:N")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("duplicate CVSS metric AV")
        );
    }

    /// A valid vector of a random version: every mandatory metric, a random
    /// subset of the others (sometimes `X`), in random order.
    fn any_vector() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(CvssVersion::V3_0),
            Just(CvssVersion::V3_1),
            Just(CvssVersion::V4_0)
        ]
        .prop_flat_map(|version| {
            let components: Vec<BoxedStrategy<Option<String>>> = version
                .metrics()
                .iter()
                .map(|m| {
                    let name = m.name;
                    let mut values = m.values.to_vec();
                    if m.mandatory {
                        prop::sample::select(values)
                            .prop_map(move |v| Some(format!("{name}:{v}")))
                            .boxed()
                    } else {
                        values.push("X");
                        prop::option::of(
                            prop::sample::select(values).prop_map(move |v| format!("{name}:{v}")),
                        )
                        .boxed()
                    }
                })
                .collect();
            components.prop_flat_map(move |parts| {
                let parts: Vec<String> = parts.into_iter().flatten().collect();
                Just(parts)
                    .prop_shuffle()
                    .prop_map(move |p| format!("CVSS:{version}/{}", p.join("/")))
            })
        })
    }

    fn assert_score_shape(s: f64) -> Result<(), TestCaseError> {
        prop_assert!((0.0..=10.0).contains(&s), "{s} out of range");
        prop_assert!(
            ((s * 10.0).round() / 10.0 - s).abs() < 1e-9,
            "{s} has more than one decimal"
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn random_vectors_round_trip_and_score(v in any_vector()) {
            let c = parse(&v).map_err(|e| TestCaseError::fail(format!("{v}: {e}")))?;
            let shown = c.to_string();
            let again = parse(&shown).map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
            prop_assert_eq!(&again, &c);
            prop_assert_eq!(again.to_string(), shown);
            let s = c.score();
            assert_score_shape(s.base)?;
            prop_assert_eq!(s.severity, Rating::from_score(s.base));
            for extra in [s.temporal, s.environmental].into_iter().flatten() {
                assert_score_shape(extra)?;
            }
            prop_assert_eq!(s.nomenclature.is_some(), c.version() == CvssVersion::V4_0);
        }

        #[test]
        fn v4_supplemental_metrics_do_not_change_the_score(v in any_vector()) {
            let c = parse(&v).map_err(|e| TestCaseError::fail(format!("{v}: {e}")))?;
            if c.version() == CvssVersion::V4_0 {
                let mut stripped = c.clone();
                for slot in &mut stripped.values[26..] {
                    *slot = None;
                }
                prop_assert_eq!(stripped.score(), c.score());
            }
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,300}") {
            if let Ok(c) = parse(&s) {
                let _ = c.score();
            }
        }
    }
}
