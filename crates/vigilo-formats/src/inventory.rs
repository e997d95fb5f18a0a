//! Inventories to match: vigilo's own JSON and CycloneDX JSON.
//!
//! vigilo's form: `{"components": [{"ecosystem": "PyPI", "name": "jinja2",
//! "version": "2.11.2"}, {"purl": "pkg:npm/lodash@4.17.20"}]}` (a bare array
//! of components is accepted too). CycloneDX: `components` (nested ones
//! included) identified by `purl`; components without one are reported.

use serde_json::Value;
use vigilo_core::Ecosystem;
use vigilo_core::package::{Component, Purl};

use crate::diag::{Diagnostic, DiagnosticCode, Severity};

/// Parses an inventory document. Returns the components and diagnostics
/// for entries that could not be used.
pub fn parse_inventory(
    bytes: &[u8],
    path: &str,
) -> Result<(Vec<Component>, Vec<Diagnostic>), Diagnostic> {
    let fail = |code, pointer: &str, message: String| Diagnostic {
        code,
        severity: Severity::Error,
        path: path.to_owned(),
        record: None,
        pointer: pointer.to_owned(),
        message,
    };
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| fail(DiagnosticCode::Syntax, "", e.to_string()))?;
    let is_cyclonedx = doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX");
    let list = match &doc {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("components") {
            Some(Value::Array(a)) => a,
            None if is_cyclonedx => return Ok((Vec::new(), Vec::new())),
            _ => {
                return Err(fail(
                    DiagnosticCode::Schema,
                    "/components",
                    "expected an array of components".into(),
                ));
            }
        },
        _ => {
            return Err(fail(
                DiagnosticCode::Schema,
                "",
                "expected an object with `components`".into(),
            ));
        }
    };
    let mut out = Vec::new();
    let mut diags = Vec::new();
    walk(list, "/components", path, &mut out, &mut diags);
    Ok((out, diags))
}

fn walk(
    list: &[Value],
    base: &str,
    path: &str,
    out: &mut Vec<Component>,
    diags: &mut Vec<Diagnostic>,
) {
    for (i, c) in list.iter().enumerate() {
        let pointer = format!("{base}/{i}");
        let warn = |message: String| Diagnostic {
            code: DiagnosticCode::Schema,
            severity: Severity::Warning,
            path: path.to_owned(),
            record: None,
            pointer: pointer.clone(),
            message,
        };
        let s = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(purl) = s("purl") {
            match Purl::parse(&purl) {
                Ok(p) => match (p.to_package(), p.version.clone().or_else(|| s("version"))) {
                    (Some((ecosystem, name)), Some(version)) => out.push(Component {
                        ecosystem,
                        name,
                        version,
                        purl: Some(purl),
                    }),
                    (None, _) => diags.push(warn(format!(
                        "purl type {:?} has no OSV ecosystem; skipped",
                        p.ty
                    ))),
                    (_, None) => diags.push(warn("component has no version; skipped".into())),
                },
                Err(e) => diags.push(warn(e.to_string())),
            }
        } else if let (Some(eco), Some(name), Some(version)) =
            (s("ecosystem"), s("name"), s("version"))
        {
            out.push(Component {
                ecosystem: Ecosystem::parse(&eco),
                name,
                version,
                purl: None,
            });
        } else {
            diags.push(warn(
                "component needs a purl, or ecosystem, name and version; skipped".into(),
            ));
        }
        if let Some(Value::Array(nested)) = c.get("components") {
            walk(nested, &format!("{pointer}/components"), path, out, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vigilo_and_cyclonedx_inventories() {
        let (c, d) = parse_inventory(
            br#"{"components":[{"ecosystem":"PyPI","name":"jinja2","version":"2.11.2"},
                {"purl":"pkg:npm/lodash@4.17.20"},{"name":"x"}]}"#,
            "inv.json",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].ecosystem, Ecosystem::Npm);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].pointer, "/components/2");
        let (c, _) = parse_inventory(
            br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
                {"type":"library","name":"log4j-core","version":"2.14.1",
                 "purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                 "components":[{"purl":"pkg:pypi/requests@2.25.0"}]}]}"#,
            "bom.json",
        )
        .unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "org.apache.logging.log4j:log4j-core");
        assert!(parse_inventory(b"{", "x").is_err());
    }
}
