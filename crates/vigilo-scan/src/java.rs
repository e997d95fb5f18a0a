//! Identifying Java archives: `pom.properties`, `MANIFEST.MF`, the file
//! name, and the Log4j class fingerprints of [`crate::log4j`].

use std::collections::BTreeMap;

/// One `META-INF/maven/<group>/<artifact>/pom.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PomProperties {
    pub member: String,
    pub group: String,
    pub artifact: String,
    pub version: String,
}

/// Whether a member is a `pom.properties` under `META-INF/maven/`.
pub fn is_pom_properties(member: &str) -> bool {
    member.starts_with("META-INF/maven/") && member.ends_with("/pom.properties")
}

/// Whether a member is the archive's manifest.
pub fn is_manifest(member: &str) -> bool {
    member.eq_ignore_ascii_case("META-INF/MANIFEST.MF")
}

/// Parses a `pom.properties` (Java properties: `key=value`, `#` comments).
/// `None` when groupId, artifactId or version is missing.
pub fn parse_pom_properties(member: &str, bytes: &[u8]) -> Option<PomProperties> {
    let text = String::from_utf8_lossy(bytes);
    let mut props = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        if let Some((k, v)) = line.split_once(['=', ':']) {
            props.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    let get = |k: &str| props.get(k).filter(|v| !v.is_empty()).cloned();
    Some(PomProperties {
        member: member.to_owned(),
        group: get("groupId")?,
        artifact: get("artifactId")?,
        version: get("version")?,
    })
}

/// The main attributes of a `MANIFEST.MF` (continuation lines joined).
pub fn parse_manifest(bytes: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(bytes);
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // end of the main section
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| attrs.get_mut(k)) {
                v.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_owned();
            attrs.insert(k.clone(), v.trim().to_owned());
            last = Some(k);
        }
    }
    attrs
}

/// Well-known artifacts by the names their jars and bundles carry, for
/// archives with neither `pom.properties` nor a usable manifest. Maven
/// coordinates cannot be recovered from a file name in general; these are
/// the ones the built-in and commonly shared advisories name.
const KNOWN_ARTIFACTS: [(&str, &str); 22] = [
    ("log4j-core", "org.apache.logging.log4j:log4j-core"),
    ("log4j-api", "org.apache.logging.log4j:log4j-api"),
    ("log4j-1.2-api", "org.apache.logging.log4j:log4j-1.2-api"),
    ("log4j", "log4j:log4j"),
    ("log4j-1.2", "log4j:log4j"),
    ("commons-text", "org.apache.commons:commons-text"),
    (
        "commons-collections",
        "commons-collections:commons-collections",
    ),
    ("spring-beans", "org.springframework:spring-beans"),
    ("spring-webmvc", "org.springframework:spring-webmvc"),
    ("spring-webflux", "org.springframework:spring-webflux"),
    ("spring-core", "org.springframework:spring-core"),
    ("snakeyaml", "org.yaml:snakeyaml"),
    ("h2", "com.h2database:h2"),
    ("logback-classic", "ch.qos.logback:logback-classic"),
    ("logback-core", "ch.qos.logback:logback-core"),
    ("struts2-core", "org.apache.struts:struts2-core"),
    (
        "jackson-databind",
        "com.fasterxml.jackson.core:jackson-databind",
    ),
    ("jackson-core", "com.fasterxml.jackson.core:jackson-core"),
    ("netty-all", "io.netty:netty-all"),
    ("guava", "com.google.guava:guava"),
    ("xstream", "com.thoughtworks.xstream:xstream"),
    ("commons-io", "commons-io:commons-io"),
];

/// Bundle symbolic names of well-known artifacts.
const KNOWN_BUNDLES: [(&str, &str); 4] = [
    (
        "org.apache.logging.log4j.core",
        "org.apache.logging.log4j:log4j-core",
    ),
    (
        "org.apache.logging.log4j.api",
        "org.apache.logging.log4j:log4j-api",
    ),
    ("org.apache.log4j", "log4j:log4j"),
    (
        "org.apache.commons.commons-text",
        "org.apache.commons:commons-text",
    ),
];

/// Splits `log4j-core-2.14.1.jar` into `("log4j-core", "2.14.1")`: the
/// version starts at the first `-` followed by a digit.
pub fn split_file_name(file_name: &str) -> Option<(&str, &str)> {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let bytes = stem.as_bytes();
    let at = (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'-' && bytes[i + 1].is_ascii_digit())?;
    let (name, version) = (&stem[..at], &stem[at + 1..]);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// The Maven coordinates (`group:artifact`) of a well-known artifact name.
pub fn known_artifact(artifact: &str) -> Option<&'static str> {
    KNOWN_ARTIFACTS
        .iter()
        .find(|(a, _)| *a == artifact)
        .map(|(_, c)| *c)
}

/// Maven coordinates and version from a manifest: a well-known bundle, or
/// `Implementation-Vendor-Id` (a group id) with `Implementation-Title` when
/// both look like coordinates.
pub fn from_manifest(attrs: &BTreeMap<String, String>) -> Option<(String, String)> {
    let get = |k: &str| attrs.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if let (Some(bsn), Some(v)) = (get("Bundle-SymbolicName"), get("Bundle-Version")) {
        let bsn = bsn.split(';').next().unwrap_or(bsn).trim();
        if let Some((_, coords)) = KNOWN_BUNDLES.iter().find(|(b, _)| *b == bsn) {
            return Some(((*coords).to_owned(), v.to_owned()));
        }
    }
    let looks = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    match (
        get("Implementation-Vendor-Id"),
        get("Implementation-Title"),
        get("Implementation-Version"),
    ) {
        (Some(g), Some(a), Some(v)) if looks(g) && looks(a) && g.contains('.') => {
            Some((format!("{g}:{a}"), v.to_owned()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("log4j-core-2.14.1.jar"),
            Some(("log4j-core", "2.14.1"))
        );
        assert_eq!(
            split_file_name("log4j-1.2-1.2.17.jar"),
            Some(("log4j", "1.2-1.2.17"))
        );
        assert_eq!(
            split_file_name("log4j-core-2.0-beta9.jar"),
            Some(("log4j-core", "2.0-beta9"))
        );
        assert_eq!(split_file_name("app.jar"), None);
    }

    #[test]
    fn manifests() {
        let m = parse_manifest(
            b"Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.log4j\r\nBundle-Version: 1.2.17\r\nExport-Package: a,\r\n b\r\n\r\nName: x\r\nY: z\r\n",
        );
        assert_eq!(m["Export-Package"], "a,b");
        assert!(!m.contains_key("Y"));
        assert_eq!(
            from_manifest(&m),
            Some(("log4j:log4j".to_owned(), "1.2.17".to_owned()))
        );
    }

    #[test]
    fn pom_properties() {
        let p = parse_pom_properties(
            "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
            b"#Created by Apache Maven 3.6.3\nversion=2.14.1\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n",
        )
        .unwrap();
        assert_eq!(
            (p.group.as_str(), p.artifact.as_str(), p.version.as_str()),
            ("org.apache.logging.log4j", "log4j-core", "2.14.1")
        );
        assert!(parse_pom_properties("x", b"version=1\n").is_none());
    }
}
