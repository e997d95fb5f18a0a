//! Gradle's dependency lock state.
//!
//! Read: the single-file format of Gradle 6 and later (`gradle.lockfile`),
//! one `group:artifact:version=configuration1,configuration2` line per
//! module, `#` comments, and an `empty=…` line naming the configurations
//! that resolved to nothing (ignored). The per-configuration files of
//! Gradle 4.8 to 5 (`gradle/dependency-locks/<configuration>.lockfile`)
//! have `group:artifact:version` lines without `=`; their configuration is
//! the file's name.
//!
//! A module is development-only when every configuration it is locked in
//! is a test one (`testCompileClasspath`, `testRuntimeClasspath`,
//! `integrationTestRuntimeClasspath`, `debugAndroidTestCompileClasspath`…:
//! a name starting with `test` or containing `Test`). Packages are in the
//! Maven ecosystem, named `group:artifact`; locations are `line N`.

use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, utf8};
use crate::diag::Diagnostic;

/// Reads a `gradle.lockfile` or a `dependency-locks/*.lockfile`.
pub(super) fn gradle_lockfile(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    // The configuration of a legacy per-configuration file.
    let file_configuration = path
        .rsplit(['/', '\\'])
        .next()
        .and_then(|name| name.strip_suffix(".lockfile"))
        .filter(|stem| *stem != "gradle");
    let mut out = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let location = format!("line {}", i + 1);
        let (coordinates, configurations) = match line.split_once('=') {
            Some(("empty", _)) => continue,
            Some((c, confs)) => (c.trim(), Some(confs)),
            None => (line, None),
        };
        let parts: Vec<&str> = coordinates.split(':').map(str::trim).collect();
        let [group, artifact, version] = parts.as_slice() else {
            out.diagnostics.push(entry_warning(
                path,
                location,
                format!("{coordinates:?} is not `group:artifact:version`"),
            ));
            continue;
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            out.diagnostics.push(entry_warning(
                path,
                location,
                format!("{coordinates:?} has an empty group, artifact or version"),
            ));
            continue;
        }
        let dev = match configurations {
            Some(list) => {
                let mut names = list.split(',').map(str::trim).filter(|c| !c.is_empty());
                let first = names.next();
                first.is_some_and(is_test_configuration) && names.all(is_test_configuration)
            }
            None => file_configuration.is_some_and(is_test_configuration),
        };
        let mut package = Package::new(
            Ecosystem::Maven,
            &format!("{group}:{artifact}"),
            version,
            location,
        );
        package.dev = dev;
        out.packages.push(package);
    }
    Ok(out)
}

/// Whether a configuration only serves tests.
fn is_test_configuration(name: &str) -> bool {
    name.starts_with("test") || name.contains("Test")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, path: &str) -> Parsed {
        gradle_lockfile(text.as_bytes(), path).unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn single_file_format() {
        let p = parse(
            "# This is a Gradle generated file for dependency locking.\n\
             # Manual edits can break the build and are not advised.\n\
             # This file is expected to be part of source control.\n\
             com.google.guava:guava:30.1-jre=compileClasspath,runtimeClasspath,testCompileClasspath\n\
             junit:junit:4.13.1=testCompileClasspath,testRuntimeClasspath\n\
             org.mockito:mockito-core:3.0.0=integrationTestRuntimeClasspath,testRuntimeClasspath\n\
             org.example:nowhere:1.0=\n\
             not-a-coordinate=compileClasspath\n\
             a::1=compileClasspath\n\
             empty=annotationProcessor,testAnnotationProcessor\n",
            "gradle.lockfile",
        );
        let got: Vec<_> = p
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
                ("com.google.guava:guava", "30.1-jre", false, "line 4"),
                ("junit:junit", "4.13.1", true, "line 5"),
                ("org.mockito:mockito-core", "3.0.0", true, "line 6"),
                ("org.example:nowhere", "1.0", false, "line 7"),
            ]
        );
        let at: Vec<&str> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(at, ["line 8", "line 9"]);
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some("pkg:maven/com.google.guava/guava@30.1-jre")
        );
    }

    #[test]
    fn legacy_per_configuration_files() {
        let text = "# comment\norg.slf4j:slf4j-api:1.7.30\n";
        let p = parse(
            text,
            "gradle/dependency-locks/testRuntimeClasspath.lockfile",
        );
        assert!(p.packages[0].dev);
        let p = parse(text, "gradle/dependency-locks/runtimeClasspath.lockfile");
        assert!(!p.packages[0].dev);
        let p = parse(text, "gradle.lockfile");
        assert!(!p.packages[0].dev);
    }

    #[test]
    fn test_configurations() {
        for name in [
            "testCompileClasspath",
            "debugUnitTestRuntimeClasspath",
            "testFixturesApi",
        ] {
            assert!(is_test_configuration(name), "{name}");
        }
        for name in [
            "compileClasspath",
            "runtimeClasspath",
            "annotationProcessor",
            "contest",
        ] {
            assert!(!is_test_configuration(name), "{name}");
        }
    }
}
