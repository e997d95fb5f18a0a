//! An organisation's profile: who it is, where it answers to, and its
//! security contact (personal data, so sealed).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::crypto::FieldRef;
use crate::{Actor, DbContext as _, Result, Store, StoreError, now_micros};

/// An organisation's profile. `security_contact` is stored sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgProfile {
    pub legal_name: String,
    /// ISO 3166 codes or `EU`, e.g. `["DE", "EU"]`.
    pub jurisdictions: Vec<String>,
    /// Sectors, e.g. `["cloud", "finance"]`.
    pub sectors: Vec<String>,
    /// Its roles in coordination, e.g. `["vendor", "cloud-provider"]`.
    pub roles: Vec<String>,
    /// The partnership agreements it is bound by, as the rule packs'
    /// `applies_if` names them, e.g. `["coordinator.member"]` (a
    /// coordinator's membership agreement).
    #[serde(default)]
    pub partnerships: Vec<String>,
    /// The IANA time zone of each duty recipient whose deadlines count in
    /// its local days, e.g. `{"coordinator": "Europe/Berlin"}`.
    #[serde(default)]
    pub recipient_zones: std::collections::BTreeMap<String, String>,
    /// Free-form contact details (JSON), sealed at rest.
    pub security_contact: Option<serde_json::Value>,
    pub updated_at: i64,
}

fn contact_field(org_id: &str) -> FieldRef<'_> {
    FieldRef {
        table: "org_profiles",
        column: "security_contact",
        row_id: org_id,
        org_id,
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Store {
    /// Creates or replaces an organisation's profile.
    pub async fn put_profile(
        &self,
        actor: &Actor,
        org_id: &str,
        profile: &OrgProfile,
    ) -> Result<()> {
        let sealed = match &profile.security_contact {
            Some(c) => Some(
                self.seal(contact_field(org_id), c.to_string().as_bytes())
                    .await?,
            ),
            None => None,
        };
        let list = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO org_profiles (org_id, legal_name, jurisdictions, sectors, roles, security_contact, updated_at, \
             partnerships, recipient_zones) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (org_id) DO UPDATE SET legal_name = excluded.legal_name, jurisdictions = excluded.jurisdictions, \
             sectors = excluded.sectors, roles = excluded.roles, security_contact = excluded.security_contact, \
             updated_at = excluded.updated_at, partnerships = excluded.partnerships, \
             recipient_zones = excluded.recipient_zones",
        )
        .bind(org_id)
        .bind(&profile.legal_name)
        .bind(list(&profile.jurisdictions))
        .bind(list(&profile.sectors))
        .bind(list(&profile.roles))
        .bind(sealed)
        .bind(now_micros())
        .bind(list(&profile.partnerships))
        .bind(serde_json::to_string(&profile.recipient_zones).unwrap_or_else(|_| "{}".into()))
        .execute(&mut *tx)
        .await
        .ctx("storing an organisation profile")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "org_profile.write",
            &format!("org_profile:{org_id}"),
            None,
        )
        .await?;
        tx.commit().await.ctx("storing an organisation profile")
    }

    /// Reads an organisation's profile. Revealing the sealed contact is a
    /// sensitive read and is audited; without `reveal` it is left out.
    pub async fn get_profile(
        &self,
        actor: &Actor,
        org_id: &str,
        reveal: bool,
    ) -> Result<Option<OrgProfile>> {
        let row = sqlx::query(
            "SELECT legal_name, jurisdictions, sectors, roles, security_contact, updated_at, partnerships, \
             recipient_zones FROM org_profiles WHERE org_id = $1",
        )
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading an organisation profile")?;
        let Some(r) = row else { return Ok(None) };
        let get = |i| {
            r.try_get::<String, _>(i)
                .ctx("decoding an organisation profile")
        };
        let sealed: Option<Vec<u8>> = r.try_get(4).ctx("decoding an organisation profile")?;
        let contact = match (&sealed, reveal) {
            (Some(blob), true) => {
                let plain = self.open_sealed(contact_field(org_id), blob).await?;
                self.record(
                    actor,
                    Some(org_id),
                    "org_profile.reveal",
                    &format!("org_profile:{org_id}"),
                    None,
                )
                .await?;
                Some(serde_json::from_slice(&plain).map_err(|e| {
                    StoreError::Decrypt(format!(
                        "org_profiles.security_contact of {org_id}: not JSON: {e}"
                    ))
                })?)
            }
            _ => None,
        };
        Ok(Some(OrgProfile {
            legal_name: get(0)?,
            jurisdictions: json_list(&get(1)?),
            sectors: json_list(&get(2)?),
            roles: json_list(&get(3)?),
            partnerships: json_list(&get(6)?),
            recipient_zones: serde_json::from_str(&get(7)?).unwrap_or_default(),
            security_contact: contact,
            updated_at: r.try_get(5).ctx("decoding an organisation profile")?,
        }))
    }
}
