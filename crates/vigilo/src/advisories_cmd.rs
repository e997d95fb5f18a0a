//! `vigilo advisories …`, `vigilo match` and `vigilo versions …`.

use std::cmp::Ordering;
use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use vigilo_core::Ecosystem;
use vigilo_core::matching::MatchIndex;
use vigilo_formats::osv::{ParsedRecord, Syntax, modified_cmp};
use vigilo_formats::source::{Limits, Loaded, load_paths};
use vigilo_formats::{Diagnostic, Severity};
use vigilo_store::Actor;

use crate::OutFormat;
use crate::config::Resolved;

fn report(diagnostics: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diagnostics {
        let _ = writeln!(err, "{d}");
    }
}

fn load(paths: &[PathBuf]) -> Result<Loaded> {
    for p in paths {
        if !p.exists() {
            bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(load_paths(paths, Limits::default()))
}

/// `vigilo advisories import PATH…`: into the hub database, or with
/// `--local DIR` into a folder of OSV JSON files for offline matching.
pub async fn import(
    resolved: &Resolved,
    paths: &[PathBuf],
    local: Option<PathBuf>,
    org: Option<String>,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let loaded = load(paths)?;
    report(&loaded.diagnostics);
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = loaded.diagnostics.len() - errors;
    let mut out = std::io::stdout().lock();
    match local {
        Some(dir) => {
            let (written, unchanged, older) = write_local(&dir, &loaded.records)?;
            writeln!(
                out,
                "{} files read, {} records: {written} written, {unchanged} unchanged, {older} older than the cached copy; {errors} errors, {warnings} warnings ({:.2} s) into {}",
                loaded.files,
                loaded.records.len(),
                started.elapsed().as_secs_f64(),
                dir.display()
            )?;
        }
        None => {
            let store = crate::open(resolved, None).await?;
            let owner = match &org {
                Some(o) => Some(store.find_org(o).await?.id),
                None => None,
            };
            let records: Vec<_> = loaded
                .records
                .iter()
                .map(|r| {
                    let source = r.advisory.id.clone();
                    vigilo_hub::advisories::to_store_record(r, &source)
                })
                .collect();
            let counts = store
                .import_advisories(&Actor::cli(), owner.as_deref(), &records)
                .await
                .context("storing advisories")?;
            for id in &counts.conflicts {
                writeln!(
                    std::io::stderr(),
                    "error[advisory-conflict]: {id}: belongs to another owner; skipped"
                )?;
            }
            writeln!(
                out,
                "{} files read, {} records: {} inserted, {} updated, {} unchanged, {} older than stored, {} conflicts; {errors} errors, {warnings} warnings ({:.2} s)",
                loaded.files,
                loaded.records.len(),
                counts.inserted,
                counts.updated,
                counts.unchanged,
                counts.older,
                counts.conflicts.len(),
                started.elapsed().as_secs_f64()
            )?;
        }
    }
    Ok(if loaded.records.is_empty() && errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// A file name for an advisory id: safe on every file system.
fn local_file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}.json", safe.trim_start_matches('.'))
}

fn write_local(dir: &std::path::Path, records: &[ParsedRecord]) -> Result<(usize, usize, usize)> {
    fs_err::create_dir_all(dir)?;
    let (mut written, mut unchanged, mut older) = (0, 0, 0);
    for r in records {
        let path = dir.join(local_file_name(&r.advisory.id));
        if let Ok(bytes) = fs_err::read(&path) {
            if let Ok(cached) =
                vigilo_formats::osv::parse_record(&bytes, Syntax::Json, &path.display().to_string())
            {
                match modified_cmp(&r.advisory.modified, &cached.advisory.modified) {
                    Ordering::Equal => {
                        unchanged += 1;
                        continue;
                    }
                    Ordering::Less => {
                        older += 1;
                        continue;
                    }
                    Ordering::Greater => {}
                }
            }
        }
        let tmp = path.with_extension("json.tmp");
        fs_err::write(&tmp, serde_json::to_vec_pretty(&r.json)?)?;
        fs_err::rename(&tmp, &path)?;
        written += 1;
    }
    Ok((written, unchanged, older))
}

/// `vigilo advisories show ID`.
pub async fn show(
    resolved: &Resolved,
    id: &str,
    local: Option<PathBuf>,
    org: Option<String>,
) -> Result<ExitCode> {
    let json = match local {
        Some(dir) => {
            let loaded = load(&[dir])?;
            loaded
                .records
                .into_iter()
                .find(|r| r.advisory.id == id || r.advisory.aliases.iter().any(|a| a == id))
                .map(|r| r.json)
        }
        None => {
            let store = crate::open(resolved, None).await?;
            let org_id = match &org {
                Some(o) => Some(store.find_org(o).await?.id),
                None => None,
            };
            match store.advisory(id, org_id.as_deref()).await? {
                Some(a) => Some(serde_json::from_str(&a.json)?),
                None => None,
            }
        }
    };
    let Some(json) = json else {
        bail!("no advisory {id}");
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &json)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

/// `vigilo match --advisories PATH… INVENTORY`: offline matching.
pub fn match_inventory(
    advisories: &[PathBuf],
    inventory: &PathBuf,
    format: OutFormat,
    fail_on_match: bool,
) -> Result<ExitCode> {
    let loaded = load(advisories)?;
    report(&loaded.diagnostics);
    let bytes = fs_err::read(inventory)?;
    let (components, diags) =
        vigilo_formats::inventory::parse_inventory(&bytes, &inventory.display().to_string())
            .map_err(|d| anyhow::anyhow!("{d}"))?;
    report(&diags);
    let index = MatchIndex::build(loaded.records.into_iter().map(|r| r.advisory));
    let mut rows = Vec::new();
    for c in &components {
        for m in index.query(&c.ecosystem, &c.name, &c.version) {
            let a = index.get(m.advisory_id);
            rows.push(serde_json::json!({
                "ecosystem": c.ecosystem.to_string(),
                "name": c.name,
                "version": c.version,
                "purl": c.purl,
                "advisory": m.advisory_id,
                "aliases": a.map(|a| a.aliases.clone()).unwrap_or_default(),
                "summary": a.and_then(|a| a.summary.clone()),
                "matched_by": m.matched_by,
                "fixed": m.fixed,
            }));
        }
    }
    let mut out = std::io::stdout().lock();
    if format == OutFormat::Json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({"components": components.len(), "matches": rows}),
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<12} {:<40} {:<16} {:<22} FIXED IN",
            "ECOSYSTEM", "PACKAGE", "VERSION", "ADVISORY"
        )?;
        for r in &rows {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            let fixed: Vec<&str> = r["fixed"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect();
            writeln!(
                out,
                "{:<12} {:<40} {:<16} {:<22} {}",
                s("ecosystem"),
                s("name"),
                s("version"),
                s("advisory"),
                fixed.join(", ")
            )?;
        }
        writeln!(
            out,
            "{} components, {} matches against {} advisories",
            components.len(),
            rows.len(),
            index.len()
        )?;
    }
    Ok(if fail_on_match && !rows.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn scheme_of(ecosystem: &str) -> Result<(Ecosystem, vigilo_core::Scheme)> {
    let eco = Ecosystem::parse(ecosystem);
    let scheme = eco.scheme().with_context(|| {
        format!("cannot order versions of ecosystem {ecosystem:?}: no known version scheme (known: PyPI, npm, Maven, Debian, Ubuntu, RubyGems, Go, crates.io, NuGet, Alpine, Red Hat, …)")
    })?;
    Ok((eco, scheme))
}

/// `vigilo versions compare --ecosystem E A B`: prints `A < B`, `A = B` or `A > B`.
pub fn compare(ecosystem: &str, a: &str, b: &str) -> Result<ExitCode> {
    let (_, scheme) = scheme_of(ecosystem)?;
    let va = vigilo_core::Version::parse(scheme, a)?;
    let vb = vigilo_core::Version::parse(scheme, b)?;
    let sign = match va.compare(&vb) {
        Some(Ordering::Less) => "<",
        Some(Ordering::Equal) => "=",
        Some(Ordering::Greater) => ">",
        None => bail!("cannot compare {a} and {b}"),
    };
    writeln!(std::io::stdout(), "{a} {sign} {b}")?;
    Ok(ExitCode::SUCCESS)
}

/// `vigilo versions sort --ecosystem E`: sorts stdin's lines ascending (stable).
pub fn sort(ecosystem: &str) -> Result<ExitCode> {
    let (_, scheme) = scheme_of(ecosystem)?;
    let mut parsed = Vec::new();
    for (i, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("reading standard input")?;
        if line.trim().is_empty() {
            continue;
        }
        let v = vigilo_core::Version::parse(scheme, line.trim())
            .with_context(|| format!("standard input, line {}", i + 1))?;
        parsed.push((v, line));
    }
    parsed.sort_by(|a, b| a.0.compare(&b.0).unwrap_or(Ordering::Equal));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (_, line) in parsed {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// What `vigilo advisories convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertFormat {
    /// CSAF 2.0: one document per advisory.
    Csaf,
    /// STIX 2.1: one bundle of `vulnerability` objects.
    Stix,
    /// OSV JSON: one record per advisory (YAML read, JSON written).
    Osv,
}

/// `vigilo advisories convert --to csaf|stix|osv PATH…`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: ConvertFormat,
    /// OSV records: JSON or YAML files, folders, zip archives.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The marking: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED
    /// (CSAF: the document's TLP label; STIX: every object's marking).
    #[arg(long, value_parser = parse_tlp)]
    pub tlp: Option<vigilo_core::marking::Tlp>,
    /// The publishing organisation (CSAF `document.publisher.name`, the STIX identity).
    #[arg(long, default_value = "vigilo")]
    pub publisher_name: String,
    /// A URL that identifies the publisher (CSAF `document.publisher.namespace`).
    #[arg(long, default_value = "https://vigilo.invalid")]
    pub publisher_namespace: String,
    /// CSAF `document.publisher.category`: coordinator, discoverer, other, translator, user, vendor.
    #[arg(long, default_value = "other", value_parser = parse_publisher_category)]
    pub publisher_category: vigilo_formats::csaf::PublisherCategory,
    /// Write into this folder (CSAF and OSV: one file per advisory, named after its id;
    /// STIX: `advisories.stix.json`) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_tlp(s: &str) -> Result<vigilo_core::marking::Tlp, String> {
    s.parse()
        .map_err(|e: vigilo_core::marking::UnknownTlp| e.to_string())
}

fn parse_publisher_category(s: &str) -> Result<vigilo_formats::csaf::PublisherCategory, String> {
    s.parse()
}

/// Writes `bytes` to `path` through a temporary file beside it.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs_err::write(&tmp, bytes)?;
    fs_err::rename(&tmp, path)?;
    Ok(())
}

/// `vigilo advisories convert`: OSV records to CSAF 2.0 documents, a STIX 2.1
/// bundle, or OSV JSON. Bad records are reported (naming the file) and the
/// rest converted; the exit status is then 2.
pub fn convert(args: &ConvertArgs) -> Result<ExitCode> {
    use vigilo_core::marking::Marking;
    use vigilo_formats::{csaf, stix};

    if args.to == ConvertFormat::Osv && args.tlp.is_some() {
        bail!("--tlp: OSV records carry no marking; use --to csaf or --to stix");
    }
    if args.publisher_name.trim().is_empty() {
        bail!("--publisher-name: empty");
    }
    let loaded = load(&args.paths)?;
    report(&loaded.diagnostics);
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if loaded.records.is_empty() {
        bail!(
            "no OSV records read from {} ({errors} errors)",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(dir) = &args.out {
        fs_err::create_dir_all(dir)?;
    }
    let marking = args.tlp.map(Marking::tlp);
    let mut stdout = std::io::stdout().lock();
    let mut written = 0usize;
    match args.to {
        ConvertFormat::Stix => {
            // The generation time is the latest `modified` of the records, so
            // the same records give the same bundle.
            let generated = loaded
                .records
                .iter()
                .filter_map(|r| r.advisory.modified.trim().parse::<jiff::Timestamp>().ok())
                .max()
                .unwrap_or_else(jiff::Timestamp::now);
            let input = stix::AdvisoriesInput {
                publisher: args.publisher_name.trim().to_owned(),
                generated,
                marking,
                records: &loaded.records,
            };
            let mut bytes = Vec::new();
            stix::write_advisories_bundle(&input, &mut bytes)?;
            match &args.out {
                Some(dir) => write_file(&dir.join("advisories.stix.json"), &bytes)?,
                None => stdout.write_all(&bytes)?,
            }
            written = 1;
        }
        ConvertFormat::Csaf | ConvertFormat::Osv => {
            if args.out.is_none() && loaded.records.len() > 1 {
                bail!(
                    "{} advisories read: give --out DIR to write one file each",
                    loaded.records.len()
                );
            }
            let options = csaf::Options {
                publisher: csaf::Publisher {
                    name: args.publisher_name.clone(),
                    namespace: args.publisher_namespace.clone(),
                    category: args.publisher_category,
                },
                marking,
            };
            for r in &loaded.records {
                let (name, bytes) = if args.to == ConvertFormat::Csaf {
                    let doc = csaf::from_record(r, &options)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", r.advisory.id))?;
                    let mut bytes = Vec::new();
                    csaf::write_document(&doc, &mut bytes)?;
                    (csaf::file_name(&r.advisory.id), bytes)
                } else {
                    let mut bytes = serde_json::to_vec_pretty(&r.json)?;
                    bytes.push(b'\n');
                    (local_file_name(&r.advisory.id), bytes)
                };
                match &args.out {
                    Some(dir) => write_file(&dir.join(name), &bytes)?,
                    None => stdout.write_all(&bytes)?,
                }
                written += 1;
            }
        }
    }
    if let Some(dir) = &args.out {
        let what = match args.to {
            ConvertFormat::Csaf => "CSAF documents",
            ConvertFormat::Stix => "STIX bundle",
            ConvertFormat::Osv => "OSV records",
        };
        writeln!(
            stdout,
            "{} records read, {written} {what} written to {}; {errors} errors",
            loaded.records.len(),
            dir.display()
        )?;
    }
    Ok(if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
