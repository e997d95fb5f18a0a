//! Cases: technical details sealed at rest and opened only on request (the
//! opening audited), facts appended with their provenance, submissions
//! recorded, status changes audited, everything scoped to its organisation,
//! invalid input stores nothing, and the export carries cases with their
//! facts, details decrypted; on every backend.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::Row as _;
use vigilo_store::{
    Actor, CaseKind, CaseProduct, CaseStatus, NewCase, NewCaseEvent, NewCaseSubmission, StoreError,
    micros_to_rfc3339, now_micros,
};
use vigilo_test_support::for_each_backend;

use crate::support::{open, org};

const SECRET: &str = "jndi-lookup-in-the-login-form-7f3a9c";

fn actor(org_id: &str) -> Actor {
    Actor {
        actor: "token:analyst".into(),
        org_id: Some(org_id.into()),
        ..Actor::default()
    }
}

fn micros(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_microsecond()
}

fn new_case(title: &str) -> NewCase {
    NewCase {
        title: title.into(),
        kind: CaseKind::Vulnerability,
        status: CaseStatus::Received,
        description: "RCE through the login form".into(),
        products: vec![CaseProduct {
            name: "gateway".into(),
            version: Some("2.3".into()),
            purl: Some("pkg:generic/acme/gateway@2.3".into()),
        }],
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H".into()),
        cve_ids: vec!["CVE-2026-12345".into()],
        flags: BTreeMap::from([
            ("product.made_available_in_eu".to_owned(), json!(true)),
            ("vuln.actively_exploited".to_owned(), json!(true)),
        ]),
        technical_details: Some(format!("payload: {SECRET}")),
        impact: None,
        exploited: false,
        exploited_evidence: None,
        reporter_contact: None,
        embargo: None,
        linked_advisories: Vec::new(),
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn technical_details_are_sealed_and_revealed_only_on_request() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let created = store
            .create_case(&a, &o.id, &new_case(" Gateway RCE "))
            .await
            .unwrap();
        assert_eq!(created.title, "Gateway RCE");
        assert!(created.has_technical_details);
        assert_eq!(created.technical_details, None);
        assert_eq!(created.created_by, "token:analyst");

        // Ciphertext in the row: no trace of the plaintext.
        let raw: Vec<u8> = sqlx::query("SELECT technical_details FROM cases WHERE id = $1")
            .bind(&created.id)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
        assert!(raw.len() > SECRET.len());
        assert!(!contains(&raw, SECRET), "plaintext in the database row");

        let reveals = |events: &[vigilo_store::audit::AuditEvent]| {
            events.iter().filter(|e| e.action == "case.reveal").count()
        };
        let plain = store
            .get_case(&a, &o.id, &created.id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(plain.case.technical_details, None);
        assert!(plain.case.has_technical_details);
        assert_eq!(plain.case.products, new_case("x").products);
        assert_eq!(plain.case.flags, new_case("x").flags);
        assert_eq!(plain.case.cve_ids, ["CVE-2026-12345"]);
        let events = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        assert_eq!(
            reveals(&events),
            0,
            "reading without reveal is not a reveal"
        );
        let create = events.iter().find(|e| e.action == "case.create").unwrap();
        assert_eq!(create.object, format!("case:{}", created.id));

        let revealed = store
            .get_case(&a, &o.id, &created.id, true)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            revealed.case.technical_details.as_deref(),
            Some(format!("payload: {SECRET}").as_str())
        );
        let events = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        assert_eq!(reveals(&events), 1);
        let r = events.iter().find(|e| e.action == "case.reveal").unwrap();
        assert_eq!(r.actor, "token:analyst");
        assert_eq!(r.object, format!("case:{}", created.id));

        // A case without details: nothing sealed, nothing to reveal.
        let mut bare = new_case("no details");
        bare.technical_details = None;
        let bare = store.create_case(&a, &o.id, &bare).await.unwrap();
        let got = store
            .get_case(&a, &o.id, &bare.id, true)
            .await
            .unwrap()
            .unwrap();
        assert!(!got.case.has_technical_details);
        assert_eq!(got.case.technical_details, None);
        assert!(store.verify_audit(None).await.unwrap().broken.is_none());
    })
    .await;
}

