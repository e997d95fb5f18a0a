//! `vigilo scan PATH…`: inventory a filesystem, match it against advisories
//! (local files, the built-in Log4Shell set, or a hub's OSV API), report,
//! and optionally upload the inventory to the hub as an asset.

use std::io::{IsTerminal as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::ValueEnum;
use vigilo_core::Severity;
use vigilo_core::advisory::Advisory;
use vigilo_core::inventory::{Finding, Found, Status};
use vigilo_core::matching::MatchIndex;
use vigilo_formats::report::{Report, Stats};
use vigilo_scan::{Limits, Options, Progress};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A table by severity, then path.
    Table,
    /// vigilo's stable JSON schema (`vigilo-scan/1`).
    Json,
    /// SARIF 2.1.0, a rule per advisory.
    Sarif,
    /// CycloneDX 1.6: the inventory with its vulnerabilities.
    Cyclonedx,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Low,
    Medium,
    High,
    Critical,
    /// Any finding that is not mitigated, whatever its severity.
    Any,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Leave out paths matching this glob (gitignore syntax; repeatable),
    /// e.g. `--exclude '**/test/**'`.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// Do not cross into other filesystems.
    #[arg(long)]
    pub one_file_system: bool,
    /// Follow symbolic links (loops are detected).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ScanFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// OSV files, folders or zip archives to match against (repeatable).
    /// The built-in Log4Shell-family set is always included unless
    /// `--no-builtin`.
    #[arg(long)]
    pub advisories: Vec<PathBuf>,
    /// Leave out the built-in Log4Shell-family advisories.
    #[arg(long)]
    pub no_builtin: bool,
    /// A vigilo hub (or any OSV API) to match against, by `/v1/querybatch`.
    #[arg(long, env = "VIGILO_HUB")]
    pub hub: Option<String>,
    /// API token for the hub (needed for `--upload` and org advisories).
    #[arg(long, env = "VIGILO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Upload the inventory to the hub as an asset.
    #[arg(long, requires = "hub")]
    pub upload: bool,
    /// The asset's name on the hub (default: the host name).
    #[arg(long)]
    pub asset: Option<String>,
    /// Exit 1 when a finding that is not mitigated has at least this
    /// severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// No progress display on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// Archives nested deeper than this are reported, not read.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// Bytes expanded from archives per file before the rest is skipped.
    #[arg(long, default_value_t = Limits::default().max_expanded_bytes)]
    pub max_expanded_bytes: u64,
}

pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Prints files, bytes and components on stderr until stopped.
fn progress_display(progress: Arc<Progress>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut err = std::io::stderr();
        while !stop.load(Ordering::Relaxed) {
            let files = progress.files.load(Ordering::Relaxed);
            let bytes = progress.bytes.load(Ordering::Relaxed);
            let comps = progress.components.load(Ordering::Relaxed);
            let _ = write!(
                err,
                "\r\x1b[2Kscanning: {files} files, {:.1} MB, {comps} components",
                bytes as f64 / 1e6
            );
            let _ = err.flush();
            std::thread::sleep(Duration::from_millis(150));
        }
        let _ = write!(err, "\r\x1b[2K");
    })
}

