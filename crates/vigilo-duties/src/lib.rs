//! Reporting obligations as data, and deadlines computed from them.
//!
//! A [`Rules`] set holds the rule packs (one per instrument: who is bound,
//! which fact starts which clock, the stages with their deadline formulas
//! and recipients) and the holiday calendars, loaded from `rules/`
//! (`packs/*.yaml`, `calendars/*.yaml`), each validated against its JSON
//! Schema and cross-checked before use. [`compute`] takes an organisation's
//! [`Profile`] and a case's [`Facts`] (timestamped events with provenance,
//! flags, submissions) and returns every [`Duty`]: recipient, stage, due
//! instant, status, and the arithmetic that produced it (`explain`).
//!
//! Counting modes: `exact` (elapsed time), `civil` (calendar arithmetic in
//! a named zone: days, months clamped at month ends, across DST), and
//! `business` (business days in a calendar, with make-up working days, a
//! cut-off time, and a refusal when the calendar ends too early). Terms
//! combine with `min`/`max`; stages may be anchored on another stage's
//! submission; a stage whose anchor has not happened is *pending trigger*;
//! soft deadlines ("without undue delay") are targets, never breaches.
//!
//! **Absent:** IO beyond reading the rule files, the database, HTTP.
#![forbid(unsafe_code)]

mod engine;
pub mod model;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use engine::{
    Computation, ConflictFlag, Disclosure, Duty, DutyStatus, Violation, check_disclosure, compute,
    stage_due,
};
pub use engine::{
    is_business_day as engine_is_business_day, nth_business_day as engine_nth_business_day,
};
pub use model::{Calendar, Condition, Event, Facts, Profile, RulePack, Submission};

/// Everything that can go wrong, naming the file, the rule or the fact.
#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid YAML: {message}")]
    Yaml { path: PathBuf, message: String },
    #[error("{path}: {pointer}: {message}")]
    Schema {
        path: PathBuf,
        pointer: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("rule {rule}: {message}")]
    Rule { rule: String, message: String },
    #[error("facts: {0}")]
    Facts(String),
    #[error("profile: {0}")]
    Profile(String),
    /// A calendar ends (or starts) before the deadline needs it: the
    /// engine refuses rather than guess.
    #[error("{detail}: refusing to compute")]
    CalendarRange { detail: String },
}

const PACK_SCHEMA: &str = "rule-pack.schema.json";
const CALENDAR_SCHEMA: &str = "calendar.schema.json";

/// The rule packs and calendars, validated and cross-checked.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub packs: Vec<RulePack>,
    pub calendars: BTreeMap<String, Calendar>,
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A rules folder as (relative path, text) pairs: read from disk, or the
/// copy embedded at build time.
struct Source {
    root: PathBuf,
    files: Vec<(String, String)>,
}

impl Source {
    fn dir(dir: &Path) -> Result<Source, DutyError> {
        let mut files = Vec::new();
        for sub in ["", "packs", "calendars"] {
            let d = dir.join(sub);
            let rd = std::fs::read_dir(&d).map_err(|source| DutyError::Io {
                path: d.clone(),
                source,
            })?;
            let mut names = Vec::new();
            for entry in rd {
                let entry = entry.map_err(|source| DutyError::Io {
                    path: d.clone(),
                    source,
                })?;
                names.push(entry.path());
            }
            names.sort();
            for p in names {
                if p.extension().is_some_and(|e| e == "yaml" || e == "json") && p.is_file() {
                    let text = std::fs::read_to_string(&p).map_err(|source| DutyError::Io {
                        path: p.clone(),
                        source,
                    })?;
                    let rel = p
                        .strip_prefix(dir)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned();
                    files.push((rel, text));
                }
            }
        }
        Ok(Source {
            root: dir.to_owned(),
            files,
        })
    }

