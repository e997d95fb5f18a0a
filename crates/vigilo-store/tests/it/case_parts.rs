//! The rest of a case record (impact, exploitation, reporter contact,
//! embargo, linked advisories, origin), its participants, messages and
//! attachments, and the public intake: every field round-trips, sealed
//! columns hold no plaintext, an oversize attachment stores nothing, an
//! intake report is one case and one fact committed together, and the export
//! carries it all opened; on every backend.

use std::collections::BTreeMap;

use sqlx::Row as _;
use vigilo_store::case_parts::MAX_ATTACHMENT;
use vigilo_store::{
    Actor, CaseKind, CaseOrigin, CaseProduct, CaseStatus, CaseUpdate, Embargo, IntakeReport,
    MessageKind, NewAttachment, NewCase, NewMessage, NewParticipant, ParticipantRole,
    ParticipantStatus, ReporterContact, SealedCaseField, Store, StoreError,
};
use vigilo_test_support::{Backend, TestDb, for_each_backend};

use crate::support::{open, org};

const CONTACT_SECRET: &str = "finder-7c41@example.org";
const PARTICIPANT_SECRET: &str = "psirt-hotline-5d2e@vendor.example";
const POC_SECRET: &str = "poc-marker-0b9f3a";

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

fn full_case() -> NewCase {
    NewCase {
        title: "Gateway RCE".into(),
        kind: CaseKind::Vulnerability,
        status: CaseStatus::Triaged,
        description: "RCE through the login form".into(),
        products: vec![CaseProduct {
            name: "gateway".into(),
            version: Some("2.3".into()),
            purl: Some("pkg:generic/acme/gateway@2.3".into()),
        }],
        cvss_vector: Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N".into()),
        cve_ids: vec!["CVE-2026-12345".into()],
        flags: BTreeMap::new(),
        technical_details: Some("send ${jndi:ldap://x} to /login".into()),
        impact: Some("Unauthenticated remote code execution".into()),
        exploited: true,
        exploited_evidence: Some("honeypot hits since 2026-10-01".into()),
        reporter_contact: Some(ReporterContact {
            name: Some("A. Finder".into()),
            email: Some(CONTACT_SECRET.into()),
            pgp_key: None,
        }),
        embargo: Some(Embargo {
            until: micros("2026-12-01T08:00:00Z"),
            tz: "Europe/Berlin".into(),
        }),
        linked_advisories: vec!["GHSA-jfh8-c2jp-5v3q".into(), "CVE-2021-44228".into()],
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The SQLite database file and its WAL, for scanning.
fn sqlite_bytes(db: &TestDb) -> Vec<u8> {
    let mut bytes = std::fs::read(db.data_dir().join("vigilo.db")).unwrap();
    if let Ok(wal) = std::fs::read(db.data_dir().join("vigilo.db-wal")) {
        bytes.extend(wal);
    }
    bytes
}

async fn count(store: &Store, sql: &str, bind: &str) -> i64 {
    sqlx::query(sql)
        .bind(bind)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0)
}

async fn audit_actions(store: &Store, org_id: &str) -> Vec<String> {
    store
        .audit_events(Some(org_id), 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn every_new_field_round_trips_and_updates() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let created = store.create_case(&a, &o.id, &full_case()).await.unwrap();
        assert_eq!(created.origin, CaseOrigin::Api);
        assert!(created.has_reporter_contact && created.reporter_contact.is_none());

        let plain = store
            .get_case(&a, &o.id, &created.id, false)
            .await
            .unwrap()
            .unwrap()
            .case;
        let new = full_case();
        assert_eq!(plain.impact, new.impact);
        assert!(plain.exploited);
        assert_eq!(plain.exploited_evidence, new.exploited_evidence);
        assert_eq!(plain.embargo, new.embargo);
        assert_eq!(
            plain.embargo.as_ref().unwrap().local(),
            "2026-12-01T09:00:00+01:00[Europe/Berlin]"
        );
        assert_eq!(plain.linked_advisories, new.linked_advisories);
        assert_eq!(plain.origin, CaseOrigin::Api);
        assert!(plain.has_reporter_contact);
        assert_eq!(plain.reporter_contact, None);
        assert_eq!(plain.technical_details, None);

        let revealed = store
            .get_case_revealing(
                &a,
                &o.id,
                &created.id,
                &[
                    SealedCaseField::ReporterContact,
                    SealedCaseField::TechnicalDetails,
                ],
            )
            .await
            .unwrap()
            .unwrap()
            .case;
        assert_eq!(revealed.reporter_contact, new.reporter_contact);
        assert_eq!(revealed.technical_details, new.technical_details);
        let reveals: Vec<_> = store
            .audit_events(Some(&o.id), 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "case.reveal")
            .map(|e| e.detail.unwrap_or_default())
            .collect();
        assert_eq!(reveals.len(), 2, "{reveals:?}");
        assert!(reveals.iter().any(|d| d.contains("reporter_contact")));

        // The mutable fields change together; null clears.
        let updated = store
            .update_case(
                &a,
                &o.id,
                &created.id,
                &CaseUpdate {
                    status: Some(CaseStatus::Coordinating),
                    impact: Some(None),
                    exploited: Some(false),
                    exploited_evidence: Some(None),
                    embargo: Some(Some(Embargo {
                        until: micros("2027-01-15T00:00:00Z"),
                        tz: "America/New_York".into(),
                    })),
                    linked_advisories: Some(vec!["OSV-2026-1".into()]),
                    cve_ids: Some(vec![]),
                    cvss_vector: Some(Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into())),
                },
            )
            .await
            .unwrap();
        let back = store
            .get_case(&a, &o.id, &created.id, false)
            .await
            .unwrap()
            .unwrap()
            .case;
        assert_eq!(back, updated);
        assert_eq!(back.status, CaseStatus::Coordinating);
        assert_eq!(back.impact, None);
        assert!(!back.exploited && back.exploited_evidence.is_none());
        assert_eq!(back.embargo.as_ref().unwrap().tz, "America/New_York");
        assert_eq!(back.linked_advisories, ["OSV-2026-1"]);
        assert!(back.cve_ids.is_empty());
        assert!(
            back.cvss_vector
                .as_deref()
                .unwrap()
                .starts_with("CVSS:3.1/")
        );
        let update = store
            .audit_events(Some(&o.id), 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .rfind(|e| e.action == "case.update")
            .unwrap();
        let detail = update.detail.unwrap();
        assert!(
            detail.contains("\"from\":\"triaged\"") && detail.contains("\"to\":\"coordinating\""),
            "{detail}"
        );

        // Exploited without evidence, an unknown zone, a bad advisory id:
        // refused whole, nothing changed.
        for (change, field) in [
            (
                CaseUpdate {
                    exploited: Some(true),
                    status: Some(CaseStatus::Fixed),
                    ..CaseUpdate::default()
                },
                "exploited_evidence",
            ),
            (
                CaseUpdate {
                    embargo: Some(Some(Embargo {
                        until: 0,
                        tz: "Mars/Olympus_Mons".into(),
                    })),
                    ..CaseUpdate::default()
                },
                "embargo_tz",
            ),
            (
                CaseUpdate {
                    linked_advisories: Some(vec!["not an id".into()]),
                    ..CaseUpdate::default()
                },
                "linked_advisories",
            ),
        ] {
            match store.update_case(&a, &o.id, &created.id, &change).await {
                Err(StoreError::InvalidField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        let same = store
            .get_case(&a, &o.id, &created.id, false)
            .await
            .unwrap()
            .unwrap()
            .case;
        assert_eq!(same, back);

        // The old status-only path still works.
        let s = store
            .update_case_status(&a, &o.id, &created.id, CaseStatus::Fixed)
            .await
            .unwrap();
        assert_eq!(s.status, CaseStatus::Fixed);
        assert_eq!(s.linked_advisories, ["OSV-2026-1"]);

        // Another organisation's case cannot be changed.
        let other = org(&store, "other").await;
        let err = store
            .update_case(
                &actor(&other.id),
                &other.id,
                &created.id,
                &CaseUpdate {
                    impact: Some(Some("x".into())),
                    ..CaseUpdate::default()
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn sealed_columns_hold_no_plaintext() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &full_case()).await.unwrap();
        let p = store
            .add_participant(
                &a,
                &o.id,
                &c.id,
                &NewParticipant {
                    role: ParticipantRole::Vendor,
                    name: "Vendor PSIRT".into(),
                    contact: Some(PARTICIPANT_SECRET.into()),
                    status: ParticipantStatus::Notified,
                },
            )
            .await
            .unwrap();
        let content = format!("#!/usr/bin/env python3\nprint('{POC_SECRET}')\n");
        let att = store
            .add_attachment(
                &a,
                &o.id,
                &c.id,
                NewAttachment {
                    name: "poc.py",
                    media_type: "text/x-python",
                    content: content.as_bytes(),
                },
            )
            .await
            .unwrap();
        assert_eq!(att.size, content.len() as i64);
        assert_eq!(att.sha256.len(), 64);

        for (sql, id, secret) in [
            ("SELECT reporter_contact FROM cases WHERE id = $1", &c.id, CONTACT_SECRET),
            ("SELECT contact FROM case_participants WHERE id = $1", &p.id, PARTICIPANT_SECRET),
            ("SELECT content FROM case_attachments WHERE id = $1", &att.id, POC_SECRET),
        ] {
            let raw: Vec<u8> = sqlx::query(sql)
                .bind(id)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
            assert!(!raw.is_empty() && !contains(&raw, secret), "{sql}");
        }
        if db.backend == Backend::Sqlite {
            let bytes = sqlite_bytes(&db);
            assert!(contains(&bytes, "Vendor PSIRT"), "the scan sees plaintext columns");
            for secret in [CONTACT_SECRET, PARTICIPANT_SECRET, POC_SECRET] {
                assert!(!contains(&bytes, secret), "{secret} found in the database file");
            }
        }

        // Opened on request, each opening audited.
        let listed = store
            .list_participants(&a, &o.id, &c.id, true)
            .await
            .unwrap();
        assert_eq!(listed[0].contact.as_deref(), Some(PARTICIPANT_SECRET));
        let hidden = store
            .list_participants(&a, &o.id, &c.id, false)
            .await
            .unwrap();
        assert!(hidden[0].has_contact && hidden[0].contact.is_none());
        let (meta, bytes) = store
            .read_attachment(&a, &o.id, &c.id, &att.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meta, att);
        assert_eq!(bytes, content.as_bytes());
        let reveals = audit_actions(&store, &o.id)
            .await
            .into_iter()
            .filter(|x| x == "case.reveal")
            .count();
        assert_eq!(reveals, 2);

        // A ciphertext moved to another row does not open.
        let p2 = store
            .add_participant(
                &a,
                &o.id,
                &c.id,
                &NewParticipant {
                    role: ParticipantRole::Coordinator,
                    name: "CERT".into(),
                    contact: Some("cert@example.org".into()),
                    status: ParticipantStatus::Unknown,
                },
            )
            .await
            .unwrap();
        sqlx::query(
            "UPDATE case_participants SET contact = (SELECT contact FROM case_participants WHERE id = $1) WHERE id = $2",
        )
        .bind(&p.id)
        .bind(&p2.id)
        .execute(store.pool())
        .await
        .unwrap();
        let err = store
            .list_participants(&a, &o.id, &c.id, true)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Decrypt(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn an_oversize_attachment_stores_nothing() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &full_case()).await.unwrap();
        let before = audit_actions(&store, &o.id).await.len();
        let big = vec![b'x'; MAX_ATTACHMENT + 1];
        let err = store
            .add_attachment(
                &a,
                &o.id,
                &c.id,
                NewAttachment {
                    name: "big.bin",
                    media_type: "application/octet-stream",
                    content: &big,
                },
            )
            .await
            .unwrap_err();
        match err {
            StoreError::InvalidField { field, message } => {
                assert_eq!(field, "content");
                assert!(message.contains(&MAX_ATTACHMENT.to_string()), "{message}");
            }
            other => panic!("{other}"),
        }
        // A bad name stores nothing either.
        let err = store
            .add_attachment(
                &a,
                &o.id,
                &c.id,
                NewAttachment {
                    name: "../x",
                    media_type: "text/plain",
                    content: b"x",
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidField { field: "name", .. }),
            "{err}"
        );
        assert_eq!(
            count(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM case_attachments WHERE case_id = $1",
                &c.id
            )
            .await,
            0
        );
        assert_eq!(audit_actions(&store, &o.id).await.len(), before);
        assert!(
            store
                .list_attachments(&o.id, &c.id)
                .await
                .unwrap()
                .is_empty()
        );
        // Exactly the limit is fine.
        let exact = vec![b'y'; MAX_ATTACHMENT];
        let att = store
            .add_attachment(
                &a,
                &o.id,
                &c.id,
                NewAttachment {
                    name: "exact.bin",
                    media_type: "application/octet-stream",
                    content: &exact,
                },
            )
            .await
            .unwrap();
        assert_eq!(att.size, MAX_ATTACHMENT as i64);
    })
    .await;
}

#[tokio::test]
async fn participants_messages_and_status_changes() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let other = org(&store, "other").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &full_case()).await.unwrap();
        let vendor = store
            .add_participant(
                &a,
                &o.id,
                &c.id,
                &NewParticipant {
                    role: ParticipantRole::Vendor,
                    name: " Vendor ".into(),
                    contact: None,
                    status: ParticipantStatus::Notified,
                },
            )
            .await
            .unwrap();
        assert_eq!(vendor.name, "Vendor");
        let m1 = store
            .add_message(
                &a,
                &o.id,
                &c.id,
                &NewMessage {
                    participant_id: Some(vendor.id.clone()),
                    body: "Sent the report.".into(),
                },
            )
            .await
            .unwrap();
        store
            .add_message(
                &a,
                &o.id,
                &c.id,
                &NewMessage {
                    participant_id: None,
                    body: "Internal note.".into(),
                },
            )
            .await
            .unwrap();
        let changed = store
            .update_participant_status(&a, &o.id, &c.id, &vendor.id, ParticipantStatus::NotAffected)
            .await
            .unwrap();
        assert_eq!(changed.status, ParticipantStatus::NotAffected);
        let all = store.list_messages(&o.id, &c.id, None).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], m1);
        assert_eq!(all[2].kind, MessageKind::System);
        assert!(
            all[2].body.contains("notified → not_affected"),
            "{}",
            all[2].body
        );
        let with_vendor = store
            .list_messages(&o.id, &c.id, Some(&vendor.id))
            .await
            .unwrap();
        assert_eq!(with_vendor.len(), 2);
        let actions = audit_actions(&store, &o.id).await;
        assert!(actions.contains(&"case.participant_status".to_owned()));
        assert_eq!(actions.iter().filter(|x| *x == "case.message").count(), 2);

        // A participant of no case of ours, another organisation's case.
        let err = store
            .add_message(
                &a,
                &o.id,
                &c.id,
                &NewMessage {
                    participant_id: Some("nope".into()),
                    body: "x".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidField {
                    field: "participant_id",
                    ..
                }
            ),
            "{err}"
        );
        let b = actor(&other.id);
        assert!(matches!(
            store
                .list_messages(&other.id, &c.id, None)
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            store
                .list_participants(&b, &other.id, &c.id, true)
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(matches!(
            store
                .update_participant_status(
                    &b,
                    &other.id,
                    &c.id,
                    &vendor.id,
                    ParticipantStatus::Fixed
                )
                .await
                .unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(
            store
                .read_attachment(&b, &other.id, &c.id, "x")
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn intake_creates_one_case_and_one_fact_together() {
    for_each_backend(|db| async move {
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let other = org(&store, "other").await;
        let a = actor(&o.id);
        assert_eq!(store.intake_settings(&o.id).await.unwrap(), None);
        let s = store
            .put_intake_settings(&a, &o.id, true, "acme-psirt")
            .await
            .unwrap();
        assert!(s.enabled);
        assert_eq!(store.intake_by_slug("acme-psirt").await.unwrap(), Some(s));
        let taken = store
            .put_intake_settings(&actor(&other.id), &other.id, true, "acme-psirt")
            .await
            .unwrap_err();
        assert!(matches!(taken, StoreError::Conflict(_)), "{taken}");
        let s = store
            .put_intake_settings(&a, &o.id, false, "acme-psirt")
            .await
            .unwrap();
        assert!(!s.enabled);

        let report = IntakeReport {
            title: "XSS in the portal".into(),
            description: "Reflected XSS in ?q=".into(),
            products: vec![],
            cvss_vector: None,
            technical_details: Some("<script>alert(1)</script>".into()),
            reporter: Some(ReporterContact {
                name: None,
                email: Some(CONTACT_SECRET.into()),
                pgp_key: None,
            }),
        };
        let case = store
            .receive_intake(&o.id, &report, "198.51.100.7")
            .await
            .unwrap();
        assert_eq!(case.origin, CaseOrigin::Intake);
        assert_eq!(case.status, CaseStatus::Received);
        assert_eq!(case.created_by, "anonymous");
        let record = store
            .get_case_revealing(&a, &o.id, &case.id, &[SealedCaseField::ReporterContact])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.case.reporter_contact, report.reporter);
        assert_eq!(record.events.len(), 1);
        let e = &record.events[0];
        assert_eq!(e.event, "vuln.reported");
        assert_eq!(e.source, "public intake from 198.51.100.7");
        assert_eq!(e.at, case.created_at);
        assert_eq!(
            count(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE org_id = $1",
                &o.id
            )
            .await,
            1
        );
        let events = store.audit_events(Some(&o.id), 0, 10_000).await.unwrap();
        let create = events.iter().find(|e| e.action == "case.create").unwrap();
        assert_eq!(create.source.as_deref(), Some("198.51.100.7"));
        assert!(
            create
                .detail
                .as_deref()
                .unwrap()
                .contains("\"origin\":\"intake\"")
        );

        // Bad input: neither a case nor a fact nor an audit event.
        let before = events.len();
        let bad = IntakeReport {
            title: "\u{0}".into(),
            ..report.clone()
        };
        let err = store
            .receive_intake(&o.id, &bad, "198.51.100.7")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidField { field: "title", .. }),
            "{err}"
        );
        assert_eq!(
            count(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE org_id = $1",
                &o.id
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM case_events WHERE org_id = $1",
                &o.id
            )
            .await,
            1
        );
        assert_eq!(
            store
                .audit_events(Some(&o.id), 0, 10_000)
                .await
                .unwrap()
                .len(),
            before
        );
    })
    .await;
}

#[tokio::test]
async fn the_export_carries_the_case_parts_opened() {
    for_each_backend(|db| async move {
        use base64::Engine as _;
        let store = open(&db).await;
        let o = org(&store, "acme").await;
        let a = actor(&o.id);
        let c = store.create_case(&a, &o.id, &full_case()).await.unwrap();
        store
            .add_participant(
                &a,
                &o.id,
                &c.id,
                &NewParticipant {
                    role: ParticipantRole::Reporter,
                    name: "Finder".into(),
                    contact: Some(PARTICIPANT_SECRET.into()),
                    status: ParticipantStatus::Seen,
                },
            )
            .await
            .unwrap();
        store
            .add_message(
                &a,
                &o.id,
                &c.id,
                &NewMessage {
                    participant_id: None,
                    body: "hello".into(),
                },
            )
            .await
            .unwrap();
        store
            .add_attachment(
                &a,
                &o.id,
                &c.id,
                NewAttachment {
                    name: "poc.py",
                    media_type: "text/x-python",
                    content: POC_SECRET.as_bytes(),
                },
            )
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("export");
        let manifest = store
            .export_org(&Actor::system(), &o.id, &out)
            .await
            .unwrap();
        for f in [
            "case_participants.jsonl",
            "case_messages.jsonl",
            "case_attachments.jsonl",
        ] {
            assert_eq!(manifest.files[f].records, 1, "{f}");
        }
        let line = |f: &str| -> serde_json::Value {
            serde_json::from_str(
                std::fs::read_to_string(out.join(f))
                    .unwrap()
                    .lines()
                    .next()
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(
            line("case_participants.jsonl")["contact"],
            PARTICIPANT_SECRET
        );
        assert_eq!(line("case_messages.jsonl")["body"], "hello");
        let att = line("case_attachments.jsonl");
        let content = base64::engine::general_purpose::STANDARD
            .decode(att["content_base64"].as_str().unwrap())
            .unwrap();
        assert_eq!(content, POC_SECRET.as_bytes());
        let case = line("cases.jsonl");
        assert_eq!(case["reporter_contact"]["email"], CONTACT_SECRET);
        assert_eq!(case["embargo_tz"], "Europe/Berlin");
        assert_eq!(case["exploited"], true);
        assert_eq!(case["origin"], "api");
    })
    .await;
}
