//! Real Log4j jars: as they ship, nested, shaded, and with JndiLookup
//! removed.

use std::collections::BTreeMap;

use vigilo_core::inventory::{Method, Status};
use vigilo_core::matching::MatchIndex;
use vigilo_scan::findings::{is_mitigated, match_local};

use crate::support::*;

const CORE: &str = "org.apache.logging.log4j:log4j-core";

fn builtin() -> MatchIndex {
    MatchIndex::build(vigilo_scan::builtin::advisories())
}

/// Advisory id → mitigated?, for the findings of a scan.
fn verdicts(out: &vigilo_scan::Output) -> BTreeMap<(String, String), Vec<(String, bool)>> {
    let mut m = BTreeMap::new();
    for f in match_local(&builtin(), &out.components) {
        let key = (
            f.found.evidence.path.clone(),
            f.found.component.version.clone(),
        );
        let mut ids: Vec<(String, bool)> = f
            .advisories
            .iter()
            .map(|a| (a.id.clone(), is_mitigated(&f.found, a)))
            .collect();
        ids.sort();
        m.insert(key, ids);
    }
    m
}

fn ids(list: &[(String, bool)]) -> Vec<&str> {
    list.iter().map(|(id, _)| id.as_str()).collect()
}

#[test]
fn real_jars_as_shipped() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "log4j-core-2.14.1.jar",
        "log4j-core-2.16.0.jar",
        "log4j-core-2.17.1.jar",
        "log4j-core-2.19.0.jar",
        "log4j-1.2.17.jar",
    ] {
        std::fs::write(dir.path().join(name), real_jar(name)).unwrap();
    }
    let out = scan(dir.path());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let core = named(&out, CORE);
    let versions: Vec<&str> = core.iter().map(|f| f.component.version.as_str()).collect();
    assert_eq!(versions, ["2.14.1", "2.16.0", "2.17.1", "2.19.0"]);
    for f in &core {
        assert_eq!(f.evidence.method, Method::PomProperties);
        assert!(f.mitigations.is_empty());
        // The class markers agree with pom.properties.
        assert!(
            f.evidence.detail.contains("classes prove"),
            "{}",
            f.evidence.detail
        );
    }
    assert!(
        core[1].evidence.detail.contains(">=2.16.0, <2.17.0")
            || core[1].evidence.detail.contains("=2.16.0")
    );
    assert!(core[2].evidence.detail.contains("2.17.1"));
    let jar = real_jar("log4j-core-2.14.1.jar");
    assert_eq!(
        core[0].evidence.sha256.as_deref(),
        Some(sha256_hex(&jar).as_str())
    );

    let v = verdicts(&out);
    let at = |file: &str, version: &str| {
        v.get(&(
            dir.path().join(file).display().to_string(),
            version.to_owned(),
        ))
        .cloned()
        .unwrap_or_default()
    };
    assert_eq!(
        ids(&at("log4j-core-2.14.1.jar", "2.14.1")),
        [
            "CVE-2021-44228",
            "CVE-2021-44832",
            "CVE-2021-45046",
            "CVE-2021-45105"
        ]
    );
    assert_eq!(
        ids(&at("log4j-core-2.16.0.jar", "2.16.0")),
        ["CVE-2021-44832", "CVE-2021-45105"]
    );
    assert!(at("log4j-core-2.17.1.jar", "2.17.1").is_empty());
    assert!(at("log4j-core-2.19.0.jar", "2.19.0").is_empty());

    // Debian's 1.2.17: no pom.properties (built with ant), identified by its
    // manifest; Debian removed JMSAppender and JMSSink.
    let one = named(&out, "log4j:log4j");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].evidence.method, Method::JarManifest);
    assert_eq!(one[0].component.version, "1.2.17");
    assert_eq!(one[0].mitigated, ["CVE-2021-4104", "CVE-2022-23302"]);
    assert_eq!(
        at("log4j-1.2.17.jar", "1.2.17"),
        [
            ("CVE-2019-17571".to_owned(), false),
            ("CVE-2021-4104".to_owned(), true),
            ("CVE-2022-23302".to_owned(), true),
            ("CVE-2022-23305".to_owned(), false),
            ("CVE-2022-23307".to_owned(), false),
        ]
    );
}

