//! `vigilo advisories import|show`, `vigilo match` and `vigilo versions …`,
//! run as the real binary: the shared OSV corpus imported into a hub and a
//! local cache, record-level diagnostics for bad input (zip path tricks
//! included), offline matching with the known hits, and version ordering.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use vigilo_test_support::{Backend, TestDb, for_each_backend};

use crate::support::{Output, Vigilo};

/// The shared test data (`$VIGILO_SHARED_DATA`, else `<repo>/../shared/data`),
/// or `None` with a note when it is absent.
#[allow(clippy::print_stderr)]
pub fn shared_data() -> Option<PathBuf> {
    let dir = match std::env::var_os("VIGILO_SHARED_DATA") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if dir.join("osv").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: shared test data not found at {} (set VIGILO_SHARED_DATA)",
            dir.display()
        );
        None
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The number before `label` in an import summary line ("12 inserted").
#[track_caller]
fn count(out: &Output, label: &str) -> u64 {
    let words: Vec<&str> = out.stdout.split_whitespace().collect();
    let at = words
        .windows(2)
        .find(|w| w[1].trim_end_matches([',', ';', ':']) == label)
        .unwrap_or_else(|| panic!("no `N {label}` in the summary: {out}"));
    at[0]
        .parse()
        .unwrap_or_else(|_| panic!("`{} {label}` is not a count: {out}", at[0]))
}

/// `files read`, `records`, `errors` and `warnings` of an import summary.
#[track_caller]
fn summary(out: &Output) -> (u64, u64, u64, u64) {
    (
        count(out, "files"),
        count(out, "records"),
        count(out, "errors"),
        count(out, "warnings"),
    )
}

/// `inserted`, `updated`, `unchanged`, `older` of a hub import summary.
#[track_caller]
fn stored(out: &Output) -> (u64, u64, u64, u64) {
    (
        count(out, "inserted"),
        count(out, "updated"),
        count(out, "unchanged"),
        count(out, "older"),
    )
}

/// OSV files (`.json`, `.yaml`) under `dir`, recursively.
fn osv_files(dir: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            n += osv_files(&p);
        } else if p
            .extension()
            .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
        {
            n += 1;
        }
    }
    n
}

/// Runs `vigilo ARGS…` with `input` on standard input.
pub async fn run_stdin(v: &Vigilo, args: &[&str], input: &str) -> Output {
    let mut cmd = v.command();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawning vigilo");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin
        .write_all(input.as_bytes())
        .await
        .expect("writing stdin");
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("vigilo finishes within a minute")
        .expect("waiting for vigilo");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// CRC-32 (IEEE), for the hand-made zip below.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip archive of stored (uncompressed) members, names taken verbatim,
/// so that names like `../evil.json` can be written.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    fn u16le(out: &mut Vec<u8>, v: usize) {
        out.extend_from_slice(&u16::try_from(v).expect("fits u16").to_le_bytes());
    }
    fn u32le(out: &mut Vec<u8>, v: usize) {
        out.extend_from_slice(&u32::try_from(v).expect("fits u32").to_le_bytes());
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let offset = out.len();
        let crc = crc32(data) as usize;
        // Local file header.
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 20);
        u16le(&mut out, 0); // flags
        u16le(&mut out, 0); // stored
        u16le(&mut out, 0); // time
        u16le(&mut out, 0x21); // date: 1980-01-01
        u32le(&mut out, crc);
        u32le(&mut out, data.len());
        u32le(&mut out, data.len());
        u16le(&mut out, name.len());
        u16le(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory entry.
        u32le(&mut central, 0x0201_4b50);
        u16le(&mut central, 20);
        u16le(&mut central, 20);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0);
        u16le(&mut central, 0x21);
        u32le(&mut central, crc);
        u32le(&mut central, data.len());
        u32le(&mut central, data.len());
        u16le(&mut central, name.len());
        u16le(&mut central, 0); // extra
        u16le(&mut central, 0); // comment
        u16le(&mut central, 0); // disk
        u16le(&mut central, 0); // internal attributes
        u32le(&mut central, 0); // external attributes
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len();
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, members.len());
    u16le(&mut out, members.len());
    u32le(&mut out, central.len());
    u32le(&mut out, cd_offset);
    u16le(&mut out, 0);
    out
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv-bad")
}

