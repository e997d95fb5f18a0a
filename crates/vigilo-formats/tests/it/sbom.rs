//! The CycloneDX and SPDX readers against the projects' own example
//! documents (`shared/data/sbom`) and a few fixtures.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigilo_core::Ecosystem;
use vigilo_formats::diag::DiagnosticCode;
use vigilo_formats::manifest::{Kind, Package, Parsed, parse};

use crate::support::{fixture, parse_file, shared_data};

/// Every file under `dir` whose name ends with one of `exts`, sorted.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if exts
                .iter()
                .any(|e| p.to_string_lossy().to_ascii_lowercase().ends_with(e))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn parse_as(kind: Kind, path: &Path) -> Result<Parsed, vigilo_formats::diag::Diagnostic> {
    let bytes = std::fs::read(path).unwrap();
    parse(kind, &bytes, &path.to_string_lossy())
}

/// `(ecosystem, name, version, purl)` of each package, as a set.
fn set(p: &Parsed) -> BTreeSet<(String, String, String, Option<String>)> {
    p.packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.to_string(),
                p.name.clone(),
                p.version.clone(),
                p.purl.clone(),
            )
        })
        .collect()
}

fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> Option<&'a Package> {
    p.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
}

fn cyclonedx() -> PathBuf {
    shared_data().join("sbom/cyclonedx")
}

fn spdx() -> PathBuf {
    shared_data().join("sbom/spdx")
}

#[test]
fn every_cyclonedx_example_parses() {
    let all = files(&cyclonedx(), &[".json", ".xml"]);
    assert_eq!(all.len(), 72);
    let mut total = 0;
    for path in &all {
        let kind = if path.extension().is_some_and(|e| e == "xml") {
            Kind::CycloneDxXml
        } else {
            Kind::CycloneDxJson
        };
        let parsed = parse_as(kind, path).unwrap_or_else(|d| panic!("{d}"));
        total += parsed.packages.len();
    }
    // Checked with an independent count (Python's json and ElementTree):
    // the software components at any depth that have a version, outside
    // `metadata`; 7,467 in JSON and 3,486 in XML.
    assert_eq!(total, 10_953);
}

#[test]
fn hardware_and_crypto_boms_give_no_packages() {
    let hbom = parse_file(&cyclonedx().join("HBOM/PCIe-SATA-adapter-board/bom.json"));
    assert!(hbom.packages.is_empty());
    assert!(hbom.diagnostics.is_empty(), "{:?}", hbom.diagnostics);
    for name in ["Algorithm", "Certificate", "Key", "Protocol"] {
        let cbom = parse_file(&cyclonedx().join(format!("CBOM/{name}/bom.json")));
        assert!(cbom.packages.is_empty(), "{name}");
        assert!(cbom.diagnostics.is_empty(), "{name}");
    }
    // Two libraries known by name alone: kept, but flagged as unmatchable.
    let deps = parse_file(&cyclonedx().join("CBOM/Example-With-Dependencies/bom.json"));
    assert_eq!(set(&deps).len(), 2);
    assert!(
        deps.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Other("unknown".into()) && p.version == "1.0.0")
    );
    assert_eq!(deps.diagnostics.len(), 2);
    assert_eq!(deps.diagnostics[0].pointer, "/components/1");
    assert_eq!(deps.diagnostics[0].code, DiagnosticCode::ManifestEntry);
}

#[test]
fn obom_operating_system_is_known_by_its_cpe() {
    let p = parse_file(&cyclonedx().join("OBOM/Example-1-Standalone/bom.json"));
    assert_eq!(p.packages.len(), 904);
    let os = p.packages.last().unwrap();
    assert_eq!(os.ecosystem, Ecosystem::Other("CPE".into()));
    assert_eq!(os.name, "redhat:enterprise_linux");
    assert_eq!(os.version, "8.0");
    assert_eq!(os.location, "/components/903");
}

#[test]
fn laravel_is_the_same_in_every_version_and_serialisation() {
    let dir = cyclonedx().join("SBOM/laravel-7.12.0");
    let docs = [
        ("bom.1.1.xml", Kind::CycloneDxXml),
        ("bom.1.2.xml", Kind::CycloneDxXml),
        ("bom.1.3.xml", Kind::CycloneDxXml),
        ("bom.1.4.xml", Kind::CycloneDxXml),
        ("bom.1.2.json", Kind::CycloneDxJson),
        ("bom.1.3.json", Kind::CycloneDxJson),
        ("bom.1.4.json", Kind::CycloneDxJson),
    ];
    let first = parse_as(Kind::CycloneDxJson, &dir.join("bom.1.4.json")).unwrap();
    // 62 components; the BOM's subject (the demo project) is not one.
    assert_eq!(first.packages.len(), 62);
    assert!(first.diagnostics.is_empty());
    assert!(
        first
            .packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Packagist)
    );
    let fw = find(&first, "laravel/framework", "v7.30.6").unwrap();
    assert_eq!(
        fw.purl.as_deref(),
        Some("pkg:composer/laravel/framework@v7.30.6")
    );
    assert_eq!(fw.location, "/components/11");
    assert!(find(&first, "symfony/http-kernel", "v5.4.16").is_some());
    assert!(!first.packages.iter().any(|p| p.name.contains("cyclonedx")));
    let want = set(&first);
    for (name, kind) in docs {
        let p = parse_as(kind, &dir.join(name)).unwrap();
        assert_eq!(p.packages.len(), 62, "{name}");
        assert_eq!(set(&p), want, "{name}");
    }
    let xml = parse_as(Kind::CycloneDxXml, &dir.join("bom.1.1.xml")).unwrap();
    assert_eq!(xml.packages[0].name, "asm89/stack-cors");
    assert_eq!(xml.packages[0].location, "line 4");
}

