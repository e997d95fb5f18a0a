//! The property that matters most: no API call made by a member of one
//! organisation ever returns anything of another organisation.
//!
//! Each proptest case creates two fresh ordinary organisations, A and B, on
//! one hub per backend, then runs a random sequence of operations, each made
//! by A or by B. Everything an organisation creates carries a random marker
//! (names, emails, legal names, contact details) or a server-made id, and is
//! remembered as that organisation's; no response to A may contain anything
//! of B's (or of any organisation of an earlier case), and vice versa.
//! Besides, each operation is checked against a model of what it should do.

use std::cell::RefCell;

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};
use vigilo_test_support::{Backend, for_each_backend};

use crate::support::{Call, Hub, OrgFixture, Resp, fresh_ip, marker};

const ROLES: [&str; 5] = ["admin", "analyst", "reporter", "reader", "sync"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    CreateUser {
        by: Side,
        role: usize,
        password: bool,
    },
    CreateToken {
        by: Side,
        role: usize,
    },
    /// A token bound to a user of `target` (refused unless `target == by`).
    CreateBoundToken {
        by: Side,
        target: Side,
        pick: Index,
    },
    /// A token for the other organisation through the `org` field (refused).
    CreateTokenForOther {
        by: Side,
        by_id: bool,
    },
    ListUsers(Side),
    ListTokens(Side),
    PutProfile {
        by: Side,
        contact: bool,
    },
    GetProfile {
        by: Side,
        reveal: bool,
    },
    ListAudit {
        by: Side,
        after: Option<u16>,
        limit: Option<u8>,
    },
    ListOrgs {
        by: Side,
        pick: Index,
    },
    WhoAmI {
        by: Side,
        pick: Index,
    },
    /// Revokes a token of `target`'s (refused unless `target == by`).
    Revoke {
        by: Side,
        target: Side,
        pick: Index,
    },
    Login {
        by: Side,
        pick: Index,
    },
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::A), Just(Side::B)]
}

fn op() -> impl Strategy<Value = Op> {
    let role = 0..ROLES.len();
    prop_oneof![
        3 => (side(), role.clone(), proptest::bool::weighted(0.3))
            .prop_map(|(by, role, password)| Op::CreateUser { by, role, password }),
        3 => (side(), role).prop_map(|(by, role)| Op::CreateToken { by, role }),
        2 => (side(), side(), any::<Index>())
            .prop_map(|(by, target, pick)| Op::CreateBoundToken { by, target, pick }),
        1 => (side(), any::<bool>()).prop_map(|(by, by_id)| Op::CreateTokenForOther { by, by_id }),
        2 => side().prop_map(Op::ListUsers),
        2 => side().prop_map(Op::ListTokens),
        2 => (side(), any::<bool>()).prop_map(|(by, contact)| Op::PutProfile { by, contact }),
        2 => (side(), any::<bool>()).prop_map(|(by, reveal)| Op::GetProfile { by, reveal }),
        3 => (
            side(),
            proptest::option::of(prop_oneof![Just(0u16), any::<u16>()]),
            proptest::option::of(1u8..=20),
        )
            .prop_map(|(by, after, limit)| Op::ListAudit { by, after, limit }),
        1 => (side(), any::<Index>()).prop_map(|(by, pick)| Op::ListOrgs { by, pick }),
        2 => (side(), any::<Index>()).prop_map(|(by, pick)| Op::WhoAmI { by, pick }),
        3 => (side(), side(), any::<Index>())
            .prop_map(|(by, target, pick)| Op::Revoke { by, target, pick }),
        1 => (side(), any::<Index>()).prop_map(|(by, pick)| Op::Login { by, pick }),
    ]
}

#[derive(Debug)]
struct User {
    id: String,
    email: String,
    role: &'static str,
    password: Option<String>,
}

#[derive(Debug)]
struct Token {
    id: String,
    secret: String,
    revoked: bool,
}

#[derive(Debug)]
struct Profile {
    legal_name: String,
    contact: Option<Value>,
}

/// One organisation of a case, and everything known to be its own.
#[derive(Debug)]
struct Party {
    org: OrgFixture,
    /// Every value that belongs to this organisation.
    owned: Vec<String>,
    users: Vec<User>,
    /// Tokens issued during the case (not the fixture's admin token, which
    /// the organisation's own operations always use, and never revoke).
    tokens: Vec<Token>,
    profile: Option<Profile>,
}

