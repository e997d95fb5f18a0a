//! Comparisons per second of pre-parsed Maven versions, and Maven's own
//! `ComparableVersion` on the same versions in the same run.
//!
//!     cargo bench -p vigilo-version --bench maven
//!
//! Versions: the distinct Maven versions of the shared OSV data
//! (`VIGILO_SHARED_DATA`, default `../shared/data`), topped up to 10,000
//! with generated ones shaped like Maven Central's (releases, `-SNAPSHOT`,
//! `-alpha-1`, `-beta.2`, `RC1`, `.RELEASE`, `.Final`, `-jre`, timestamped
//! snapshots, build numbers…). Two measures, best of several rounds on one
//! thread:
//!
//! - pairwise: `v[i].cmp(&v[(i * 7919) % n])` for every `i`;
//! - sorting: `sort` (stable) of a fresh copy of the list of references,
//!   per comparison (counted in a separate pass).
//!
//! Then `tests/reference/maven_compare.java` measures `ComparableVersion`
//! (from the machine's `maven-artifact` jar, `VIGILO_MAVEN_ARTIFACT_JAR` to
//! pick another) the same way; skipped with a note when `javac`, `java` or
//! the jar is missing.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on stdout

use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

mod common;

use common::{Dice, best_rate, walk};
use vigilo_version::maven::Version;

const TARGET: usize = 10_000;

fn main() {
    let (texts, source) = versions();
    let parsed: Vec<Version> = texts
        .iter()
        .filter_map(|t| Version::parse(t).ok())
        .collect();
    assert_eq!(parsed.len(), texts.len(), "every benchmark version parses");
    let n = parsed.len();
    println!("maven: {n} pre-parsed versions ({source})");

    let parsing = best_rate(n, || {
        for t in black_box(&texts) {
            black_box(Version::parse(t).ok());
        }
    });
    println!("vigilo parsing: {:.2} M versions/s", parsing / 1e6);

    // Pairwise: v[i] against v[(i * 7919) % n].
    let others: Vec<&Version> = (0..n).map(|i| &parsed[(i * 7919) % n]).collect();
    let pairwise = best_rate(n, || {
        let (a, b) = black_box((&parsed, &others));
        let mut acc = 0i64;
        for (x, y) in a.iter().zip(b.iter()) {
            acc += x.cmp(y) as i64;
        }
        black_box(acc);
    });
    println!("vigilo pairwise: {:.1} M comparisons/s", pairwise / 1e6);

    // Sorting a copy of the (shuffled) list of references; comparisons
    // counted in a separate pass.
    let refs: Vec<&Version> = parsed.iter().collect();
    let mut comparisons = 0usize;
    refs.clone().sort_by(|a, b| {
        comparisons += 1;
        a.cmp(b)
    });
    let sorting = best_rate(comparisons, || {
        let mut copy = black_box(&refs).clone();
        copy.sort();
        black_box(&copy);
    });
    println!(
        "vigilo sorting: {:.1} M comparisons/s ({comparisons} comparisons per sort)",
        sorting / 1e6
    );

    match java(&texts) {
        Some((java_pairwise, java_sort, summary)) => {
            println!("{summary}");
            println!(
                "ratio vigilo/ComparableVersion: pairwise {:.0}×, sorting {:.0}×",
                pairwise / java_pairwise,
                sorting / java_sort
            );
        }
        None => println!("ComparableVersion: not measured (see above)"),
    }
}

/// Compiles and runs the Java side; `(pairwise/s, sort/s, summary line)`.
fn java(texts: &[String]) -> Option<(f64, f64, String)> {
    let Some(jar) = artifact_jar() else {
        eprintln!("ComparableVersion: no maven-artifact jar (set VIGILO_MAVEN_ARTIFACT_JAR)");
        return None;
    };
    let source =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/maven_compare.java");
    let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("maven-bench-reference");
    let _ = std::fs::create_dir_all(&classes);
    let javac = Command::new("javac")
        .arg("-nowarn")
        .arg("-cp")
        .arg(&jar)
        .arg("-d")
        .arg(&classes)
        .arg(&source)
        .output();
    match javac {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            eprintln!(
                "ComparableVersion: javac failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Err(e) => {
            eprintln!("ComparableVersion: cannot run javac: {e}");
            return None;
        }
    }
    let classpath = format!("{}:{}", classes.display(), jar.display());
    let mut child = match Command::new("java")
        .args(["-cp", &classpath, "MavenCompare", "bench"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("ComparableVersion: cannot run java: {e}");
            return None;
        }
    };
    let input: String = texts
        .iter()
        .map(|t| t.bytes().map(|b| format!("{b:02x}")).collect::<String>() + "\n")
        .collect();
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().ok()?;
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!(
            "ComparableVersion: java failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let value = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    let summary = stdout.lines().next().unwrap_or("").to_owned();
    Some((value("pairwise_per_s ")?, value("sort_per_s ")?, summary))
}

fn artifact_jar() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VIGILO_MAVEN_ARTIFACT_JAR") {
        return Some(PathBuf::from(p));
    }
    std::fs::read_dir("/usr/share/maven/lib")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("maven-artifact") && n.ends_with(".jar"))
        })
}

