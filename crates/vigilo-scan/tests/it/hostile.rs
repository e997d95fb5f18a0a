//! Hostile and broken input: each problem is a diagnostic with a stable
//! code, and the scan goes on to find what else is there.

use std::io::Write as _;

use vigilo_formats::DiagnosticCode;

use crate::support::*;

const CORE: &str = "org.apache.logging.log4j:log4j-core";

fn codes(out: &vigilo_scan::Output) -> Vec<(String, &'static str)> {
    out.diagnostics
        .iter()
        .map(|d| {
            let file = d.path.rsplit('/').next().unwrap_or(&d.path).to_owned();
            (file, d.code.as_str())
        })
        .collect()
}

#[test]
fn every_problem_is_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let good = real_jar("log4j-core-2.14.1.jar");
    std::fs::write(dir.path().join("good.jar"), &good).unwrap();

    // A zip bomb: 64 MiB of zeros that deflate to a few KiB, as a nested jar.
    let zeros = vec![0u8; 64 << 20];
    let bomb = zip_of(&[("inner.jar".into(), zeros.clone())]);
    std::fs::write(
        dir.path().join("bomb.zip"),
        zip_of(&[("lib/inner.jar".into(), bomb)]),
    )
    .unwrap();

    // A gzip bomb: a tar.gz whose only member expands 1000-fold.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(zeros.len() as u64);
    h.set_cksum();
    tar.append_data(&mut h, "zeros.bin", zeros.as_slice())
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar.into_inner().unwrap()).unwrap();
    std::fs::write(dir.path().join("bomb.tar.gz"), gz.finish().unwrap()).unwrap();

    // Archives nested ten deep (the limit is eight), Log4j at the bottom.
    let mut nested = good.clone();
    for level in (0..10).rev() {
        nested = zip_of(&[(format!("level{level}.jar"), nested)]);
    }
    std::fs::write(dir.path().join("deep.jar"), nested).unwrap();

    // A truncated jar.
    std::fs::write(dir.path().join("truncated.jar"), &good[..good.len() / 2]).unwrap();

    // Member names that escape.
    std::fs::write(
        dir.path().join("evil.zip"),
        zip_of(&[
            ("../../etc/log4j-core-2.14.1.jar".into(), good.clone()),
            ("/abs/log4j-core-2.14.1.jar".into(), good.clone()),
        ]),
    )
    .unwrap();

    // A lockfile that is not one.
    std::fs::write(
        dir.path().join("package-lock.json"),
        b"{\"lockfileVersion\": 3, \"packages\": [",
    )
    .unwrap();

    let out = scan(dir.path());
    let mut got = codes(&out);
    got.sort();
    let want = [
        ("bomb.tar.gz", DiagnosticCode::ArchiveBomb),
        ("inner.jar", DiagnosticCode::ArchiveBomb),
        ("jar", DiagnosticCode::UnsafePath),
        ("jar", DiagnosticCode::UnsafePath),
        ("level8.jar", DiagnosticCode::ArchiveTooDeep),
        ("package-lock.json", DiagnosticCode::ManifestSyntax),
        ("truncated.jar", DiagnosticCode::BadArchive),
    ];
    let mut want: Vec<(String, &str)> = want
        .iter()
        .map(|(f, c)| ((*f).to_owned(), c.as_str()))
        .collect();
    want.sort();
    // Unsafe members are named by their chain, whose last part is the
    // member's file name.
    let mut got: Vec<(String, &str)> = got
        .into_iter()
        .map(|(f, c)| {
            if c == DiagnosticCode::UnsafePath.as_str() {
                ("jar".to_owned(), c)
            } else {
                (f, c)
            }
        })
        .collect();
    got.sort();
    assert_eq!(got, want, "{:#?}", out.diagnostics);
    // The good jar is still found, and the deep one down to the limit is not.
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1, "{core:#?}");
    assert!(core[0].evidence.path.ends_with("good.jar"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_unreadable_files() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    std::fs::write(
        sub.join("log4j-core-2.14.1.jar"),
        real_jar("log4j-core-2.14.1.jar"),
    )
    .unwrap();
    let locked = dir.path().join("locked.jar");
    std::fs::write(&locked, b"PK").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read(&locked).is_ok(); // root reads it all

    let options = vigilo_scan::Options {
        follow_symlinks: true,
        ..Default::default()
    };
    let out =
        vigilo_scan::scan(&[dir.path().to_path_buf()], &options, &Default::default()).unwrap();
    assert_eq!(named(&out, CORE).len(), 1);
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.code == DiagnosticCode::Io && d.message.contains("loop")),
        "{:#?}",
        out.diagnostics
    );
    let locked_diag = out
        .diagnostics
        .iter()
        .find(|d| d.path.ends_with("locked.jar"))
        .map(|d| d.code);
    if readable_anyway {
        assert_eq!(locked_diag, Some(DiagnosticCode::BadArchive));
    } else {
        assert_eq!(locked_diag, Some(DiagnosticCode::Io));
    }
}

#[test]
fn excludes_leave_paths_out() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["keep", "skip"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        std::fs::write(
            dir.path().join(sub).join("log4j-core-2.14.1.jar"),
            real_jar("log4j-core-2.14.1.jar"),
        )
        .unwrap();
    }
    let options = vigilo_scan::Options {
        excludes: vec!["skip/".into()],
        ..Default::default()
    };
    let out =
        vigilo_scan::scan(&[dir.path().to_path_buf()], &options, &Default::default()).unwrap();
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1);
    assert!(core[0].evidence.path.contains("/keep/"));
    let bad = vigilo_scan::Options {
        excludes: vec!["a{".into()],
        ..Default::default()
    };
    assert!(vigilo_scan::scan(&[dir.path().to_path_buf()], &bad, &Default::default()).is_err());
}