pub async fn scan(args: ScanArgs) -> Result<ExitCode> {
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            bail!("{}: no such file or folder", p.display());
        }
    }
    // Advisories first: a bad advisory path fails before a long scan.
    let mut advisories: Vec<Advisory> = Vec::new();
    if !args.no_builtin {
        advisories.extend(vigilo_scan::builtin::advisories());
    }
    if !args.advisories.is_empty() {
        let loaded = vigilo_formats::source::load_paths(&args.advisories, Default::default());
        let mut err = std::io::stderr().lock();
        for d in &loaded.diagnostics {
            let _ = writeln!(err, "{d}");
        }
        advisories.extend(loaded.records.into_iter().map(|r| r.advisory));
    }
    let started = jiff::Timestamp::now();
    let options = Options {
        excludes: args.exclude.clone(),
        one_file_system: args.one_file_system,
        follow_symlinks: args.follow_symlinks,
        threads: args.threads,
        limits: Limits {
            max_depth: args.max_depth,
            max_expanded_bytes: args.max_expanded_bytes,
            ..Limits::default()
        },
    };
    let progress = Arc::new(Progress::default());
    let stop = Arc::new(AtomicBool::new(false));
    let display = (!args.no_progress && std::io::stderr().is_terminal())
        .then(|| progress_display(progress.clone(), stop.clone()));
    let roots = args.paths.clone();
    let p = progress.clone();
    let output = tokio::task::spawn_blocking(move || vigilo_scan::scan(&roots, &options, &p))
        .await
        .context("the scan stopped unexpectedly")?;
    stop.store(true, Ordering::Relaxed);
    if let Some(h) = display {
        let _ = h.join();
    }
    let output = output?;

    let mut findings = match &args.hub {
        Some(hub) => {
            let fetched = hub_advisories(hub, args.token.as_deref(), &output.components).await?;
            advisories.extend(fetched);
            match_all(advisories, &output.components)
        }
        None => match_all(advisories, &output.components),
    };
    vigilo_scan::findings::sort(&mut findings);

    let report = Report {
        roots: args.paths.iter().map(|p| p.display().to_string()).collect(),
        started: started.to_string(),
        finished: jiff::Timestamp::now().to_string(),
        tool_version: format!("vigilo {}", env!("CARGO_PKG_VERSION")),
        host: host_name(),
        components: output.components,
        findings,
        diagnostics: output.diagnostics,
        stats: Stats {
            files: output.files,
            bytes: output.bytes,
            archives: output.archives,
        },
    };
    write_report(&report, args.format, args.output.as_ref())?;
    summarise_diagnostics(&report);

    if args.upload {
        let hub = args.hub.as_deref().unwrap_or_default();
        upload(hub, args.token.as_deref(), args.asset.as_deref(), &report).await?;
    }

    let failing = args.fail_on.is_some_and(|threshold| {
        report.findings.iter().any(|f| {
            f.status != Status::Mitigated
                && match threshold {
                    FailOn::Any => true,
                    FailOn::Low => f.severity() >= Some(Severity::Low),
                    FailOn::Medium => f.severity() >= Some(Severity::Medium),
                    FailOn::High => f.severity() >= Some(Severity::High),
                    FailOn::Critical => f.severity() >= Some(Severity::Critical),
                }
        })
    });
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn match_all(advisories: Vec<Advisory>, components: &[Found]) -> Vec<Finding> {
    let index = MatchIndex::build(advisories);
    vigilo_scan::findings::match_local(&index, components)
}

fn write_report(report: &Report, format: ScanFormat, output: Option<&PathBuf>) -> Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    match format {
        ScanFormat::Table => write_table(report, &mut buf)?,
        ScanFormat::Json => vigilo_formats::report::write_json(report, &mut buf)?,
        ScanFormat::Sarif => vigilo_formats::report::write_sarif(report, &mut buf)?,
        ScanFormat::Cyclonedx => vigilo_formats::report::write_cyclonedx(report, &mut buf)?,
    }
    match output {
        Some(path) => fs_err::write(path, &buf)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    Ok(())
}

fn write_table(report: &Report, out: &mut dyn Write) -> Result<()> {
    if report.findings.is_empty() {
        writeln!(out, "No vulnerable components found.")?;
    } else {
        writeln!(
            out,
            "{:<9} {:<10} {:<44} {:<14} {:<32} PATH",
            "SEVERITY", "STATUS", "PACKAGE", "VERSION", "ADVISORIES"
        )?;
        for f in &report.findings {
            let ids: Vec<String> = f
                .advisories
                .iter()
                .map(|a| {
                    a.aliases
                        .iter()
                        .find(|x| x.starts_with("CVE-"))
                        .filter(|_| !a.id.starts_with("CVE-"))
                        .map_or_else(|| a.id.clone(), |cve| format!("{} ({cve})", a.id))
                })
                .collect();
            let version = match &f.found.version_range {
                Some(r) => format!("{} [{r}]", f.found.component.version),
                None => f.found.component.version.clone(),
            };
            writeln!(
                out,
                "{:<9} {:<10} {:<44} {:<14} {:<32} {}",
                f.severity().map_or("-", Severity::as_str),
                f.status.as_str(),
                f.found.component.name,
                version,
                ids.join(", "),
                f.found.evidence.path
            )?;
            if !f.found.mitigations.is_empty() {
                writeln!(
                    out,
                    "{:<20} mitigation: {}",
                    "",
                    f.found.mitigations.join("; ")
                )?;
            }
        }
    }
    let affected = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Mitigated)
        .count();
    writeln!(
        out,
        "\n{} files ({:.1} MB, {} archives), {} components, {} findings ({} not mitigated), {} diagnostics",
        report.stats.files,
        report.stats.bytes as f64 / 1e6,
        report.stats.archives,
        report.components.len(),
        report.findings.len(),
        affected,
        report.diagnostics.len()
    )?;
    Ok(())
}

