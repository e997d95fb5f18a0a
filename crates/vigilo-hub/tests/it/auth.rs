//! Authentication: one 401 for every failure, both schemes, revocation, slowing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use vigilo_core::Role;
use vigilo_hub::HubConfig;
use vigilo_store::{Actor, NewToken, OrgStatus, now_micros};
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, Resp, marker};

const WWW_AUTHENTICATE: &str = "Bearer realm=\"vigilo\"";

/// A documentation address (192.0.2.0/24) per call, so that these failures
/// are not slowed by the failure limiter.
fn test_ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
}

#[track_caller]
fn assert_unauthorized(r: &Resp, reference: &[u8], what: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.text());
    assert_eq!(r.content_type(), "application/problem+json", "{what}");
    assert_eq!(
        r.headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some(WWW_AUTHENTICATE),
        "{what}"
    );
    assert_eq!(
        r.body.as_ref(),
        reference,
        "{what}: 401 bodies differ: {} vs {}",
        r.text(),
        String::from_utf8_lossy(reference)
    );
}

#[tokio::test]
async fn every_auth_failure_is_the_same_401() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("authfail").await;

        // A revoked token (through the API).
        let revoked = hub.token_with_role(&org.admin, "reader").await;
        hub.delete(&format!("/api/tokens/{}", revoked.id), &org.admin)
            .await
            .json(StatusCode::OK);
        // An expired token (through the store).
        let (_, expired) = hub
            .store
            .create_token(
                &Actor::system(),
                &NewToken {
                    org_id: org.id.clone(),
                    user_id: None,
                    name: "expired".into(),
                    role: Role::Reader,
                    scopes: Role::Reader.allowed_scopes(),
                    expires_at: Some(now_micros() - 1_000_000),
                },
            )
            .await
            .expect("create an expired token");
        // A token of an organisation that is then disabled.
        let victim = hub.org("disabled").await;
        hub.whoami(&victim.admin).await.json(StatusCode::OK);
        hub.patch(
            &format!("/api/orgs/{}", victim.id),
            &hub.operator,
            &json!({"status": "disabled"}),
        )
        .await
        .json(StatusCode::OK);

        let unknown = format!("vgl_{}", "A".repeat(43));
        let cases: Vec<(&str, Option<String>)> = vec![
            ("no header", None),
            ("empty bearer", Some("Bearer ".into())),
            ("scheme only", Some("Bearer".into())),
            ("basic scheme", Some("Basic dXNlcjpwYXNzd29yZA==".into())),
            ("garbage", Some("Bearer garbage".into())),
            ("unknown well-formed", Some(format!("Bearer {unknown}"))),
            ("unknown, Token scheme", Some(format!("Token {unknown}"))),
            ("overlong", Some(format!("Bearer vgl_{}", "x".repeat(300)))),
            ("revoked", Some(format!("Bearer {}", revoked.secret))),
            ("expired", Some(format!("Bearer {expired}"))),
            ("disabled org", Some(format!("Bearer {}", victim.admin))),
            (
                "valid token with junk",
                Some(format!("Bearer {}x", org.admin)),
            ),
        ];
        let first = hub
            .send(Call::new(Method::GET, "/api/whoami").peer(test_ip(1)))
            .await;
        first.problem(StatusCode::UNAUTHORIZED);
        let reference = first.body.to_vec();
        let mut n = 2;
        for (what, auth) in &cases {
            for (method, path) in [
                (Method::GET, "/api/whoami"),
                (Method::GET, "/api/audit"),
                (Method::DELETE, "/api/tokens/x"),
            ] {
                let mut call = Call::new(method, path).peer(test_ip(n));
                n += 1;
                if let Some(auth) = auth {
                    call = call.authorization(auth);
                }
                let r = hub.send(call).await;
                assert_unauthorized(&r, &reference, what);
            }
        }
        // A request with a body is refused before the body is looked at.
        let r = hub
            .send(
                Call::new(Method::POST, "/api/users")
                    .bearer(&unknown)
                    .json(&json!({"nonsense": true}))
                    .peer(test_ip(n)),
            )
            .await;
        assert_unauthorized(&r, &reference, "POST with body");
        // Failed logins read the same.
        let r = hub
            .send(
                Call::new(Method::POST, "/api/auth/login")
                    .json(&json!({"email": "nobody@example.org", "password": "wrong password"}))
                    .peer(test_ip(n + 1)),
            )
            .await;
        assert_unauthorized(&r, &reference, "login of an unknown user");

        // Re-enabling the organisation brings its tokens back.
        hub.patch(
            &format!("/api/orgs/{}", victim.name),
            &hub.operator,
            &json!({"status": "active"}),
        )
        .await
        .json(StatusCode::OK);
        hub.whoami(&victim.admin).await.json(StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn token_and_bearer_schemes_are_equivalent() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("schemes").await;
        let via_bearer = hub.whoami(&org.admin).await.json(StatusCode::OK);
        for scheme in ["Token", "token", "bearer", "BEARER"] {
            let r = hub
                .send(
                    Call::new(Method::GET, "/api/whoami")
                        .authorization(&format!("{scheme} {}", org.admin)),
                )
                .await;
            assert_eq!(r.json(StatusCode::OK), via_bearer, "{scheme}");
        }
        assert_eq!(via_bearer["org"]["id"], org.id.as_str());
        assert_eq!(via_bearer["org"]["name"], org.name.as_str());
        assert_eq!(via_bearer["token_id"], org.admin_token_id.as_str());
        assert_eq!(via_bearer["operator"], false);
        assert_eq!(via_bearer["role"], "admin");
        let whoami_op = hub.whoami(&hub.operator).await.json(StatusCode::OK);
        assert_eq!(whoami_op["operator"], true);
        assert_eq!(whoami_op["org"]["name"], "hub");
        assert_eq!(whoami_op["expires_at"], serde_json::Value::Null);
    })
    .await;
}

