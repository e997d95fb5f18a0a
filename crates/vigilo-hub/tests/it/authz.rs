//! Authorisation: roles, scopes, and what only the hub operator may do.

use axum::http::StatusCode;
use serde_json::json;
use vigilo_test_support::for_each_backend;

use crate::support::{Hub, marker};

#[tokio::test]
async fn roles_and_scopes_limit_what_a_token_may_do() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("roles").await;
        let reader = hub.token_with_role(&org.admin, "reader").await;
        let analyst = hub.token_with_role(&org.admin, "analyst").await;

        let user = json!({"email": format!("{}@example.org", marker()), "display_name": "U", "role": "reader"});
        for t in [&reader.secret, &analyst.secret] {
            hub.post("/api/users", t, &user)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.get("/api/users", t)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.get("/api/tokens", t)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.post("/api/tokens", t, &json!({"name": "n", "role": "reader"}))
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.delete(&format!("/api/tokens/{}", reader.id), t)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.put("/api/org/profile", t, &json!({"legal_name": "L"}))
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.get("/api/org/profile?reveal=true", t)
                .await
                .problem(StatusCode::FORBIDDEN);
            hub.get("/api/audit", t)
                .await
                .problem(StatusCode::FORBIDDEN);
            // What the read scope allows.
            hub.whoami(t).await.json(StatusCode::OK);
            let orgs = hub.get("/api/orgs", t).await.json(StatusCode::OK);
            assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
            assert_eq!(orgs[0]["id"], org.id.as_str());
        }
        // The reader token still works and was not revoked by the attempts above.
        hub.whoami(&reader.secret).await.json(StatusCode::OK);
        let me = hub.whoami(&reader.secret).await.json(StatusCode::OK);
        assert_eq!(me["scopes"], json!(["read"]));
        assert_eq!(me["role"], "reader");
    })
    .await;
}

#[tokio::test]
async fn only_the_operator_manages_organisations() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("opa").await;
        let b = hub.org("opb").await;

        let r = hub
            .post(
                "/api/orgs",
                &a.admin,
                &json!({"name": "sneaky", "display_name": "Sneaky"}),
            )
            .await;
        r.problem(StatusCode::FORBIDDEN);
        for target in [&b.id, &a.id] {
            hub.patch(
                &format!("/api/orgs/{target}"),
                &a.admin,
                &json!({"status": "disabled"}),
            )
            .await
            .problem(StatusCode::FORBIDDEN);
        }
        // An organisation admin sees only its own organisation.
        let orgs = hub.get("/api/orgs", &a.admin).await.json(StatusCode::OK);
        assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
        assert_eq!(orgs[0]["name"], a.name.as_str());
        // The operator sees all of them.
        let orgs = hub
            .get("/api/orgs", &hub.operator)
            .await
            .json(StatusCode::OK);
        let mut names: Vec<&str> = orgs
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut want = vec!["hub", a.name.as_str(), b.name.as_str()];
        want.sort_unstable();
        assert_eq!(names, want);
        // A non-admin token of the operator organisation is not the operator.
        let op_reader = hub.token_with_role(&hub.operator, "reader").await;
        hub.post(
            "/api/orgs",
            &op_reader.secret,
            &json!({"name": "sneaky", "display_name": "Sneaky"}),
        )
        .await
        .problem(StatusCode::FORBIDDEN);
        let orgs = hub
            .get("/api/orgs", &op_reader.secret)
            .await
            .json(StatusCode::OK);
        assert_eq!(orgs.as_array().unwrap().len(), 1, "{orgs}");
        // The operator organisation cannot be disabled.
        hub.patch(
            "/api/orgs/hub",
            &hub.operator,
            &json!({"status": "disabled"}),
        )
        .await
        .problem(StatusCode::NOT_FOUND);
        // Names are unique.
        hub.post(
            "/api/orgs",
            &hub.operator,
            &json!({"name": a.name, "display_name": "Again"}),
        )
        .await
        .problem(StatusCode::CONFLICT);
    })
    .await;
}

