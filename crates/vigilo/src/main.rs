//! `vigilo`: the one binary. Each subcommand wires the library crates
//! together; no domain logic lives here.

mod advisories_cmd;
mod case_cmd;
mod config;
mod duties_cmd;
mod logs_cmd;
mod receipts_cmd;
mod replicate_cmd;
mod scan_cmd;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use vigilo_core::{OrgName, Role, ScopeSet};
use vigilo_store::crypto::Key;
use vigilo_store::{Actor, NewToken, OrgStatus, Store, StoreOptions};

use crate::config::{Resolved, ServeArgs, StoreArgs};

#[derive(Debug, Parser)]
#[command(
    name = "vigilo",
    version,
    about = "Vulnerability and threat information-sharing hub"
)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    /// Log format on stderr.
    #[arg(long, value_enum, env = "VIGILO_LOG_FORMAT", global = true)]
    log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `vigilo_hub=debug`.
    #[arg(long, env = "VIGILO_LOG", global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the hub's HTTP server.
    Serve(ServeArgs),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCmd),
    /// Manage users.
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Verify or export the audit chain.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Manage encryption keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Import and show advisories (OSV).
    #[command(subcommand)]
    Advisories(AdvisoriesCmd),
    /// Find every component on a host (SBOMs, lockfiles, installed
    /// packages, Java archives nested and shaded) and what is vulnerable.
    Scan(Box<scan_cmd::ScanArgs>),
    /// Find exploitation attempts in logs (Log4Shell and its obfuscations,
    /// Commons Text, Spring4Shell), with the indicators they carry.
    Logs(Box<logs_cmd::LogsArgs>),
    /// Reporting duties: who must be told what, by when (rule packs under
    /// rules/, built in).
    #[command(subcommand)]
    Duties(duties_cmd::DutiesCmd),
    /// Cases on a hub: open, record facts and submissions, see duties.
    #[command(subcommand)]
    Case(case_cmd::CaseCmd),
    /// Signed receipts of submitted reports.
    #[command(subcommand)]
    Receipts(receipts_cmd::ReceiptsCmd),
    /// Match an inventory (vigilo JSON or CycloneDX) against advisories, offline.
    Match {
        /// OSV files, folders or zip archives (e.g. a `--local` cache).
        /// Repeat for several: `--advisories a --advisories b.zip`.
        #[arg(long, required = true)]
        advisories: Vec<PathBuf>,
        /// The inventory file.
        inventory: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
        /// Exit 1 when anything matches.
        #[arg(long)]
        fail_on_match: bool,
    },
    /// Compare and sort versions the way an ecosystem does.
    #[command(subcommand)]
    Versions(VersionsCmd),
    /// Keep a copy of an organisation's own data from the hub it works on,
    /// sealed in this hub's database (GET /api/replica reads it back).
    Replicate(replicate_cmd::ReplicateArgs),
    /// Export everything an organisation owns (JSON Lines), decrypted.
    Export {
        /// Organisation name or id.
        #[arg(long)]
        org: String,
        /// Output folder (must not exist, or be empty).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AdvisoriesCmd {
    /// Import OSV records (JSON or YAML files, folders, zip archives).
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Write into this local cache folder instead of the hub database.
        #[arg(long)]
        local: Option<PathBuf>,
        /// Import as this organisation's own advisories (default: public).
        #[arg(long, conflicts_with = "local")]
        org: Option<String>,
    },
    /// Convert OSV records to CSAF 2.0 documents, a STIX 2.1 bundle, or OSV JSON (offline).
    Convert(advisories_cmd::ConvertArgs),
    /// Print one advisory (by id or alias) as OSV JSON.
    Show {
        id: String,
        /// Read from this local cache folder instead of the hub database.
        #[arg(long)]
        local: Option<PathBuf>,
        /// Also look among this organisation's own advisories (default: public only).
        #[arg(long, conflicts_with = "local")]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum VersionsCmd {
    /// Compare two versions: prints `A < B`, `A = B` or `A > B`.
    Compare {
        /// OSV ecosystem name: PyPI, npm, Maven, Debian, RubyGems, Go, crates.io, NuGet, …
        #[arg(long)]
        ecosystem: String,
        a: String,
        b: String,
    },
    /// Sort versions read one per line on standard input, ascending.
    Sort {
        #[arg(long)]
        ecosystem: String,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCmd {
    /// Create an organisation.
    Create {
        name: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List organisations.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// Disable an organisation: its tokens stop working.
    Disable { org: String },
    /// Re-enable a disabled organisation.
    Enable { org: String },
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create a user (or add an existing one) in an organisation. The password
    /// is read from VIGILO_PASSWORD or the first line of standard input.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long, default_value = "analyst")]
        role: Role,
        /// Create the user without a password (token-only).
        #[arg(long)]
        no_password: bool,
    },
    /// List an organisation's members.
    List {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create an API token; its secret is printed once.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long, default_value = "cli token")]
        name: String,
        #[arg(long, default_value = "reader")]
        role: Role,
        /// Space- or comma-separated scopes (default: all the role allows).
        #[arg(long)]
        scopes: Option<ScopeSet>,
        /// Days until expiry; 0 for none.
        #[arg(long, default_value_t = 90)]
        expires_in_days: u32,
        /// Bind to a member (user id).
        #[arg(long)]
        user: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// List an organisation's tokens.
    List {
        #[arg(long)]
        org: String,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// Revoke a token by id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
enum AuditCmd {
    /// Walk the chain and its signed checkpoints; exit 1 at the first broken link.
    Verify {
        /// Verify checkpoints under this ed25519 public key (64 hex digits)
        /// instead of the hub's own.
        #[arg(long)]
        public_key: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutFormat,
    },
    /// Write the chain as JSON Lines.
    Export {
        /// Only this organisation's events.
        #[arg(long)]
        org: Option<String>,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign a checkpoint of the chain's current head now.
    Checkpoint,
}

#[derive(Debug, Subcommand)]
enum KeysCmd {
    /// Re-wrap every data key under a new key-encryption key. With a key
    /// file, the new key replaces it; with VIGILO_KEK, the new key is printed
    /// (or read from --new-kek-file).
    Rotate {
        /// Take the new KEK from this file instead of generating one.
        #[arg(long)]
        new_kek_file: Option<PathBuf>,
    },
    /// Show the fingerprint of the KEK in use and the hub's signing key.
    Show,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutFormat {
    Table,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(cli: &Cli, file: &config::FileConfig) {
    use tracing_subscriber::EnvFilter;
    let level = cli
        .log_level
        .clone()
        .or_else(|| file.log_level.clone())
        .unwrap_or_else(|| "info".into());
    let filter = EnvFilter::try_new(&level).unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match cli.log_format {
        Some(f) => matches!(f, LogFormat::Json),
        None => file.log_format.as_deref() == Some("json"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let resolved = cli.store.resolve()?;
    init_logging(&cli, &resolved.file);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(dispatch(cli, resolved))
}

pub(crate) async fn open(resolved: &Resolved, max_connections: Option<u32>) -> Result<Store> {
    let mut opts = StoreOptions::new(resolved.database.clone(), resolved.kek.clone());
    if let Some(n) = max_connections {
        opts.max_connections = n.max(1);
    }
    Store::open(&opts).await.with_context(|| {
        format!(
            "opening the database {}",
            vigilo_store::redact_url(&resolved.database)
        )
    })
}

fn out() -> std::io::StdoutLock<'static> {
    std::io::stdout().lock()
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut o = out();
    serde_json::to_writer_pretty(&mut o, value)?;
    writeln!(o)?;
    Ok(())
}

fn ts(micros: i64) -> String {
    vigilo_store::micros_to_rfc3339(micros)
}

async fn dispatch(cli: Cli, resolved: Resolved) -> Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(args, &resolved).await,
        Command::Scan(args) => scan_cmd::scan(*args).await,
        Command::Logs(args) => logs_cmd::logs(*args).await,
        Command::Duties(cmd) => duties_cmd::run(cmd).await,
        Command::Case(cmd) => case_cmd::run(cmd).await,
        Command::Receipts(cmd) => receipts_cmd::run(cmd),
        Command::Org(cmd) => org(cmd, &resolved).await,
        Command::User(cmd) => user(cmd, &resolved).await,
        Command::Token(cmd) => token(cmd, &resolved).await,
        Command::Audit(cmd) => audit(cmd, &resolved).await,
        Command::Keys(cmd) => keys(cmd, &resolved).await,
        Command::Advisories(AdvisoriesCmd::Import { paths, local, org }) => {
            advisories_cmd::import(&resolved, &paths, local, org).await
        }
        Command::Advisories(AdvisoriesCmd::Convert(args)) => advisories_cmd::convert(&args),
        Command::Advisories(AdvisoriesCmd::Show { id, local, org }) => {
            advisories_cmd::show(&resolved, &id, local, org).await
        }
        Command::Match {
            advisories,
            inventory,
            format,
            fail_on_match,
        } => advisories_cmd::match_inventory(&advisories, &inventory, format, fail_on_match),
        Command::Versions(VersionsCmd::Compare { ecosystem, a, b }) => {
            advisories_cmd::compare(&ecosystem, &a, &b)
        }
        Command::Versions(VersionsCmd::Sort { ecosystem }) => advisories_cmd::sort(&ecosystem),
        Command::Replicate(args) => {
            let store = open(&resolved, None).await?;
            replicate_cmd::run(store, args).await
        }
        Command::Export { org, out: dir } => {
            let store = open(&resolved, None).await?;
            let manifest = store
                .export_org(&Actor::cli(), &org, &dir)
                .await
                .with_context(|| format!("exporting {org} to {}", dir.display()))?;
            let mut o = out();
            for (name, f) in &manifest.files {
                writeln!(o, "{name}: {} records, sha256 {}", f.records, f.sha256)?;
            }
            writeln!(o, "exported {} to {}", manifest.org_name, dir.display())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(args: ServeArgs, resolved: &Resolved) -> Result<ExitCode> {
    let config = args.hub_config(&resolved.file);
    let store = open(
        resolved,
        args.db_max_connections.or(resolved.file.db_max_connections),
    )
    .await?;
    if let Some((info, secret)) = store.bootstrap().await.context("bootstrapping the hub")? {
        let mut err = std::io::stderr().lock();
        writeln!(
            err,
            "\nFirst start: created the operator organisation `hub` and an admin API token.\n\
             It is shown once; store it now:\n\n    {secret}\n\n\
             (token id {}; use it as `Authorization: Bearer <token>`)\n",
            info.id
        )?;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    vigilo_hub::serve(store, config, listener)
        .await
        .context("serving HTTP")?;
    Ok(ExitCode::SUCCESS)
}

async fn org(cmd: OrgCmd, resolved: &Resolved) -> Result<ExitCode> {
    let store = open(resolved, None).await?;
    let actor = Actor::cli();
    match cmd {
        OrgCmd::Create { name, display_name } => {
            let parsed = OrgName::parse(&name)?;
            let org = store
                .create_org(
                    &actor,
                    &parsed,
                    display_name.as_deref().unwrap_or(&name),
                    false,
                )
                .await?;
            writeln!(out(), "created organisation {} ({})", org.name, org.id)?;
        }
        OrgCmd::List { format } => {
            let orgs = store.list_orgs().await?;
            if format == OutFormat::Json {
                print_json(&orgs)?;
            } else {
                let mut o = out();
                writeln!(
                    o,
                    "{:<24} {:<38} {:<9} {:<8} DISPLAY NAME",
                    "NAME", "ID", "STATUS", "OPERATOR"
                )?;
                for org in orgs {
                    writeln!(
                        o,
                        "{:<24} {:<38} {:<9} {:<8} {}",
                        org.name,
                        org.id,
                        org.status.as_str(),
                        if org.is_operator { "yes" } else { "" },
                        org.display_name
                    )?;
                }
            }
        }
        OrgCmd::Disable { org } => {
            let o = store.find_org(&org).await?;
            store
                .set_org_status(&actor, &o.id, OrgStatus::Disabled)
                .await?;
            writeln!(out(), "disabled {}", o.name)?;
        }
        OrgCmd::Enable { org } => {
            let o = store.find_org(&org).await?;
            store
                .set_org_status(&actor, &o.id, OrgStatus::Active)
                .await?;
            writeln!(out(), "enabled {}", o.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("VIGILO_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        bail!(
            "no password given: set VIGILO_PASSWORD or pipe it on standard input (or pass --no-password)"
        );
    }
    Ok(p)
}

async fn user(cmd: UserCmd, resolved: &Resolved) -> Result<ExitCode> {
    let store = open(resolved, None).await?;
    match cmd {
        UserCmd::Create {
            org,
            email,
            display_name,
            role,
            no_password,
        } => {
            let o = store.find_org(&org).await?;
            let password = if no_password {
                None
            } else {
                Some(read_password()?)
            };
            let m = store
                .create_user(
                    &Actor::cli(),
                    &o.id,
                    &email,
                    display_name.as_deref().unwrap_or(&email),
                    password,
                    role,
                )
                .await?;
            writeln!(
                out(),
                "user {} ({}) is {} of {}",
                m.user.email,
                m.user.id,
                m.role,
                o.name
            )?;
        }
        UserCmd::List { org, format } => {
            let o = store.find_org(&org).await?;
            let members = store.list_members(&o.id).await?;
            if format == OutFormat::Json {
                print_json(&members)?;
            } else {
                let mut w = out();
                writeln!(w, "{:<32} {:<38} {:<9} DISABLED", "EMAIL", "ID", "ROLE")?;
                for m in members {
                    writeln!(
                        w,
                        "{:<32} {:<38} {:<9} {}",
                        m.user.email,
                        m.user.id,
                        m.role,
                        if m.user.disabled { "yes" } else { "" }
                    )?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn token(cmd: TokenCmd, resolved: &Resolved) -> Result<ExitCode> {
    let store = open(resolved, None).await?;
    match cmd {
        TokenCmd::Create {
            org,
            name,
            role,
            scopes,
            expires_in_days,
            user,
            format,
        } => {
            let o = store.find_org(&org).await?;
            let expires_at = (expires_in_days > 0)
                .then(|| vigilo_store::now_micros() + i64::from(expires_in_days) * 86_400_000_000);
            let (info, secret) = store
                .create_token(
                    &Actor::cli(),
                    &NewToken {
                        org_id: o.id.clone(),
                        user_id: user,
                        name,
                        role,
                        scopes: scopes.unwrap_or_else(|| role.allowed_scopes()),
                        expires_at,
                    },
                )
                .await?;
            if format == OutFormat::Json {
                print_json(&serde_json::json!({
                    "id": info.id, "token": secret, "org": o.name, "role": info.role.as_str(),
                    "scopes": info.scopes.to_string(), "expires_at": info.expires_at.map(ts),
                }))?;
            } else {
                let mut w = out();
                writeln!(w, "{secret}")?;
                let mut e = std::io::stderr().lock();
                writeln!(
                    e,
                    "token {} for {} (role {}, scopes {}, expires {}); the secret above is shown once",
                    info.id,
                    o.name,
                    info.role,
                    info.scopes,
                    info.expires_at.map_or_else(|| "never".to_owned(), ts)
                )?;
            }
        }
        TokenCmd::List { org, format } => {
            let o = store.find_org(&org).await?;
            let tokens = store.list_tokens(&o.id).await?;
            if format == OutFormat::Json {
                print_json(&tokens)?;
            } else {
                let mut w = out();
                writeln!(
                    w,
                    "{:<38} {:<20} {:<9} {:<24} {:<22} STATE",
                    "ID", "NAME", "ROLE", "SCOPES", "EXPIRES"
                )?;
                let now = vigilo_store::now_micros();
                for t in tokens {
                    let state = if t.revoked_at.is_some() {
                        "revoked"
                    } else if t.expires_at.is_some_and(|e| e <= now) {
                        "expired"
                    } else {
                        "active"
                    };
                    writeln!(
                        w,
                        "{:<38} {:<20} {:<9} {:<24} {:<22} {state}",
                        t.id,
                        t.name,
                        t.role,
                        t.scopes.to_string(),
                        t.expires_at.map_or_else(|| "never".to_owned(), ts),
                    )?;
                }
            }
        }
        TokenCmd::Revoke { id } => {
            let t = store.revoke_token(&Actor::cli(), None, &id).await?;
            writeln!(out(), "revoked token {} ({})", t.id, t.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn audit(cmd: AuditCmd, resolved: &Resolved) -> Result<ExitCode> {
    let store = open(resolved, None).await?;
    match cmd {
        AuditCmd::Verify { public_key, format } => {
            let key = match public_key {
                Some(hex_key) => {
                    let bytes: [u8; 32] = hex::decode(hex_key.trim())
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .context("--public-key must be 64 hex digits")?;
                    Some(
                        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                            .context("--public-key is not a valid ed25519 key")?,
                    )
                }
                None => None,
            };
            let report = store.verify_audit(key).await?;
            if format == OutFormat::Json {
                print_json(&serde_json::json!({
                    "ok": report.broken.is_none(),
                    "entries": report.entries,
                    "checkpoints": report.checkpoints,
                    "key_id": report.key_id,
                    "broken": report.broken.as_ref().map(|b| b.to_string()),
                }))?;
            } else if let Some(b) = &report.broken {
                writeln!(
                    out(),
                    "audit chain BROKEN after {} good entries: {b}",
                    report.entries
                )?;
            } else {
                writeln!(
                    out(),
                    "audit chain intact: {} entries, {} signed checkpoints (hub key {})",
                    report.entries,
                    report.checkpoints,
                    report.key_id
                )?;
            }
            Ok(if report.broken.is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        AuditCmd::Export { org, out: path } => {
            let org_id = match org {
                Some(o) => Some(store.find_org(&o).await?.id),
                None => None,
            };
            let mut sink: Box<dyn std::io::Write> = match &path {
                Some(p) => Box::new(std::io::BufWriter::new(fs_err::File::create(p)?)),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            store
                .record(
                    &Actor::cli(),
                    org_id.as_deref(),
                    "audit.export",
                    "audit",
                    None,
                )
                .await?;
            let mut after = 0;
            let mut n = 0usize;
            loop {
                let page = store.audit_events(org_id.as_deref(), after, 5000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                for e in &page {
                    serde_json::to_writer(&mut sink, e)?;
                    sink.write_all(b"\n")?;
                    n += 1;
                }
            }
            sink.flush()?;
            let mut e = std::io::stderr().lock();
            writeln!(e, "exported {n} audit events")?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCmd::Checkpoint => {
            match store.checkpoint().await? {
                Some(seq) => writeln!(out(), "signed a checkpoint at entry {seq}")?,
                None => writeln!(out(), "the head is already checkpointed")?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn keys(cmd: KeysCmd, resolved: &Resolved) -> Result<ExitCode> {
    let store = open(resolved, None).await?;
    match cmd {
        KeysCmd::Show => {
            let vk = store.verifying_key();
            let mut w = out();
            writeln!(
                w,
                "key-encryption key fingerprint: {}",
                store.kek_fingerprint()
            )?;
            writeln!(
                w,
                "hub signing key: {} (id {})",
                hex::encode(vk.as_bytes()),
                vigilo_store::audit::key_id(&vk)
            )?;
        }
        KeysCmd::Rotate { new_kek_file } => {
            let new = match &new_kek_file {
                Some(p) => Key::parse_text(&fs_err::read_to_string(p)?).with_context(|| {
                    format!("{}: not a KEK (expected 64 hex digits)", p.display())
                })?,
                None => Key::generate(),
            };
            let n = store
                .rotate_kek(&Actor::cli(), &new, resolved.kek_file.as_deref())
                .await
                .context("rotating the key-encryption key")?;
            let mut w = out();
            writeln!(
                w,
                "re-wrapped {n} keys under the new KEK (fingerprint {})",
                new.fingerprint()
            )?;
            match &resolved.kek_file {
                Some(p) => writeln!(w, "the new KEK replaced {}", p.display())?,
                None if new_kek_file.is_none() => writeln!(
                    w,
                    "set VIGILO_KEK to the new key before the next start:\n{}",
                    new.to_text().as_str()
                )?,
                None => writeln!(w, "set VIGILO_KEK to the new key before the next start")?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
