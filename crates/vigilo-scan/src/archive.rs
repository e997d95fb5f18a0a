//! Reading archives recursively, nested archives from memory (or streamed
//! when too large to hold), never extracting to disk.
//!
//! Bounded on hostile input: nesting depth, entries per archive, bytes held
//! in memory per member, expansion ratio (zip bombs, gzip bombs) and bytes
//! expanded per top-level file are all limited; each limit hit is a
//! diagnostic with a stable code and the scan goes on with the next member.

use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek};
use std::rc::Rc;
use std::sync::{Condvar, Mutex};

use sha2::{Digest, Sha256};
use vigilo_core::inventory::{CHAIN_SEPARATOR, Evidence, Found, Method};
use vigilo_core::package::Component;
use vigilo_formats::DiagnosticCode;
use vigilo_formats::manifest::Kind;

use crate::java::{self, PomProperties};
use crate::log4j;
use crate::{Limits, Sink};

/// Archive formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// JAR, WAR, EAR, ZIP and the other zip-based formats.
    Zip,
    Tar,
    TarGz,
}

/// The archive kind a file name implies.
pub fn archive_kind(name: &str) -> Option<ArchiveKind> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "jar" | "war" | "ear" | "zip" | "aar" | "hpi" | "jpi" | "sar" | "par" | "rar" | "kar"
        | "whl" | "egg" | "nupkg" => ArchiveKind::Zip,
        "tar" => ArchiveKind::Tar,
        "tgz" => ArchiveKind::TarGz,
        "gz" if lower.ends_with(".tar.gz") => ArchiveKind::TarGz,
        _ => return None,
    })
}

/// Whether the kind is a Java archive (identified as a component itself).
fn is_java_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".jar", ".war", ".ear", ".aar", ".hpi", ".jpi", ".sar", ".par", ".rar", ".kar",
    ]
    .iter()
    .any(|e| lower.ends_with(e))
}

/// Whether a member name is unsafe: absolute, a drive path, or with `..`.
fn unsafe_name(name: &str) -> bool {
    name.starts_with('/')
        || name.starts_with('\\')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split(['/', '\\']).any(|part| part == "..")
}

/// Bytes of nested archives held in memory at once, across all workers:
/// a worker about to hold a nested archive waits while others hold too
/// much, so peak memory does not grow with the number of threads.
#[derive(Debug)]
pub struct Budget {
    capacity: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

impl Budget {
    pub fn new(capacity: u64) -> Budget {
        Budget {
            capacity: capacity.max(1),
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// Takes `bytes` (at most the whole capacity). With `wait`, blocks while
    /// other holders leave too little; without (a worker already holding an
    /// outer archive), takes it at once so that nesting cannot deadlock.
    fn take(&self, bytes: u64, wait: bool) -> Grant<'_> {
        let want = bytes.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while wait && *used > 0 && *used + want > self.capacity {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += want;
        Grant {
            budget: self,
            bytes: want,
        }
    }
}

/// A share of the [`Budget`], given back when dropped.
struct Grant<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Drop for Grant<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(self.bytes);
        self.budget.freed.notify_all();
    }
}

/// State for reading one top-level file: the budget of expanded bytes.
pub(crate) struct Reader<'a> {
    pub limits: &'a Limits,
    pub budget: &'a Budget,
    /// Whether this worker already holds a share of the budget.
    pub holding: bool,
    pub expanded: u64,
    pub archives: u64,
    /// Set when the per-file budget ran out; the rest of the file is skipped.
    pub exhausted: bool,
}

impl Reader<'_> {
    fn charge(&mut self, bytes: u64, chain: &str, sink: &mut Sink) -> bool {
        self.expanded = self.expanded.saturating_add(bytes);
        if self.expanded > self.limits.max_expanded_bytes && !self.exhausted {
            self.exhausted = true;
            sink.diag(
                DiagnosticCode::TooLarge,
                chain,
                format!(
                    "more than {} bytes expanded from one file: the rest is skipped",
                    self.limits.max_expanded_bytes
                ),
            );
        }
        !self.exhausted
    }
}

