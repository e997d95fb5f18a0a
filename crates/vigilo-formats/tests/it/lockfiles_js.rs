//! JavaScript lockfiles written by real npm, pnpm and Yarn runs (shared
//! data, one dependency set resolved by each tool), plus hand-written
//! fixtures for pnpm v6, installed `node_modules`, and the JVM and .NET
//! formats (`pom.xml`, `gradle.lockfile`, `packages.lock.json`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use vigilo_core::Ecosystem;
use vigilo_formats::diag::DiagnosticCode;
use vigilo_formats::manifest::{Kind, Package, Parsed, parse};

use crate::support::{fixture, parse_file, shared_data};

fn lockfile(rel: &str) -> PathBuf {
    shared_data().join("lockfiles").join(rel)
}

/// (name, version, dev) of every package.
fn triples(p: &Parsed) -> BTreeSet<(String, String, bool)> {
    p.packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.dev))
        .collect()
}

/// name@version of every package.
fn name_versions(p: &Parsed) -> BTreeSet<String> {
    p.packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect()
}

fn versions_of<'a>(p: &'a Parsed, name: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = p
        .packages
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.version.as_str())
        .collect();
    v.sort_unstable();
    v
}

fn dev_names(p: &Parsed) -> BTreeSet<&str> {
    p.packages
        .iter()
        .filter(|p| p.dev)
        .map(|p| p.name.as_str())
        .collect()
}

fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
    p.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not listed"))
}

const NPM_DEV_ONLY: [&str; 4] = ["lru-cache", "semver", "word-wrap", "yallist"];

/// Where npm (which dedupes against what is already installed) and Yarn or
/// pnpm (which take the newest version a range allows) resolved the same
/// ranges differently. send@0.17.1 asks for `http-errors ~1.7.2`: npm reuses
/// body-parser's 1.7.2, the others take 1.7.3, which brings
/// `inherits@2.0.4` along (npm keeps 2.0.3 only).
const NEWEST_IN_RANGE: [&str; 2] = ["http-errors@1.7.3", "inherits@2.0.4"];

