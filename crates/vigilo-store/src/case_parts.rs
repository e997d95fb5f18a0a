//! The parts of a case beyond its record: participants, messages,
//! attachments, and the organisation's public intake.
//!
//! * **Participants** are the parties of a case (vendor, coordinator,
//!   reporter, other), each with where it stands (notified, seen, affected,
//!   not affected, unknown, fixed). A participant's contact is sealed
//!   (`case_participants.contact`). Every status change is appended to the
//!   case's thread as a `system` message and audited.
//! * **Messages** are the case's thread, optionally with one participant;
//!   append-only.
//! * **Attachments** (proofs of concept, logs) are sealed
//!   (`case_attachments.content`) and at most [`MAX_ATTACHMENT`] bytes; their
//!   size and SHA-256 are kept in the clear. Reading one is a reveal, audited.
//! * The **intake** lets outside finders report without an account: an
//!   organisation enables it under a slug, and [`Store::receive_intake`]
//!   turns a report into a case (origin `intake`, status `received`, the
//!   reporter's contact sealed) with a `vuln.reported` fact, in one
//!   transaction.
//!
//! Every write runs in one transaction with its audit event; every read is
//! scoped to one organisation, and another organisation's case is
//! [`StoreError::NotFound`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::cases::{CaseOrigin, CaseProduct, NewCase, ReporterContact, check_text, not_found};
use crate::crypto::FieldRef;
use crate::{
    Actor, CaseKind, CaseStatus, DbContext as _, Result, Store, StoreError, StoredCase, now_micros,
};

/// Largest attachment, in bytes: 10 MiB.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;
/// Most attachments one case may hold.
pub const MAX_ATTACHMENTS_PER_CASE: i64 = 100;
/// Longest attachment file name, in bytes.
pub const MAX_ATTACHMENT_NAME: usize = 255;
/// Longest media type, in bytes.
pub const MAX_MEDIA_TYPE: usize = 127;
/// Longest message body, in bytes.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// Longest participant name, in bytes.
pub const MAX_PARTICIPANT_NAME: usize = 200;
/// Longest participant contact (before sealing), in bytes.
pub const MAX_PARTICIPANT_CONTACT: usize = 4096;
/// Most participants one case may have.
pub const MAX_PARTICIPANTS_PER_CASE: i64 = 100;
/// Shortest and longest intake slug, in bytes.
pub const MIN_SLUG: usize = 3;
pub const MAX_SLUG: usize = 64;

/// What a participant is to the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Vendor,
    Coordinator,
    Reporter,
    Other,
}

impl ParticipantRole {
    pub const ALL: [ParticipantRole; 4] = [
        ParticipantRole::Vendor,
        ParticipantRole::Coordinator,
        ParticipantRole::Reporter,
        ParticipantRole::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Vendor => "vendor",
            ParticipantRole::Coordinator => "coordinator",
            ParticipantRole::Reporter => "reporter",
            ParticipantRole::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ParticipantRole> {
        ParticipantRole::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a participant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    Notified,
    Seen,
    Affected,
    NotAffected,
    Unknown,
    Fixed,
}

impl ParticipantStatus {
    pub const ALL: [ParticipantStatus; 6] = [
        ParticipantStatus::Notified,
        ParticipantStatus::Seen,
        ParticipantStatus::Affected,
        ParticipantStatus::NotAffected,
        ParticipantStatus::Unknown,
        ParticipantStatus::Fixed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantStatus::Notified => "notified",
            ParticipantStatus::Seen => "seen",
            ParticipantStatus::Affected => "affected",
            ParticipantStatus::NotAffected => "not_affected",
            ParticipantStatus::Unknown => "unknown",
            ParticipantStatus::Fixed => "fixed",
        }
    }

    pub fn parse(s: &str) -> Option<ParticipantStatus> {
        ParticipantStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A participant to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewParticipant {
    pub role: ParticipantRole,
    pub name: String,
    /// Sealed at rest.
    pub contact: Option<String>,
    pub status: ParticipantStatus,
}

/// A participant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub role: ParticipantRole,
    pub name: String,
    pub has_contact: bool,
    /// The contact, opened: only when asked for.
    pub contact: Option<String>,
    pub status: ParticipantStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who wrote a message: someone (`note`), or vigilo recording a change
/// (`system`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Note,
    System,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Note => "note",
            MessageKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        [MessageKind::Note, MessageKind::System]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A message to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The participant the message is with, if any (of the same case).
    pub participant_id: Option<String>,
    pub body: String,
}

/// A message of a case's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMessage {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub participant_id: Option<String>,
    pub kind: MessageKind,
    pub author: String,
    pub body: String,
    pub created_at: i64,
}

/// An attachment to add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAttachment<'a> {
    pub name: &'a str,
    pub media_type: &'a str,
    pub content: &'a [u8],
}

