//! A case's participants, messages and attachments, and the public intake.
//!
//! ```text
//! POST  /api/cases/{id}/participants        {"role", "name", "contact"?, "status"?}   (write)
//! GET   /api/cases/{id}/participants[?reveal=contact]                                 (read; reveal: write, audited)
//! PATCH /api/cases/{id}/participants/{pid}  {"status"}                                 (write)
//! POST  /api/cases/{id}/messages            {"body", "participant_id"?}                (write)
//! GET   /api/cases/{id}/messages[?participant_id=…]                                   (read)
//! POST  /api/cases/{id}/attachments?name=poc.py   raw body, any media type            (write)
//! GET   /api/cases/{id}/attachments         metadata                                   (read)
//! GET   /api/cases/{id}/attachments/{aid}   content                                    (write, audited)
//! PUT   /api/intake/settings                {"enabled", "slug"}                        (admin)
//! GET   /api/intake/settings                                                           (admin)
//! GET   /api/intake/{slug}/challenge        no authentication
//! POST  /api/intake/{slug}                  no authentication
//! ```
//!
//! Participants are `vendor`, `coordinator`, `reporter` or `other`, each with
//! a status (`notified`, `seen`, `affected`, `not_affected`, `unknown`,
//! `fixed`); a status change is appended to the case's thread as a `system`
//! message. An attachment is at most 10 MiB (a larger body is a 413 naming
//! the limit, and nothing is stored); its content is sealed at rest and
//! served as `application/octet-stream` with `Content-Disposition:
//! attachment`.
//!
//! **The public intake** lets outside finders report a vulnerability to an
//! organisation that enabled it, without an account. Spam is resisted by:
//!
//! * a proof of work: `GET /api/intake/{slug}/challenge` answers
//!   `{"challenge", "difficulty", "expires_at"}`; the client finds a `nonce`
//!   such that `SHA-256(challenge + ":" + nonce)` starts with `difficulty`
//!   zero bits (18 by default: about 260,000 hashes). A challenge is an
//!   HMAC-signed token (slug, expiry, random nonce, difficulty) under a key
//!   the process draws at start; it lives ten minutes and is accepted once;
//! * a honeypot member, `website`, which people leave empty;
//! * strict limits on every member and on the body (128 KiB);
//! * rate limits: [`IntakeGuard::PER_IP`] reports per source address and
//!   [`IntakeGuard::GLOBAL`] in all per hour; over them, a 429 with
//!   `Retry-After`.
//!
//! `POST /api/intake/{slug}` takes `{"title", "description", "products"?,
//! "cvss_vector"?, "technical_details"?, "reporter": {"name"?, "email"?,
//! "pgp_key"?}?, "challenge", "nonce", "website": ""}` and answers 202 with
//! `{"tracking_id"}` only. The case is created with origin `intake`, status
//! `received`, the technical details and the reporter's contact sealed, and a
//! `vuln.reported` fact whose provenance names the source address. An
//! unknown slug, or an intake that is not enabled, is a 404.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody as _};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::case_parts::{
    MAX_ATTACHMENT, check_attachment_name, check_media_type, check_message,
    check_participant_contact, check_participant_name, check_slug,
};
use vigilo_store::cases::{
    MAX_REPORTER_EMAIL, MAX_REPORTER_NAME, check_cvss_vector, check_reporter_contact,
    check_technical_details, check_title,
};
use vigilo_store::{
    Actor, Attachment, CaseMessage, IntakeReport, IntakeSettings, NewAttachment, NewMessage,
    NewParticipant, Participant, ParticipantRole, ParticipantStatus, ReporterContact,
    micros_to_rfc3339,
};

use crate::ApiQuery as Query;
use crate::AppState;
use crate::api::store_problem;
use crate::auth::{Auth, peer_ip, request_id};
use crate::cases_api::read_product;
use crate::fields::{FieldErrors as Errors, object, string, unknown_members};
use crate::json::{ApiJson, BodyLimit};
use crate::problem::{Problem, ProblemBody, pointer_push};

const ROLES: &str = "vendor, coordinator, reporter, other";
const PARTICIPANT_STATUSES: &str = "notified, seen, affected, not_affected, unknown, fixed";
const PARTICIPANT_MEMBERS: [&str; 4] = ["role", "name", "contact", "status"];
const MESSAGE_MEMBERS: [&str; 2] = ["body", "participant_id"];
const SETTINGS_MEMBERS: [&str; 2] = ["enabled", "slug"];
const INTAKE_MEMBERS: [&str; 9] = [
    "title",
    "description",
    "products",
    "cvss_vector",
    "technical_details",
    "reporter",
    "challenge",
    "nonce",
    "website",
];
const REPORTER_MEMBERS: [&str; 3] = ["name", "email", "pgp_key"];
/// The media type of an attachment sent without one.
const DEFAULT_MEDIA_TYPE: &str = "application/octet-stream";

/// Largest intake request body, in bytes.
pub const INTAKE_MAX_BODY: usize = 128 * 1024;
/// Longest intake description, in bytes.
pub const INTAKE_MAX_DESCRIPTION: usize = 16 * 1024;
/// Longest intake technical details, in bytes.
pub const INTAKE_MAX_TECHNICAL_DETAILS: usize = 64 * 1024;
/// Most products one intake report may name.
pub const INTAKE_MAX_PRODUCTS: usize = 20;
/// Longest product name, version or purl in an intake report, in bytes.
pub const INTAKE_MAX_PRODUCT_FIELD: usize = 200;
/// Longest reporter PGP key in an intake report, in bytes.
pub const INTAKE_MAX_PGP_KEY: usize = 8 * 1024;
/// Longest nonce, in bytes.
pub const INTAKE_MAX_NONCE: usize = 64;
/// Longest challenge token, in bytes.
const INTAKE_MAX_CHALLENGE: usize = 256;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    let intake = OpenApiRouter::new()
        .routes(routes!(submit_intake))
        .layer(axum::middleware::from_fn(intake_body_limit));
    OpenApiRouter::new()
        .routes(routes!(list_participants, add_participant))
        .routes(routes!(update_participant))
        .routes(routes!(list_messages, add_message))
        .routes(routes!(list_attachments, add_attachment))
        .routes(routes!(read_attachment))
        .routes(routes!(get_intake_settings, put_intake_settings))
        .routes(routes!(intake_challenge))
        .merge(intake)
}

