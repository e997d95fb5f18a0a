//! `vigilo duties`: reporting duties computed offline from an organisation
//! profile and a case's facts (vigilo-duties).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use jiff::Timestamp;
use vigilo_duties::{Facts, Profile, Rules};

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

pub fn run(cmd: DutiesCmd) -> Result<std::process::ExitCode> {
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
