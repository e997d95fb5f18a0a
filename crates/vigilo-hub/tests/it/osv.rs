//! The OSV-compatible API (`/v1/query`, `/v1/querybatch`, `/v1/vulns/{id}`)
//! and advisory upload (`POST /api/advisories`, `GET /api/advisories/{id}`):
//! osv.dev's shapes, whole-upload validation, auditing, `modified`
//! precedence, paging, and organisation isolation, on every backend.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigilo_store::Actor;
use vigilo_test_support::for_each_backend;

use crate::support::{Call, Hub, Resp};

/// A PyPI record affecting `pkg` in `[introduced, fixed)`, with aliases and
/// `database_specific` at both levels (which must survive a round trip).
fn record(id: &str, modified: &str, pkg: &str, introduced: &str, fixed: &str) -> Value {
    json!({
        "schema_version": "1.6.0",
        "id": id,
        "modified": modified,
        "published": "2023-01-01T00:00:00Z",
        "aliases": [format!("CVE-ALIAS-{id}")],
        "summary": format!("summary of {id}"),
        "details": "details\nover two lines",
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": pkg, "purl": format!("pkg:pypi/{pkg}")},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}],
            "database_specific": {"source": "vigilo-test"},
            "ecosystem_specific": {"affects": {"functions": ["f"]}}
        }],
        "references": [{"type": "WEB", "url": "https://example.org/advisory"}],
        "database_specific": {"severity": "HIGH", "cwe_ids": ["CWE-79"], "nested": {"n": 1, "list": [1, "two", null]}}
    })
}

const M1: &str = "2024-01-01T00:00:00Z";
const M2: &str = "2024-02-01T00:00:00Z";
const M3: &str = "2024-03-01T00:00:00Z";

/// Imports records as public advisories straight into the store (the API
/// only takes an organisation's own uploads), then refreshes the index.
async fn import_public(hub: &Hub, records: &[Value]) {
    let stored: Vec<_> = records
        .iter()
        .map(|r| {
            let parsed = vigilo_formats::osv::from_json(r.clone(), "test")
                .unwrap_or_else(|d| panic!("test record does not parse: {d}"));
            vigilo_hub::advisories::to_store_record(&parsed, "test")
        })
        .collect();
    let counts = hub
        .store
        .import_advisories(&Actor::cli(), None, &stored)
        .await
        .expect("import public advisories");
    assert_eq!(counts.inserted, records.len(), "{counts:?}");
    hub.state
        .advisories
        .refresh(&hub.store)
        .await
        .expect("refresh the index");
}

async fn upload(hub: &Hub, token: &str, body: &Value) -> Resp {
    hub.post("/api/advisories", token, body).await
}

/// `POST path` with a JSON body, anonymously or with a token.
async fn post(hub: &Hub, path: &str, token: Option<&str>, body: &Value) -> Resp {
    let mut call = Call::new(Method::POST, path).json(body);
    if let Some(t) = token {
        call = call.bearer(t);
    }
    hub.send(call).await
}

async fn get(hub: &Hub, path: &str, token: Option<&str>) -> Resp {
    let mut call = Call::new(Method::GET, path);
    if let Some(t) = token {
        call = call.bearer(t);
    }
    hub.send(call).await
}

fn pypi(name: &str, version: &str) -> Value {
    json!({"package": {"name": name, "ecosystem": "PyPI"}, "version": version})
}

/// The ids of a `/v1/query` answer, in order, checking the shape: `{}` when
/// nothing matched, else `vulns` of full records.
#[track_caller]
fn ids_of(r: &Resp) -> Vec<String> {
    let body = r.json(StatusCode::OK);
    assert!(
        r.content_type().starts_with("application/json"),
        "{}",
        r.content_type()
    );
    let obj = body.as_object().expect("an object");
    match obj.get("vulns") {
        None => {
            assert!(obj.is_empty(), "no vulns, so an empty object: {body}");
            Vec::new()
        }
        Some(v) => {
            let list = v.as_array().expect("vulns is an array");
            assert!(!list.is_empty(), "an empty vulns list is left out: {body}");
            list.iter()
                .map(|x| {
                    assert!(x["modified"].is_string(), "a full record: {x}");
                    x["id"].as_str().expect("id").to_owned()
                })
                .collect()
        }
    }
}

