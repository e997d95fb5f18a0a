//! Building test archives from the real Log4j jars.

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use vigilo_core::inventory::Found;
use vigilo_scan::{Options, Output, Progress};
use zip::write::SimpleFileOptions;

/// `.cache/test-jars/<name>` (fetched by `scripts/fetch-test-jars`). Panics
/// with how to get it when missing: these tests are about real jars.
pub fn real_jar(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.cache/test-jars")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} — run scripts/fetch-test-jars first",
            path.display()
        )
    })
}

/// The shared data folder.
pub fn shared_data() -> PathBuf {
    if let Ok(p) = std::env::var("VIGILO_SHARED_DATA") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The members of a zip, in order.
pub fn members(zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_owned(), b)
        })
        .collect()
}

/// A deflated zip of the given members.
pub fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        if name.ends_with('/') {
            continue;
        }
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Rewrites a class file's constant pool the way the shade plugin's
/// relocation does: every UTF-8 constant naming `org/apache/logging/log4j/`
/// (or its dotted form) gets `prefix` in front. Returns `None` for bytes
/// that are not a class file.
pub fn relocate_class(class: &[u8], from: &str, prefix: &str) -> Option<Vec<u8>> {
    let u2 = |b: &[u8], at: usize| -> Option<usize> {
        Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
    };
    if class.get(..4)? != [0xCA, 0xFE, 0xBA, 0xBE] {
        return None;
    }
    let count = u2(class, 8)?;
    let mut out = class[..10].to_vec();
    let mut at = 10;
    let mut i = 1;
    let slashed = from.to_owned();
    let dotted = from.replace('/', ".");
    let (pre_slashed, pre_dotted) = (
        format!("{prefix}{slashed}"),
        format!("{}{dotted}", prefix.replace('/', ".")),
    );
    while i < count {
        let tag = *class.get(at)?;
        let len = match tag {
            1 => {
                let n = u2(class, at + 1)?;
                let text = String::from_utf8_lossy(class.get(at + 3..at + 3 + n)?).into_owned();
                let text = text
                    .replace(&slashed, &pre_slashed)
                    .replace(&dotted, &pre_dotted);
                out.push(1);
                out.extend_from_slice(&u16::try_from(text.len()).ok()?.to_be_bytes());
                out.extend_from_slice(text.as_bytes());
                at += 3 + n;
                i += 1;
                continue;
            }
            3 | 4 | 9 | 10 | 11 | 12 | 17 | 18 => 5,
            5 | 6 => {
                i += 1; // two slots
                9
            }
            7 | 8 | 16 | 19 | 20 => 3,
            15 => 4,
            _ => return None,
        };
        out.extend_from_slice(class.get(at..at + len)?);
        at += len;
        i += 1;
    }
    out.extend_from_slice(class.get(at..)?);
    Some(out)
}

/// A shaded copy of a jar: classes under `org/apache/logging/log4j/` moved
/// (and their constant pools relocated) under `prefix`, Log4j's own
/// `META-INF/maven` dropped, as `maven-shade-plugin` does with relocations.
pub fn shade(jar: &[u8], prefix: &str) -> Vec<u8> {
    let from = "org/apache/logging/log4j/";
    let mut out = Vec::new();
    for (name, bytes) in members(jar) {
        if name.starts_with("META-INF/maven/") {
            continue;
        }
        if name.starts_with(from) {
            let bytes = if name.ends_with(".class") {
                relocate_class(&bytes, from, prefix).expect("a class file")
            } else {
                bytes
            };
            out.push((format!("{prefix}{name}"), bytes));
        } else {
            out.push((name, bytes));
        }
    }
    zip_of(&out)
}

/// Scans one path with default options.
pub fn scan(path: &Path) -> Output {
    vigilo_scan::scan(
        &[path.to_path_buf()],
        &Options::default(),
        &Progress::default(),
    )
    .unwrap()
}

/// The components of a scan for one package name.
pub fn named<'a>(out: &'a Output, name: &str) -> Vec<&'a Found> {
    out.components
        .iter()
        .filter(|f| f.component.name == name)
        .collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