impl Party {
    fn new(org: OrgFixture) -> Party {
        let owned = vec![
            org.id.clone(),
            org.name.clone(),
            org.display_name.clone(),
            org.admin.clone(),
            org.admin_token_id.clone(),
        ];
        Party {
            org,
            owned,
            users: Vec::new(),
            tokens: Vec::new(),
            profile: None,
        }
    }

    fn own(&mut self, values: impl IntoIterator<Item = String>) {
        self.owned.extend(values);
    }

    /// The secrets of the organisation's usable tokens, the admin's first.
    fn live_secrets(&self) -> Vec<&str> {
        std::iter::once(self.org.admin.as_str())
            .chain(
                self.tokens
                    .iter()
                    .filter(|t| !t.revoked)
                    .map(|t| t.secret.as_str()),
            )
            .collect()
    }
}

struct Case<'h> {
    hub: &'h Hub,
    a: Party,
    b: Party,
    /// Ids and names of the organisations of earlier cases.
    earlier: Vec<String>,
}

fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

impl Case<'_> {
    fn party(&self, side: Side) -> &Party {
        match side {
            Side::A => &self.a,
            Side::B => &self.b,
        }
    }

    fn party_mut(&mut self, side: Side) -> &mut Party {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Fails when a response to `by` holds a value of another organisation;
    /// `echoed` are values the request itself named, which the response may
    /// repeat (e.g. in a 404's detail).
    fn check_no_leak(
        &self,
        by: Side,
        what: &str,
        resp: &Resp,
        echoed: &[&str],
    ) -> Result<(), TestCaseError> {
        let mut text = resp.text().to_owned();
        for e in echoed {
            text = text.replace(e, "<echoed>");
        }
        let foreign = self.party(by.other()).owned.iter().chain(&self.earlier);
        for value in foreign {
            prop_assert!(
                !text.contains(value.as_str()),
                "{what} by {by:?} ({}) leaked {value:?} of another organisation: {}",
                resp.status,
                resp.text()
            );
        }
        Ok(())
    }

    async fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let hub = self.hub;
        match *op {
            Op::CreateUser { by, role, password } => {
                let m = marker();
                let email = format!("{m}@example.org");
                let display_name = format!("User {}", marker());
                let password = password.then(|| format!("pw-{}", marker()));
                let mut body =
                    json!({"email": email, "display_name": display_name, "role": ROLES[role]});
                if let Some(p) = &password {
                    body["password"] = json!(p);
                }
                let r = hub
                    .post("/api/users", &self.party(by).org.admin, &body)
                    .await;
                self.check_no_leak(by, "create user", &r, &[])?;
                let v = r.json(StatusCode::CREATED);
                prop_assert_eq!(str_of(&v, "email"), email.as_str());
                prop_assert_eq!(str_of(&v, "display_name"), display_name.as_str());
                prop_assert_eq!(str_of(&v, "role"), ROLES[role]);
                let id = str_of(&v, "user_id").to_owned();
                let p = self.party_mut(by);
                p.own([id.clone(), email.clone(), display_name, m]);
                p.users.push(User {
                    id,
                    email,
                    role: ROLES[role],
                    password,
                });
            }
            Op::CreateToken { by, role } => {
                let name = format!("tok {}", marker());
                let r = hub
                    .post(
                        "/api/tokens",
                        &self.party(by).org.admin,
                        &json!({"name": name, "role": ROLES[role]}),
                    )
                    .await;
                self.check_no_leak(by, "create token", &r, &[])?;
                let v = r.json(StatusCode::CREATED);
                prop_assert_eq!(str_of(&v, "org"), self.party(by).org.name.as_str());
                prop_assert_eq!(str_of(&v, "role"), ROLES[role]);
                self.add_token(by, &v, Some(name));
            }
            Op::CreateBoundToken { by, target, pick } => {
                let users = &self.party(target).users;
                if users.is_empty() {
                    return Ok(());
                }
                let user = &users[pick.index(users.len())];
                let (user_id, role) = (user.id.clone(), user.role);
                let name = format!("bound {}", marker());
                let r = hub
                    .post(
                        "/api/tokens",
                        &self.party(by).org.admin,
                        &json!({"name": name, "role": role, "user_id": user_id}),
                    )
                    .await;
                self.check_no_leak(by, "create bound token", &r, &[&user_id])?;
                if target == by {
                    let v = r.json(StatusCode::CREATED);
                    self.add_token(by, &v, Some(name));
                    let secret = self.party(by).tokens.last().unwrap().secret.clone();
                    let me = hub.whoami(&secret).await;
                    self.check_no_leak(by, "whoami of a bound token", &me, &[])?;
                    let me = me.json(StatusCode::OK);
                    prop_assert_eq!(str_of(&me, "user_id"), user_id.as_str());
                } else {
                    prop_assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
                    // Nothing was issued in either organisation.
                    for side in [Side::A, Side::B] {
                        let tokens = hub
                            .store
                            .list_tokens(&self.party(side).org.id)
                            .await
                            .unwrap();
                        prop_assert!(tokens.iter().all(|t| t.name != name));
                    }
                }
            }
            Op::CreateTokenForOther { by, by_id } => {
                let other = &self.party(by.other()).org;
                let target = if by_id { &other.id } else { &other.name };
                let r = hub
                    .post(
                        "/api/tokens",
                        &self.party(by).org.admin,
                        &json!({"name": "theirs", "role": "admin", "org": target}),
                    )
                    .await;
                self.check_no_leak(by, "create token for other org", &r, &[target])?;
                r.problem(StatusCode::FORBIDDEN);
            }
            Op::ListUsers(by) => {
                let r = hub.get("/api/users", &self.party(by).org.admin).await;
                self.check_no_leak(by, "list users", &r, &[])?;
                let v = r.json(StatusCode::OK);
                let mut got: Vec<&str> = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| str_of(u, "user_id"))
                    .collect();
                let mut want: Vec<&str> =
                    self.party(by).users.iter().map(|u| u.id.as_str()).collect();
                got.sort_unstable();
                want.sort_unstable();
                prop_assert_eq!(got, want);
            }
            Op::ListTokens(by) => {
                let r = hub.get("/api/tokens", &self.party(by).org.admin).await;
                self.check_no_leak(by, "list tokens", &r, &[])?;
                let v = r.json(StatusCode::OK);
                let p = self.party(by);
                let listed = v.as_array().unwrap();
                prop_assert_eq!(listed.len(), p.tokens.len() + 1);
                for t in listed {
                    prop_assert_eq!(str_of(t, "org_id"), p.org.id.as_str());
                    let id = str_of(t, "id");
                    if id == p.org.admin_token_id {
                        prop_assert!(t["revoked_at"].is_null());
                        continue;
                    }
                    let known = p.tokens.iter().find(|k| k.id == id);
                    prop_assert!(known.is_some(), "unknown token {}", t);
                    prop_assert_eq!(known.unwrap().revoked, t["revoked_at"].is_string());
                }
                for secret in p.live_secrets() {
                    prop_assert!(!r.text().contains(secret), "a secret is listed");
                }
            }
            Op::PutProfile { by, contact } => {
                let legal_name = format!("Legal {}", marker());
                let contact = contact.then(|| {
                    json!({"email": format!("{}@example.org", marker()), "name": format!("Contact {}", marker())})
                });
                let r = hub
                    .put(
                        "/api/org/profile",
                        &self.party(by).org.admin,
                        &json!({"legal_name": legal_name, "sectors": ["energy"],
                                "security_contact": contact}),
                    )
                    .await;
                self.check_no_leak(by, "put profile", &r, &[])?;
                prop_assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
                let p = self.party_mut(by);
                p.own([legal_name.clone()]);
                if let Some(c) = &contact {
                    p.own([str_of(c, "email").to_owned(), str_of(c, "name").to_owned()]);
                }
                p.profile = Some(Profile {
                    legal_name,
                    contact,
                });
            }
            Op::GetProfile { by, reveal } => {
                let path = format!("/api/org/profile?reveal={reveal}");
                let r = hub.get(&path, &self.party(by).org.admin).await;
                self.check_no_leak(by, "get profile", &r, &[])?;
                match &self.party(by).profile {
                    None => {
                        r.problem(StatusCode::NOT_FOUND);
                    }
                    Some(want) => {
                        let v = r.json(StatusCode::OK);
                        prop_assert_eq!(str_of(&v, "legal_name"), want.legal_name.as_str());
                        let contact = if reveal { want.contact.clone() } else { None };
                        prop_assert_eq!(&v["security_contact"], &contact.unwrap_or(Value::Null));
                    }
                }
            }
            Op::ListAudit { by, after, limit } => {
                let mut query = Vec::new();
                if let Some(after) = after {
                    query.push(format!("after={after}"));
                }
                if let Some(limit) = limit {
                    query.push(format!("limit={limit}"));
                }
                let path = format!("/api/audit?{}", query.join("&"));
                let r = hub.get(&path, &self.party(by).org.admin).await;
                self.check_no_leak(by, "list audit", &r, &[])?;
                let v = r.json(StatusCode::OK);
                let events = v["events"].as_array().unwrap();
                let org_id = self.party(by).org.id.as_str();
                for e in events {
                    prop_assert_eq!(e["org_id"].as_str(), Some(org_id), "{}", e);
                    prop_assert!(e["seq"].as_i64().unwrap() > i64::from(after.unwrap_or(0)));
                }
                prop_assert!(events.len() <= usize::from(limit.unwrap_or(100)));
            }
            Op::ListOrgs { by, pick } => {
                let secrets = self.party(by).live_secrets();
                let secret = secrets[pick.index(secrets.len())].to_owned();
                let r = hub.get("/api/orgs", &secret).await;
                self.check_no_leak(by, "list orgs", &r, &[])?;
                let v = r.json(StatusCode::OK);
                let orgs = v.as_array().unwrap();
                prop_assert_eq!(orgs.len(), 1);
                prop_assert_eq!(str_of(&orgs[0], "id"), self.party(by).org.id.as_str());
            }
            Op::WhoAmI { by, pick } => {
                let secrets = self.party(by).live_secrets();
                let secret = secrets[pick.index(secrets.len())].to_owned();
                let r = hub.whoami(&secret).await;
                self.check_no_leak(by, "whoami", &r, &[])?;
                let v = r.json(StatusCode::OK);
                prop_assert_eq!(str_of(&v["org"], "id"), self.party(by).org.id.as_str());
            }
            Op::Revoke { by, target, pick } => {
                let t = &self.party(target);
                // One's own admin token is never revoked (the case needs it);
                // the other organisation's is fair game.
                let mut ids: Vec<&str> = t.tokens.iter().map(|t| t.id.as_str()).collect();
                if target != by {
                    ids.push(&t.org.admin_token_id);
                }
                if ids.is_empty() {
                    return Ok(());
                }
                let id = ids[pick.index(ids.len())].to_owned();
                let before = hub.store.list_tokens(&t.org.id).await.unwrap();
                let r = hub
                    .delete(&format!("/api/tokens/{id}"), &self.party(by).org.admin)
                    .await;
                self.check_no_leak(by, "revoke", &r, &[&id])?;
                if target == by {
                    let v = r.json(StatusCode::OK);
                    prop_assert_eq!(str_of(&v, "id"), id.as_str());
                    prop_assert!(v["revoked_at"].is_string());
                    let token = self
                        .party_mut(by)
                        .tokens
                        .iter_mut()
                        .find(|t| t.id == id)
                        .unwrap();
                    token.revoked = true;
                    let secret = token.secret.clone();
                    // Refused at once (from an address of its own, so that
                    // the failure does not slow down later cases).
                    let r = hub
                        .send(
                            Call::new(Method::GET, "/api/whoami")
                                .bearer(&secret)
                                .peer(fresh_ip()),
                        )
                        .await;
                    prop_assert_eq!(r.status, StatusCode::UNAUTHORIZED);
                } else {
                    r.problem(StatusCode::NOT_FOUND);
                    let after = hub.store.list_tokens(&t.org.id).await.unwrap();
                    let revoked = |l: &[vigilo_store::TokenInfo]| {
                        l.iter().map(|t| t.revoked_at).collect::<Vec<_>>()
                    };
                    prop_assert_eq!(revoked(&before), revoked(&after), "a foreign token changed");
                    // And it still works (unless its owner revoked it).
                    let owner_secret = if id == t.org.admin_token_id {
                        Some(t.org.admin.clone())
                    } else {
                        t.tokens
                            .iter()
                            .find(|k| k.id == id && !k.revoked)
                            .map(|k| k.secret.clone())
                    };
                    if let Some(secret) = owner_secret {
                        hub.whoami(&secret).await.json(StatusCode::OK);
                    }
                }
            }
            Op::Login { by, pick } => {
                let users: Vec<&User> = self
                    .party(by)
                    .users
                    .iter()
                    .filter(|u| u.password.is_some())
                    .collect();
                if users.is_empty() {
                    return Ok(());
                }
                let user = users[pick.index(users.len())];
                let (email, role, user_id) = (user.email.clone(), user.role, user.id.clone());
                let r = hub
                    .login(&json!({"email": email, "password": user.password, "ttl_hours": 1}))
                    .await;
                self.check_no_leak(by, "login", &r, &[])?;
                let v = r.json(StatusCode::CREATED);
                prop_assert_eq!(str_of(&v, "org"), self.party(by).org.name.as_str());
                prop_assert_eq!(str_of(&v, "role"), role);
                self.add_token(by, &v, None);
                let secret = str_of(&v, "token");
                let me = hub.whoami(secret).await;
                self.check_no_leak(by, "whoami after login", &me, &[])?;
                let me = me.json(StatusCode::OK);
                prop_assert_eq!(str_of(&me, "user_id"), user_id.as_str());
            }
        }
        Ok(())
    }

    /// Records a token from an `IssuedToken` response.
    fn add_token(&mut self, by: Side, issued: &Value, name: Option<String>) {
        let id = str_of(issued, "id").to_owned();
        let secret = str_of(issued, "token").to_owned();
        let p = self.party_mut(by);
        p.own([id.clone(), secret.clone()]);
        p.own(name);
        p.tokens.push(Token {
            id,
            secret,
            revoked: false,
        });
    }
}