    fn embedded() -> Source {
        Source {
            root: PathBuf::from("rules"),
            files: embedded::FILES
                .iter()
                .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
                .collect(),
        }
    }

    fn get(&self, rel: &str) -> Result<&str, DutyError> {
        self.files
            .iter()
            .find(|(p, _)| p == rel)
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| DutyError::Io {
                path: self.root.join(rel),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
    }

    fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.files
            .iter()
            .filter(move |(p, _)| p.starts_with(prefix) && p.ends_with(".yaml"))
            .map(|(p, t)| (p.as_str(), t.as_str()))
    }
}

fn schema(src: &Source, name: &str) -> Result<jsonschema::Validator, DutyError> {
    let path = src.root.join(name);
    let json: serde_json::Value =
        serde_json::from_str(src.get(name)?).map_err(|e| DutyError::Invalid {
            path: path.clone(),
            message: e.to_string(),
        })?;
    jsonschema::validator_for(&json).map_err(|e| DutyError::Invalid {
        path,
        message: e.to_string(),
    })
}

fn load_one<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    validator: &jsonschema::Validator,
) -> Result<T, DutyError> {
    let value: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|e| DutyError::Yaml {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if let Some(err) = validator.iter_errors(&value).next() {
        return Err(DutyError::Schema {
            path: path.to_owned(),
            pointer: err.instance_path.to_string(),
            message: err.to_string(),
        });
    }
    serde_json::from_value(value).map_err(|e| DutyError::Invalid {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

impl Rules {
    /// Loads `dir/packs/*.yaml` and `dir/calendars/*.yaml`, validating each
    /// against `dir/*.schema.json`, then cross-checks them: ids unique and
    /// equal to the file name, anchors and calendars that stages use exist,
    /// time zones exist, calendar ranges are ordered.
    pub fn load_dir(dir: &Path) -> Result<Rules, DutyError> {
        Rules::load(&Source::dir(dir)?)
    }

    /// The rules embedded in the binary at build time (the repository's
    /// `rules/` folder), validated the same way.
    pub fn embedded() -> Result<Rules, DutyError> {
        Rules::load(&Source::embedded())
    }

    fn load(src: &Source) -> Result<Rules, DutyError> {
        let pack_schema = schema(src, PACK_SCHEMA)?;
        let cal_schema = schema(src, CALENDAR_SCHEMA)?;
        let mut rules = Rules::default();
        for (rel, text) in src.under("calendars/") {
            let path = src.root.join(rel);
            let cal: Calendar = load_one(&path, text, &cal_schema)?;
            check_file_name(&path, &cal.id)?;
            engine::check_calendar(&cal).map_err(|message| DutyError::Invalid {
                path: path.clone(),
                message,
            })?;
            if rules.calendars.insert(cal.id.clone(), cal).is_some() {
                return Err(DutyError::Invalid {
                    path,
                    message: "a calendar with this id is already loaded".into(),
                });
            }
        }
        let mut ids = BTreeSet::new();
        for (rel, text) in src.under("packs/") {
            let path = src.root.join(rel);
            let pack: RulePack = load_one(&path, text, &pack_schema)?;
            check_file_name(&path, &pack.id)?;
            if !ids.insert(pack.id.clone()) {
                return Err(DutyError::Invalid {
                    path,
                    message: format!("rule id {} is used twice", pack.id),
                });
            }
            engine::check_pack(&pack, &rules.calendars).map_err(|message| DutyError::Invalid {
                path: path.clone(),
                message,
            })?;
            rules.packs.push(pack);
        }
        Ok(rules)
    }

    pub fn pack(&self, id: &str) -> Option<&RulePack> {
        self.packs.iter().find(|p| p.id == id)
    }
}

fn check_file_name(path: &Path, id: &str) -> Result<(), DutyError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if stem != id {
        return Err(DutyError::Invalid {
            path: path.to_owned(),
            message: format!("the id {id} does not match the file name"),
        });
    }
    Ok(())
}
