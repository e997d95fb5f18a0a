//! Log4j fingerprints: what the classes inside an archive prove about the
//! Log4j version they belong to, under any package prefix (shaded copies)
//! and with any file name (renamed copies).
//!
//! A Log4j 2 *root* is the folder holding `LoggerContext.class` and
//! `lookup/Interpolator.class` (normally `org/apache/logging/log4j/core/`,
//! anything else once relocated). Its version is bounded by:
//!
//! | evidence | proves |
//! |---|---|
//! | `lookup/JndiLookup.class` present | ≥ 2.0-beta9 (the class appeared then) |
//! | `net/JndiManager.class` present | ≥ 2.1 |
//! | `appender/nosql/NoSqlAppender.class` present | ≥ 2.10.0 (tells the Java 7 line from the Java 6 line) |
//! | JndiManager holds `Invalid JNDI URI - {}` | ≥ 2.15.0 (LDAP host/class allow-lists) |
//! | JndiManager holds `log4j2.enableJndi` | ≥ 2.16.0 (JNDI off by default, message lookups removed) |
//! | JndiLookup holds `JNDI must be enabled by setting log4j2.enableJndiLookup=true`, or StrSubstitutor holds `isRecursiveEvaluationAllowed` | ≥ 2.17.0 (CVE-2021-45105: recursion fixed; JNDI `java:` only) |
//! | JndiManager holds `isJndiJdbcEnabled`, or DataSourceConnectionSource holds `log4j2.enableJndiJdbc` | ≥ 2.17.1 (CVE-2021-44832: JDBC appender through JndiManager) |
//! | JndiLookup without `Error looking up JNDI resource [{}].` and without the 2.17 text | a backport: 2.12.2+ (Java 7) with NoSqlAppender, 2.3.1+ (Java 6) without |
//!
//! The markers for 2.15.0–2.17.1 were checked against the real
//! `log4j-core` 2.14.1, 2.16.0, 2.17.1 and 2.19.0 jars (see the scanner's
//! tests); the backport markers (2.12.2–2.12.4, 2.3.1–2.3.2) follow the
//! Log4j release notes, which say the backports carry the same changes, and
//! are not verified against real jars. Unshaded classes are also recognised
//! by their SHA-256 ([`KNOWN_HASHES`]), which pins the version further.
//!
//! `JndiLookup.class` removed while `JndiManager.class` (or the rest of the
//! core) is present is the common mitigation for CVE-2021-44228 and
//! CVE-2021-45046: reported as a mitigation of those two.
//!
//! A Log4j 1.x root is the folder holding `DailyRollingFileAppender.class`
//! and `spi/LoggingEvent.class` (the 2.x `log4j-1.2-api` bridge has
//! neither). Each 1.x advisory lives in one class; an absent class mitigates
//! its advisory: `net/JMSAppender` (CVE-2021-4104), `net/SocketServer`
//! (CVE-2019-17571), `net/JMSSink` (CVE-2022-23302), `jdbc/JDBCAppender`
//! (CVE-2022-23305), `chainsaw/` (CVE-2022-23307).

use std::collections::BTreeMap;

use memchr::memmem;

/// Classes whose bytes are read (the rest is presence only).
const READ_SUFFIXES: [&str; 5] = [
    "/lookup/JndiLookup.class",
    "/net/JndiManager.class",
    "/lookup/StrSubstitutor.class",
    "/appender/db/jdbc/DataSourceConnectionSource.class",
    "/net/SocketNode.class",
];