#[tokio::test]
async fn revocation_through_the_api_is_immediate() {
    for_each_backend(|db| async move {
        // A long cache lifetime: only eviction can explain an immediate 401.
        let config = HubConfig {
            token_cache_ttl: Duration::from_secs(600),
            ..HubConfig::default()
        };
        let hub = Hub::with_config(db, config).await;
        let org = hub.org("revoke").await;
        let t = hub.token_with_role(&org.admin, "analyst").await;
        hub.whoami(&t.secret).await.json(StatusCode::OK);
        hub.whoami(&t.secret).await.json(StatusCode::OK);

        let view = hub
            .delete(&format!("/api/tokens/{}", t.id), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(view["id"], t.id.as_str());
        assert!(view["revoked_at"].is_string(), "{view}");
        let r = hub.whoami(&t.secret).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
        // Revoking again is harmless and keeps the first revocation time.
        let again = hub
            .delete(&format!("/api/tokens/{}", t.id), &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(again["revoked_at"], view["revoked_at"]);

        // The operator may revoke any organisation's token, also at once.
        let t2 = hub.token_with_role(&org.admin, "reader").await;
        hub.whoami(&t2.secret).await.json(StatusCode::OK);
        hub.delete(&format!("/api/tokens/{}", t2.id), &hub.operator)
            .await
            .json(StatusCode::OK);
        let r = hub.whoami(&t2.secret).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());

        // Disabling an organisation through the API also takes effect at once.
        let t3 = hub.token_with_role(&org.admin, "reader").await;
        hub.whoami(&t3.secret).await.json(StatusCode::OK);
        hub.patch(
            &format!("/api/orgs/{}", org.id),
            &hub.operator,
            &json!({"status": "disabled"}),
        )
        .await
        .json(StatusCode::OK);
        for secret in [&t3.secret, &org.admin] {
            let r = hub.whoami(secret).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
        }
        // The token listing records the revocations.
        let tokens = hub
            .get("/api/tokens", &hub.operator)
            .await
            .json(StatusCode::OK);
        assert!(
            tokens
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["org_id"] != org.id.as_str()),
            "the operator lists its own tokens only: {tokens}"
        );
    })
    .await;
}

