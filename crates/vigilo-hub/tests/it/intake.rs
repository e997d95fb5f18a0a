//! The public intake: settings for admins only, no account needed to
//! report, a proof of work, each challenge once, a honeypot, expiry, a rate
//! limit per address, a 202 that leaks nothing, and the case visible to the
//! organisation with its contact sealed; on every backend.

use std::net::IpAddr;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_hub::case_parts_api::{IntakeGuard, proof_of_work_holds, solve_proof_of_work};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, OrgFixture, Resp, fresh_ip};

const EMAIL: &str = "finder-91aa@example.org";
const DETAILS: &str = "payload-7d3e0c in ?q=";

/// A hub with an organisation whose intake `slug` is enabled, and cheap
/// proofs of work.
async fn intake_hub(db: vigilo_test_support::TestDb) -> (Hub, OrgFixture, String) {
    let hub = Hub::new(db).await;
    hub.state.intake.set_difficulty(8);
    let org = hub.org("acme").await;
    let slug = format!("acme-{}", &crate::support::marker()[..8]);
    let s = hub
        .put(
            "/api/intake/settings",
            &org.admin,
            &json!({"enabled": true, "slug": slug}),
        )
        .await
        .json(StatusCode::OK);
    assert_eq!(s["enabled"], true);
    assert_eq!(s["path"], format!("/api/intake/{slug}"));
    (hub, org, slug)
}

async fn challenge(hub: &Hub, slug: &str) -> (String, u32) {
    let c = hub
        .send(Call::new(
            Method::GET,
            &format!("/api/intake/{slug}/challenge"),
        ))
        .await
        .json(StatusCode::OK);
    (
        c["challenge"].as_str().unwrap().to_owned(),
        u32::try_from(c["difficulty"].as_u64().unwrap()).unwrap(),
    )
}

fn report(challenge: &str, nonce: &str) -> Value {
    json!({
        "title": "XSS in the portal search",
        "description": "Reflected XSS",
        "products": [{"name": "portal", "version": "4.2"}],
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
        "technical_details": DETAILS,
        "reporter": {"name": "A. Finder", "email": EMAIL},
        "challenge": challenge,
        "nonce": nonce,
        "website": "",
    })
}

async fn submit(hub: &Hub, slug: &str, ip: IpAddr, body: &Value) -> Resp {
    hub.send(
        Call::new(Method::POST, &format!("/api/intake/{slug}"))
            .peer(ip)
            .json(body),
    )
    .await
}

/// A fresh, solved report.
async fn solved(hub: &Hub, slug: &str) -> Value {
    let (c, d) = challenge(hub, slug).await;
    let nonce = solve_proof_of_work(&c, d);
    report(&c, &nonce)
}

#[tokio::test]
async fn a_valid_report_becomes_a_case_of_the_organisation() {
    for_each_backend(|db| async move {
        let (hub, org, slug) = intake_hub(db).await;
        // Settings: admins only.
        let analyst = hub.token_with_role(&org.admin, "analyst").await;
        hub.get("/api/intake/settings", &analyst.secret)
            .await
            .problem(StatusCode::FORBIDDEN);
        let other = hub.org("other").await;
        hub.put(
            "/api/intake/settings",
            &other.admin,
            &json!({"enabled": true, "slug": slug}),
        )
        .await
        .problem(StatusCode::CONFLICT);
        hub.put(
            "/api/intake/settings",
            &other.admin,
            &json!({"enabled": "yes", "slug": "Bad Slug"}),
        )
        .await
        .pointers(StatusCode::UNPROCESSABLE_ENTITY)
        .eq(&["/enabled", "/slug"])
        .then_some(())
        .expect("both named");

        let ip = fresh_ip();
        let body = solved(&hub, &slug).await;
        let r = submit(&hub, &slug, ip, &body).await;
        let receipt = r.json(StatusCode::ACCEPTED);
        // Only a tracking id: nothing of the report comes back.
        let keys: Vec<_> = receipt.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["tracking_id"]);
        for secret in [EMAIL, DETAILS, "XSS in the portal", "A. Finder", &org.id] {
            assert!(!r.text().contains(secret), "{secret} leaked: {}", r.text());
        }
        let id = receipt["tracking_id"].as_str().unwrap();

        let case = hub
            .get(&format!("/api/cases/{id}"), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(case["origin"], "intake");
        assert_eq!(case["status"], "received");
        assert_eq!(case["title"], "XSS in the portal search");
        assert_eq!(case["has_reporter_contact"], true);
        assert!(!case.to_string().contains(EMAIL));
        assert_eq!(case["events"][0]["event"], "vuln.reported");
        assert_eq!(
            case["events"][0]["source"],
            format!("public intake from {ip}")
        );
        let revealed = hub
            .get(
                &format!("/api/cases/{id}?reveal=reporter_contact,technical_details"),
                &org.admin,
            )
            .await
            .json(StatusCode::OK);
        assert_eq!(revealed["reporter_contact"]["email"], EMAIL);
        assert_eq!(revealed["technical_details"], DETAILS);
        // Not another organisation's.
        hub.get(&format!("/api/cases/{id}"), &other.admin)
            .await
            .problem(StatusCode::NOT_FOUND);

        // Disabled or unknown: 404, for the challenge and the report.
        hub.put(
            "/api/intake/settings",
            &org.admin,
            &json!({"enabled": false, "slug": slug}),
        )
        .await
        .json(StatusCode::OK);
        for s in [slug.as_str(), "no-such-intake"] {
            hub.send(Call::new(
                Method::GET,
                &format!("/api/intake/{s}/challenge"),
            ))
            .await
            .problem(StatusCode::NOT_FOUND);
            submit(&hub, s, fresh_ip(), &body)
                .await
                .problem(StatusCode::NOT_FOUND);
        }
    })
    .await;
}

