//! Maven's `pom.xml` (POM 4.0.0): the dependencies a project declares with
//! versions, without fetching anything.
//!
//! Read: `project/dependencies/dependency` and
//! `project/dependencyManagement/dependencies/dependency`, named
//! `groupId:artifactId`. `${…}` references are resolved from the same
//! pom's `<properties>` and its model (`${project.version}`,
//! `${project.groupId}`, `${project.parent.version}`…; a project without
//! its own version or groupId inherits the parent's). A dependency without a
//! version takes the one this pom's `dependencyManagement` gives it.
//!
//! Not read: the `<parent>` (a build input, not a dependency), plugins and
//! their dependencies, profiles, and anything only the parent pom or an
//! imported BOM would tell. Dependencies whose version is missing, refers
//! to an undefined property, or is a range (`[1.0,2.0)`) are skipped with a
//! warning; a single pinned version in brackets (`[1.2.3]`) is read as that
//! version.
//!
//! `dev` is true for `<scope>test</scope>`. A package declared in both
//! sections is listed once, at its `dependencies` entry. Locations are
//! `line N` of the `<dependency>` start tag.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use vigilo_core::Ecosystem;

use super::{Package, Parsed, entry_warning, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode};

/// How deep elements may nest. Real poms stay under ten levels.
const MAX_DEPTH: usize = 64;

/// How many rounds of `${…}` substitution, for properties that refer to
/// other properties.
const MAX_SUBSTITUTIONS: usize = 16;

/// How long a value may grow while properties are substituted.
const MAX_VALUE_LEN: usize = 4096;

/// A `<dependency>` as written.
#[derive(Debug, Default)]
struct Dependency {
    group: String,
    artifact: String,
    version: String,
    scope: String,
    line: usize,
    /// Under `dependencyManagement`.
    managed: bool,
}

/// What the pom says, before resolution.
#[derive(Debug, Default)]
struct Pom {
    properties: HashMap<String, String>,
    /// `project/groupId`, `project/artifactId`, `project/version`.
    group: String,
    artifact: String,
    version: String,
    parent_group: String,
    parent_version: String,
    dependencies: Vec<Dependency>,
}

/// Reads a `pom.xml`.
pub(super) fn pom_xml(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let pom = read_pom(text, path)?;
    Ok(resolve_dependencies(pom, path))
}

/// Counts lines up to byte offsets, moving forward only.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    /// The 1-based line of byte `offset`.
    fn at(&mut self, offset: usize) -> usize {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let end = offset.min(self.text.len());
        let newlines = self
            .text
            .get(self.offset..end)
            .map_or(0, |s| s.iter().filter(|&&b| b == b'\n').count());
        self.line += newlines;
        self.offset = end;
        self.line
    }
}

