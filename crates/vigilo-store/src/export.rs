//! Export of everything an organisation owns, in open formats, decrypted for
//! its owner: the guarantee that no operator can lock it out of its data.
//!
//! Layout of the output folder (one JSON object per line per kind):
//!
//! | file | what |
//! |---|---|
//! | `org.jsonl` | the organisation |
//! | `members.jsonl` | its users and their roles (no password hashes) |
//! | `tokens.jsonl` | its API tokens' metadata (no secrets, no hashes) |
//! | `profile.jsonl` | its profile, sealed fields decrypted |
//! | `advisories.jsonl` | advisories it uploaded, as OSV records |
//! | `advisories_csaf.jsonl` | the same advisories as CSAF 2.0 documents, one per line |
//! | `shared_stix.jsonl` | every STIX 2.1 object version it shared, with its marking |
//! | `sharing_groups.jsonl` | the sharing groups it manages, with their members |
//! | `partners.jsonl` | its partner hubs (no tokens), with their status |
//! | `assets.jsonl` | its assets: metadata and the last uploaded scan report (`vigilo-scan/1`) |
//! | `indicators.jsonl` | its indicators (from `vigilo logs --upload`) with their totals |
//! | `sightings.jsonl` | every upload's sighting of each indicator |
//! | `cases.jsonl` | its cases with their events and submissions, technical details decrypted |
//! | `case_participants.jsonl` | the participants of its cases, contacts decrypted |
//! | `case_messages.jsonl` | the messages of its cases' threads |
//! | `case_attachments.jsonl` | its cases' attachments: metadata and content (base64), decrypted |
//! | `received_reports.jsonl` | reports it submitted to this hub (as a coordinator), with their signed receipts |
//! | `recipients.jsonl` | who it reports to (no tokens), with the pinned receipt keys |
//! | `disclosures.jsonl` | its outbound log: every disclosure, overrides and the receipts other hubs signed |
//! | `late_duties.jsonl` | duties a recorded fact made late on arrival |
//! | `webhooks.jsonl` | its webhooks (no secrets) |
//! | `findings.jsonl` | its assets' findings (exposure), open and resolved |
//! | `audit.jsonl` | its audit events with their chain hashes |
//! | `manifest.json` | format version, time, counts and SHA-256 of each file |

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::sightings::{IndicatorFilter, Page, SightingFilter};
use crate::{Actor, Result, Store, StoreError, micros_to_rfc3339, now_micros};

/// Rows read per query while exporting indicators and sightings.
const EXPORT_PAGE: i64 = 5000;

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportManifest {
    pub format: &'static str,
    pub org_id: String,
    pub org_name: String,
    pub exported_at: String,
    /// file name → (lines, sha256)
    pub files: BTreeMap<String, ExportedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedFile {
    pub records: usize,
    pub sha256: String,
}

struct JsonlWriter {
    file: std::io::BufWriter<fs_err::File>,
    hasher: Sha256,
    records: usize,
}

impl JsonlWriter {
    fn create(path: &Path) -> Result<Self> {
        Ok(JsonlWriter {
            file: std::io::BufWriter::new(fs_err::File::create(path)?),
            hasher: Sha256::new(),
            records: 0,
        })
    }

    fn write<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let mut line = serde_json::to_vec(value)
            .map_err(|e| StoreError::Invalid(format!("serialising an export record: {e}")))?;
        line.push(b'\n');
        self.hasher.update(&line);
        self.file.write_all(&line)?;
        self.records += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<ExportedFile> {
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        Ok(ExportedFile {
            records: self.records,
            sha256: hex::encode(self.hasher.finalize()),
        })
    }
}

/// A timestamp field rendered as RFC 3339 next to the raw record.
#[derive(Serialize)]
struct WithTimes<'a, T: Serialize> {
    #[serde(flatten)]
    record: &'a T,
    #[serde(flatten)]
    times: BTreeMap<&'static str, Option<String>>,
}