/// SHA-256 of unshaded classes of known releases, with the versions they
/// occur in. Vulnerable releases from LunaSec's public hash list (checked:
/// the 2.14.1 entry matches the real jar); fixed releases computed from the
/// real jars named in the tests.
pub const KNOWN_HASHES: [(&str, &str, &str); 13] = [
    (
        "77323460255818f4cbfe180141d6001bfb575b429e00a07cbceabd59adf334d6",
        "JndiManager",
        "2.14.0-2.14.1",
    ),
    (
        "c3e95da6542945c1a096b308bf65bbd7fcb96e3d201e5a2257d85d4dedc6a078",
        "JndiManager",
        "2.13.0-2.13.3",
    ),
    (
        "1fa92c00fa0b305b6bbe6e2ee4b012b588a906a20a05e135cbe64c9d77d676de",
        "JndiManager",
        "2.12.0-2.12.1",
    ),
    (
        "293d7e83d4197f0496855f40a7745cfcdd10026dc057dfc1816de57295be88a6",
        "JndiManager",
        "2.9.0-2.11.2",
    ),
    (
        "764b06686dbe06e3d5f6d15891250ab04073a0d1c357d114b7365c70fa8a7407",
        "JndiManager",
        "2.8.2",
    ),
    (
        "1584b839cfceb33a372bb9e6f704dcea9701fa810a9ba1ad3961615a5b998c32",
        "JndiManager",
        "2.7-2.8.1",
    ),
    (
        "6540d5695ddac8b0a343c2e91d58316cfdbfdc5b99c6f3f91bc381bc6f748246",
        "JndiManager",
        "2.6-2.6.2",
    ),
    (
        "3bff6b3011112c0b5139a5c3aa5e698ab1531a2f130e86f9e4262dd6018916d7",
        "JndiManager",
        "2.4-2.5",
    ),
    (
        "ae950f9435c0ef3373d4030e7eff175ee11044e584b7f205b7a9804bbe795f9c",
        "JndiManager",
        "2.1-2.3",
    ),
    (
        "5210e6aae7dd8a61cd16c56937c5f2ed43941487830f46e99d0d3f45bfa6f953",
        "JndiManager",
        "2.16.0",
    ),
    (
        "3588a6aaf84fa79215a1cc5d12dee69413b8772656c73bdf26ef35df713b1091",
        "JndiManager",
        "2.17.1",
    ),
    (
        "90635ef0eb75522ae571c9001a2179d245c36602b16039490b765dc884d2586d",
        "JndiManager",
        "2.19.0",
    ),
    (
        "8ef0ebdfbf28ec14b2267e6004a8eea947b4411d3c30d228a7b48fae36431d74",
        "SocketNode",
        "1.2.17",
    ),
];

/// Whether the bytes of a member are needed for the fingerprint.
pub fn wants_bytes(member: &str) -> bool {
    READ_SUFFIXES.iter().any(|s| member.ends_with(s))
}

/// Whether a member's presence matters for the fingerprint.
pub fn wants_presence(member: &str) -> bool {
    member.ends_with(".class")
        && (member.contains("Jndi")
            || member.ends_with("/LoggerContext.class")
            || member.ends_with("/lookup/Interpolator.class")
            || member.ends_with("/appender/nosql/NoSqlAppender.class")
            || member.ends_with("/DailyRollingFileAppender.class")
            || member.ends_with("/spi/LoggingEvent.class")
            || member.ends_with("/net/JMSAppender.class")
            || member.ends_with("/net/SocketServer.class")
            || member.ends_with("/net/JMSSink.class")
            || member.ends_with("/jdbc/JDBCAppender.class")
            || member.contains("/chainsaw/")
            || wants_bytes(member))
}

/// A class read for the fingerprint: its marker strings and hash.
#[derive(Debug, Clone, Default)]
struct ClassInfo {
    /// Whether the bytes were read (else only the presence is known).
    read: bool,
    markers: u32,
    sha256: String,
}

const M_INVALID_URI: u32 = 1; // JndiManager, 2.15.0+
const M_ENABLE_JNDI: u32 = 1 << 1; // JndiManager, 2.16.0+
const M_LOOKUP_217: u32 = 1 << 2; // JndiLookup, 2.17.0+
const M_LOOKUP_ERROR: u32 = 1 << 3; // JndiLookup before the backports
const M_RECURSION: u32 = 1 << 4; // StrSubstitutor, 2.17.0+
const M_JDBC: u32 = 1 << 5; // JndiManager / DataSourceConnectionSource, 2.17.1+

const MARKERS: [(&[u8], u32); 7] = [
    (b"Invalid JNDI URI - {}", M_INVALID_URI),
    (b"log4j2.enableJndi", M_ENABLE_JNDI),
    (
        b"JNDI must be enabled by setting log4j2.enableJndiLookup=true",
        M_LOOKUP_217,
    ),
    (b"Error looking up JNDI resource [{}].", M_LOOKUP_ERROR),
    (b"isRecursiveEvaluationAllowed", M_RECURSION),
    (b"isJndiJdbcEnabled", M_JDBC),
    (b"log4j2.enableJndiJdbc", M_JDBC),
];

/// What was seen of one Log4j 2 root.
#[derive(Debug, Clone, Default)]
struct Root2 {
    logger_context: bool,
    interpolator: bool,
    nosql: bool,
    lookup: Option<ClassInfo>,
    manager: Option<ClassInfo>,
    substitutor: Option<ClassInfo>,
    datasource: Option<ClassInfo>,
}

/// What was seen of one Log4j 1.x root.
#[derive(Debug, Clone, Default)]
struct Root1 {
    daily_rolling: bool,
    logging_event: bool,
    jms_appender: bool,
    socket_server: bool,
    jms_sink: bool,
    jdbc_appender: bool,
    chainsaw: bool,
    socket_node: Option<ClassInfo>,
}

