//! Python, Rust, Go, Ruby, PHP and Debian package lists: the lockfiles in
//! the shared data (written by pip/uv, Poetry and cargo), fixtures written
//! by PDM and pipenv or modelled on the other tools' output, and this
//! machine's own dpkg database when there is one.

use std::path::Path;

use vigilo_core::Ecosystem;
use vigilo_formats::diag::{DiagnosticCode, Severity};
use vigilo_formats::manifest::{Kind, Package, Parsed, parse};

use crate::support::{fixture, parse_file, shared_data};

fn lockfile(rel: &str) -> Parsed {
    parse_file(&shared_data().join("lockfiles").join(rel))
}

fn pairs(parsed: &Parsed) -> Vec<(&str, &str)> {
    parsed
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect()
}

fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
    parsed
        .packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:?}", pairs(parsed)))
}

fn dev_names(parsed: &Parsed) -> Vec<&str> {
    parsed
        .packages
        .iter()
        .filter(|p| p.dev)
        .map(|p| p.name.as_str())
        .collect()
}

// --- Python ------------------------------------------------------------------

#[test]
fn pip_pinned_requirements() {
    let parsed = lockfile("pip/pinned/requirements.txt");
    assert_eq!(
        pairs(&parsed),
        [
            ("django", "3.2.0"),
            ("requests", "2.25.0"),
            ("pyyaml", "5.3"),
            ("jinja2", "2.11.2"),
            ("urllib3", "1.26.4"),
            ("flask", "1.1.2"),
        ]
    );
    // Line 1 is the comment.
    assert_eq!(parsed.packages[0].location, "line 2");
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::PyPI && !p.dev)
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(parsed.includes.is_empty());
}

#[test]
fn pip_compiled_with_hashes() {
    let parsed = lockfile("pip/compiled-with-hashes/requirements.txt");
    // 17 pins, each followed by `--hash` continuation lines and `# via`
    // comments; the `-r requirements.in` inside comments is not an include.
    assert_eq!(
        pairs(&parsed),
        [
            ("asgiref", "3.8.1"),
            ("certifi", "2026.10.18"),
            ("chardet", "3.0.4"),
            ("click", "8.1.8"),
            ("django", "3.2"),
            ("flask", "1.1.2"),
            ("idna", "2.10"),
            ("itsdangerous", "2.2.0"),
            ("jinja2", "2.11.2"),
            ("markupsafe", "2.1.5"),
            ("pytz", "2026.6"),
            ("pyyaml", "5.3"),
            ("requests", "2.25.0"),
            ("sqlparse", "0.5.5"),
            ("typing-extensions", "4.13.2"),
            ("urllib3", "1.26.4"),
            ("werkzeug", "3.0.6"),
        ]
    );
    let django = find(&parsed, "django");
    assert_eq!(django.location, "line 19");
    assert_eq!(django.purl.as_deref(), Some("pkg:pypi/django@3.2"));
    // markupsafe's pin spans 63 physical lines of hashes; werkzeug is on
    // the line after.
    assert_eq!(find(&parsed, "markupsafe").location, "line 41");
    assert_eq!(find(&parsed, "werkzeug").location, "line 140");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(parsed.includes.is_empty());
}

