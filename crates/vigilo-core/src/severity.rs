//! Severity ratings, and CVSS v3.x base scores computed from their vectors.

use std::fmt;
use std::str::FromStr;

/// A qualitative severity (CVSS v3 rating scale; `None` ratings are absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The rating of a CVSS v3 base score (`None` for 0.0).
    pub fn from_score(score: f64) -> Option<Severity> {
        Some(match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown severity name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Case-insensitive; `moderate` (GitHub's word) is `medium`.
    fn from_str(s: &str) -> Result<Severity, UnknownSeverity> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return Err(UnknownSeverity(s.to_owned())),
        })
    }
}

/// Why a CVSS vector was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CVSS vector {vector:?}: {reason}")]
pub struct CvssError {
    pub vector: String,
    pub reason: String,
}

/// The CVSS v3.0/v3.1 base score of a vector such as
/// `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H` (10.0), per the
/// specification's section 7 formulas, including its `Roundup`.
pub fn cvss3_base_score(vector: &str) -> Result<f64, CvssError> {
    let err = |reason: String| CvssError {
        vector: vector.to_owned(),
        reason,
    };
    let mut parts = vector.trim().split('/');
    match parts.next() {
        Some("CVSS:3.0" | "CVSS:3.1") => {}
        _ => return Err(err("does not start with CVSS:3.0 or CVSS:3.1".into())),
    }
    let mut metrics: [Option<&str>; 8] = [None; 8];
    const NAMES: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    for part in parts {
        let Some((k, v)) = part.split_once(':') else {
            return Err(err(format!("metric {part:?} is not NAME:VALUE")));
        };
        if let Some(i) = NAMES.iter().position(|n| *n == k) {
            if metrics[i].replace(v).is_some() {
                return Err(err(format!("metric {k} given twice")));
            }
        }
        // Temporal and environmental metrics do not change the base score.
    }
    let get = |i: usize| metrics[i].ok_or_else(|| err(format!("missing metric {}", NAMES[i])));
    let bad = |i: usize, v: &str| err(format!("metric {}: unknown value {v:?}", NAMES[i]));
    let av = match get(0)? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        v => return Err(bad(0, v)),
    };
    let ac = match get(1)? {
        "L" => 0.77,
        "H" => 0.44,
        v => return Err(bad(1, v)),
    };
    let changed = match get(4)? {
        "U" => false,
        "C" => true,
        v => return Err(bad(4, v)),
    };
    let pr = match (get(2)?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        (v, _) => return Err(bad(2, v)),
    };
    let ui = match get(3)? {
        "N" => 0.85,
        "R" => 0.62,
        v => return Err(bad(3, v)),
    };
    let cia = |i: usize| -> Result<f64, CvssError> {
        Ok(match get(i)? {
            "H" => 0.56,
            "L" => 0.22,
            "N" => 0.0,
            v => return Err(bad(i, v)),
        })
    };
    let (c, i, a) = (cia(5)?, cia(6)?, cia(7)?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Ok(roundup(raw))
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is ≥ the
/// input, computed on integers to avoid floating-point surprises.
fn roundup(x: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation)]
    let int = (x * 100_000.0).round() as i64;
    if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        // Log4Shell (CVE-2021-44228), NVD: 10.0.
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H").unwrap(),
            10.0
        );
        // CVE-2021-45105, NVD: 5.9.
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H").unwrap(),
            5.9
        );
        // CVE-2021-44832, NVD: 6.6.
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H").unwrap(),
            6.6
        );
        // CVE-2021-45046, Apache: 9.0.
        assert_eq!(
            cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H").unwrap(),
            9.0
        );
        assert_eq!(
            cvss3_base_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N").unwrap(),
            0.0
        );
    }

    #[test]
    fn rejects_malformed_vectors() {
        for v in [
            "AV:N/AC:L",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        ] {
            assert!(cvss3_base_score(v).is_err(), "{v}");
        }
    }

    #[test]
    fn ratings() {
        assert_eq!(Severity::from_score(10.0), Some(Severity::Critical));
        assert_eq!(Severity::from_score(6.6), Some(Severity::Medium));
        assert_eq!(Severity::from_score(0.0), None);
        assert_eq!("MODERATE".parse::<Severity>().unwrap(), Severity::Medium);
    }
}
