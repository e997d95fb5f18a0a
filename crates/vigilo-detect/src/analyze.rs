//! One candidate window: decode, find the payloads, evaluate them as Log4j
//! would, classify, extract indicators.

use crate::decode::{Mapped, peel};
use crate::eval::{Dialect, Evaluation, JNDI_CLOSE, JNDI_OPEN, evaluate_with};
use crate::{Callback, Hit, MAX_RAW, Options, Rule, ScanStats, ioc};

/// Longest payload evaluated; longer `${…}` spans are checked literally.
const MAX_SPAN: usize = 16 << 10;

/// Lookup prefixes that read the environment: a payload that uses them on
/// their own is asking the server to reveal something.
const INFO_PREFIXES: &[&str] = &[
    "env",
    "sys",
    "ctx",
    "main",
    "jvmrunargs",
    "log4j",
    "docker",
    "k8s",
    "spring",
    "bundle",
    "sd",
    "map",
    "marker",
    "web",
    "event",
    "java",
];

/// The hits in `raw` (a window starting at a trigger); each hit's `offset`
/// is relative to the window.
///
/// `quoted_fields`: the line is a JSON object or has quoted fields (access
/// logs, load balancer logs), so a literal `"` ends the field a payload was
/// logged in.
pub(crate) fn window(
    raw: &[u8],
    quoted_fields: bool,
    options: &Options,
    stats: &mut ScanStats,
) -> Vec<Hit> {
    let (text, layers) = peel(Mapped::from_bytes(raw), 6);
    let mut hits = Vec::new();
    for (a, b) in maximal_spans(&text, quoted_fields) {
        if let Some(hit) = lookup_hit(raw, &text, a, b, &layers, options, stats) {
            hits.push(hit);
        }
    }
    spring4shell(raw, &text, &layers, &mut hits);
    hits.sort_by_key(|h| h.offset);
    hits
}

/// `${…}` spans with balanced braces that no other such span contains, in
/// order. Linear: one pass with a stack of open positions. In a line with
/// quoted fields, a double quote that is literally in the raw text (not
/// decoded from `\"` or `\x22`) ends a JSON string or a quoted access-log
/// field, which no payload the application logged can cross: it closes
/// nothing and drops every open `${`. Elsewhere (syslog, application logs)
/// a quote is part of the payload (`exec("…")`).
fn maximal_spans(text: &Mapped, quoted_fields: bool) -> Vec<(usize, usize)> {
    let c = &text.chars;
    let mut open: Vec<usize> = Vec::new();
    let mut done: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] == '$' && c.get(i + 1) == Some(&'{') {
            open.push(i);
            i += 2;
            continue;
        }
        if quoted_fields && c[i] == '"' && text.spans[i].1 - text.spans[i].0 == 1 {
            open.clear();
        } else if c[i] == '}' {
            if let Some(s) = open.pop() {
                // Spans closing later enclose earlier ones that start after them.
                while done.last().is_some_and(|&(ds, _)| ds > s) {
                    done.pop();
                }
                done.push((s, i + 1));
            }
        }
        i += 1;
    }
    done
}

fn raw_text(raw: &[u8], a: u32, b: u32) -> String {
    let b = (b as usize).min(raw.len()).min(a as usize + MAX_RAW);
    String::from_utf8_lossy(&raw[a as usize..b]).into_owned()
}

