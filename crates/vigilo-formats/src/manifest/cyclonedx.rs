//! CycloneDX SBOMs, JSON and XML, specification versions 1.0 to 1.6 (JSON
//! exists from 1.2; XML names its version in the namespace
//! `http://cyclonedx.org/schema/bom/1.x`).
//!
//! Every component of the BOM is read, at any depth (`components` nested in
//! components). `metadata.component` is **not** read, nor anything nested in
//! it: it is the subject the BOM describes (the application itself), not one
//! of its dependencies, and its own version is rarely one an advisory names.
//!
//! A component is identified by, in order:
//!
//! 1. its `purl`, when the purl type maps to an OSV ecosystem
//!    ([`Purl::to_package`]); the version is the purl's, else `version`;
//! 2. its `cpe`, through [`from_cpe`]: `apache:log4j` becomes Maven
//!    `org.apache.logging.log4j:log4j-core` (`log4j:log4j` for 1.x), any
//!    other CPE becomes ecosystem `CPE` named `vendor:product`;
//! 3. a purl whose type maps to no ecosystem: kept under that type
//!    (`generic`, `rpm`) with a warning that it cannot be matched;
//! 4. `group` and `name`: `@scope` groups are npm; other groups are Maven
//!    `group:name`, unless every purl-identified component with a group in
//!    the BOM is Composer, Go or npm, in which case that ecosystem is used;
//! 5. `name` alone: kept under ecosystem `unknown`, with a warning that it
//!    cannot be matched.
//!
//! Components without a version are skipped with a warning. Components whose
//! `type` is not a software package (`device`, `firmware`,
//! `cryptographic-asset`, `data`, `machine-learning-model`, …) are skipped
//! silently unless they carry a purl.
//!
//! Locations are JSON pointers (`/components/3/components/0`) for JSON and
//! `line N` of the `<component>` tag for XML.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::Value;
use vigilo_core::Ecosystem;
use vigilo_core::package::Purl;

use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode};

/// Deepest nesting read: XML elements, or components within components.
const MAX_DEPTH: usize = 64;

/// The XML namespace prefix of CycloneDX BOMs, followed by the version.
const XML_NS: &str = "http://cyclonedx.org/schema/bom/";

/// Component types that are software packages (CycloneDX `classification`).
const PACKAGE_TYPES: [&str; 6] = [
    "library",
    "framework",
    "application",
    "container",
    "operating-system",
    "file",
];

/// Reads a CycloneDX JSON BOM.
pub(super) fn json(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let syntax = |msg: String| file_error(DiagnosticCode::ManifestSyntax, path, msg);
    // serde_json stops at 128 levels of nesting, which bounds hostile input.
    let doc: Value =
        serde_json::from_str(text).map_err(|e| syntax(format!("not valid JSON: {e}")))?;
    let Some(top) = doc.as_object() else {
        return Err(syntax("the document is not a JSON object".into()));
    };
    match top.get("bomFormat") {
        Some(Value::String(f)) if f == "CycloneDX" => {}
        Some(other) => {
            return Err(syntax(format!("/bomFormat is {other}, not \"CycloneDX\"")));
        }
        None => return Err(syntax("no /bomFormat: not a CycloneDX BOM".into())),
    }
    match top.get("specVersion") {
        Some(Value::String(v)) => check_spec_version(v, path)?,
        Some(other) => return Err(syntax(format!("/specVersion is {other}, not a string"))),
        None => return Err(syntax("no /specVersion".into())),
    }
    let mut entries = Vec::new();
    match top.get("components") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => collect_json(items, "/components", 1, &mut entries, path)?,
        Some(_) => return Err(syntax("/components is not an array".into())),
    }
    Ok(resolve(&entries, path))
}