/// Lowers the JSON body limit of the intake to [`INTAKE_MAX_BODY`] (or the
/// hub's, if that is lower).
async fn intake_body_limit(mut req: Request, next: axum::middleware::Next) -> Response {
    let limit = req
        .extensions()
        .get::<BodyLimit>()
        .map_or(INTAKE_MAX_BODY, |b| b.0.min(INTAKE_MAX_BODY));
    req.extensions_mut().insert(BodyLimit(limit));
    next.run(req).await
}

// ----- the intake's guard: challenges and rate limits -----

/// The public intake's spam defences, held in [`AppState`]: the key that
/// signs proof-of-work challenges (drawn at start: challenges live ten
/// minutes, so a restart only voids those outstanding), the challenges
/// already used, and the rate limits.
pub struct IntakeGuard {
    key: [u8; 32],
    difficulty: AtomicU32,
    ttl_ms: AtomicU64,
    used: Mutex<HashMap<String, u64>>,
    per_ip: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    global: Mutex<VecDeque<Instant>>,
}

impl std::fmt::Debug for IntakeGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeGuard")
            .field("difficulty", &self.difficulty)
            .finish_non_exhaustive()
    }
}

impl Default for IntakeGuard {
    fn default() -> Self {
        IntakeGuard::new()
    }
}

/// Why a challenge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChallengeError {
    Malformed,
    Expired,
    WrongWork,
}

type HmacSha256 = Hmac<Sha256>;

fn now_ms() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0)
}

/// Leading zero bits of a digest.
fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut n = 0;
    for b in digest {
        if *b == 0 {
            n += 8;
        } else {
            n += b.leading_zeros();
            break;
        }
    }
    n
}

/// Whether `SHA-256(challenge + ":" + nonce)` starts with `difficulty` zero
/// bits.
pub fn proof_of_work_holds(challenge: &str, nonce: &str, difficulty: u32) -> bool {
    let mut h = Sha256::new();
    h.update(challenge.as_bytes());
    h.update(b":");
    h.update(nonce.as_bytes());
    leading_zero_bits(&h.finalize()) >= difficulty
}

/// Finds a nonce for a challenge (what a client does; for tests and tools).
pub fn solve_proof_of_work(challenge: &str, difficulty: u32) -> String {
    (0u64..)
        .map(|i| i.to_string())
        .find(|n| proof_of_work_holds(challenge, n, difficulty))
        .unwrap_or_default()
}

impl IntakeGuard {
    /// Default proof-of-work difficulty, in leading zero bits.
    pub const DEFAULT_DIFFICULTY: u32 = 18;
    /// How long a challenge may be used.
    pub const CHALLENGE_TTL: Duration = Duration::from_secs(10 * 60);
    /// Reports accepted per source address per [`IntakeGuard::WINDOW`].
    pub const PER_IP: usize = 5;
    /// Reports accepted in all per [`IntakeGuard::WINDOW`].
    pub const GLOBAL: usize = 500;
    /// The rate limits' window.
    pub const WINDOW: Duration = Duration::from_secs(60 * 60);
    /// Most addresses (and used challenges) remembered.
    const MAX_ENTRIES: usize = 100_000;

    pub fn new() -> Self {
        let mut key = [0u8; 32];
        key.copy_from_slice(vigilo_store::crypto::Key::generate().as_bytes());
        IntakeGuard {
            key,
            difficulty: AtomicU32::new(Self::DEFAULT_DIFFICULTY),
            ttl_ms: AtomicU64::new(
                u64::try_from(Self::CHALLENGE_TTL.as_millis()).unwrap_or(600_000),
            ),
            used: Mutex::new(HashMap::new()),
            per_ip: Mutex::new(HashMap::new()),
            global: Mutex::new(VecDeque::new()),
        }
    }

    /// Sets the difficulty of challenges issued from now on (leading zero
    /// bits, at most 32): tests lower it.
    pub fn set_difficulty(&self, bits: u32) {
        self.difficulty.store(bits.min(32), Ordering::Relaxed);
    }