/// The fingerprint evidence collected over one archive's members.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    v2: BTreeMap<String, Root2>,
    v1: BTreeMap<String, Root1>,
}

/// What the evidence of one root proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `org.apache.logging.log4j:log4j-core` or `log4j:log4j`.
    pub package: &'static str,
    /// The folder of the root inside the archive (`org/apache/logging/log4j/core/`).
    pub root: String,
    /// The lowest version the evidence allows: what is matched.
    pub version: String,
    /// The range in words: `>=2.0-beta9, <2.15.0`.
    pub range: String,
    /// What the classes showed, for the evidence detail.
    pub detail: String,
    /// Mitigations in words (`JndiLookup.class removed`).
    pub mitigations: Vec<String>,
    /// CVE ids those mitigations neutralise.
    pub mitigated: Vec<String>,
    /// Whether the root sits under its usual package (not relocated).
    pub unshaded: bool,
}

fn split<'a>(member: &'a str, suffix: &str) -> Option<&'a str> {
    member.strip_suffix(suffix)
}

impl Facts {
    /// Whether anything Log4j-like was seen.
    pub fn is_empty(&self) -> bool {
        self.v2.is_empty() && self.v1.is_empty()
    }

    /// Records a member's presence and, when given, its bytes.
    pub fn observe(&mut self, member: &str, bytes: Option<&[u8]>) {
        let info = || {
            bytes.map(|b| {
                use sha2::Digest;
                let mut markers = 0;
                for (needle, bit) in MARKERS {
                    if memmem::find(b, needle).is_some() {
                        markers |= bit;
                    }
                }
                ClassInfo {
                    read: true,
                    markers,
                    sha256: hex::encode(sha2::Sha256::digest(b)),
                }
            })
        };

        if let Some(root) = split(member, "LoggerContext.class") {
            self.v2.entry(root.to_owned()).or_default().logger_context = true;
        } else if let Some(root) = split(member, "lookup/Interpolator.class") {
            self.v2.entry(root.to_owned()).or_default().interpolator = true;
        } else if let Some(root) = split(member, "lookup/JndiLookup.class") {
            self.v2.entry(root.to_owned()).or_default().lookup = Some(info().unwrap_or_default());
        } else if let Some(root) = split(member, "net/JndiManager.class") {
            self.v2.entry(root.to_owned()).or_default().manager = Some(info().unwrap_or_default());
        } else if let Some(root) = split(member, "lookup/StrSubstitutor.class") {
            self.v2.entry(root.to_owned()).or_default().substitutor = info();
        } else if let Some(root) =
            split(member, "appender/db/jdbc/DataSourceConnectionSource.class")
        {
            self.v2.entry(root.to_owned()).or_default().datasource = info();
        } else if let Some(root) = split(member, "appender/nosql/NoSqlAppender.class") {
            self.v2.entry(root.to_owned()).or_default().nosql = true;
        } else {
            if let Some(root) = split(member, "DailyRollingFileAppender.class") {
                self.v1.entry(root.to_owned()).or_default().daily_rolling = true;
            } else if let Some(root) = split(member, "spi/LoggingEvent.class") {
                self.v1.entry(root.to_owned()).or_default().logging_event = true;
            } else if let Some(root) = split(member, "net/JMSAppender.class") {
                self.v1.entry(root.to_owned()).or_default().jms_appender = true;
            } else if let Some(root) = split(member, "net/SocketServer.class") {
                self.v1.entry(root.to_owned()).or_default().socket_server = true;
            } else if let Some(root) = split(member, "net/JMSSink.class") {
                self.v1.entry(root.to_owned()).or_default().jms_sink = true;
            } else if let Some(root) = split(member, "jdbc/JDBCAppender.class") {
                self.v1.entry(root.to_owned()).or_default().jdbc_appender = true;
            } else if let Some(root) = split(member, "net/SocketNode.class") {
                self.v1.entry(root.to_owned()).or_default().socket_node = info();
            } else if let Some(i) = member.find("chainsaw/") {
                self.v1.entry(member[..i].to_owned()).or_default().chainsaw = true;
            }
        }
    }

    /// The verdict for every root the evidence establishes.
    pub fn verdicts(&self) -> Vec<Verdict> {
        let mut out = Vec::new();
        for (root, r) in &self.v2 {
            if r.logger_context && r.interpolator {
                out.push(verdict2(root, r));
            }
        }
        for (root, r) in &self.v1 {
            if r.daily_rolling && r.logging_event {
                out.push(verdict1(root, r));
            }
        }
        out
    }
}