/// The benchmark versions, in a fixed shuffled order, and where they came from.
fn versions() -> (Vec<String>, String) {
    let real = corpus();
    let from_corpus = real.len();
    let mut texts = real;
    let mut dice = Dice(0x5EED);
    texts.truncate(TARGET);
    while texts.len() < TARGET {
        texts.push(generated(&mut dice));
    }
    // Fisher–Yates with a fixed seed: the same order every run.
    for i in (1..texts.len()).rev() {
        texts.swap(i, dice.below(i + 1));
    }
    let source = format!(
        "{from_corpus} real from the OSV Maven data, {} generated",
        TARGET - from_corpus.min(TARGET)
    );
    (texts, source)
}

/// Distinct version strings of the event fields and `versions` lists of the
/// shared OSV Maven records (GHSA JSON, one value per line as GitHub writes
/// them).
fn corpus() -> Vec<String> {
    let data = std::env::var_os("VIGILO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let mut files = Vec::new();
    walk(&data.join("osv"), "json", &mut files);
    files.sort();
    let mut found = std::collections::BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if !text.contains("\"ecosystem\": \"Maven\"") {
            continue;
        }
        let mut in_versions = false;
        for line in text.lines() {
            let line = line.trim().trim_end_matches(',');
            if line.starts_with("\"versions\": [") {
                in_versions = !line.ends_with(']');
                continue;
            }
            if in_versions {
                if line.starts_with(']') {
                    in_versions = false;
                } else if let Some(v) = line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                    found.insert(v.to_owned());
                }
                continue;
            }
            for key in ["introduced", "fixed", "last_affected", "limit"] {
                let prefix = format!("\"{key}\": \"");
                if let Some(v) = line.strip_prefix(&prefix).and_then(|l| l.strip_suffix('"')) {
                    found.insert(v.to_owned());
                }
            }
        }
    }
    found.into_iter().collect()
}

/// A version shaped like Maven Central's.
fn generated(d: &mut Dice) -> String {
    let parts = 1 + d.below(4);
    let release: Vec<String> = (0..parts)
        .map(|i| match (i, d.below(10)) {
            (0, _) => d.below(12).to_string(),
            (_, 0) => d.below(200).to_string(),
            _ => d.below(25).to_string(),
        })
        .collect();
    let mut v = release.join(".");
    let n = 1 + d.below(12);
    match d.below(40) {
        0..=3 => v.push_str("-SNAPSHOT"),
        4 => v.push_str(&format!("-alpha-{n}")),
        5 => v.push_str(&format!("-alpha{n}")),
        6 => v.push_str(&format!("-beta.{n}")),
        7 => v.push_str(&format!("-beta-{n}")),
        8 => v.push_str(&format!("-RC{n}")),
        9 => v.push_str(&format!("-rc.{n}")),
        10 => v.push_str(&format!(".RC{n}")),
        11 => v.push_str(&format!("-M{n}")),
        12 => v.push_str(".RELEASE"),
        13 => v.push_str(".Final"),
        14 => v.push_str(&format!(".CR{n}")),
        15 => v.push_str("-jre"),
        16 => v.push_str("-android"),
        17 => v.push_str(&format!("-redhat-{n:05}")),
        18 => v.push_str(&format!(
            "-2023{:02}{:02}.{:06}-{n}",
            1 + d.below(12),
            1 + d.below(28),
            d.below(240000)
        )),
        19 => v.push_str(&format!(
            ".v2020{:02}{:02}-{:04}",
            1 + d.below(12),
            1 + d.below(28),
            d.below(2400)
        )),
        20 => v.push_str(&format!("-{n}")),
        21 => v.push_str(&format!("-sp{n}")),
        22 => v.push_str("-incubating"),
        23 => v.push_str(&format!("-beta{n}-SNAPSHOT")),
        _ => {}
    }
    v
}