/// Appends the components of `items` (at JSON pointer `base`), and those
/// nested in them, in document order.
fn collect_json(
    items: &[Value],
    base: &str,
    depth: usize,
    out: &mut Vec<Entry>,
    path: &str,
) -> Result<(), Diagnostic> {
    if depth > MAX_DEPTH {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("components nested deeper than {MAX_DEPTH} levels at {base}"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let location = format!("{base}/{i}");
        let Some(obj) = item.as_object() else {
            out.push(Entry {
                invalid: Some("not a JSON object".into()),
                location,
                ..Entry::default()
            });
            continue;
        };
        let field = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        out.push(Entry {
            ty: field("type"),
            group: field("group"),
            name: field("name"),
            version: field("version"),
            purls: field("purl").into_iter().collect(),
            cpes: field("cpe").into_iter().collect(),
            location: location.clone(),
            invalid: None,
        });
        if let Some(Value::Array(nested)) = obj.get("components") {
            collect_json(
                nested,
                &format!("{location}/components"),
                depth + 1,
                out,
                path,
            )?;
        }
    }
    Ok(())
}

/// What an element of a CycloneDX XML document is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Elem {
    /// The root `<bom>`.
    Bom,
    /// A `<components>` list of the BOM or of a read component.
    Components,
    /// A read `<component>`: its index in the entries.
    Component(usize),
    /// A field of the component at this index.
    Field(usize, Field),
    /// Anything else (including `metadata/component` and its subtree).
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Group,
    Name,
    Version,
    Purl,
    Cpe,
}

/// Reads a CycloneDX XML BOM.
pub(super) fn xml(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut reader = NsReader::from_str(text);
    let mut lines = LineCounter::new(text.as_bytes());
    let mut stack: Vec<Elem> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen_root = false;
    // The namespace of the root `bom`, once read.
    let mut bom_ns: Vec<u8> = Vec::new();
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(file_error(
                    DiagnosticCode::ManifestSyntax,
                    path,
                    format!("not well-formed XML at line {}: {e}", line_of(text, at)),
                ));
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let line = lines.line_at(start);
                if stack.len() >= MAX_DEPTH {
                    return Err(file_error(
                        DiagnosticCode::ManifestSyntax,
                        path,
                        format!("elements nested deeper than {MAX_DEPTH} levels at line {line}"),
                    ));
                }
                let in_cdx = matches!(ns, ResolveResult::Bound(n) if !bom_ns.is_empty() && n.as_ref() == bom_ns.as_slice());
                let local = e.local_name();
                let local = local.as_ref();
                let elem = match stack.last().copied() {
                    None => {
                        if seen_root {
                            return Err(syntax_at(path, line, "a second root element"));
                        }
                        seen_root = true;
                        bom_ns = root_namespace(&ns, local, path, line)?;
                        Elem::Bom
                    }
                    Some(parent) if in_cdx => {
                        child_elem(parent, local, e, &mut entries, line, path)?
                    }
                    Some(_) => Elem::Other,
                };
                if !empty {
                    stack.push(elem);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(ref t) => {
                if let Some(Elem::Field(idx, field)) = stack.last().copied() {
                    let line = lines.line_at(start);
                    let s = t.unescape().map_err(|e| {
                        syntax_at(path, line, &format!("bad character reference: {e}"))
                    })?;
                    append_field(&mut entries, idx, field, &s);
                }
            }
            Event::CData(t) => {
                if let Some(Elem::Field(idx, field)) = stack.last().copied() {
                    let raw = t.into_inner();
                    append_field(&mut entries, idx, field, &String::from_utf8_lossy(&raw));
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !seen_root {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            "no root element: not a CycloneDX BOM".into(),
        ));
    }
    if !stack.is_empty() {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!(
                "unexpected end of file with {} element(s) still open",
                stack.len()
            ),
        ));
    }
    for e in &mut entries {
        for v in [&mut e.group, &mut e.name, &mut e.version] {
            trim_or_none(v);
        }
        for list in [&mut e.purls, &mut e.cpes] {
            *list = list
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
    }
    Ok(resolve(&entries, path))
}

/// Checks the root element is a CycloneDX `bom` of a version read, and
/// returns its namespace.
fn root_namespace(
    ns: &ResolveResult<'_>,
    local: &[u8],
    path: &str,
    line: usize,
) -> Result<Vec<u8>, Diagnostic> {
    let ns = match ns {
        ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
        _ => String::new(),
    };
    let Some(version) = ns.strip_prefix(XML_NS) else {
        return Err(syntax_at(
            path,
            line,
            &format!(
                "root element is not in the CycloneDX namespace {XML_NS}1.x (namespace {ns:?})"
            ),
        ));
    };
    if local != b"bom" {
        return Err(syntax_at(
            path,
            line,
            &format!(
                "root element is <{}>, not <bom>",
                String::from_utf8_lossy(local)
            ),
        ));
    }
    check_spec_version(version, path)?;
    Ok(ns.into_bytes())
}