/// Whether a root is the usual package, at the top of the archive or of a
/// classes folder (`WEB-INF/classes/`, `BOOT-INF/classes/`).
fn unshaded(root: &str, usual: &str) -> bool {
    root.strip_suffix(usual)
        .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with("classes/"))
}

fn has(info: &Option<ClassInfo>, bit: u32) -> bool {
    info.as_ref().is_some_and(|i| i.markers & bit != 0)
}

fn known_hash(info: &Option<ClassInfo>) -> Option<&'static str> {
    let sha = &info.as_ref()?.sha256;
    KNOWN_HASHES
        .iter()
        .find(|(h, _, _)| h == sha)
        .map(|(_, _, v)| *v)
}

fn verdict2(root: &str, r: &Root2) -> Verdict {
    let jdbc = has(&r.manager, M_JDBC) || has(&r.datasource, M_JDBC);
    let recursion = has(&r.lookup, M_LOOKUP_217) || has(&r.substitutor, M_RECURSION);
    let backport = r
        .lookup
        .as_ref()
        .is_some_and(|l| l.read && l.markers & (M_LOOKUP_ERROR | M_LOOKUP_217) == 0)
        && !has(&r.manager, M_INVALID_URI);
    let mut shown = Vec::new();
    for (present, name) in [
        (r.lookup.is_some(), "JndiLookup"),
        (r.manager.is_some(), "JndiManager"),
        (r.nosql, "NoSqlAppender"),
    ] {
        shown.push(format!(
            "{name} {}",
            if present { "present" } else { "absent" }
        ));
    }
    let (version, range): (&str, String) = if backport {
        let (line, base, next) = if r.nosql {
            ("Java 7", ["2.12.2", "2.12.3", "2.12.4"], "2.13.0")
        } else {
            ("Java 6", ["2.3.1", "2.3.1", "2.3.2"], "2.4")
        };
        let v = if jdbc {
            base[2]
        } else if recursion {
            base[1]
        } else {
            base[0]
        };
        shown.push(format!("JndiLookup rewritten as in the {line} backports"));
        (v, format!(">={v}, <{next} ({line} backport)"))
    } else if jdbc {
        shown.push("JDBC JNDI switch (2.17.1)".into());
        ("2.17.1", ">=2.17.1".into())
    } else if recursion {
        shown.push("recursion guard (2.17.0)".into());
        ("2.17.0", ">=2.17.0, <2.17.1".into())
    } else if has(&r.manager, M_ENABLE_JNDI) {
        shown.push("log4j2.enableJndi (2.16.0)".into());
        ("2.16.0", ">=2.16.0, <2.17.0".into())
    } else if has(&r.manager, M_INVALID_URI) {
        shown.push("JNDI allow-lists (2.15.0)".into());
        ("2.15.0", ">=2.15.0, <2.16.0".into())
    } else if r.manager.is_some() {
        ("2.1", ">=2.1, <2.15.0".into())
    } else if r.lookup.is_some() {
        ("2.0-beta9", ">=2.0-beta9, <2.1".into())
    } else {
        // Neither class: before 2.0-beta9, or both removed. Nothing proves
        // more than "a Log4j 2 core".
        ("2.0", ">=2.0-alpha1".into())
    };
    let (mut version, mut range) = (version.to_owned(), range);
    if let Some(v) = known_hash(&r.manager) {
        // An exact class: the hash pins the version more tightly than the
        // markers (`2.14.0-2.14.1`).
        shown.push(format!("JndiManager.class is the one of {v}"));
        let (lo, hi) = v
            .split_once("-2")
            .map_or((v.to_owned(), v.to_owned()), |(lo, hi)| {
                (lo.to_owned(), format!("2{hi}"))
            });
        range = if lo == hi {
            format!("={lo}")
        } else {
            format!(">={lo}, <={hi}")
        };
        version = lo;
    }
    let (mut mitigations, mut mitigated) = (Vec::new(), Vec::new());
    if r.lookup.is_none() && (r.manager.is_some() || r.nosql) {
        mitigations.push("JndiLookup.class removed".to_owned());
        mitigated.extend(["CVE-2021-44228".to_owned(), "CVE-2021-45046".to_owned()]);
    }
    Verdict {
        package: "org.apache.logging.log4j:log4j-core",
        root: root.to_owned(),
        version,
        range,
        detail: format!("log4j-core classes under {root}: {}", shown.join(", ")),
        mitigations,
        mitigated,
        unshaded: unshaded(root, "org/apache/logging/log4j/core/"),
    }
}