/// What the members of one Java archive showed.
#[derive(Default)]
struct JarFacts {
    poms: Vec<PomProperties>,
    manifest: Option<std::collections::BTreeMap<String, String>>,
    log4j: log4j::Facts,
}

/// Why a member is read.
enum Want {
    Nested(ArchiveKind),
    Manifest(Kind),
    PomProperties,
    JarManifest,
    ClassBytes,
    ClassPresence,
}

fn want(member: &str, java: bool) -> Option<Want> {
    let name = member.rsplit('/').next().unwrap_or(member);
    if let Some(kind) = archive_kind(name) {
        return Some(Want::Nested(kind));
    }
    if java {
        if java::is_pom_properties(member) {
            return Some(Want::PomProperties);
        }
        if java::is_manifest(member) {
            return Some(Want::JarManifest);
        }
        if log4j::wants_bytes(member) {
            return Some(Want::ClassBytes);
        }
        if log4j::wants_presence(member) {
            return Some(Want::ClassPresence);
        }
    }
    // pom.xml files inside jars describe the jar's own build, which
    // pom.properties already identifies.
    if member.starts_with("META-INF/maven/") {
        return None;
    }
    Kind::detect(member).map(Want::Manifest)
}

/// The chain of a member, or `None` (reported) when its name is unsafe.
fn member_chain(chain: &str, member: &str, sink: &mut Sink) -> Option<String> {
    let member_chain = format!("{chain}{CHAIN_SEPARATOR}{member}");
    if unsafe_name(member) {
        sink.diag(
            DiagnosticCode::UnsafePath,
            &member_chain,
            "member name is absolute or escapes with `..`: skipped".into(),
        );
        return None;
    }
    Some(member_chain)
}

/// Whether a nested archive one level below `depth` is over the limit
/// (reported).
fn too_deep(rd: &Reader<'_>, depth: u32, member_chain: &str, sink: &mut Sink) -> bool {
    if depth < rd.limits.max_depth {
        return false;
    }
    sink.diag(
        DiagnosticCode::ArchiveTooDeep,
        member_chain,
        format!(
            "nested {} archives deep, over the limit of {}: skipped",
            depth + 1,
            rd.limits.max_depth
        ),
    );
    true
}

impl JarFacts {
    /// Uses a member's bytes for what they were read for.
    #[allow(clippy::too_many_arguments)]
    fn use_member(
        &mut self,
        rd: &mut Reader<'_>,
        want: Want,
        member: &str,
        bytes: Vec<u8>,
        member_chain: &str,
        depth: u32,
        sink: &mut Sink,
    ) {
        match want {
            Want::Nested(kind) => {
                let was = std::mem::replace(&mut rd.holding, true);
                scan_bytes(rd, kind, bytes, member_chain, depth + 1, sink);
                rd.holding = was;
            }
            Want::Manifest(kind) => {
                sink.manifest(kind, &bytes, member_chain);
            }
            Want::PomProperties => {
                if let Some(p) = java::parse_pom_properties(member, &bytes) {
                    self.poms.push(p);
                }
            }
            Want::JarManifest => self.manifest = Some(java::parse_manifest(&bytes)),
            Want::ClassBytes => self.log4j.observe(member, Some(&bytes)),
            Want::ClassPresence => self.log4j.observe(member, None),
        }
    }

    /// Identifies the archive, when it is a Java archive or showed Java
    /// evidence.
    fn identify(self, chain: &str, file_name: &str, java: bool, sink: &mut Sink) {
        if java || !self.log4j.is_empty() || !self.poms.is_empty() {
            identify(chain, file_name, java, self, sink);
        }
    }
}

/// Reads up to `limit` bytes; `Err(size)` when there is more.
fn read_bounded(r: &mut dyn Read, limit: u64, hint: u64) -> io::Result<Result<Vec<u8>, u64>> {
    #[allow(clippy::cast_possible_truncation)]
    let mut buf = Vec::with_capacity(hint.min(limit).min(64 << 20) as usize);
    let n = r.take(limit.saturating_add(1)).read_to_end(&mut buf)? as u64;
    Ok(if n > limit { Err(n) } else { Ok(buf) })
}