async fn query_ids(hub: &Hub, token: Option<&str>, q: &Value) -> Vec<String> {
    ids_of(&post(hub, "/v1/query", token, q).await)
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn uploads_are_validated_whole_stored_and_audited() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("osvup").await;
        let good = record("VGL-UP-1", M1, "up-pkg", "0", "1.5");

        // Anonymous and read-only callers cannot upload.
        let r = hub
            .send(Call::new(Method::POST, "/api/advisories").json(&good))
            .await;
        r.problem(StatusCode::UNAUTHORIZED);
        let reader = hub.token_with_role(&a.admin, "reader").await;
        upload(&hub, &reader.secret, &good)
            .await
            .problem(StatusCode::FORBIDDEN);

        // One bad record among good ones: 422, every bad record listed by
        // pointer, nothing stored.
        let mut bad_version = record("VGL-UP-BADV", M1, "up-pkg", "0", "1.5");
        bad_version["affected"][0]["ranges"][0]["events"][1]["fixed"] = json!("not a version!");
        let mut no_id = record("VGL-UP-NOID", M1, "up-pkg", "0", "1.5");
        no_id.as_object_mut().unwrap().remove("id");
        let backwards = record("VGL-UP-BACK", M1, "up-pkg", "2.0", "1.0");
        let mut wrong_type = record("VGL-UP-TYPE", M1, "up-pkg", "0", "1.5");
        wrong_type["modified"] = json!(5);
        let mut two_keys = record("VGL-UP-2KEYS", M1, "up-pkg", "0", "1.5");
        two_keys["affected"][0]["ranges"][0]["events"][0] =
            json!({"introduced": "0", "fixed": "1.0"});
        let batch = json!([
            good,
            bad_version,
            no_id,
            backwards,
            wrong_type,
            7,
            two_keys,
            record("VGL-UP-2", M1, "up-pkg", "0", "1.5")
        ]);
        let r = upload(&hub, &a.admin, &batch).await;
        assert_eq!(
            r.pointers(StatusCode::UNPROCESSABLE_ENTITY),
            [
                "/1/affected/0/ranges/0/events/1/fixed",
                "/2/id",
                "/3/affected/0/ranges/0/events",
                "/4/modified",
                "/5",
                "/6/affected/0/ranges/0/events/0",
            ]
        );
        let problem = r.problem(StatusCode::UNPROCESSABLE_ENTITY);
        let details: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["detail"].as_str().unwrap())
            .collect();
        for (i, code) in [
            "osv-bad-version",
            "osv-schema",
            "osv-bad-range",
            "osv-schema",
            "osv-schema",
            "osv-bad-range",
        ]
        .into_iter()
        .enumerate()
        {
            assert!(details[i].contains(code), "{i}: {code} in {details:?}");
        }
        assert!(
            problem["detail"].as_str().unwrap().contains("nothing"),
            "{problem}"
        );
        assert!(
            hub.store.all_advisories().await.unwrap().is_empty(),
            "a rejected upload stores nothing"
        );
        get(&hub, "/api/advisories/VGL-UP-1", Some(&a.admin))
            .await
            .problem(StatusCode::NOT_FOUND);
        assert!(
            query_ids(&hub, Some(&a.admin), &pypi("up-pkg", "1.0"))
                .await
                .is_empty()
        );

        // A single bad record: pointers without an index prefix.
        let mut single_bad = record("VGL-UP-1", M1, "up-pkg", "0", "1.5");
        single_bad["affected"][0]["ranges"][0]["events"][1]["fixed"] = json!("not a version!");
        assert_eq!(
            upload(&hub, &a.admin, &single_bad)
                .await
                .pointers(StatusCode::UNPROCESSABLE_ENTITY),
            ["/affected/0/ranges/0/events/1/fixed"]
        );
        // Not JSON at all.
        let r = hub
            .send(
                Call::new(Method::POST, "/api/advisories")
                    .bearer(&a.admin)
                    .raw(Some("application/json"), "{\"id\":"),
            )
            .await;
        r.problem(StatusCode::BAD_REQUEST);
        assert!(hub.store.all_advisories().await.unwrap().is_empty());

        // A single record, then an array.
        let r = upload(&hub, &a.admin, &good).await.json(StatusCode::OK);
        assert_eq!(
            r,
            json!({"inserted": 1, "updated": 0, "unchanged": 0, "older": 0, "warnings": []})
        );
        let r = upload(
            &hub,
            &a.admin,
            &json!([
                record("VGL-UP-2", M1, "up-pkg", "0", "1.5"),
                record("VGL-UP-3", M1, "up-pkg", "1.0", "2.0"),
            ]),
        )
        .await
        .json(StatusCode::OK);
        assert_eq!(r["inserted"], 2, "{r}");
        assert_eq!(
            query_ids(&hub, Some(&a.admin), &pypi("up-pkg", "1.2")).await,
            strs(&["VGL-UP-1", "VGL-UP-2", "VGL-UP-3"]),
            "the index is refreshed right after an upload"
        );
        let stored = get(&hub, "/api/advisories/VGL-UP-1", Some(&a.admin))
            .await
            .json(StatusCode::OK);
        assert_eq!(stored, good, "stored verbatim");

        // An unknown ecosystem is kept, with a warning naming the record.
        let mut odd = record("VGL-UP-ODD", M1, "some/action", "0", "1.5");
        odd["affected"][0]["package"]["ecosystem"] = json!("GitHub Actions");
        let r = upload(&hub, &a.admin, &odd).await.json(StatusCode::OK);
        assert_eq!(r["inserted"], 1, "{r}");
        let w = &r["warnings"][0];
        assert_eq!(w["code"], "osv-unknown-ecosystem", "{r}");
        assert_eq!(w["pointer"], "/affected/0/package/ecosystem", "{r}");
        assert_eq!(w["record"], "VGL-UP-ODD", "{r}");

        // Every stored upload is audited, in the uploader's organisation.
        let audit = hub
            .get("/api/audit?limit=1000", &a.admin)
            .await
            .json(StatusCode::OK);
        let imports: Vec<&Value> = audit["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "advisories.import")
            .collect();
        assert_eq!(imports.len(), 3, "one event per stored upload: {audit}");
        for e in &imports {
            assert_eq!(e["actor"], format!("token:{}", a.admin_token_id), "{e}");
            assert_eq!(e["org_id"], a.id.as_str(), "{e}");
        }
        assert_eq!(imports[0]["detail"]["inserted"], 1, "{}", imports[0]);
        assert_eq!(imports[1]["detail"]["inserted"], 2, "{}", imports[1]);
        assert_eq!(imports[1]["detail"]["records"], 2, "{}", imports[1]);
    })
    .await;
}