#[test]
fn npm_v3_lockfile() {
    let p = parse_file(&lockfile("npm/lockfile-v3/package-lock.json"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // 61 `packages` entries, the root project ("") among them.
    assert_eq!(p.packages.len(), 60);
    assert!(p.packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    assert_eq!(dev_names(&p), NPM_DEV_ONLY.into_iter().collect());
    assert_eq!(versions_of(&p, "lodash"), ["4.17.15"]);
    assert_eq!(versions_of(&p, "qs"), ["6.7.0"]);
    assert_eq!(versions_of(&p, "minimist"), ["1.2.5"]);
    assert_eq!(versions_of(&p, "ms"), ["2.0.0", "2.1.1"]);
    assert_eq!(
        find(&p, "ms", "2.1.1").location,
        "/packages/node_modules~1send~1node_modules~1ms"
    );
    let lodash = find(&p, "lodash", "4.17.15");
    assert_eq!(lodash.location, "/packages/node_modules~1lodash");
    assert_eq!(lodash.purl.as_deref(), Some("pkg:npm/lodash@4.17.15"));
    assert!(!lodash.dev);
    assert!(!p.packages.iter().any(|p| p.name == "vulnerable-npm-app"));
}

#[test]
fn npm_v1_v2_v3_agree() {
    let v1 = parse_file(&lockfile("npm/lockfile-v1/package-lock.json"));
    let v2 = parse_file(&lockfile("npm/lockfile-v2/package-lock.json"));
    let v3 = parse_file(&lockfile("npm/lockfile-v3/package-lock.json"));
    for p in [&v1, &v2, &v3] {
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        // No package counted twice (v2 also carries the legacy tree).
        assert_eq!(p.packages.len(), 60);
    }
    assert_eq!(triples(&v1), triples(&v3));
    assert_eq!(triples(&v2), triples(&v3));
    assert_eq!(triples(&v3).len(), 60);
    // v1 names nested packages by their place in the tree.
    assert_eq!(
        find(&v1, "ms", "2.1.1").location,
        "/dependencies/send/dependencies/ms"
    );
}

#[test]
fn pnpm_v9_lockfile() {
    let npm = parse_file(&lockfile("npm/lockfile-v3/package-lock.json"));
    let p = parse_file(&lockfile("pnpm/lockfile-v9/pnpm-lock.yaml"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 62);
    // Dev-only packages worked out from importers and snapshots match
    // npm's own `dev` flags.
    assert_eq!(dev_names(&p), NPM_DEV_ONLY.into_iter().collect());
    assert_eq!(versions_of(&p, "lodash"), ["4.17.15"]);
    assert_eq!(versions_of(&p, "minimist"), ["1.2.5"]);
    assert_eq!(versions_of(&p, "http-errors"), ["1.7.2", "1.7.3"]);
    assert_eq!(find(&p, "qs", "6.7.0").location, "/packages/qs@6.7.0");

    let expected: BTreeSet<String> = name_versions(&npm)
        .into_iter()
        .chain(NEWEST_IN_RANGE.map(String::from))
        .collect();
    assert_eq!(name_versions(&p), expected);
}

#[test]
fn yarn_classic_lockfile() {
    let npm = parse_file(&lockfile("npm/lockfile-v3/package-lock.json"));
    let p = parse_file(&lockfile("yarn/classic-v1/yarn.lock"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // One package per block: 63 blocks, no two with the same version.
    assert_eq!(p.packages.len(), 63);
    assert_eq!(name_versions(&p).len(), 63);
    assert_eq!(versions_of(&p, "minimist"), ["1.2.5", "1.2.8"]);
    assert_eq!(versions_of(&p, "lodash"), ["4.17.15"]);
    assert_eq!(versions_of(&p, "qs"), ["6.7.0"]);
    assert!(p.packages.iter().all(|p| !p.dev));
    let minimist = find(&p, "minimist", "1.2.8");
    assert!(minimist.location.starts_with("line "));
    assert_eq!(minimist.purl.as_deref(), Some("pkg:npm/minimist@1.2.8"));

    // Besides the newest-in-range differences, json5@1.0.1 asks for
    // `minimist ^1.2.0`: npm and pnpm reuse the project's own 1.2.5,
    // Yarn installs 1.2.8 beside it.
    let expected: BTreeSet<String> = name_versions(&npm)
        .into_iter()
        .chain(NEWEST_IN_RANGE.map(String::from))
        .chain(["minimist@1.2.8".to_owned()])
        .collect();
    assert_eq!(name_versions(&p), expected);
}

#[test]
fn yarn_berry_lockfile() {
    let classic = parse_file(&lockfile("yarn/classic-v1/yarn.lock"));
    let p = parse_file(&lockfile("yarn/berry-v4/yarn.lock"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // 64 entries: the project's own `workspace:.` entry is skipped.
    assert_eq!(p.packages.len(), 63);
    assert!(!p.packages.iter().any(|p| p.name == "vulnerable-npm-app"));
    assert_eq!(versions_of(&p, "minimist"), ["1.2.5", "1.2.8"]);
    assert_eq!(name_versions(&p), name_versions(&classic));
    // `"mime-types@npm:~2.1.24, mime-types@npm:~2.1.34":` is one package.
    assert_eq!(versions_of(&p, "mime-types"), ["2.1.35"]);
    let lodash = find(&p, "lodash", "4.17.15");
    assert_eq!(lodash.location, "line 284");
}

#[test]
fn pnpm_v6_fixture() {
    let p = parse_file(&fixture("pnpm-v6/pnpm-lock.yaml"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 16);
    assert_eq!(
        dev_names(&p),
        [
            "@types/prop-types",
            "@types/react",
            "@types/scheduler",
            "csstype"
        ]
        .into_iter()
        .collect()
    );
    // Peer suffix stripped; dev: false kept for a dev dependency that a
    // production package also needs.
    let react_dom = find(&p, "react-dom", "18.2.0");
    assert_eq!(
        react_dom.location,
        "/packages/~1react-dom@18.2.0(react@18.2.0)"
    );
    assert!(!find(&p, "follow-redirects", "1.14.9").dev);
    assert_eq!(
        find(&p, "@types/react", "18.0.28").purl.as_deref(),
        Some("pkg:npm/%40types/react@18.0.28")
    );
    // The alias is listed under the package it installs.
    find(&p, "string-width", "4.2.3");
    assert!(!p.packages.iter().any(|p| p.name == "string-width-cjs"));
}

#[test]
fn node_modules_fixture() {
    let root = fixture("npm-node-modules");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut found = Vec::new();
    let mut not_packages = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if !rel.ends_with("package.json") {
            continue;
        }
        match Kind::detect(&rel) {
            Some(Kind::NodePackageJson) => {
                let bytes = std::fs::read(file).unwrap();
                let p = parse(Kind::NodePackageJson, &bytes, &rel).unwrap();
                assert!(p.diagnostics.is_empty(), "{rel}: {:?}", p.diagnostics);
                for pkg in p.packages {
                    found.push((pkg.name, pkg.version));
                }
            }
            other => {
                assert_eq!(other, None, "{rel}");
                not_packages.push(rel);
            }
        }
    }
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("@babel/core", "7.12.3"),
            ("@babel/runtime", "7.12.1"),
            ("lodash", "4.17.15"),
            ("ms", "2.1.1"),
            ("send", "0.17.1"),
        ]
    );
    assert_eq!(
        not_packages,
        ["node_modules/@babel/runtime/helpers/esm/package.json"]
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn pom_xml_fixture() {
    let p = parse_file(&fixture("maven-properties/pom.xml"));
    let got: Vec<(&str, &str, bool, &str)> = p
        .packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.version.as_str(),
                p.dev,
                p.location.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "com.fasterxml.jackson:jackson-bom",
                "2.9.10.20200223",
                false,
                "line 29"
            ),
            ("org.yaml:snakeyaml", "1.29", false, "line 41"),
            (
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                false,
                "line 54"
            ),
            // Versionless here; dependencyManagement gives 1.9.
            ("org.apache.commons:commons-text", "1.9", false, "line 59"),
            (
                "com.example.orders:orders-api",
                "1.4.0-SNAPSHOT",
                false,
                "line 63"
            ),
            ("com.h2database:h2", "1.4.200", true, "line 79"),
            ("junit:junit", "4.13.1", true, "line 85"),
        ]
    );
    assert!(p.packages.iter().all(|p| p.ecosystem == Ecosystem::Maven));
    assert_eq!(
        find(&p, "org.apache.logging.log4j:log4j-core", "2.14.1")
            .purl
            .as_deref(),
        Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    );
    // Neither the parent nor plugins (nor their dependencies) are packages.
    for absent in [
        "org.springframework.boot:spring-boot-starter-parent",
        "org.apache.maven.plugins:maven-compiler-plugin",
        "org.ow2.asm:asm",
    ] {
        assert!(!p.packages.iter().any(|p| p.name == absent), "{absent}");
    }
    let warnings: Vec<(&str, DiagnosticCode)> = p
        .diagnostics
        .iter()
        .map(|d| (d.pointer.as_str(), d.code))
        .collect();
    assert_eq!(
        warnings,
        [
            ("line 50", DiagnosticCode::ManifestEntry),
            ("line 68", DiagnosticCode::ManifestEntry),
            ("line 74", DiagnosticCode::ManifestEntry),
        ]
    );
    assert!(p.diagnostics[0].message.contains("spring-boot-starter-web"));
    assert!(p.diagnostics[1].message.contains("${platform.version}"));
    assert!(p.diagnostics[2].message.contains("[5.3.0,5.4.0)"));
}

#[test]
fn gradle_lockfile_fixture() {
    let p = parse_file(&fixture("gradle-lockfile/gradle.lockfile"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.packages.len(), 16);
    assert!(p.packages.iter().all(|p| p.ecosystem == Ecosystem::Maven));
    assert_eq!(
        dev_names(&p),
        ["junit:junit", "org.hamcrest:hamcrest-core"]
            .into_iter()
            .collect()
    );
    let log4j = find(&p, "org.apache.logging.log4j:log4j-core", "2.14.1");
    assert_eq!(log4j.location, "line 15");
    assert!(!log4j.dev);
    assert_eq!(
        log4j.purl.as_deref(),
        Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    );
    find(
        &p,
        "com.google.guava:listenablefuture",
        "9999.0-empty-to-avoid-conflict-with-guava",
    );
}

#[test]
fn nuget_lock_fixture() {
    let p = parse_file(&fixture("nuget-lock/packages.lock.json"));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let got: BTreeSet<(&str, &str)> = p
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("Microsoft.Extensions.Logging.Abstractions", "6.0.0"),
            ("Newtonsoft.Json", "12.0.3"),
            ("Serilog", "2.10.0"),
            ("System.Text.Encodings.Web", "4.5.0"),
            ("System.Text.Encodings.Web", "4.7.2"),
            ("runtime.linux-x64.Microsoft.DotNet.ILCompiler", "6.0.0"),
        ]
        .into_iter()
        .collect()
    );
    // Listed once although restored for both frameworks; the project
    // reference is not a package.
    assert_eq!(p.packages.len(), 6);
    assert_eq!(
        find(&p, "Newtonsoft.Json", "12.0.3").location,
        "/dependencies/net6.0/Newtonsoft.Json"
    );
    assert!(!p.packages.iter().any(|p| p.name == "Orders.Domain"));
    assert!(
        p.packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::NuGet && !p.dev)
    );
}

#[test]
fn mutated_files_never_panic() {
    // Structural bytes dropped at pseudo-random places (xorshift, fixed
    // seed): unbalanced brackets, broken quotes and odd indentation.
    const SPICE: &[u8] = b"{}[]()<>\"':,@/#\n =&;$-_~%\\";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (1 << 31)).unwrap()
    };
    let files = [
        (
            lockfile("npm/lockfile-v1/package-lock.json"),
            Kind::PackageLock,
        ),
        (
            lockfile("npm/lockfile-v2/package-lock.json"),
            Kind::PackageLock,
        ),
        (lockfile("pnpm/lockfile-v9/pnpm-lock.yaml"), Kind::PnpmLock),
        (lockfile("yarn/classic-v1/yarn.lock"), Kind::YarnLock),
        (lockfile("yarn/berry-v4/yarn.lock"), Kind::YarnLock),
        (fixture("pnpm-v6/pnpm-lock.yaml"), Kind::PnpmLock),
        (fixture("maven-properties/pom.xml"), Kind::PomXml),
        (
            fixture("gradle-lockfile/gradle.lockfile"),
            Kind::GradleLockfile,
        ),
        (fixture("nuget-lock/packages.lock.json"), Kind::NugetLock),
        (
            fixture("npm-node-modules/node_modules/lodash/package.json"),
            Kind::NodePackageJson,
        ),
    ];
    for (path, kind) in files {
        let original = std::fs::read(&path).unwrap();
        for _ in 0..300 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = next() % bytes.len();
                bytes[at] = SPICE[next() % SPICE.len()];
            }
            let _ = parse(kind, &bytes, "mutated");
        }
    }
}

#[test]
fn truncated_real_files_never_panic() {
    for rel in [
        "npm/lockfile-v1/package-lock.json",
        "npm/lockfile-v3/package-lock.json",
        "pnpm/lockfile-v9/pnpm-lock.yaml",
        "yarn/classic-v1/yarn.lock",
        "yarn/berry-v4/yarn.lock",
    ] {
        let path = lockfile(rel);
        let bytes = std::fs::read(&path).unwrap();
        let kind = Kind::detect(rel).unwrap();
        for cut in (0..bytes.len()).step_by(97) {
            let _ = parse(kind, &bytes[..cut], rel);
        }
    }
    for (rel, kind) in [
        ("maven-properties/pom.xml", Kind::PomXml),
        ("nuget-lock/packages.lock.json", Kind::NugetLock),
        ("gradle-lockfile/gradle.lockfile", Kind::GradleLockfile),
        ("pnpm-v6/pnpm-lock.yaml", Kind::PnpmLock),
    ] {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        for cut in 0..bytes.len() {
            let _ = parse(kind, &bytes[..cut], rel);
        }
    }
}