/// Scans a zip archive: its members, recursively, then identifies it.
/// Returns the components whose evidence is the archive itself (the caller
/// fills in the archive's SHA-256).
pub(crate) fn scan_zip<R: Read + Seek>(
    rd: &mut Reader<'_>,
    zip: &mut zip::ZipArchive<R>,
    chain: &str,
    depth: u32,
    sink: &mut Sink,
) {
    rd.archives += 1;
    let file_name = chain.rsplit(['/', '!']).next().unwrap_or(chain).to_owned();
    let java = is_java_archive(&file_name);
    let mut facts = JarFacts::default();
    let mut count = zip.len();
    if count as u64 > rd.limits.max_entries {
        sink.diag(
            DiagnosticCode::TooLarge,
            chain,
            format!(
                "{count} entries, more than the limit of {}: only the first are read",
                rd.limits.max_entries
            ),
        );
        #[allow(clippy::cast_possible_truncation)]
        {
            count = rd.limits.max_entries as usize;
        }
    }
    for i in 0..count {
        if rd.exhausted {
            break;
        }
        // Names come from the central directory: members that do not matter
        // are never opened.
        let Some(name) = zip.name_for_index(i) else {
            continue;
        };
        if name.ends_with('/') {
            continue;
        }
        let Some(want) = want(name, java) else {
            continue;
        };
        let member = name.to_owned();
        let Some(member_chain) = member_chain(chain, &member, sink) else {
            continue;
        };
        if let Want::ClassPresence = want {
            facts.log4j.observe(&member, None);
            continue;
        }
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                sink.diag(
                    DiagnosticCode::BadArchive,
                    &member_chain,
                    format!("cannot open member: {e}"),
                );
                continue;
            }
        };
        let (size, csize) = (entry.size(), entry.compressed_size());
        if size > rd.limits.bomb_floor && size / csize.max(1) > rd.limits.max_ratio {
            sink.diag(
                DiagnosticCode::ArchiveBomb,
                &member_chain,
                format!(
                    "expands {size} bytes from {csize} (ratio over {}): skipped",
                    rd.limits.max_ratio
                ),
            );
            continue;
        }
        if let Want::Nested(kind) = want {
            if too_deep(rd, depth, &member_chain, sink) {
                continue;
            }
            if size > rd.limits.max_in_memory {
                // Too large to hold: stream it. The declared size only
                // bounds the stream's reads by the expansion budget.
                if !rd.charge(size, &member_chain, sink) {
                    break;
                }
                let mut bounded = (&mut entry).take(size.saturating_add(1));
                scan_stream(rd, kind, &mut bounded, &member_chain, depth + 1, sink);
                continue;
            }
        }
        let limit = match want {
            Want::Nested(_) => rd.limits.max_in_memory,
            _ => rd.limits.max_manifest_bytes,
        };
        if size > limit {
            sink.diag(
                DiagnosticCode::TooLarge,
                &member_chain,
                format!("{size} bytes, over the limit of {limit} for this kind of member: skipped"),
            );
            continue;
        }
        let _grant = matches!(want, Want::Nested(_)).then(|| rd.budget.take(size, !rd.holding));
        // Never trust the declared size: read at most `min(size, limit)`,
        // and one byte more to catch a lying header.
        let bytes = match read_bounded(&mut entry, limit.min(size), size) {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                sink.diag(
                    DiagnosticCode::ArchiveBomb,
                    &member_chain,
                    format!("expands beyond its declared size of {size} bytes: skipped"),
                );
                continue;
            }
            Err(e) => {
                sink.diag(
                    DiagnosticCode::BadArchive,
                    &member_chain,
                    format!("cannot read member: {e}"),
                );
                continue;
            }
        };
        if !rd.charge(bytes.len() as u64, &member_chain, sink) {
            break;
        }
        facts.use_member(rd, want, &member, bytes, &member_chain, depth, sink);
    }
    facts.identify(chain, &file_name, java, sink);
}