#[tokio::test]
async fn v1_query_answers_with_osv_dev_shapes() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let pub1 = record("PUB-1", M1, "Demo_Pkg", "0", "1.5");
        let pub2 = record("PUB-2", M2, "demo-pkg", "1.2", "2.0");
        let mut withdrawn = record("PUB-3", M1, "demo.pkg", "0", "99");
        withdrawn["withdrawn"] = json!("2024-05-01T00:00:00Z");
        let mut listed = record("PUB-4", M3, "demo-pkg", "0", "0.1");
        listed["affected"][0]["versions"] = json!(["0.9.9", "3.0"]);
        let mut crate_rec = record("PUB-5", M1, "demo-crate", "0", "1.0.1");
        crate_rec["affected"][0]["package"] =
            json!({"ecosystem": "crates.io", "name": "demo-crate"});
        crate_rec["affected"][0]["ranges"][0]["type"] = json!("SEMVER");
        let other = record("PUB-6", M1, "other-pkg", "0", "3.0");
        import_public(
            &hub,
            &[
                pub1.clone(),
                pub2,
                withdrawn.clone(),
                listed,
                crate_rec,
                other,
            ],
        )
        .await;

        // Package and version, whatever the spelling of the name.
        for name in ["demo-pkg", "Demo_Pkg", "DEMO.pkg", "demo__pkg"] {
            assert_eq!(
                query_ids(&hub, None, &pypi(name, "1.3")).await,
                strs(&["PUB-1", "PUB-2"]),
                "{name}"
            );
        }
        assert_eq!(
            query_ids(&hub, None, &pypi("demo-pkg", "1.0")).await,
            strs(&["PUB-1"])
        );
        assert_eq!(
            query_ids(&hub, None, &pypi("demo-pkg", "0.9.9")).await,
            strs(&["PUB-1", "PUB-4"]),
            "an explicitly listed version matches"
        );
        assert_eq!(
            query_ids(&hub, None, &pypi("demo-pkg", "3.0")).await,
            strs(&["PUB-4"])
        );
        assert_eq!(
            query_ids(&hub, None, &pypi("demo-pkg", "1.5")).await,
            strs(&["PUB-2"]),
            "fixed versions are not affected"
        );
        assert_eq!(
            query_ids(&hub, None, &pypi("demo-pkg", "1.10")).await,
            strs(&["PUB-2"]),
            "PEP 440 order: 1.2 <= 1.10 < 2.0, and 1.10 >= 1.5"
        );

        // The answer carries the full records, as stored.
        let r = post(&hub, "/v1/query", None, &pypi("demo-pkg", "1.0")).await;
        let body = r.json(StatusCode::OK);
        assert_eq!(body, json!({"vulns": [pub1.clone()]}));

        // Nothing matched: `{}` exactly.
        for q in [
            pypi("no-such-package", "1.0"),
            pypi("demo-pkg", "2.0"),
            json!({"package": {"name": "demo-pkg", "ecosystem": "npm"}, "version": "1.0.0"}),
            json!({"package": {"name": "other-pkg", "ecosystem": "PyPI"}, "version": "3.0"}),
        ] {
            let r = post(&hub, "/v1/query", None, &q).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text());
            assert_eq!(r.text(), "{}", "{q}");
        }

        // By purl, with the version in the purl or beside it.
        assert_eq!(
            query_ids(
                &hub,
                None,
                &json!({"package": {"purl": "pkg:pypi/demo-pkg@1.3"}})
            )
            .await,
            strs(&["PUB-1", "PUB-2"])
        );
        assert_eq!(
            query_ids(
                &hub,
                None,
                &json!({"package": {"purl": "pkg:pypi/Demo_Pkg"}, "version": "1.3"})
            )
            .await,
            strs(&["PUB-1", "PUB-2"])
        );
        assert_eq!(
            query_ids(
                &hub,
                None,
                &json!({"package": {"purl": "pkg:cargo/demo-crate@1.0.0"}})
            )
            .await,
            strs(&["PUB-5"])
        );
        assert!(
            query_ids(
                &hub,
                None,
                &json!({"package": {"purl": "pkg:cargo/demo-crate@1.0.1"}})
            )
            .await
            .is_empty()
        );

        // By package alone: every advisory naming it, withdrawn ones excepted.
        assert_eq!(
            query_ids(
                &hub,
                None,
                &json!({"package": {"name": "demo-pkg", "ecosystem": "PyPI"}})
            )
            .await,
            strs(&["PUB-1", "PUB-2", "PUB-4"])
        );
        assert_eq!(
            query_ids(&hub, None, &json!({"package": {"purl": "pkg:pypi/demo-pkg"}})).await,
            strs(&["PUB-1", "PUB-2", "PUB-4"])
        );

        // A withdrawn advisory never matches, but can still be fetched.
        for v in ["0.1", "1.0", "50"] {
            assert!(
                !query_ids(&hub, None, &pypi("demo-pkg", v))
                    .await
                    .contains(&"PUB-3".to_owned()),
                "{v}"
            );
        }
        let w = get(&hub, "/v1/vulns/PUB-3", None).await.json(StatusCode::OK);
        assert_eq!(w, withdrawn);

        // Bad queries: 400 with the offending member's pointer.
        for (q, pointer) in [
            (json!({"version": "1.0"}), "/package"),
            (json!({"package": {"name": "demo-pkg"}, "version": "1.0"}), "/package/ecosystem"),
            (json!({"package": {"ecosystem": "PyPI"}, "version": "1.0"}), "/package/name"),
            (json!({"package": {"purl": "pkg:pypi/demo-pkg@1.0"}, "version": "1.0"}), "/version"),
            (json!({"package": {"purl": "not a purl"}}), "/package/purl"),
            (json!({"package": {"purl": "pkg:nosuchtype/x@1"}}), "/package/purl"),
            (json!({"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}), "/commit"),
            (json!({"package": {"name": "demo-pkg", "ecosystem": "PyPI"}, "page_token": "garbage"}), "/page_token"),
        ] {
            let r = post(&hub, "/v1/query", None, &q).await;
            assert_eq!(r.pointers(StatusCode::BAD_REQUEST), [pointer], "{q}");
        }

        // /v1/vulns/{id}: the full record, database_specific included.
        let v = get(&hub, "/v1/vulns/PUB-1", None).await.json(StatusCode::OK);
        assert_eq!(v, pub1);
        assert_eq!(v["database_specific"]["nested"]["list"], json!([1, "two", null]));
        assert_eq!(v["affected"][0]["database_specific"]["source"], "vigilo-test");
        get(&hub, "/v1/vulns/NO-SUCH-ID", None)
            .await
            .problem(StatusCode::NOT_FOUND);
        // A signed-in caller sees public advisories too, also on /api/advisories (ids and aliases).
        let a = hub.org("osvq").await;
        assert_eq!(
            query_ids(&hub, Some(&a.admin), &pypi("demo-pkg", "1.3")).await,
            strs(&["PUB-1", "PUB-2"])
        );
        for id in ["PUB-1", "CVE-ALIAS-PUB-1"] {
            let r = get(&hub, &format!("/api/advisories/{id}"), Some(&a.admin))
                .await
                .json(StatusCode::OK);
            assert_eq!(r, pub1, "{id}");
        }
        get(&hub, "/api/advisories/PUB-1", None)
            .await
            .problem(StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn v1_querybatch_answers_ids_and_modified() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let mut crate_rec = record("PUB-5", M3, "demo-crate", "0", "1.0.1");
        crate_rec["affected"][0]["package"] =
            json!({"ecosystem": "crates.io", "name": "demo-crate"});
        crate_rec["affected"][0]["ranges"][0]["type"] = json!("SEMVER");
        import_public(
            &hub,
            &[
                record("PUB-1", M1, "demo-pkg", "0", "1.5"),
                record("PUB-2", M2, "demo-pkg", "1.2", "2.0"),
                crate_rec,
            ],
        )
        .await;
        let r = post(
            &hub,
            "/v1/querybatch",
            None,
            &json!({"queries": [
                pypi("demo-pkg", "1.3"),
                pypi("nothing-here", "1.0"),
                {"package": {"purl": "pkg:cargo/demo-crate@0.5.0"}},
                {"package": {"name": "demo-pkg", "ecosystem": "PyPI"}},
                pypi("demo-pkg", "2.0"),
            ]}),
        )
        .await;
        assert!(r.content_type().starts_with("application/json"));
        assert_eq!(
            r.json(StatusCode::OK),
            json!({"results": [
                {"vulns": [{"id": "PUB-1", "modified": M1}, {"id": "PUB-2", "modified": M2}]},
                {},
                {"vulns": [{"id": "PUB-5", "modified": M3}]},
                {"vulns": [{"id": "PUB-1", "modified": M1}, {"id": "PUB-2", "modified": M2}]},
                {},
            ]})
        );
        // No queries: no results.
        assert_eq!(
            post(&hub, "/v1/querybatch", None, &json!({"queries": []}))
                .await
                .json(StatusCode::OK),
            json!({"results": []})
        );
        // One bad query fails the batch, pointing at it.
        let r = post(
            &hub,
            "/v1/querybatch",
            None,
            &json!({"queries": [pypi("demo-pkg", "1.0"), {"package": {"name": "x"}, "version": "1"}]}),
        )
        .await;
        assert_eq!(
            r.pointers(StatusCode::BAD_REQUEST),
            ["/queries/1/package/ecosystem"]
        );
        // At most 1,000 queries.
        let many: Vec<Value> = (0..1001).map(|_| pypi("demo-pkg", "1.0")).collect();
        let r = post(&hub, "/v1/querybatch", None, &json!({ "queries": many })).await;
        assert_eq!(r.pointers(StatusCode::BAD_REQUEST), ["/queries"]);
        let many: Vec<Value> = (0..1000).map(|_| pypi("demo-pkg", "1.0")).collect();
        let r = post(&hub, "/v1/querybatch", None, &json!({ "queries": many }))
            .await
            .json(StatusCode::OK);
        assert_eq!(r["results"].as_array().unwrap().len(), 1000);
    })
    .await;
}

#[tokio::test]
async fn query_pages_round_trip_with_next_page_token() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let page = vigilo_hub::osv_api::PAGE_SIZE;
        let n = page + 3;
        let records: Vec<Value> = (0..n)
            .map(|i| {
                json!({"id": format!("MANY-{i:05}"), "modified": M1,
                       "affected": [{"package": {"ecosystem": "PyPI", "name": "many-pkg"},
                                     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})
            })
            .collect();
        import_public(&hub, &records).await;
        let want: Vec<String> = (0..n).map(|i| format!("MANY-{i:05}")).collect();

        for q in [
            pypi("many-pkg", "1.0"),
            json!({"package": {"name": "many-pkg", "ecosystem": "PyPI"}}),
        ] {
            let first = post(&hub, "/v1/query", None, &q).await.json(StatusCode::OK);
            let list = first["vulns"].as_array().unwrap();
            assert_eq!(list.len(), page, "{q}");
            let token = first["next_page_token"]
                .as_str()
                .unwrap_or_else(|| panic!("a next_page_token for {q}"))
                .to_owned();
            let mut second_q = q.clone();
            second_q["page_token"] = json!(token);
            let second = post(&hub, "/v1/query", None, &second_q)
                .await
                .json(StatusCode::OK);
            assert!(second.get("next_page_token").is_none(), "last page: {second}");
            let mut got: Vec<String> = list
                .iter()
                .chain(second["vulns"].as_array().unwrap())
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(got.len(), n);
            got.sort();
            got.dedup();
            assert_eq!(got, want, "every record exactly once across pages");
        }

        // The same in a batch.
        let b = post(
            &hub,
            "/v1/querybatch",
            None,
            &json!({"queries": [pypi("many-pkg", "1.0")]}),
        )
        .await
        .json(StatusCode::OK);
        let res = &b["results"][0];
        assert_eq!(res["vulns"].as_array().unwrap().len(), page);
        let token = res["next_page_token"].as_str().expect("a batch token");
        let mut q = pypi("many-pkg", "1.0");
        q["page_token"] = json!(token);
        let b2 = post(&hub, "/v1/querybatch", None, &json!({ "queries": [q] }))
            .await
            .json(StatusCode::OK);
        let rest = b2["results"][0]["vulns"].as_array().unwrap();
        assert_eq!(rest.len(), n - page, "{b2}");
        assert!(b2["results"][0].get("next_page_token").is_none());
        for v in rest {
            assert_eq!(v.as_object().unwrap().len(), 2, "id and modified: {v}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_orgs_advisories_are_visible_to_it_alone() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("osva").await;
        let b = hub.org("osvb").await;
        import_public(&hub, &[record("PUB-9", M1, "secret-pkg", "0", "0.5")]).await;
        let mine = record("ORG-A-1", M1, "secret-pkg", "0", "2.0");
        let r = upload(&hub, &a.admin, &mine).await.json(StatusCode::OK);
        assert_eq!(r["inserted"], 1, "{r}");
        let a_reader = hub.token_with_role(&a.admin, "reader").await;

        let q = pypi("secret-pkg", "0.1");
        let pkg_only = json!({"package": {"name": "secret-pkg", "ecosystem": "PyPI"}});
        let purl = json!({"package": {"purl": "pkg:pypi/secret-pkg@1.0"}});
        let batch = json!({"queries": [q, pkg_only, purl]});

        // A (any of its tokens) sees its own advisory beside the public one.
        for token in [&a.admin, &a_reader.secret] {
            assert_eq!(
                query_ids(&hub, Some(token), &q).await,
                strs(&["ORG-A-1", "PUB-9"])
            );
            assert_eq!(
                query_ids(&hub, Some(token), &pkg_only).await,
                strs(&["ORG-A-1", "PUB-9"])
            );
            assert_eq!(
                query_ids(&hub, Some(token), &purl).await,
                strs(&["ORG-A-1"])
            );
            let r = post(&hub, "/v1/querybatch", Some(token), &batch)
                .await
                .json(StatusCode::OK);
            assert_eq!(r["results"][2]["vulns"][0]["id"], "ORG-A-1", "{r}");
            for path in [
                "/v1/vulns/ORG-A-1",
                "/api/advisories/ORG-A-1",
                "/api/advisories/CVE-ALIAS-ORG-A-1",
            ] {
                let r = get(&hub, path, Some(token)).await.json(StatusCode::OK);
                assert_eq!(r, mine, "{path}");
            }
        }

        // B, the operator and anonymous callers see the public one only.
        let others = [Some(b.admin.as_str()), Some(hub.operator.as_str()), None];
        for token in others {
            assert_eq!(
                query_ids(&hub, token, &q).await,
                strs(&["PUB-9"]),
                "{token:?}"
            );
            assert_eq!(
                query_ids(&hub, token, &pkg_only).await,
                strs(&["PUB-9"]),
                "{token:?}"
            );
            assert!(query_ids(&hub, token, &purl).await.is_empty(), "{token:?}");
            let r = post(&hub, "/v1/querybatch", token, &batch).await;
            assert!(!r.text().contains("ORG-A-1"), "{token:?}: {}", r.text());
            assert_eq!(r.json(StatusCode::OK)["results"][2], json!({}), "{token:?}");
            get(&hub, "/v1/vulns/ORG-A-1", token)
                .await
                .problem(StatusCode::NOT_FOUND);
            let expect = if token.is_some() {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::UNAUTHORIZED
            };
            for path in [
                "/api/advisories/ORG-A-1",
                "/api/advisories/CVE-ALIAS-ORG-A-1",
            ] {
                let r = get(&hub, path, token).await;
                r.problem(expect);
                assert!(!r.text().contains("secret-pkg"), "{path}: {}", r.text());
            }
        }
        // A credential that is sent must be valid, even where anonymous is fine.
        let r = post(&hub, "/v1/query", Some("vgl_not_a_real_token"), &q).await;
        r.problem(StatusCode::UNAUTHORIZED);

        // B cannot take over A's id, nor a public one; A cannot take a public one.
        let mut takeover = record("ORG-A-1", M3, "secret-pkg", "0", "9.0");
        takeover["summary"] = json!("B was here");
        upload(&hub, &b.admin, &takeover)
            .await
            .problem(StatusCode::CONFLICT);
        upload(
            &hub,
            &b.admin,
            &record("PUB-9", M3, "secret-pkg", "0", "9.0"),
        )
        .await
        .problem(StatusCode::CONFLICT);
        upload(
            &hub,
            &a.admin,
            &record("PUB-9", M3, "secret-pkg", "0", "9.0"),
        )
        .await
        .problem(StatusCode::CONFLICT);
        let still = get(&hub, "/api/advisories/ORG-A-1", Some(&a.admin))
            .await
            .json(StatusCode::OK);
        assert_eq!(still, mine, "A's advisory is untouched");
        assert_eq!(
            query_ids(&hub, Some(&b.admin), &pypi("secret-pkg", "5.0")).await,
            Vec::<String>::new()
        );
        // B's own advisory on the same package is B's alone.
        let theirs = record("ORG-B-1", M1, "secret-pkg", "0", "2.0");
        upload(&hub, &b.admin, &theirs).await.json(StatusCode::OK);
        assert_eq!(
            query_ids(&hub, Some(&b.admin), &q).await,
            strs(&["ORG-B-1", "PUB-9"])
        );
        assert_eq!(
            query_ids(&hub, Some(&a.admin), &q).await,
            strs(&["ORG-A-1", "PUB-9"])
        );
        assert_eq!(query_ids(&hub, None, &q).await, strs(&["PUB-9"]));
    })
    .await;
}

#[tokio::test]
async fn a_newer_modified_replaces_an_older_one_does_not() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        let a = hub.org("osvmod").await;
        let summary = |r: &Value| r["summary"].as_str().unwrap().to_owned();
        let mut v2 = record("MOD-1", M2, "mod-pkg", "0", "1.5");
        v2["summary"] = json!("second");
        let mut v1 = record("MOD-1", M1, "mod-pkg", "0", "9.0");
        v1["summary"] = json!("first");
        let mut v3 = record("MOD-1", M3, "mod-pkg", "0", "3.0");
        v3["summary"] = json!("third");

        let counts = |r: &Value| {
            (
                r["inserted"].as_u64().unwrap(),
                r["updated"].as_u64().unwrap(),
                r["unchanged"].as_u64().unwrap(),
                r["older"].as_u64().unwrap(),
            )
        };
        let r = upload(&hub, &a.admin, &v2).await.json(StatusCode::OK);
        assert_eq!(counts(&r), (1, 0, 0, 0), "{r}");
        let r = upload(&hub, &a.admin, &v1).await.json(StatusCode::OK);
        assert_eq!(counts(&r), (0, 0, 0, 1), "older: {r}");
        let got = get(&hub, "/api/advisories/MOD-1", Some(&a.admin))
            .await
            .json(StatusCode::OK);
        assert_eq!(summary(&got), "second");
        assert!(
            query_ids(&hub, Some(&a.admin), &pypi("mod-pkg", "2.0"))
                .await
                .is_empty(),
            "the older copy's range is not used"
        );
        let r = upload(&hub, &a.admin, &v2).await.json(StatusCode::OK);
        assert_eq!(counts(&r), (0, 0, 1, 0), "same modified: {r}");

        let r = upload(&hub, &a.admin, &v3).await.json(StatusCode::OK);
        assert_eq!(counts(&r), (0, 1, 0, 0), "newer: {r}");
        let got = get(&hub, "/v1/vulns/MOD-1", Some(&a.admin))
            .await
            .json(StatusCode::OK);
        assert_eq!(got, v3);
        assert_eq!(
            query_ids(&hub, Some(&a.admin), &pypi("mod-pkg", "2.0")).await,
            strs(&["MOD-1"]),
            "the index follows the update at once"
        );
        let b = post(
            &hub,
            "/v1/querybatch",
            Some(&a.admin),
            &json!({"queries": [pypi("mod-pkg", "2.0")]}),
        )
        .await
        .json(StatusCode::OK);
        assert_eq!(
            b,
            json!({"results": [{"vulns": [{"id": "MOD-1", "modified": M3}]}]})
        );

        // Within one upload the newest copy of an id wins, whatever the order.
        let mut new = record("MOD-2", M3, "mod-pkg", "0", "1.0");
        new["summary"] = json!("newest");
        let r = upload(
            &hub,
            &a.admin,
            &json!([
                record("MOD-2", M1, "mod-pkg", "0", "1.0"),
                new,
                record("MOD-2", M2, "mod-pkg", "0", "1.0"),
            ]),
        )
        .await
        .json(StatusCode::OK);
        assert_eq!(counts(&r), (1, 0, 0, 0), "{r}");
        let got = get(&hub, "/api/advisories/MOD-2", Some(&a.admin))
            .await
            .json(StatusCode::OK);
        assert_eq!(summary(&got), "newest");

        // Withdrawing (a newer copy with `withdrawn`) stops it matching.
        let mut gone = record("MOD-1", "2024-04-01T00:00:00Z", "mod-pkg", "0", "3.0");
        gone["withdrawn"] = json!("2024-04-01T00:00:00Z");
        let r = upload(&hub, &a.admin, &gone).await.json(StatusCode::OK);
        assert_eq!(counts(&r), (0, 1, 0, 0), "{r}");
        assert!(
            query_ids(&hub, Some(&a.admin), &pypi("mod-pkg", "2.0"))
                .await
                .is_empty()
        );
        assert_eq!(
            query_ids(
                &hub,
                Some(&a.admin),
                &json!({"package": {"name": "mod-pkg", "ecosystem": "PyPI"}})
            )
            .await,
            strs(&["MOD-2"])
        );
    })
    .await;
}

