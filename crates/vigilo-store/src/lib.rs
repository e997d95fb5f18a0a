//! vigilo's persistence.
//!
//! One [`Store`] over either the embedded SQLite database (the default: a file
//! in the data folder, WAL mode) or PostgreSQL, chosen by the URL. Queries are
//! written once in the SQL both dialects share and run through sqlx's `Any`
//! driver; schema migrations are kept per dialect under `migrations/`.
//!
//! Every write goes through one path ([`Store::begin_write`] … [`Store::append_audit`]
//! … commit), which first takes the audit chain's head lock, so that writes and
//! their audit events commit or roll back together and the chain is strictly
//! sequential on both backends.
#![forbid(unsafe_code)]

pub mod advisories;
pub mod assets;
pub mod audit;
pub mod case_parts;
pub mod cases;
pub mod coordinator;
pub mod crypto;
mod db;
pub mod export;
pub mod exposure;
mod identity;
pub mod jobs;
mod keys;
pub mod outbound;
pub mod partners;
mod profile;
pub mod replica;
pub mod reports;
pub mod shared;
pub mod sightings;
pub mod webhooks;

use std::path::PathBuf;

pub use advisories::{AdvisoryRecord, ImportCounts, StoredAdvisory};
pub use assets::{Asset, AssetComponent, AssetUpload, ComponentHit, NewAsset, StoredComponent};
pub use case_parts::{
    Attachment, CaseMessage, IntakeReport, IntakeSettings, MessageKind, NewAttachment, NewMessage,
    NewParticipant, Participant, ParticipantRole, ParticipantStatus,
};
pub use cases::{
    CaseEvent, CaseKind, CaseOrigin, CaseProduct, CaseRecord, CaseStatus, CaseSubmission,
    CaseUpdate, Embargo, NewCase, NewCaseEvent, NewCaseSubmission, ReporterContact,
    SealedCaseField, StoredCase,
};
pub use db::{Backend, StoreOptions, VerifyReport, redact_url};
pub use exposure::{ApplyReport, FindingFilter, FindingState, NewFinding, StoredFinding};
pub use identity::{
    Member, NewToken, Org, OrgStatus, TOKEN_PREFIX, TokenInfo, TokenRecord, User, hash_token_secret,
};
pub use jobs::{Backoff, Enqueued, FailOutcome, Job, JobState, NewJob};
pub use outbound::{
    Disclosure, DisclosureKind, LateDuty, NewDisclosure, NewRecipient, Recipient, RecipientKind,
};
pub use profile::OrgProfile;
pub use reports::ReceivedReport;
pub use sightings::{
    IndicatorFilter, Page, SightingFilter, StoredIndicator, StoredSighting, UploadSummary,
};
pub use webhooks::{
    Delivery, DeliveryAttempt, DeliveryLog, DeliveryState, NewDelivery, NewWebhook, NoticeKey,
    Webhook,
};

/// The store's error type: every variant says what failed and on what.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while {op}: {source}")]
    Db {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("running database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("key-encryption key: {0}")]
    Kek(String),
    #[error(
        "wrong key-encryption key: the database was encrypted under the key with fingerprint \
         {expected}, but the key from {source_desc} has fingerprint {actual}. Nothing was changed. \
         Pass the right key with --kek-file or VIGILO_KEK."
    )]
    WrongKek {
        expected: String,
        actual: String,
        source_desc: String,
    },
    #[error("decryption failed: {0}")]
    Decrypt(String),
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A value given for a named field is not acceptable.
    #[error("{field}: {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("password hashing: {0}")]
    Password(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::InvalidField {
            field,
            message: message.into(),
        }
    }
}

pub(crate) trait DbContext<T> {
    fn ctx(self, op: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, sqlx::Error> {
    fn ctx(self, op: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Db { op, source })
    }
}

/// Who did something, for the audit chain.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `token:<id>`, `user:<id>`, `cli:<os user>`, `system`, `anonymous`.
    pub actor: String,
    /// The organisation the actor acts for.
    pub org_id: Option<String>,
    pub request_id: Option<String>,
    /// Source address of the request.
    pub source: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            actor: "system".into(),
            ..Default::default()
        }
    }

    /// The operator at the command line.
    pub fn cli() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| {
                current_uid().map_or_else(|| "unknown".into(), |u| format!("uid{u}"))
            });
        Actor {
            actor: format!("cli:{user}"),
            ..Default::default()
        }
    }
}

/// The process's user id, when the platform tells.
fn current_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// Formats microseconds since the epoch as RFC 3339 (UTC).
pub fn micros_to_rfc3339(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| micros.to_string())
}

pub use db::Store;

/// Default paths inside a data folder.
pub fn default_db_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("vigilo.db")
}

pub fn default_kek_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("keys").join("kek")
}