/// An attachment's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: i64,
    pub created_by: String,
}

/// An organisation's public intake settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSettings {
    pub org_id: String,
    pub enabled: bool,
    pub slug: String,
    pub updated_at: i64,
}

/// A report from an outside finder, as the intake takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeReport {
    pub title: String,
    pub description: String,
    pub products: Vec<CaseProduct>,
    pub cvss_vector: Option<String>,
    pub technical_details: Option<String>,
    pub reporter: Option<ReporterContact>,
}

/// A case's participants, messages and attachments with their sealed
/// content opened: for the export only.
pub(crate) struct ExportedParts {
    pub(crate) participants: Vec<Participant>,
    pub(crate) messages: Vec<CaseMessage>,
    pub(crate) attachments: Vec<(Attachment, Vec<u8>)>,
}

// ----- validation -----

/// A participant name: 1-200 bytes, one line.
pub fn check_participant_name(name: &str) -> std::result::Result<(), String> {
    check_text(name, MAX_PARTICIPANT_NAME, true, false)
}

/// A participant contact: 1-4096 bytes, no NUL.
pub fn check_participant_contact(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_PARTICIPANT_CONTACT, true, true)
}

/// A message body: 1 byte to 64 KiB, no NUL.
pub fn check_message(text: &str) -> std::result::Result<(), String> {
    check_text(text, MAX_MESSAGE, true, true)
}

/// An attachment name: a file name of 1-255 bytes, with no path separators
/// or control characters, not `.` or `..`.
pub fn check_attachment_name(name: &str) -> std::result::Result<(), String> {
    check_text(name, MAX_ATTACHMENT_NAME, true, false)?;
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("must be a file name, without '/' or '\\'".into());
    }
    Ok(())
}

/// A media type: `type/subtype` with optional parameters, at most 127
/// bytes of printable ASCII.
pub fn check_media_type(mt: &str) -> std::result::Result<(), String> {
    if mt.is_empty() || mt.len() > MAX_MEDIA_TYPE {
        return Err(format!("must be 1-{MAX_MEDIA_TYPE} bytes"));
    }
    let essence = mt.split(';').next().unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let ok = essence
        .split_once('/')
        .is_some_and(|(t, sub)| token(t) && token(sub))
        && mt.bytes().all(|b| (0x20..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("{mt:?} is not a media type (type/subtype)"))
    }
}

/// An attachment's size: at most [`MAX_ATTACHMENT`] bytes.
pub fn check_attachment_size(size: usize) -> std::result::Result<(), String> {
    if size > MAX_ATTACHMENT {
        Err(format!(
            "{size} bytes, larger than the attachment limit of {MAX_ATTACHMENT} bytes (10 MiB)"
        ))
    } else {
        Ok(())
    }
}