/// What a CycloneDX element under `parent` is; starts an entry for a
/// component that is read.
fn child_elem(
    parent: Elem,
    local: &[u8],
    e: &BytesStart<'_>,
    entries: &mut Vec<Entry>,
    line: usize,
    path: &str,
) -> Result<Elem, Diagnostic> {
    Ok(match (parent, local) {
        (Elem::Bom | Elem::Component(_), b"components") => Elem::Components,
        (Elem::Components, b"component") => {
            let ty = match e.try_get_attribute("type") {
                Ok(Some(a)) => Some(
                    a.unescape_value()
                        .map_err(|err| syntax_at(path, line, &format!("bad `type`: {err}")))?
                        .trim()
                        .to_owned(),
                ),
                Ok(None) => None,
                Err(err) => return Err(syntax_at(path, line, &format!("bad attributes: {err}"))),
            };
            entries.push(Entry {
                ty,
                location: format!("line {line}"),
                ..Entry::default()
            });
            Elem::Component(entries.len() - 1)
        }
        (Elem::Component(i), name) => match name {
            b"group" => Elem::Field(i, Field::Group),
            b"name" => Elem::Field(i, Field::Name),
            b"version" => Elem::Field(i, Field::Version),
            b"purl" => Elem::Field(i, Field::Purl),
            b"cpe" => Elem::Field(i, Field::Cpe),
            _ => Elem::Other,
        },
        _ => Elem::Other,
    })
}

/// Appends text to a field of `entries[idx]` (text may arrive in pieces;
/// it is trimmed once the document is read).
fn append_field(entries: &mut [Entry], idx: usize, field: Field, s: &str) {
    let Some(entry) = entries.get_mut(idx) else {
        return;
    };
    let list = |l: &mut Vec<String>| {
        if l.is_empty() {
            l.push(String::new());
        }
        if let Some(last) = l.last_mut() {
            last.push_str(s);
        }
    };
    match field {
        Field::Group => entry.group.get_or_insert_with(String::new).push_str(s),
        Field::Name => entry.name.get_or_insert_with(String::new).push_str(s),
        Field::Version => entry.version.get_or_insert_with(String::new).push_str(s),
        Field::Purl => list(&mut entry.purls),
        Field::Cpe => list(&mut entry.cpes),
    }
}

fn trim_or_none(v: &mut Option<String>) {
    *v = v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
}

fn syntax_at(path: &str, line: usize, msg: &str) -> Diagnostic {
    file_error(
        DiagnosticCode::ManifestSyntax,
        path,
        format!("line {line}: {msg}"),
    )
}

/// Checks a specification version (`1.4`) is one this reader reads.
fn check_spec_version(v: &str, path: &str) -> Result<(), Diagnostic> {
    let minor = v
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| *m <= 6);
    match minor {
        Some(_) => Ok(()),
        None => Err(file_error(
            DiagnosticCode::Unsupported,
            path,
            format!("CycloneDX specification version {v:?} is not read (1.0 to 1.6 are)"),
        )),
    }
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    let end = at.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        + 1
}

/// Line numbers of increasing byte offsets, in one pass over the text.
#[derive(Debug)]
struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte offset `at` (offsets must not decrease;
    /// a smaller one gets the current line).
    fn line_at(&mut self, at: usize) -> usize {
        let at = at.min(self.text.len());
        if at > self.pos {
            if let Some(chunk) = self.text.get(self.pos..at) {
                self.line += chunk.iter().filter(|c| **c == b'\n').count();
            }
            self.pos = at;
        }
        self.line
    }
}