    /// Sets how long challenges issued from now on live: tests shorten it.
    pub fn set_challenge_ttl(&self, ttl: Duration) {
        self.ttl_ms.store(
            u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn difficulty(&self) -> u32 {
        self.difficulty.load(Ordering::Relaxed)
    }

    fn mac(&self, payload: &str) -> String {
        use base64::Engine as _;
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"vigilo-intake-challenge-v1\0");
        mac.update(payload.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A fresh challenge for `slug`: `v1.<slug>.<expiry ms>.<nonce>.<difficulty>.<mac>`,
    /// with its difficulty and expiry (ms since the epoch).
    pub fn issue(&self, slug: &str) -> (String, u32, u64) {
        let difficulty = self.difficulty();
        let expires = now_ms().saturating_add(self.ttl_ms.load(Ordering::Relaxed));
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let payload = format!("v1.{slug}.{expires}.{nonce}.{difficulty}");
        let mac = self.mac(&payload);
        (format!("{payload}.{mac}"), difficulty, expires)
    }

    /// Checks a challenge for `slug` and the work done on it (not whether it
    /// was used); returns its expiry.
    fn verify(&self, slug: &str, challenge: &str, nonce: &str) -> Result<u64, ChallengeError> {
        let Some((payload, mac)) = challenge.rsplit_once('.') else {
            return Err(ChallengeError::Malformed);
        };
        let expected = self.mac(payload);
        // Constant-time comparison of the MACs.
        let same = expected.len() == mac.len()
            && expected
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(ChallengeError::Malformed);
        }
        let parts: Vec<&str> = payload.split('.').collect();
        let [version, for_slug, expires, _nonce, difficulty] = parts[..] else {
            return Err(ChallengeError::Malformed);
        };
        let (Ok(expires), Ok(difficulty)) = (expires.parse::<u64>(), difficulty.parse::<u32>())
        else {
            return Err(ChallengeError::Malformed);
        };
        if version != "v1" || for_slug != slug {
            return Err(ChallengeError::Malformed);
        }
        if now_ms() >= expires {
            return Err(ChallengeError::Expired);
        }
        if !proof_of_work_holds(challenge, nonce, difficulty) {
            return Err(ChallengeError::WrongWork);
        }
        Ok(expires)
    }

    /// Marks a challenge used; `false` when it already was.
    fn consume(&self, challenge: &str, expires: u64) -> bool {
        let now = now_ms();
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        if used.len() >= Self::MAX_ENTRIES {
            used.retain(|_, exp| *exp > now);
        }
        if used.contains_key(challenge) {
            return false;
        }
        used.insert(challenge.to_owned(), expires);
        true
    }

    fn prune(q: &mut VecDeque<Instant>) {
        while q
            .front()
            .is_some_and(|t| t.elapsed() >= IntakeGuard::WINDOW)
        {
            q.pop_front();
        }
    }

    fn retry_after(q: &VecDeque<Instant>) -> u64 {
        q.front().map_or(1, |t| {
            IntakeGuard::WINDOW
                .saturating_sub(t.elapsed())
                .as_secs()
                .max(1)
        })
    }

    /// Whether another report from `ip` would be over a limit: the seconds
    /// to wait, if so. Takes no slot.
    fn over_limit(&self, ip: IpAddr) -> Option<u64> {
        {
            let mut global = self.global.lock().unwrap_or_else(|e| e.into_inner());
            Self::prune(&mut global);
            if global.len() >= Self::GLOBAL {
                return Some(Self::retry_after(&global));
            }
        }
        let mut map = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let q = map.get_mut(&ip)?;
        Self::prune(q);
        (q.len() >= Self::PER_IP).then(|| Self::retry_after(q))
    }

    /// Takes a slot for a report from `ip`, or says how long to wait.
    fn acquire(&self, ip: IpAddr) -> Result<(), u64> {
        let mut global = self.global.lock().unwrap_or_else(|e| e.into_inner());
        Self::prune(&mut global);
        if global.len() >= Self::GLOBAL {
            return Err(Self::retry_after(&global));
        }
        let mut map = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX_ENTRIES {
            map.retain(|_, q| q.back().is_some_and(|t| t.elapsed() < Self::WINDOW));
            if map.len() >= Self::MAX_ENTRIES {
                return Err(60);
            }
        }
        let q = map.entry(ip).or_default();
        Self::prune(q);
        if q.len() >= Self::PER_IP {
            return Err(Self::retry_after(q));
        }
        q.push_back(Instant::now());
        global.push_back(Instant::now());
        Ok(())
    }
}

/// The source address of a request.
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        Ok(PeerIp(peer_ip(parts)))
    }
}

/// The request id, for the audit chain of unauthenticated requests.
#[derive(Debug, Clone)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        Ok(RequestId(request_id(parts)))
    }
}

// ----- views -----

/// A participant of a case.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: String,
    pub case_id: String,
    /// `vendor`, `coordinator`, `reporter` or `other`.
    pub role: String,
    pub name: String,
    /// Whether it has a (sealed) contact.
    pub has_contact: bool,
    /// Only with `?reveal=contact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// `notified`, `seen`, `affected`, `not_affected`, `unknown` or `fixed`.
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Participant> for ParticipantView {
    fn from(p: Participant) -> Self {
        ParticipantView {
            id: p.id,
            case_id: p.case_id,
            role: p.role.as_str().to_owned(),
            name: p.name,
            has_contact: p.has_contact,
            contact: p.contact,
            status: p.status.as_str().to_owned(),
            created_at: micros_to_rfc3339(p.created_at),
            updated_at: micros_to_rfc3339(p.updated_at),
        }
    }
}

/// A case's participants.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantList {
    pub participants: Vec<ParticipantView>,
}

/// A message of a case's thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub case_id: String,
    pub participant_id: Option<String>,
    /// `note` (written by someone) or `system` (a change vigilo recorded).
    pub kind: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
}

impl From<CaseMessage> for MessageView {
    fn from(m: CaseMessage) -> Self {
        MessageView {
            id: m.id,
            case_id: m.case_id,
            participant_id: m.participant_id,
            kind: m.kind.as_str().to_owned(),
            author: m.author,
            body: m.body,
            created_at: micros_to_rfc3339(m.created_at),
        }
    }
}

/// A case's messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<MessageView>,
}

/// An attachment's metadata.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: String,
    pub case_id: String,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        AttachmentView {
            id: a.id,
            case_id: a.case_id,
            name: a.name,
            media_type: a.media_type,
            size: a.size,
            sha256: a.sha256,
            created_at: micros_to_rfc3339(a.created_at),
            created_by: a.created_by,
        }
    }
}

/// A case's attachments (metadata), oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<AttachmentView>,
}