/// Walks the XML once, keeping the elements vigilo reads.
fn read_pom(text: &str, path: &str) -> Result<Pom, Diagnostic> {
    let mut reader = Reader::from_str(text);
    let mut lines = Lines {
        text: text.as_bytes(),
        offset: 0,
        line: 1,
    };
    let syntax = |line: usize, what: String| {
        file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("line {line}: {what}"),
        )
    };
    let mut pom = Pom::default();
    let mut stack: Vec<String> = Vec::new();
    let mut text_buf = String::new();
    let mut current: Option<Dependency> = None;
    let mut seen_root = false;
    loop {
        let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(syntax(lines.at(at), format!("not well-formed XML: {e}")));
            }
        };
        match event {
            Event::Start(_) | Event::Empty(_) if stack.len() >= MAX_DEPTH => {
                return Err(syntax(
                    lines.at(start),
                    format!("elements nested deeper than {MAX_DEPTH} levels"),
                ));
            }
            Event::Start(e) => {
                let name = local_name(&e);
                if !seen_root {
                    check_root(&name).map_err(|w| syntax(lines.at(start), w))?;
                    seen_root = true;
                }
                stack.push(name);
                text_buf.clear();
                if let Some(managed) = dependency_kind(&stack) {
                    current = Some(Dependency {
                        line: lines.at(start),
                        managed,
                        ..Dependency::default()
                    });
                }
            }
            Event::Empty(e) => {
                // `<version/>`: an element with empty text.
                let name = local_name(&e);
                if !seen_root {
                    check_root(&name).map_err(|w| syntax(lines.at(start), w))?;
                    seen_root = true;
                }
                stack.push(name);
                text_buf.clear();
                end_element(&stack, "", &mut pom, &mut current);
                stack.pop();
            }
            Event::Text(t) => match t.unescape() {
                Ok(s) => text_buf.push_str(&s),
                // An entity the pom's DTD would define: kept as written.
                Err(_) => text_buf.push_str(&String::from_utf8_lossy(&t)),
            },
            Event::CData(c) => text_buf.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                end_element(&stack, text_buf.trim(), &mut pom, &mut current);
                text_buf.clear();
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(syntax(
            lines.at(text.len()),
            format!("the file ends inside <{open}>"),
        ));
    }
    if !seen_root {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            "no <project> element".into(),
        ));
    }
    Ok(pom)
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn check_root(name: &str) -> Result<(), String> {
    if name == "project" {
        Ok(())
    } else {
        Err(format!("the root element is <{name}>, not <project>"))
    }
}

/// Whether `stack` is at a `<dependency>` vigilo reads: `Some(true)` under
/// `dependencyManagement`, `Some(false)` directly under the project.
fn dependency_kind(stack: &[String]) -> Option<bool> {
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["project", "dependencies", "dependency"] => Some(false),
        [
            "project",
            "dependencyManagement",
            "dependencies",
            "dependency",
        ] => Some(true),
        _ => None,
    }
}

/// Handles the end of the innermost element of `stack`, whose text is
/// `text`.
fn end_element(stack: &[String], text: &str, pom: &mut Pom, current: &mut Option<Dependency>) {
    let Some((last, parents)) = stack.split_last() else {
        return;
    };
    if dependency_kind(stack).is_some() {
        if let Some(dep) = current.take() {
            pom.dependencies.push(dep);
        }
        return;
    }
    if dependency_kind(parents).is_some() {
        if let Some(dep) = current.as_mut() {
            let field = match last.as_str() {
                "groupId" => &mut dep.group,
                "artifactId" => &mut dep.artifact,
                "version" => &mut dep.version,
                "scope" => &mut dep.scope,
                _ => return,
            };
            *field = text.to_owned();
        }
        return;
    }
    let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
    let field = match (parents.as_slice(), last.as_str()) {
        (["project", "properties"], name) => {
            pom.properties.insert(name.to_owned(), text.to_owned());
            return;
        }
        (["project"], "groupId") => &mut pom.group,
        (["project"], "artifactId") => &mut pom.artifact,
        (["project"], "version") => &mut pom.version,
        (["project", "parent"], "groupId") => &mut pom.parent_group,
        (["project", "parent"], "version") => &mut pom.parent_version,
        _ => return,
    };
    *field = text.to_owned();
}

/// A dependency with its name and version resolved.
#[derive(Debug)]
struct Resolved {
    name: String,
    version: String,
    dev: bool,
    line: usize,
    managed: bool,
}