/// A component (CycloneDX) or package (SPDX) as written, before it is
/// identified.
#[derive(Debug, Default, Clone)]
pub(super) struct Entry {
    /// CycloneDX component `type`; `None` reads as a package.
    pub(super) ty: Option<String>,
    pub(super) group: Option<String>,
    pub(super) name: Option<String>,
    pub(super) version: Option<String>,
    /// Package URLs, in order of preference.
    pub(super) purls: Vec<String>,
    /// CPE 2.3 formatted strings or CPE 2.2 URIs.
    pub(super) cpes: Vec<String>,
    /// JSON pointer or `line N`.
    pub(super) location: String,
    /// Why the entry could not be read at all.
    pub(super) invalid: Option<String>,
}

/// The ecosystem to read `group` + `name` under, for components known by
/// those alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum GroupHint {
    Maven,
    /// npm, Composer or Go: `group/name`.
    Slash(Ecosystem),
}

impl GroupHint {
    /// Maven, unless every purl-identified component that has a group is of
    /// one slash-separated ecosystem.
    fn of(entries: &[Entry]) -> GroupHint {
        let mut found: Option<Ecosystem> = None;
        for e in entries.iter().filter(|e| e.group.is_some()) {
            let Some((eco, _)) = e
                .purls
                .iter()
                .find_map(|p| Purl::parse(p).ok().and_then(|p| p.to_package()))
            else {
                continue;
            };
            match &found {
                None => found = Some(eco),
                Some(f) if *f == eco => {}
                Some(_) => return GroupHint::Maven,
            }
        }
        match found {
            Some(eco @ (Ecosystem::Npm | Ecosystem::Packagist | Ecosystem::Go)) => {
                GroupHint::Slash(eco)
            }
            _ => GroupHint::Maven,
        }
    }

    fn package(&self, group: &str, name: &str) -> (Ecosystem, String) {
        if group.starts_with('@') {
            return (Ecosystem::Npm, format!("{group}/{name}"));
        }
        match self {
            GroupHint::Maven => (Ecosystem::Maven, format!("{group}:{name}")),
            GroupHint::Slash(eco) => (eco.clone(), format!("{group}/{name}")),
        }
    }
}

/// Identifies each entry (see the module documentation for the order) and
/// returns the packages, with a warning for each entry skipped or kept
/// unmatchable.
pub(super) fn resolve(entries: &[Entry], path: &str) -> Parsed {
    let hint = GroupHint::of(entries);
    let mut out = Parsed::default();
    for e in entries {
        resolve_one(e, &hint, path, &mut out);
    }
    out
}

