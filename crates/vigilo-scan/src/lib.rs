//! Turning a filesystem into an inventory: every component, with the
//! evidence of where it lives and how it was identified.
//!
//! [`scan`] walks the given roots in parallel (ripgrep's `ignore` walker:
//! exclude globs, `--one-file-system`, symlink loops detected when links are
//! followed) and reads, per file:
//!
//! - lockfiles, manifests, installed-package metadata and SBOMs (the kinds
//!   of [`vigilo_formats::manifest::Kind`]; `.json`/`.xml` files under any
//!   name are sniffed for SBOMs);
//! - archives (JAR/WAR/EAR/ZIP/wheel, tar, tar.gz), recursively, nested
//!   members read from memory ([`archive`]), Java archives identified by
//!   `pom.properties`, `MANIFEST.MF`, file name and the Log4j class
//!   fingerprints of [`log4j`].
//!
//! Problems (unreadable files, corrupt or hostile archives, files changing
//! during the scan) become [`Diagnostic`]s with stable codes; the scan
//! always goes on. Memory is bounded by [`Limits`]: a file is never loaded
//! whole unless it is a manifest under `max_manifest_bytes` or a nested
//! archive under `max_in_memory`.
//!
//! **Absent:** the database, HTTP, and advisory matching beyond
//! [`findings`] (which takes a [`vigilo_core::matching::MatchIndex`]).
#![forbid(unsafe_code)]

pub mod archive;
pub mod builtin;
pub mod findings;
pub mod java;
pub mod log4j;
mod walk;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use vigilo_core::inventory::{Evidence, Found, Method};
use vigilo_core::package::Component;
use vigilo_formats::manifest::{self, Kind};
use vigilo_formats::{Diagnostic, DiagnosticCode, Severity};

pub use walk::pseudo_filesystems;

/// Bounds on what one file may cost.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Archives inside archives, at most this deep.
    pub max_depth: u32,
    /// Entries read per archive.
    pub max_entries: u64,
    /// A nested archive larger than this is streamed, not held in memory.
    pub max_in_memory: u64,
    /// A lockfile, manifest or SBOM larger than this is skipped.
    pub max_manifest_bytes: u64,
    /// Expansion ratio (expanded ÷ compressed) that marks a bomb…
    pub max_ratio: u64,
    /// …once a member expands past this many bytes.
    pub bomb_floor: u64,
    /// Bytes expanded from archive members per top-level file.
    pub max_expanded_bytes: u64,
    /// Bytes of nested archives held in memory at once by all workers
    /// together (one larger than this is held alone).
    pub memory_budget: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 8,
            max_entries: 1_000_000,
            max_in_memory: 256 << 20,
            max_manifest_bytes: 128 << 20,
            max_ratio: 200,
            bomb_floor: 16 << 20,
            max_expanded_bytes: 16 << 30,
            memory_budget: 128 << 20,
        }
    }
}

/// How to walk.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Glob patterns (gitignore syntax) of paths to leave out.
    pub excludes: Vec<String>,
    /// Stay on the filesystem of each root.
    pub one_file_system: bool,
    /// Follow symbolic links (loops are detected and reported).
    pub follow_symlinks: bool,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    pub limits: Limits,
}

/// Live counters, for a progress display.
#[derive(Debug, Default)]
pub struct Progress {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub components: AtomicU64,
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Output {
    /// Sorted by evidence path, then name.
    pub components: Vec<Found>,
    /// Sorted by path.
    pub diagnostics: Vec<Diagnostic>,
    pub files: u64,
    pub bytes: u64,
    pub archives: u64,
}

/// Why a scan could not start.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("exclude pattern {pattern:?}: {message}")]
    Exclude { pattern: String, message: String },
    #[error("{path}: {source}")]
    Root {
        path: String,
        source: std::io::Error,
    },
}

/// Scans the roots.
pub fn scan(
    roots: &[PathBuf],
    options: &Options,
    progress: &Progress,
) -> Result<Output, ScanError> {
    walk::walk(roots, options, progress)
}

/// Scans one file as the walker would (for callers with a single file).
pub fn scan_path(path: &Path, options: &Options, progress: &Progress) -> Output {
    let mut sink = Sink::default();
    let budget = archive::Budget::new(options.limits.memory_budget);
    let archives = scan_file(
        path,
        &path.to_string_lossy(),
        options,
        &budget,
        progress,
        &mut sink,
    );
    let mut out = Output {
        files: 1,
        archives,
        ..Output::default()
    };
    sink.drain_into(&mut out);
    out.finish();
    out
}

