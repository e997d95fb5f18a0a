//! SPDX 2 documents, JSON and tag-value: SPDX 2.2 and 2.3 (2.0 and 2.1,
//! whose package fields are the same, are read too). SPDX 3 (JSON-LD, with
//! an `@context` under `spdx.org/rdf/3`) is refused as unsupported.
//!
//! Every package is read (`packages[]` in JSON, `PackageName:` sections in
//! tag-value), the document's described package included: in SPDX that is
//! usually the product, which may itself be a released package. Files and
//! snippets are not read.
//!
//! A package is identified by its external references, in order: a `purl`
//! (category `PACKAGE-MANAGER`, or the older `PACKAGE_MANAGER`), then a
//! `cpe23Type` or `cpe22Type` (mapped by [`from_cpe`](super::cyclonedx::from_cpe)). A package with
//! neither is kept under ecosystem `unknown` with a warning that it cannot
//! be matched. The version is the purl's (or the CPE's), else `versionInfo` /
//! `PackageVersion`; packages without one (or with `NOASSERTION`) are
//! skipped with a warning. The rules are those of the CycloneDX reader
//! ([`super::cyclonedx`]), which does the identification.
//!
//! Locations are JSON pointers (`/packages/3`) for JSON and `line N` of the
//! `PackageName:` tag for tag-value.

use serde_json::Value;

use super::cyclonedx::{Entry, resolve};
use super::{Parsed, file_error, utf8};
use crate::diag::{Diagnostic, DiagnosticCode};

/// Reads an SPDX 2 JSON document.
pub(super) fn json(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let syntax = |msg: String| file_error(DiagnosticCode::ManifestSyntax, path, msg);
    let doc: Value =
        serde_json::from_str(text).map_err(|e| syntax(format!("not valid JSON: {e}")))?;
    let Some(top) = doc.as_object() else {
        return Err(syntax("the document is not a JSON object".into()));
    };
    if top.get("@context").is_some_and(is_spdx3_context) || top.contains_key("@graph") {
        return Err(spdx3(path));
    }
    match top.get("spdxVersion") {
        Some(Value::String(v)) => check_version(v, path)?,
        Some(other) => return Err(syntax(format!("/spdxVersion is {other}, not a string"))),
        None => return Err(syntax("no /spdxVersion: not an SPDX 2 document".into())),
    }
    let packages = match top.get("packages") {
        None | Some(Value::Null) => return Ok(Parsed::default()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(syntax("/packages is not an array".into())),
    };
    let entries: Vec<Entry> = packages
        .iter()
        .enumerate()
        .map(|(i, p)| json_entry(p, format!("/packages/{i}")))
        .collect();
    Ok(resolve(&entries, path))
}

/// One `packages[]` item as an [`Entry`].
fn json_entry(p: &Value, location: String) -> Entry {
    let Some(obj) = p.as_object() else {
        return Entry {
            invalid: Some("not a JSON object".into()),
            location,
            ..Entry::default()
        };
    };
    let field = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut entry = Entry {
        name: field("name").map(|n| n.trim().to_owned()),
        version: version_info(field("versionInfo")),
        location,
        ..Entry::default()
    };
    if let Some(Value::Array(refs)) = obj.get("externalRefs") {
        for r in refs {
            let get = |key: &str| r.get(key).and_then(Value::as_str).unwrap_or("");
            add_ref(
                &mut entry,
                get("referenceCategory"),
                get("referenceType"),
                get("referenceLocator"),
            );
        }
    }
    entry
}

/// Whether a JSON-LD `@context` (a string, list or object) is SPDX 3's.
fn is_spdx3_context(ctx: &Value) -> bool {
    match ctx {
        Value::String(s) => s.contains("spdx.org/rdf/3"),
        Value::Array(items) => items.iter().any(is_spdx3_context),
        Value::Object(map) => map
            .values()
            .any(|v| v.as_str().is_some_and(|s| s.contains("spdx.org/rdf/3"))),
        _ => false,
    }
}

fn spdx3(path: &str) -> Diagnostic {
    file_error(
        DiagnosticCode::Unsupported,
        path,
        "SPDX 3.0 is not read; export SPDX 2.3".into(),
    )
}

/// Checks `SPDX-2.x` is a version read.
fn check_version(v: &str, path: &str) -> Result<(), Diagnostic> {
    let v = v.trim();
    let minor = v
        .strip_prefix("SPDX-2.")
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| *m <= 3);
    if minor.is_some() {
        return Ok(());
    }
    if v.starts_with("SPDX-3") {
        return Err(spdx3(path));
    }
    Err(file_error(
        DiagnosticCode::Unsupported,
        path,
        format!("SPDX version {v:?} is not read (SPDX-2.2 and SPDX-2.3 are)"),
    ))
}

/// A `versionInfo`, with `NOASSERTION` / `NONE` / empty as none.
fn version_info(v: Option<String>) -> Option<String> {
    v.map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v != "NOASSERTION" && v != "NONE")
}