fn resolve_one(e: &Entry, hint: &GroupHint, path: &str, out: &mut Parsed) {
    let warn = |out: &mut Parsed, msg: String| {
        out.diagnostics
            .push(entry_warning(path, e.location.clone(), msg));
    };
    if let Some(why) = &e.invalid {
        return warn(out, format!("skipped: {why}"));
    }
    let label = e.name.as_deref().unwrap_or("(unnamed)");
    if let Some(ty) = &e.ty {
        if !PACKAGE_TYPES.contains(&ty.as_str()) && e.purls.is_empty() {
            // Hardware, crypto assets, data, models: not packages.
            return;
        }
    }
    let field_version = e.version.as_deref().filter(|v| !v.is_empty());
    let no_version = |out: &mut Parsed| warn(out, format!("`{label}` has no version: skipped"));

    // 1. A purl of a known ecosystem.
    let mut unmapped: Option<(&str, Purl)> = None;
    for raw in &e.purls {
        match Purl::parse(raw) {
            Ok(purl) => match purl.to_package() {
                Some((eco, name)) => {
                    let Some(version) = purl.version.as_deref().or(field_version) else {
                        return no_version(out);
                    };
                    let mut pkg = Package::new(eco, &name, version, e.location.clone());
                    pkg.purl = Some(raw.clone());
                    out.packages.push(pkg);
                    return;
                }
                None => {
                    if unmapped.is_none() {
                        unmapped = Some((raw, purl));
                    }
                }
            },
            Err(err) => warn(out, format!("`{label}`: {err}; ignored")),
        }
    }
    // 2. A CPE.
    for raw in &e.cpes {
        match from_cpe(raw, field_version) {
            Some((_, _, version)) if version.is_empty() => return no_version(out),
            Some((eco, name, version)) => {
                out.packages
                    .push(Package::new(eco, &name, &version, e.location.clone()));
                return;
            }
            None => warn(out, format!("`{label}`: invalid CPE {raw:?}; ignored")),
        }
    }
    // 3. A purl of a type vigilo has no ecosystem for.
    if let Some((raw, purl)) = unmapped {
        let Some(version) = purl.version.as_deref().or(field_version) else {
            return no_version(out);
        };
        let name = match &purl.namespace {
            Some(ns) => format!("{ns}/{}", purl.name),
            None => purl.name.clone(),
        };
        let mut pkg = Package::new(
            Ecosystem::Other(purl.ty.clone()),
            &name,
            version,
            e.location.clone(),
        );
        pkg.purl = Some(raw.to_owned());
        out.packages.push(pkg);
        return warn(
            out,
            format!(
                "`{name}` {version}: purl type `{}` has no ecosystem vigilo matches; kept, but it cannot be matched",
                purl.ty
            ),
        );
    }
    // 4. and 5. Group and name, or name alone.
    let Some(name) = e.name.as_deref().filter(|n| !n.is_empty()) else {
        return warn(out, "no name, purl or CPE: skipped".into());
    };
    let Some(version) = field_version else {
        return no_version(out);
    };
    match e.group.as_deref().filter(|g| !g.is_empty()) {
        Some(group) => {
            let (eco, full) = hint.package(group, name);
            out.packages
                .push(Package::new(eco, &full, version, e.location.clone()));
        }
        None => {
            out.packages.push(Package::new(
                Ecosystem::Other("unknown".into()),
                name,
                version,
                e.location.clone(),
            ));
            warn(
                out,
                format!(
                    "`{name}` {version} has no purl, CPE or group: kept under ecosystem `unknown`, but it cannot be matched"
                ),
            );
        }
    }
}

/// A CPE's fields this reader uses. `None` stands for ANY (`*`) and
/// NOT APPLICABLE (`-`).
#[derive(Debug, PartialEq, Eq)]
struct Cpe {
    part: String,
    vendor: String,
    product: String,
    version: Option<String>,
    update: Option<String>,
}