#[test]
fn keycloak_is_903_maven_packages() {
    let dir = cyclonedx().join("SBOM/keycloak-10.0.2");
    let json = parse_file(&dir.join("bom.json"));
    assert_eq!(json.packages.len(), 903);
    assert!(json.diagnostics.is_empty());
    assert!(
        json.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Maven)
    );
    let log4j = find(&json, "log4j:log4j", "1.2.17").unwrap();
    assert_eq!(
        log4j.purl.as_deref(),
        Some("pkg:maven/log4j/log4j@1.2.17?type=jar")
    );
    assert!(
        find(
            &json,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.10.1"
        )
        .is_some()
    );
    assert!(find(&json, "com.h2database:h2", "1.4.197").is_some());
    // Several snakeyaml versions are bundled.
    let snakeyaml: BTreeSet<_> = json
        .packages
        .iter()
        .filter(|p| p.name == "org.yaml:snakeyaml")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(snakeyaml, BTreeSet::from(["1.14", "1.17", "1.19", "1.20"]));
    // The subject, keycloak-parent, is not a package.
    assert!(
        !json
            .packages
            .iter()
            .any(|p| p.name == "org.keycloak:keycloak-parent")
    );
    let xml = parse_file(&dir.join("bom.xml"));
    assert_eq!(set(&xml), set(&json));
}

#[test]
fn dropwizard_is_167_maven_packages() {
    let dir = cyclonedx().join("SBOM/dropwizard-1.3.15");
    let json = parse_file(&dir.join("bom.json"));
    assert_eq!(json.packages.len(), 167);
    assert!(
        json.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Maven)
    );
    assert!(find(&json, "org.apache.commons:commons-text", "1.2").is_some());
    assert!(
        find(
            &json,
            "com.fasterxml.jackson.core:jackson-databind",
            "2.9.10"
        )
        .is_some()
    );
    assert!(find(&json, "org.yaml:snakeyaml", "1.23").is_some());
    let xml = parse_file(&dir.join("bom.xml"));
    assert_eq!(set(&xml), set(&json));
}

#[test]
fn npm_and_go_boms() {
    let shop = parse_file(&cyclonedx().join("SBOM/juice-shop/via_npm/flat/bom.1.4.json"));
    assert_eq!(shop.packages.len(), 1115);
    assert!(shop.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    // A purl with a subpath (`#packages/babel-parser`).
    assert!(find(&shop, "@babel/parser", "7.21.2").is_some());
    let bridge = parse_file(&cyclonedx().join("SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json"));
    assert_eq!(bridge.packages.len(), 201);
    assert!(bridge.packages.iter().all(|p| p.ecosystem == Ecosystem::Go));
    let xml = parse_file(&cyclonedx().join("SBOM/proton-bridge/proton-bridge-v1.8.0.bom.xml"));
    assert_eq!(set(&xml), set(&bridge));
}

#[test]
fn cpe_only_components_fixture() {
    let p = parse_file(&fixture("sbom-cpe-log4j/bom.cdx.json"));
    let got: Vec<_> = p
        .packages
        .iter()
        .map(|p| {
            (
                p.ecosystem.to_string(),
                p.name.as_str(),
                p.version.as_str(),
                p.location.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Maven".to_owned(),
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "/components/0"
            ),
            ("Maven".to_owned(), "log4j:log4j", "1.2.17", "/components/1"),
            (
                "Maven".to_owned(),
                "org.apache.logging.log4j:log4j-core",
                "2.0-beta9",
                "/components/2"
            ),
            (
                "CPE".to_owned(),
                "openssl:openssl",
                "1.1.1k",
                "/components/3"
            ),
            (
                "CPE".to_owned(),
                "debian:debian_linux",
                "11.0",
                "/components/4"
            ),
        ]
    );
    assert_eq!(
        p.packages[0].purl.as_deref(),
        Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    );
    // The device is skipped silently; the version-less CPE with a warning.
    assert_eq!(p.diagnostics.len(), 1);
    assert_eq!(p.diagnostics[0].pointer, "/components/6");

    let spdx = parse_file(&fixture("sbom-cpe-log4j/appliance.spdx"));
    let got: Vec<_> = spdx
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("org.apache.logging.log4j:log4j-core", "2.14.1", "line 10"),
            ("log4j:log4j", "1.2.17", "line 22"),
        ]
    );
    assert!(spdx.diagnostics.is_empty());
}