/// Records an external reference that identifies the package.
fn add_ref(entry: &mut Entry, category: &str, ty: &str, locator: &str) {
    let locator = locator.trim();
    if locator.is_empty() {
        return;
    }
    match (category.trim(), ty.trim()) {
        ("PACKAGE-MANAGER" | "PACKAGE_MANAGER", "purl") => entry.purls.push(locator.to_owned()),
        (_, "cpe23Type" | "cpe22Type") => entry.cpes.push(locator.to_owned()),
        _ => {}
    }
}

/// Tags that end a package's section: another element starts.
const SECTION_STARTS: [&str; 4] = ["PackageName", "FileName", "SnippetSPDXID", "LicenseID"];

/// Reads an SPDX 2 tag-value document.
pub(super) fn tag_value(bytes: &[u8], path: &str) -> Result<Parsed, Diagnostic> {
    let text = utf8(bytes, path)?;
    let mut entries: Vec<Entry> = Vec::new();
    // Whether the last section started is a package (the last entry).
    let mut in_package = false;
    let mut saw_version = false;
    // An open `<text>` value: (tag, its line, the text so far).
    let mut open: Option<(&str, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let (tag, value, line_no) = if let Some((tag, start, mut acc)) = open.take() {
            match line.find("</text>") {
                Some(end) => {
                    acc.push('\n');
                    acc.push_str(line.get(..end).unwrap_or(""));
                    (tag, acc, start)
                }
                None => {
                    // Only the values of tags read are kept.
                    if is_read_tag(tag) {
                        acc.push('\n');
                        acc.push_str(line);
                    }
                    open = Some((tag, start, acc));
                    continue;
                }
            }
        } else {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let Some((tag, value)) = trimmed.split_once(':') else {
                continue;
            };
            let tag = tag.trim();
            let value = value.trim();
            match value.strip_prefix("<text>") {
                Some(rest) => match rest.find("</text>") {
                    Some(end) => (tag, rest.get(..end).unwrap_or("").to_owned(), n),
                    None => {
                        let acc = if is_read_tag(tag) {
                            rest.to_owned()
                        } else {
                            String::new()
                        };
                        open = Some((tag, n, acc));
                        continue;
                    }
                },
                None => (tag, value.to_owned(), n),
            }
        };
        let value = value.trim();
        if SECTION_STARTS.contains(&tag) {
            in_package = tag == "PackageName";
            if in_package {
                entries.push(Entry {
                    name: Some(value.to_owned()).filter(|v| !v.is_empty()),
                    location: format!("line {line_no}"),
                    ..Entry::default()
                });
            }
            continue;
        }
        match tag {
            "SPDXVersion" => {
                check_version(value, path)?;
                saw_version = true;
            }
            "PackageVersion" if in_package => {
                if let Some(e) = entries.last_mut() {
                    e.version = version_info(Some(value.to_owned()));
                }
            }
            "ExternalRef" if in_package => {
                let mut parts = value.split_whitespace();
                if let (Some(cat), Some(ty), Some(loc), Some(e)) =
                    (parts.next(), parts.next(), parts.next(), entries.last_mut())
                {
                    add_ref(e, cat, ty, loc);
                }
            }
            _ => {}
        }
    }
    if let Some((tag, start, _)) = open {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            format!("line {start}: the <text> value of {tag} is never closed with </text>"),
        ));
    }
    if !saw_version {
        return Err(file_error(
            DiagnosticCode::ManifestSyntax,
            path,
            "no SPDXVersion tag: not an SPDX tag-value document".into(),
        ));
    }
    Ok(resolve(&entries, path))
}

