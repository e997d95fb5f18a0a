//! `vigilo replicate`: keep a copy of an organisation's own data from the
//! hub it works on, in this hub's database (`vigilo_store::replica`), so
//! that the organisation still has everything if that hub is cut off.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use vigilo_store::replica::FetchedFile;
use vigilo_store::{Actor, Store};

use crate::scan_cmd::client;

#[derive(Debug, clap::Args)]
pub struct ReplicateArgs {
    /// The hub to copy from (its base URL).
    #[arg(long)]
    pub from: String,
    /// An admin API token of the organisation on that hub.
    #[arg(long, env = "VIGILO_REPLICATE_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The organisation on this hub that holds the copy (name or id).
    #[arg(long)]
    pub org: String,
    /// Seconds between copies.
    #[arg(long, default_value_t = 300)]
    pub interval: u64,
    /// Copy once and exit.
    #[arg(long)]
    pub once: bool,
}

/// One copy: fetches the export and stores what changed.
async fn copy_once(store: &Store, org_id: &str, args: &ReplicateArgs) -> Result<(usize, usize)> {
    let url = format!("{}/api/org/export", args.from.trim_end_matches('/'));
    let resp = client(Some(&args.token))?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .with_context(|| format!("GET {url}: reading"))?;
    if !status.is_success() {
        bail!(
            "GET {url}: {status}: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    let export: Value =
        serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON"))?;
    let listed = export["manifest"]["files"]
        .as_object()
        .with_context(|| format!("GET {url}: no manifest of files"))?;
    let mut files = BTreeMap::new();
    for (name, meta) in listed {
        let content = export["files"][name].as_str().with_context(|| {
            format!("GET {url}: the manifest names {name}, the export lacks it")
        })?;
        files.insert(
            name.clone(),
            FetchedFile {
                sha256: meta["sha256"].as_str().unwrap_or_default().to_owned(),
                records: meta["records"].as_i64().unwrap_or(0),
                content: content.as_bytes().to_vec(),
            },
        );
    }
    let u = store
        .store_replica(&Actor::cli(), org_id, &args.from, &files)
        .await
        .context("storing the replica")?;
    Ok((u.changed, u.unchanged))
}

pub async fn run(store: Store, args: ReplicateArgs) -> Result<ExitCode> {
    let org = store
        .find_org(&args.org)
        .await
        .with_context(|| format!("the organisation {} on this hub", args.org))?;
    loop {
        match copy_once(&store, &org.id, &args).await {
            Ok((changed, unchanged)) => {
                let mut o = std::io::stdout().lock();
                writeln!(
                    o,
                    "replicated {} from {}: {changed} file(s) changed, {unchanged} unchanged",
                    org.name, args.from
                )?;
            }
            Err(e) if !args.once => {
                tracing::warn!(error = %format!("{e:#}"), "replication failed; retrying at the next interval");
            }
            Err(e) => return Err(e),
        }
        if args.once {
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(Duration::from_secs(args.interval.max(1))).await;
    }
}
