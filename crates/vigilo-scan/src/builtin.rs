//! The built-in advisory set: the Log4Shell family, written for vigilo from
//! the public facts (the Apache Log4j security pages and the CVE records),
//! so that `vigilo scan /` answers "am I exposed to Log4Shell" with no
//! advisory database at all. The records live in `advisories/*.json` beside
//! this crate, in OSV form, each with its GitHub advisory id as an alias.

use vigilo_core::advisory::Advisory;
use vigilo_formats::osv::{Syntax, parse_record};

/// The records, by file name.
pub const RECORDS: [(&str, &str); 9] = [
    (
        "CVE-2021-44228.json",
        include_str!("../advisories/CVE-2021-44228.json"),
    ),
    (
        "CVE-2021-45046.json",
        include_str!("../advisories/CVE-2021-45046.json"),
    ),
    (
        "CVE-2021-45105.json",
        include_str!("../advisories/CVE-2021-45105.json"),
    ),
    (
        "CVE-2021-44832.json",
        include_str!("../advisories/CVE-2021-44832.json"),
    ),
    (
        "CVE-2021-4104.json",
        include_str!("../advisories/CVE-2021-4104.json"),
    ),
    (
        "CVE-2019-17571.json",
        include_str!("../advisories/CVE-2019-17571.json"),
    ),
    (
        "CVE-2022-23302.json",
        include_str!("../advisories/CVE-2022-23302.json"),
    ),
    (
        "CVE-2022-23305.json",
        include_str!("../advisories/CVE-2022-23305.json"),
    ),
    (
        "CVE-2022-23307.json",
        include_str!("../advisories/CVE-2022-23307.json"),
    ),
];

/// The built-in advisories, parsed. The records are tested to parse; one
/// that did not would be left out rather than fail the scan.
pub fn advisories() -> Vec<Advisory> {
    RECORDS
        .iter()
        .filter_map(|(name, text)| parse_record(text.as_bytes(), Syntax::Json, name).ok())
        .map(|r| r.advisory)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigilo_core::matching::MatchIndex;
    use vigilo_core::{Ecosystem, Severity};

    #[test]
    fn every_record_parses_cleanly() {
        for (name, text) in RECORDS {
            let r = parse_record(text.as_bytes(), Syntax::Json, name).unwrap();
            assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
            assert_eq!(format!("{}.json", r.advisory.id), name);
            assert!(r.advisory.severity.is_some(), "{name}");
        }
    }

    #[test]
    fn log4shell_family_by_version() {
        let index = MatchIndex::build(advisories());
        let ids = |name: &str, v: &str| {
            let mut ids: Vec<String> = index
                .query(&Ecosystem::Maven, name, v)
                .iter()
                .map(|m| m.advisory_id.to_owned())
                .collect();
            ids.sort();
            ids
        };
        let core = "org.apache.logging.log4j:log4j-core";
        assert_eq!(
            ids(core, "2.14.1"),
            [
                "CVE-2021-44228",
                "CVE-2021-44832",
                "CVE-2021-45046",
                "CVE-2021-45105"
            ]
        );
        assert_eq!(
            ids(core, "2.15.0"),
            ["CVE-2021-44832", "CVE-2021-45046", "CVE-2021-45105"]
        );
        assert_eq!(ids(core, "2.16.0"), ["CVE-2021-44832", "CVE-2021-45105"]);
        assert_eq!(ids(core, "2.17.0"), ["CVE-2021-44832"]);
        assert!(ids(core, "2.17.1").is_empty());
        assert_eq!(ids(core, "2.12.2"), ["CVE-2021-44832", "CVE-2021-45105"]);
        assert_eq!(ids(core, "2.3.1"), ["CVE-2021-44832"]);
        assert!(ids(core, "2.12.4").is_empty());
        assert!(ids(core, "2.3.2").is_empty());
        assert_eq!(ids(core, "2.0-beta8"), ["CVE-2021-44832", "CVE-2021-45105"]);
        assert_eq!(ids("log4j:log4j", "1.2.17").len(), 5);
        let a = index.get("CVE-2021-44228").unwrap();
        assert_eq!(a.severity, Some(Severity::Critical));
    }
}