/// Whether a tag's value is used (so a multi-line one is worth keeping).
fn is_read_tag(tag: &str) -> bool {
    matches!(
        tag,
        "SPDXVersion" | "PackageName" | "PackageVersion" | "ExternalRef"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::diag::Severity;

    fn triples(p: &Parsed) -> Vec<(String, String, String, String)> {
        p.packages
            .iter()
            .map(|p| {
                (
                    p.ecosystem.to_string(),
                    p.name.clone(),
                    p.version.clone(),
                    p.location.clone(),
                )
            })
            .collect()
    }

    fn t(e: &str, n: &str, v: &str, l: &str) -> (String, String, String, String) {
        (e.into(), n.into(), v.into(), l.into())
    }

    #[test]
    fn json_identifies_by_purl_then_cpe() {
        let doc = br#"{"spdxVersion": "SPDX-2.3", "packages": [
          {"name": "Jena", "versionInfo": "3.12.0", "externalRefs": [
            {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
             "referenceLocator": "pkg:maven/org.apache.jena/apache-jena@3.12.0"}]},
          {"name": "log4j", "versionInfo": "2.14.1", "externalRefs": [
            {"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
             "referenceLocator": "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"}]},
          {"name": "old", "versionInfo": "1.0", "externalRefs": [
            {"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl",
             "referenceLocator": "pkg:gem/old"}]},
          {"name": "Saxon", "versionInfo": "8.8"},
          {"name": "Apache Commons Lang", "versionInfo": "NOASSERTION"},
          {"name": "no version at all"},
          7
        ]}"#;
        let p = json(doc, "x.spdx.json").unwrap();
        assert_eq!(
            triples(&p),
            vec![
                t(
                    "Maven",
                    "org.apache.jena:apache-jena",
                    "3.12.0",
                    "/packages/0"
                ),
                t(
                    "Maven",
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    "/packages/1"
                ),
                t("RubyGems", "old", "1.0", "/packages/2"),
                t("unknown", "Saxon", "8.8", "/packages/3"),
            ]
        );
        let at: Vec<_> = p.diagnostics.iter().map(|d| d.pointer.as_str()).collect();
        assert_eq!(
            at,
            ["/packages/3", "/packages/4", "/packages/5", "/packages/6"]
        );
        assert!(
            p.diagnostics
                .iter()
                .all(|d| d.severity == Severity::Warning)
        );
    }

    #[test]
    fn json_refuses_spdx3_and_other_versions() {
        let err = |doc: &[u8]| json(doc, "x.json").unwrap_err();
        let e =
            err(br#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}"#);
        assert_eq!(e.code, DiagnosticCode::Unsupported);
        assert_eq!(e.message, "SPDX 3.0 is not read; export SPDX 2.3");
        assert_eq!(
            err(br#"{"@context": ["https://spdx.org/rdf/3.0.0/spdx-context.jsonld"]}"#).code,
            DiagnosticCode::Unsupported
        );
        assert_eq!(
            err(br#"{"spdxVersion": "SPDX-1.2"}"#).code,
            DiagnosticCode::Unsupported
        );
        assert_eq!(
            err(br#"{"name": "x"}"#).code,
            DiagnosticCode::ManifestSyntax
        );
        assert_eq!(err(b"[1]").code, DiagnosticCode::ManifestSyntax);
        assert_eq!(
            err(br#"{"spdxVersion": "SPDX-2.3", "packages": {}}"#).code,
            DiagnosticCode::ManifestSyntax
        );
        assert!(
            json(br#"{"spdxVersion": "SPDX-2.2"}"#, "x.json")
                .unwrap()
                .packages
                .is_empty()
        );
    }

    const TAG_DOC: &str = "SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
DocumentComment: <text>A comment that looks like tags:
PackageName: fake
PackageVersion: 6.6.6
</text>

## a comment
PackageName: openssl
SPDXID: SPDXRef-openssl
PackageVersion: 3.0.4
PackageDescription: <text>Multi-line
ExternalRef: PACKAGE-MANAGER purl pkg:npm/fake@1</text>
ExternalRef: SECURITY cpe23Type cpe:2.3:a:openssl:openssl:3.0.4:*:*:*:*:*:*:*
ExternalRef: PACKAGE-MANAGER purl pkg:generic/openssl@3.0.4
FileName: ./a.c
PackageVersion: 9.9
PackageName: left-pad
PackageVersion: 1.3.0
ExternalRef: PACKAGE-MANAGER purl pkg:npm/left-pad@1.3.0
PackageName: nameless-version
PackageVersion: NOASSERTION
";

    #[test]
    fn tag_value_skips_text_blocks_and_file_sections() {
        let p = tag_value(TAG_DOC.as_bytes(), "x.spdx").unwrap();
        assert_eq!(
            triples(&p),
            vec![
                t("CPE", "openssl:openssl", "3.0.4", "line 9"),
                t("npm", "left-pad", "1.3.0", "line 18"),
            ]
        );
        // The version-less package is skipped with a warning.
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].pointer, "line 21");
    }

    #[test]
    fn tag_value_document_errors() {
        let err = |doc: &str| tag_value(doc.as_bytes(), "x.spdx").unwrap_err();
        let e = err("SPDXVersion: SPDX-2.2\nPackageComment: <text>never\nclosed\n");
        assert_eq!(e.code, DiagnosticCode::ManifestSyntax);
        assert!(e.message.contains("line 2"), "{}", e.message);
        assert_eq!(err("PackageName: x\n").code, DiagnosticCode::ManifestSyntax);
        assert_eq!(
            err("SPDXVersion: SPDX-3.0\n").code,
            DiagnosticCode::Unsupported
        );
        assert_eq!(err("").code, DiagnosticCode::ManifestSyntax);
        // CRLF line endings and a one-line text value.
        let p = tag_value(
            b"SPDXVersion: SPDX-2.2\r\nPackageName: x\r\nPackageVersion: <text>1.0</text>\r\n",
            "x.spdx",
        )
        .unwrap();
        assert_eq!(triples(&p), vec![t("unknown", "x", "1.0", "line 2")]);
    }

    #[test]
    fn never_panics_on_truncations() {
        for cut in 0..TAG_DOC.len() {
            if let Some(s) = TAG_DOC.get(..cut) {
                let _ = tag_value(s.as_bytes(), "x.spdx");
                let _ = json(s.as_bytes(), "x.spdx.json");
            }
        }
    }
}