/// An intake slug: 3-64 bytes of lower-case ASCII letters, digits and `-`,
/// not starting or ending with `-` (`acme-psirt`).
pub fn check_slug(slug: &str) -> std::result::Result<(), String> {
    if slug.len() < MIN_SLUG || slug.len() > MAX_SLUG {
        return Err(format!("must be {MIN_SLUG}-{MAX_SLUG} bytes"));
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || slug.starts_with('-')
        || slug.ends_with('-')
    {
        return Err(
            "must be lower-case ASCII letters, digits and '-', not at the start or end".into(),
        );
    }
    if slug == "settings" {
        return Err("\"settings\" is reserved".into());
    }
    Ok(())
}

fn validate_participant(p: &NewParticipant) -> Result<()> {
    check_participant_name(&p.name).map_err(|m| StoreError::invalid("name", m))?;
    if let Some(c) = &p.contact {
        check_participant_contact(c).map_err(|m| StoreError::invalid("contact", m))?;
    }
    Ok(())
}

// ----- rows -----

const PARTICIPANT_COLUMNS: &str =
    "id, case_id, org_id, role, name, contact, status, created_at, updated_at";
const MESSAGE_COLUMNS: &str = "id, case_id, org_id, participant_id, kind, author, body, created_at";
const ATTACHMENT_COLUMNS: &str =
    "id, case_id, org_id, name, media_type, size, sha256, created_at, created_by";

fn contact_field<'a>(org_id: &'a str, participant_id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "case_participants",
        column: "contact",
        row_id: participant_id,
        org_id,
    }
}

fn content_field<'a>(org_id: &'a str, attachment_id: &'a str) -> FieldRef<'a> {
    FieldRef {
        table: "case_attachments",
        column: "content",
        row_id: attachment_id,
        org_id,
    }
}

/// A participant row and its sealed contact.
fn participant_from_row(r: &AnyRow) -> Result<(Participant, Option<Vec<u8>>)> {
    let get = |r: &AnyRow| -> std::result::Result<_, sqlx::Error> {
        let role: String = r.try_get(3)?;
        let status: String = r.try_get(6)?;
        let contact: Option<Vec<u8>> = r.try_get(5)?;
        Ok((
            Participant {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                org_id: r.try_get(2)?,
                role: ParticipantRole::Other,
                name: r.try_get(4)?,
                has_contact: contact.is_some(),
                contact: None,
                status: ParticipantStatus::Unknown,
                created_at: r.try_get(7)?,
                updated_at: r.try_get(8)?,
            },
            role,
            status,
            contact,
        ))
    };
    let (mut p, role, status, contact) = get(r).ctx("decoding a case participant")?;
    p.role = ParticipantRole::parse(&role)
        .ok_or_else(|| StoreError::Invalid(format!("stored participant has role {role:?}")))?;
    p.status = ParticipantStatus::parse(&status)
        .ok_or_else(|| StoreError::Invalid(format!("stored participant has status {status:?}")))?;
    Ok((p, contact))
}

fn message_from_row(r: &AnyRow) -> Result<CaseMessage> {
    let get = |r: &AnyRow| -> std::result::Result<_, sqlx::Error> {
        let kind: String = r.try_get(4)?;
        Ok((
            CaseMessage {
                id: r.try_get(0)?,
                case_id: r.try_get(1)?,
                org_id: r.try_get(2)?,
                participant_id: r.try_get(3)?,
                kind: MessageKind::Note,
                author: r.try_get(5)?,
                body: r.try_get(6)?,
                created_at: r.try_get(7)?,
            },
            kind,
        ))
    };
    let (mut m, kind) = get(r).ctx("decoding a case message")?;
    m.kind = MessageKind::parse(&kind)
        .ok_or_else(|| StoreError::Invalid(format!("stored message has kind {kind:?}")))?;
    Ok(m)
}

fn attachment_from_row(r: &AnyRow) -> Result<Attachment> {
    let get = |r: &AnyRow| -> std::result::Result<Attachment, sqlx::Error> {
        Ok(Attachment {
            id: r.try_get(0)?,
            case_id: r.try_get(1)?,
            org_id: r.try_get(2)?,
            name: r.try_get(3)?,
            media_type: r.try_get(4)?,
            size: r.try_get(5)?,
            sha256: r.try_get(6)?,
            created_at: r.try_get(7)?,
            created_by: r.try_get(8)?,
        })
    };
    get(r).ctx("decoding a case attachment")
}

fn intake_from_row(r: &AnyRow) -> Result<IntakeSettings> {
    let get = |r: &AnyRow| -> std::result::Result<IntakeSettings, sqlx::Error> {
        let enabled: i64 = r.try_get(1)?;
        Ok(IntakeSettings {
            org_id: r.try_get(0)?,
            enabled: enabled != 0,
            slug: r.try_get(2)?,
            updated_at: r.try_get(3)?,
        })
    };
    get(r).ctx("decoding intake settings")
}