/// Scans a nested archive held in memory, with its SHA-256 as evidence.
pub(crate) fn scan_bytes(
    rd: &mut Reader<'_>,
    kind: ArchiveKind,
    bytes: Vec<u8>,
    chain: &str,
    depth: u32,
    sink: &mut Sink,
) {
    let before = sink.found.len();
    match kind {
        ArchiveKind::Zip => match zip::ZipArchive::new(Cursor::new(bytes.as_slice())) {
            Ok(mut zip) => scan_zip(rd, &mut zip, chain, depth, sink),
            Err(e) => sink.diag(
                DiagnosticCode::BadArchive,
                chain,
                format!("not a readable zip archive: {e}"),
            ),
        },
        ArchiveKind::Tar | ArchiveKind::TarGz => {
            let mut cursor = bytes.as_slice();
            scan_stream(rd, kind, &mut cursor, chain, depth, sink);
        }
    }
    sink.fill_sha256(before, chain, || hex::encode(Sha256::digest(&bytes)));
}

/// Scans an archive from a stream (tar, tar.gz, or a zip too large to
/// hold, read by its local headers).
pub(crate) fn scan_stream(
    rd: &mut Reader<'_>,
    kind: ArchiveKind,
    input: &mut dyn Read,
    chain: &str,
    depth: u32,
    sink: &mut Sink,
) {
    match kind {
        ArchiveKind::Tar => scan_tar(rd, input, chain, depth, sink),
        ArchiveKind::TarGz => {
            let consumed = Rc::new(Cell::new(0u64));
            let counted = Counting {
                inner: input,
                count: consumed.clone(),
            };
            let mut guarded = RatioGuard {
                inner: flate2::read::MultiGzDecoder::new(counted),
                consumed,
                produced: 0,
                floor: rd.limits.bomb_floor,
                max_ratio: rd.limits.max_ratio,
            };
            scan_tar(rd, &mut guarded, chain, depth, sink);
        }
        ArchiveKind::Zip => scan_zip_stream(rd, input, chain, depth, sink),
    }
}

fn scan_tar(rd: &mut Reader<'_>, input: &mut dyn Read, chain: &str, depth: u32, sink: &mut Sink) {
    rd.archives += 1;
    let mut archive = tar::Archive::new(input);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            sink.diag(
                DiagnosticCode::BadArchive,
                chain,
                format!("not a tar archive: {e}"),
            );
            return;
        }
    };
    let mut count = 0u64;
    for entry in entries {
        if rd.exhausted {
            break;
        }
        count += 1;
        if count > rd.limits.max_entries {
            sink.diag(
                DiagnosticCode::TooLarge,
                chain,
                format!(
                    "more than {} entries: the rest is skipped",
                    rd.limits.max_entries
                ),
            );
            break;
        }
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                sink.diag(io_code(&e), chain, format!("cannot read on: {e}"));
                break;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member = member.trim_start_matches("./").to_owned();
        let Some(want) = want(&member, false) else {
            continue;
        };
        let Some(member_chain) = member_chain(chain, &member, sink) else {
            continue;
        };
        let size = entry.size();
        match want {
            Want::Nested(kind) => {
                if too_deep(rd, depth, &member_chain, sink) {
                    continue;
                }
                if !rd.charge(size, &member_chain, sink) {
                    break;
                }
                if size > rd.limits.max_in_memory {
                    scan_stream(rd, kind, &mut entry, &member_chain, depth + 1, sink);
                    continue;
                }
                let _grant = rd.budget.take(size, !rd.holding);
                match read_bounded(&mut entry, size, size) {
                    Ok(Ok(bytes)) => {
                        let was = std::mem::replace(&mut rd.holding, true);
                        scan_bytes(rd, kind, bytes, &member_chain, depth + 1, sink);
                        rd.holding = was;
                    }
                    Ok(Err(_)) => sink.diag(
                        DiagnosticCode::BadArchive,
                        &member_chain,
                        "member longer than its header says".into(),
                    ),
                    Err(e) => {
                        sink.diag(io_code(&e), &member_chain, format!("cannot read: {e}"));
                        break;
                    }
                }
            }
            Want::Manifest(kind) => {
                if size > rd.limits.max_manifest_bytes {
                    sink.diag(
                        DiagnosticCode::TooLarge,
                        &member_chain,
                        format!("{size} bytes, over the manifest limit: skipped"),
                    );
                    continue;
                }
                match read_bounded(&mut entry, size, size) {
                    Ok(Ok(bytes)) => {
                        sink.manifest(kind, &bytes, &member_chain);
                    }
                    Ok(Err(_)) | Err(_) => sink.diag(
                        DiagnosticCode::BadArchive,
                        &member_chain,
                        "member truncated or unreadable".into(),
                    ),
                }
            }
            _ => {}
        }
    }
}

