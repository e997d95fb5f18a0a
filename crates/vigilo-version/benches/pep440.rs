//! Comparisons per second of pre-parsed PEP 440 versions, and Python
//! `packaging`'s on the same versions in the same run.
//!
//!     cargo bench -p vigilo-version --bench pep440
//!
//! Versions: up to 10,000 distinct valid ones from the PyPI records of the
//! shared OSV data (`VIGILO_SHARED_DATA`, default `../shared/data`), topped up
//! with generated ones when the data is absent or short. Two measures, best
//! of several rounds on one thread:
//!
//! - pairwise: `v[i].cmp(&v[(i * 7919) % n])` for every `i`;
//! - sorting: `sort` (stable) of a fresh copy of the list of references,
//!   per comparison (counted in a separate pass).
//!
//! Then `tests/reference/pep440_bench.py` measures `packaging` on the same
//! versions (skipped with a note when Python or packaging is missing;
//! `VIGILO_PYTHON` picks the interpreter).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark reports on stdout

use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

mod common;

use common::{Dice, best_rate, walk};
use vigilo_version::pep440::Version;

const TARGET: usize = 10_000;

fn main() {
    let (texts, source) = versions();
    let parsed: Vec<Version> = texts
        .iter()
        .filter_map(|t| Version::parse(t).ok())
        .collect();
    assert_eq!(parsed.len(), texts.len(), "every benchmark version parses");
    let n = parsed.len();
    println!("pep440: {n} pre-parsed versions ({source})");

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

    // Sorting a copy of the (shuffled) list of references, as Python sorts
    // a list of references; comparisons counted in a separate pass.
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

    match python(&texts) {
        Some((py_pairwise, py_sort, summary)) => {
            println!("{summary}");
            println!(
                "ratio vigilo/packaging: pairwise {:.0}×, sorting {:.0}×",
                pairwise / py_pairwise,
                sorting / py_sort
            );
        }
        None => println!("packaging: not measured (see above)"),
    }
}

/// Runs the Python side; `(pairwise/s, sort/s, summary line)`.
fn python(texts: &[String]) -> Option<(f64, f64, String)> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/pep440_bench.py");
    let python = std::env::var("VIGILO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = match Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("packaging: cannot run {python}: {e}");
            return None;
        }
    };
    let input = texts.join("\n");
    let mut stdin = child.stdin.take()?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().ok()?;
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!(
            "packaging: {} failed: {}",
            script.display(),
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

/// The benchmark versions, in a fixed shuffled order, and where they came from.
fn versions() -> (Vec<String>, String) {
    let mut texts = corpus();
    let from_corpus = texts.len();
    let mut dice = Dice(0x5EED);
    // Fisher–Yates with a fixed seed: the same order every run.
    for i in (1..texts.len()).rev() {
        texts.swap(i, dice.below(i + 1));
    }
    texts.truncate(TARGET);
    let real = texts.len();
    while texts.len() < TARGET {
        let t = generated(&mut dice);
        if Version::parse(&t).is_ok() {
            texts.push(t);
        }
    }
    let source = if real == TARGET {
        format!("real, from {from_corpus} distinct OSV PyPI versions")
    } else {
        format!(
            "{real} real from the OSV PyPI data, {} generated",
            TARGET - real
        )
    };
    (texts, source)
}

/// Distinct valid versions from the `versions:` lists of the shared OSV PyPI
/// YAML records (block lists, as osv.dev writes them).
fn corpus() -> Vec<String> {
    let data = std::env::var_os("VIGILO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let mut files = Vec::new();
    walk(&data.join("osv/pypi"), "yaml", &mut files);
    files.sort();
    let mut found = std::collections::BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut list_indent = None;
        for line in text.lines() {
            let indent = line.len() - line.trim_start().len();
            let content = line.trim();
            if content == "versions:" {
                list_indent = Some(indent);
                continue;
            }
            match (list_indent, content.strip_prefix("- ")) {
                (Some(i), Some(item)) if indent >= i => {
                    let item = item.trim().trim_matches(|c| c == '"' || c == '\'');
                    if Version::parse(item).is_ok() {
                        found.insert(item.to_owned());
                    }
                }
                _ => list_indent = None,
            }
        }
    }
    found.into_iter().collect()
}

/// A version shaped like PyPI's: mostly `X.Y.Z`, some pre/post/dev.
fn generated(d: &mut Dice) -> String {
    let parts = 1 + d.below(4);
    let release: Vec<String> = (0..parts).map(|_| d.below(30).to_string()).collect();
    let mut v = release.join(".");
    match d.below(10) {
        0 => v.push_str(&format!("a{}", d.below(5))),
        1 => v.push_str(&format!("rc{}", d.below(5))),
        2 => v.push_str(&format!(".post{}", d.below(5))),
        3 => v.push_str(&format!(".dev{}", d.below(5))),
        _ => {}
    }
    v
}
