//! Partners: the remote hubs an organisation federates with over TAXII 2.1.
//!
//! A partner has a direction (pull, push, both) and a status: active,
//! suspended (with a reason, since when, and a review date on or after which
//! an administrator may reinstate it — the six-month suspension in the
//! story), or revoked (for good). Every change is audited. The sync cursor
//! of each pulled collection is kept here, so that a pull is incremental
//! (`added_after`) and resumes where it stopped after a crash.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::crypto::FieldRef;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// Which way objects flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Pull,
    Push,
    Both,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Pull => "pull",
            Direction::Push => "push",
            Direction::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Pull, Direction::Push, Direction::Both]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    pub fn pulls(self) -> bool {
        matches!(self, Direction::Pull | Direction::Both)
    }

    pub fn pushes(self) -> bool {
        matches!(self, Direction::Push | Direction::Both)
    }
}

/// Where a partnership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerStatus {
    Active,
    Suspended,
    Revoked,
}

impl PartnerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PartnerStatus::Active => "active",
            PartnerStatus::Suspended => "suspended",
            PartnerStatus::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<PartnerStatus> {
        [
            PartnerStatus::Active,
            PartnerStatus::Suspended,
            PartnerStatus::Revoked,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// A partner to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: String,
    /// The partner's TAXII API root URL.
    pub api_root: String,
    /// Collection ids to pull.
    pub collections: Vec<String>,
    /// Our credential at the partner (sealed at rest).
    pub token: Option<String>,
    /// The partner hub's key (`ed25519:HEX`), pinned.
    pub public_key: Option<String>,
    pub direction: Direction,
    /// The local organisation account the partner uses on this hub.
    pub local_org_id: Option<String>,
}

/// A registered partner (its token stays sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub api_root: String,
    pub collections: Vec<String>,
    pub has_token: bool,
    pub public_key: Option<String>,
    pub direction: Direction,
    pub local_org_id: Option<String>,
    pub status: PartnerStatus,
    pub status_reason: Option<String>,
    pub status_since: i64,
    /// `YYYY-MM-DD`.
    pub review_date: Option<String>,
    pub created_at: i64,
    pub created_by: String,
}

/// A status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    /// Suspend until at least `review_date` (`YYYY-MM-DD`), for `reason`.
    Suspend { reason: String, review_date: String },
    /// Reinstate (only on or after the review date), with a reason.
    Reinstate { reason: String },
    /// Revoke for good.
    Revoke { reason: String },
}

fn token_field<'a>(org_id: &'a str, id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "partners",
        column: "token",
        row_id: id,
        org_id,
    }
}

const COLUMNS: &str = "id, org_id, name, api_root, collections, token, public_key, direction, \
     local_org_id, status, status_reason, status_since, review_date, created_at, created_by";

fn partner_from_row(r: &AnyRow) -> Result<Partner> {
    type Raw = (Partner, String, String, String);
    let get = |r: &AnyRow| -> std::result::Result<Raw, sqlx::Error> {
        let token: Option<Vec<u8>> = r.try_get(5)?;
        Ok((
            Partner {
                id: r.try_get(0)?,
                org_id: r.try_get(1)?,
                name: r.try_get(2)?,
                api_root: r.try_get(3)?,
                collections: Vec::new(),
                has_token: token.is_some(),
                public_key: r.try_get(6)?,
                direction: Direction::Pull,
                local_org_id: r.try_get(8)?,
                status: PartnerStatus::Active,
                status_reason: r.try_get(10)?,
                status_since: r.try_get(11)?,
                review_date: r.try_get(12)?,
                created_at: r.try_get(13)?,
                created_by: r.try_get(14)?,
            },
            r.try_get(4)?,
            r.try_get(7)?,
            r.try_get(9)?,
        ))
    };
    let (mut p, collections, direction, status) = get(r).ctx("decoding a partner")?;
    p.collections = serde_json::from_str(&collections)
        .map_err(|e| StoreError::Invalid(format!("stored partner collections: {e}")))?;
    p.direction = Direction::parse(&direction)
        .ok_or_else(|| StoreError::Invalid(format!("stored partner direction {direction:?}")))?;
    p.status = PartnerStatus::parse(&status)
        .ok_or_else(|| StoreError::Invalid(format!("stored partner status {status:?}")))?;
    Ok(p)
}

fn check_text(field: &'static str, v: &str, max: usize) -> Result<()> {
    crate::cases::check_text(v, max, true, false).map_err(|m| StoreError::invalid(field, m))
}

/// A review date: `YYYY-MM-DD`.
pub fn check_review_date(d: &str) -> std::result::Result<jiff::civil::Date, String> {
    d.parse::<jiff::civil::Date>()
        .map_err(|e| format!("{d:?} is not a date (YYYY-MM-DD): {e}"))
}