/// A zip read front to back by its local headers (for nested zips too large
/// to hold in memory). Entries whose sizes live only in data descriptors
/// cannot be skipped this way; reading stops at the first error.
fn scan_zip_stream(
    rd: &mut Reader<'_>,
    input: &mut dyn Read,
    chain: &str,
    depth: u32,
    sink: &mut Sink,
) {
    rd.archives += 1;
    let file_name = chain.rsplit(['/', '!']).next().unwrap_or(chain).to_owned();
    let java = is_java_archive(&file_name);
    let mut facts = JarFacts::default();
    let mut hasher = HashingReader {
        inner: input,
        hasher: Sha256::new(),
    };
    let before = sink.found.len();
    let mut count = 0u64;
    loop {
        let mut entry = match zip::read::read_zipfile_from_stream(&mut hasher) {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(e) => {
                sink.diag(
                    DiagnosticCode::BadArchive,
                    chain,
                    format!("stream read: {e}"),
                );
                break;
            }
        };
        count += 1;
        if count > rd.limits.max_entries || rd.exhausted {
            break;
        }
        let member = entry.name().to_owned();
        let Some(want) = want(&member, java) else {
            continue;
        };
        let Some(member_chain) = member_chain(chain, &member, sink) else {
            continue;
        };
        if let Want::ClassPresence = want {
            facts.log4j.observe(&member, None);
            continue;
        }
        if matches!(want, Want::Nested(_)) && too_deep(rd, depth, &member_chain, sink) {
            continue;
        }
        let limit = match want {
            Want::Nested(_) => rd.limits.max_in_memory,
            _ => rd.limits.max_manifest_bytes,
        };
        let hint = entry.size();
        let _grant = matches!(want, Want::Nested(_)).then(|| rd.budget.take(hint, !rd.holding));
        let bytes = match read_bounded(&mut entry, limit, hint) {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                sink.diag(
                    DiagnosticCode::TooLarge,
                    &member_chain,
                    "member over the in-memory limit inside a streamed archive: skipped".into(),
                );
                continue;
            }
            Err(e) => {
                sink.diag(DiagnosticCode::BadArchive, &member_chain, e.to_string());
                break;
            }
        };
        if !rd.charge(bytes.len() as u64, &member_chain, sink) {
            break;
        }
        facts.use_member(rd, want, &member, bytes, &member_chain, depth, sink);
    }
    // Hash what is left so the digest covers the whole member.
    let _ = io::copy(&mut hasher, &mut io::sink());
    let digest = hex::encode(hasher.hasher.finalize());
    facts.identify(chain, &file_name, java, sink);
    sink.fill_sha256(before, chain, || digest);
}

