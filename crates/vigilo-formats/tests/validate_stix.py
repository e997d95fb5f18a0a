#!/usr/bin/env python3
"""Validates a STIX 2.1 bundle vigilo wrote with OASIS's stix2-validator.

usage: validate_stix.py FILE

The validator runs as strictly as it can be run:
- every recommended ("SHOULD") check enabled (no --enable/--disable list:
  the validator then runs them all, uuid-check, open-vocab-format,
  kill-chain-names, relationship-types, duplicate-ids, the vocabulary
  checks, extref-hashes, indicator-properties, deprecated-properties …);
- strict: every warning is an error;
- strict_types and strict_properties: no custom object types or properties;
- enforce_refs: every relationship's source_ref and target_ref is in the
  bundle.
Not enabled: the interoperability profile (interop=True). In stix2-validator
3.3.2 its vulnerability schema (schemas-2.1/interop/vulnerability.json)
requires a property named "external_references:" (with the colon), so no
bundle holding a vulnerability can pass it; it also requires first_seen and
last_seen on sightings, which vigilo leaves out when the log lines carried no
times. vigilo does meet the profile's producer rule (created_by_ref on every
object, the identity included; the TLP 2.0 marking definitions, which OASIS
publishes without a creator, excepted), checked below.

On top of the validator, what it does not check: ids unique; every *_ref
(created_by_ref, sighting_of_ref, where_sighted_refs, object_marking_refs) resolves in the
bundle (enforce_refs covers relationships only); timestamps with exactly millisecond precision; the pattern parsed by
stix2-patterns' STIX 2.1 grammar holds one comparison `value = '…'` whose
unescaped literal is the value named in the indicator's name.

Exit status: 0 valid; 1 invalid (the errors on stderr); 2 usage; 3 the
validator package is missing (what to install on stderr); 4 this script
failed (a traceback on stderr).

Package (see scripts/install-test-deps): stix2-validator.
"""

from __future__ import annotations

import json
import re
import sys
import traceback

MISSING = 3
CRASHED = 4
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
OASIS_TLP_2 = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",  # TLP:CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",  # TLP:GREEN
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",  # TLP:AMBER
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",  # TLP:AMBER+STRICT
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",  # TLP:RED
}
TIME_PROPERTIES = ("created", "modified", "valid_from", "valid_until", "first_seen", "last_seen")


def fail(errors: list[str]) -> int:
    for e in errors:
        print(f"invalid: {e}", file=sys.stderr)
    return 1 if errors else 0


def unescape(literal: str) -> str:
    """The value of a STIX patterning string literal ('…' with \\' and \\\\)."""
    assert literal[0] == "'" and literal[-1] == "'", literal
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def check(text: str) -> int:
    try:
        from stix2patterns.v21.pattern import Pattern
        from stix2patterns.validator import run_validator
        from stix2validator import ValidationOptions, validate_string
    except ImportError as err:
        print(f"validator missing: stix2-validator ({err})", file=sys.stderr)
        return MISSING

    try:
        bundle = json.loads(text)
    except ValueError as err:
        return fail([f"not JSON: {err}"])
    # stix2-validator 3.3.2 parses patterns again in its strict_types check
    # without catching parse errors, and raises; check them first, with the
    # same grammar, to report them as findings.
    if isinstance(bundle, dict):
        for o in bundle.get("objects", []):
            if isinstance(o, dict) and o.get("type") == "indicator" and o.get("pattern_type") == "stix":
                bad = run_validator(o.get("pattern", ""), o.get("pattern_version", "2.1"))
                if bad:
                    return fail([f"{o.get('id')}: pattern: {e}" for e in bad])

    options = ValidationOptions(
        version="2.1",
        strict=True,
        strict_types=True,
        strict_properties=True,
        enforce_refs=True,
        silent=True,
    )
    try:
        results = validate_string(text, options)
    except Exception as err:  # noqa: BLE001 - the validator cannot take it: not valid
        return fail([f"stix2-validator raised {type(err).__name__}: {err}"])
    errors: list[str] = []
    for r in results if isinstance(results, list) else [results]:
        if not r.is_valid:
            errors.extend(f"stix2-validator: {e}" for e in getattr(r, "errors", []) or [])
            if hasattr(r, "error"):
                errors.append(f"stix2-validator: {r.error}")
            if not errors:
                errors.append("stix2-validator: not valid")
        # strict turns warnings into errors; none may be left over.
        errors.extend(f"stix2-validator warning: {w}" for w in getattr(r, "warnings", []) or [])
    if errors:
        return fail(errors)

    objects = bundle["objects"]
    ids = [o["id"] for o in objects]
    if len(set(ids)) != len(ids):
        errors.append("object ids repeat")
    known = set(ids)
    for o in objects:
        refs = [o.get("created_by_ref"), o.get("sighting_of_ref"), *o.get("where_sighted_refs", []), *o.get("object_marking_refs", [])]
        for ref in refs:
            if ref is not None and ref not in known:
                errors.append(f"{o['id']}: reference {ref} is not in the bundle")
        # OASIS publishes the TLP 2.0 marking definitions without a creator;
        # they are carried exactly as published.
        if "created_by_ref" not in o and o["id"] not in OASIS_TLP_2:
            errors.append(f"{o['id']}: no created_by_ref")
        for prop in TIME_PROPERTIES:
            if prop in o and not TIMESTAMP.fullmatch(o[prop]):
                errors.append(f"{o['id']}: {prop} {o[prop]!r} is not YYYY-MM-DDTHH:MM:SS.sssZ")
        if o["type"] == "indicator":
            comparisons = Pattern(o["pattern"]).inspect().comparisons
            flat = [(t, path, op, v) for t, cs in comparisons.items() for path, op, v in cs]
            if len(flat) != 1 or flat[0][1] != ["value"] or flat[0][2] != "=":
                errors.append(f"{o['id']}: pattern is not one value comparison: {flat}")
                continue
            value = unescape(flat[0][3])
            if not o["name"].endswith(" " + value):
                errors.append(f"{o['id']}: pattern value {value!r} is not the one named {o['name']!r}")
    return fail(errors)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        rc = check(text)
    except Exception:  # noqa: BLE001 - a bug here must not read as "invalid"
        traceback.print_exc()
        return CRASHED
    if rc == 0:
        print(f"stix: {argv[1]} is valid")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