/// Parses a CPE 2.3 formatted string (`cpe:2.3:a:apache:log4j:2.14.1:*:…`,
/// with `\` escapes) or a CPE 2.2 URI (`cpe:/a:apache:log4j:2.14.1`, with
/// percent-encoding). Vendor and product must be given.
fn parse_cpe(s: &str) -> Option<Cpe> {
    let s = s.trim();
    if s.len() > 4096 {
        return None;
    }
    let fields: Vec<Option<String>> = if let Some(rest) = strip_prefix_ci(s, "cpe:2.3:") {
        split_escaped(rest)
            .into_iter()
            .map(|f| Some(f).filter(|f| !f.is_empty() && f != "*" && f != "-"))
            .collect()
    } else if let Some(rest) = strip_prefix_ci(s, "cpe:/") {
        rest.split(':')
            .map(|f| percent_decode(f).filter(|f| !f.is_empty() && f != "-" && f != "*"))
            .collect()
    } else {
        return None;
    };
    let mut it = fields.into_iter();
    let part = it.next().flatten()?;
    let vendor = it.next().flatten()?;
    let product = it.next().flatten()?;
    let version = it.next().flatten();
    let update = it.next().flatten();
    Some(Cpe {
        part: part.to_ascii_lowercase(),
        vendor,
        product,
        version,
        update,
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Splits a CPE 2.3 formatted string on unescaped `:`, removing the `\`
/// escapes.
fn split_escaped(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(cur)) = (chars.next(), out.last_mut()) {
                    cur.push(next);
                }
            }
            ':' => out.push(String::new()),
            _ => {
                if let Some(cur) = out.last_mut() {
                    cur.push(c);
                }
            }
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The package a CPE names: `(ecosystem, name, version)`.
///
/// Apache log4j (`cpe:2.3:a:apache:log4j:…`, `cpe:/a:apache:log4j:…`) maps to
/// Maven `org.apache.logging.log4j:log4j-core`, or `log4j:log4j` for 1.x
/// versions; its CPE update (`beta9`, `rc1`) is appended Maven-style
/// (`2.0-beta9`). Any other CPE maps to ecosystem `CPE`, named
/// `vendor:product`. The version is the CPE's when it gives one, else
/// `fallback_version`, else empty. `None` when `cpe` is not a CPE.
pub(super) fn from_cpe(
    cpe: &str,
    fallback_version: Option<&str>,
) -> Option<(Ecosystem, String, String)> {
    let cpe = parse_cpe(cpe)?;
    let log4j = cpe.part == "a"
        && cpe.vendor.eq_ignore_ascii_case("apache")
        && cpe.product.eq_ignore_ascii_case("log4j");
    let version = match (&cpe.version, fallback_version) {
        (Some(v), _) => match (&cpe.update, log4j) {
            (Some(u), true) => format!("{v}-{u}"),
            _ => v.clone(),
        },
        (None, Some(v)) => v.trim().to_owned(),
        (None, None) => String::new(),
    };
    if log4j {
        let name = if version == "1" || version.starts_with("1.") {
            "log4j:log4j"
        } else {
            "org.apache.logging.log4j:log4j-core"
        };
        return Some((Ecosystem::Maven, name.to_owned(), version));
    }
    Some((
        Ecosystem::Other("CPE".into()),
        format!("{}:{}", cpe.vendor, cpe.product),
        version,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::diag::Severity;

    fn names(p: &Parsed) -> Vec<(String, String, String)> {
        p.packages
            .iter()
            .map(|p| (p.ecosystem.to_string(), p.name.clone(), p.version.clone()))
            .collect()
    }

    fn triple(e: &str, n: &str, v: &str) -> (String, String, String) {
        (e.to_owned(), n.to_owned(), v.to_owned())
    }

    #[test]
    fn cpe_log4j_maps_to_maven() {
        assert_eq!(
            from_cpe("cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*", None),
            Some((
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core".into(),
                "2.14.1".into()
            ))
        );
        assert_eq!(
            from_cpe("cpe:/a:apache:log4j:1.2.17", None),
            Some((Ecosystem::Maven, "log4j:log4j".into(), "1.2.17".into()))
        );
        assert_eq!(
            from_cpe("cpe:2.3:a:apache:log4j:2.0:beta9:*:*:*:*:*:*", None),
            Some((
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core".into(),
                "2.0-beta9".into()
            ))
        );
        // No version in the CPE: the component's.
        assert_eq!(
            from_cpe("cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*", Some("1.2.16")),
            Some((Ecosystem::Maven, "log4j:log4j".into(), "1.2.16".into()))
        );
    }

    #[test]
    fn other_cpes_keep_vendor_and_product() {
        assert_eq!(
            from_cpe("cpe:2.3:o:redhat:enterprise_linux:8.0:*:*:*:*:*:*:*", None),
            Some((
                Ecosystem::Other("CPE".into()),
                "redhat:enterprise_linux".into(),
                "8.0".into()
            ))
        );
        assert_eq!(
            from_cpe(r"cpe:2.3:a:foo\:bar:big\$money:-:*:*:*:*:*:*:*", None),
            Some((
                Ecosystem::Other("CPE".into()),
                "foo:bar:big$money".into(),
                String::new()
            ))
        );
        assert_eq!(
            from_cpe("cpe:/a:acme%2fcorp:widget:1.0", None).map(|x| x.1),
            Some("acme/corp:widget".into())
        );
        for bad in [
            "",
            "cpe:2.3:a",
            "cpe:2.3:a:*:x",
            "cpe:/a:x%zz:y",
            "pkg:npm/x@1",
        ] {
            assert_eq!(from_cpe(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn json_reads_nested_components_and_skips_the_subject() {
        let doc = br#"{
          "bomFormat": "CycloneDX", "specVersion": "1.5",
          "metadata": {"component": {"type": "application", "name": "app", "version": "1.0",
                                     "purl": "pkg:npm/app@1.0"}},
          "components": [
            {"type": "library", "name": "a", "version": "1", "purl": "pkg:npm/a@1",
             "components": [
               {"type": "library", "name": "b", "version": "2", "purl": "pkg:npm/b@2",
                "components": [{"type": "library", "group": "org.x", "name": "c", "version": "3"}]}
             ]},
            {"type": "device", "name": "board", "version": "A1"},
            {"type": "firmware", "name": "fw", "version": "9", "purl": "pkg:generic/fw@9"}
          ]}"#;
        let p = json(doc, "bom.json").unwrap();
        assert_eq!(
            names(&p),
            vec![
                triple("npm", "a", "1"),
                triple("npm", "b", "2"),
                triple("Maven", "org.x:c", "3"),
                triple("generic", "fw", "9"),
            ]
        );
        let locs: Vec<_> = p.packages.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(
            locs,
            [
                "/components/0",
                "/components/0/components/0",
                "/components/0/components/0/components/0",
                "/components/2"
            ]
        );
        // Only the unmatchable generic purl warns; the device is silent.
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].pointer, "/components/2");
    }

    #[test]
    fn purl_version_wins_and_purl_is_kept() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [
            {"type": "library", "name": "x", "version": "0",
             "purl": "pkg:maven/org.x/x@1.2?type=jar"},
            {"type": "library", "name": "y", "version": "2.0", "purl": "pkg:pypi/y"}]}"#;
        let p = json(doc, "bom.json").unwrap();
        assert_eq!(
            names(&p),
            vec![
                triple("Maven", "org.x:x", "1.2"),
                triple("PyPI", "y", "2.0")
            ]
        );
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some("pkg:maven/org.x/x@1.2?type=jar")
        );
    }

    #[test]
    fn unidentifiable_and_versionless_components_warn() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
            {"type": "library", "name": "Crypto library", "version": "1.0.0"},
            {"type": "library", "name": "noversion", "purl": "pkg:npm/noversion"},
            {"type": "library", "name": "bad", "version": "1", "purl": "npm:bad"},
            {"type": "library"},
            "not an object",
            {"type": "cryptographic-asset", "name": "AES"}]}"#;
        let p = json(doc, "bom.json").unwrap();
        assert_eq!(
            names(&p),
            vec![
                triple("unknown", "Crypto library", "1.0.0"),
                triple("unknown", "bad", "1"),
            ]
        );
        let at: Vec<_> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/components/0",
                "/components/1",
                "/components/2",
                "/components/2",
                "/components/3",
                "/components/4"
            ]
        );
        assert!(p.diagnostics.iter().all(|d| d.severity == Severity::Warning
            && d.code == DiagnosticCode::ManifestEntry));
    }

    #[test]
    fn group_hint_follows_the_boms_purls() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": [
            {"type": "library", "group": "brick", "name": "math", "version": "0.9.3",
             "purl": "pkg:composer/brick/math@0.9.3"},
            {"type": "library", "group": "asm89", "name": "stack-cors", "version": "1.3.0"},
            {"type": "library", "group": "@babel", "name": "core", "version": "7.0.0"}]}"#;
        let p = json(doc, "bom.json").unwrap();
        assert_eq!(
            names(&p),
            vec![
                triple("Packagist", "brick/math", "0.9.3"),
                triple("Packagist", "asm89/stack-cors", "1.3.0"),
                triple("npm", "@babel/core", "7.0.0"),
            ]
        );
        assert!(p.diagnostics.is_empty());
    }

    #[test]
    fn json_document_errors() {
        let err = |doc: &[u8]| json(doc, "bom.json").unwrap_err();
        assert_eq!(err(b"{").code, DiagnosticCode::ManifestSyntax);
        assert_eq!(err(b"[]").code, DiagnosticCode::ManifestSyntax);
        assert_eq!(
            err(br#"{"bomFormat": "SPDX", "specVersion": "1.4"}"#).code,
            DiagnosticCode::ManifestSyntax
        );
        assert_eq!(
            err(br#"{"bomFormat": "CycloneDX", "specVersion": "2.0"}"#).code,
            DiagnosticCode::Unsupported
        );
        assert_eq!(
            err(br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {}}"#).code,
            DiagnosticCode::ManifestSyntax
        );
        // Deep nesting is refused, not a stack overflow.
        let mut deep =
            String::from(r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": "#);
        for _ in 0..100 {
            deep.push_str(r#"[{"name": "x", "version": "1", "components": "#);
        }
        deep.push_str("[]");
        for _ in 0..100 {
            deep.push_str("}]");
        }
        deep.push('}');
        assert_eq!(err(deep.as_bytes()).code, DiagnosticCode::ManifestSyntax);
        // 62 levels: within serde_json's limit (which keeps ours unreached).
        let mut deep =
            String::from(r#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "components": "#);
        for _ in 0..62 {
            deep.push_str(r#"[{"components": "#);
        }
        deep.push_str("[]");
        for _ in 0..62 {
            deep.push_str("}]");
        }
        deep.push('}');
        assert!(json(deep.as_bytes(), "bom.json").is_ok());
    }

    const XML_BOM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4" xmlns:x="urn:other" version="1">
  <metadata>
    <component type="application">
      <name>subject</name><version>9.9</version>
      <components>
        <component type="library"><name>sub</name><version>1</version></component>
      </components>
    </component>
  </metadata>
  <components>
    <component type="library">
      <group>org.apache.logging.log4j</group>
      <name>log4j-core</name>
      <version>2.14.1</version>
      <licenses><license><name>Apache &amp; others</name></license></licenses>
      <x:name>not this</x:name>
      <purl><![CDATA[pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar]]></purl>
      <components>
        <component type="library">
          <name>nested</name>
          <version>1.0</version>
          <cpe>cpe:2.3:a:apache:log4j:1.2.17:*:*:*:*:*:*:*</cpe>
        </component>
      </components>
    </component>
    <component type="device"><name>hw</name><version>1</version></component>
    <component type="library"/>
  </components>
</bom>
"#;

    #[test]
    fn xml_reads_nested_components_with_lines() {
        let p = xml(XML_BOM.as_bytes(), "bom.xml").unwrap();
        assert_eq!(
            names(&p),
            vec![
                triple("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
                triple("Maven", "log4j:log4j", "1.2.17"),
            ]
        );
        assert_eq!(p.packages[0].location, "line 12");
        assert_eq!(p.packages[1].location, "line 20");
        assert_eq!(
            p.packages[1].purl.as_deref(),
            Some("pkg:maven/log4j/log4j@1.2.17")
        );
        // The empty component has no version.
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].pointer, "line 28");
    }

    #[test]
    fn xml_document_errors() {
        let err = |doc: &str| xml(doc.as_bytes(), "bom.xml").unwrap_err();
        let e = err("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\">\n<components>\n</bom>");
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        assert!(e.message.contains("line 3"), "{}", e.message);
        assert_eq!(
            err(r#"<bom xmlns="http://cyclonedx.org/schema/bom/2.0"/>"#).code,
            DiagnosticCode::Unsupported
        );
        assert_eq!(
            err(r#"<project xmlns="http://maven.apache.org/POM/4.0.0"/>"#).code,
            DiagnosticCode::ManifestSyntax
        );
        assert_eq!(err("").code, DiagnosticCode::ManifestSyntax);
        assert_eq!(
            err(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components>"#).code,
            DiagnosticCode::ManifestSyntax
        );
        let mut deep = String::from(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4">"#);
        for _ in 0..40 {
            deep.push_str(r#"<components><component type="library">"#);
        }
        for _ in 0..40 {
            deep.push_str("</component></components>");
        }
        deep.push_str("</bom>");
        let e = err(&deep);
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        assert!(e.message.contains("deeper than 64"), "{}", e.message);
        // Every spec version's namespace is read.
        for v in 0..=6 {
            let doc = format!(r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.{v}"/>"#);
            assert!(xml(doc.as_bytes(), "bom.xml").unwrap().packages.is_empty());
        }
    }

    #[test]
    fn never_panics_on_truncations() {
        for cut in 0..XML_BOM.len() {
            if let Some(s) = XML_BOM.get(..cut) {
                let _ = xml(s.as_bytes(), "bom.xml");
                let _ = json(s.as_bytes(), "bom.json");
            }
        }
    }
}
