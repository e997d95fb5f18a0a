//! The parallel directory walk.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use vigilo_formats::DiagnosticCode;

use crate::{Options, Output, Progress, ScanError, Sink, scan_file};

/// Filesystem types that hold no packages and may hang or lie when read.
const PSEUDO_FS: [&str; 20] = [
    "proc",
    "sysfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "debugfs",
    "tracefs",
    "securityfs",
    "pstore",
    "bpf",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "autofs",
    "binfmt_misc",
    "efivarfs",
    "rpc_pipefs",
    "nsfs",
];

/// Mount points of pseudo-filesystems, from `/proc/self/mountinfo`
/// (empty where that file does not exist).
pub fn pseudo_filesystems() -> BTreeSet<PathBuf> {
    let Ok(text) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return BTreeSet::new();
    };
    parse_mountinfo(&text)
}

fn parse_mountinfo(text: &str) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        // id parent maj:min root mountpoint opts [optional…] - fstype source superopts
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        let (Some(mount), Some(fstype)) = (fields.get(4), fields.get(dash + 1)) else {
            continue;
        };
        if PSEUDO_FS.contains(fstype) {
            out.insert(PathBuf::from(unescape_mount(mount)));
        }
    }
    out
}

/// Mount points escape space, tab, newline and backslash as `\ooo`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if let Some(n) = s
                .get(i + 1..i + 4)
                .and_then(|o| u8::from_str_radix(o, 8).ok())
            {
                out.push(n);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn walk(
    roots: &[PathBuf],
    options: &Options,
    progress: &Progress,
) -> Result<Output, ScanError> {
    let Some((first, rest)) = roots.split_first() else {
        return Ok(Output::default());
    };
    for root in roots {
        if let Err(source) = std::fs::symlink_metadata(root) {
            return Err(ScanError::Root {
                path: root.display().to_string(),
                source,
            });
        }
    }
    let mut builder = WalkBuilder::new(first);
    for r in rest {
        builder.add(r);
    }
    builder
        .standard_filters(false)
        .hidden(false)
        .follow_links(options.follow_symlinks)
        .same_file_system(options.one_file_system)
        .threads(options.threads);
    if !options.excludes.is_empty() {
        // Overrides are relative to the first root; excludes match anywhere
        // below every root when written without a leading `/`.
        let mut ob = OverrideBuilder::new(first);
        for pattern in &options.excludes {
            ob.add(&format!("!{pattern}"))
                .map_err(|e| ScanError::Exclude {
                    pattern: pattern.clone(),
                    message: e.to_string(),
                })?;
        }
        let ov = ob.build().map_err(|e| ScanError::Exclude {
            pattern: options.excludes.join(", "),
            message: e.to_string(),
        })?;
        builder.overrides(ov);
    }
    let pseudo = pseudo_filesystems();
    let pseudo_roots: Vec<PathBuf> = roots.to_vec();
    builder.filter_entry(move |e| {
        // A root that is itself a pseudo-filesystem is scanned as asked.
        e.depth() == 0 || !pseudo.contains(e.path()) || pseudo_roots.iter().any(|r| r == e.path())
    });
    let out = Mutex::new(Output::default());
    let budget = crate::archive::Budget::new(options.limits.memory_budget);
    builder.build_parallel().run(|| {
        let out = &out;
        let budget = &budget;
        Box::new(move |entry| {
            let mut sink = Sink::default();
            let mut archives = 0;
            let mut is_file = false;
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        is_file = true;
                        progress.files.fetch_add(1, Ordering::Relaxed);
                        let shown = entry.path().to_string_lossy().into_owned();
                        archives =
                            scan_file(entry.path(), &shown, options, budget, progress, &mut sink);
                    }
                }
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.display().to_string(),
                        ignore::Error::WithDepth { err, .. } => match &**err {
                            ignore::Error::WithPath { path, .. } => path.display().to_string(),
                            _ => String::new(),
                        },
                        ignore::Error::Loop { child, .. } => child.display().to_string(),
                        _ => String::new(),
                    };
                    sink.diag(DiagnosticCode::Io, &path, err.to_string());
                }
            }
            if !sink.found.is_empty() {
                progress
                    .components
                    .fetch_add(sink.found.len() as u64, Ordering::Relaxed);
            }
            if is_file || !sink.diags.is_empty() {
                if let Ok(mut o) = out.lock() {
                    if is_file {
                        o.files += 1;
                    }
                    o.archives += archives;
                    sink.drain_into(&mut o);
                }
            }
            WalkState::Continue
        })
    });
    let mut out = out.into_inner().unwrap_or_else(|e| e.into_inner());
    out.bytes = progress.bytes.load(Ordering::Relaxed);
    out.finish();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn mountinfo() {
        let text = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n\
                    23 1 0:22 / /sys rw - sysfs sysfs rw\n\
                    24 1 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n\
                    25 1 0:23 / /mnt/with\\040space rw - proc proc rw\n";
        let got = parse_mountinfo(text);
        assert!(got.contains(Path::new("/proc")));
        assert!(got.contains(Path::new("/sys")));
        assert!(got.contains(Path::new("/mnt/with space")));
        assert!(!got.contains(Path::new("/")));
    }
}