#[tokio::test]
async fn facts_and_submissions_are_appended_with_provenance() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &new_case("c")).await.unwrap();
        let before = now_micros();
        let learned = store
            .add_case_event(
                &a,
                &o.id,
                &c.id,
                &NewCaseEvent {
                    event: "vuln.discovered_or_learned".into(),
                    at: micros("2026-10-01T12:00:00Z"),
                    source: " finder's e-mail of 1 Oct ".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(learned.source, "finder's e-mail of 1 Oct");
        assert_eq!(learned.recorded_by, "token:analyst");
        assert!(learned.recorded_at >= before);
        let aware = store
            .add_case_event(
                &a,
                &o.id,
                &c.id,
                &NewCaseEvent {
                    event: "vuln.exploitation_aware".into(),
                    at: micros("2026-10-02T07:15:00Z"),
                    source: "honeypot alert 4711".into(),
                },
            )
            .await
            .unwrap();
        let sub = store
            .add_case_submission(
                &a,
                &o.id,
                &c.id,
                &NewCaseSubmission {
                    rule: "eu.cra.art14.aev".into(),
                    stage: "early_warning".into(),
                    covers: vec![],
                    at: micros("2026-10-03T06:00:00Z"),
                    evidence: "SRP receipt 99".into(),
                },
            )
            .await
            .unwrap();
        let rec = store
            .get_case(&a, &o.id, &c.id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rec.events, [learned.clone(), aware]);
        assert_eq!(micros_to_rfc3339(rec.events[1].at), "2026-10-02T07:15:00Z");
        assert_eq!(rec.events[1].source, "honeypot alert 4711");
        assert_eq!(rec.submissions, std::slice::from_ref(&sub));
        assert_eq!(rec.submissions[0].evidence, "SRP receipt 99");
        assert!(rec.case.updated_at >= sub.recorded_at);

        // The same through the list of records.
        let all = store.list_case_records(&o.id, None).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].events.len(), 2);
        assert_eq!(all[0].submissions.len(), 1);

        let audit = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        let facts: Vec<_> = audit.iter().filter(|e| e.action == "case.event").collect();
        assert_eq!(facts.len(), 2);
        let detail: serde_json::Value =
            serde_json::from_str(facts[1].detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail["event"], "vuln.exploitation_aware");
        assert_eq!(detail["at"], "2026-10-02T07:15:00Z");
        assert_eq!(detail["source"], "honeypot alert 4711");
        assert!(audit.iter().any(|e| e.action == "case.submission"));

        // An instant more than five minutes ahead is refused; nothing stored.
        let future = store
            .add_case_event(
                &a,
                &o.id,
                &c.id,
                &NewCaseEvent {
                    event: "vuln.fixed".into(),
                    at: now_micros() + 10 * 60 * 1_000_000,
                    source: "s".into(),
                },
            )
            .await;
        assert!(
            matches!(future, Err(StoreError::InvalidField { field: "at", .. })),
            "{future:?}"
        );
        let empty_source = store
            .add_case_event(
                &a,
                &o.id,
                &c.id,
                &NewCaseEvent {
                    event: "vuln.fixed".into(),
                    at: now_micros(),
                    source: "  ".into(),
                },
            )
            .await;
        assert!(matches!(
            empty_source,
            Err(StoreError::InvalidField {
                field: "source",
                ..
            })
        ));
        let rec = store
            .get_case(&a, &o.id, &c.id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rec.events.len(), 2);
    })
    .await;
}

