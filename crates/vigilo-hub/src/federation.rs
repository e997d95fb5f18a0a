//! Federation: pulling partners' TAXII 2.1 collections into this hub.
//!
//! [`pull`] reads each of a partner's collections from its stored cursor
//! (`added_after`: the `X-TAXII-Date-Added-Last` of the last page stored),
//! page by page (`next`), stores every object version it has not got (by
//! STIX id and `modified`, so a repeated page changes nothing), and moves
//! the cursor after each page — a pull stopped half-way (a crash, a
//! network error) resumes from the last page it stored. Pulled objects
//! belong to the organisation that holds the partnership, keep the TLP
//! level their `object_marking_refs` carry (TLP:AMBER when they carry
//! none) and have no audience beyond it, so the sharing policy treats them
//! as that organisation's own. A revocation (a new version with `revoked:
//! true`) arrives as any new version does. Only active partners that pull
//! are pulled; a suspended or revoked one is skipped.
//!
//! A deletion arrives as a signed tombstone (`vigilo_formats::tombstone`):
//! verified against the key pinned for the partner, it deletes the copies
//! that partner's pulls brought, and nothing else.
//!
//! [`run`] pulls every such partner every interval; two hub processes
//! pulling at once store nothing twice.

use std::collections::BTreeSet;
use std::sync::LazyLock;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use vigilo_core::marking::{Marking, Tlp};
use vigilo_formats::tombstone;
use vigilo_store::partners::{Partner, PartnerStatus};
use vigilo_store::shared::{NewShared, PutOutcome};
use vigilo_store::{Actor, Store};

use crate::taxii::{TAXII_MEDIA, read_object};

/// Objects asked for per page.
const PAGE: usize = 500;
/// Most pages one pull of one collection reads (the rest waits for the
/// next pull).
const MAX_PAGES: usize = 1000;

static CLIENT: LazyLock<Result<reqwest::Client, String>> = LazyLock::new(|| {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("vigilo-hub/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
});

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PullReport {
    pub partner: String,
    pub pages: usize,
    pub received: usize,
    pub stored: usize,
    pub already_present: usize,
    /// Objects whose id another local organisation owns: left out.
    pub conflicts: usize,
    /// Object versions deleted on the partner's signed word (tombstones).
    pub deleted: u64,
    /// Objects that are not STIX 2.1 this hub can store, with why.
    pub rejected: Vec<String>,
    /// Collections whose pull failed, with why.
    pub errors: Vec<String>,
    /// `skipped: suspended`, … when the partner was not pulled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The TLP level a pulled object carries (AMBER when none).
fn level(object: &Value) -> Tlp {
    object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(Tlp::from_stix_marking_id)
        .max()
        .unwrap_or(Tlp::Amber)
}

/// Pulls every collection of one partner, from its cursors.
pub async fn pull(store: &Store, p: &Partner) -> PullReport {
    let mut report = PullReport {
        partner: p.id.clone(),
        ..PullReport::default()
    };
    if p.status != PartnerStatus::Active {
        report.skipped = Some(format!("skipped: {}", p.status.as_str()));
        return report;
    }
    if !p.direction.pulls() {
        report.skipped = Some("skipped: this partner is push-only".into());
        return report;
    }
    let client = match CLIENT.as_ref() {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(format!("HTTP client: {e}"));
            return report;
        }
    };
    let token = match store.partner_token(&p.org_id, &p.id).await {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(format!("reading the token: {e}"));
            return report;
        }
    };
    for cid in &p.collections {
        if let Err(e) = pull_collection(store, client, p, token.as_deref(), cid, &mut report).await
        {
            report.errors.push(format!("collection {cid}: {e}"));
        }
    }
    report
}