#[test]
fn uv_lock_keeps_every_resolution_fork_but_not_the_project() {
    let parsed = lockfile("uv/basic/uv.lock");
    // 27 `[[package]]` tables: 26 packages plus the project itself
    // (`vulnerable-python-app`, `source = { virtual = "." }`), left out.
    assert_eq!(parsed.packages.len(), 26);
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.name != "vulnerable-python-app")
    );
    // `requires-python >=3.8` forks the resolution: several versions of
    // some packages, each kept.
    let versions = |name: &str| -> Vec<&str> {
        parsed
            .packages
            .iter()
            .filter(|p| p.name == name)
            .map(|p| p.version.as_str())
            .collect()
    };
    assert_eq!(versions("asgiref"), ["3.8.1", "3.11.1", "3.12.1", "3.13.0"]);
    assert_eq!(versions("werkzeug"), ["3.0.6", "3.1.9"]);
    assert_eq!(versions("django"), ["3.2"]);
    assert_eq!(versions("urllib3"), ["1.26.4"]);
    assert_eq!(find(&parsed, "pyyaml").version, "5.3");
    assert_eq!(find(&parsed, "asgiref").location, "/package/0");
    // No dependency groups in this project: nothing is dev-only.
    assert!(dev_names(&parsed).is_empty());
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn poetry_lock_v2() {
    let parsed = lockfile("poetry/basic/poetry.lock");
    assert_eq!(
        pairs(&parsed),
        [
            ("asgiref", "3.8.1"),
            ("certifi", "2026.10.18"),
            ("chardet", "3.0.4"),
            ("click", "8.1.8"),
            ("colorama", "0.4.6"),
            ("django", "3.2"),
            ("flask", "1.1.2"),
            ("idna", "2.10"),
            ("itsdangerous", "2.2.0"),
            ("jinja2", "2.11.2"),
            ("markupsafe", "2.1.5"),
            ("pytz", "2026.6"),
            ("pyyaml", "5.3"),
            ("requests", "2.25.0"),
            ("sqlparse", "0.5.5"),
            ("typing-extensions", "4.13.2"),
            ("urllib3", "1.26.4"),
            ("werkzeug", "3.0.6"),
        ]
    );
    // Every package is in the `main` group.
    assert!(dev_names(&parsed).is_empty());
    assert_eq!(find(&parsed, "django").location, "/package/5");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn pdm_lock_groups() {
    let parsed = parse_file(&fixture("py-pdm-lock/pdm.lock"));
    assert_eq!(parsed.packages.len(), 16);
    assert_eq!(find(&parsed, "requests").version, "2.25.0");
    assert_eq!(find(&parsed, "jinja2").version, "2.11.2");
    assert_eq!(find(&parsed, "urllib3").version, "1.26.20");
    assert_eq!(find(&parsed, "pytest").version, "7.0.0");
    assert_eq!(
        dev_names(&parsed),
        [
            "atomicwrites",
            "attrs",
            "colorama",
            "iniconfig",
            "packaging",
            "pluggy",
            "py",
            "pytest",
            "tomli"
        ]
    );
    assert!(!find(&parsed, "requests").dev);
    assert!(!find(&parsed, "markupsafe").dev);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn pipfile_lock_sections() {
    let parsed = parse_file(&fixture("py-pipfile-lock/Pipfile.lock"));
    let runtime: Vec<(&str, &str)> = parsed
        .packages
        .iter()
        .filter(|p| !p.dev)
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        runtime,
        [
            ("certifi", "2026.10.18"),
            ("chardet", "3.0.4"),
            ("idna", "2.10"),
            ("jinja2", "2.11.2"),
            ("markupsafe", "3.0.4"),
            ("requests", "2.25.0"),
            ("urllib3", "1.26.20"),
        ]
    );
    assert_eq!(
        dev_names(&parsed),
        [
            "attrs",
            "iniconfig",
            "packaging",
            "pluggy",
            "py",
            "pytest",
            "tomli"
        ]
    );
    assert_eq!(find(&parsed, "pytest").version, "7.0.0");
    assert_eq!(find(&parsed, "pytest").location, "/develop/pytest");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn installed_python_metadata() {
    let dist_info = fixture("py-installed-metadata/site-packages/PyYAML-6.0.dist-info/METADATA");
    let parsed = parse_file(&dist_info);
    assert_eq!(pairs(&parsed), [("PyYAML", "6.0")]);
    assert_eq!(parsed.packages[0].location, "line 2");
    assert_eq!(
        parsed.packages[0].purl.as_deref(),
        Some("pkg:pypi/pyyaml@6.0")
    );

    // The egg-info's long description follows the headers; only the
    // headers count.
    let egg_info = fixture("py-installed-metadata/site-packages/PyJWT-2.6.0.egg-info/PKG-INFO");
    let parsed = parse_file(&egg_info);
    assert_eq!(pairs(&parsed), [("PyJWT", "2.6.0")]);
    assert!(Kind::detect(&egg_info.to_string_lossy()).is_some_and(Kind::is_installed));
}

// --- Rust --------------------------------------------------------------------

#[test]
fn cargo_lock_v3_and_v4() {
    let v4 = lockfile("cargo/lockfile-v4/Cargo.lock");
    let v3 = lockfile("cargo/lockfile-v3/Cargo.lock");
    // 45 `[[package]]` tables; the project itself (`vulnerable-rust-app`,
    // the only one without a `source`) is not a published crate and is
    // left out.
    assert_eq!(v4.packages.len(), 44);
    assert!(v4.packages.iter().all(|p| p.name != "vulnerable-rust-app"));
    for (name, version) in [
        ("time", "0.1.43"),
        ("chrono", "0.4.19"),
        ("smallvec", "1.6.0"),
        ("hyper", "0.14.9"),
        ("wasi", "0.11.1+wasi-snapshot-preview1"),
    ] {
        assert_eq!(find(&v4, name).version, version, "{name}");
    }
    let itoa: Vec<&str> = v4
        .packages
        .iter()
        .filter(|p| p.name == "itoa")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(itoa, ["0.4.8", "1.0.19"]);
    let hyper = find(&v4, "hyper");
    assert_eq!(hyper.ecosystem, Ecosystem::CratesIo);
    assert_eq!(hyper.purl.as_deref(), Some("pkg:cargo/hyper@0.14.9"));
    assert_eq!(hyper.location, "/package/16");
    assert!(v4.diagnostics.is_empty(), "{:?}", v4.diagnostics);
    // The same resolution, written as version 3.
    assert_eq!(v3.packages, v4.packages);
}

// --- Go ----------------------------------------------------------------------

#[test]
fn go_mod_with_replacements_and_indirect_requirements() {
    let parsed = parse_file(&fixture("go-replace-indirect/go.mod"));
    // 19 requirements: 18 packages, and the one replaced by `./tools`
    // skipped with a warning.
    assert_eq!(parsed.packages.len(), 18);
    assert!(parsed.packages.iter().all(|p| p.ecosystem == Ecosystem::Go));
    // Replaced for every version.
    let yaml = find(&parsed, "gopkg.in/yaml.v2");
    assert_eq!(
        (yaml.version.as_str(), yaml.location.as_str()),
        ("v2.2.8", "line 12")
    );
    // Replaced for exactly the required version.
    assert_eq!(
        find(&parsed, "github.com/gorilla/websocket").version,
        "v1.4.2"
    );
    // Indirect requirements and pseudo-versions, as written.
    assert_eq!(find(&parsed, "golang.org/x/text").version, "v0.3.3");
    let net = find(&parsed, "golang.org/x/net");
    assert_eq!(net.version, "v0.0.0-20210226172049-e18ecbb05110");
    assert_eq!(
        net.purl.as_deref(),
        Some("pkg:golang/golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110")
    );
    assert_eq!(
        find(&parsed, "github.com/go-playground/validator/v10").version,
        "v10.4.1"
    );
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.name != "example.com/internal/tools")
    );
    assert_eq!(parsed.diagnostics.len(), 1);
    let skipped = &parsed.diagnostics[0];
    assert_eq!(
        (skipped.code, skipped.severity, skipped.pointer.as_str()),
        (DiagnosticCode::ManifestEntry, Severity::Warning, "line 8")
    );
    assert!(skipped.message.contains("./tools"), "{}", skipped.message);
}

