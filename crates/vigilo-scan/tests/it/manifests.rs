//! The lockfiles real tools wrote and the SBOM examples, scanned as a tree
//! and matched against the real advisory data they were made for.

use std::collections::BTreeSet;

use vigilo_core::inventory::Method;
use vigilo_core::matching::MatchIndex;
use vigilo_scan::findings::match_local;

use crate::support::*;

fn hits(index: &MatchIndex, out: &vigilo_scan::Output, suffix: &str) -> BTreeSet<String> {
    match_local(index, &out.components)
        .iter()
        .filter(|f| f.found.evidence.path.ends_with(suffix))
        .flat_map(|f| {
            let pkg = format!("{}@{}", f.found.component.name, f.found.component.version);
            f.advisories.iter().map(move |a| format!("{pkg} {}", a.id))
        })
        .collect()
}

#[test]
fn lockfiles_from_real_tools_match_their_known_advisories() {
    let data = shared_data();
    let out = scan(&data.join("lockfiles"));
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    assert!(
        out.components
            .iter()
            .all(|f| f.evidence.method == Method::Lockfile)
    );
    assert!(out.components.iter().all(|f| f.evidence.sha256.is_some()));
    let loaded = vigilo_formats::source::load_paths(
        &[
            data.join("osv/ghsa/npm"),
            data.join("osv/pypi"),
            data.join("osv/crates.io"),
        ],
        Default::default(),
    );
    let index = MatchIndex::build(loaded.records.into_iter().map(|r| r.advisory));

    let npm = hits(&index, &out, "npm/lockfile-v3/package-lock.json");
    for want in [
        "lodash@4.17.15 GHSA-35jh-r3h4-6jhm",
        "lodash@4.17.15 GHSA-p6mc-m468-83gw",
        "minimist@1.2.5 GHSA-xvch-5gv4-984h",
        "node-fetch@2.6.0 GHSA-r683-j2x4-v87g",
        "axios@0.21.1 GHSA-wf5p-g6vw-rhxx",
        "json5@1.0.1 GHSA-9c47-m6qq-7p4h",
        "express@4.17.1 GHSA-rv95-896h-c2vc",
        "qs@6.7.0 GHSA-hrpp-h998-j3pp",
        "semver@7.5.1 GHSA-c2qf-rxjj-qqgw",
    ] {
        assert!(npm.contains(want), "{want} missing from {npm:#?}");
    }
    assert!(
        !npm.iter().any(|h| h.contains("GHSA-jf85-cpcp-j695")),
        "already fixed"
    );
    // The same findings through every npm-family lockfile format.
    for other in [
        "npm/lockfile-v1/package-lock.json",
        "npm/lockfile-v2/package-lock.json",
        "pnpm/lockfile-v9/pnpm-lock.yaml",
        "yarn/classic-v1/yarn.lock",
        "yarn/berry-v4/yarn.lock",
    ] {
        let got = hits(&index, &out, other);
        assert!(npm.is_subset(&got), "{other}: {:#?}", npm.difference(&got));
    }

    let pip = hits(&index, &out, "pip/pinned/requirements.txt");
    for want in [
        "pyyaml@5.3 PYSEC-2020-96",
        "pyyaml@5.3 PYSEC-2021-142",
        "jinja2@2.11.2 PYSEC-2021-66",
        "urllib3@1.26.4 PYSEC-2021-108",
        "requests@2.25.0 PYSEC-2023-74",
        "flask@1.1.2 PYSEC-2023-62",
    ] {
        assert!(
            pip.contains(&want.to_lowercase()) || pip.iter().any(|h| h.eq_ignore_ascii_case(want)),
            "{want}: {pip:#?}"
        );
    }
    let django = pip
        .iter()
        .filter(|h| h.to_lowercase().starts_with("django@"))
        .count();
    assert_eq!(django, 25, "django 3.2 has 25 PYSEC records");

    let cargo = hits(&index, &out, "cargo/lockfile-v4/Cargo.lock");
    for want in [
        "time@0.1.43 RUSTSEC-2020-0071",
        "chrono@0.4.19 RUSTSEC-2020-0159",
        "smallvec@1.6.0 RUSTSEC-2021-0003",
        "hyper@0.14.9 RUSTSEC-2021-0078",
        "hyper@0.14.9 RUSTSEC-2021-0079",
        "hyper@0.14.9 RUSTSEC-2022-0022",
    ] {
        assert!(cargo.contains(want), "{want}: {cargo:#?}");
    }
    assert_eq!(cargo, hits(&index, &out, "cargo/lockfile-v3/Cargo.lock"));
}

#[test]
fn sboms_are_found_under_any_name() {
    let data = shared_data();
    let out = scan(&data.join("sbom/cyclonedx/SBOM/keycloak-10.0.2"));
    let log4j: Vec<_> = named(&out, "log4j:log4j");
    assert!(!log4j.is_empty());
    assert!(log4j.iter().all(|f| f.evidence.method == Method::Sbom));
    let index = MatchIndex::build(vigilo_scan::builtin::advisories());
    let findings = match_local(&index, &out.components);
    assert!(
        findings
            .iter()
            .any(|f| f.found.component.name == "log4j:log4j"
                && f.found.component.version == "1.2.17"),
        "keycloak 10.0.2 ships log4j 1.2.17"
    );
    // SPDX 3 is reported, not silently read as nothing.
    let out = scan(&data.join("sbom/spdx/spdx-examples"));
    assert!(
        out.diagnostics
            .iter()
            .any(|d| d.code == vigilo_formats::DiagnosticCode::Unsupported)
    );
}