/// The organisation's public intake settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeSettingsView {
    pub enabled: bool,
    /// The intake's name in its URL; null until set.
    pub slug: Option<String>,
    /// Where finders report: `/api/intake/{slug}`.
    pub path: Option<String>,
    pub updated_at: Option<String>,
}

impl From<Option<IntakeSettings>> for IntakeSettingsView {
    fn from(s: Option<IntakeSettings>) -> Self {
        match s {
            None => IntakeSettingsView {
                enabled: false,
                slug: None,
                path: None,
                updated_at: None,
            },
            Some(s) => IntakeSettingsView {
                enabled: s.enabled,
                path: Some(format!("/api/intake/{}", s.slug)),
                slug: Some(s.slug),
                updated_at: Some(micros_to_rfc3339(s.updated_at)),
            },
        }
    }
}

/// A proof-of-work challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeView {
    /// Send it back as `challenge`, with a `nonce` such that
    /// `SHA-256(challenge + ":" + nonce)` starts with `difficulty` zero bits.
    pub challenge: String,
    /// Leading zero bits required.
    pub difficulty: u32,
    /// RFC 3339; the challenge is refused after it, and after its first use.
    pub expires_at: String,
    pub algorithm: String,
}

/// What the intake answers: a tracking id, nothing else.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeReceipt {
    pub tracking_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsQuery {
    /// `contact`: include the participants' sealed contacts (`write` scope;
    /// audited).
    pub reveal: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    /// Only the messages with this participant.
    pub participant_id: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttachQuery {
    /// The file name (`poc.py`).
    pub name: Option<String>,
}

// ----- validation -----

fn checked<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    pointer: &str,
    required: bool,
    check: impl Fn(&str) -> Result<(), String>,
    errors: &mut Errors,
) -> Option<&'a str> {
    let s = string(obj, key, pointer, required, errors)?;
    match check(s) {
        Ok(()) => Some(s),
        Err(m) => {
            errors.push(pointer_push(pointer, key), m);
            None
        }
    }
}

fn max_len(max: usize) -> impl Fn(&str) -> Result<(), String> {
    move |s: &str| {
        if s.len() > max {
            Err(format!("{} bytes, longer than the limit of {max}", s.len()))
        } else {
            Ok(())
        }
    }
}

fn participant_status(s: &str, errors: &mut Errors) -> Option<ParticipantStatus> {
    let status = ParticipantStatus::parse(s);
    if status.is_none() {
        errors.push(
            "/status",
            format!("unknown status {s:?}: expected one of {PARTICIPANT_STATUSES}"),
        );
    }
    status
}

fn read_participant(doc: &Value) -> Result<NewParticipant, Problem> {
    let root = object(doc, "participant")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &PARTICIPANT_MEMBERS, "a participant", &mut errors);
    let role = string(root, "role", "", true, &mut errors).and_then(|r| {
        let role = ParticipantRole::parse(r);
        if role.is_none() {
            errors.push(
                "/role",
                format!("unknown role {r:?}: expected one of {ROLES}"),
            );
        }
        role
    });
    let name = checked(root, "name", "", true, check_participant_name, &mut errors);
    let contact = checked(
        root,
        "contact",
        "",
        false,
        check_participant_contact,
        &mut errors,
    );
    let status = match string(root, "status", "", false, &mut errors) {
        None => Some(ParticipantStatus::Unknown),
        Some(s) => participant_status(s, &mut errors),
    };
    errors.result("participant")?;
    match (role, name, status) {
        (Some(role), Some(name), Some(status)) => Ok(NewParticipant {
            role,
            name: name.trim().to_owned(),
            contact: contact.map(str::to_owned),
            status,
        }),
        _ => Err(Problem::internal_logged(
            "a participant validated incompletely",
        )),
    }
}

fn read_participant_status(doc: &Value) -> Result<ParticipantStatus, Problem> {
    let root = object(doc, "change")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &["status"], "a participant change", &mut errors);
    let status = string(root, "status", "", true, &mut errors)
        .and_then(|s| participant_status(s, &mut errors));
    errors.result("change")?;
    status.ok_or_else(|| Problem::internal_logged("a status change validated without a status"))
}

fn read_message(doc: &Value) -> Result<NewMessage, Problem> {
    let root = object(doc, "message")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &MESSAGE_MEMBERS, "a message", &mut errors);
    let body = checked(root, "body", "", true, check_message, &mut errors);
    let participant = checked(root, "participant_id", "", false, max_len(64), &mut errors);
    errors.result("message")?;
    let body =
        body.ok_or_else(|| Problem::internal_logged("a message validated without a body"))?;
    Ok(NewMessage {
        participant_id: participant.map(str::to_owned),
        body: body.to_owned(),
    })
}

fn read_settings(doc: &Value) -> Result<(bool, String), Problem> {
    let root = object(doc, "intake settings")?;
    let mut errors = Errors::default();
    unknown_members(
        root,
        "",
        &SETTINGS_MEMBERS,
        "the intake settings",
        &mut errors,
    );
    let enabled = match root.get("enabled") {
        Some(Value::Bool(b)) => Some(*b),
        None | Some(Value::Null) => {
            errors.push("/enabled", "required");
            None
        }
        Some(_) => {
            errors.push("/enabled", "must be true or false");
            None
        }
    };
    let slug = checked(root, "slug", "", true, check_slug, &mut errors);
    errors.result("intake settings")?;
    match (enabled, slug) {
        (Some(e), Some(s)) => Ok((e, s.to_owned())),
        _ => Err(Problem::internal_logged(
            "intake settings validated incompletely",
        )),
    }
}

/// An intake report validated whole, with its challenge and nonce.
struct IntakeSubmission {
    report: IntakeReport,
    challenge: String,
    nonce: String,
}