#[test]
fn go_sum_reports_built_modules_only() {
    let parsed = parse_file(&fixture("go-replace-indirect/go.sum"));
    // 47 lines: 18 modules with a content hash (and a `/go.mod` hash
    // each), and 11 modules with only a `/go.mod` hash.
    assert_eq!(parsed.packages.len(), 18);
    let yaml: Vec<&str> = parsed
        .packages
        .iter()
        .filter(|p| p.name == "gopkg.in/yaml.v2")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(yaml, ["v2.2.8"]);
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.name != "github.com/stretchr/testify")
    );
    // The go.mod and go.sum agree on what is built.
    let from_mod = parse_file(&fixture("go-replace-indirect/go.mod"));
    let mut mod_pairs = pairs(&from_mod);
    let mut sum_pairs = pairs(&parsed);
    mod_pairs.sort_unstable();
    sum_pairs.sort_unstable();
    assert_eq!(mod_pairs, sum_pairs);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

// --- Ruby --------------------------------------------------------------------

#[test]
fn gemfile_lock_sources_and_platforms() {
    let parsed = parse_file(&fixture("ruby-platform-git/Gemfile.lock"));
    assert_eq!(
        pairs(&parsed),
        [
            // GIT
            ("rack-protection", "4.0.0"),
            ("sinatra", "4.0.0"),
            // PATH
            ("vulnerable_app", "0.1.0"),
            // GEM
            ("activesupport", "6.1.4"),
            ("base64", "0.2.0"),
            ("concurrent-ruby", "1.1.9"),
            ("i18n", "1.8.10"),
            ("mini_portile2", "2.8.0"),
            ("minitest", "5.14.4"),
            ("mustermann", "3.0.0"),
            ("nokogiri", "1.13.10"),
            ("racc", "1.6.0"),
            ("rack", "3.0.0"),
            ("rack-session", "2.0.0"),
            ("ruby2_keywords", "0.0.5"),
            ("tilt", "2.0.11"),
            ("tzinfo", "2.0.4"),
            ("zeitwerk", "2.4.2"),
        ]
    );
    let nokogiri = find(&parsed, "nokogiri");
    assert_eq!(nokogiri.location, "line 39");
    assert_eq!(nokogiri.purl.as_deref(), Some("pkg:gem/nokogiri@1.13.10"));
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::RubyGems)
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

