use std::path::PathBuf;

/// The shared data folder (`../shared/data` beside the repository), or
/// `VIGILO_SHARED_DATA`. Panics when absent: these tests are about real data.
pub fn shared_data() -> PathBuf {
    if let Ok(p) = std::env::var("VIGILO_SHARED_DATA") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    assert!(
        p.is_dir(),
        "shared data not found at {} (set VIGILO_SHARED_DATA)",
        p.display()
    );
    p
}

/// `crates/vigilo-formats/tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Parses a file with the kind its path implies (or its head sniffs to).
pub fn parse_file(path: &std::path::Path) -> vigilo_formats::manifest::Parsed {
    use vigilo_formats::manifest::{Kind, parse};
    let bytes = std::fs::read(path).unwrap();
    let p = path.to_string_lossy();
    let kind = Kind::detect(&p)
        .or_else(|| Kind::sniff(&bytes[..bytes.len().min(4096)]))
        .unwrap_or_else(|| panic!("no kind for {p}"));
    parse(kind, &bytes, &p).unwrap_or_else(|d| panic!("{d}"))
}