#[tokio::test]
async fn bad_work_reuse_honeypot_and_expiry_are_refused() {
    for_each_backend(|db| async move {
        let (hub, org, slug) = intake_hub(db).await;
        let cases = || async {
            hub.get("/api/cases", &org.admin).await.json(StatusCode::OK)["cases"]
                .as_array()
                .unwrap()
                .len()
        };

        // A nonce that does not do the work.
        let (c, d) = challenge(&hub, &slug).await;
        let wrong = (0..)
            .map(|i: u32| format!("w{i}"))
            .find(|n| !proof_of_work_holds(&c, n, d))
            .unwrap();
        let r = submit(&hub, &slug, fresh_ip(), &report(&c, &wrong)).await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/nonce"]);

        // A forged challenge, one for another intake.
        let forged = c.replacen(".8.", ".0.", 1);
        let r = submit(&hub, &slug, fresh_ip(), &report(&forged, "1")).await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/challenge"]);

        // The honeypot filled: refused even with good work.
        let nonce = solve_proof_of_work(&c, d);
        let mut body = report(&c, &nonce);
        body["website"] = json!("http://cheap-pills.example");
        let r = submit(&hub, &slug, fresh_ip(), &body).await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/website"]);

        // Strict limits on every member.
        let mut body = report(&c, &nonce);
        body["title"] = json!("t".repeat(301));
        body["description"] = json!("d".repeat(16 * 1024 + 1));
        body["technical_details"] = json!("x".repeat(64 * 1024 + 1));
        body["reporter"] = json!({"name": "n".repeat(201), "email": "e@x"});
        let r = submit(&hub, &slug, fresh_ip(), &body).await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            [
                "/title",
                "/description",
                "/technical_details",
                "/reporter/name"
            ]
        );
        let mut body = report(&c, &nonce);
        body["description"] = json!("d".repeat(200 * 1024));
        submit(&hub, &slug, fresh_ip(), &body)
            .await
            .problem(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(cases().await, 0);

        // Good once; the same challenge again is refused.
        submit(&hub, &slug, fresh_ip(), &report(&c, &nonce))
            .await
            .json(StatusCode::ACCEPTED);
        let again = submit(&hub, &slug, fresh_ip(), &report(&c, &nonce)).await;
        let p = again.problem(StatusCode::CONFLICT);
        assert!(
            p["detail"].as_str().unwrap().contains("already used"),
            "{p}"
        );
        assert_eq!(cases().await, 1);

        // An expired challenge.
        hub.state.intake.set_challenge_ttl(Duration::ZERO);
        let body = solved(&hub, &slug).await;
        let r = submit(&hub, &slug, fresh_ip(), &body).await;
        let p = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p["detail"].as_str().unwrap().contains("expired"), "{p}");
        assert_eq!(cases().await, 1);
    })
    .await;
}

#[tokio::test]
async fn the_sixth_report_from_one_address_within_the_hour_is_429() {
    for_each_backend(|db| async move {
        let (hub, _org, slug) = intake_hub(db).await;
        let ip = fresh_ip();
        for _ in 0..IntakeGuard::PER_IP {
            let body = solved(&hub, &slug).await;
            submit(&hub, &slug, ip, &body)
                .await
                .json(StatusCode::ACCEPTED);
        }
        let body = solved(&hub, &slug).await;
        let r = submit(&hub, &slug, ip, &body).await;
        r.problem(StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry), "{retry}");
        // Another address is not held back, and the unused challenge still works.
        submit(&hub, &slug, fresh_ip(), &body)
            .await
            .json(StatusCode::ACCEPTED);
    })
    .await;
}

#[test]
fn the_default_difficulty_is_18_bits() {
    let g = IntakeGuard::new();
    assert_eq!(g.difficulty(), IntakeGuard::DEFAULT_DIFFICULTY);
    assert_eq!(IntakeGuard::DEFAULT_DIFFICULTY, 18);
    let (c, d, _) = g.issue("acme");
    assert_eq!(d, 18);
    assert!(c.starts_with("v1.acme."));
}