impl Store {
    /// Registers a partner of `org_id`, active, its token sealed; audited
    /// (`partner.create`).
    pub async fn create_partner(
        &self,
        actor: &Actor,
        org_id: &str,
        new: &NewPartner,
    ) -> Result<Partner> {
        check_text("name", &new.name, 200)?;
        check_text("api_root", &new.api_root, 2000)?;
        if !(new.api_root.starts_with("https://") || new.api_root.starts_with("http://"))
            || !new.api_root.ends_with('/')
        {
            return Err(StoreError::invalid(
                "api_root",
                "must be an http(s) URL ending in '/' (a TAXII API root)",
            ));
        }
        if new.collections.len() > 100 {
            return Err(StoreError::invalid("collections", "at most 100"));
        }
        for c in &new.collections {
            check_text("collections", c, 200)?;
        }
        if let Some(k) = &new.public_key {
            vigilo_formats::receipt::parse_key(k)
                .map_err(|e| StoreError::invalid("public_key", e.to_string()))?;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = match &new.token {
            Some(t) => Some(self.seal(token_field(org_id, &id), t.as_bytes()).await?),
            None => None,
        };
        let now = now_micros();
        let collections = serde_json::to_string(&new.collections)
            .map_err(|e| StoreError::Invalid(format!("serialising collections: {e}")))?;
        let mut tx = self.begin_write().await?;
        if let Some(local) = &new.local_org_id {
            let known = sqlx::query("SELECT 1 FROM orgs WHERE id = $1")
                .bind(local)
                .fetch_optional(&mut *tx)
                .await
                .ctx("checking an organisation")?;
            if known.is_none() {
                return Err(StoreError::invalid(
                    "local_org",
                    format!("no organisation {local}"),
                ));
            }
        }
        sqlx::query(&format!(
            "INSERT INTO partners ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             'active', NULL, $10, NULL, $11, $12)"
        ))
        .bind(id.clone())
        .bind(org_id)
        .bind(new.name.trim())
        .bind(new.api_root.clone())
        .bind(collections)
        .bind(sealed.clone())
        .bind(new.public_key.clone())
        .bind(new.direction.as_str())
        .bind(new.local_org_id.clone())
        .bind(now)
        .bind(now)
        .bind(actor.actor.clone())
        .execute(&mut *tx)
        .await
        .ctx("storing a partner")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "partner.create",
            &format!("partner:{id}"),
            Some(serde_json::json!({
                "name": new.name.trim(), "api_root": new.api_root,
                "direction": new.direction.as_str(), "local_org": new.local_org_id,
            })),
        )
        .await?;
        crate::shared::advance_sharing_generation(&mut tx).await?;
        tx.commit().await.ctx("storing a partner")?;
        crate::shared::bump_sharing_epoch();
        self.get_partner(org_id, &id)
            .await?
            .ok_or_else(|| StoreError::Invalid("a partner just stored is missing".into()))
    }

