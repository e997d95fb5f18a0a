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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings() {
        assert_eq!(Severity::from_score(10.0), Some(Severity::Critical));
        assert_eq!(Severity::from_score(6.6), Some(Severity::Medium));
        assert_eq!(Severity::from_score(0.0), None);
        assert_eq!("MODERATE".parse::<Severity>().unwrap(), Severity::Medium);
    }
}