/// Scans an archive held in memory (`name` picks the kind by its
/// extension: `.jar`, `.tar.gz`…). For callers that have the bytes already,
/// and for fuzzing. Anything not an archive gives an empty output.
pub fn scan_archive_bytes(name: &str, bytes: Vec<u8>, limits: &Limits) -> Output {
    let mut sink = Sink::default();
    let mut out = Output::default();
    if let Some(kind) = archive::archive_kind(name) {
        let budget = archive::Budget::new(limits.memory_budget);
        let mut rd = archive::Reader {
            limits,
            budget: &budget,
            holding: false,
            expanded: 0,
            archives: 0,
            exhausted: false,
        };
        archive::scan_bytes(&mut rd, kind, bytes, name, 0, &mut sink);
        out.archives = rd.archives;
    }
    sink.drain_into(&mut out);
    out.finish();
    out
}

impl Output {
    fn finish(&mut self) {
        self.components.sort_by(|a, b| {
            (&a.evidence.path, &a.component.name, &a.component.version).cmp(&(
                &b.evidence.path,
                &b.component.name,
                &b.component.version,
            ))
        });
        self.components.dedup();
        self.diagnostics
            .sort_by(|a, b| (&a.path, &a.pointer).cmp(&(&b.path, &b.pointer)));
    }
}

/// Per-file results, merged into the output once the file is done.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub found: Vec<Found>,
    pub diags: Vec<Diagnostic>,
}

impl Sink {
    pub fn diag(&mut self, code: DiagnosticCode, path: &str, message: String) {
        self.diags.push(Diagnostic {
            code,
            severity: Severity::Error,
            path: path.to_owned(),
            record: None,
            pointer: String::new(),
            message,
        });
    }

    pub fn push(&mut self, found: Found) {
        self.found.push(found);
    }

    /// Sets the SHA-256 of the components found since `before` whose
    /// evidence is `chain` itself.
    pub fn fill_sha256(&mut self, before: usize, chain: &str, digest: impl FnOnce() -> String) {
        let mut digest = Some(digest);
        let mut value: Option<String> = None;
        for f in self.found.iter_mut().skip(before) {
            if f.evidence.path == chain && f.evidence.sha256.is_none() {
                if value.is_none() {
                    value = digest.take().map(|d| d());
                }
                f.evidence.sha256.clone_from(&value);
            }
        }
    }

    /// Parses a lockfile, manifest or SBOM and records its packages.
    pub fn manifest(&mut self, kind: Kind, bytes: &[u8], chain: &str) -> Vec<String> {
        let parsed = match manifest::parse(kind, bytes, chain) {
            Ok(p) => p,
            Err(d) => {
                self.diags.push(d);
                return Vec::new();
            }
        };
        let method = if kind.is_sbom() {
            Method::Sbom
        } else if kind.is_installed() {
            Method::Installed
        } else {
            Method::Lockfile
        };
        let sha = (!parsed.packages.is_empty()).then(|| hex::encode(Sha256::digest(bytes)));
        for p in parsed.packages {
            self.found.push(Found {
                component: Component {
                    ecosystem: p.ecosystem,
                    name: p.name,
                    version: p.version,
                    purl: p.purl,
                },
                evidence: Evidence {
                    path: chain.to_owned(),
                    method,
                    detail: if p.location.is_empty() {
                        kind.as_str().to_owned()
                    } else {
                        format!("{} {}", kind.as_str(), p.location)
                    },
                    sha256: sha.clone(),
                },
                version_range: None,
                mitigations: Vec::new(),
                mitigated: Vec::new(),
                dev: p.dev,
            });
        }
        self.diags.extend(parsed.diagnostics);
        parsed.includes
    }

    fn drain_into(&mut self, out: &mut Output) {
        out.components.append(&mut self.found);
        out.diagnostics.append(&mut self.diags);
    }
}

/// The (length, modification time) of a file, to notice changes.
fn stamp(meta: &std::fs::Metadata) -> (u64, Option<std::time::SystemTime>) {
    (meta.len(), meta.modified().ok())
}

