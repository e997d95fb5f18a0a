//! `vigilo case`: cases on a hub, from the command line (a client of
//! `/api/cases` and `/api/duties`): open cases, record facts, submissions,
//! participants and their status, messages and attachments.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::scan_cmd::client;

#[derive(Debug, clap::Args)]
pub struct HubArgs {
    /// The hub's base URL.
    #[arg(long, env = "VIGILO_HUB")]
    pub hub: String,
    #[arg(long, env = "VIGILO_TOKEN", hide_env_values = true)]
    pub token: String,
}

#[derive(Debug, clap::Subcommand)]
pub enum CaseCmd {
    /// Open a case; prints its id.
    Create {
        #[command(flatten)]
        hub: HubArgs,
        #[arg(long)]
        title: String,
        /// vulnerability or incident.
        #[arg(long, default_value = "vulnerability")]
        kind: String,
        #[arg(long)]
        description: Option<String>,
        /// A CVE id (repeatable).
        #[arg(long = "cve")]
        cves: Vec<String>,
        /// A case flag for the duty engine: `name` (true), `name=false`, or
        /// `name=A,B` (a list). Repeatable.
        #[arg(long = "flag")]
        flags: Vec<String>,
        /// Technical details, sealed at rest.
        #[arg(long)]
        technical_details: Option<String>,
        /// The impact, in words.
        #[arg(long)]
        impact: Option<String>,
        /// The vulnerability is exploited (needs --exploited-evidence).
        #[arg(long)]
        exploited: bool,
        /// What shows it is exploited.
        #[arg(long, requires = "exploited")]
        exploited_evidence: Option<String>,
        /// The embargo (publication date): RFC 3339, or a local date-time
        /// (2026-12-01T09:00:00) or date in --embargo-tz.
        #[arg(long, requires = "embargo_tz")]
        embargo: Option<String>,
        /// The IANA time zone of the embargo (Europe/Berlin).
        #[arg(long, requires = "embargo")]
        embargo_tz: Option<String>,
        /// A linked advisory id or alias (repeatable).
        #[arg(long = "advisory")]
        advisories: Vec<String>,
    },
    /// A case's participants: add one, or change its status.
    #[command(subcommand)]
    Participant(ParticipantCmd),
    /// Append a message to a case's thread.
    Message {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        /// The message.
        #[arg(long)]
        body: String,
        /// The participant the message is with.
        #[arg(long)]
        participant: Option<String>,
    },
    /// Attach a file (a proof of concept, a log) to a case; sealed at rest,
    /// at most 10 MiB. Prints the attachment's id and SHA-256.
    Attach {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        file: std::path::PathBuf,
        /// The name to store it under (default: the file's name).
        #[arg(long)]
        name: Option<String>,
        /// Its media type.
        #[arg(long, default_value = "application/octet-stream")]
        media_type: String,
    },
    /// List the organisation's cases.
    List {
        #[command(flatten)]
        hub: HubArgs,
        #[arg(long)]
        status: Option<String>,
    },
    /// Record a fact: a timestamped event with its provenance.
    Event {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        /// The event (see rules/EVENTS.md), e.g. vuln.exploitation_aware.
        #[arg(long)]
        event: String,
        /// When it happened (RFC 3339 with an offset).
        #[arg(long)]
        at: String,
        /// Where the fact comes from.
        #[arg(long)]
        source: String,
    },
    /// Record a submission of a duty's stage.
    Submitted {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        #[arg(long)]
        rule: String,
        #[arg(long)]
        stage: String,
        #[arg(long)]
        at: String,
        /// What proves it (a receipt id, a message id, a portal reference).
        #[arg(long)]
        evidence: String,
        /// Other stages the same submission provided (repeatable).
        #[arg(long = "covers")]
        covers: Vec<String>,
    },
    /// The case's duties: due, time left, status.
    Duties {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ParticipantCmd {
    /// Add a participant to a case; prints its id.
    Add {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        /// vendor, coordinator, reporter or other.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// How to reach it (sealed at rest).
        #[arg(long)]
        contact: Option<String>,
        /// notified, seen, affected, not_affected, unknown (default) or fixed.
        #[arg(long)]
        status: Option<String>,
    },
    /// Change a participant's status (recorded in the case's thread).
    Status {
        #[command(flatten)]
        hub: HubArgs,
        id: String,
        participant: String,
        /// notified, seen, affected, not_affected, unknown or fixed.
        status: String,
    },
}

fn flag_value(text: &str) -> (String, Value) {
    match text.split_once('=') {
        None => (text.to_owned(), Value::Bool(true)),
        Some((k, "true")) => (k.to_owned(), Value::Bool(true)),
        Some((k, "false")) => (k.to_owned(), Value::Bool(false)),
        Some((k, v)) => (
            k.to_owned(),
            Value::Array(
                v.split(',')
                    .map(|s| Value::String(s.trim().to_owned()))
                    .collect(),
            ),
        ),
    }
}

pub(crate) async fn call(
    hub: &HubArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    let url = format!("{}{path}", hub.hub.trim_end_matches('/'));
    let mut req = client(Some(&hub.token))?.request(method.clone(), &url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .with_context(|| format!("{method} {url}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{method} {url}: {status}: {text}");
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{method} {url}: the answer is not JSON"))
}

/// Sends a file as the raw body of a POST.
async fn upload(hub: &HubArgs, path: &str, media_type: &str, content: Vec<u8>) -> Result<Value> {
    let url = format!("{}{path}", hub.hub.trim_end_matches('/'));
    let resp = client(Some(&hub.token))?
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, media_type)
        .body(content)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("POST {url}: {status}: {text}");
    }
    serde_json::from_str(&text).with_context(|| format!("POST {url}: the answer is not JSON"))
}

/// Percent-encodes a query value.
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn run(cmd: CaseCmd) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match cmd {
        CaseCmd::Create {
            hub,
            title,
            kind,
            description,
            cves,
            flags,
            technical_details,
            impact,
            exploited,
            exploited_evidence,
            embargo,
            embargo_tz,
            advisories,
        } => {
            let flags: serde_json::Map<String, Value> =
                flags.iter().map(|f| flag_value(f)).collect();
            let mut body = json!({"title": title, "kind": kind, "cve_ids": cves, "flags": flags});
            if let Some(d) = description {
                body["description"] = Value::String(d);
            }
            if let Some(t) = technical_details {
                body["technical_details"] = Value::String(t);
            }
            if let Some(i) = impact {
                body["impact"] = Value::String(i);
            }
            if exploited {
                body["exploited"] = Value::Bool(true);
            }
            if let Some(e) = exploited_evidence {
                body["exploited_evidence"] = Value::String(e);
            }
            if let (Some(until), Some(tz)) = (embargo, embargo_tz) {
                body["embargo_until"] = Value::String(until);
                body["embargo_tz"] = Value::String(tz);
            }
            if !advisories.is_empty() {
                body["linked_advisories"] = json!(advisories);
            }
            let v = call(&hub, reqwest::Method::POST, "/api/cases", Some(body)).await?;
            writeln!(out, "{}", v["id"].as_str().unwrap_or_default())?;
        }
        CaseCmd::Participant(ParticipantCmd::Add {
            hub,
            id,
            role,
            name,
            contact,
            status,
        }) => {
            let mut body = json!({"role": role, "name": name});
            if let Some(c) = contact {
                body["contact"] = Value::String(c);
            }
            if let Some(s) = status {
                body["status"] = Value::String(s);
            }
            let v = call(
                &hub,
                reqwest::Method::POST,
                &format!("/api/cases/{id}/participants"),
                Some(body),
            )
            .await?;
            writeln!(out, "{}", v["id"].as_str().unwrap_or_default())?;
        }
        CaseCmd::Participant(ParticipantCmd::Status {
            hub,
            id,
            participant,
            status,
        }) => {
            call(
                &hub,
                reqwest::Method::PATCH,
                &format!("/api/cases/{id}/participants/{participant}"),
                Some(json!({"status": status})),
            )
            .await?;
        }
        CaseCmd::Message {
            hub,
            id,
            body,
            participant,
        } => {
            let mut msg = json!({"body": body});
            if let Some(p) = participant {
                msg["participant_id"] = Value::String(p);
            }
            let v = call(
                &hub,
                reqwest::Method::POST,
                &format!("/api/cases/{id}/messages"),
                Some(msg),
            )
            .await?;
            writeln!(out, "{}", v["id"].as_str().unwrap_or_default())?;
        }
        CaseCmd::Attach {
            hub,
            id,
            file,
            name,
            media_type,
        } => {
            let name = match name {
                Some(n) => n,
                None => file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_owned)
                    .with_context(|| format!("{}: give --name", file.display()))?,
            };
            let content = fs_err::read(&file)?;
            let v = upload(
                &hub,
                &format!("/api/cases/{id}/attachments?name={}", query_value(&name)),
                &media_type,
                content,
            )
            .await?;
            writeln!(
                out,
                "{}  {}",
                v["id"].as_str().unwrap_or_default(),
                v["sha256"].as_str().unwrap_or_default()
            )?;
        }
        CaseCmd::List { hub, status } => {
            let path = match status {
                Some(s) => format!("/api/cases?status={s}"),
                None => "/api/cases".into(),
            };
            let v = call(&hub, reqwest::Method::GET, &path, None).await?;
            for c in v["cases"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "{}  {:<12} {:<13} {}",
                    c["id"].as_str().unwrap_or_default(),
                    c["status"].as_str().unwrap_or_default(),
                    c["kind"].as_str().unwrap_or_default(),
                    c["title"].as_str().unwrap_or_default()
                )?;
            }
        }
        CaseCmd::Event {
            hub,
            id,
            event,
            at,
            source,
        } => {
            let body = json!({"event": event, "at": at, "source": source});
            call(
                &hub,
                reqwest::Method::POST,
                &format!("/api/cases/{id}/events"),
                Some(body),
            )
            .await?;
        }
        CaseCmd::Submitted {
            hub,
            id,
            rule,
            stage,
            at,
            evidence,
            covers,
        } => {
            let body = json!({"rule": rule, "stage": stage, "at": at, "evidence": evidence, "covers": covers});
            call(
                &hub,
                reqwest::Method::POST,
                &format!("/api/cases/{id}/submissions"),
                Some(body),
            )
            .await?;
        }
        CaseCmd::Duties { hub, id, json } => {
            let v = call(
                &hub,
                reqwest::Method::GET,
                &format!("/api/cases/{id}/duties"),
                None,
            )
            .await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                let now = jiff::Timestamp::now();
                for d in v["duties"].as_array().into_iter().flatten() {
                    let due = d["due"].as_str().unwrap_or("-");
                    let left = due
                        .parse::<jiff::Timestamp>()
                        .map(|t| crate::duties_cmd::left(t, now))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "{due:<22} {left:>12} {:<16} {} / {} -> {}",
                        d["status"].as_str().unwrap_or_default(),
                        d["rule"].as_str().unwrap_or_default(),
                        d["stage"].as_str().unwrap_or_default(),
                        d["recipient"].as_str().unwrap_or_default()
                    )?;
                }
                for c in v["conflicts"].as_array().into_iter().flatten() {
                    writeln!(
                        out,
                        "conflict: {} vs {}: {}",
                        c["rule"], c["with"], c["action"]
                    )?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