async fn pull_collection(
    store: &Store,
    client: &reqwest::Client,
    p: &Partner,
    token: Option<&str>,
    cid: &str,
    report: &mut PullReport,
) -> Result<(), String> {
    let base = format!("{}collections/{cid}/objects/", p.api_root);
    let mut cursor = store
        .partner_cursor(&p.id, cid)
        .await
        .map_err(|e| format!("reading the cursor: {e}"))?;
    let actor = Actor {
        actor: format!("partner:{}", p.id),
        org_id: Some(p.org_id.clone()),
        ..Actor::default()
    };
    for _ in 0..MAX_PAGES {
        let mut req = client
            .get(&base)
            .header("Accept", TAXII_MEDIA)
            .query(&[("limit", PAGE.to_string())]);
        if let Some(c) = &cursor {
            req = req.query(&[("added_after", c)]);
        }
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        let resp = req.send().await.map_err(|e| format!("GET {base}: {e}"))?;
        let status = resp.status();
        let last = resp
            .headers()
            .get("x-taxii-date-added-last")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .text()
            .await
            .map_err(|e| format!("GET {base}: reading the answer: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "GET {base}: {status}: {}",
                body.chars().take(300).collect::<String>()
            ));
        }
        let envelope: Value =
            serde_json::from_str(&body).map_err(|e| format!("GET {base}: not JSON: {e}"))?;
        report.pages += 1;
        let objects = envelope
            .get("objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        report.received += objects.len();
        let mut batch = Vec::with_capacity(objects.len());
        let mut seen = BTreeSet::new();
        for o in &objects {
            if o.get("type").and_then(Value::as_str) == Some(tombstone::TYPE) {
                match honour_tombstone(store, p, &actor, o).await {
                    Ok(n) => report.deleted += n,
                    Err(why) => report.rejected.push(format!(
                        "{}: {why}",
                        o.get("id").and_then(Value::as_str).unwrap_or("?")
                    )),
                }
            }
            match read_object(o) {
                Ok((id, version, kind, spec)) => {
                    if seen.insert((id.clone(), version.clone())) {
                        batch.push(NewShared {
                            id,
                            version,
                            kind,
                            spec_version: spec,
                            marking: Marking::tlp(level(o)),
                            object: o.clone(),
                        });
                    }
                }
                Err(why) => report.rejected.push(format!(
                    "{}: {why}",
                    o.get("id").and_then(Value::as_str).unwrap_or("?")
                )),
            }
        }
        let outcomes = store
            .put_shared(&actor, &p.org_id, &format!("partner:{}", p.id), &batch)
            .await
            .map_err(|e| format!("storing: {e}"))?;
        for o in outcomes {
            match o {
                PutOutcome::Added { .. } => report.stored += 1,
                PutOutcome::AlreadyPresent => report.already_present += 1,
                PutOutcome::NotOwner => report.conflicts += 1,
            }
        }
        // The page is stored: move the cursor, so a crash resumes here.
        if let Some(l) = &last {
            store
                .set_partner_cursor(&p.id, cid, l)
                .await
                .map_err(|e| format!("storing the cursor: {e}"))?;
            cursor = Some(l.clone());
        }
        // The next page starts after this one's last object: `added_after`
        // alone pages through (no `next` token to keep across a crash).
        let more = envelope.get("more").and_then(Value::as_bool) == Some(true);
        if !more || last.is_none() {
            break;
        }
    }
    Ok(())
}

/// Deletes what a partner's signed tombstone names, among the copies its
/// pulls brought; refused without a pinned key or with a bad signature.
async fn honour_tombstone(
    store: &Store,
    p: &Partner,
    actor: &Actor,
    o: &Value,
) -> Result<u64, String> {
    let key = p
        .public_key
        .as_deref()
        .ok_or("a tombstone, but no key is pinned for this partner: nothing deleted")?;
    let key = vigilo_formats::receipt::parse_key(key).map_err(|e| e.to_string())?;
    let t = tombstone::verify(o, &key).map_err(|e| format!("tombstone refused: {e}"))?;
    store
        .delete_pulled(
            actor,
            &p.org_id,
            &format!("partner:{}", p.id),
            &t.object_ref,
            &t.versions,
        )
        .await
        .map_err(|e| format!("deleting {}: {e}", t.object_ref))
}

/// What a push did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PushReport {
    pub partner: String,
    pub requests: usize,
    pub sent: usize,
    /// Successes the partner's status resources reported.
    pub accepted: u64,
    pub failed: u64,
    pub errors: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// Pushes to a partner what its account on this hub may see and has not