#[test]
fn nested_ear_war_jar_evidence_chain() {
    let jar = real_jar("log4j-core-2.14.1.jar");
    let war = zip_of(&[
        ("WEB-INF/web.xml".into(), b"<web-app/>".to_vec()),
        ("WEB-INF/lib/log4j-core-2.14.1.jar".into(), jar.clone()),
    ]);
    let ear = zip_of(&[
        (
            "META-INF/application.xml".into(),
            b"<application/>".to_vec(),
        ),
        ("lib/app.war".into(), war.clone()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.ear");
    std::fs::write(&path, &ear).unwrap();
    let out = scan(&path);
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1);
    assert_eq!(
        core[0].evidence.path,
        format!(
            "{}!/lib/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar",
            path.display()
        )
    );
    assert_eq!(
        core[0].evidence.sha256.as_deref(),
        Some(sha256_hex(&jar).as_str())
    );
    assert_eq!(out.archives, 3);
    let findings = match_local(&builtin(), &out.components);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].status, Status::Affected);
}

#[test]
fn shaded_copies_are_found_by_class_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let app = |members: Vec<(String, Vec<u8>)>| {
        let mut all = vec![
            (
                "META-INF/MANIFEST.MF".to_owned(),
                b"Manifest-Version: 1.0\r\nMain-Class: com.acme.Main\r\n".to_vec(),
            ),
            (
                "com/acme/Main.class".to_owned(),
                vec![0xCA, 0xFE, 0xBA, 0xBE],
            ),
        ];
        // The uber jar carries the application's manifest, not Log4j's.
        all.extend(
            members
                .into_iter()
                .filter(|(n, _)| n != "META-INF/MANIFEST.MF"),
        );
        zip_of(&all)
    };
    for (file, real) in [
        ("acme-all-1.jar", "log4j-core-2.14.1.jar"),
        ("acme-all-2.jar", "log4j-core-2.16.0.jar"),
        ("acme-all-3.jar", "log4j-core-2.17.1.jar"),
    ] {
        let shaded = shade(&real_jar(real), "shaded/acme/");
        std::fs::write(dir.path().join(file), app(members(&shaded))).unwrap();
    }
    let out = scan(dir.path());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let core = named(&out, CORE);
    assert_eq!(core.len(), 3, "{core:#?}");
    for f in &core {
        assert_eq!(f.evidence.method, Method::ClassFingerprint);
        assert!(
            f.evidence
                .detail
                .contains("shaded/acme/org/apache/logging/log4j/core/")
        );
        assert!(
            f.evidence.detail.ends_with("(shaded)"),
            "{}",
            f.evidence.detail
        );
    }
    // Relocation rewrites the constant pools, so no class hash matches: the
    // markers alone bound the versions.
    let ranges: Vec<(&str, &str)> = core
        .iter()
        .map(|f| {
            (
                f.component.version.as_str(),
                f.version_range.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ranges,
        [
            ("2.1", ">=2.1, <2.15.0"),
            ("2.16.0", ">=2.16.0, <2.17.0"),
            ("2.17.1", ">=2.17.1"),
        ]
    );
    let findings = match_local(&builtin(), &out.components);
    let got: Vec<(String, usize, Status)> = findings
        .iter()
        .map(|f| {
            let file = f.found.evidence.path.rsplit('/').next().unwrap().to_owned();
            (file, f.advisories.len(), f.status)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("acme-all-1.jar".to_owned(), 4, Status::Affected),
            ("acme-all-2.jar".to_owned(), 2, Status::Affected),
        ]
    );
}

#[test]
fn renamed_copy_is_pinned_by_class_hash() {
    // A renamed jar without its pom.properties: the unshaded JndiManager's
    // hash pins 2.14.0–2.14.1.
    let stripped: Vec<(String, Vec<u8>)> = members(&real_jar("log4j-core-2.14.1.jar"))
        .into_iter()
        .filter(|(n, _)| !n.starts_with("META-INF/"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logging.jar");
    std::fs::write(&path, zip_of(&stripped)).unwrap();
    let out = scan(&path);
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1);
    assert_eq!(core[0].component.version, "2.14.0");
    assert_eq!(core[0].version_range.as_deref(), Some(">=2.14.0, <=2.14.1"));
}

#[test]
fn removed_jndi_lookup_is_reported_as_mitigation() {
    let without: Vec<(String, Vec<u8>)> = members(&real_jar("log4j-core-2.14.1.jar"))
        .into_iter()
        .filter(|(n, _)| !n.ends_with("lookup/JndiLookup.class"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log4j-core-2.14.1.jar");
    std::fs::write(&path, zip_of(&without)).unwrap();
    let out = scan(&path);
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1);
    assert_eq!(core[0].mitigations, ["JndiLookup.class removed"]);
    let findings = match_local(&builtin(), &out.components);
    let f = &findings[0];
    let per: Vec<(&str, bool)> = f
        .advisories
        .iter()
        .map(|a| (a.id.as_str(), is_mitigated(&f.found, a)))
        .collect();
    let mut per = per;
    per.sort();
    assert_eq!(
        per,
        [
            ("CVE-2021-44228", true),
            ("CVE-2021-44832", false),
            ("CVE-2021-45046", true),
            ("CVE-2021-45105", false),
        ]
    );
    // The denial of service and the JDBC appender issues remain.
    assert_eq!(f.status, Status::Affected);

    // Removed from a jar whose only remaining issue is Log4Shell's: mitigated.
    let mut found = core[0].clone();
    found.mitigated = vec!["CVE-2021-44228".into(), "CVE-2021-45046".into()];
    let only: Vec<_> = f
        .advisories
        .iter()
        .filter(|a| a.id == "CVE-2021-44228")
        .cloned()
        .collect();
    assert_eq!(
        vigilo_scan::findings::status(&found, &only),
        Status::Mitigated
    );
}

#[test]
fn jars_inside_tar_gz_bundles() {
    let jar = real_jar("log4j-core-2.16.0.jar");
    let mut tar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(jar.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(
        &mut header,
        "opt/app/lib/log4j-core-2.16.0.jar",
        jar.as_slice(),
    )
    .unwrap();
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.tar.gz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let out = scan(&path);
    let core = named(&out, CORE);
    assert_eq!(core.len(), 1);
    assert_eq!(
        core[0].evidence.path,
        format!("{}!/opt/app/lib/log4j-core-2.16.0.jar", path.display())
    );
    assert_eq!(
        core[0].evidence.sha256.as_deref(),
        Some(sha256_hex(&jar).as_str())
    );
}

#[test]
fn reload4j_is_not_reported_as_log4j() {
    // reload4j (the maintained Log4j 1.2 fork) carries the same classes under
    // the same package, with its own pom.properties.
    let mut m: Vec<(String, Vec<u8>)> = members(&real_jar("log4j-1.2.17.jar"))
        .into_iter()
        .filter(|(n, _)| n != "META-INF/MANIFEST.MF")
        .collect();
    m.push((
        "META-INF/maven/ch.qos.reload4j/reload4j/pom.properties".into(),
        b"groupId=ch.qos.reload4j\nartifactId=reload4j\nversion=1.2.22\n".to_vec(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.jar");
    std::fs::write(&path, zip_of(&m)).unwrap();
    let out = scan(&path);
    let names: Vec<&str> = out
        .components
        .iter()
        .map(|f| f.component.name.as_str())
        .collect();
    assert_eq!(names, ["ch.qos.reload4j:reload4j"]);
    assert!(match_local(&builtin(), &out.components).is_empty());
}