#[test]
fn nested_components_fixture() {
    let json = parse_file(&fixture("sbom-nested-components/bom.json"));
    let got: Vec<_> = json
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.location.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("com.example:shop-web", "3.2.0", "/components/0"),
            (
                "org.springframework:spring-webmvc",
                "5.3.17",
                "/components/0/components/0"
            ),
            (
                "com.example:shop-plugins",
                "3.2.0",
                "/components/0/components/1"
            ),
            (
                "org.yaml:snakeyaml",
                "1.33",
                "/components/0/components/1/components/0"
            ),
            (
                "org.apache.commons:commons-text",
                "1.9",
                "/components/0/components/1/components/1"
            ),
            ("com.h2database:h2", "2.0.206", "/components/1"),
        ]
    );
    assert!(
        json.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Maven)
    );
    // Known by group and name alone: the purl is derived.
    assert_eq!(
        json.packages[4].purl.as_deref(),
        Some("pkg:maven/org.apache.commons/commons-text@1.9")
    );
    assert!(json.diagnostics.is_empty());

    let xml = parse_file(&fixture("sbom-nested-components/bom.xml"));
    assert_eq!(set(&xml), set(&json));
    let lines: Vec<_> = xml.packages.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(
        lines,
        [
            "line 28", "line 34", "line 40", "line 46", "line 52", "line 61"
        ]
    );
}

#[test]
fn spdx_spec_example_is_the_same_in_json_and_tag_value() {
    let dir = spdx().join("spdx-spec-v2.3");
    let json = parse_file(&dir.join("SPDXJSONExample-v2.3.spdx.json"));
    let tag = parse_file(&dir.join("SPDXTagExample-v2.3.spdx"));
    let got: Vec<_> = json
        .packages
        .iter()
        .map(|p| (p.ecosystem.to_string(), p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            // glibc carries a Spring CPE in the example: the CPE wins.
            (
                "CPE".to_owned(),
                "pivotal_software:spring_framework",
                "4.1.0"
            ),
            ("Maven".to_owned(), "org.apache.jena:apache-jena", "3.12.0"),
            ("unknown".to_owned(), "Saxon", "8.8"),
        ]
    );
    assert_eq!(set(&tag), set(&json));
    // Apache Commons Lang has no version; Saxon cannot be matched.
    for p in [&json, &tag] {
        assert_eq!(p.diagnostics.len(), 2);
        assert!(p.diagnostics[0].message.contains("Apache Commons Lang"));
        assert!(p.diagnostics[1].message.contains("Saxon"));
    }
    assert_eq!(json.packages[1].location, "/packages/2");
    assert_eq!(tag.packages[0].location, "line 71");
    assert_eq!(tag.packages[1].location, "line 180");
}

#[test]
fn every_spdx2_example_parses() {
    let dir = spdx().join("spdx-examples");
    let tag = files(&dir, &[".spdx"]);
    assert_eq!(tag.len(), 12);
    for path in &tag {
        parse_as(Kind::SpdxTagValue, path).unwrap_or_else(|d| panic!("{d}"));
    }
    let json: Vec<_> = files(&dir, &[".json"])
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("\"spdxVersion\"")
        })
        .collect();
    assert_eq!(json.len(), 18);
    for path in &json {
        parse_as(Kind::SpdxJson, path).unwrap_or_else(|d| panic!("{d}"));
    }

    let rust = parse_file(&dir.join("software/example11/spdx2.3/sbom.spdx.json"));
    let got: Vec<_> = rust
        .packages
        .iter()
        .map(|p| (p.ecosystem.to_string(), p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            // The example's source package carries a Debian purl.
            ("Debian".to_owned(), "libselinux1-dev", "3.1-3"),
            ("crates.io".to_owned(), "hyper", "0.14"),
            ("crates.io".to_owned(), "tokio", "1.19.2"),
            ("crates.io".to_owned(), "pretty_env_logger", "0.4.0"),
        ]
    );

    let maven = parse_file(&dir.join("software/example9/spdx2.2/appbomination.spdx.json"));
    assert!(find(&maven, "junit:junit", "4.12").is_some());
    assert!(find(&maven, "org.apache.commons:commons-lang3", "3.4").is_some());
    assert_eq!(
        maven
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Maven)
            .count(),
        4
    );

    let go = parse_file(&dir.join("software/example6/spdx2.2/example6-lib.spdx"));
    assert_eq!(go.packages.len(), 5);
    assert!(go.packages.iter().all(|p| p.version == "1.15.4"));
}

#[test]
fn every_spdx3_document_is_refused() {
    let dir = spdx().join("spdx-examples");
    let spdx3: Vec<_> = files(&dir, &[".json"])
        .into_iter()
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap()
                .contains("\"spdxVersion\"")
        })
        .collect();
    assert_eq!(spdx3.len(), 26);
    for path in &spdx3 {
        let err = parse_as(Kind::SpdxJson, path).unwrap_err();
        assert_eq!(err.code, DiagnosticCode::Unsupported, "{}", path.display());
        assert_eq!(err.message, "SPDX 3.0 is not read; export SPDX 2.3");
    }
}