/// been pushed yet (a cursor by `date_added`), to the first of its
/// collections: through the same policy as every read, never what came
/// from that partner, and never onward what an AMBER+STRICT or RED marking
/// keeps from passing on (objects that came from another partner).
pub(crate) async fn push(store: &Store, policy: &crate::policy::Policy, p: &Partner) -> PushReport {
    use vigilo_core::marking::Viewer;
    use vigilo_store::shared::{Scope, SharedQuery, Versions};
    let mut report = PushReport {
        partner: p.id.clone(),
        ..PushReport::default()
    };
    if p.status != PartnerStatus::Active || !p.direction.pushes() {
        report.skipped = Some(format!(
            "skipped: {} {}",
            p.status.as_str(),
            p.direction.as_str()
        ));
        return report;
    }
    let (Some(local), Some(target)) = (p.local_org_id.as_deref(), p.collections.first()) else {
        report.skipped = Some(
            "skipped: a push needs the partner's local account and a collection to push to".into(),
        );
        return report;
    };
    let client = match CLIENT.as_ref() {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(format!("HTTP client: {e}"));
            return report;
        }
    };
    let token = match store.partner_token(&p.org_id, &p.id).await {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(format!("reading the token: {e}"));
            return report;
        }
    };
    let key = format!("push:{target}");
    let mut after = match store.partner_cursor(&p.id, &key).await {
        Ok(c) => c.and_then(|c| c.parse::<i64>().ok()),
        Err(e) => {
            report.errors.push(format!("reading the cursor: {e}"));
            return report;
        }
    };
    let own_origin = format!("partner:{}", p.id);
    let url = format!("{}collections/{target}/objects/", p.api_root);
    loop {
        let q = SharedQuery {
            scope: Scope::All,
            added_after: after,
            ids: Vec::new(),
            kinds: Vec::new(),
            spec_versions: Vec::new(),
            versions: Versions::All,
            batch: 1000,
        };
        let page = store
            .query_shared(&q, PAGE, |o| {
                o.origin != own_origin
                    && (o.origin == "local" || o.marking.tlp.may_forward())
                    && policy.may_see(Viewer::Org(local), o)
            })
            .await;
        let (rows, more) = match page {
            Ok(p) => p,
            Err(e) => {
                report.errors.push(format!("reading objects: {e}"));
                return report;
            }
        };
        let Some(last) = rows.last().map(|o| o.date_added) else {
            break;
        };
        let objects: Vec<&Value> = rows.iter().map(|o| &o.object).collect();
        let mut req = client
            .post(&url)
            .header("Accept", TAXII_MEDIA)
            .header("Content-Type", TAXII_MEDIA)
            .body(serde_json::json!({ "objects": objects }).to_string());
        if let Some(t) = token.as_deref() {
            req = req.header("Authorization", format!("Token {t}"));
        }
        report.requests += 1;
        let status: Value = match req.send().await {
            Ok(r) if r.status().is_success() => match r.json().await {
                Ok(v) => v,
                Err(e) => {
                    report
                        .errors
                        .push(format!("POST {url}: the status is not JSON: {e}"));
                    return report;
                }
            },
            Ok(r) => {
                report.errors.push(format!("POST {url}: {}", r.status()));
                return report;
            }
            Err(e) => {
                report.errors.push(format!("POST {url}: {e}"));
                return report;
            }
        };
        report.sent += rows.len();
        report.accepted += status
            .get("success_count")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        report.failed += status
            .get("failure_count")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if let Err(e) = store
            .set_partner_cursor(&p.id, &key, &last.to_string())
            .await
        {
            report.errors.push(format!("storing the cursor: {e}"));
            return report;
        }
        after = Some(last);
        if !more {
            break;
        }
    }
    report
}

/// Pulls every active pulling partner of the hub every `interval`, until
/// `stop` turns true.
pub async fn run(store: Store, interval: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let partners = match store.all_partners().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "federation: listing partners failed");
                continue;
            }
        };
        for p in partners
            .iter()
            .filter(|p| p.status == PartnerStatus::Active && p.direction.pushes())
        {
            match crate::policy::Policy::load_from(&store).await {
                Ok(policy) => {
                    let r = push(&store, &policy, p).await;
                    if !r.errors.is_empty() {
                        tracing::warn!(partner = %p.name, errors = ?r.errors, "federation: push failed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "federation: loading the policy failed"),
            }
        }
        for p in partners
            .iter()
            .filter(|p| p.status == PartnerStatus::Active && p.direction.pulls())
        {
            let r = pull(&store, p).await;
            if r.errors.is_empty() {
                tracing::info!(partner = %p.name, stored = r.stored, pages = r.pages, "federation: pulled");
            } else {
                tracing::warn!(partner = %p.name, errors = ?r.errors, "federation: pull failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pulled_objects_keep_their_level() {
        assert_eq!(level(&json!({})), Tlp::Amber);
        assert_eq!(
            level(&json!({"object_marking_refs": [Tlp::Green.stix_marking_id()]})),
            Tlp::Green
        );
        // Two levels: the stricter holds.
        assert_eq!(
            level(
                &json!({"object_marking_refs": [Tlp::Clear.stix_marking_id(), Tlp::Red.stix_marking_id()]})
            ),
            Tlp::Red
        );
    }
}