#[tokio::test]
async fn status_changes_lists_and_isolation() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let other = org(&store, "globex").await;
        let a = actor(&o.id);
        let one = store
            .create_case(&a, &o.id, &new_case("one"))
            .await
            .unwrap();
        let two = store
            .create_case(&a, &o.id, &new_case("two"))
            .await
            .unwrap();
        let theirs = store
            .create_case(&actor(&other.id), &other.id, &new_case("theirs"))
            .await
            .unwrap();

        let triaged = store
            .update_case_status(&a, &o.id, &two.id, CaseStatus::Triaged)
            .await
            .unwrap();
        assert_eq!(triaged.status, CaseStatus::Triaged);
        let audit = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        let change = audit.iter().find(|e| e.action == "case.status").unwrap();
        let detail: serde_json::Value =
            serde_json::from_str(change.detail.as_deref().unwrap()).unwrap();
        assert_eq!(detail, json!({"from": "received", "to": "triaged"}));

        let ids = |list: Vec<vigilo_store::StoredCase>| {
            list.into_iter().map(|c| c.id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store.list_cases(&o.id, None).await.unwrap()),
            [one.id.clone(), two.id.clone()]
        );
        assert_eq!(
            ids(store
                .list_cases(&o.id, Some(CaseStatus::Triaged))
                .await
                .unwrap()),
            std::slice::from_ref(&two.id)
        );
        assert!(
            store
                .list_cases(&o.id, Some(CaseStatus::Fixed))
                .await
                .unwrap()
                .is_empty()
        );

        // Another organisation's case is invisible and untouchable.
        assert!(
            store
                .get_case(&a, &o.id, &theirs.id, true)
                .await
                .unwrap()
                .is_none()
        );
        let ev = NewCaseEvent {
            event: "vuln.discovered_or_learned".into(),
            at: now_micros(),
            source: "s".into(),
        };
        assert!(matches!(
            store.add_case_event(&a, &o.id, &theirs.id, &ev).await,
            Err(StoreError::NotFound { kind: "case", .. })
        ));
        assert!(matches!(
            store
                .update_case_status(&a, &o.id, &theirs.id, CaseStatus::Rejected)
                .await,
            Err(StoreError::NotFound { kind: "case", .. })
        ));
        let sub = NewCaseSubmission {
            rule: "eu.cra.art14.aev".into(),
            stage: "early_warning".into(),
            covers: vec![],
            at: now_micros(),
            evidence: "e".into(),
        };
        assert!(matches!(
            store.add_case_submission(&a, &o.id, &theirs.id, &sub).await,
            Err(StoreError::NotFound { kind: "case", .. })
        ));
        let theirs_now = store
            .get_case(&actor(&other.id), &other.id, &theirs.id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(theirs_now.case.status, CaseStatus::Received);
        assert!(theirs_now.events.is_empty() && theirs_now.submissions.is_empty());
    })
    .await;
}

#[tokio::test]
async fn invalid_cases_store_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let field = |r: Result<vigilo_store::StoredCase, StoreError>| match r {
            Err(StoreError::InvalidField { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut c = new_case("x");
        c.cvss_vector = Some("CVSS:2.0/AV:N".into());
        assert_eq!(field(store.create_case(&a, &o.id, &c).await), "cvss_vector");
        let mut c = new_case("x");
        c.title = " ".into();
        assert_eq!(field(store.create_case(&a, &o.id, &c).await), "title");
        let mut c = new_case("x");
        c.flags.insert("n".into(), json!(3));
        assert_eq!(field(store.create_case(&a, &o.id, &c).await), "flags");
        let mut c = new_case("x");
        c.cve_ids = vec!["CVE-26-1".into()];
        assert_eq!(field(store.create_case(&a, &o.id, &c).await), "cve_ids");
        assert!(store.list_cases(&o.id, None).await.unwrap().is_empty());
        let audit = store.audit_events(Some(&o.id), 0, 1000).await.unwrap();
        assert!(!audit.iter().any(|e| e.action.starts_with("case.")));
    })
    .await;
}

#[tokio::test]
async fn the_export_carries_cases_decrypted() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &new_case("c")).await.unwrap();
        store
            .add_case_event(
                &a,
                &o.id,
                &c.id,
                &NewCaseEvent {
                    event: "vuln.exploitation_aware".into(),
                    at: micros("2026-10-02T07:15:00Z"),
                    source: "honeypot".into(),
                },
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        let manifest = store
            .export_org(&Actor::system(), "acme", &out)
            .await
            .unwrap();
        assert_eq!(manifest.files["cases.jsonl"].records, 1);
        let text = std::fs::read_to_string(out.join("cases.jsonl")).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["id"], c.id.as_str());
        assert_eq!(
            line["technical_details"],
            format!("payload: {SECRET}").as_str()
        );
        assert_eq!(line["kind"], "vulnerability");
        assert_eq!(line["flags"]["vuln.actively_exploited"], true);
        assert_eq!(line["events"][0]["event"], "vuln.exploitation_aware");
        assert_eq!(line["events"][0]["at"], "2026-10-02T07:15:00Z");
        assert_eq!(line["events"][0]["source"], "honeypot");
        assert_eq!(line["submissions"], json!([]));
    })
    .await;
}
