//! Finding OSV records in files, folders and zip archives.
//!
//! Archives are read from memory, never extracted. Every limit is checked
//! before the bytes are read: member count, member size (declared and
//! actual: a member that inflates past its limit is cut off and reported),
//! total inflated size. Member names that are absolute or climb with `..`
//! are reported and skipped.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, DiagnosticCode, Severity};
use crate::osv::{self, ParsedRecord, Syntax};

/// Bounds on archives.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_members: usize,
    pub max_member_bytes: u64,
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_members: 1_000_000,
            max_member_bytes: osv::MAX_RECORD_BYTES as u64,
            max_total_bytes: 4 << 30,
        }
    }
}

/// What loading found: records and diagnostics, in input order.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<ParsedRecord>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files and archive members read.
    pub files: usize,
}

impl Loaded {
    fn error(&mut self, code: DiagnosticCode, path: String, message: String) {
        self.diagnostics.push(Diagnostic {
            code,
            severity: Severity::Error,
            path,
            record: None,
            pointer: String::new(),
            message,
        });
    }

    fn add(&mut self, bytes: &[u8], syntax: Syntax, path: &str) {
        self.files += 1;
        match osv::parse_record(bytes, syntax, path) {
            Ok(mut r) => {
                self.diagnostics.append(&mut r.warnings);
                self.records.push(r);
            }
            Err(d) => self.diagnostics.push(d),
        }
    }
}

/// Loads every record under `paths`: `.json`/`.yaml`/`.yml` files, folders
/// (recursively, in sorted order) and `.zip` archives.
pub fn load_paths(paths: &[PathBuf], limits: Limits) -> Loaded {
    let mut out = Loaded::default();
    for p in paths {
        load_path(p, limits, &mut out);
    }
    out
}

fn load_path(path: &Path, limits: Limits, out: &mut Loaded) {
    let shown = path.display().to_string();
    let meta = match fs_err::metadata(path) {
        Ok(m) => m,
        Err(e) => return out.error(DiagnosticCode::Io, shown, e.to_string()),
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match fs_err::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return out.error(DiagnosticCode::Io, shown, e.to_string()),
        };
        entries.sort();
        for e in entries {
            let is_dir = e.is_dir();
            let name = e.to_string_lossy().to_ascii_lowercase();
            if is_dir || name.ends_with(".zip") || Syntax::from_path(&name).is_some() {
                load_path(&e, limits, out);
            }
        }
        return;
    }
    if shown.to_ascii_lowercase().ends_with(".zip") {
        return match fs_err::File::open(path) {
            Ok(f) => load_zip(f, &shown, limits, out),
            Err(e) => out.error(DiagnosticCode::Io, shown, e.to_string()),
        };
    }
    let syntax = Syntax::from_path(&shown).unwrap_or(Syntax::Json);
    if meta.len() > limits.max_member_bytes {
        return out.error(
            DiagnosticCode::TooLarge,
            shown,
            format!(
                "file of {} bytes exceeds the {}-byte limit for a record",
                meta.len(),
                limits.max_member_bytes
            ),
        );
    }
    match fs_err::read(path) {
        Ok(bytes) => out.add(&bytes, syntax, &shown),
        Err(e) => out.error(DiagnosticCode::Io, shown, e.to_string()),
    }
}

/// Reads records from a zip archive (osv.dev's `all.zip` layout: one record
/// per member; members in folders are read too).
pub fn load_zip<R: std::io::Read + std::io::Seek>(
    reader: R,
    shown: &str,
    limits: Limits,
    out: &mut Loaded,
) {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => return out.error(DiagnosticCode::BadArchive, shown.to_owned(), e.to_string()),
    };
    if archive.len() > limits.max_members {
        return out.error(
            DiagnosticCode::TooLarge,
            shown.to_owned(),
            format!(
                "{} members exceed the limit of {}",
                archive.len(),
                limits.max_members
            ),
        );
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                out.error(
                    DiagnosticCode::BadArchive,
                    format!("{shown}!#{i}"),
                    e.to_string(),
                );
                continue;
            }
        };
        let name = member.name().to_owned();
        let member_path = format!("{shown}!{name}");
        if member.is_dir() {
            continue;
        }
        if member.enclosed_name().is_none() {
            out.error(
                DiagnosticCode::UnsafePath,
                member_path,
                "member path is absolute or escapes the archive; skipped".into(),
            );
            continue;
        }
        let Some(syntax) = Syntax::from_path(&name) else {
            continue;
        };
        if member.size() > limits.max_member_bytes {
            out.error(
                DiagnosticCode::TooLarge,
                member_path,
                format!(
                    "declares {} bytes, over the {}-byte limit",
                    member.size(),
                    limits.max_member_bytes
                ),
            );
            continue;
        }
        let mut bytes = Vec::with_capacity(member.size().min(1 << 20) as usize);
        let read = (&mut member)
            .take(limits.max_member_bytes + 1)
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            out.error(DiagnosticCode::BadArchive, member_path, e.to_string());
            continue;
        }
        if bytes.len() as u64 > limits.max_member_bytes {
            out.error(
                DiagnosticCode::TooLarge,
                member_path,
                format!(
                    "inflates past the {}-byte limit (its header lied about its size)",
                    limits.max_member_bytes
                ),
            );
            continue;
        }
        total += bytes.len() as u64;
        if total > limits.max_total_bytes {
            return out.error(
                DiagnosticCode::TooLarge,
                shown.to_owned(),
                format!(
                    "inflated content exceeds the {}-byte limit; stopped",
                    limits.max_total_bytes
                ),
            );
        }
        out.add(&bytes, syntax, &member_path);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write as _};

    use super::*;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    const REC: &[u8] = br#"{"id":"A-1","modified":"2024-01-01T00:00:00Z"}"#;

    #[test]
    fn zips_are_read_and_bad_members_reported() {
        let bomb = vec![b' '; 200_000];
        let bytes = zip_of(&[
            ("A-1.json", REC),
            ("../evil.json", REC),
            ("bomb.json", &bomb),
            ("broken.json", b"{"),
            ("README.txt", b"ignored"),
        ]);
        let mut out = Loaded::default();
        let limits = Limits {
            max_member_bytes: 100_000,
            ..Limits::default()
        };
        load_zip(Cursor::new(bytes), "all.zip", limits, &mut out);
        assert_eq!(out.records.len(), 1);
        let codes: Vec<_> = out
            .diagnostics
            .iter()
            .map(|d| (d.code, d.path.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (DiagnosticCode::UnsafePath, "all.zip!../evil.json"),
                (DiagnosticCode::TooLarge, "all.zip!bomb.json"),
                (DiagnosticCode::Syntax, "all.zip!broken.json"),
            ]
        );
    }

    #[test]
    fn a_corrupt_archive_is_reported() {
        let mut out = Loaded::default();
        load_zip(
            Cursor::new(b"PK\x03\x04 not really".to_vec()),
            "x.zip",
            Limits::default(),
            &mut out,
        );
        assert_eq!(out.diagnostics[0].code, DiagnosticCode::BadArchive);
    }
}
