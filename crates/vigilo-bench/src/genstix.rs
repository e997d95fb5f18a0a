//! `vigilo-genstix`: STIX 2.1 indicator objects for the TAXII benchmark
//! (`scripts/bench-taxii`).
//!
//! * `store`: writes `--count` indicators straight into a hub's store
//!   (`Store::put_shared`, the path a TAXII POST takes after parsing, in
//!   transactions of `--batch`), shared with the hub's community (TLP:GREEN,
//!   no audience: the `community` TAXII collection) and owned by `--org`,
//!   and writes `--paths` request paths `GET …/objects/?limit=100&added_after=T`
//!   whose `T` are the `date_added` of objects spread evenly over the
//!   collection (each page a full one).
//! * `medallion`: the same indicators as a data file for medallion's memory
//!   backend (one collection, with its manifest), and the same kind of paths
//!   for it.
//!
//! Object `n` of prefix `P` is `indicator--P-1c3e-4c1f-9d5a-{n:012}`: the
//! same objects on every run, and new ones under another prefix.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use vigilo_core::marking::{Marking, Tlp};
use vigilo_store::crypto::KekSource;
use vigilo_store::shared::{NewShared, PutOutcome};
use vigilo_store::{Actor, Store, StoreOptions};

/// The hub's `community` TAXII collection.
const COMMUNITY: &str = "e496ccc3-efb2-4f61-af43-18c0a63f95fe";
/// medallion's collection in the data file written here.
const MEDALLION_COLLECTION: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
const TAXII: &str = "application/taxii+json;version=2.1";
const STIX: &str = "application/stix+json;version=2.1";

#[derive(Debug, Parser)]
#[command(name = "vigilo-genstix", version)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Store indicators in a hub's data folder (SQLite).
    Store {
        /// The hub's data folder (its vigilo.db and keys/kek).
        #[arg(long)]
        data_dir: PathBuf,
        /// The organisation (name) that shares them.
        #[arg(long)]
        org: String,
        #[arg(long)]
        count: u64,
        /// Objects per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// First 8 hex digits of every id: another prefix, other objects.
        #[arg(long, default_value = "5d2f8a54")]
        prefix: String,
        /// Where to write the request paths (none: no paths).
        #[arg(long)]
        paths_out: Option<PathBuf>,
        /// How many paths.
        #[arg(long, default_value_t = 1000)]
        paths: u64,
        /// Objects per page in the paths.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Write a medallion (memory backend) data file holding the indicators.
    Medallion {
        #[arg(long)]
        count: u64,
        #[arg(long, default_value = "5d2f8a54")]
        prefix: String,
        /// medallion's port (its discovery resource names it).
        #[arg(long)]
        port: u16,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        paths_out: Option<PathBuf>,
        #[arg(long, default_value_t = 1000)]
        paths: u64,
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}

/// Indicator `n`: about 600 bytes of JSON, like `vigilo logs` emits.
fn indicator(prefix: &str, n: u64) -> Value {
    let domain = format!("cb{n}.attacker.example");
    json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{prefix}-1c3e-4c1f-9d5a-{n:012}"),
        "created": "2026-10-01T00:00:00.000Z",
        "modified": "2026-10-01T00:00:00.000Z",
        "name": format!("Log4Shell JNDI callback {domain}"),
        "description": "Callback host of a JNDI lookup found in a request to a public web server",
        "indicator_types": ["malicious-activity"],
        "pattern": format!("[domain-name:value = '{domain}']"),
        "pattern_type": "stix",
        "valid_from": "2026-10-01T00:00:00Z",
        "labels": ["log4shell", "jndi-callback"],
        "confidence": 80,
        "object_marking_refs": [Tlp::Green.stix_marking_id()],
    })
}

/// TAXII timestamps: UTC with microseconds.
fn taxii_time(micros: i64) -> Result<String> {
    Ok(jiff::Timestamp::from_microsecond(micros)?
        .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
        .to_string())
}

