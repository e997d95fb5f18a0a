//! Report submission with signed receipts, on a hub acting as a
//! coordinator: `/api/reports` and `/api/hub/key`.
//!
//! ```text
//! POST /api/reports                       (scope write)
//! { "report": { … },                      // a JSON object, at most 1 MiB canonical
//!   "rule": "eu.cra.art14.aev",           // the rule it is made under
//!   "stage": "early_warning" }            // optional
//! → 201 {"receipt": {"version": "vigilo-receipt/1", "issuer": "vigilo-hub",
//!        "issuer_key": "ed25519:…", "submitter_org": "<org id>",
//!        "report_id": "…", "digest": "sha256:…", "received_at": "…Z"},
//!        "signature": "<hex>"}
//!
//! GET /api/reports                        (scope read)
//! → 200 {"reports": [{"id", "rule", "stage", "digest", "received_at",
//!        "submitted_by", "report", "receipt"}]}
//!
//! GET /api/hub/key                        (no authentication)
//! → 200 {"key": "ed25519:…"}
//! ```
//!
//! The receipt is the hub's ed25519 signature over the report's canonical
//! digest, the submitting organisation and the instant of receipt; it
//! verifies offline (`vigilo_formats::receipt::verify`) against the key
//! `GET /api/hub/key` publishes. Bodies are validated whole: every problem
//! is a 422 naming its field's JSON pointer, and nothing is stored. An
//! organisation lists only the reports it submitted.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vigilo_core::Scope;
use vigilo_store::cases::check_name;
use vigilo_store::reports::check_report;
use vigilo_store::{ReceivedReport, micros_to_rfc3339};

use crate::AppState;
use crate::api::store_problem;
use crate::auth::Auth;
use crate::fields::{FieldErrors, object, string, unknown_members};
use crate::json::ApiJson;
use crate::problem::{Problem, ProblemBody, pointer_push};

/// The name receipts carry as their issuer. The hub's configuration has no
/// public base URL, so the issuer is this fixed name; the key in the receipt
/// (`issuer_key`) is what identifies the hub cryptographically.
pub const ISSUER: &str = "vigilo-hub";

const SUBMISSION_MEMBERS: [&str; 3] = ["report", "rule", "stage"];

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reports, submit_report))
        .routes(routes!(hub_key))
}

/// A signed receipt: `{"receipt": BODY, "signature": HEX}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// `version`, `issuer`, `issuer_key` (`ed25519:HEX`), `submitter_org`,
    /// `report_id`, `digest` (`sha256:HEX` of the report's canonical JSON),
    /// `received_at` (RFC 3339, UTC).
    #[schema(value_type = Object)]
    pub receipt: Value,
    /// Hex of the ed25519 signature over the body's canonical JSON (RFC 8785).
    pub signature: String,
}

/// A report received from the caller's organisation, with its receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedReportView {
    pub id: String,
    pub rule: String,
    pub stage: Option<String>,
    pub digest: String,
    pub received_at: String,
    pub submitted_by: String,
    #[schema(value_type = Object)]
    pub report: Value,
    pub receipt: ReceiptView,
}

/// The reports the caller's organisation submitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedReportList {
    pub reports: Vec<ReceivedReportView>,
}

/// The hub's published receipt-signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct HubKey {
    /// `ed25519:` and the public key in hex.
    pub key: String,
}

fn receipt_view(r: &vigilo_formats::receipt::Receipt) -> Result<ReceiptView, Problem> {
    Ok(ReceiptView {
        receipt: serde_json::to_value(&r.receipt).map_err(Problem::internal_logged)?,
        signature: r.signature.clone(),
    })
}

fn report_view(r: ReceivedReport) -> Result<ReceivedReportView, Problem> {
    Ok(ReceivedReportView {
        receipt: receipt_view(&r.receipt)?,
        id: r.id,
        rule: r.rule,
        stage: r.stage,
        digest: r.digest,
        received_at: micros_to_rfc3339(r.received_at),
        submitted_by: r.submitted_by,
        report: r.report,
    })
}