/// Turns what an archive's members showed into components.
fn identify(chain: &str, file_name: &str, java: bool, facts: JarFacts, sink: &mut Sink) {
    let mut verdicts = facts.log4j.verdicts();
    let mut take_verdict = |coords: &str| -> Option<log4j::Verdict> {
        // reload4j is the maintained fork of Log4j 1.2: the same classes
        // under the same package, identified by its own pom.properties.
        let package = match coords {
            "ch.qos.reload4j:reload4j" => "log4j:log4j",
            other => other,
        };
        let i = verdicts.iter().position(|v| v.package == package)?;
        Some(verdicts.remove(i))
    };
    let mut push = |coords: &str,
                    version: &str,
                    method: Method,
                    detail: String,
                    verdict: Option<log4j::Verdict>| {
        let (mitigations, mitigated, detail) = match verdict {
            Some(v) => (
                v.mitigations,
                v.mitigated,
                format!("{detail}; {} (classes prove {})", v.detail, v.range),
            ),
            None => (Vec::new(), Vec::new(), detail),
        };
        sink.push(Found {
            component: Component {
                ecosystem: vigilo_core::Ecosystem::Maven,
                name: coords.to_owned(),
                version: version.to_owned(),
                purl: vigilo_core::package::purl_for(
                    &vigilo_core::Ecosystem::Maven,
                    coords,
                    version,
                ),
            },
            evidence: Evidence {
                path: chain.to_owned(),
                method,
                detail,
                sha256: None,
            },
            version_range: None,
            mitigations,
            mitigated,
            dev: false,
        });
    };
    let mut identified = false;
    for p in &facts.poms {
        let coords = format!("{}:{}", p.group, p.artifact);
        let verdict = take_verdict(&coords);
        push(
            &coords,
            &p.version,
            Method::PomProperties,
            p.member.clone(),
            verdict,
        );
        identified = true;
    }
    if !identified && java {
        let from_manifest = facts.manifest.as_ref().and_then(java::from_manifest);
        if let Some((coords, version)) = from_manifest {
            let verdict = take_verdict(&coords);
            push(
                &coords,
                &version,
                Method::JarManifest,
                "META-INF/MANIFEST.MF".into(),
                verdict,
            );
            identified = true;
        }
    }
    if !identified && java {
        if let Some((artifact, version)) = java::split_file_name(file_name) {
            if let Some(coords) = java::known_artifact(artifact) {
                let verdict = take_verdict(coords);
                // Debian names log4j 1.2 `log4j-1.2-1.2.17.jar`.
                let version = version.strip_prefix("1.2-").unwrap_or(version);
                push(
                    coords,
                    version,
                    Method::FileName,
                    format!("file name {file_name}"),
                    verdict,
                );
            }
        }
    }
    for v in verdicts {
        sink.push(Found {
            component: Component {
                ecosystem: vigilo_core::Ecosystem::Maven,
                name: v.package.to_owned(),
                version: v.version.clone(),
                purl: vigilo_core::package::purl_for(
                    &vigilo_core::Ecosystem::Maven,
                    v.package,
                    &v.version,
                ),
            },
            evidence: Evidence {
                path: chain.to_owned(),
                method: Method::ClassFingerprint,
                detail: format!("{}{}", v.detail, if v.unshaded { "" } else { " (shaded)" }),
                sha256: None,
            },
            version_range: Some(v.range),
            mitigations: v.mitigations,
            mitigated: v.mitigated,
            dev: false,
        });
    }
}

/// The code of a read error: a bomb when the ratio guard stopped it.
fn io_code(e: &io::Error) -> DiagnosticCode {
    if e.to_string().contains("gzip bomb") {
        DiagnosticCode::ArchiveBomb
    } else {
        DiagnosticCode::BadArchive
    }
}

/// Counts the bytes read through it.
struct Counting<'a> {
    inner: &'a mut dyn Read,
    count: Rc<Cell<u64>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Fails the stream when the decompressed bytes outgrow the compressed ones
/// by more than the ratio (past a floor): a gzip bomb.
struct RatioGuard<R> {
    inner: R,
    consumed: Rc<Cell<u64>>,
    produced: u64,
    floor: u64,
    max_ratio: u64,
}

impl<R: Read> Read for RatioGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.floor && self.produced / self.consumed.get().max(1) > self.max_ratio
        {
            return Err(io::Error::other(format!(
                "gzip bomb: {} bytes expanded from {} (ratio over {})",
                self.produced,
                self.consumed.get(),
                self.max_ratio
            )));
        }
        Ok(n)
    }
}

/// Hashes the bytes read through it.
struct HashingReader<'a> {
    inner: &'a mut dyn Read,
    hasher: Sha256,
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        assert_eq!(archive_kind("a/b/app.EAR"), Some(ArchiveKind::Zip));
        assert_eq!(archive_kind("x.tar.gz"), Some(ArchiveKind::TarGz));
        assert_eq!(archive_kind("x.gz"), None);
        assert_eq!(
            archive_kind("pyspark-3.2.0-py2.py3-none-any.whl"),
            Some(ArchiveKind::Zip)
        );
    }

    #[test]
    fn unsafe_names() {
        for n in ["/etc/passwd", "../x", "a/../../x", "C:\\x", "\\x"] {
            assert!(unsafe_name(n), "{n}");
        }
        assert!(!unsafe_name("WEB-INF/lib/a..b.jar"));
    }
}