fn times<const N: usize>(
    pairs: [(&'static str, Option<i64>); N],
) -> BTreeMap<&'static str, Option<String>> {
    pairs
        .into_iter()
        .map(|(k, v)| (k, v.map(micros_to_rfc3339)))
        .collect()
}

impl Store {
    /// Writes the organisation's data to `out`, which must not exist or be
    /// empty. Files are written to a sibling temporary folder and renamed into
    /// place at the end, so `out` is either complete or absent.
    pub async fn export_org(
        &self,
        actor: &Actor,
        org_name_or_id: &str,
        out: &Path,
    ) -> Result<ExportManifest> {
        let org = self.find_org(org_name_or_id).await?;
        if out.exists() {
            let mut entries = fs_err::read_dir(out)?;
            if entries.next().is_some() {
                return Err(StoreError::Invalid(format!(
                    "{}: export folder exists and is not empty",
                    out.display()
                )));
            }
            fs_err::remove_dir(out)?;
        }
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs_err::create_dir_all(parent)?;
        let tmp: PathBuf = parent.join(format!(
            ".{}.partial-{}",
            out.file_name().and_then(|n| n.to_str()).unwrap_or("export"),
            uuid::Uuid::new_v4().simple()
        ));
        fs_err::create_dir(&tmp)?;
        let result = self.write_export(actor, &org, &tmp).await;
        match result {
            Ok(manifest) => {
                fs_err::rename(&tmp, out)?;
                Ok(manifest)
            }
            Err(e) => {
                let _ = fs_err::remove_dir_all(&tmp);
                Err(e)
            }
        }
    }

    async fn write_export(
        &self,
        actor: &Actor,
        org: &crate::Org,
        dir: &Path,
    ) -> Result<ExportManifest> {
        // Record the export first: it is a read of everything, sealed data included.
        self.record(
            actor,
            Some(&org.id),
            "org.export",
            &format!("org:{}", org.id),
            None,
        )
        .await?;
        let mut files = BTreeMap::new();

        let mut w = JsonlWriter::create(&dir.join("org.jsonl"))?;
        w.write(&WithTimes {
            record: org,
            times: times([("created", Some(org.created_at))]),
        })?;
        files.insert("org.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("members.jsonl"))?;
        for m in self.list_members(&org.id).await? {
            w.write(&m)?;
        }
        files.insert("members.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("tokens.jsonl"))?;
        for t in self.list_tokens(&org.id).await? {
            w.write(&WithTimes {
                record: &t,
                times: times([
                    ("created", Some(t.created_at)),
                    ("expires", t.expires_at),
                    ("revoked", t.revoked_at),
                ]),
            })?;
        }
        files.insert("tokens.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("profile.jsonl"))?;
        if let Some(p) = self.get_profile(actor, &org.id, true).await? {
            w.write(&p)?;
        }
        files.insert("profile.jsonl".to_owned(), w.finish()?);

        // The organisation's own advisories, as OSV records (one per line).
        let mut w = JsonlWriter::create(&dir.join("advisories.jsonl"))?;
        for a in self.all_advisories().await? {
            if a.owner_org.as_deref() == Some(org.id.as_str()) {
                let value: serde_json::Value = serde_json::from_str(&a.json).map_err(|e| {
                    StoreError::Invalid(format!("stored advisory {} is not JSON: {e}", a.id))
                })?;
                w.write(&value)?;
            }
        }
        files.insert("advisories.jsonl".to_owned(), w.finish()?);

        // The same advisories as CSAF 2.0 (the publisher namespace is a
        // placeholder: `vigilo advisories convert` takes the real one).
        let mut w = JsonlWriter::create(&dir.join("advisories_csaf.jsonl"))?;
        let options = vigilo_formats::csaf::Options {
            publisher: vigilo_formats::csaf::Publisher {
                name: org.display_name.clone(),
                namespace: format!("https://vigilo.invalid/orgs/{}", org.name),
                category: vigilo_formats::csaf::PublisherCategory::Other,
            },
            marking: None,
        };
        for a in self.all_advisories().await? {
            if a.owner_org.as_deref() == Some(org.id.as_str()) {
                let value: serde_json::Value = serde_json::from_str(&a.json).map_err(|e| {
                    StoreError::Invalid(format!("stored advisory {} is not JSON: {e}", a.id))
                })?;
                match vigilo_formats::csaf::from_osv(&value, &options) {
                    Ok(doc) => w.write(&doc)?,
                    Err(e) => {
                        w.write(&serde_json::json!({"advisory": a.id, "error": e.to_string()}))?
                    }
                }
            }
        }
        files.insert("advisories_csaf.jsonl".to_owned(), w.finish()?);

        // What it shared, every version, with its marking.
        let mut w = JsonlWriter::create(&dir.join("shared_stix.jsonl"))?;
        let mut after = None;
        loop {
            let q = crate::shared::SharedQuery {
                scope: crate::shared::Scope::Owned(org.id.clone()),
                added_after: after,
                ids: Vec::new(),
                kinds: Vec::new(),
                spec_versions: Vec::new(),
                versions: crate::shared::Versions::All,
                batch: EXPORT_PAGE,
            };
            let (rows, more) = self
                .query_shared(&q, usize::try_from(EXPORT_PAGE).unwrap_or(5000), |_| true)
                .await?;
            for o in &rows {
                w.write(&serde_json::json!({
                    "object": o.object, "tlp": o.marking.tlp.as_str(), "groups": o.marking.groups,
                    "orgs": o.marking.orgs, "date_added": micros_to_rfc3339(o.date_added),
                    "origin": o.origin, "quarantine": o.quarantine,
                }))?;
            }
            after = rows.last().map(|o| o.date_added);
            if !more {
                break;
            }
        }
        files.insert("shared_stix.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("sharing_groups.jsonl"))?;
        for g in self.sharing_groups().await?.values() {
            if g.owner == org.id {
                w.write(&serde_json::json!({
                    "id": g.id, "name": g.name, "confidential": g.confidential,
                    "members": g.members,
                }))?;
            }
        }
        files.insert("sharing_groups.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("partners.jsonl"))?;
        for p in self.list_partners(&org.id).await? {
            w.write(&serde_json::json!({
                "id": p.id, "name": p.name, "api_root": p.api_root, "collections": p.collections,
                "public_key": p.public_key, "direction": p.direction.as_str(),
                "local_org_id": p.local_org_id, "status": p.status.as_str(),
                "status_reason": p.status_reason,
                "status_since": micros_to_rfc3339(p.status_since), "review_date": p.review_date,
                "created_at": micros_to_rfc3339(p.created_at), "created_by": p.created_by,
            }))?;
        }
        files.insert("partners.jsonl".to_owned(), w.finish()?);

        // Its assets, each with the scan report last uploaded for it.
        let mut w = JsonlWriter::create(&dir.join("assets.jsonl"))?;
        for a in self.list_assets(&org.id).await? {
            let report = match self.asset_document(&org.id, &a.id).await? {
                Some(doc) => serde_json::from_str::<serde_json::Value>(&doc).map_err(|e| {
                    StoreError::Invalid(format!("stored report of asset {} is not JSON: {e}", a.id))
                })?,
                None => serde_json::Value::Null,
            };
            w.write(&serde_json::json!({ "asset": a, "report": report }))?;
        }
        files.insert("assets.jsonl".to_owned(), w.finish()?);

        // Its indicators with their totals, then every sighting, oldest first.
        let opt_time = |t: Option<i64>| t.map(micros_to_rfc3339);
        let mut w = JsonlWriter::create(&dir.join("indicators.jsonl"))?;
        let mut page = Page::first(EXPORT_PAGE);
        loop {
            let list = self
                .list_indicators(&org.id, &IndicatorFilter::default(), &page)
                .await?;
            let Some(last) = list.last() else { break };
            page.after = Some(last.id.clone());
            for i in &list {
                w.write(&serde_json::json!({
                    "id": i.id, "kind": i.kind.as_str(), "value": i.value,
                    "role": i.role.as_str(), "rules": i.rules, "count": i.count,
                    "sightings": i.sightings, "first_seen": opt_time(i.first_seen),
                    "last_seen": opt_time(i.last_seen), "example": i.example,
                    "created_at": micros_to_rfc3339(i.created_at),
                    "updated_at": micros_to_rfc3339(i.updated_at),
                }))?;
            }
        }
        files.insert("indicators.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("sightings.jsonl"))?;
        let mut page = Page::first(EXPORT_PAGE);
        loop {
            let list = self
                .list_sightings(&org.id, &SightingFilter::default(), &page)
                .await?;
            let Some(last) = list.last() else { break };
            page.after = Some(last.id.clone());
            for s in &list {
                w.write(&serde_json::json!({
                    "id": s.id, "upload_id": s.upload_id, "indicator_id": s.indicator_id,
                    "kind": s.kind.as_str(), "value": s.value, "role": s.role.as_str(),
                    "sensor": s.sensor, "count": s.count,
                    "first_seen": opt_time(s.first_seen), "last_seen": opt_time(s.last_seen),
                    "uploaded_at": micros_to_rfc3339(s.uploaded_at),
                    "uploaded_by": s.uploaded_by,
                }))?;
            }
        }
        files.insert("sightings.jsonl".to_owned(), w.finish()?);

        // Its cases, each with its facts and submissions, sealed details opened.
        let mut w = JsonlWriter::create(&dir.join("cases.jsonl"))?;
        for r in self.export_case_records(&org.id).await? {
            let c = &r.case;
            let events: Vec<_> = r
                .events
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.id, "event": e.event, "at": micros_to_rfc3339(e.at),
                        "source": e.source, "recorded_by": e.recorded_by,
                        "recorded_at": micros_to_rfc3339(e.recorded_at),
                    })
                })
                .collect();
            let submissions: Vec<_> = r
                .submissions
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "id": s.id, "rule": s.rule, "stage": s.stage, "covers": s.covers,
                        "at": micros_to_rfc3339(s.at), "evidence": s.evidence,
                        "recorded_by": s.recorded_by,
                        "recorded_at": micros_to_rfc3339(s.recorded_at),
                    })
                })
                .collect();
            w.write(&serde_json::json!({
                "id": c.id, "title": c.title, "kind": c.kind.as_str(),
                "status": c.status.as_str(), "description": c.description,
                "products": c.products, "cvss_vector": c.cvss_vector, "cve_ids": c.cve_ids,
                "flags": c.flags, "technical_details": c.technical_details,
                "created_at": micros_to_rfc3339(c.created_at),
                "updated_at": micros_to_rfc3339(c.updated_at), "created_by": c.created_by,
                "events": events, "submissions": submissions,
                "impact": c.impact, "exploited": c.exploited,
                "exploited_evidence": c.exploited_evidence,
                "reporter_contact": c.reporter_contact,
                "embargo_until": c.embargo.as_ref().map(|e| micros_to_rfc3339(e.until)),
                "embargo_tz": c.embargo.as_ref().map(|e| e.tz.clone()),
                "linked_advisories": c.linked_advisories, "origin": c.origin.as_str(),
            }))?;
        }
        files.insert("cases.jsonl".to_owned(), w.finish()?);

        // Their participants, messages and attachments, sealed content opened.
        let parts = self.export_case_parts(&org.id).await?;
        let mut w = JsonlWriter::create(&dir.join("case_participants.jsonl"))?;
        for p in &parts.participants {
            w.write(&serde_json::json!({
                "id": p.id, "case_id": p.case_id, "role": p.role.as_str(), "name": p.name,
                "contact": p.contact, "status": p.status.as_str(),
                "created_at": micros_to_rfc3339(p.created_at),
                "updated_at": micros_to_rfc3339(p.updated_at),
            }))?;
        }
        files.insert("case_participants.jsonl".to_owned(), w.finish()?);
        let mut w = JsonlWriter::create(&dir.join("case_messages.jsonl"))?;
        for m in &parts.messages {
            w.write(&serde_json::json!({
                "id": m.id, "case_id": m.case_id, "participant_id": m.participant_id,
                "kind": m.kind.as_str(), "author": m.author, "body": m.body,
                "created_at": micros_to_rfc3339(m.created_at),
            }))?;
        }
        files.insert("case_messages.jsonl".to_owned(), w.finish()?);
        let mut w = JsonlWriter::create(&dir.join("case_attachments.jsonl"))?;
        for (a, content) in &parts.attachments {
            use base64::Engine as _;
            w.write(&serde_json::json!({
                "id": a.id, "case_id": a.case_id, "name": a.name, "media_type": a.media_type,
                "size": a.size, "sha256": a.sha256,
                "content_base64": base64::engine::general_purpose::STANDARD.encode(content),
                "created_at": micros_to_rfc3339(a.created_at), "created_by": a.created_by,
            }))?;
        }
        files.insert("case_attachments.jsonl".to_owned(), w.finish()?);

        // Reports it submitted to this hub, with the signed receipts it was given.
        let mut w = JsonlWriter::create(&dir.join("received_reports.jsonl"))?;
        for r in self.list_received_reports(&org.id).await? {
            w.write(&serde_json::json!({
                "id": r.id, "rule": r.rule, "stage": r.stage, "digest": r.digest,
                "received_at": micros_to_rfc3339(r.received_at), "submitted_by": r.submitted_by,
                "report": r.report, "receipt": r.receipt,
            }))?;
        }
        files.insert("received_reports.jsonl".to_owned(), w.finish()?);

        // Who it reports to (tokens stay sealed and are left out).
        let mut w = JsonlWriter::create(&dir.join("recipients.jsonl"))?;
        for r in self.list_recipients(&org.id, true).await? {
            w.write(&serde_json::json!({
                "id": r.id, "name": r.name, "kind": r.kind.as_str(), "country": r.country,
                "role": r.role, "serves": r.serves, "url": r.url, "public_key": r.public_key,
                "created_at": micros_to_rfc3339(r.created_at), "created_by": r.created_by,
                "removed_at": r.removed_at.map(micros_to_rfc3339),
            }))?;
        }
        files.insert("recipients.jsonl".to_owned(), w.finish()?);

        // Its outbound log, with the receipts other hubs signed.
        let mut w = JsonlWriter::create(&dir.join("disclosures.jsonl"))?;
        for d in self.list_disclosures(&org.id, None).await? {
            w.write(&serde_json::json!({
                "id": d.id, "case_id": d.case_id, "kind": d.kind.as_str(),
                "recipient_id": d.recipient_id, "recipient": d.recipient, "country": d.country,
                "role": d.role, "violations": d.violations, "override_reason": d.override_reason,
                "submission_id": d.submission_id, "digest": d.digest, "receipt": d.receipt,
                "at": micros_to_rfc3339(d.at), "actor": d.actor,
            }))?;
        }
        files.insert("disclosures.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("late_duties.jsonl"))?;
        for l in self.list_late_duties(&org.id, None).await? {
            w.write(&serde_json::json!({
                "id": l.id, "case_id": l.case_id, "rule": l.rule, "stage": l.stage,
                "due_before": l.due_before.map(micros_to_rfc3339),
                "due_after": micros_to_rfc3339(l.due_after), "event_id": l.event_id,
                "recorded_at": micros_to_rfc3339(l.recorded_at),
            }))?;
        }
        files.insert("late_duties.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("webhooks.jsonl"))?;
        for h in self.list_webhooks(&org.id).await? {
            w.write(&serde_json::json!({
                "id": h.id, "url": h.url, "events": h.events, "lead_times": h.lead_times,
                "active": h.active, "created_at": micros_to_rfc3339(h.created_at),
                "created_by": h.created_by,
            }))?;
        }
        files.insert("webhooks.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("findings.jsonl"))?;
        let every = crate::exposure::FindingFilter {
            state: crate::exposure::FindingState::All,
            ..Default::default()
        };
        let mut after: Option<String> = None;
        loop {
            let page = self
                .list_findings(&org.id, &every, after.as_deref(), EXPORT_PAGE)
                .await?;
            for f in &page {
                w.write(&serde_json::json!({
                    "id": f.id, "asset_id": f.asset_id, "asset_name": f.asset_name,
                    "advisory_id": f.advisory_id, "advisory_aliases": f.advisory_aliases,
                    "ecosystem": f.ecosystem, "name": f.name, "version": f.version,
                    "purl": f.purl, "path": f.path, "status": f.status,
                    "first_seen": micros_to_rfc3339(f.first_seen),
                    "last_seen": micros_to_rfc3339(f.last_seen),
                    "resolved_at": f.resolved_at.map(micros_to_rfc3339),
                }))?;
            }
            match page.last() {
                Some(last) if i64::try_from(page.len()).unwrap_or(i64::MAX) == EXPORT_PAGE => {
                    after = Some(last.id.clone());
                }
                _ => break,
            }
        }
        files.insert("findings.jsonl".to_owned(), w.finish()?);

        let mut w = JsonlWriter::create(&dir.join("audit.jsonl"))?;
        let mut after = 0;
        loop {
            let page = self.audit_events(Some(&org.id), after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for e in &page {
                w.write(e)?;
            }
        }
        files.insert("audit.jsonl".to_owned(), w.finish()?);

        let manifest = ExportManifest {
            format: "vigilo-export/1",
            org_id: org.id.clone(),
            org_name: org.name.clone(),
            exported_at: micros_to_rfc3339(now_micros()),
            files,
        };
        let text = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| StoreError::Invalid(format!("serialising the export manifest: {e}")))?;
        fs_err::write(dir.join("manifest.json"), text)?;
        Ok(manifest)
    }
}
