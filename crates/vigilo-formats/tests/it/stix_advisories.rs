//! Advisories as STIX 2.1 `vulnerability` objects and TLP 2.0 markings on
//! every bundle vigilo writes, checked by OASIS's stix2-validator at its
//! strictest (`tests/validate_stix.py`, run as in `stix.rs`: without the
//! validator a note, with `VIGILO_REQUIRE_REFERENCES=1` a failure).

use std::path::Path;

use jiff::Timestamp;
use serde_json::{Value, json};
use vigilo_core::marking::{Marking, Tlp};
use vigilo_formats::osv::{self, ParsedRecord, Syntax};
use vigilo_formats::stix::{
    AdvisoriesInput, advisory_vulnerability, apply_marking, tlp_marking_definition,
    write_advisories_bundle, write_bundle, write_bundle_marked,
};

use crate::stix::{input, run_validator};
use crate::support::shared_data;

const PUBLISHER: &str = "Example National CERT";

fn read(rel: &str) -> ParsedRecord {
    let path = shared_data().join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let syntax = Syntax::from_path(rel).unwrap();
    osv::parse_record(&bytes, syntax, rel).unwrap_or_else(|d| panic!("{d}"))
}

/// Log4Shell's GitHub advisory, a PyPA record (YAML), an npm and a RubyGems
/// advisory, a RustSec and a Go record.
fn records() -> Vec<ParsedRecord> {
    [
        "osv/ghsa/Maven/GHSA-jfh8-c2jp-5v3q.json",
        "osv/ghsa/Maven/GHSA-7rjr-3q55-vv33.json",
        "osv/pypi/jinja2/PYSEC-2021-66.yaml",
        "osv/ghsa/npm/GHSA-35jh-r3h4-6jhm.json",
        "osv/ghsa/RubyGems/GHSA-2rr5-8q37-2w7h.json",
        "osv/crates.io/RUSTSEC-2021-0003.json",
        "osv/go/GO-2022-0969.json",
    ]
    .iter()
    .filter(|rel| shared_data().join(rel).exists())
    .map(|rel| read(rel))
    .collect()
}

fn generated() -> Timestamp {
    "2024-05-01T12:00:00Z".parse().unwrap()
}

fn render(records: &[ParsedRecord], marking: Option<Marking>) -> String {
    let input = AdvisoriesInput {
        publisher: PUBLISHER.into(),
        generated: generated(),
        marking,
        records,
    };
    let mut out = Vec::new();
    write_advisories_bundle(&input, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn validate(text: &str, what: &str) {
    if let Some((code, stderr)) = run_validator(text) {
        assert_eq!(
            code,
            Some(0),
            "{what} rejected by stix2-validator:\n{stderr}"
        );
    }
}

#[test]
fn stix_advisories_snapshot() {
    let records = records();
    let text = render(&records[..2], Some(Marking::tlp(Tlp::Clear)));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(
        "Log4Shell advisories GHSA-jfh8-c2jp-5v3q and GHSA-7rjr-3q55-vv33, TLP:CLEAR",
    );
    settings.bind(|| insta::assert_snapshot!("stix_advisories", text));
}

#[test]
fn advisory_vulnerabilities() {
    let records = records();
    let log4shell = &records[0];
    let v = advisory_vulnerability(log4shell, PUBLISHER, Some(&Marking::tlp(Tlp::Amber)));
    assert_eq!(v["name"], "CVE-2021-44228");
    assert_eq!(v["created"], "2021-12-10T00:40:56.000Z");
    assert_eq!(v["modified"], "2022-03-25T20:56:18.000Z");
    assert_eq!(
        v["object_marking_refs"],
        json!([Tlp::Amber.stix_marking_id()])
    );
    let refs = v["external_references"].as_array().unwrap();
    assert!(refs.contains(&json!({ "source_name": "cve", "external_id": "CVE-2021-44228" })));
    assert!(refs.contains(&json!({ "source_name": "ghsa", "external_id": "GHSA-jfh8-c2jp-5v3q" })));
    assert!(refs.contains(&json!({
        "source_name": "advisory",
        "description": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"
    })));
    assert!(
        v["description"]
            .as_str()
            .unwrap()
            .starts_with("Remote code injection in Log4j\n\n# Summary")
    );
    // A record without a CVE is named by its id.
    let no_cve = osv::from_json(
        json!({"id": "RUSTSEC-2099-0001", "modified": "2099-01-01T00:00:00Z", "summary": "x"}),
        "x.json",
    )
    .unwrap();
    let v = advisory_vulnerability(&no_cve, PUBLISHER, None);
    assert_eq!(v["name"], "RUSTSEC-2099-0001");
    assert!(v.get("object_marking_refs").is_none());
}

#[test]
fn marking_definitions_are_as_oasis_publishes_them() {
    assert_eq!(
        tlp_marking_definition(Tlp::AmberStrict),
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            "created": "2022-10-01T00:00:00.000Z",
            "name": "TLP:AMBER+STRICT",
            "extensions": {
                "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                    "extension_type": "property-extension",
                    "tlp_2_0": "amber+strict"
                }
            }
        })
    );
}

