//! Matching benchmark: 1,000,000 components against the full OSV index.
//!
//! Target (issue 4): match 1,000,000 components, drawn from real package
//! names and versions, against the index built from every record in
//! `../shared/data/osv`, in under 1 s on one core after load.
//!
//! The components are every (ecosystem, name) of every `affected` entry in
//! the data, combined with every version the records name for it (range
//! events other than `introduced: "0"`, and explicit `versions` lists), plus
//! two likely-unaffected versions per package (one below and one above the
//! usual ranges). That pool is deduplicated, then 1,000,000 components are
//! drawn from it uniformly at random (fixed seed), so the queries hit the
//! index in no particular order. Names are sent as the records spell them;
//! the index normalises them per query, as it would for a real inventory.
//!
//! The index prepares, when it is built, the answer for every version its
//! records name (see `vigilo_core::matching`), so this default pool mostly
//! measures that path (the two made-up versions per package take the other);
//! `MATCH_VERSIONS=unnamed` measures evaluating the ranges.
//!
//! Single-threaded; plain `std::time::Instant`; a warm-up pass, then
//! `MATCH_RUNS` timed passes over the same components, median reported.
//!
//! Run: `cargo bench -p vigilo-core --bench matching`
//!
//! Environment:
//! - `VIGILO_OSV_DATA`: data folder(s), `:`-separated (default: the
//!   workspace's `../shared/data/osv`);
//! - `MATCH_COMPONENTS` (default 1000000), `MATCH_RUNS` (default 5);
//! - `MATCH_VERSIONS=unnamed`: instead of the versions the records name,
//!   versions next to them that no record of the package names (the last
//!   number of each bumped by the least of 1..=9 that gives an unnamed
//!   version: `2.4.1` → `2.4.2` unless that is named, …). The index has no
//!   answer prepared for those: this measures evaluating the ranges;
//! - `MATCH_MISS_PERCENT` (default 0): this share of the components get a
//!   name no advisory names (an inventory's typical clean component);
//! - `MATCH_BATCH_OUT=DIR`: also write the first `MATCH_BATCH_SIZE` (default
//!   1000) components as an OSV `/v1/querybatch` body, `DIR/querybatch.json`,
//!   and the advisory ids the index gives for each (sorted, distinct), one
//!   JSON array per query, `DIR/expected.json`; `scripts/bench-advisories`
//!   posts the one to the hub and checks its answers against the other.
//!
//! It also prints a digest of the answers for every distinct component of
//! the pool, to check that a change to the index keeps its answers.
//!
//! Besides wall time, it reports the matching thread's on-CPU time per pass
//! (Linux), which waiting for a core on a shared machine does not inflate.
//!
//! The last line is machine-readable:
//! `RESULT components=N median_s=S components_per_s=R cpu_s=C` (`cpu_s=-`
//! where the on-CPU time cannot be read).

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::collections::HashSet;
use std::hash::{Hash as _, Hasher as _};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use vigilo_core::Ecosystem;
use vigilo_core::matching::MatchIndex;
use vigilo_formats::source::{Limits, load_paths};

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Versions that are usually outside every range: very low and very high.
fn unaffected_versions(ecosystem: &str) -> [&'static str; 2] {
    match ecosystem {
        "Go" => ["v0.0.1", "v999.0.0"],
        "PyPI" => ["0.0.1", "999.0"],
        "Maven" => ["0.0.1", "999.0"],
        _ => ["0.0.1", "999.0.0"],
    }
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes the querybatch body and the expected answers (see the module docs).
fn write_batch(
    dir: &std::path::Path,
    index: &MatchIndex,
    drawn: &[(&str, &str, &str)],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut body = String::from("{\"queries\":[");
    let mut expected = String::from("[");
    for (i, (eco, name, version)) in drawn.iter().enumerate() {
        if i > 0 {
            body.push(',');
            expected.push(',');
        }
        body.push_str(&format!(
            "{{\"package\":{{\"ecosystem\":{},\"name\":{}}},\"version\":{}}}",
            json_string(eco),
            json_string(name),
            json_string(version)
        ));
        let mut ids: Vec<&str> = index
            .query(&Ecosystem::parse(eco), name, version)
            .into_iter()
            .map(|m| m.advisory_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let ids: Vec<String> = ids.into_iter().map(json_string).collect();
        expected.push('[');
        expected.push_str(&ids.join(","));
        expected.push(']');
    }
    body.push_str("]}\n");
    expected.push_str("]\n");
    std::fs::write(dir.join("querybatch.json"), body)?;
    std::fs::write(dir.join("expected.json"), expected)
}

/// Time this thread has spent on a CPU (Linux: `/proc/thread-self/schedstat`,
/// in nanoseconds), to tell the index's cost from waiting for a core on a
/// busy machine.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// `v` with its last run of digits increased by `by` (`None` without digits).
fn bump(v: &str, by: u64) -> Option<String> {
    let end = v.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = v[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let n: u64 = v[start..end].parse().ok()?;
    Some(format!(
        "{}{}{}",
        &v[..start],
        n.checked_add(by)?,
        &v[end..]
    ))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let paths: Vec<PathBuf> = match std::env::var("VIGILO_OSV_DATA") {
        Ok(v) => v.split(':').map(PathBuf::from).collect(),
        Err(_) => vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/osv")],
    };
    let n = env_usize("MATCH_COMPONENTS", 1_000_000);
    let runs = env_usize("MATCH_RUNS", 5).max(1);
    let miss_percent = env_usize("MATCH_MISS_PERCENT", 0).min(100);

    let t = Instant::now();
    let loaded = load_paths(&paths, Limits::default());
    let load_time = t.elapsed();
    assert!(
        !loaded.records.is_empty(),
        "no records under {paths:?}; set VIGILO_OSV_DATA"
    );

    // The pool of (ecosystem, name, version), from the records as written.
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    let mut pool: Vec<(String, String, String)> = Vec::new();
    let mut add = |eco: &str, name: &str, version: &str| {
        let k = (eco.to_owned(), name.to_owned(), version.to_owned());
        if seen.insert(k.clone()) {
            pool.push(k);
        }
    };
    for r in &loaded.records {
        let Some(affected) = r.json["affected"].as_array() else {
            continue;
        };
        for a in affected {
            let (Some(eco), Some(name)) = (
                a["package"]["ecosystem"].as_str(),
                a["package"]["name"].as_str(),
            ) else {
                continue;
            };
            for v in a["versions"].as_array().into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    add(eco, name, v);
                }
            }
            for range in a["ranges"].as_array().into_iter().flatten() {
                if range["type"].as_str() == Some("GIT") {
                    continue;
                }
                for e in range["events"].as_array().into_iter().flatten() {
                    for (kind, v) in e.as_object().into_iter().flatten() {
                        match v.as_str() {
                            Some("0") if kind == "introduced" => {}
                            Some(v) => add(eco, name, v),
                            None => {}
                        }
                    }
                }
            }
            for v in unaffected_versions(eco) {
                add(eco, name, v);
            }
        }
    }
    let unnamed = match std::env::var("MATCH_VERSIONS").as_deref() {
        Ok("unnamed") => true,
        Ok("named") | Err(_) => false,
        Ok(other) => panic!("MATCH_VERSIONS={other:?}: give named or unnamed"),
    };
    if unnamed {
        let mut bumped = HashSet::new();
        pool = pool
            .iter()
            .filter_map(|(e, name, v)| {
                (1..=9)
                    .filter_map(|by| bump(v, by))
                    .map(|b| (e.clone(), name.clone(), b))
                    .find(|k| !seen.contains(k))
            })
            .filter(|k| bumped.insert(k.clone()))
            .collect();
        let parse = pool
            .iter()
            .filter(|(e, _, v)| {
                Ecosystem::parse(e)
                    .scheme()
                    .is_some_and(|s| vigilo_core::Version::parse(s, v).is_ok())
            })
            .count();
        println!(
            "versions: {} unnamed versions next to the named ones; {parse} of them parse",
            pool.len()
        );
    }
    let packages: HashSet<(&str, &str)> = pool
        .iter()
        .map(|(e, n, _)| (e.as_str(), n.as_str()))
        .collect();
    let mut per_eco: std::collections::BTreeMap<&str, usize> = Default::default();
    for (e, _, _) in &pool {
        *per_eco.entry(e.as_str()).or_default() += 1;
    }

    let t = Instant::now();
    let index = MatchIndex::build(loaded.records.into_iter().map(|r| r.advisory));
    let build_time = t.elapsed();

    // Draw the components; the ecosystem is parsed up front, as an inventory
    // reader would.
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    let drawn: Vec<(&str, String, &str)> = (0..n)
        .map(|i| {
            let (e, name, v) = &pool[rng.below(pool.len())];
            let name = if rng.below(100) < miss_percent {
                format!("{name}-vigilo-bench-clean-{i}")
            } else {
                name.clone()
            };
            (e.as_str(), name, v.as_str())
        })
        .collect();
    let components: Vec<(Ecosystem, String, String)> = drawn
        .iter()
        .map(|(e, name, v)| (Ecosystem::parse(e), name.clone(), (*v).to_owned()))
        .collect();
    if let Ok(dir) = std::env::var("MATCH_BATCH_OUT") {
        let size = env_usize("MATCH_BATCH_SIZE", 1000).min(drawn.len());
        let batch: Vec<(&str, &str, &str)> = drawn[..size]
            .iter()
            .map(|(e, name, v)| (*e, name.as_str(), *v))
            .collect();
        write_batch(std::path::Path::new(&dir), &index, &batch).unwrap();
        println!("wrote a querybatch of {size} queries and its expected answers to {dir}");
    }

    println!("matching benchmark (vigilo-core MatchIndex::query, one thread)");
    println!(
        "data: {} records from {} files ({} diagnostics), loaded in {:.2} s; index built in {:.3} s",
        index.len(),
        loaded.files,
        loaded.diagnostics.len(),
        load_time.as_secs_f64(),
        build_time.as_secs_f64()
    );
    println!(
        "pool: {} distinct (ecosystem, name, version) over {} packages: {}",
        pool.len(),
        packages.len(),
        per_eco
            .iter()
            .map(|(e, c)| format!("{e} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("components: {n} drawn at random ({miss_percent}% with unknown names)");

    let pass = || {
        let mut matched_components = 0usize;
        let mut matches = 0usize;
        for (eco, name, version) in &components {
            let m = index.query(black_box(eco), black_box(name), black_box(version));
            matched_components += usize::from(!m.is_empty());
            matches += m.len();
            black_box(m);
        }
        (matched_components, matches)
    };

    let (matched_components, matches) = pass(); // warm-up
    let mut times = Vec::with_capacity(runs);
    let mut cpu_times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let cpu = thread_cpu();
        let t = Instant::now();
        let got = black_box(pass());
        times.push(t.elapsed());
        if let (Some(before), Some(after)) = (cpu, thread_cpu()) {
            cpu_times.push(after.saturating_sub(before));
        }
        assert_eq!(got, (matched_components, matches));
    }
    let min = *times.iter().min().unwrap();
    let max = *times.iter().max().unwrap();
    let med = median(times);
    let rate = n as f64 / med.as_secs_f64();
    println!(
        "result: {matched_components} components affected, {matches} matches in total ({:.1} per affected component)",
        matches as f64 / matched_components.max(1) as f64
    );
    println!(
        "time for {n} components over {runs} runs: median {:.3} s (min {:.3} s, max {:.3} s)",
        med.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
    let cpu = (cpu_times.len() == runs).then(|| median(cpu_times));
    if let Some(cpu) = cpu {
        println!(
            "on-CPU time of the matching thread: median {:.3} s (the rest of the wall time it waited for a core)",
            cpu.as_secs_f64()
        );
    }
    println!(
        "throughput: {:.0} components/s ({:.0} ns per component)",
        rate,
        med.as_nanos() as f64 / n as f64
    );
    // A digest of every answer for the whole pool (each distinct component
    // once), to check that a change to the index keeps its answers.
    let mut h = std::hash::DefaultHasher::new();
    for (e, name, v) in &pool {
        for m in index.query(&Ecosystem::parse(e), name, v) {
            (m.advisory_id, m.affected_index, &m.matched_by, &m.fixed).hash(&mut h);
        }
    }
    println!("answers digest over the pool: {:016x}", h.finish());
    println!(
        "RESULT components={n} median_s={:.4} components_per_s={rate:.0} cpu_s={}",
        med.as_secs_f64(),
        cpu.map_or("-".to_owned(), |c| format!("{:.4}", c.as_secs_f64()))
    );
}