// --- PHP ---------------------------------------------------------------------

#[test]
fn composer_lock_packages_and_dev_packages() {
    let parsed = parse_file(&fixture("php-composer-lock/composer.lock"));
    assert_eq!(
        pairs(&parsed),
        [
            ("guzzlehttp/guzzle", "7.4.0"),
            ("guzzlehttp/promises", "1.5.1"),
            ("guzzlehttp/psr7", "2.1.0"),
            ("psr/http-client", "1.0.1"),
            ("psr/http-message", "1.0.1"),
            ("symfony/http-foundation", "5.4.3"),
            ("symfony/polyfill-mbstring", "1.24.0"),
            ("twig/twig", "3.3.7"),
            ("phpunit/phpunit", "9.5.10"),
            ("sebastian/diff", "4.0.4"),
        ]
    );
    assert_eq!(dev_names(&parsed), ["phpunit/phpunit", "sebastian/diff"]);
    let twig = find(&parsed, "twig/twig");
    assert_eq!(twig.location, "/packages/7");
    assert_eq!(twig.purl.as_deref(), Some("pkg:composer/twig/twig@3.3.7"));
    assert_eq!(find(&parsed, "sebastian/diff").location, "/packages-dev/1");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

// --- Debian ------------------------------------------------------------------

#[test]
fn dpkg_status_skips_removed_packages() {
    let parsed = parse_file(&fixture("dpkg-status-deinstalled/var/lib/dpkg/status"));
    assert_eq!(
        pairs(&parsed),
        [
            ("base-files", "12.4+deb12u11"),
            ("libc6", "2.36-9+deb12u14"),
            ("libgcc-s1", "12.2.0-14+deb12u1"),
            ("libssl3", "3.0.19-1~deb12u2"),
            ("openssl", "3.0.19-1~deb12u2"),
            ("tzdata", "2025b-0+deb12u2"),
            ("zlib1g", "1:1.2.13.dfsg-1"),
        ]
    );
    assert!(
        parsed
            .packages
            .iter()
            .all(|p| p.ecosystem == Ecosystem::Debian(None))
    );
    let libc6 = find(&parsed, "libc6");
    assert_eq!(libc6.location, "line 28");
    assert_eq!(
        libc6.purl.as_deref(),
        Some("pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64")
    );
    assert_eq!(
        find(&parsed, "zlib1g").purl.as_deref(),
        Some("pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64")
    );
    assert_eq!(
        find(&parsed, "tzdata").purl.as_deref(),
        Some("pkg:deb/debian/tzdata@2025b-0%2Bdeb12u2?arch=all")
    );
    // `rsyslog` (deinstall ok config-files) and `libc6-i386-dummy` (purge
    // ok not-installed, no version) are skipped without a word.
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn dpkg_distroless_status_d() {
    let parsed = parse_file(&fixture("dpkg-distroless/var/lib/dpkg/status.d/libssl3"));
    assert_eq!(pairs(&parsed), [("libssl3", "3.0.19-1~deb12u2")]);
    assert_eq!(
        parsed.packages[0].purl.as_deref(),
        Some("pkg:deb/debian/libssl3@3.0.19-1~deb12u2?arch=amd64")
    );
}

#[test]
fn this_machines_dpkg_status() {
    let path = Path::new("/var/lib/dpkg/status");
    let Ok(text) = std::fs::read_to_string(path) else {
        return; // Not a Debian-family machine.
    };
    let parsed = parse_file(path);
    let installed = text
        .lines()
        .filter(|l| l.starts_with("Status:") && l.ends_with(" installed"))
        .count();
    assert_eq!(parsed.packages.len(), installed);
    assert!(parsed.packages.iter().any(|p| p.name == "libc6"));
    assert!(parsed.packages.iter().all(|p| !p.version.is_empty()));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

// --- Robustness --------------------------------------------------------------

/// The files the robustness tests cut and mutate.
fn robustness_files() -> Vec<std::path::PathBuf> {
    let data = shared_data().join("lockfiles");
    vec![
        data.join("pip/compiled-with-hashes/requirements.txt"),
        data.join("uv/basic/uv.lock"),
        data.join("poetry/basic/poetry.lock"),
        data.join("cargo/lockfile-v4/Cargo.lock"),
        fixture("py-pdm-lock/pdm.lock"),
        fixture("py-pipfile-lock/Pipfile.lock"),
        fixture("py-installed-metadata/site-packages/PyJWT-2.6.0.egg-info/PKG-INFO"),
        fixture("go-replace-indirect/go.mod"),
        fixture("go-replace-indirect/go.sum"),
        fixture("ruby-platform-git/Gemfile.lock"),
        fixture("php-composer-lock/composer.lock"),
        fixture("dpkg-status-deinstalled/var/lib/dpkg/status"),
    ]
}

/// Every prefix (in steps) of every file above parses or fails cleanly:
/// no panic, and a failure is one file-level diagnostic.
#[test]
fn truncated_files_never_panic() {
    for file in robustness_files() {
        let bytes = std::fs::read(&file).unwrap();
        let name = file.to_string_lossy();
        let kind = Kind::detect(&name).unwrap();
        let step = (bytes.len() / 300).max(1);
        for end in (0..bytes.len()).step_by(step) {
            let prefix = &bytes[..end];
            if let Err(d) = parse(kind, prefix, &name) {
                assert_eq!(d.severity, Severity::Error, "{name}[..{end}]");
                assert!(!d.message.is_empty());
            }
        }
    }
}

/// Files with bytes overwritten by the formats' own punctuation (a fixed
/// pseudo-random sequence) parse or fail cleanly.
#[test]
fn mutated_files_never_panic() {
    const PUNCTUATION: &[u8] = b"\n \t\"'[]{}()=,:;#\\-/@v0\xff";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for file in robustness_files() {
        let original = std::fs::read(&file).unwrap();
        let name = file.to_string_lossy();
        let kind = Kind::detect(&name).unwrap();
        for _ in 0..200 {
            let mut bytes = original.clone();
            for _ in 0..=(next() % 8) {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = PUNCTUATION[(next() % PUNCTUATION.len() as u64) as usize];
            }
            if let Err(d) = parse(kind, &bytes, &name) {
                assert_eq!(d.severity, Severity::Error, "{name}");
            }
        }
    }
}