#[test]
fn advisories_bundles_pass_stix2_validator() {
    let records = records();
    assert!(records.len() >= 5);
    validate(&render(&records, None), "unmarked advisories bundle");
    for tlp in Tlp::ALL {
        let text = render(&records, Some(Marking::tlp(tlp)));
        let b: Value = serde_json::from_str(&text).unwrap();
        let objects = b["objects"].as_array().unwrap();
        assert_eq!(
            objects
                .iter()
                .filter(|o| o["type"] == "marking-definition")
                .count(),
            1
        );
        assert!(
            objects
                .iter()
                .filter(|o| o["type"] != "marking-definition")
                .all(|o| o["object_marking_refs"] == json!([tlp.stix_marking_id()]))
        );
        validate(&text, tlp.as_str());
    }
}

#[test]
fn advisories_bundles_are_reproducible_and_dedupe() {
    let records = records();
    assert_eq!(render(&records, None), render(&records, None));
    let mut twice = records.clone();
    twice.extend(records.iter().cloned());
    assert_eq!(render(&twice, None), render(&records, None));
}

#[test]
fn sightings_bundles_take_a_marking() {
    let input = input("2021-12-14T06:00:00Z");
    let mut plain = Vec::new();
    write_bundle(&input, &mut plain).unwrap();
    let mut unmarked = Vec::new();
    write_bundle_marked(&input, None, &mut unmarked).unwrap();
    assert_eq!(
        plain, unmarked,
        "no marking: the same bytes as write_bundle"
    );
    for tlp in [Tlp::Green, Tlp::Red] {
        let mut marked = Vec::new();
        write_bundle_marked(&input, Some(&Marking::tlp(tlp)), &mut marked).unwrap();
        let text = String::from_utf8(marked).unwrap();
        let b: Value = serde_json::from_str(&text).unwrap();
        for o in b["objects"].as_array().unwrap() {
            if o["type"] != "marking-definition" {
                assert_eq!(
                    o["object_marking_refs"],
                    json!([tlp.stix_marking_id()]),
                    "{o}"
                );
            }
        }
        validate(&text, "marked sightings bundle");
    }
    // Marking twice adds nothing.
    let mut b: Value = serde_json::from_slice(&plain).unwrap();
    apply_marking(&mut b, &Marking::tlp(Tlp::Amber));
    let once = b.clone();
    apply_marking(&mut b, &Marking::tlp(Tlp::Amber));
    assert_eq!(b, once);
}

#[test]
fn every_ghsa_record_bundle_passes_stix2_validator() {
    let dir = shared_data().join("osv/ghsa");
    let mut records = Vec::new();
    for eco in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if !eco.path().is_dir() {
            continue;
        }
        for f in std::fs::read_dir(eco.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let p = f.path();
            let rel = p
                .strip_prefix(shared_data())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if Path::new(&rel).extension().is_some_and(|x| x == "json") {
                records.push(read(&rel));
            }
        }
    }
    records.sort_by(|a, b| a.advisory.id.cmp(&b.advisory.id));
    assert!(records.len() >= 40);
    validate(
        &render(&records, Some(Marking::tlp(Tlp::Green))),
        "bundle of every GitHub advisory",
    );
}
