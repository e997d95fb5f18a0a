//! `vigilo duties`: reporting duties computed offline from an organisation
//! profile and a case's facts (vigilo-duties), or listed and explained from
//! a hub (`/api/duties`, `/api/cases/{id}/duties`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use serde_json::{Value, json};
use vigilo_duties::{Facts, Profile, Rules};

use crate::case_cmd::{HubArgs, call};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DutiesFormat {
    /// One line per duty: due, time left, status, rule, stage, recipient.
    Table,
    /// `{"duties": [...], "conflicts": [...]}` with `rule`, `stage`,
    /// `recipient`, `due` (RFC 3339), `status` and `explain` per duty.
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum DutiesCmd {
    /// Compute the duties of a case, offline.
    Compute {
        /// The organisation profile (JSON or YAML): roles, jurisdictions,
        /// sectors, partnerships, recipient_zones.
        #[arg(long)]
        profile: PathBuf,
        /// The case facts (JSON or YAML): flags, events (event, at,
        /// source), submissions (rule, stage, at).
        #[arg(long)]
        facts: PathBuf,
        /// A rules folder (packs/, calendars/, schemas) instead of the
        /// rules built into the binary.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The instant to compute status at (default: now).
        #[arg(long)]
        now: Option<Timestamp>,
        #[arg(long, value_enum, default_value = "table")]
        format: DutiesFormat,
    },
    /// List the rule packs and calendars in force.
    Rules {
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// The organisation's duties on a hub, soonest due first, with the time
    /// left (GET /api/duties).
    List {
        #[command(flatten)]
        hub: HubArgs,
        /// Only duties of this status: open, overdue, pending_trigger,
        /// submitted, submitted_late, discharged, target.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: DutiesFormat,
        /// Exit 1 when a duty is overdue.
        #[arg(long)]
        fail_on_overdue: bool,
    },
    /// How one duty's deadline was computed: the rule, the anchor event and
    /// its provenance, the arithmetic, the days skipped and why.
    Explain {
        #[command(flatten)]
        hub: HubArgs,
        /// The duty id as `vigilo duties list` prints it: CASE/RULE/STAGE.
        id: String,
        #[arg(long, value_enum, default_value = "table")]
        format: DutiesFormat,
    },
}

fn load_rules(dir: Option<&PathBuf>) -> Result<Rules> {
    Ok(match dir {
        Some(d) => Rules::load_dir(d)?,
        None => Rules::embedded().context("the rules built into this binary")?,
    })
}

fn read_doc<T: serde::de::DeserializeOwned>(path: &PathBuf, what: &str) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the {what}", path.display()))?;
    let value: serde_json::Value = serde_yaml_ng::from_str(&text)
        .with_context(|| format!("{}: the {what} is not JSON or YAML", path.display()))?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| anyhow::anyhow!("{}: {what}: {}: {}", path.display(), e.path(), e.inner()))
}

/// Time from `now` to `due` as `[-]DdHHhMMm`.
pub(crate) fn left(due: Timestamp, now: Timestamp) -> String {
    let secs = due.as_second() - now.as_second();
    let (sign, s) = if secs < 0 { ("-", -secs) } else { ("", secs) };
    format!(
        "{sign}{}d{:02}h{:02}m",
        s / 86_400,
        (s % 86_400) / 3600,
        (s % 3600) / 60
    )
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `vigilo duties list`: one line per duty from the hub.
async fn list(
    hub: &HubArgs,
    status: Option<&str>,
    format: DutiesFormat,
    fail_on_overdue: bool,
) -> Result<std::process::ExitCode> {
    let path = match status {
        Some(s) => format!("/api/duties?status={s}"),
        None => "/api/duties".to_owned(),
    };
    let list = call(hub, reqwest::Method::GET, &path, None).await?;
    let duties = list["duties"].as_array().cloned().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match format {
        DutiesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        DutiesFormat::Table => {
            let now = Timestamp::now();
            for d in &duties {
                let due = d["due"].as_str().and_then(|t| t.parse::<Timestamp>().ok());
                let rem = due.map_or_else(String::new, |t| left(t, now));
                let shown = due.map_or_else(
                    || d["target"].as_str().unwrap_or("-").to_owned(),
                    |t| t.to_string(),
                );
                writeln!(
                    out,
                    "{shown:<24} {rem:>12} {:<16} {} -> {}  {}",
                    text(d, "status"),
                    text(d, "id"),
                    text(d, "recipient"),
                    text(d, "case_title"),
                )?;
            }
            for c in list["conflicts"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "conflict on case {}: {} vs {}: {}",
                    text(c, "case_id"),
                    text(c, "rule"),
                    text(c, "with"),
                    text(c, "action")
                )?;
            }
            for e in list["errors"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "case {}: duties not computed: {}",
                    text(e, "case_id"),
                    text(e, "detail")
                )?;
            }
        }
    }
    let overdue = duties.iter().any(|d| d["status"] == "overdue");
    Ok(if fail_on_overdue && overdue {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    })
}