fn read_intake(doc: &Value) -> Result<IntakeSubmission, Problem> {
    let root = object(doc, "report")?;
    let mut errors = Errors::default();
    unknown_members(root, "", &INTAKE_MEMBERS, "a report", &mut errors);
    match root.get("website") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(_) => errors.push("/website", "must be empty"),
    }
    let title = checked(root, "title", "", true, check_title, &mut errors);
    let description = checked(
        root,
        "description",
        "",
        true,
        |s| {
            max_len(INTAKE_MAX_DESCRIPTION)(s)?;
            vigilo_store::cases::check_description(s)?;
            if s.trim().is_empty() {
                return Err("must not be empty".into());
            }
            Ok(())
        },
        &mut errors,
    );
    let technical = checked(
        root,
        "technical_details",
        "",
        false,
        |s| {
            max_len(INTAKE_MAX_TECHNICAL_DETAILS)(s)?;
            check_technical_details(s)
        },
        &mut errors,
    );
    let cvss = checked(
        root,
        "cvss_vector",
        "",
        false,
        check_cvss_vector,
        &mut errors,
    );
    let mut products = Vec::new();
    match root.get("products") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) if list.len() > INTAKE_MAX_PRODUCTS => {
            errors.push(
                "/products",
                format!("more than {INTAKE_MAX_PRODUCTS} products"),
            );
        }
        Some(Value::Array(list)) => {
            for (i, item) in list.iter().enumerate() {
                let pointer = format!("/products/{i}");
                if let Some(p) = read_product(item, &pointer, &mut errors) {
                    let fields = [
                        ("name", Some(&p.name)),
                        ("version", p.version.as_ref()),
                        ("purl", p.purl.as_ref()),
                    ];
                    let mut ok = true;
                    for (member, value) in fields {
                        if let Some(Err(m)) = value.map(|v| max_len(INTAKE_MAX_PRODUCT_FIELD)(v)) {
                            errors.push(pointer_push(&pointer, member), m);
                            ok = false;
                        }
                    }
                    if ok {
                        products.push(p);
                    }
                }
            }
        }
        Some(_) => errors.push("/products", "must be an array of products"),
    }
    let reporter = read_reporter(root, &mut errors);
    let challenge = checked(
        root,
        "challenge",
        "",
        true,
        max_len(INTAKE_MAX_CHALLENGE),
        &mut errors,
    );
    let nonce = checked(
        root,
        "nonce",
        "",
        true,
        |s| {
            if s.is_empty()
                || s.len() > INTAKE_MAX_NONCE
                || !s.bytes().all(|b| b.is_ascii_graphic())
            {
                Err(format!(
                    "must be 1-{INTAKE_MAX_NONCE} printable ASCII characters"
                ))
            } else {
                Ok(())
            }
        },
        &mut errors,
    );
    errors.result("report")?;
    match (title, description, challenge, nonce) {
        (Some(title), Some(description), Some(challenge), Some(nonce)) => Ok(IntakeSubmission {
            report: IntakeReport {
                title: title.trim().to_owned(),
                description: description.to_owned(),
                products,
                cvss_vector: cvss.map(str::to_owned),
                technical_details: technical.map(str::to_owned),
                reporter,
            },
            challenge: challenge.to_owned(),
            nonce: nonce.to_owned(),
        }),
        _ => Err(Problem::internal_logged("a report validated incompletely")),
    }
}

/// Member `reporter`: `{"name"?, "email"?, "pgp_key"?}` (absent, null or
/// empty: an anonymous report).
fn read_reporter(root: &Map<String, Value>, errors: &mut Errors) -> Option<ReporterContact> {
    let item = root.get("reporter").filter(|v| !v.is_null())?;
    let Some(obj) = item.as_object() else {
        errors.push(
            "/reporter",
            "must be an object with name, email and pgp_key",
        );
        return None;
    };
    let before = errors.total();
    unknown_members(obj, "/reporter", &REPORTER_MEMBERS, "a reporter", errors);
    let nonempty = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| t.to_owned())
    };
    let name = checked(
        obj,
        "name",
        "/reporter",
        false,
        max_len(MAX_REPORTER_NAME),
        errors,
    )
    .and_then(nonempty);
    let email = checked(
        obj,
        "email",
        "/reporter",
        false,
        max_len(MAX_REPORTER_EMAIL),
        errors,
    )
    .and_then(nonempty);
    let pgp_key = checked(
        obj,
        "pgp_key",
        "/reporter",
        false,
        max_len(INTAKE_MAX_PGP_KEY),
        errors,
    )
    .and_then(nonempty);
    if errors.total() != before {
        return None;
    }
    let contact = ReporterContact {
        name,
        email,
        pgp_key,
    };
    if contact == ReporterContact::default() {
        return None;
    }
    match check_reporter_contact(&contact) {
        Ok(()) => Some(contact),
        Err((member, m)) => {
            errors.push(pointer_push("/reporter", member), m);
            None
        }
    }
}

/// The attachment body, read up to [`MAX_ATTACHMENT`] bytes: beyond, a 413
/// naming the limit (nothing is read further, nothing stored).
async fn read_attachment_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Problem> {
    let too_large = || {
        Problem::payload_too_large(format!(
            "the attachment exceeds the limit of {MAX_ATTACHMENT} bytes (10 MiB); nothing was stored"
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_ATTACHMENT as u64) {
        return Err(too_large());
    }
    let mut body = body;
    let mut out = Vec::with_capacity(
        declared
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            .min(MAX_ATTACHMENT),
    );
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|_| Problem::bad_request("failed to read the request body"))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > MAX_ATTACHMENT {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn media_type(headers: &HeaderMap) -> Result<String, Problem> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Ok(DEFAULT_MEDIA_TYPE.to_owned());
    };
    let text = v.to_str().map_err(|_| {
        Problem::unprocessable("the Content-Type is not ASCII")
            .with_error("/media_type", "not a media type")
    })?;
    check_media_type(text.trim()).map_err(|m| {
        Problem::unprocessable(format!("Content-Type: {m}")).with_error("/media_type", m)
    })?;
    Ok(text.trim().to_owned())
}

/// A file name safe for `Content-Disposition` (ASCII, no quotes).
fn disposition_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        "attachment".into()
    } else {
        safe
    }
}

