//! Log layouts over fixture files: `tests/fixtures/layouts/<scenario>/`
//! holds `input.log` and `expected.tsv`, one row per input line
//! (`layout<TAB>source_ip<TAB>timestamp`, `-` for none; `#` starts a
//! comment row). Timestamps compare as instants.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use vigilo_detect::logfmt::{Layout, LineContext, line_context};

fn layouts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layouts")
}

fn layout_name(layout: Option<Layout>) -> &'static str {
    match layout {
        None => "-",
        Some(Layout::Access) => "access",
        Some(Layout::NginxError) => "nginx-error",
        Some(Layout::ApacheError) => "apache-error",
        Some(Layout::JsonLines) => "json",
        Some(Layout::Syslog3164) => "syslog3164",
        Some(Layout::Syslog5424) => "syslog5424",
        Some(Layout::JavaApp) => "java",
        Some(Layout::Logfmt) => "logfmt",
        Some(Layout::AwsLoadBalancer) => "aws-lb",
        Some(Layout::Iis) => "iis",
        Some(Layout::CloudFront) => "cloudfront",
    }
}

fn expected_row(row: &str) -> (String, Option<IpAddr>, Option<Timestamp>) {
    let cols: Vec<&str> = row.split('\t').collect();
    assert_eq!(cols.len(), 3, "expected row {row:?}");
    let ip = (cols[1] != "-").then(|| cols[1].parse().unwrap());
    let ts = (cols[2] != "-").then(|| cols[2].parse().unwrap());
    (cols[0].to_owned(), ip, ts)
}

fn scenarios() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(layouts_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn fixtures_match_expected() {
    let dirs = scenarios();
    assert!(dirs.len() >= 10, "{dirs:?}");
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for dir in &dirs {
        let input = std::fs::read(dir.join("input.log")).unwrap();
        let expected = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
        let rows: Vec<&str> = expected
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect();
        let lines: Vec<&[u8]> = input
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            lines.len(),
            rows.len(),
            "{}: lines and expected rows",
            dir.display()
        );
        for (n, (line, row)) in lines.iter().zip(&rows).enumerate() {
            let got = line_context(line, 2021);
            let (layout, ip, ts) = expected_row(row);
            seen.insert(layout.clone());
            let want = (layout.as_str(), ip, ts);
            let have = (layout_name(got.layout), got.source_ip, got.timestamp);
            if want != have {
                failures.push(format!(
                    "{}:{}: want {want:?}, got {have:?}\n  {}",
                    dir.file_name().unwrap().to_string_lossy(),
                    n + 1,
                    String::from_utf8_lossy(line)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let all: BTreeSet<String> = [
        "-",
        "access",
        "apache-error",
        "aws-lb",
        "cloudfront",
        "iis",
        "java",
        "json",
        "logfmt",
        "nginx-error",
        "syslog3164",
        "syslog5424",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(seen, all, "every layout (and none) has a fixture");
}

/// The same lines with CRLF endings, leading blanks, or as one buffer's
/// slices give the same context.
#[test]
fn line_endings_and_indentation_do_not_matter() {
    for dir in scenarios() {
        let input = std::fs::read(dir.join("input.log")).unwrap();
        for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let plain = line_context(line, 2021);
            let mut crlf = line.to_vec();
            crlf.extend_from_slice(b"\r\n");
            assert_eq!(
                line_context(&crlf, 2021),
                plain,
                "{}",
                String::from_utf8_lossy(line)
            );
            let mut indented = b"  ".to_vec();
            indented.extend_from_slice(line);
            assert_eq!(
                line_context(&indented, 2021),
                plain,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }
}

/// Every prefix of every fixture line parses without panicking, and a
/// prefix never claims an address the whole line does not have.
#[test]
fn truncated_fixture_lines_are_safe() {
    for dir in scenarios() {
        let input = std::fs::read(dir.join("input.log")).unwrap();
        for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let whole = line_context(line, 2021);
            for n in 0..line.len() {
                let part: LineContext = line_context(&line[..n], 2021);
                if let (Some(a), Some(b)) = (part.source_ip, whole.source_ip) {
                    // A prefix may stop inside the address (`192.0.2.1` of
                    // `192.0.2.10`), never find a different field's.
                    assert!(
                        b.to_string().starts_with(&a.to_string()) || a == b,
                        "{a} vs {b}"
                    );
                }
            }
        }
    }
}

/// The year of an RFC 3164 stamp is the caller's.
#[test]
fn syslog_year_comes_from_the_hint() {
    let input = std::fs::read(layouts_dir().join("syslog-3164-file/input.log")).unwrap();
    let line = input.split(|&b| b == b'\n').next().unwrap();
    let ts = line_context(line, 2022).timestamp.unwrap();
    assert_eq!(ts, "2022-12-10T12:00:00Z".parse::<Timestamp>().unwrap());
}
