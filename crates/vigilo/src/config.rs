//! Configuration: flags > `VIGILO_*` environment > `vigilo.toml` > defaults.
//!
//! clap fills each option from its flag or, failing that, its environment
//! variable; what neither gives comes from the TOML file, then the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::Args;
use serde::Deserialize;
use vigilo_store::crypto::KekSource;

/// Options shared by every command that opens the database.
#[derive(Debug, Clone, Args, Default)]
pub struct StoreArgs {
    /// Configuration file (TOML). Default: ./vigilo.toml if it exists.
    #[arg(long, env = "VIGILO_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Data folder: the SQLite database and the key file live here.
    #[arg(long, env = "VIGILO_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER:PASS@HOST/DB.
    /// Default: SQLite in the data folder.
    #[arg(long, env = "VIGILO_DATABASE", global = true)]
    pub database: Option<String>,
    /// File holding the key-encryption key. Default: DATA_DIR/keys/kek.
    #[arg(long, env = "VIGILO_KEK_FILE", global = true)]
    pub kek_file: Option<PathBuf>,
    /// The key-encryption key itself (64 hex digits); takes precedence over --kek-file.
    #[arg(
        long = "kek",
        env = "VIGILO_KEK",
        global = true,
        hide_env_values = true
    )]
    pub kek: Option<String>,
}

/// Options of `vigilo serve`.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VIGILO_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "VIGILO_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Milliseconds a validated token is trusted without a database lookup (the revocation delay across processes).
    #[arg(long, env = "VIGILO_TOKEN_CACHE_TTL_MS")]
    pub token_cache_ttl_ms: Option<u64>,
    /// Seconds between signed audit checkpoints.
    #[arg(long, env = "VIGILO_CHECKPOINT_INTERVAL")]
    pub checkpoint_interval: Option<u64>,
    /// Seconds to wait for in-flight requests at shutdown.
    #[arg(long, env = "VIGILO_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<u64>,
    /// Database connections in the pool.
    #[arg(long, env = "VIGILO_DB_MAX_CONNECTIONS")]
    pub db_max_connections: Option<u32>,
    /// Seconds between pulls of partners' TAXII collections.
    #[arg(long, env = "VIGILO_SYNC_INTERVAL")]
    pub sync_interval: Option<u64>,
    /// The hub's public base URL (https://hub.example.org): the issuer its signed receipts name.
    #[arg(long, env = "VIGILO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds between the job runner's rounds (webhook reminders, overdue alerts, retries).
    #[arg(long, env = "VIGILO_JOB_POLL_INTERVAL")]
    pub job_poll_interval: Option<u64>,
    /// Let webhook URLs name loopback, private and other non-public addresses (default: refused, against SSRF).
    #[arg(long, env = "VIGILO_WEBHOOK_ALLOW_PRIVATE", num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: Option<bool>,
}

/// The TOML file's schema; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub kek_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub body_limit: Option<usize>,
    pub token_cache_ttl_ms: Option<u64>,
    pub checkpoint_interval: Option<u64>,
    pub shutdown_grace: Option<u64>,
    pub db_max_connections: Option<u32>,
    pub public_url: Option<String>,
    pub sync_interval: Option<u64>,
    pub job_poll_interval: Option<u64>,
    pub webhook_allow_private: Option<bool>,
    pub log_format: Option<String>,
    pub log_level: Option<String>,
}

impl FileConfig {
    pub fn load(explicit: Option<&Path>) -> Result<FileConfig> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("vigilo.toml"), false),
        };
        let text = match fs_err::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(FileConfig::default());
            }
            Err(e) => return Err(e).context("reading the configuration file"),
        };
        toml::from_str(&text).with_context(|| format!("{}: invalid configuration", path.display()))
    }
}

/// Everything needed to open the store, resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub database: String,
    pub kek: KekSource,
    pub kek_file: Option<PathBuf>,
    pub file: std::sync::Arc<FileConfig>,
}

impl StoreArgs {
    pub fn resolve(&self) -> Result<Resolved> {
        let file = FileConfig::load(self.config.as_deref())?;
        let data_dir = self
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("vigilo-data"));
        let database = self
            .database
            .clone()
            .or_else(|| file.database.clone())
            .unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    vigilo_store::default_db_path(&data_dir).display()
                )
            });
        let kek_file = self
            .kek_file
            .clone()
            .or_else(|| file.kek_file.clone())
            .unwrap_or_else(|| vigilo_store::default_kek_path(&data_dir));
        let (kek, kek_file) = match &self.kek {
            Some(text) => (KekSource::Inline(text.clone()), None),
            None => (KekSource::File(kek_file.clone()), Some(kek_file)),
        };
        Ok(Resolved {
            database,
            kek,
            kek_file,
            file: std::sync::Arc::new(file),
        })
    }
}

impl ServeArgs {
    pub fn hub_config(&self, file: &FileConfig) -> vigilo_hub::HubConfig {
        let d = vigilo_hub::HubConfig::default();
        vigilo_hub::HubConfig {
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            body_limit: self.body_limit.or(file.body_limit).unwrap_or(d.body_limit),
            token_cache_ttl: self
                .token_cache_ttl_ms
                .or(file.token_cache_ttl_ms)
                .map_or(d.token_cache_ttl, Duration::from_millis),
            checkpoint_interval: self
                .checkpoint_interval
                .or(file.checkpoint_interval)
                .map_or(d.checkpoint_interval, |s| Duration::from_secs(s.max(1))),
            shutdown_grace: self
                .shutdown_grace
                .or(file.shutdown_grace)
                .map_or(d.shutdown_grace, Duration::from_secs),
            public_url: self.public_url.clone().or_else(|| file.public_url.clone()),
            sync_interval: self
                .sync_interval
                .or(file.sync_interval)
                .map_or(d.sync_interval, |s| Duration::from_secs(s.max(1))),
            job_poll_interval: self
                .job_poll_interval
                .or(file.job_poll_interval)
                .map_or(d.job_poll_interval, |s| Duration::from_secs(s.max(1))),
            webhook_allow_private: self
                .webhook_allow_private
                .or(file.webhook_allow_private)
                .unwrap_or(d.webhook_allow_private),
        }
    }
}