// ----- handlers: participants -----

/// Adds a participant to a case: `{"role": "vendor", "name": "Acme PSIRT",
/// "contact": "psirt@acme.example", "status": "notified"}`. The contact is
/// sealed; the status defaults to `unknown`.
#[utoipa::path(post, path = "/api/cases/{id}/participants", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"role\": \"vendor\", \"name\": \"Acme PSIRT\", \"contact\": \"psirt@acme.example\", \"status\": \"notified\"}`: role vendor, coordinator, reporter or other; status (default unknown) notified, seen, affected, not_affected, unknown or fixed; contact optional, sealed"),
    responses((status = 201, body = ParticipantView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody),
        (status = 415, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn add_participant(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let new = read_participant(&doc)?;
    let p = state
        .store
        .add_participant(&auth.actor, &auth.principal.org_id, &id, &new)
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(ParticipantView::from(p))).into_response())
}

/// A case's participants in the order they were added; their sealed
/// contacts only with `?reveal=contact` (`write` scope; audited).
#[utoipa::path(get, path = "/api/cases/{id}/participants", tag = "cases",
    params(("id" = String, Path, description = "case id"), ParticipantsQuery),
    responses((status = 200, body = ParticipantList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn list_participants(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<ParticipantsQuery>,
) -> Result<ApiJson<ParticipantList>, Problem> {
    auth.require(Scope::Read)?;
    let reveal = match q.reveal.as_deref().filter(|r| !r.is_empty()) {
        None => false,
        Some("contact") => {
            auth.require(Scope::Write)?;
            true
        }
        Some(other) => {
            let m = format!("unknown field {other:?}: only contact is sealed");
            return Err(Problem::bad_request(format!("reveal: {m}")).with_error("/reveal", m));
        }
    };
    let list = state
        .store
        .list_participants(&auth.actor, &auth.principal.org_id, &id, reveal)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(ParticipantList {
        participants: list.into_iter().map(ParticipantView::from).collect(),
    }))
}

/// Changes a participant's status (`{"status": "seen"}`); the change is
/// appended to the case's thread as a `system` message and audited.
#[utoipa::path(patch, path = "/api/cases/{id}/participants/{pid}", tag = "cases",
    params(("id" = String, Path, description = "case id"),
        ("pid" = String, Path, description = "participant id")),
    request_body(content = Object, description = "`{\"status\": \"seen\"}`: notified, seen, affected, not_affected, unknown or fixed"),
    responses((status = 200, body = ParticipantView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn update_participant(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, pid)): Path<(String, String)>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<ApiJson<ParticipantView>, Problem> {
    auth.require(Scope::Write)?;
    let status = read_participant_status(&doc)?;
    let p = state
        .store
        .update_participant_status(&auth.actor, &auth.principal.org_id, &id, &pid, status)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(ParticipantView::from(p)))
}

// ----- handlers: messages -----

/// Appends a message to a case's thread: `{"body": "…", "participant_id":
/// "…"}` (the participant, of the same case, optional). Append-only.
#[utoipa::path(post, path = "/api/cases/{id}/messages", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    request_body(content = Object, description = "`{\"body\": \"Vendor confirmed receipt.\", \"participant_id\": \"…\"}`"),
    responses((status = 201, body = MessageView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn add_message(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let new = read_message(&doc)?;
    let m = state
        .store
        .add_message(&auth.actor, &auth.principal.org_id, &id, &new)
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(MessageView::from(m))).into_response())
}

/// A case's messages, oldest first; `?participant_id=` only those with one
/// participant.
#[utoipa::path(get, path = "/api/cases/{id}/messages", tag = "cases",
    params(("id" = String, Path, description = "case id"), MessagesQuery),
    responses((status = 200, body = MessageList), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn list_messages(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> Result<ApiJson<MessageList>, Problem> {
    auth.require(Scope::Read)?;
    let list = state
        .store
        .list_messages(
            &auth.principal.org_id,
            &id,
            q.participant_id.as_deref().filter(|p| !p.is_empty()),
        )
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(MessageList {
        messages: list.into_iter().map(MessageView::from).collect(),
    }))
}

// ----- handlers: attachments -----

/// Attaches a file to a case: the raw request body, any media type (from
/// `Content-Type`, default `application/octet-stream`), named by `?name=`.
/// At most 10 MiB: a larger body is a 413 naming the limit, and nothing is
/// stored. The content is sealed at rest; its SHA-256 is computed.
#[utoipa::path(post, path = "/api/cases/{id}/attachments", tag = "cases",
    params(("id" = String, Path, description = "case id"), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file, at most 10 MiB"),
    responses((status = 201, body = AttachmentView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn add_attachment(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<AttachQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let name = q.name.unwrap_or_default();
    if let Err(m) = check_attachment_name(&name) {
        return Err(
            Problem::unprocessable(format!("name: {m}; nothing was stored")).with_error("/name", m),
        );
    }
    let media_type = media_type(&headers)?;
    let content = read_attachment_body(&headers, body).await?;
    let att = state
        .store
        .add_attachment(
            &auth.actor,
            &auth.principal.org_id,
            &id,
            NewAttachment {
                name: &name,
                media_type: &media_type,
                content: &content,
            },
        )
        .await
        .map_err(store_problem)?;
    Ok((StatusCode::CREATED, ApiJson(AttachmentView::from(att))).into_response())
}

/// The metadata of a case's attachments, oldest first.
#[utoipa::path(get, path = "/api/cases/{id}/attachments", tag = "cases",
    params(("id" = String, Path, description = "case id")),
    responses((status = 200, body = AttachmentList), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn list_attachments(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> Result<ApiJson<AttachmentList>, Problem> {
    auth.require(Scope::Read)?;
    let list = state
        .store
        .list_attachments(&auth.principal.org_id, &id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(AttachmentList {
        attachments: list.into_iter().map(AttachmentView::from).collect(),
    }))
}

/// An attachment's content, as `application/octet-stream` with
/// `Content-Disposition: attachment` (its media type in
/// `X-Vigilo-Media-Type`, its SHA-256 in `X-Vigilo-Sha256`). Opening it is
/// a reveal: `write` scope, audited.
#[utoipa::path(get, path = "/api/cases/{id}/attachments/{aid}", tag = "cases",
    params(("id" = String, Path, description = "case id"),
        ("aid" = String, Path, description = "attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 404, body = ProblemBody)),
    security(("token" = [])))]
async fn read_attachment(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let (att, content) = state
        .store
        .read_attachment(&auth.actor, &auth.principal.org_id, &id, &aid)
        .await
        .map_err(store_problem)?
        .ok_or_else(|| Problem::not_found(format!("no attachment {aid} on case {id}")))?;
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        disposition_name(&att.name)
    ))
    .map_err(Problem::internal_logged)?;
    let media = HeaderValue::from_str(&att.media_type).map_err(Problem::internal_logged)?;
    let sha = HeaderValue::from_str(&att.sha256).map_err(Problem::internal_logged)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(DEFAULT_MEDIA_TYPE),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        [("x-vigilo-media-type", media), ("x-vigilo-sha256", sha)],
        content,
    )
        .into_response())
}

// ----- handlers: the intake -----

/// The organisation's public intake settings (`admin` scope).
#[utoipa::path(get, path = "/api/intake/settings", tag = "intake",
    responses((status = 200, body = IntakeSettingsView), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn get_intake_settings(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<IntakeSettingsView>, Problem> {
    auth.require(Scope::Admin)?;
    let s = state
        .store
        .intake_settings(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(IntakeSettingsView::from(s)))
}

/// Enables or disables the organisation's public intake and names it:
/// `{"enabled": true, "slug": "acme-psirt"}` (`admin` scope; audited). Finders
/// then report at `/api/intake/acme-psirt`. A slug another organisation uses
/// is a 409.
#[utoipa::path(put, path = "/api/intake/settings", tag = "intake",
    request_body(content = Object, description = "`{\"enabled\": true, \"slug\": \"acme-psirt\"}`: slug 3-64 lower-case letters, digits and '-'"),
    responses((status = 200, body = IntakeSettingsView), (status = 400, body = ProblemBody),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn put_intake_settings(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<ApiJson<IntakeSettingsView>, Problem> {
    auth.require(Scope::Admin)?;
    let (enabled, slug) = read_settings(&doc)?;
    let s = state
        .store
        .put_intake_settings(&auth.actor, &auth.principal.org_id, enabled, &slug)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(IntakeSettingsView::from(Some(s))))
}

/// The enabled intake under `slug`, or a 404.
async fn enabled_intake(state: &AppState, slug: &str) -> Result<IntakeSettings, Problem> {
    let none = || Problem::not_found("no public intake under this name");
    if check_slug(slug).is_err() {
        return Err(none());
    }
    state
        .store
        .intake_by_slug(slug)
        .await
        .map_err(store_problem)?
        .filter(|s| s.enabled)
        .ok_or_else(none)
}

/// A proof-of-work challenge for reporting to the intake `slug` (no
/// authentication). Find a `nonce` such that `SHA-256(challenge + ":" +
/// nonce)` starts with `difficulty` zero bits, then send both with the
/// report within ten minutes; each challenge is accepted once.
#[utoipa::path(get, path = "/api/intake/{slug}/challenge", tag = "intake",
    params(("slug" = String, Path, description = "the intake's name")),
    responses((status = 200, body = ChallengeView), (status = 404, body = ProblemBody)))]
async fn intake_challenge(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Problem> {
    enabled_intake(&state, &slug).await?;
    let (challenge, difficulty, expires) = state.intake.issue(&slug);
    let expires_at = jiff::Timestamp::from_millisecond(i64::try_from(expires).unwrap_or(i64::MAX))
        .map(|t| t.to_string())
        .unwrap_or_default();
    let view = ChallengeView {
        challenge,
        difficulty,
        expires_at,
        algorithm: format!("sha256(challenge + \":\" + nonce) with {difficulty} leading zero bits"),
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        ApiJson(view),
    )
        .into_response())
}

/// Reports a vulnerability to the organisation behind `slug`, without an
/// account: `{"title", "description", "products"?, "cvss_vector"?,
/// "technical_details"?, "reporter": {"name"?, "email"?, "pgp_key"?},
/// "challenge", "nonce", "website": ""}`. Needs a solved challenge (`GET
/// /api/intake/{slug}/challenge`), an empty honeypot `website`, and at most
/// 5 reports per address per hour (429 with `Retry-After` beyond). Answers
/// 202 with a tracking id only.
#[utoipa::path(post, path = "/api/intake/{slug}", tag = "intake",
    params(("slug" = String, Path, description = "the intake's name")),
    request_body(content = Object, description = "`{\"title\": \"XSS in the login form\", \"description\": \"…\", \"products\": [{\"name\": \"portal\", \"version\": \"4.2\"}], \"cvss_vector\": \"CVSS:3.1/…\", \"technical_details\": \"…\", \"reporter\": {\"name\": \"…\", \"email\": \"…\", \"pgp_key\": \"…\"}, \"challenge\": \"…\", \"nonce\": \"…\", \"website\": \"\"}`: title (300 bytes) and description (16 KiB) required; technical details 64 KiB; at most 20 products of 200-byte fields; the body at most 128 KiB"),
    responses((status = 202, body = IntakeReceipt), (status = 400, body = ProblemBody),
        (status = 404, body = ProblemBody), (status = 409, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 415, body = ProblemBody),
        (status = 422, body = ProblemBody), (status = 429, body = ProblemBody)))]
async fn submit_intake(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PeerIp(ip): PeerIp,
    RequestId(request_id): RequestId,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    let settings = enabled_intake(&state, &slug).await?;
    let guard = &state.intake;
    if let Some(wait) = guard.over_limit(ip) {
        return Err(Problem::too_many_requests(Some(wait)));
    }
    let sub = read_intake(&doc)?;
    let expires = match guard.verify(&slug, &sub.challenge, &sub.nonce) {
        Ok(e) => e,
        Err(ChallengeError::Malformed) => {
            let m = "not a challenge issued by GET /api/intake/{slug}/challenge for this intake";
            return Err(
                Problem::unprocessable(format!("challenge: {m}")).with_error("/challenge", m)
            );
        }
        Err(ChallengeError::Expired) => {
            let m = "the challenge has expired: fetch a new one";
            return Err(
                Problem::unprocessable(format!("challenge: {m}")).with_error("/challenge", m)
            );
        }
        Err(ChallengeError::WrongWork) => {
            let m = "sha256(challenge + \":\" + nonce) does not start with the required zero bits";
            return Err(Problem::unprocessable(format!("nonce: {m}")).with_error("/nonce", m));
        }
    };
    if let Err(wait) = guard.acquire(ip) {
        return Err(Problem::too_many_requests(Some(wait)));
    }
    if !guard.consume(&sub.challenge, expires) {
        return Err(Problem::conflict(
            "this challenge was already used: fetch a new one",
        ));
    }
    let actor = Actor {
        actor: "anonymous".into(),
        org_id: Some(settings.org_id.clone()),
        request_id,
        source: Some(ip.to_string()),
    };
    let case = state
        .store
        .receive_intake_as(&actor, &settings.org_id, &sub.report)
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(IntakeReceipt {
            tracking_id: case.id,
        }),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leading_zero_bits_are_counted() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x80]), 16);
        assert_eq!(leading_zero_bits(&[0, 0x0f]), 12);
        assert_eq!(leading_zero_bits(&[0xff]), 0);
    }

    #[test]
    fn challenges_verify_once_and_only_for_their_slug() {
        let g = IntakeGuard::new();
        g.set_difficulty(6);
        let (c, d, exp) = g.issue("acme");
        assert_eq!(d, 6);
        let nonce = solve_proof_of_work(&c, d);
        assert_eq!(g.verify("acme", &c, &nonce), Ok(exp));
        assert_eq!(
            g.verify("other", &c, &nonce),
            Err(ChallengeError::Malformed)
        );
        let tampered = c.replacen(".6.", ".0.", 1);
        assert_eq!(
            g.verify("acme", &tampered, "x"),
            Err(ChallengeError::Malformed)
        );
        let bad = (0..)
            .map(|i: u32| i.to_string())
            .find(|n| !proof_of_work_holds(&c, n, d))
            .unwrap();
        assert_eq!(g.verify("acme", &c, &bad), Err(ChallengeError::WrongWork));
        assert!(g.consume(&c, exp));
        assert!(!g.consume(&c, exp));
        g.set_challenge_ttl(Duration::ZERO);
        let (c, d, _) = g.issue("acme");
        let nonce = solve_proof_of_work(&c, d);
        assert_eq!(g.verify("acme", &c, &nonce), Err(ChallengeError::Expired));
        let other = IntakeGuard::new();
        assert_eq!(
            other.verify("acme", &c, &nonce),
            Err(ChallengeError::Malformed)
        );
    }

    #[test]
    fn the_rate_limit_counts_per_address_and_in_all() {
        let g = IntakeGuard::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..IntakeGuard::PER_IP {
            assert!(g.over_limit(a).is_none());
            g.acquire(a).unwrap();
        }
        let wait = g.acquire(a).unwrap_err();
        assert!(wait > 0 && wait <= 3600);
        assert!(g.over_limit(a).is_some());
        assert!(g.acquire(b).is_ok(), "addresses are counted apart");
    }

    #[test]
    fn intake_reports_are_checked_whole() {
        let pointers = |doc: Value| -> Vec<String> {
            match read_intake(&doc) {
                Ok(_) => panic!("accepted: {doc}"),
                Err(p) => p.errors().iter().map(|e| e.pointer.clone()).collect(),
            }
        };
        assert_eq!(
            pointers(json!({
                "title": "", "description": "x".repeat(INTAKE_MAX_DESCRIPTION + 1),
                "products": [{"name": "p".repeat(201)}], "cvss_vector": "CVSS:2/AV:N",
                "reporter": {"email": "nope", "phone": "1"}, "website": "http://spam",
                "nonce": "", "extra": 1
            })),
            [
                "/extra",
                "/website",
                "/title",
                "/description",
                "/cvss_vector",
                "/products/0/name",
                "/reporter/phone",
                "/challenge",
                "/nonce",
            ]
        );
        let ok = read_intake(&json!({
            "title": "XSS", "description": "d", "reporter": {"name": " ", "email": ""},
            "challenge": "c", "nonce": "1", "website": ""
        }))
        .unwrap();
        assert_eq!(ok.report.reporter, None);
    }
}