/// Diagnostics on stderr: the first few, then counts by code.
fn summarise_diagnostics(report: &Report) {
    let mut err = std::io::stderr().lock();
    for d in report.diagnostics.iter().take(20) {
        let _ = writeln!(err, "{d}");
    }
    if report.diagnostics.len() > 20 {
        let mut counts = std::collections::BTreeMap::new();
        for d in &report.diagnostics {
            *counts.entry(d.code.as_str()).or_insert(0usize) += 1;
        }
        let _ = writeln!(
            err,
            "… {} diagnostics in all: {}",
            report.diagnostics.len(),
            counts
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

pub(crate) fn client(token: Option<&str>) -> Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(t) = token {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}"))
            .context("the token holds characters not allowed in a header")?;
        v.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, v);
    }
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("vigilo/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

/// Asks the hub which advisories affect the components (`/v1/querybatch`,
/// 1,000 queries per request), then fetches each one (`/v1/vulns/{id}`) so
/// that matching, fixed versions and severities come from the records.
async fn hub_advisories(
    hub: &str,
    token: Option<&str>,
    components: &[Found],
) -> Result<Vec<Advisory>> {
    let base = hub.trim_end_matches('/');
    let http = client(token)?;
    let mut queries: Vec<serde_json::Value> = components
        .iter()
        .filter(|f| f.component.ecosystem.is_known())
        .map(|f| {
            serde_json::json!({
                "package": {"ecosystem": f.component.ecosystem.to_string(), "name": f.component.name},
                "version": f.component.version,
            })
        })
        .collect();
    queries.sort_by_key(|q| q.to_string());
    queries.dedup();
    let mut ids = std::collections::BTreeSet::new();
    for chunk in queries.chunks(1000) {
        let url = format!("{base}/v1/querybatch");
        let resp = http
            .post(&url)
            .json(&serde_json::json!({ "queries": chunk }))
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        let body: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("POST {url}: the answer is not JSON"))?;
        if !status.is_success() {
            bail!("POST {url}: {status}: {body}");
        }
        for r in body["results"].as_array().into_iter().flatten() {
            for v in r["vulns"].as_array().into_iter().flatten() {
                if let Some(id) = v["id"].as_str() {
                    ids.insert(id.to_owned());
                }
            }
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let url = format!("{base}/v1/vulns/{id}");
        let resp = http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status();
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        let json: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("GET {url}: the answer is not JSON"))?;
        let record =
            vigilo_formats::osv::from_json(json, &url).map_err(|d| anyhow::anyhow!("{d}"))?;
        out.push(record.advisory);
    }
    Ok(out)
}

async fn upload(
    hub: &str,
    token: Option<&str>,
    asset: Option<&str>,
    report: &Report,
) -> Result<()> {
    if token.is_none() {
        bail!("--upload needs --token (or VIGILO_TOKEN)");
    }
    let mut buf = Vec::new();
    vigilo_formats::report::write_json(report, &mut buf)?;
    let mut doc: serde_json::Value = serde_json::from_slice(&buf)?;
    doc["asset"] = serde_json::json!({ "name": asset.unwrap_or(&report.host) });
    let url = format!("{}/api/assets", hub.trim_end_matches('/'));
    let resp = client(token)?
        .post(&url)
        .json(&doc)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("POST {url}: {status}: {text}");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "uploaded to {url}: {text}");
    Ok(())
}