fn minimal(id: &str) -> Vec<u8> {
    json!({"id": id, "modified": "2024-01-01T00:00:00Z",
           "affected": [{"package": {"ecosystem": "crates.io", "name": "vigilo-fixture"},
                         "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.9.9"}]}]}]})
    .to_string()
    .into_bytes()
}

/// Writes `bundle.zip` into `dir`: one good member, one bad one, and two
/// whose paths escape the archive (never read, never written anywhere).
fn write_bundle(dir: &Path) -> PathBuf {
    let path = dir.join("bundle.zip");
    let evil = minimal("VGL-EVIL-1");
    let abs = minimal("VGL-EVIL-2");
    let good = minimal("VGL-ZIP-1");
    let bad = br#"{"id": "VGL-ZIP-BAD"}"#;
    std::fs::write(
        &path,
        zip_of(&[
            ("../evil.json", evil.as_slice()),
            ("/abs.json", abs.as_slice()),
            ("osv/VGL-ZIP-1.json", good.as_slice()),
            ("osv/VGL-ZIP-BAD.json", bad.as_slice()),
            ("osv/README.txt", b"not a record".as_slice()),
        ]),
    )
    .expect("write the zip");
    path
}

/// (file, record id, pointer) each bad input must be reported with.
const EXPECTED_ERRORS: &[(&str, Option<&str>, &str, &str)] = &[
    (
        "bad-semver.json",
        Some("VGL-BAD-SEMVER"),
        "osv-bad-version",
        "/affected/0/ranges/0/events/1/fixed",
    ),
    (
        "bad-version.yaml",
        Some("VGL-BAD-VERSION"),
        "osv-bad-version",
        "/affected/0/ranges/0/events/1/fixed",
    ),
    (
        "events-out-of-order.json",
        Some("VGL-BAD-ORDER"),
        "osv-bad-range",
        "/affected/0/ranges/0/events",
    ),
    (
        "fixed-before-introduced.json",
        Some("VGL-BAD-FIXED"),
        "osv-bad-range",
        "/affected/0/ranges/0/events",
    ),
    ("missing-id.json", None, "osv-schema", "/id"),
    ("not-json.json", None, "osv-syntax", ""),
    (
        "wrong-range-type.json",
        Some("VGL-BAD-RANGE-TYPE"),
        "osv-schema",
        "/affected/0/ranges/0/type",
    ),
    (
        "wrong-types.json",
        Some("VGL-BAD-TYPES"),
        "osv-schema",
        "/aliases",
    ),
    (
        "bundle.zip!osv/VGL-ZIP-BAD.json",
        Some("VGL-ZIP-BAD"),
        "osv-schema",
        "/modified",
    ),
    ("bundle.zip!../evil.json", None, "archive-unsafe-path", ""),
    ("bundle.zip!/abs.json", None, "archive-unsafe-path", ""),
];

