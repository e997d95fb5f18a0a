//! Go module versions, ordered as `golang.org/x/mod/semver.Compare` orders
//! them.
//!
//! Go's grammar is SemVer 2.0.0 behind a `v` (`v1.2.3-pre+build`), plus the
//! shorthands `vMAJOR` and `vMAJOR.MINOR` (no pre-release or build) for
//! `vMAJOR.0.0` and `vMAJOR.MINOR.0`. OSV's Go records usually drop the `v`
//! (`1.2.3`), so it is optional here. Pseudo-versions
//! (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…`) are ordinary
//! pre-releases and `+incompatible` is build metadata, which precedence
//! ignores: `v2.0.0+incompatible == v2.0.0`. Numbers have no size limit
//! (Go compares them as digit strings).

use crate::semver::{Dialect, Version};

/// Parses a Go module version, with or without its `v`.
pub fn parse(s: &str) -> Result<Version, crate::ParseError> {
    let body = s.strip_prefix('v').unwrap_or(s);
    let dots = body.bytes().filter(|&b| b == b'.').count();
    let shorthand =
        !body.is_empty() && dots < 2 && body.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if shorthand {
        let full = if dots == 0 {
            format!("{body}.0.0")
        } else {
            format!("{body}.0")
        };
        Version::parse_dialect(s, &full, Dialect::Go)
    } else {
        Version::parse_dialect(s, body, Dialect::Go)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheme;
    use std::cmp::Ordering;

    fn go(s: &str) -> Version {
        parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// golang.org/x/mod/semver's test table, in ascending order; `None`
    /// marks an invalid version.
    const TABLE: &[(&str, Option<&str>)] = &[
        ("bad", None),
        ("v1-alpha.beta.gamma", None),
        ("v1-pre", None),
        ("v1+meta", None),
        ("v1-pre+meta", None),
        ("v1.2-pre", None),
        ("v1.2+meta", None),
        ("v1.2-pre+meta", None),
        ("v1.0.0-alpha", Some("v1.0.0-alpha")),
        ("v1.0.0-alpha.1", Some("v1.0.0-alpha.1")),
        ("v1.0.0-alpha.beta", Some("v1.0.0-alpha.beta")),
        ("v1.0.0-beta", Some("v1.0.0-beta")),
        ("v1.0.0-beta.2", Some("v1.0.0-beta.2")),
        ("v1.0.0-beta.11", Some("v1.0.0-beta.11")),
        ("v1.0.0-rc.1", Some("v1.0.0-rc.1")),
        ("v1", Some("v1.0.0")),
        ("v1.0", Some("v1.0.0")),
        ("v1.0.0", Some("v1.0.0")),
        ("v1.2", Some("v1.2.0")),
        ("v1.2.0", Some("v1.2.0")),
        ("v1.2.3-456", Some("v1.2.3-456")),
        ("v1.2.3-456.789", Some("v1.2.3-456.789")),
        ("v1.2.3-456-789", Some("v1.2.3-456-789")),
        ("v1.2.3-456a", Some("v1.2.3-456a")),
        ("v1.2.3-pre", Some("v1.2.3-pre")),
        ("v1.2.3-pre+meta", Some("v1.2.3-pre")),
        ("v1.2.3-pre.1", Some("v1.2.3-pre.1")),
        ("v1.2.3-zzz", Some("v1.2.3-zzz")),
        ("v1.2.3", Some("v1.2.3")),
        ("v1.2.3+meta", Some("v1.2.3")),
        ("v1.2.3+meta-pre", Some("v1.2.3")),
        ("v1.2.3+meta-pre.sha.256a", Some("v1.2.3")),
    ];

    #[test]
    fn x_mod_semver_table() {
        for (input, canonical) in TABLE {
            assert_eq!(parse(input).is_ok(), canonical.is_some(), "{input}");
        }
        let valid: Vec<_> = TABLE
            .iter()
            .filter_map(|(i, c)| c.map(|c| (go(i), c)))
            .collect();
        for (i, (a, ca)) in valid.iter().enumerate() {
            for (j, (b, cb)) in valid.iter().enumerate() {
                let want = if ca == cb { Ordering::Equal } else { i.cmp(&j) };
                assert_eq!(a.cmp(b), want, "{a} vs {b}");
            }
        }
        assert!(go("v2") > go("v1"));
        assert!(go("v1.19") > go("v1.2"));
    }

    #[test]
    fn without_v_and_osv_forms() {
        assert_eq!(go("1.2.3"), go("v1.2.3"));
        assert_eq!(go("2.4.3+incompatible"), go("v2.4.3"));
        assert!(go("2.2.5-rc6.0.20190621200032-0ddffe484adc+incompatible") < go("2.2.5"));
        assert!(go("0.0.0-20130808000456-233bccbb1abe") < go("0.0.0-20140711154735-199f5f787806"));
        assert!(go("0.0.0-20260101000000-aaaaaaaaaaaa") < go("0.0.1"));
        assert!(go("1.9.10-0.20231219195202-ec93ab05a3ec") > go("1.9.9"));
        assert!(go("1.9.10-0.20231219195202-ec93ab05a3ec") < go("1.9.10-rc.1"));
        assert_eq!(go("v1.2.3").to_string(), "v1.2.3");
        assert_eq!(go("0"), go("v0.0.0"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "v",
            "vv1.0.0",
            "V1.0.0",
            "v1.",
            "v1.2.",
            "v01.2.3",
            "v1.02.3",
            "1.2.3-01",
            "1.2.3-",
            "1.2.3+",
            "v1.2.3.4",
            " v1.2.3",
            "v1.2.3 ",
            "1.2-pre",
            "1.2+incompatible",
            "v1..2",
            "v.1",
            "1.2.3-a_b",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.scheme, Scheme::Go);
        }
    }

    #[test]
    fn numbers_of_any_size() {
        assert!(go("v99999999999999999999.0.0") < go("v100000000000000000000"));
        assert!(go("1.0.0-99999999999999999999") < go("1.0.0-100000000000000000000"));
    }
}