/// osv.dev ignores the request's media type, and real clients rely on it:
/// pip-audit posts its query with `requests.post(url, data=json.dumps(q))`,
/// which sends no `Content-Type` at all.
#[tokio::test]
async fn osv_queries_need_no_content_type() {
    for_each_backend(|db| async move {
        let hub = Hub::new(db).await;
        import_public(&hub, &[record("PUB-1", M1, "demo-pkg", "0", "1.5")]).await;
        let query = pypi("demo-pkg", "1.0").to_string();
        let batch = json!({"queries": [pypi("demo-pkg", "1.0")]}).to_string();
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let r = hub
                .send(Call::new(Method::POST, "/v1/query").raw(content_type, query.clone()))
                .await;
            assert_eq!(ids_of(&r), strs(&["PUB-1"]), "{content_type:?}");
            let r = hub
                .send(Call::new(Method::POST, "/v1/querybatch").raw(content_type, batch.clone()))
                .await;
            assert_eq!(
                r.json(StatusCode::OK)["results"][0]["vulns"][0]["id"],
                "PUB-1",
                "{content_type:?}"
            );
        }
        // Still JSON: anything else is a 400, not a guess.
        let r = hub
            .send(Call::new(Method::POST, "/v1/query").raw(None, "package=demo-pkg"))
            .await;
        r.problem(StatusCode::BAD_REQUEST);
    })
    .await;
}