fn verdict1(root: &str, r: &Root1) -> Verdict {
    let mut mitigations = Vec::new();
    let mut mitigated = Vec::new();
    for (present, class, cve) in [
        (r.jms_appender, "net/JMSAppender.class", "CVE-2021-4104"),
        (r.socket_server, "net/SocketServer.class", "CVE-2019-17571"),
        (r.jms_sink, "net/JMSSink.class", "CVE-2022-23302"),
        (r.jdbc_appender, "jdbc/JDBCAppender.class", "CVE-2022-23305"),
        (r.chainsaw, "chainsaw/", "CVE-2022-23307"),
    ] {
        if !present {
            mitigations.push(format!("{class} removed"));
            mitigated.push(cve.to_owned());
        }
    }
    let (version, range) = match known_hash(&r.socket_node) {
        Some(v) => (v.to_owned(), format!("{v} (SocketNode.class hash)")),
        None => ("1.2".to_owned(), ">=1.2, <=1.2.17".to_owned()),
    };
    Verdict {
        package: "log4j:log4j",
        root: root.to_owned(),
        version,
        range,
        detail: format!("log4j 1.x classes under {root}"),
        mitigations,
        mitigated,
        unshaded: unshaded(root, "org/apache/log4j/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: &str = "shaded/acme/org/apache/logging/log4j/core/";

    fn facts(members: &[(&str, &[u8])]) -> Facts {
        let mut f = Facts::default();
        for (m, b) in members {
            let name = format!("{CORE}{m}");
            let bytes = wants_bytes(&name).then_some(*b);
            f.observe(&name, bytes);
        }
        f
    }

    #[test]
    fn classic_vulnerable_range() {
        let f = facts(&[
            ("LoggerContext.class", b""),
            ("lookup/Interpolator.class", b""),
            (
                "lookup/JndiLookup.class",
                b"..Error looking up JNDI resource [{}]...",
            ),
            ("net/JndiManager.class", b"..."),
        ]);
        let v = f.verdicts();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].version, "2.1");
        assert_eq!(v[0].range, ">=2.1, <2.15.0");
        assert!(v[0].mitigations.is_empty());
        assert!(!v[0].unshaded);
    }

    #[test]
    fn removed_lookup_is_a_mitigation() {
        let f = facts(&[
            ("LoggerContext.class", b""),
            ("lookup/Interpolator.class", b""),
            ("net/JndiManager.class", b"..."),
        ]);
        let v = &f.verdicts()[0];
        assert_eq!(v.mitigations, ["JndiLookup.class removed"]);
        assert_eq!(v.mitigated, ["CVE-2021-44228", "CVE-2021-45046"]);
    }

    #[test]
    fn backports_by_line() {
        let lookup: &[u8] = b"lookup rewritten";
        let f = facts(&[
            ("LoggerContext.class", b""),
            ("lookup/Interpolator.class", b""),
            ("lookup/JndiLookup.class", lookup),
            ("net/JndiManager.class", b"log4j2.enableJndi"),
            ("appender/nosql/NoSqlAppender.class", b""),
        ]);
        assert_eq!(f.verdicts()[0].version, "2.12.2");
        let f = facts(&[
            ("LoggerContext.class", b""),
            ("lookup/Interpolator.class", b""),
            ("lookup/JndiLookup.class", lookup),
            ("net/JndiManager.class", b"isJndiJdbcEnabled"),
        ]);
        assert_eq!(f.verdicts()[0].version, "2.3.2");
    }

    #[test]
    fn log4j1_mitigations_per_class() {
        let mut f = Facts::default();
        for m in [
            "org/apache/log4j/DailyRollingFileAppender.class",
            "org/apache/log4j/spi/LoggingEvent.class",
            "org/apache/log4j/net/SocketServer.class",
            "org/apache/log4j/jdbc/JDBCAppender.class",
            "org/apache/log4j/chainsaw/Main.class",
        ] {
            f.observe(m, None);
        }
        let v = &f.verdicts()[0];
        assert_eq!(v.package, "log4j:log4j");
        assert_eq!(v.mitigated, ["CVE-2021-4104", "CVE-2022-23302"]);
        assert!(v.unshaded);
    }

    #[test]
    fn bridge_is_not_log4j1() {
        let mut f = Facts::default();
        f.observe("org/apache/log4j/spi/LoggingEvent.class", None);
        f.observe(
            "org/apache/log4j/builders/appender/DailyRollingFileAppenderBuilder.class",
            None,
        );
        assert!(f.verdicts().is_empty());
    }
}