/// Resolves properties and managed versions; warns about what cannot be.
fn resolve_dependencies(pom: Pom, path: &str) -> Parsed {
    let mut out = Parsed::default();
    let properties = model_properties(&pom);
    let warn = |out: &mut Parsed, line: usize, msg: String| {
        out.diagnostics
            .push(entry_warning(path, format!("line {line}"), msg));
    };

    // groupId:artifactId → version, from dependencyManagement.
    let mut managed_versions: HashMap<String, String> = HashMap::new();
    let mut resolved: Vec<Resolved> = Vec::new();
    let mut versionless: Vec<(String, &Dependency)> = Vec::new();
    // Managed entries first, so that plain dependencies can use them
    // wherever they appear in the file.
    let mut order: Vec<&Dependency> = pom.dependencies.iter().collect();
    order.sort_by_key(|d| !d.managed);
    for dep in order {
        let name = match (
            substitute(&dep.group, &properties),
            substitute(&dep.artifact, &properties),
        ) {
            (Ok(g), Ok(a)) if !g.is_empty() && !a.is_empty() => format!("{g}:{a}"),
            (Err(p), _) | (_, Err(p)) => {
                warn(
                    &mut out,
                    dep.line,
                    format!("${{{p}}} is not defined in this pom"),
                );
                continue;
            }
            _ => {
                warn(
                    &mut out,
                    dep.line,
                    "dependency has no groupId or artifactId".into(),
                );
                continue;
            }
        };
        if dep.version.is_empty() {
            versionless.push((name, dep));
            continue;
        }
        let version = match substitute(&dep.version, &properties) {
            Ok(v) => v,
            Err(p) => {
                warn(
                    &mut out,
                    dep.line,
                    format!(
                        "version {:?} of {name} uses ${{{p}}}, which is not defined in this pom",
                        dep.version
                    ),
                );
                continue;
            }
        };
        if version.contains('&') {
            warn(
                &mut out,
                dep.line,
                format!("version {version:?} of {name} uses an XML entity that is not expanded"),
            );
            continue;
        }
        let Some(version) = pinned(&version) else {
            warn(
                &mut out,
                dep.line,
                format!("version {version:?} of {name} is a range, not one version"),
            );
            continue;
        };
        if dep.managed {
            managed_versions
                .entry(name.clone())
                .or_insert_with(|| version.clone());
        }
        resolved.push(Resolved {
            name,
            version,
            dev: dep.scope == "test",
            line: dep.line,
            managed: dep.managed,
        });
    }
    for (name, dep) in versionless {
        match managed_versions.get(&name) {
            Some(version) if !dep.managed => resolved.push(Resolved {
                name,
                version: version.clone(),
                dev: dep.scope == "test",
                line: dep.line,
                managed: false,
            }),
            _ => warn(
                &mut out,
                dep.line,
                format!(
                    "{name} has no version here (the parent pom or an imported BOM manages it)"
                ),
            ),
        }
    }
    resolved.sort_by_key(|r| r.line);

    // One package per name@version: a `dependencies` entry wins over the
    // `dependencyManagement` one, and decides `dev`.
    let mut groups: Vec<(String, String, Vec<&Resolved>)> = Vec::new();
    let mut group_of: HashMap<(&str, &str), usize> = HashMap::new();
    for r in &resolved {
        let key = (r.name.as_str(), r.version.as_str());
        match group_of.get(&key).and_then(|&i| groups.get_mut(i)) {
            Some((_, _, members)) => members.push(r),
            None => {
                group_of.insert(key, groups.len());
                groups.push((r.name.clone(), r.version.clone(), vec![r]));
            }
        }
    }
    let mut packages = Vec::with_capacity(groups.len());
    for (name, version, members) in groups {
        let used: Vec<&&Resolved> = members.iter().filter(|r| !r.managed).collect();
        let (line, dev) = match used.first() {
            Some(first) => (first.line, used.iter().all(|r| r.dev)),
            None => (
                members.first().map_or(0, |r| r.line),
                members.iter().all(|r| r.dev),
            ),
        };
        let mut package = Package::new(Ecosystem::Maven, &name, &version, format!("line {line}"));
        package.dev = dev;
        packages.push((line, package));
    }
    packages.sort_by_key(|(line, _)| *line);
    out.packages = packages.into_iter().map(|(_, p)| p).collect();
    // Warnings in file order too (managed entries were read first).
    out.diagnostics.sort_by_key(|d| {
        d.pointer
            .strip_prefix("line ")
            .and_then(|n| n.parse::<usize>().ok())
    });
    out
}