fn participant_not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "participant",
        id: id.to_owned(),
    }
}

impl Store {
    /// Whether the case exists in the organisation ([`StoreError::NotFound`]
    /// otherwise).
    async fn require_case(&self, org_id: &str, case_id: &str) -> Result<()> {
        sqlx::query("SELECT id FROM cases WHERE id = $1 AND org_id = $2")
            .bind(case_id)
            .bind(org_id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading a case")?
            .map(|_| ())
            .ok_or_else(|| not_found(case_id))
    }

    async fn count_rows(
        &self,
        tx: &mut sqlx::AnyConnection,
        table: &'static str,
        case_id: &str,
    ) -> Result<i64> {
        let row = sqlx::query(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM {table} WHERE case_id = $1"
        ))
        .bind(case_id)
        .fetch_one(&mut *tx)
        .await
        .ctx("counting a case's parts")?;
        row.try_get(0).ctx("counting a case's parts")
    }

    /// Adds a participant to a case of the organisation, its contact sealed,
    /// in one transaction with its audit event (`case.participant`).
    pub async fn add_participant(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: &NewParticipant,
    ) -> Result<Participant> {
        validate_participant(new)?;
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = match &new.contact {
            Some(c) => Some(self.seal(contact_field(org_id, &id), c.as_bytes()).await?),
            None => None,
        };
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        if self
            .count_rows(&mut tx, "case_participants", case_id)
            .await?
            >= MAX_PARTICIPANTS_PER_CASE
        {
            return Err(StoreError::Conflict(format!(
                "case {case_id} already has {MAX_PARTICIPANTS_PER_CASE} participants, the most it may have"
            )));
        }
        sqlx::query(&format!(
            "INSERT INTO case_participants ({PARTICIPANT_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(id.clone())
        .bind(case_id)
        .bind(org_id)
        .bind(new.role.as_str())
        .bind(new.name.trim())
        .bind(sealed.clone())
        .bind(new.status.as_str())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx("storing a case participant")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.participant",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "id": id, "role": new.role.as_str(), "status": new.status.as_str(),
                "contact": sealed.is_some(),
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a case participant")?;
        Ok(Participant {
            id,
            case_id: case_id.to_owned(),
            org_id: org_id.to_owned(),
            role: new.role,
            name: new.name.trim().to_owned(),
            has_contact: sealed.is_some(),
            contact: None,
            status: new.status,
            created_at: now,
            updated_at: now,
        })
    }

    /// Sets a participant's status, in one transaction with a `system`
    /// message in the case's thread (`status: notified → seen`, with the
    /// participant) and its audit event (`case.participant_status`).
    pub async fn update_participant_status(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        participant_id: &str,
        status: ParticipantStatus,
    ) -> Result<Participant> {
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        let row = sqlx::query(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM case_participants \
             WHERE id = $1 AND case_id = $2 AND org_id = $3"
        ))
        .bind(participant_id)
        .bind(case_id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await
        .ctx("reading a case participant")?
        .ok_or_else(|| participant_not_found(participant_id))?;
        let (mut p, _) = participant_from_row(&row)?;
        let from = p.status;
        sqlx::query(
            "UPDATE case_participants SET status = $1, updated_at = $2 \
             WHERE id = $3 AND org_id = $4",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(participant_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .ctx("updating a case participant")?;
        let message_id = uuid::Uuid::now_v7().to_string();
        sqlx::query(&format!(
            "INSERT INTO case_messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(message_id.clone())
        .bind(case_id)
        .bind(org_id)
        .bind(participant_id)
        .bind(MessageKind::System.as_str())
        .bind(actor.actor.clone())
        .bind(format!(
            "{} ({}): status {} → {}",
            p.name,
            p.role.as_str(),
            from.as_str(),
            status.as_str()
        ))
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx("storing a case message")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.participant_status",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "participant": participant_id, "from": from.as_str(), "to": status.as_str(),
                "message": message_id,
            })),
        )
        .await?;
        tx.commit().await.ctx("updating a case participant")?;
        p.status = status;
        p.updated_at = now;
        Ok(p)
    }

    /// The participants of a case, in the order they were added. With
    /// `reveal`, their sealed contacts are opened and the reading audited
    /// (`case.reveal`, field `participants.contact`).
    pub async fn list_participants(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        reveal: bool,
    ) -> Result<Vec<Participant>> {
        self.require_case(org_id, case_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM case_participants \
             WHERE org_id = $1 AND case_id = $2 ORDER BY id"
        ))
        .bind(org_id)
        .bind(case_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading case participants")?;
        let mut out = Vec::with_capacity(rows.len());
        let mut opened = false;
        for r in &rows {
            let (mut p, sealed) = participant_from_row(r)?;
            if let (true, Some(blob)) = (reveal, &sealed) {
                p.contact = Some(self.open_participant_contact(&p, blob).await?);
                opened = true;
            }
            out.push(p);
        }
        if opened {
            self.record(
                actor,
                Some(org_id),
                "case.reveal",
                &format!("case:{case_id}"),
                Some(serde_json::json!({ "field": "participants.contact" })),
            )
            .await?;
        }
        Ok(out)
    }

    async fn open_participant_contact(&self, p: &Participant, blob: &[u8]) -> Result<String> {
        let plain = self
            .open_sealed(contact_field(&p.org_id, &p.id), blob)
            .await?;
        String::from_utf8(plain.to_vec()).map_err(|_| {
            StoreError::Decrypt(format!("case_participants.contact of {}: not UTF-8", p.id))
        })
    }

    /// Appends a message to a case's thread (optionally with one of its
    /// participants), in one transaction with its audit event
    /// (`case.message`). A participant of another case is
    /// [`StoreError::InvalidField`] `participant_id`.
    pub async fn add_message(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: &NewMessage,
    ) -> Result<CaseMessage> {
        check_message(&new.body).map_err(|m| StoreError::invalid("body", m))?;
        let now = now_micros();
        let message = CaseMessage {
            id: uuid::Uuid::now_v7().to_string(),
            case_id: case_id.to_owned(),
            org_id: org_id.to_owned(),
            participant_id: new.participant_id.clone(),
            kind: MessageKind::Note,
            author: actor.actor.clone(),
            body: new.body.clone(),
            created_at: now,
        };
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        if let Some(pid) = &new.participant_id {
            let found = sqlx::query(
                "SELECT id FROM case_participants WHERE id = $1 AND case_id = $2 AND org_id = $3",
            )
            .bind(pid)
            .bind(case_id)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading a case participant")?;
            if found.is_none() {
                return Err(StoreError::invalid(
                    "participant_id",
                    format!("case {case_id} has no participant {pid}"),
                ));
            }
        }
        sqlx::query(&format!(
            "INSERT INTO case_messages ({MESSAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(message.id.clone())
        .bind(case_id)
        .bind(org_id)
        .bind(message.participant_id.clone())
        .bind(message.kind.as_str())
        .bind(message.author.clone())
        .bind(message.body.clone())
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx("storing a case message")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.message",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "id": message.id, "participant": message.participant_id,
                "bytes": message.body.len(),
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a case message")?;
        Ok(message)
    }

    /// A case's messages in the order they were written, optionally only
    /// those with one participant.
    pub async fn list_messages(
        &self,
        org_id: &str,
        case_id: &str,
        participant_id: Option<&str>,
    ) -> Result<Vec<CaseMessage>> {
        self.require_case(org_id, case_id).await?;
        let mut sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM case_messages WHERE org_id = $1 AND case_id = $2"
        );
        if participant_id.is_some() {
            sql.push_str(" AND participant_id = $3");
        }
        sql.push_str(" ORDER BY id");
        let mut query = sqlx::query(&sql).bind(org_id).bind(case_id);
        if let Some(p) = participant_id {
            query = query.bind(p);
        }
        let rows = query
            .fetch_all(self.pool())
            .await
            .ctx("reading case messages")?;
        rows.iter().map(message_from_row).collect()
    }

    /// Attaches a file to a case of the organisation: its content sealed,
    /// its SHA-256 computed, in one transaction with its audit event
    /// (`case.attachment`). Content over [`MAX_ATTACHMENT`] bytes is
    /// [`StoreError::InvalidField`] `content` and stores nothing.
    pub async fn add_attachment(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        new: NewAttachment<'_>,
    ) -> Result<Attachment> {
        check_attachment_size(new.content.len()).map_err(|m| StoreError::invalid("content", m))?;
        check_attachment_name(new.name).map_err(|m| StoreError::invalid("name", m))?;
        check_media_type(new.media_type).map_err(|m| StoreError::invalid("media_type", m))?;
        let id = uuid::Uuid::now_v7().to_string();
        let sealed = self.seal(content_field(org_id, &id), new.content).await?;
        let size = i64::try_from(new.content.len())
            .map_err(|_| StoreError::invalid("content", "too large"))?;
        let now = now_micros();
        let att = Attachment {
            id,
            case_id: case_id.to_owned(),
            org_id: org_id.to_owned(),
            name: new.name.to_owned(),
            media_type: new.media_type.to_owned(),
            size,
            sha256: hex::encode(Sha256::digest(new.content)),
            created_at: now,
            created_by: actor.actor.clone(),
        };
        let mut tx = self.begin_write().await?;
        self.touch_case(&mut tx, org_id, case_id, now).await?;
        if self
            .count_rows(&mut tx, "case_attachments", case_id)
            .await?
            >= MAX_ATTACHMENTS_PER_CASE
        {
            return Err(StoreError::Conflict(format!(
                "case {case_id} already has {MAX_ATTACHMENTS_PER_CASE} attachments, the most it may have"
            )));
        }
        sqlx::query(&format!(
            "INSERT INTO case_attachments ({ATTACHMENT_COLUMNS}, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(att.id.clone())
        .bind(case_id)
        .bind(org_id)
        .bind(att.name.clone())
        .bind(att.media_type.clone())
        .bind(att.size)
        .bind(att.sha256.clone())
        .bind(now)
        .bind(att.created_by.clone())
        .bind(sealed)
        .execute(&mut *tx)
        .await
        .ctx("storing a case attachment")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.attachment",
            &format!("case:{case_id}"),
            Some(serde_json::json!({
                "id": att.id, "name": att.name, "media_type": att.media_type,
                "size": att.size, "sha256": att.sha256,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing a case attachment")?;
        Ok(att)
    }

    /// The metadata of a case's attachments, in the order they were added.
    pub async fn list_attachments(&self, org_id: &str, case_id: &str) -> Result<Vec<Attachment>> {
        self.require_case(org_id, case_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM case_attachments \
             WHERE org_id = $1 AND case_id = $2 ORDER BY id"
        ))
        .bind(org_id)
        .bind(case_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading case attachments")?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// One attachment of a case with its content opened; the reading is
    /// audited (`case.reveal`, field `attachments.content`). `None` when the
    /// case (in this organisation) has no such attachment.
    pub async fn read_attachment(
        &self,
        actor: &Actor,
        org_id: &str,
        case_id: &str,
        attachment_id: &str,
    ) -> Result<Option<(Attachment, Vec<u8>)>> {
        let row = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLUMNS}, content FROM case_attachments \
             WHERE id = $1 AND case_id = $2 AND org_id = $3"
        ))
        .bind(attachment_id)
        .bind(case_id)
        .bind(org_id)
        .fetch_optional(self.pool())
        .await
        .ctx("reading a case attachment")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let att = attachment_from_row(&row)?;
        let sealed: Vec<u8> = row.try_get(9).ctx("reading a case attachment")?;
        let plain = self
            .open_sealed(content_field(org_id, &att.id), &sealed)
            .await?;
        self.record(
            actor,
            Some(org_id),
            "case.reveal",
            &format!("case:{case_id}"),
            Some(serde_json::json!({ "field": "attachments.content", "attachment": att.id })),
        )
        .await?;
        Ok(Some((att, plain.to_vec())))
    }

    /// The organisation's intake settings, if it has set any.
    pub async fn intake_settings(&self, org_id: &str) -> Result<Option<IntakeSettings>> {
        sqlx::query("SELECT org_id, enabled, slug, updated_at FROM org_intake WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(self.pool())
            .await
            .ctx("reading intake settings")?
            .map(|r| intake_from_row(&r))
            .transpose()
    }

    /// The intake settings under a slug, if any organisation uses it.
    pub async fn intake_by_slug(&self, slug: &str) -> Result<Option<IntakeSettings>> {
        sqlx::query("SELECT org_id, enabled, slug, updated_at FROM org_intake WHERE slug = $1")
            .bind(slug)
            .fetch_optional(self.pool())
            .await
            .ctx("reading intake settings")?
            .map(|r| intake_from_row(&r))
            .transpose()
    }

    /// Sets the organisation's intake settings, in one transaction with its
    /// audit event (`intake.settings`). A slug another organisation uses is
    /// [`StoreError::Conflict`].
    pub async fn put_intake_settings(
        &self,
        actor: &Actor,
        org_id: &str,
        enabled: bool,
        slug: &str,
    ) -> Result<IntakeSettings> {
        check_slug(slug).map_err(|m| StoreError::invalid("slug", m))?;
        let now = now_micros();
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT org_id FROM org_intake WHERE slug = $1 AND org_id <> $2")
            .bind(slug)
            .bind(org_id)
            .fetch_optional(&mut *tx)
            .await
            .ctx("reading intake settings")?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "the intake slug {slug:?} is taken by another organisation"
            )));
        }
        sqlx::query(
            "INSERT INTO org_intake (org_id, enabled, slug, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id) DO UPDATE SET enabled = excluded.enabled, slug = excluded.slug, \
             updated_at = excluded.updated_at",
        )
        .bind(org_id)
        .bind(i64::from(enabled))
        .bind(slug)
        .bind(now)
        .execute(&mut *tx)
        .await
        .ctx("storing intake settings")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "intake.settings",
            &format!("org:{org_id}"),
            Some(serde_json::json!({ "enabled": enabled, "slug": slug })),
        )
        .await?;
        tx.commit().await.ctx("storing intake settings")?;
        Ok(IntakeSettings {
            org_id: org_id.to_owned(),
            enabled,
            slug: slug.to_owned(),
            updated_at: now,
        })
    }

    /// Turns a report from the public intake into a case of the organisation
    /// (origin `intake`, status `received`, kind vulnerability, the
    /// technical details and the reporter's contact sealed) with a
    /// `vuln.reported` fact at the time of receipt whose provenance is
    /// `public intake from <source>`: the case, the fact and both audit
    /// events commit together or not at all. The caller checks that the
    /// organisation's intake is enabled.
    pub async fn receive_intake(
        &self,
        org_id: &str,
        report: &IntakeReport,
        source: &str,
    ) -> Result<StoredCase> {
        let actor = Actor {
            actor: "anonymous".into(),
            org_id: Some(org_id.to_owned()),
            request_id: None,
            source: Some(source.to_owned()),
        };
        self.receive_intake_as(&actor, org_id, report).await
    }

    /// As [`Store::receive_intake`], with the actor given (its `source` is
    /// the reporter's address, its request id the request's).
    pub async fn receive_intake_as(
        &self,
        actor: &Actor,
        org_id: &str,
        report: &IntakeReport,
    ) -> Result<StoredCase> {
        let new = NewCase {
            title: report.title.clone(),
            kind: CaseKind::Vulnerability,
            status: CaseStatus::Received,
            description: report.description.clone(),
            products: report.products.clone(),
            cvss_vector: report.cvss_vector.clone(),
            cve_ids: Vec::new(),
            flags: std::collections::BTreeMap::new(),
            technical_details: report.technical_details.clone(),
            impact: None,
            exploited: false,
            exploited_evidence: None,
            reporter_contact: report.reporter.clone(),
            embargo: None,
            linked_advisories: Vec::new(),
        };
        let prepared = self.prepare_case(org_id, &new).await?;
        let source = actor.source.as_deref().unwrap_or("an unknown address");
        let mut tx = self.begin_write().await?;
        let case = self
            .insert_case(&mut tx, actor, org_id, &new, &prepared, CaseOrigin::Intake)
            .await?;
        let event_id = uuid::Uuid::now_v7().to_string();
        let provenance = format!("public intake from {source}");
        sqlx::query(
            "INSERT INTO case_events (id, case_id, org_id, event, at, source, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(event_id.clone())
        .bind(case.id.clone())
        .bind(org_id)
        .bind("vuln.reported")
        .bind(case.created_at)
        .bind(provenance.clone())
        .bind(actor.actor.clone())
        .bind(case.created_at)
        .execute(&mut *tx)
        .await
        .ctx("storing a case event")?;
        self.append_audit(
            &mut tx,
            actor,
            Some(org_id),
            "case.event",
            &format!("case:{}", case.id),
            Some(serde_json::json!({
                "id": event_id, "event": "vuln.reported",
                "at": crate::micros_to_rfc3339(case.created_at), "source": provenance,
            })),
        )
        .await?;
        tx.commit().await.ctx("storing an intake report")?;
        Ok(case)
    }

    /// Every participant (contact opened), message and attachment (content
    /// opened) of the organisation's cases: for the export only (which is
    /// audited as a whole).
    pub(crate) async fn export_case_parts(&self, org_id: &str) -> Result<ExportedParts> {
        let rows = sqlx::query(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM case_participants WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading case participants")?;
        let mut participants = Vec::with_capacity(rows.len());
        for r in &rows {
            let (mut p, sealed) = participant_from_row(r)?;
            if let Some(blob) = &sealed {
                p.contact = Some(self.open_participant_contact(&p, blob).await?);
            }
            participants.push(p);
        }
        let messages = sqlx::query(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM case_messages WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading case messages")?
        .iter()
        .map(message_from_row)
        .collect::<Result<Vec<_>>>()?;
        let rows = sqlx::query(&format!(
            "SELECT {ATTACHMENT_COLUMNS}, content FROM case_attachments WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await
        .ctx("reading case attachments")?;
        let mut attachments = Vec::with_capacity(rows.len());
        for r in &rows {
            let att = attachment_from_row(r)?;
            let sealed: Vec<u8> = r.try_get(9).ctx("reading a case attachment")?;
            let plain = self
                .open_sealed(content_field(org_id, &att.id), &sealed)
                .await?;
            attachments.push((att, plain.to_vec()));
        }
        Ok(ExportedParts {
            participants,
            messages,
            attachments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in ParticipantRole::ALL {
            assert_eq!(ParticipantRole::parse(r.as_str()), Some(r));
        }
        for s in ParticipantStatus::ALL {
            assert_eq!(ParticipantStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ParticipantStatus::parse("not affected"), None);
        assert_eq!(MessageKind::parse("system"), Some(MessageKind::System));
    }

    #[test]
    fn attachment_names_media_types_and_sizes() {
        assert!(check_attachment_name("poc.py").is_ok());
        for bad in ["", "../etc/passwd", "a\\b", "..", "a\nb"] {
            assert!(check_attachment_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_media_type("text/x-python; charset=utf-8").is_ok());
        assert!(check_media_type("application/octet-stream").is_ok());
        for bad in ["", "text", "text/", "/x", "te xt/plain", "text/plain\u{7f}"] {
            assert!(check_media_type(bad).is_err(), "{bad:?}");
        }
        assert!(check_attachment_size(MAX_ATTACHMENT).is_ok());
        let e = check_attachment_size(MAX_ATTACHMENT + 1).unwrap_err();
        assert!(e.contains("10485760"), "{e}");
    }

    #[test]
    fn slugs() {
        assert!(check_slug("acme-psirt").is_ok());
        for bad in [
            "ab",
            "Acme",
            "-acme",
            "acme-",
            "ac me",
            "settings",
            &"a".repeat(65),
        ] {
            assert!(check_slug(bad).is_err(), "{bad:?}");
        }
    }
}