    /// The organisation's partners, in registration order.
    pub async fn list_partners(&self, org_id: &str) -> Result<Vec<Partner>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partners WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("listing partners")?
        .iter()
        .map(partner_from_row)
        .collect()
    }

    /// Every partner on the hub (for the sync scheduler and the policy).
    pub async fn all_partners(&self) -> Result<Vec<Partner>> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM partners ORDER BY id"))
            .fetch_all(self.pool())
            .await
            .ctx("listing partners")?
            .iter()
            .map(partner_from_row)
            .collect()
    }

    pub async fn get_partner(&self, org_id: &str, id: &str) -> Result<Option<Partner>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partners WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a partner")?
        .map(|r| partner_from_row(&r))
        .transpose()
    }

    /// Our credential at the partner, opened: for sync calls only.
    pub async fn partner_token(&self, org_id: &str, id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT token FROM partners WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a partner's token")?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<Vec<u8>> = row.try_get(0).ctx("reading a partner's token")?;
        let Some(blob) = sealed else { return Ok(None) };
        let plain = self.open_sealed(token_field(org_id, id), &blob).await?;
        String::from_utf8(plain.to_vec())
            .map(Some)
            .map_err(|_| StoreError::Decrypt(format!("partners.token of {id}: not UTF-8")))
    }

    /// Changes a partner's status, audited (`partner.suspend`,
    /// `partner.reinstate`, `partner.revoke`) with the reason. Reinstating
    /// before the review date, or anything on a revoked partner, is a
    /// [`StoreError::Conflict`] saying why. `today` is the date in the
    /// hub's zone the review date is compared with.
    pub async fn change_partner_status(
        &self,
        actor: &Actor,
        org_id: &str,
        id: &str,
        change: &StatusChange,
        today: jiff::civil::Date,
    ) -> Result<Partner> {
        let p = self
            .get_partner(org_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "partner",
                id: id.to_owned(),
            })?;
        if p.status == PartnerStatus::Revoked {
            return Err(StoreError::Conflict(format!(
                "partner {} was revoked; register it anew to work with it again",
                p.name
            )));
        }
        let (status, reason, review, event) = match change {
            StatusChange::Suspend {
                reason,
                review_date,
            } => {
                let date = check_review_date(review_date)
                    .map_err(|m| StoreError::invalid("review_date", m))?;
                if date <= today {
                    return Err(StoreError::invalid(
                        "review_date",
                        format!("{date} is not after today ({today})"),
                    ));
                }
                (
                    PartnerStatus::Suspended,
                    reason,
                    Some(date.to_string()),
                    "partner.suspend",
                )
            }
            StatusChange::Reinstate { reason } => {
                if p.status != PartnerStatus::Suspended {
                    return Err(StoreError::Conflict(format!(
                        "partner {} is not suspended",
                        p.name
                    )));
                }
                if let Some(d) = p.review_date.as_deref().map(check_review_date) {
                    let d = d.map_err(StoreError::Invalid)?;
                    if today < d {
                        return Err(StoreError::Conflict(format!(
                            "partner {} is suspended until its review on {d}; it may be \
                             reinstated on or after that date (today is {today})",
                            p.name
                        )));
                    }
                }
                (PartnerStatus::Active, reason, None, "partner.reinstate")
            }
            StatusChange::Revoke { reason } => {
                (PartnerStatus::Revoked, reason, None, "partner.revoke")
            }
        };
        check_text("reason", reason, 4096)?;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE partners SET status = $1, status_reason = $2, status_since = $3, \
             review_date = $4 WHERE org_id = $5 AND id = $6",
        )
        .bind(status.as_str())
        .bind(reason.trim())
        .bind(now)
        .bind(review.clone())
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .ctx("changing a partner's status")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            event,
            &format!("partner:{id}"),
            Some(serde_json::json!({
                "from": p.status.as_str(), "to": status.as_str(), "reason": reason.trim(),
                "review_date": review,
            })),
        )
        .await?;
        crate::shared::advance_sharing_generation(&mut tx).await?;
        tx.commit().await.ctx("changing a partner's status")?;
        crate::shared::bump_sharing_epoch();
        self.get_partner(org_id, id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "partner",
                id: id.to_owned(),
            })
    }

    /// A tombstone for `versions` of `object_ref` (all when empty), signed
    /// by this hub's key as `issuer` (vigilo_formats::tombstone).
    pub fn sign_tombstone(
        &self,
        issuer: &str,
        object_ref: &str,
        versions: &[String],
        at: jiff::Timestamp,
        marking_refs: &[&str],
    ) -> Result<serde_json::Value> {
        vigilo_formats::tombstone::build(
            self.signing_key(),
            issuer,
            object_ref,
            versions,
            at,
            marking_refs,
        )
        .map_err(|e| StoreError::Invalid(format!("signing a tombstone: {e}")))
    }

    /// Deletes the copies a partner's pull brought of `id` (the `versions`
    /// named, or all when empty) — only those with that `origin`, so a
    /// partner's tombstone never removes anyone else's object. Audited
    /// (`shared.tombstone`).
    pub async fn delete_pulled(
        &self,
        actor: &Actor,
        org_id: &str,
        origin: &str,
        id: &str,
        versions: &[String],
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut deleted = 0;
        if versions.is_empty() {
            deleted += sqlx::query(
                "DELETE FROM shared_objects WHERE id = $1 AND origin = $2 AND owner_org = $3",
            )
            .bind(id)
            .bind(origin)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("deleting pulled copies")?
            .rows_affected();
        }
        for v in versions {
            deleted += sqlx::query(
                "DELETE FROM shared_objects WHERE id = $1 AND version = $2 AND origin = $3 \
                 AND owner_org = $4",
            )
            .bind(id)
            .bind(v)
            .bind(origin)
            .bind(org_id)
            .execute(&mut *tx)
            .await
            .ctx("deleting pulled copies")?
            .rows_affected();
        }
        // The newest remaining version (if any) is the latest again.
        crate::shared::mark_latest(&mut tx, id).await?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "shared.tombstone",
            &format!("shared:{id}"),
            Some(serde_json::json!({"origin": origin, "versions": versions, "deleted": deleted})),
        )
        .await?;
        tx.commit().await.ctx("deleting pulled copies")?;
        Ok(deleted)
    }

    /// The stored cursor of a pulled collection.
    pub async fn partner_cursor(
        &self,
        partner_id: &str,
        collection: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT added_after FROM partner_cursors WHERE partner_id = $1 AND collection_id = $2",
        )
        .bind(partner_id)
        .bind(collection)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a sync cursor")?;
        row.map(|r| r.try_get(0).ctx("reading a sync cursor"))
            .transpose()
    }

    /// Moves a pulled collection's cursor (after a page is stored).
    pub async fn set_partner_cursor(
        &self,
        partner_id: &str,
        collection: &str,
        added_after: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO partner_cursors (partner_id, collection_id, added_after, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (partner_id, collection_id) \
             DO UPDATE SET added_after = excluded.added_after, updated_at = excluded.updated_at",
        )
        .bind(partner_id)
        .bind(collection)
        .bind(added_after)
        .bind(now_micros())
        .execute(self.pool())
        .await
        .ctx("storing a sync cursor")?;
        Ok(())
    }
}