/// The pom's properties plus the model values `${project.*}` refers to.
fn model_properties(pom: &Pom) -> HashMap<String, String> {
    let mut props = pom.properties.clone();
    let or_parent = |own: &str, parent: &str| {
        if own.is_empty() {
            parent.to_owned()
        } else {
            own.to_owned()
        }
    };
    let version = or_parent(&pom.version, &pom.parent_version);
    let group = or_parent(&pom.group, &pom.parent_group);
    let model = [
        ("project.version", version.clone()),
        ("pom.version", version.clone()),
        ("version", version),
        ("project.groupId", group.clone()),
        ("pom.groupId", group.clone()),
        ("groupId", group),
        ("project.artifactId", pom.artifact.clone()),
        ("pom.artifactId", pom.artifact.clone()),
        ("artifactId", pom.artifact.clone()),
        ("project.parent.version", pom.parent_version.clone()),
        ("parent.version", pom.parent_version.clone()),
        ("project.parent.groupId", pom.parent_group.clone()),
        ("parent.groupId", pom.parent_group.clone()),
    ];
    for (key, value) in model {
        if !value.is_empty() {
            props.entry(key.to_owned()).or_insert(value);
        }
    }
    props
}

/// Replaces `${name}` references, following references inside property
/// values a bounded number of times. `Err` names the first property that
/// is undefined (or that never resolves).
fn substitute(value: &str, props: &HashMap<String, String>) -> Result<String, String> {
    let mut current = value.to_owned();
    for _ in 0..MAX_SUBSTITUTIONS {
        let Some(start) = current.find("${") else {
            return Ok(current);
        };
        let Some(len) = current.get(start + 2..).and_then(|rest| rest.find('}')) else {
            // `${` without `}`: kept as written.
            return Ok(current);
        };
        let name = current
            .get(start + 2..start + 2 + len)
            .unwrap_or("")
            .to_owned();
        let Some(replacement) = props.get(&name) else {
            return Err(name);
        };
        let mut next = String::with_capacity(current.len() + replacement.len());
        next.push_str(current.get(..start).unwrap_or(""));
        next.push_str(replacement);
        next.push_str(current.get(start + 3 + len..).unwrap_or(""));
        if next.len() > MAX_VALUE_LEN {
            return Err(name);
        }
        current = next;
    }
    match current.find("${") {
        None => Ok(current),
        Some(start) => Err(current
            .get(start + 2..)
            .and_then(|r| r.split('}').next())
            .unwrap_or("")
            .to_owned()),
    }
}