/// Runs one case: two fresh organisations, then `ops`.
async fn run_case(
    hub: &Hub,
    earlier: &RefCell<Vec<String>>,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut case = Case {
        hub,
        a: Party::new(hub.org("isoa").await),
        b: Party::new(hub.org("isob").await),
        earlier: earlier.borrow().clone(),
    };
    let mut result = Ok(());
    for op in ops {
        result = case.run(op).await;
        if result.is_err() {
            break;
        }
    }
    // Later cases must not see these organisations either.
    for p in [&case.a, &case.b] {
        earlier
            .borrow_mut()
            .extend([p.org.id.clone(), p.org.name.clone()]);
    }
    result
}

fn cases_for(backend: Backend) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(match backend {
            Backend::Sqlite => 64,
            Backend::Postgres => 32,
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_response_to_one_org_holds_anything_of_another() {
    for_each_backend(|db| async move {
        let backend = db.backend;
        let hub = Hub::new(db).await;
        let config = Config {
            cases: cases_for(backend),
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        };
        let strategy = proptest::collection::vec(op(), 4..=16);
        let earlier = RefCell::new(Vec::new());
        let handle = tokio::runtime::Handle::current();
        let outcome = tokio::task::block_in_place(|| {
            TestRunner::new(config).run(&strategy, |ops| {
                handle.block_on(run_case(&hub, &earlier, &ops))
            })
        });
        if let Err(e) = outcome {
            panic!("on {backend}: {e}");
        }
    })
    .await;
}

/// Users are global (one per email), memberships per organisation. Adding a
/// user whose email another organisation already registered must not show the
/// caller what that organisation recorded about them.
#[tokio::test]
async fn adding_an_existing_user_shows_nothing_of_another_org() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("sharea").await;
        let b = hub.org("shareb").await;
        let email = format!("{}@example.org", marker());
        let a_name = format!("Known to A only {}", marker());
        hub.post(
            "/api/users",
            &a.admin,
            &json!({"email": email, "display_name": a_name, "role": "analyst"}),
        )
        .await
        .json(StatusCode::CREATED);

        let r = hub
            .post(
                "/api/users",
                &b.admin,
                &json!({"email": email, "display_name": "B's name", "role": "reader"}),
            )
            .await;
        assert!(!r.text().contains(&a_name), "{}", r.text());
        let r = hub.get("/api/users", &b.admin).await;
        assert!(!r.text().contains(&a_name), "{}", r.text());
    })
    .await;
}