/// `paths` request paths whose `added_after` are the `date_added` of
/// objects spread evenly over `[0, count - limit)`: every page is full.
fn write_paths(
    out: &PathBuf,
    collection_path: &str,
    date_added: &[i64],
    paths: u64,
    limit: u64,
) -> Result<()> {
    let n = date_added.len() as u64;
    if n <= limit {
        bail!("{n} objects: not enough for pages of {limit}");
    }
    let span = n - limit;
    let mut text = String::new();
    for i in 0..paths {
        // Evenly spread, and shuffled by a stride coprime with `paths` so that
        // consecutive requests do not read neighbouring pages.
        let k = (i * 7919) % paths;
        let at = usize::try_from(k * span / paths)?;
        text.push_str(&format!(
            "{collection_path}?limit={limit}&added_after={}\n",
            taxii_time(date_added[at])?
        ));
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

#[allow(clippy::too_many_arguments)]
async fn store(
    data_dir: PathBuf,
    org: &str,
    count: u64,
    batch: usize,
    prefix: &str,
    paths_out: Option<PathBuf>,
    paths: u64,
    limit: u64,
) -> Result<()> {
    let url = format!(
        "sqlite://{}?mode=rwc",
        vigilo_store::default_db_path(&data_dir).display()
    );
    let kek = KekSource::File(vigilo_store::default_kek_path(&data_dir));
    let store = Store::open(&StoreOptions::new(url, kek))
        .await
        .context("opening the store")?;
    let org = store
        .find_org(org)
        .await
        .with_context(|| format!("finding organisation {org}"))?;
    let actor = Actor {
        actor: "cli:vigilo-genstix".into(),
        org_id: Some(org.id.clone()),
        ..Actor::default()
    };
    let started = Instant::now();
    let mut date_added = Vec::with_capacity(usize::try_from(count)?);
    let mut n = 0;
    while n < count {
        let end = (n + batch.max(1) as u64).min(count);
        let objects: Vec<NewShared> = (n..end)
            .map(|i| NewShared {
                id: format!("indicator--{prefix}-1c3e-4c1f-9d5a-{i:012}"),
                version: "2026-10-01T00:00:00.000Z".into(),
                kind: "indicator".into(),
                spec_version: "2.1".into(),
                marking: Marking {
                    tlp: Tlp::Green,
                    groups: BTreeSet::new(),
                    orgs: BTreeSet::new(),
                },
                object: indicator(prefix, i),
            })
            .collect();
        let outcomes = store
            .put_shared(&actor, &org.id, "local", &objects)
            .await
            .context("storing objects")?;
        for o in outcomes {
            match o {
                PutOutcome::Added { date_added: d } => date_added.push(d),
                other => bail!("object not added: {other:?} (run on a fresh hub)"),
            }
        }
        n = end;
        if n % 100_000 == 0 || n == count {
            writeln!(
                std::io::stderr(),
                "vigilo-genstix: {n}/{count} stored ({:.1} s)",
                started.elapsed().as_secs_f64()
            )?;
        }
    }
    if let Some(out) = paths_out {
        write_paths(
            &out,
            &format!("/taxii2/api/collections/{COMMUNITY}/objects/"),
            &date_added,
            paths,
            limit,
        )?;
    }
    writeln!(
        std::io::stdout(),
        "{}",
        json!({"stored": count, "seconds": started.elapsed().as_secs_f64()})
    )?;
    Ok(())
}

fn medallion(
    count: u64,
    prefix: &str,
    port: u16,
    out: &PathBuf,
    paths_out: Option<PathBuf>,
    paths: u64,
    limit: u64,
) -> Result<()> {
    // One object added per millisecond from 2026-11-01.
    let base = jiff::Timestamp::from_second(1_793_491_200)?.as_microsecond();
    let date_added: Vec<i64> = (0..count)
        .map(|i| base + i64::try_from(i).unwrap_or(0) * 1000)
        .collect();
    let mut objects = Vec::with_capacity(date_added.len());
    let mut manifest = Vec::with_capacity(date_added.len());
    for (i, d) in (0..count).zip(&date_added) {
        let o = indicator(prefix, i);
        manifest.push(json!({
            "id": o["id"], "date_added": taxii_time(*d)?, "version": o["modified"],
            "media_type": STIX,
        }));
        objects.push(o);
    }
    let root = format!("http://127.0.0.1:{port}/api1/");
    let data = json!({
        "/discovery": {"title": "medallion", "description": "bench", "default": root,
                       "api_roots": [root]},
        "api1": {
            "information": {"title": "api1", "description": "", "versions": [TAXII],
                            "max_content_length": 104_857_600},
            "status": [],
            "collections": [{"id": MEDALLION_COLLECTION, "title": "bench", "description": "",
                             "can_read": true, "can_write": false, "media_types": [STIX],
                             "objects": objects, "manifest": manifest}],
        },
    });
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    );
    serde_json::to_writer(&mut f, &data)?;
    f.flush()?;
    if let Some(p) = paths_out {
        write_paths(
            &p,
            &format!("/api1/collections/{MEDALLION_COLLECTION}/objects/"),
            &date_added,
            paths,
            limit,
        )?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match args.cmd {
        Cmd::Store {
            data_dir,
            org,
            count,
            batch,
            prefix,
            paths_out,
            paths,
            limit,
        } => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the runtime")
            .and_then(|rt| {
                rt.block_on(store(
                    data_dir, &org, count, batch, &prefix, paths_out, paths, limit,
                ))
            }),
        Cmd::Medallion {
            count,
            prefix,
            port,
            out,
            paths_out,
            paths,
            limit,
        } => medallion(count, &prefix, port, &out, paths_out, paths, limit),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "vigilo-genstix: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicators_are_distinct_and_paths_spread_over_full_pages() {
        assert_ne!(
            indicator("5d2f8a54", 1)["id"],
            indicator("5d2f8a54", 2)["id"]
        );
        let dir = std::env::temp_dir().join(format!("genstix-{}", std::process::id()));
        let d: Vec<i64> = (0..1000).map(|i| 1_700_000_000_000_000 + i).collect();
        write_paths(&dir, "/c/", &d, 10, 100).unwrap();
        let text = std::fs::read_to_string(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10);
        let distinct: BTreeSet<&&str> = lines.iter().collect();
        assert_eq!(distinct.len(), 10);
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with("/c/?limit=100&added_after=2023-"))
        );
    }
}