/// The one version a version spec pins: `1.2.3`, or `[1.2.3]`. `None` for
/// ranges (`[1.0,2.0)`, `(,1.0]`).
fn pinned(version: &str) -> Option<String> {
    let v = version.trim();
    if v.starts_with(['[', '(']) || v.ends_with([']', ')']) || v.contains(',') {
        let inner = v.strip_prefix('[')?.strip_suffix(']')?.trim();
        return (!inner.is_empty() && !inner.contains([',', '[', ']', '(', ')']))
            .then(|| inner.to_owned());
    }
    (!v.is_empty()).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Parsed {
        pom_xml(xml.as_bytes(), "pom.xml").unwrap_or_else(|d| panic!("{d}"))
    }

    fn packages(p: &Parsed) -> Vec<(&str, &str, bool, &str)> {
        p.packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.dev,
                    p.location.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn substitutes_properties() {
        let props: HashMap<String, String> = [
            ("a", "1"),
            ("b", "${a}.2"),
            ("loop", "${loop}"),
            ("big", "${big}${big}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(substitute("${b}.3", &props), Ok("1.2.3".into()));
        assert_eq!(substitute("x-${a}-${a}", &props), Ok("x-1-1".into()));
        assert_eq!(substitute("${nope}", &props), Err("nope".into()));
        assert_eq!(substitute("${loop}", &props), Err("loop".into()));
        assert_eq!(substitute("${big}", &props), Err("big".into()));
        assert_eq!(substitute("${open", &props), Ok("${open".into()));
        assert_eq!(substitute("", &props), Ok(String::new()));
    }

    #[test]
    fn pins_and_ranges() {
        assert_eq!(pinned("1.2.3"), Some("1.2.3".into()));
        assert_eq!(pinned("[1.2.3]"), Some("1.2.3".into()));
        assert_eq!(pinned("[1.0,2.0)"), None);
        assert_eq!(pinned("(,1.0]"), None);
        assert_eq!(pinned("[1.0,)"), None);
        assert_eq!(pinned("[]"), None);
        assert_eq!(pinned("1.0]"), None);
    }

    #[test]
    fn reads_dependencies_with_properties_and_management() {
        let p = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.example</groupId>
    <artifactId>parent</artifactId>
    <version>2.0.0</version>
  </parent>
  <artifactId>app</artifactId>
  <properties>
    <log4j.version>2.14.1</log4j.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>junit</groupId>
        <artifactId>junit</artifactId>
        <version>4.13.1</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>sibling</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <scope>test</scope>
      <exclusions><exclusion><groupId>x</groupId><artifactId>y</artifactId></exclusion></exclusions>
    </dependency>
    <dependency><groupId>a</groupId><artifactId>b</artifactId><version>${missing}</version></dependency>
    <dependency><groupId>a</groupId><artifactId>c</artifactId></dependency>
    <dependency><groupId>a</groupId><artifactId>d</artifactId><version/></dependency>
  </dependencies>
</project>
"#,
        );
        assert_eq!(
            packages(&p),
            [
                (
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    false,
                    "line 23"
                ),
                ("org.example:sibling", "2.0.0", false, "line 28"),
                ("junit:junit", "4.13.1", true, "line 33"),
            ]
        );
        let at: Vec<&str> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(at, ["line 39", "line 40", "line 41"]);
        assert!(p.diagnostics[0].message.contains("${missing}"));
        assert_eq!(
            p.packages[0].purl.as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
        );
    }

    #[test]
    fn managed_only_entries_are_listed() {
        let p = parse(
            "<project><dependencyManagement><dependencies>\n\
             <dependency><groupId>g</groupId><artifactId>a</artifactId><version>1</version>\
             <scope>test</scope></dependency>\n\
             </dependencies></dependencyManagement></project>",
        );
        assert_eq!(packages(&p), [("g:a", "1", true, "line 2")]);
    }

    #[test]
    fn rejects_malformed_and_foreign_xml() {
        for (xml, needle) in [
            ("<project>\n<dependencies>\n</project>", "line 3"),
            ("<project>\n<dependencies>", "ends inside <dependencies>"),
            ("<settings/>", "<settings>"),
            ("", "no <project>"),
            ("<!-- only a comment -->", "no <project>"),
        ] {
            let e = pom_xml(xml.as_bytes(), "pom.xml").unwrap_err();
            assert_eq!(e.code, DiagnosticCode::ManifestSyntax, "{xml}");
            assert!(e.message.contains(needle), "{xml}: {}", e.message);
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let xml = format!("<project>{}", "<a>".repeat(10_000));
        let e = pom_xml(xml.as_bytes(), "pom.xml").unwrap_err();
        assert!(e.message.contains("deeper than"), "{}", e.message);
    }

    #[test]
    fn entities_and_cdata() {
        let p = parse(
            "<!DOCTYPE project [<!ENTITY v \"9\">]><project><dependencies><dependency>\
             <groupId>a&amp;b</groupId><artifactId><![CDATA[c]]></artifactId>\
             <version>&v;</version></dependency></dependencies></project>",
        );
        // The DTD's entity is not expanded (no entity tricks): skipped.
        assert!(p.packages.is_empty());
        assert!(p.diagnostics[0].message.contains("\"&v;\""));
        let p = parse(
            "<project><dependencies><dependency>\
             <groupId>a&amp;b</groupId><artifactId><![CDATA[c]]></artifactId>\
             <version>1&#46;0</version></dependency></dependencies></project>",
        );
        assert_eq!(packages(&p), [("a&b:c", "1.0", false, "line 1")]);
    }
}