/// A submission, validated.
struct Submission<'a> {
    report: &'a Value,
    rule: &'a str,
    stage: Option<&'a str>,
}

/// Validates a submission whole: a 422 naming every bad field's pointer.
fn read_submission(doc: &Value) -> Result<Submission<'_>, Problem> {
    let root = object(doc, "submission")?;
    let mut errors = FieldErrors::default();
    unknown_members(root, "", &SUBMISSION_MEMBERS, "a submission", &mut errors);
    let report = match root.get("report") {
        None | Some(Value::Null) => {
            errors.push("/report", "required");
            None
        }
        Some(r) => match check_report(r) {
            Ok(_) => Some(r),
            Err(m) => {
                errors.push("/report", m);
                None
            }
        },
    };
    let mut name = |key: &str, required: bool| -> Option<&str> {
        let s = string(root, key, "", required, &mut errors)?;
        match check_name(s) {
            Ok(()) => Some(s),
            Err(m) => {
                errors.push(pointer_push("", key), m);
                None
            }
        }
    };
    let rule = name("rule", true);
    let stage = name("stage", false);
    errors.result("submission")?;
    match (report, rule) {
        (Some(report), Some(rule)) => Ok(Submission {
            report,
            rule,
            stage,
        }),
        _ => Err(Problem::internal_logged(
            "a submission validated incompletely",
        )),
    }
}

/// Submits a report to this hub. Answers 201 with the hub's signed receipt,
/// which verifies against the key `GET /api/hub/key` publishes; keep it as
/// proof of what was submitted and when. Audited (`report.received`).
#[utoipa::path(post, path = "/api/reports", tag = "reports",
    request_body(content = Object, description = "`{\"report\": {…}, \"rule\": \"eu.cra.art14.aev\", \"stage\": \"early_warning\"}`: the report is a JSON object of at most 1 MiB canonical JSON; rule and stage (optional) are lower-case names (letters, digits, `.`, `_`, `-`)"),
    responses((status = 201, body = ReceiptView),
        (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 403, body = ProblemBody), (status = 413, body = ProblemBody),
        (status = 415, body = ProblemBody), (status = 422, body = ProblemBody)),
    security(("token" = [])))]
async fn submit_report(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(doc): ApiJson<Value>,
) -> Result<Response, Problem> {
    auth.require(Scope::Write)?;
    let sub = read_submission(&doc)?;
    let received = state
        .store
        .receive_report(
            &auth.actor,
            &auth.principal.org_id,
            sub.report,
            sub.rule,
            sub.stage,
            &state.issuer,
        )
        .await
        .map_err(store_problem)?;
    Ok((
        StatusCode::CREATED,
        ApiJson(receipt_view(&received.receipt)?),
    )
        .into_response())
}

/// The reports the caller's organisation submitted, in the order they were
/// received, each with its receipt.
#[utoipa::path(get, path = "/api/reports", tag = "reports",
    responses((status = 200, body = ReceivedReportList),
        (status = 401, body = ProblemBody), (status = 403, body = ProblemBody)),
    security(("token" = [])))]
async fn list_reports(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<ApiJson<ReceivedReportList>, Problem> {
    auth.require(Scope::Read)?;
    let reports = state
        .store
        .list_received_reports(&auth.principal.org_id)
        .await
        .map_err(store_problem)?;
    Ok(ApiJson(ReceivedReportList {
        reports: reports
            .into_iter()
            .map(report_view)
            .collect::<Result<_, _>>()?,
    }))
}

/// The hub's published key: receipts verify against it. No authentication.
#[utoipa::path(get, path = "/api/hub/key", tag = "reports",
    responses((status = 200, body = HubKey)))]
async fn hub_key(State(state): State<AppState>) -> ApiJson<HubKey> {
    ApiJson(HubKey {
        key: state.store.hub_public_key(),
    })
}
