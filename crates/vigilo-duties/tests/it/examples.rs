//! The worked examples of `../shared/obligations.md`, with their exact
//! instants, and the rules folder as shipped.

use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::json;
use vigilo_duties::{DutyError, DutyStatus, Facts, Profile, Rules, compute};

pub fn rules() -> Rules {
    Rules::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules")).unwrap()
}

fn profile(v: serde_json::Value) -> Profile {
    serde_json::from_value(v).unwrap()
}

fn facts(v: serde_json::Value) -> Facts {
    serde_json::from_value(v).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn due(c: &vigilo_duties::Computation, rule: &str, stage: &str) -> (Option<Timestamp>, DutyStatus) {
    let d = c
        .duties
        .iter()
        .find(|d| d.rule == rule && d.stage == stage)
        .unwrap_or_else(|| panic!("no duty {rule}/{stage}: {c:#?}"));
    (d.due, d.status)
}

#[test]
fn the_shipped_rules_load_and_are_embedded() {
    let r = rules();
    assert!(r.packs.len() >= 20, "{}", r.packs.len());
    let e = Rules::embedded().unwrap();
    assert_eq!(e.packs.len(), r.packs.len());
    assert_eq!(e.calendars.len(), r.calendars.len());
    // Every row of obligations.md's table has a pack, partnerships too.
    for id in [
        "cn.miit.vuln.art7-2",
        "eu.cra.art14.aev",
        "us.sec.8k.1-05",
        "eu.dora.art19",
        "eu.gdpr.art33",
        "in.cert-in.directions-2022",
    ] {
        assert!(r.pack(id).is_some(), "{id}");
    }
    assert!(r.packs.iter().any(|p| p.kind == "partnership"));
}

/// Example 1: MIIT's 2-day report, discovered just before National Day.
#[test]
fn miit_two_days_alerts_on_the_strictest_reading() {
    let r = rules();
    let p = profile(json!({"roles": ["network_product_provider"], "jurisdictions": ["CN"]}));
    let f = facts(json!({
        "flags": {"product.offered_in": ["CN"], "vuln.in_own_product": true},
        "events": [{"event": "vuln.discovered_or_learned", "at": "2026-09-30T22:00:00+08:00", "source": "researcher e-mail"}]
    }));
    let c = compute(&r, &p, &f, ts("2026-10-01T00:00:00Z")).unwrap();
    let (d, status) = due(&c, "cn.miit.vuln.art7-2", "report");
    assert_eq!(d, Some(ts("2026-10-02T22:00:00+08:00")));
    assert_eq!(status, DutyStatus::Open);
    let duty = c.duties.iter().find(|d| d.stage == "report").unwrap();
    let explain = duty.explain.join("\n");
    // The other reading, 10-02 24:00 Shanghai, is shown.
    assert!(explain.contains("2026-10-02T16:00:00Z"), "{explain}");
    // The upstream provider: immediately; users: a soft target.
    assert_eq!(
        due(&c, "cn.miit.vuln.art7-2", "notify_upstream").0,
        Some(ts("2026-09-30T14:00:00Z"))
    );
    assert_eq!(
        due(&c, "cn.miit.vuln.art7-2", "inform_users").1,
        DutyStatus::Target
    );
    // Not the provider's own product: no duty (Art. 7 covers own products only).
    let f2 = facts(json!({
        "flags": {"product.offered_in": ["CN"], "vuln.in_own_product": false},
        "events": [{"event": "vuln.discovered_or_learned", "at": "2026-09-30T22:00:00+08:00"}]
    }));
    let c2 = compute(&r, &p, &f2, ts("2026-10-01T00:00:00Z")).unwrap();
    assert!(c2.duties.iter().all(|d| d.rule != "cn.miit.vuln.art7-2"));
}

/// Example 2: CRA, actively exploited vulnerability.
#[test]
fn cra_24h_72h_and_final_after_the_fix() {
    let r = rules();
    let p = profile(
        json!({"roles": ["manufacturer"], "jurisdictions": ["EU"], "recipient_zones": {"eu.srp": "Europe/Brussels"}}),
    );
    let aware = json!({"event": "vuln.exploitation_aware", "at": "2026-10-02T07:15:00Z"});
    let discovered = json!({"event": "vuln.discovered_or_learned", "at": "2026-10-01T09:00:00Z"});
    let flags = json!({"product.made_available_in_eu": true, "vuln.actively_exploited": true});
    let f = facts(json!({"flags": flags, "events": [discovered, aware]}));
    let c = compute(&r, &p, &f, ts("2026-10-02T08:00:00Z")).unwrap();
    assert_eq!(
        due(&c, "eu.cra.art14.aev", "early_warning"),
        (Some(ts("2026-10-03T07:15:00Z")), DutyStatus::Open)
    );
    assert_eq!(
        due(&c, "eu.cra.art14.aev", "notification").0,
        Some(ts("2026-10-05T07:15:00Z"))
    );
    // No fix yet: the final report is pending its trigger, never overdue.
    let late = compute(&r, &p, &f, ts("2027-06-01T00:00:00Z")).unwrap();
    assert_eq!(
        due(&late, "eu.cra.art14.aev", "final"),
        (None, DutyStatus::PendingTrigger)
    );
    assert_eq!(
        due(&late, "eu.cra.art14.aev", "early_warning").1,
        DutyStatus::Overdue
    );
    // A fix on 10-20 (14:00 Brussels, CEST): final due 11-03 14:00 Brussels, which is CET by then.
    let fix = json!({"event": "vuln.corrective_measure_available", "at": "2026-10-20T12:00:00Z"});
    let f = facts(json!({"flags": flags, "events": [discovered, aware, fix],
        "submissions": [{"rule": "eu.cra.art14.aev", "stage": "early_warning", "at": "2026-10-02T20:00:00Z", "covers": ["notification"]}]}));
    let c = compute(&r, &p, &f, ts("2026-10-21T00:00:00Z")).unwrap();
    assert_eq!(
        due(&c, "eu.cra.art14.aev", "final").0,
        Some(ts("2026-11-03T13:00:00Z"))
    );
    assert_eq!(
        due(&c, "eu.cra.art14.aev", "early_warning").1,
        DutyStatus::Submitted
    );
    // The early warning carried the notification's content: "unless already provided".
    assert_eq!(
        due(&c, "eu.cra.art14.aev", "notification").1,
        DutyStatus::Discharged
    );
}

/// Example 3: SEC Item 1.05, four business days around Thanksgiving.
#[test]
fn sec_four_business_days_skip_thanksgiving() {
    let r = rules();
    let p = profile(json!({"roles": ["sec_registrant"], "jurisdictions": ["US"]}));
    for det in ["2026-11-25T15:00:00-05:00", "2026-11-26T11:00:00-05:00"] {
        let f = facts(json!({
            "flags": {"incident.material": true},
            "events": [
                {"event": "incident.discovered", "at": "2026-11-20T10:00:00-05:00"},
                {"event": "incident.materiality_determined", "at": det, "source": "disclosure committee minutes"}
            ]
        }));
        let c = compute(&r, &p, &f, ts("2026-11-27T00:00:00Z")).unwrap();
        let (d, status) = due(&c, "us.sec.8k.1-05", "file_8k");
        assert_eq!(d, Some(ts("2026-12-02T17:30:00-05:00")), "determined {det}");
        assert_eq!(status, DutyStatus::Open);
        let explain = c
            .duties
            .iter()
            .find(|d| d.stage == "file_8k")
            .unwrap()
            .explain
            .join("\n");
        assert!(explain.contains("2026-11-26 (holiday)"), "{explain}");
        assert!(explain.contains("due 2026-12-02 17:30 EST"), "{explain}");
        // The amendment waits for missing information to be determined.
        assert_eq!(
            due(&c, "us.sec.8k.1-05", "amend_8k"),
            (None, DutyStatus::PendingTrigger)
        );
    }
}

#[test]
fn partnership_duties_apply_to_members() {
    let r = rules();
    // A cloud provider that is a cooperation unit of MIIT's platform, finding a
    // flaw in someone else's product (the story: Log4j, 2021).
    let p = profile(
        json!({"roles": ["cloud_provider"], "jurisdictions": ["CN"], "partnerships": ["cn.miit.cooperation"]}),
    );
    let f = facts(json!({
        "flags": {"vuln.in_own_product": false},
        "events": [{"event": "vuln.discovered_or_learned", "at": "2026-11-24T10:00:00+08:00"}]
    }));
    let c = compute(&r, &p, &f, ts("2026-11-24T03:00:00Z")).unwrap();
    let d = c
        .duties
        .iter()
        .find(|d| d.rule.starts_with("partnership."))
        .expect("a partnership duty");
    assert_eq!(d.due, Some(ts("2026-11-26T10:00:00+08:00")));
    assert!(c.duties.iter().all(|d| d.rule != "cn.miit.vuln.art7-2"));
}

#[test]
fn bad_facts_are_refused_with_the_reason() {
    let r = rules();
    let p = profile(json!({"roles": ["manufacturer"]}));
    let f = facts(json!({"events": [
        {"event": "vuln.discovered_or_learned", "at": "2026-10-05T00:00:00Z"},
        {"event": "vuln.corrective_measure_available", "at": "2026-10-01T00:00:00Z"}
    ]}));
    let err = compute(&r, &p, &f, ts("2026-10-06T00:00:00Z")).unwrap_err();
    assert!(
        matches!(err, DutyError::Facts(ref m) if m.contains("vuln.corrective_measure_available")),
        "{err}"
    );
    let f = facts(
        json!({"submissions": [{"rule": "no.such.rule", "stage": "x", "at": "2026-10-01T00:00:00Z"}]}),
    );
    let err = compute(&r, &p, &f, ts("2026-10-06T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("no.such.rule"), "{err}");
    let p = profile(json!({"recipient_zones": {"eu.srp": "Europe/Atlantis"}}));
    let err = compute(&r, &p, &Facts::default(), ts("2026-10-06T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("Europe/Atlantis"), "{err}");
    // A calendar that ends before the deadline: refused, saying why.
    let p = profile(json!({"roles": ["sec_registrant"]}));
    let f = facts(json!({"flags": {"incident.material": true},
        "events": [{"event": "incident.materiality_determined", "at": "2026-12-29T12:00:00-05:00"}]}));
    let err = compute(&r, &p, &f, ts("2026-12-29T18:00:00Z")).unwrap_err();
    assert!(matches!(err, DutyError::CalendarRange { .. }), "{err}");
    assert!(
        err.to_string().contains("us-sec") && err.to_string().contains("2026-12-31"),
        "{err}"
    );
}

/// `rules/validate.py`: the schemas checked by Python's `jsonschema` too,
/// plus cross-references (unused anchors, stage loops, conflicts naming no
/// pack). Fails when Python or its packages are missing and
/// `VIGILO_REQUIRE_REFERENCES=1`.
#[test]
fn rules_pass_the_python_validator() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(".cache/test-venv/bin/python");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    let out = std::process::Command::new(&python)
        .arg(root.join("rules/validate.py"))
        .output();
    let required = std::env::var("VIGILO_REQUIRE_REFERENCES").as_deref() == Ok("1");
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let missing = err.contains("ModuleNotFoundError");
            assert!(
                missing && !required,
                "rules/validate.py: {}{err}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
        Err(e) => assert!(!required, "{}: {e}", python.display()),
    }
}

/// China's Art. 9(7): undisclosed details may go to the product's provider
/// abroad (Apache, in the story), not to other foreign bodies; nothing is
/// published before the fix (9(1)).
#[test]
fn outbound_constraints_block_what_the_rules_forbid() {
    use vigilo_duties::{Disclosure, check_disclosure};
    let r = rules();
    let p = profile(json!({"roles": ["cloud_provider"], "jurisdictions": ["CN"]}));
    let f = facts(json!({"flags": {"vuln.public": false, "vuln.fix_available": false}}));
    let to = |country: &str, role: Option<&str>| Disclosure {
        recipient: "x".into(),
        country: country.into(),
        role: role.map(str::to_owned),
        ..Disclosure::default()
    };
    assert!(check_disclosure(&r, &p, &f, &to("US", Some("product_provider"))).is_empty());
    assert!(check_disclosure(&r, &p, &f, &to("CN", Some("regulator"))).is_empty());
    let v = check_disclosure(&r, &p, &f, &to("DE", Some("coordinator")));
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0].rule.as_str(), v[0].constraint.as_str()),
        ("cn.miit.vuln.art9", "art9-7")
    );
    assert!(v[0].explanation.contains("9(7)"));
    let publish = Disclosure {
        recipient: "public".into(),
        country: "CN".into(),
        publication: true,
        ..Disclosure::default()
    };
    let v = check_disclosure(&r, &p, &f, &publish);
    assert!(v.iter().any(|x| x.constraint == "art9-1"), "{v:?}");
    // Once public and fixed (with the fix alongside), both may go.
    let f2 = facts(json!({"flags": {"vuln.public": true, "vuln.fix_available": true}}));
    let mut publish2 = publish.clone();
    publish2
        .flags
        .insert("disclosure.includes_fix".into(), json!(true));
    assert!(check_disclosure(&r, &p, &f2, &publish2).is_empty());
    assert!(check_disclosure(&r, &p, &f2, &to("DE", Some("coordinator"))).is_empty());
    // An organisation outside China is not bound by it.
    let eu = profile(json!({"roles": ["manufacturer"], "jurisdictions": ["EU"]}));
    assert!(check_disclosure(&r, &eu, &f, &to("US", None)).is_empty());
}

/// CRA's 24-hour report to EU bodies versus Art. 9(7): flagged for legal
/// review, never resolved.
#[test]
fn conflicting_duties_are_flagged_for_legal_review() {
    let r = rules();
    let p = profile(json!({"roles": ["manufacturer"], "jurisdictions": ["CN", "EU"]}));
    let f = facts(json!({
        "flags": {"product.made_available_in_eu": true, "vuln.actively_exploited": true, "product.offered_in": ["CN"]},
        "events": [{"event": "vuln.exploitation_aware", "at": "2026-10-02T07:15:00Z"}]
    }));
    let c = compute(&r, &p, &f, ts("2026-10-02T08:00:00Z")).unwrap();
    assert!(
        c.conflicts.iter().any(|x| x.rule == "eu.cra.art14.aev"
            && x.with == "cn.miit.vuln.art9"
            && x.action == "legal_review"),
        "{:?}",
        c.conflicts
    );
}