#[tokio::test]
async fn an_org_admin_manages_its_own_users_and_tokens() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("own").await;
        let email = format!("{}@example.org", marker());

        let member = hub
            .post(
                "/api/users",
                &org.admin,
                &json!({"email": email.to_uppercase(), "display_name": "Ada", "role": "analyst",
                        "password": "correct horse battery staple"}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(member["email"], email.as_str(), "emails are normalised");
        assert_eq!(member["role"], "analyst");
        let user_id = member["user_id"].as_str().unwrap().to_owned();
        hub.post(
            "/api/users",
            &org.admin,
            &json!({"email": email, "display_name": "Ada", "role": "reader"}),
        )
        .await
        .problem(StatusCode::CONFLICT);
        let users = hub.get("/api/users", &org.admin).await.json(StatusCode::OK);
        assert_eq!(users.as_array().unwrap().len(), 1, "{users}");
        assert_eq!(users[0]["user_id"], user_id.as_str());

        // A token bound to the member, with a subset of the role's scopes.
        let issued = hub
            .post(
                "/api/tokens",
                &org.admin,
                &json!({"name": "bound", "role": "analyst", "scopes": ["read"],
                        "user_id": user_id, "expires_in_days": 1}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(issued["org"], org.name.as_str());
        assert_eq!(issued["scopes"], json!(["read"]));
        assert!(issued["token"].as_str().unwrap().starts_with("vgl_"));
        let me = hub
            .whoami(issued["token"].as_str().unwrap())
            .await
            .json(StatusCode::OK);
        assert_eq!(me["org"]["id"], org.id.as_str());
        assert_eq!(me["user_id"], user_id.as_str());
        assert_eq!(me["scopes"], json!(["read"]));
        assert!(me["expires_at"].is_string());

        // The listing shows the tokens, never their secrets.
        let tokens = hub.get("/api/tokens", &org.admin).await.text().to_owned();
        assert!(tokens.contains(issued["id"].as_str().unwrap()), "{tokens}");
        assert!(!tokens.contains(issued["token"].as_str().unwrap()));
        assert!(!tokens.contains(&org.admin));
        assert!(!tokens.contains("vgl_"), "{tokens}");

        // Login as the member yields a token of the organisation.
        let login = hub
            .login(&json!({"email": email, "password": "correct horse battery staple", "ttl_hours": 1}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(login["org"], org.name.as_str());
        assert_eq!(login["role"], "analyst");
        let me = hub
            .whoami(login["token"].as_str().unwrap())
            .await
            .json(StatusCode::OK);
        assert_eq!(me["user_id"], user_id.as_str());
        let r = hub
            .login(&json!({"email": email, "password": "wrong horse battery staple"}))
            .await;
        r.problem(StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn scopes_beyond_the_role_are_refused() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let org = hub.org("scopes").await;
        for (role, scopes, pointer) in [
            ("reader", json!(["admin"]), "/scopes"),
            ("reader", json!(["read", "write"]), "/scopes"),
            ("analyst", json!(["audit"]), "/scopes"),
            ("sync", json!(["read", "admin"]), "/scopes"),
            ("reader", json!(["read", "fly"]), "/scopes/1"),
        ] {
            let r = hub
                .post(
                    "/api/tokens",
                    &org.admin,
                    &json!({"name": "n", "role": role, "scopes": scopes}),
                )
                .await;
            assert_eq!(
                r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
                [pointer],
                "{role} {scopes}"
            );
        }
        // No scopes at all: refused too. (The store's message is reported at
        // `/name`, the pointer every store validation error of this handler
        // gets, so only the status is checked here.)
        let r = hub
            .post(
                "/api/tokens",
                &org.admin,
                &json!({"name": "n", "role": "reader", "scopes": []}),
            )
            .await;
        r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        let tokens = hub
            .get("/api/tokens", &org.admin)
            .await
            .json(StatusCode::OK);
        assert_eq!(
            tokens.as_array().unwrap().len(),
            1,
            "only the admin token: {tokens}"
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_operator_issues_tokens_for_another_org() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("issuea").await;
        let b = hub.org("issueb").await;

        // An organisation admin: its own organisation by name is fine...
        let own = hub
            .post(
                "/api/tokens",
                &a.admin,
                &json!({"name": "own", "role": "reader", "org": a.name}),
            )
            .await
            .json(StatusCode::CREATED);
        assert_eq!(own["org"], a.name.as_str());
        // ...another one is forbidden, by name or by id, existing or not.
        for target in [b.name.as_str(), b.id.as_str(), "hub", "no-such-org"] {
            let r = hub
                .post(
                    "/api/tokens",
                    &a.admin,
                    &json!({"name": "theirs", "role": "admin", "org": target}),
                )
                .await;
            r.problem(StatusCode::FORBIDDEN);
        }
        let b_tokens = hub.get("/api/tokens", &b.admin).await.json(StatusCode::OK);
        assert_eq!(b_tokens.as_array().unwrap().len(), 1, "{b_tokens}");

        // The operator may, and the token belongs to that organisation.
        let t = hub
            .token(
                &hub.operator,
                &json!({"name": "for b", "role": "reader", "org": b.id}),
            )
            .await;
        let me = hub.whoami(&t.secret).await.json(StatusCode::OK);
        assert_eq!(me["org"]["id"], b.id.as_str());
        assert_eq!(me["operator"], false);
        let r = hub
            .post(
                "/api/tokens",
                &hub.operator,
                &json!({"name": "x", "role": "reader", "org": "no-such-org"}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/org"]);

        // A token cannot be bound to a user of another organisation.
        let b_user = hub
            .post(
                "/api/users",
                &b.admin,
                &json!({"email": format!("{}@example.org", marker()), "display_name": "B", "role": "reader"}),
            )
            .await
            .json(StatusCode::CREATED);
        let r = hub
            .post(
                "/api/tokens",
                &a.admin,
                &json!({"name": "bound", "role": "reader", "user_id": b_user["user_id"]}),
            )
            .await;
        assert_eq!(r.pointers(StatusCode::UNPROCESSABLE_ENTITY), ["/user_id"]);
    })
    .await;
}