/// Reads and scans one file. Returns the number of archives read.
pub(crate) fn scan_file(
    path: &Path,
    display: &str,
    options: &Options,
    budget: &archive::Budget,
    progress: &Progress,
    sink: &mut Sink,
) -> u64 {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let slashed = display.replace('\\', "/");
    let archive = archive::archive_kind(&name);
    let kind = if archive.is_none() {
        Kind::detect(&slashed)
    } else {
        None
    };
    let sniff = archive.is_none() && kind.is_none() && Kind::may_sniff(&slashed);
    if archive.is_none() && kind.is_none() && !sniff {
        return 0;
    }
    let io_err = |sink: &mut Sink, e: std::io::Error| {
        sink.diag(DiagnosticCode::Io, display, format!("cannot read: {e}"));
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            io_err(sink, e);
            return 0;
        }
    };
    let before = match file.metadata() {
        Ok(m) => stamp(&m),
        Err(e) => {
            io_err(sink, e);
            return 0;
        }
    };
    progress.bytes.fetch_add(before.0, Ordering::Relaxed);
    let found_before = sink.found.len();
    let limits = &options.limits;
    let mut archives = 0;
    if let Some(akind) = archive {
        let mut rd = archive::Reader {
            limits,
            budget,
            holding: false,
            expanded: 0,
            archives: 0,
            exhausted: false,
        };
        match akind {
            archive::ArchiveKind::Zip => {
                match zip::ZipArchive::new(BufReader::with_capacity(64 << 10, &mut file)) {
                    Ok(mut zip) => archive::scan_zip(&mut rd, &mut zip, display, 0, sink),
                    Err(e) => sink.diag(
                        DiagnosticCode::BadArchive,
                        display,
                        format!("not a readable zip archive: {e}"),
                    ),
                }
            }
            _ => {
                let mut reader = BufReader::with_capacity(256 << 10, &mut file);
                archive::scan_stream(&mut rd, akind, &mut reader, display, 0, sink);
            }
        }
        archives = rd.archives;
        // The archive's own digest, only when something was found in it.
        sink.fill_sha256(found_before, display, || {
            hash_file(path).unwrap_or_default()
        });
    } else {
        let limit = limits.max_manifest_bytes;
        if before.0 > limit {
            sink.diag(
                DiagnosticCode::TooLarge,
                display,
                format!(
                    "{} bytes, over the manifest limit of {limit}: skipped",
                    before.0
                ),
            );
            return 0;
        }
        let mut bytes = Vec::new();
        if let Err(e) = (&mut file).take(limit + 1).read_to_end(&mut bytes) {
            io_err(sink, e);
            return 0;
        }
        let kind = match kind {
            Some(k) => k,
            None => match Kind::sniff(&bytes[..bytes.len().min(4096)]) {
                Some(k) => k,
                None => return 0,
            },
        };
        let includes = sink.manifest(kind, &bytes, display);
        if kind == Kind::Requirements {
            follow_includes(path, display, &includes, options, sink, 0);
        }
    }
    if let Ok(after) = std::fs::metadata(path) {
        if stamp(&after) != before {
            sink.diag(
                DiagnosticCode::FileChanged,
                display,
                "the file changed while it was read: results from it may be inconsistent".into(),
            );
        }
    }
    archives
}

/// Reads `-r`/`-c` includes of a requirements file that the walk would not
/// pick up by name (`-r base.in`, `-r ../common/deps.txt`).
fn follow_includes(
    path: &Path,
    display: &str,
    includes: &[String],
    options: &Options,
    sink: &mut Sink,
    depth: u32,
) {
    if depth >= 8 {
        return;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    for inc in includes {
        let target = dir.join(inc);
        let slashed = target.to_string_lossy().replace('\\', "/");
        if Kind::detect(&slashed) == Some(Kind::Requirements) {
            continue; // the walk reads it on its own
        }
        let shown = format!("{display} -> {inc}");
        match std::fs::read(&target) {
            Ok(bytes) if bytes.len() as u64 <= options.limits.max_manifest_bytes => {
                let nested = sink.manifest(Kind::Requirements, &bytes, &shown);
                follow_includes(&target, &shown, &nested, options, sink, depth + 1);
            }
            Ok(_) => sink.diag(
                DiagnosticCode::TooLarge,
                &shown,
                "included requirements file over the manifest limit".into(),
            ),
            Err(e) => sink.diag(
                DiagnosticCode::Io,
                &shown,
                format!("cannot read included file: {e}"),
            ),
        }
    }
}

fn hash_file(path: &Path) -> Option<String> {
    let f = File::open(path).ok()?;
    let mut h = Sha256::new();
    std::io::copy(&mut BufReader::with_capacity(256 << 10, f), &mut h).ok()?;
    Some(hex::encode(h.finalize()))
}