/// Checks that every bad input got one diagnostic naming its file, record
/// and JSON pointer, and that nothing else was reported.
#[track_caller]
fn check_diagnostics(out: &Output) {
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error["))
        .collect();
    for (file, record, code, pointer) in EXPECTED_ERRORS {
        // The path is followed by ` (record)`, ` at pointer` or `: message`.
        let hits: Vec<&&str> = lines
            .iter()
            .filter(|l| l.contains(&format!("/{file} ")) || l.contains(&format!("/{file}:")))
            .collect();
        assert_eq!(hits.len(), 1, "one diagnostic for {file}: {out}");
        let line = hits[0];
        assert!(
            line.starts_with(&format!("error[{code}]")),
            "{file}: {line}"
        );
        if let Some(r) = record {
            assert!(line.contains(&format!("({r})")), "{file} names {r}: {line}");
        }
        if !pointer.is_empty() {
            assert!(
                line.contains(&format!(" at {pointer}")),
                "{file} points at {pointer}: {line}"
            );
        }
    }
    assert_eq!(lines.len(), EXPECTED_ERRORS.len(), "no other errors: {out}");
    assert!(!out.stderr.contains("VGL-GOOD-1"), "{out}");
    assert!(!out.stderr.contains("VGL-ZIP-1"), "{out}");
}

/// Records of the shared corpus with a version that is not PEP 440 at all
/// (`packaging.version.Version` rejects it), and that version.
const NOT_PEP440: &[(&str, &str)] = &[
    ("PYSEC-2019-125", "2019-09-12"),
    ("PYSEC-2021-371", "0.2.0-n653"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_osv_corpus_imports_into_a_hub_idempotently() {
    let Some(data) = shared_data() else { return };
    let osv = data.join("osv");
    let files = osv_files(&osv);
    let db = TestDb::new(Backend::Sqlite).await;
    let v = Vigilo::new(&db);

    let started = Instant::now();
    let first = v.run(&["advisories", "import", s(&osv)]).await.ok();
    let took = started.elapsed();
    let (read, records, errors, _warnings) = summary(&first);
    assert_eq!(read, files, "every OSV file is read: {first}");
    // Every record imports, but for the two whose PyPI range names a version
    // that is not PEP 440 (Python's `packaging` rejects it too): those may be
    // reported, one diagnostic each, rather than guessed at.
    let error_lines: Vec<&str> = first
        .stderr
        .lines()
        .filter(|l| l.starts_with("error["))
        .collect();
    assert_eq!(error_lines.len() as u64, errors, "{first}");
    for line in &error_lines {
        assert!(
            NOT_PEP440
                .iter()
                .any(|(id, v)| line.contains(&format!("({id})"))
                    && line.contains(v)
                    && line.starts_with("error[osv-bad-version]")),
            "only the non-PEP 440 records may fail: {line}"
        );
    }
    assert_eq!(records + errors, files, "{first}");
    assert_eq!(stored(&first), (records, 0, 0, 0), "{first}");
    assert_eq!(count(&first, "conflicts"), 0, "{first}");
    eprintln!("imported {records} records in {took:.2?} (debug build)");

    // Again: everything unchanged.
    let second = v.run(&["advisories", "import", s(&osv)]).await.ok();
    assert_eq!(summary(&second).1, records, "{second}");
    assert_eq!(stored(&second), (0, 0, records, 0), "{second}");

    // Shown by id and by alias.
    for (id, alias) in [
        ("PYSEC-2021-66", "CVE-2020-28493"),
        ("RUSTSEC-2021-0003", "CVE-2021-25900"),
        ("GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"),
    ] {
        for key in [id, alias] {
            let shown = v.run(&["advisories", "show", key]).await.ok().json();
            assert_eq!(shown["id"], id, "{key}");
        }
    }
    let shown = v
        .run(&["advisories", "show", "RUSTSEC-2021-0003"])
        .await
        .ok()
        .json();
    assert!(shown["database_specific"].is_object(), "{shown}");
    let missing = v
        .run(&["advisories", "show", "NO-SUCH-ADVISORY"])
        .await
        .code(2);
    assert!(missing.stderr.contains("NO-SUCH-ADVISORY"), "{missing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_are_reported_one_by_one_and_the_rest_imported() {
    for_each_backend(|db| async move {
        let v = Vigilo::new(&db);
        let work = tempfile::tempdir().expect("tempdir");
        let zip = write_bundle(work.path());
        let fixtures = fixture_dir();
        let args = ["advisories", "import", s(&fixtures), s(&zip)];

        let out = v.run(&args).await.ok();
        check_diagnostics(&out);
        // Folder: 9 files; zip: 2 members read (the escaping ones are skipped
        // before reading, README.txt is not a record).
        assert_eq!(
            summary(&out),
            (11, 2, EXPECTED_ERRORS.len() as u64, 0),
            "{out}"
        );
        assert_eq!(stored(&out), (2, 0, 0, 0), "{out}");
        assert!(
            !work.path().parent().unwrap().join("evil.json").exists()
                && !Path::new("/abs.json").exists(),
            "archive members are never extracted"
        );

        let good = v
            .run(&["advisories", "show", "VGL-GOOD-1"])
            .await
            .ok()
            .json();
        assert_eq!(good["database_specific"]["kept"], true, "{good}");
        let by_alias = v
            .run(&["advisories", "show", "CVE-0000-0001"])
            .await
            .ok()
            .json();
        assert_eq!(by_alias, good);
        v.run(&["advisories", "show", "VGL-ZIP-1"]).await.ok();
        for id in ["VGL-EVIL-1", "VGL-EVIL-2", "VGL-BAD-FIXED", "VGL-ZIP-BAD"] {
            let r = v.run(&["advisories", "show", id]).await.code(2);
            assert!(r.stderr.contains("no advisory"), "{r}");
        }

        // Again: the good ones are unchanged, the bad ones reported again.
        let again = v.run(&args).await.ok();
        check_diagnostics(&again);
        assert_eq!(stored(&again), (0, 0, 2, 0), "{again}");

        // Into a local cache: only the good records are written.
        let local = work.path().join("cache");
        let out = v
            .run(&[
                "advisories",
                "import",
                "--local",
                s(&local),
                s(&fixtures),
                s(&zip),
            ])
            .await
            .ok();
        check_diagnostics(&out);
        assert_eq!(count(&out, "written"), 2, "{out}");
        let mut names: Vec<String> = std::fs::read_dir(&local)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["VGL-GOOD-1.json", "VGL-ZIP-1.json"]);
        let out = v
            .run(&["advisories", "import", "--local", s(&local), s(&fixtures)])
            .await
            .ok();
        assert_eq!(count(&out, "written"), 0, "{out}");
        assert_eq!(count(&out, "unchanged"), 1, "{out}");
        let shown = v
            .run(&["advisories", "show", "--local", s(&local), "CVE-0000-0001"])
            .await
            .ok()
            .json();
        assert_eq!(shown["id"], "VGL-GOOD-1");

        // Only bad input: nothing to import is an error (exit 2).
        let only_bad = work.path().join("only-bad");
        std::fs::create_dir(&only_bad).unwrap();
        std::fs::copy(
            fixtures.join("missing-id.json"),
            only_bad.join("missing-id.json"),
        )
        .unwrap();
        let out = v.run(&["advisories", "import", s(&only_bad)]).await.code(2);
        assert!(out.stderr.contains("missing-id.json"), "{out}");
        // A path that does not exist.
        let out = v
            .run(&["advisories", "import", "/no/such/osv/folder"])
            .await
            .code(2);
        assert!(out.stderr.contains("/no/such/osv/folder"), "{out}");
    })
    .await;
}

/// The advisory ids `vigilo match --format json` reports per package name.
fn matches_by_package(out: &Output) -> BTreeMap<String, BTreeSet<String>> {
    let j = out.json();
    let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in j["matches"].as_array().expect("matches") {
        by.entry(format!(
            "{} {}",
            m["name"].as_str().expect("name"),
            m["version"].as_str().expect("version")
        ))
        .or_default()
        .insert(m["advisory"].as_str().expect("advisory").to_owned());
    }
    by
}

/// `match --advisories A [--advisories B …] INVENTORY EXTRA…`: the form the
/// issue documents (`vigilo match --advisories PATH INVENTORY`).
fn match_args<'a>(advisories: &[&'a str], inventory: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["match"];
    for a in advisories {
        args.extend(["--advisories", a]);
    }
    args.push(inventory);
    args.extend_from_slice(extra);
    args
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_matching_finds_the_known_hits() {
    let Some(data) = shared_data() else { return };
    let osv = data.join("osv");
    let db = TestDb::new(Backend::Sqlite).await;
    let v = Vigilo::new(&db);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("osv-cache");
    let out = v
        .run(&["advisories", "import", "--local", s(&local), s(&osv)])
        .await
        .ok();
    let records = summary(&out).1;
    assert_eq!(count(&out, "written"), records, "{out}");

    let inventory = work.path().join("inventory.json");
    std::fs::write(
        &inventory,
        json!({"components": [
            {"ecosystem": "PyPI", "name": "PyYAML", "version": "5.3"},
            {"ecosystem": "PyPI", "name": "jinja2", "version": "2.11.2"},
            {"ecosystem": "PyPI", "name": "Jinja2", "version": "2.11.3"},
            {"ecosystem": "crates.io", "name": "smallvec", "version": "1.6.0"},
            {"purl": "pkg:cargo/hyper@0.14.9"},
            {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
            {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
        ]})
        .to_string(),
    )
    .unwrap();
    let want: BTreeMap<String, BTreeSet<String>> = [
        ("PyYAML 5.3", set(&["PYSEC-2020-96", "PYSEC-2021-142"])),
        ("jinja2 2.11.2", set(&["PYSEC-2021-66"])),
        ("smallvec 1.6.0", set(&["RUSTSEC-2021-0003"])),
        (
            "hyper 0.14.9",
            set(&[
                "RUSTSEC-2021-0078",
                "RUSTSEC-2021-0079",
                "RUSTSEC-2022-0022",
            ]),
        ),
        (
            "org.apache.logging.log4j:log4j-core 2.14.1",
            set(&[
                "GHSA-7rjr-3q55-vv33",
                "GHSA-8489-44mv-ggj8",
                "GHSA-jfh8-c2jp-5v3q",
                "GHSA-p6xc-xr62-6r2g",
            ]),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let out = v
        .run(&match_args(
            &[s(&local)],
            s(&inventory),
            &["--format", "json"],
        ))
        .await
        .ok();
    assert_eq!(out.json()["components"], 7, "{out}");
    assert_eq!(matches_by_package(&out), want, "{out}");
    // Each match says why and what fixes it.
    let j = out.json();
    let jinja = j["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["advisory"] == "PYSEC-2021-66")
        .unwrap();
    assert_eq!(jinja["ecosystem"], "PyPI", "{jinja}");
    assert!(
        jinja["fixed"]
            .as_array()
            .unwrap()
            .contains(&json!("2.11.3")),
        "{jinja}"
    );
    assert!(
        jinja["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("CVE-2020-28493"))
    );
    assert!(
        !jinja["matched_by"].as_str().unwrap_or("").is_empty(),
        "{jinja}"
    );
    let log4shell = j["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["advisory"] == "GHSA-jfh8-c2jp-5v3q")
        .unwrap();
    assert_eq!(
        log4shell["purl"],
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    );
    assert!(
        log4shell["fixed"]
            .as_array()
            .unwrap()
            .contains(&json!("2.15.0")),
        "{log4shell}"
    );

    // The same straight from the shared folders, and from a CycloneDX file.
    let direct = v
        .run(&match_args(
            &[
                s(&osv.join("pypi")),
                s(&osv.join("crates.io")),
                s(&osv.join("ghsa")),
            ],
            s(&inventory),
            &["--format", "json"],
        ))
        .await
        .ok();
    assert_eq!(matches_by_package(&direct), want, "{direct}");
    let bom = work.path().join("bom.json");
    std::fs::write(
        &bom,
        json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "log4j-core", "version": "2.14.1",
             "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
             "components": [{"type": "library", "name": "smallvec", "purl": "pkg:cargo/smallvec@1.6.0"}]}
        ]})
        .to_string(),
    )
    .unwrap();
    let out = v
        .run(&match_args(&[s(&local)], s(&bom), &["--format", "json"]))
        .await
        .ok();
    let by = matches_by_package(&out);
    assert_eq!(by.len(), 2, "{out}");
    assert_eq!(
        by["org.apache.logging.log4j:log4j-core 2.14.1"],
        want["org.apache.logging.log4j:log4j-core 2.14.1"]
    );
    assert_eq!(by["smallvec 1.6.0"], want["smallvec 1.6.0"]);

    // Table output and --fail-on-match.
    let table = v
        .run(&match_args(&[s(&local)], s(&inventory), &[]))
        .await
        .ok();
    assert!(table.stdout.contains("PYSEC-2021-66"), "{table}");
    assert!(table.stdout.contains("7 components"), "{table}");
    v.run(&match_args(
        &[s(&local)],
        s(&inventory),
        &["--fail-on-match"],
    ))
    .await
    .code(1);
    let clean = work.path().join("clean.json");
    std::fs::write(
        &clean,
        json!([{"ecosystem": "PyPI", "name": "jinja2", "version": "3.1.6"}]).to_string(),
    )
    .unwrap();
    let out = v
        .run(&match_args(
            &[s(&local)],
            s(&clean),
            &["--fail-on-match", "--format", "json"],
        ))
        .await
        .ok();
    assert_eq!(out.json()["matches"], json!([]), "{out}");

    // Shown from the local cache, by id and alias.
    for key in ["PYSEC-2021-66", "CVE-2020-28493"] {
        let shown = v
            .run(&["advisories", "show", "--local", s(&local), key])
            .await
            .ok()
            .json();
        assert_eq!(shown["id"], "PYSEC-2021-66", "{key}");
    }
}

#[tokio::test]
async fn versions_compare_and_sort_like_the_ecosystem() {
    let db = TestDb::new(Backend::Sqlite).await;
    let v = Vigilo::new(&db);
    let cases: &[(&str, &str, &str, &str)] = &[
        ("PyPI", "1.0", "1.0.0", "="),
        ("PyPI", "1.0a1", "1.0", "<"),
        ("PyPI", "1.0.post1", "1.0", ">"),
        ("PyPI", "1.10", "1.9", ">"),
        ("PyPI", "1!0.1", "2.0", ">"),
        ("PyPI", "1.0.dev1", "1.0a1", "<"),
        ("npm", "1.0.0-alpha", "1.0.0", "<"),
        ("npm", "1.0.0+build.5", "1.0.0", "="),
        ("crates.io", "1.0.0-alpha.1", "1.0.0-alpha.beta", "<"),
        ("crates.io", "0.14.10", "0.14.9", ">"),
        ("Maven", "1.0-SNAPSHOT", "1.0", "<"),
        ("Maven", "1.0-alpha-1", "1.0-beta-1", "<"),
        ("Maven", "1.0.0", "1", "="),
        ("Maven", "1.0-rc1", "1.0-cr1", "="),
        ("Maven", "1.0-sp", "1.0", ">"),
        ("Debian", "1:1.0", "2.0", ">"),
        ("Debian", "1.0~rc1", "1.0", "<"),
        ("Go", "v1.2.3", "v1.10.0", "<"),
        ("RubyGems", "1.0.0.pre", "1.0.0", "<"),
        ("NuGet", "1.0.0-ALPHA", "1.0.0-alpha", "="),
    ];
    for (eco, a, b, sign) in cases {
        let out = v
            .run(&["versions", "compare", "--ecosystem", eco, a, b])
            .await;
        assert_eq!(out.code, Some(0), "{eco} {a} {b}: {out}");
        assert_eq!(out.stdout.trim(), format!("{a} {sign} {b}"), "{eco}: {out}");
    }

    let out = run_stdin(
        &v,
        &["versions", "sort", "--ecosystem", "PyPI"],
        "1.10\n1.9\n1.0a1\n1.0\n1!0.1\n1.0.post1\n1.0.0\n\n",
    )
    .await
    .ok();
    assert_eq!(
        out.stdout, "1.0a1\n1.0\n1.0.0\n1.0.post1\n1.9\n1.10\n1!0.1\n",
        "ascending, equal versions in input order, blank lines dropped"
    );
    let out = run_stdin(
        &v,
        &["versions", "sort", "--ecosystem", "Maven"],
        "1.0-sp\n1.0\n1.0-SNAPSHOT\n1.0-alpha-1\n1.0-rc1\n",
    )
    .await
    .ok();
    assert_eq!(
        out.stdout,
        "1.0-alpha-1\n1.0-rc1\n1.0-SNAPSHOT\n1.0\n1.0-sp\n"
    );

    // An unparsable version: exit 2, naming it (and its line).
    let out = v
        .run(&[
            "versions",
            "compare",
            "--ecosystem",
            "PyPI",
            "1.0",
            "not a version!",
        ])
        .await
        .code(2);
    assert!(out.stderr.contains("not a version!"), "{out}");
    let out = run_stdin(
        &v,
        &["versions", "sort", "--ecosystem", "PyPI"],
        "1.0\n2.0\nnot a version!\n3.0\n",
    )
    .await
    .code(2);
    assert!(out.stderr.contains("line 3"), "{out}");
    assert!(out.stdout.is_empty(), "nothing sorted is printed: {out}");

    // An ecosystem without a known scheme: "cannot order", never a guess.
    let out = v
        .run(&[
            "versions",
            "compare",
            "--ecosystem",
            "GitHub Actions",
            "1",
            "2",
        ])
        .await
        .code(2);
    assert!(out.stderr.contains("cannot order"), "{out}");
    let out = run_stdin(
        &v,
        &["versions", "sort", "--ecosystem", "NoSuchEcosystem"],
        "1\n2\n",
    )
    .await
    .code(2);
    assert!(out.stderr.contains("cannot order"), "{out}");
}
