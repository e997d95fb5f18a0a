//! `vigilo receipts verify`: checks a signed receipt offline against the
//! issuing hub's published key.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use vigilo_formats::receipt;

#[derive(Debug, clap::Subcommand)]
pub enum ReceiptsCmd {
    /// Verify a receipt: the signature over its canonical JSON (RFC 8785)
    /// with the issuer's published key, and optionally that it covers a
    /// given report. Exit 0 valid, 1 invalid, 2 unreadable input.
    Verify {
        /// The receipt (JSON).
        file: PathBuf,
        /// The issuer's published key: `ed25519:HEX` or a file holding it.
        #[arg(long)]
        key: String,
        /// The report as submitted (JSON): its canonical digest must match.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

pub fn run(cmd: ReceiptsCmd) -> Result<ExitCode> {
    match cmd {
        ReceiptsCmd::Verify { file, key, report } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{}: cannot read the receipt", file.display()))?;
            let key_text = if std::path::Path::new(&key).is_file() {
                std::fs::read_to_string(&key)
                    .with_context(|| format!("{key}: cannot read the key"))?
            } else {
                key
            };
            let published = receipt::parse_key(&key_text).context("the issuer's key")?;
            let report: Option<serde_json::Value> = match report {
                Some(p) => {
                    let t = std::fs::read_to_string(&p)
                        .with_context(|| format!("{}: cannot read the report", p.display()))?;
                    Some(
                        serde_json::from_str(&t)
                            .with_context(|| format!("{}: not JSON", p.display()))?,
                    )
                }
                None => None,
            };
            let mut out = std::io::stdout().lock();
            match receipt::verify(&text, &published, report.as_ref()) {
                Ok(r) => {
                    let b = &r.receipt;
                    writeln!(
                        out,
                        "valid: {} received report {} from {} at {} ({})",
                        b.issuer, b.report_id, b.submitter_org, b.received_at, b.digest
                    )?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    writeln!(out, "INVALID: {}: {e}", file.display())?;
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