/// Polls whoami until it fails; returns how long after `since` that was.
async fn time_until_refused(hub: &Hub, secret: &str, since: Instant) -> Duration {
    loop {
        let r = hub.whoami(secret).await;
        if r.status == StatusCode::UNAUTHORIZED {
            return since.elapsed();
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "token still accepted 5s later"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn changes_made_elsewhere_take_effect_within_the_cache_ttl() {
    for_each_backend(|db| async move {
        let ttl = Duration::from_millis(300);
        let bound = ttl * 3 / 2;
        let config = HubConfig {
            token_cache_ttl: ttl,
            ..HubConfig::default()
        };
        let hub = Hub::with_config(db, config).await;
        let org = hub.org("ttl").await;

        // Revocation by another process (straight through the store).
        let t = hub.token_with_role(&org.admin, "reader").await;
        hub.whoami(&t.secret).await.json(StatusCode::OK);
        let start = Instant::now();
        hub.store
            .revoke_token(&Actor::system(), None, &t.id)
            .await
            .expect("revoke through the store");
        let took = time_until_refused(&hub, &t.secret, start).await;
        assert!(took <= bound, "revocation took {took:?} (ttl {ttl:?})");

        // Disabling the organisation by another process.
        let t2 = hub.token_with_role(&org.admin, "reader").await;
        hub.whoami(&t2.secret).await.json(StatusCode::OK);
        let start = Instant::now();
        hub.store
            .set_org_status(&Actor::system(), &org.id, OrgStatus::Disabled)
            .await
            .expect("disable through the store");
        let took = time_until_refused(&hub, &t2.secret, start).await;
        assert!(took <= bound, "disabling took {took:?} (ttl {ttl:?})");
    })
    .await;
}

#[tokio::test]
async fn a_cached_token_stops_working_when_it_expires() {
    for_each_backend(|db| async move {
        let config = HubConfig {
            token_cache_ttl: Duration::from_secs(600),
            ..HubConfig::default()
        };
        let hub = Hub::with_config(db, config).await;
        let org = hub.org("expiry").await;
        let life = Duration::from_millis(400);
        let expires_at = now_micros() + i64::try_from(life.as_micros()).unwrap();
        let (_, secret) = hub
            .store
            .create_token(
                &Actor::system(),
                &NewToken {
                    org_id: org.id.clone(),
                    user_id: None,
                    name: format!("short-lived {}", marker()),
                    role: Role::Reader,
                    scopes: Role::Reader.allowed_scopes(),
                    expires_at: Some(expires_at),
                },
            )
            .await
            .expect("create a short-lived token");
        let me = hub.whoami(&secret).await.json(StatusCode::OK);
        assert!(me["expires_at"].is_string(), "{me}");
        while now_micros() <= expires_at {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let r = hub.whoami(&secret).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    })
    .await;
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_slowed() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("slow").await;
        let slowed = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9));
        let fail_from = |ip: IpAddr| {
            Call::new(Method::GET, "/api/whoami")
                .authorization("Bearer not-a-token")
                .peer(ip)
        };

        let mut times = Vec::new();
        let mut bodies = Vec::new();
        for _ in 0..8 {
            let r = hub.send(fail_from(slowed)).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            times.push(r.elapsed);
            bodies.push(r.body.clone());
        }
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "same body when slowed"
        );
        assert_eq!(hub.state.failures.failures(slowed), 8);
        // Failures 6, 7 and 8 wait 50, 100 and 200 ms.
        for (i, min_ms) in [(5, 50), (6, 100), (7, 200)] {
            assert!(
                times[i] >= Duration::from_millis(min_ms),
                "failure {} took {:?}: {times:?}",
                i + 1,
                times[i]
            );
        }

        // Another address is not slowed by the first one's failures.
        let other = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10));
        let r = hub.send(fail_from(other)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.elapsed < times[7], "{:?} vs {:?}", r.elapsed, times[7]);
        assert_eq!(hub.state.failures.failures(other), 1);

        // A good token from the slowed address still works, without waiting.
        let r = hub
            .send(
                Call::new(Method::GET, "/api/whoami")
                    .bearer(&org.admin)
                    .peer(slowed),
            )
            .await;
        r.json(StatusCode::OK);
        assert!(r.elapsed < times[7], "{:?} vs {:?}", r.elapsed, times[7]);

        // In-process requests without a peer address count as ::1.
        let local = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let before = hub.state.failures.failures(local);
        let r = hub.send(Call::new(Method::GET, "/api/whoami")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(hub.state.failures.failures(local), before + 1);
    })
    .await;
}