fn decoded_text(output: &str) -> String {
    let mut s = String::with_capacity(output.len());
    for c in output.chars() {
        match c {
            JNDI_OPEN => s.push_str("${"),
            JNDI_CLOSE => s.push('}'),
            c => s.push(c),
        }
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn lookup_hit(
    raw: &[u8],
    text: &Mapped,
    a: usize,
    b: usize,
    layers: &[&'static str],
    options: &Options,
    stats: &mut ScanStats,
) -> Option<Hit> {
    let span: String = text.chars[a..b].iter().collect();
    let (ra, rb) = text.raw_range(a, b);
    let mut obfuscation: Vec<&'static str> = layers.to_vec();
    let eval = if span.len() > MAX_SPAN {
        Evaluation {
            output: span.clone(),
            truncated: true,
            ..Evaluation::default()
        }
    } else {
        evaluate_with(&span, Dialect::Detect)
    };
    if eval.truncated {
        stats.truncated += 1;
        obfuscation.push("truncated");
    }
    if eval.resolved > 0 {
        obfuscation.push("lookups");
    }
    let mut hit = Hit {
        line: 0,
        offset: u64::from(ra),
        rule: Rule::LookupBenign,
        raw: raw_text(raw, ra, rb),
        decoded: decoded_text(&eval.output),
        obfuscation,
        callback: None,
        exfiltrates: Vec::new(),
        command: None,
        urls: Vec::new(),
        ips: Vec::new(),
        source_ip: None,
        timestamp: None,
    };
    let mut sinks = eval.sinks.clone();
    if sinks.is_empty() && eval.truncated {
        // Evaluation stopped early: fall back to what is literally there.
        sinks = literal_sinks(&span);
    }
    // The most telling sink decides the rule: a remote JNDI lookup first.
    let mut remote = None;
    let mut text4shell = None;
    for (prefix, key) in &sinks {
        match prefix.as_str() {
            "jndi" => {
                if remote.is_none() {
                    if let Some(cb) = ioc::callback(key) {
                        remote = Some((key.clone(), cb));
                    }
                }
            }
            _ => {
                if text4shell.is_none() {
                    text4shell = Some((prefix.clone(), key.clone()));
                }
            }
        }
    }
    if let Some((key, cb)) = remote {
        let leaked = ioc::leaked_lookups(&key);
        hit.rule = if leaked.is_empty() {
            Rule::Log4ShellJndi
        } else {
            Rule::Log4ShellExfil
        };
        hit.exfiltrates = leaked;
        if let Some(cmd) = ioc::base64_command(&cb.path) {
            hit.urls = ioc::urls(&cmd);
            hit.ips = ioc::ips(&cmd);
            hit.command = Some(cmd);
        } else {
            // `/Basic/ReverseShell/IP/PORT` and the like name the listener.
            hit.ips = ioc::ips(&cb.path);
        }
        hit.callback = Some(cb);
        return Some(hit);
    }
    if let Some((prefix, key)) = text4shell {
        hit.rule = Rule::Text4Shell;
        match prefix.as_str() {
            "url" => {
                // `${url:UTF-8:http://host/…}`
                let target = key.split_once(':').map_or(key.as_str(), |(_, u)| u);
                hit.callback = url_callback(target);
                hit.urls = ioc::urls(target);
            }
            "dns" => {
                // `${dns:address|host}` or `${dns:host}`
                let host = key.rsplit('|').next().unwrap_or(&key).trim();
                hit.callback = Some(Callback {
                    protocol: "dns".into(),
                    host: host.to_owned(),
                    port: Some(53),
                    path: String::new(),
                });
            }
            _ => {
                hit.urls = ioc::urls(&key);
                hit.ips = ioc::ips(&key);
                hit.command = Some(key.clone());
            }
        }
        return Some(hit);
    }
    if !sinks.is_empty() {
        // A JNDI lookup without a remote scheme (`java:comp/env/…`, none).
        return options.include_benign.then_some(hit);
    }
    let obfuscated = !layers.is_empty() || eval.resolved > 0;
    let recon = eval.unresolved.iter().any(|name| {
        let (prefix, rest) = match name.split_once(':') {
            Some((p, r)) => (p.to_lowercase(), r),
            None => (String::new(), name.as_str()),
        };
        if prefix == "java" || (prefix.is_empty() && rest.eq_ignore_ascii_case("hostname")) {
            return true;
        }
        INFO_PREFIXES.contains(&prefix.as_str())
            && (obfuscated
                || secretish(rest)
                || recon_name(rest)
                || name
                    .split(':')
                    .next()
                    .is_some_and(|p| p.chars().any(|c| c.is_uppercase())))
    });
    if recon {
        hit.rule = Rule::Log4ShellRecon;
        return Some(hit);
    }
    (options.include_benign && !eval.unresolved.is_empty()).then_some(hit)
}

fn url_callback(url: &str) -> Option<Callback> {
    let (scheme, _) = url.split_once("://")?;
    let mut cb = ioc::callback(url)?;
    cb.protocol = scheme.to_ascii_lowercase();
    Some(cb)
}

/// Environment variables and system properties that fingerprint a host or
/// its runtime: what recon payloads ask for.
fn recon_name(name: &str) -> bool {
    const ENV: &[&str] = &[
        "USER",
        "USERNAME",
        "HOSTNAME",
        "COMPUTERNAME",
        "USERDOMAIN",
        "PATH",
        "JAVA_VERSION",
        "JAVA_HOME",
        "OS",
    ];
    const SYS_PREFIXES: &[&str] = &["java.", "os.", "user.name", "user.dir"];
    ENV.iter().any(|e| name.eq_ignore_ascii_case(e))
        || SYS_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Names of environment or system properties that hold secrets.
fn secretish(name: &str) -> bool {
    let u = name.to_ascii_uppercase();
    [
        "SECRET",
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "AWS_",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE",
    ]
    .iter()
    .any(|k| u.contains(k))
}

/// `${jndi:…}`, `${script:…}`, `${url:…}`, `${dns:…}` written plainly, for
/// spans too large or too convoluted to evaluate.
fn literal_sinks(span: &str) -> Vec<(String, String)> {
    let lower = span.to_lowercase();
    let mut out = Vec::new();
    for prefix in ["jndi", "script", "url", "dns"] {
        let pat = format!("${{{prefix}:");
        if let Some(i) = lower.find(&pat) {
            let rest = &span[i + pat.len()..];
            let end = rest.find('}').unwrap_or(rest.len());
            out.push((prefix.to_owned(), rest[..end].to_owned()));
        }
    }
    out
}

/// Spring4Shell (CVE-2022-22965): a request parameter that walks
/// `class.module.classLoader` (also `class['module']`), after URL decoding.
fn spring4shell(raw: &[u8], text: &Mapped, layers: &[&'static str], hits: &mut Vec<Hit>) {
    let s: String = text.chars.iter().collect::<String>();
    let lower = s.to_ascii_lowercase();
    let compact: String = lower
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | ' '))
        .collect();
    let probes = [
        "class.module.classloader",
        "class[module].classloader",
        "class[module][classloader]",
    ];
    if !probes.iter().any(|p| compact.contains(p)) {
        return;
    }
    // Report the first parameter that names the class loader; the decoded
    // text carries every such parameter of the window.
    let Some(start_byte) = lower.find("class.module").or_else(|| lower.find("class[")) else {
        return;
    };
    let start = s[..start_byte].chars().count();
    let params: Vec<&str> = s
        .split(['&', ' ', '?', '"'])
        .filter(|p| {
            let l = p.to_ascii_lowercase();
            l.starts_with("class.module") || l.starts_with("class[")
        })
        .collect();
    let end_char = text.chars[start..]
        .iter()
        .position(|c| matches!(c, '&' | ' ' | '"'))
        .map_or(text.chars.len(), |p| start + p);
    let (ra, rb) = text.raw_range(start, end_char);
    hits.push(Hit {
        line: 0,
        offset: u64::from(ra),
        rule: Rule::Spring4Shell,
        raw: raw_text(raw, ra, rb),
        decoded: params.join("&"),
        obfuscation: layers.to_vec(),
        callback: None,
        exfiltrates: Vec::new(),
        command: None,
        urls: Vec::new(),
        ips: Vec::new(),
        source_ip: None,
        timestamp: None,
    });
}