/// `vigilo duties explain CASE/RULE/STAGE`.
async fn explain(hub: &HubArgs, id: &str, format: DutiesFormat) -> Result<()> {
    let mut parts = id.splitn(3, '/');
    let (Some(case), Some(rule), Some(stage)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("{id:?} is not a duty id: expected CASE/RULE/STAGE as `vigilo duties list` prints");
    };
    let computed = call(
        hub,
        reqwest::Method::GET,
        &format!("/api/cases/{case}/duties"),
        None,
    )
    .await?;
    let Some(duty) = computed["duties"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["rule"] == rule && d["stage"] == stage)
    else {
        bail!(
            "case {case} has no duty {rule}/{stage} (its duties: {})",
            computed["duties"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|d| format!("{}/{}", text(d, "rule"), text(d, "stage")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let record = call(
        hub,
        reqwest::Method::GET,
        &format!("/api/cases/{case}"),
        None,
    )
    .await?;
    let events: Vec<&Value> = record["events"].as_array().into_iter().flatten().collect();
    let late: Vec<&Value> = computed["late_on_record"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["rule"] == rule && l["stage"] == stage)
        .collect();
    let mut out = std::io::stdout().lock();
    if format == DutiesFormat::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &json!({"id": id, "case": record["title"], "duty": duty, "events": events,
                    "late_on_record": late}),
        )?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "duty      {id}")?;
    writeln!(out, "case      {}", text(&record, "title"))?;
    writeln!(out, "rule      {rule}: {}", text(duty, "title"))?;
    writeln!(
        out,
        "stage     {stage} -> {} ({} deadline)",
        text(duty, "recipient"),
        text(duty, "strictness")
    )?;
    let now = Timestamp::now();
    match duty["due"]
        .as_str()
        .and_then(|t| t.parse::<Timestamp>().ok())
    {
        Some(due) => writeln!(out, "due       {due} ({} left)", left(due, now))?,
        None => writeln!(
            out,
            "due       {}",
            duty["target"].as_str().unwrap_or("no instant yet")
        )?,
    }
    writeln!(out, "status    {}", text(duty, "status"))?;
    if let Some(s) = duty["submitted"].as_str() {
        writeln!(out, "submitted {s}")?;
    }
    if duty["unverified"] == true {
        writeln!(
            out,
            "note      the rule pack marks parts of this rule unverified"
        )?;
    }
    writeln!(out, "how the deadline was computed:")?;
    for (i, step) in duty["explain"].as_array().into_iter().flatten().enumerate() {
        writeln!(out, "  {}. {}", i + 1, step.as_str().unwrap_or_default())?;
    }
    if !events.is_empty() {
        writeln!(out, "the case's facts (anchors are taken from these):")?;
        for e in &events {
            writeln!(
                out,
                "  {} {:<32} source: {}; recorded by {} at {}",
                text(e, "at"),
                text(e, "event"),
                text(e, "source"),
                text(e, "recorded_by"),
                text(e, "recorded_at")
            )?;
        }
    }
    for l in late {
        writeln!(
            out,
            "late on record: fact {} recorded at {} put the due instant at {}, already past",
            text(l, "event_id"),
            text(l, "recorded_at"),
            text(l, "due_after")
        )?;
    }
    Ok(())
}

pub async fn run(cmd: DutiesCmd) -> Result<std::process::ExitCode> {
    let cmd = match cmd {
        DutiesCmd::List {
            hub,
            status,
            format,
            fail_on_overdue,
        } => return list(&hub, status.as_deref(), format, fail_on_overdue).await,
        DutiesCmd::Explain { hub, id, format } => {
            explain(&hub, &id, format).await?;
            return Ok(std::process::ExitCode::SUCCESS);
        }
        other => other,
    };
    let mut out = std::io::stdout().lock();
    match cmd {
        DutiesCmd::Compute {
            profile,
            facts,
            rules,
            now,
            format,
        } => {
            let rules = load_rules(rules.as_ref())?;
            let profile: Profile = read_doc(&profile, "profile")?;
            let facts: Facts = read_doc(&facts, "facts")?;
            let now = now.unwrap_or_else(Timestamp::now);
            let c = vigilo_duties::compute(&rules, &profile, &facts, now)?;
            match format {
                DutiesFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &c)?;
                    writeln!(out)?;
                }
                DutiesFormat::Table => {
                    for d in &c.duties {
                        let due = d.due.map_or_else(
                            || d.target.clone().unwrap_or_else(|| "-".into()),
                            |t| t.to_string(),
                        );
                        let rem = d.due.map_or_else(String::new, |t| left(t, now));
                        writeln!(
                            out,
                            "{due:<24} {rem:>12} {:<16} {} / {} -> {}{}",
                            serde_json::to_value(d.status)?.as_str().unwrap_or_default(),
                            d.rule,
                            d.stage,
                            d.recipient,
                            if d.unverified {
                                " [unverified parts]"
                            } else {
                                ""
                            }
                        )?;
                    }
                    for f in &c.conflicts {
                        writeln!(out, "conflict: {} vs {}: {}", f.rule, f.with, f.action)?;
                    }
                }
            }
        }
        DutiesCmd::List { .. } | DutiesCmd::Explain { .. } => {}
        DutiesCmd::Rules { rules } => {
            let rules = load_rules(rules.as_ref())?;
            for p in &rules.packs {
                writeln!(
                    out,
                    "{:<40} {:<4} {:<12} {} stage(s){}  {}",
                    p.id,
                    p.jurisdiction,
                    serde_json::to_value(p.status)?.as_str().unwrap_or_default(),
                    p.stages.len(),
                    if p.unverified.is_empty() {
                        ""
                    } else {
                        ", unverified parts"
                    },
                    p.title
                )?;
            }
            for c in rules.calendars.values() {
                writeln!(
                    out,
                    "calendar {:<31} {} valid {}..{}",
                    c.id, c.tz, c.valid_from, c.valid_through
                )?;
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
