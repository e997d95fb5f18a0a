#!/usr/bin/env python3
"""Validate the rule packs and holiday calendars in this folder.

Checks every ``packs/*.yaml`` against ``rule-pack.schema.json`` and every ``calendars/*.yaml``
against ``calendar.schema.json`` (JSON Schema draft 2020-12), then the cross references the
schemas cannot express:

- the file name is the id plus ``.yaml``, and ids are unique;
- every deadline ``from`` names an anchor of the same pack, or ``stage:<id>.submitted`` for
  another stage of the same pack, and stage chains have no cycle;
- every anchor is used by some deadline;
- stage and constraint ids are unique within a pack;
- every ``calendar:`` names a calendar that exists, and ``ends: cutoff`` names one with a
  ``cutoff_local``;
- every ``conflicts[].with`` names an existing pack;
- dates are real dates, ``effective.until`` is not before ``effective.from``, zones exist;
- a calendar's dates are sorted, lie in ``valid_from..valid_through``, holidays and extra
  workdays are disjoint, and every extra workday falls on a weekend day.

Usage: python3 rules/validate.py [RULES_DIR]   (needs jsonschema and PyYAML; the test venv
``.cache/test-venv`` has both). Exit status 0 when everything passes, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import yaml

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class StringDateLoader(yaml.SafeLoader):
    """SafeLoader that keeps YYYY-MM-DD (and other timestamps) as strings, as the schemas expect."""


StringDateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path):
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=StringDateLoader)


def load_schema(path: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(validator: jsonschema.Draft202012Validator, doc) -> list[str]:
    out = []
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        # oneOf failures are easier to read through their best sub-error
        best = jsonschema.exceptions.best_match([err])
        where = "/".join(str(p) for p in best.absolute_path) or "(root)"
        out.append(f"schema: at {where}: {best.message}")
    return out


def parse_date(value, what: str, errors: list[str]) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.append(f"{what}: {value!r} is not a real date")
        return None


def check_zone(tz: str, what: str, errors: list[str]) -> None:
    if tz in ("recipient", "UTC"):
        return
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"{what}: unknown time zone {tz!r}")


def walk_deadline(deadline, where: str):
    """Yield (where, term) for every node of a DEADLINE that carries `from` or `calendar`."""
    if not isinstance(deadline, dict):
        return
    for key in ("min", "max"):
        if key in deadline:
            for i, sub in enumerate(deadline[key]):
                yield from walk_deadline(sub, f"{where}/{key}/{i}")
            return
    yield where, deadline


def check_calendar(path: Path, cal: dict, errors: list[str]) -> None:
    if cal.get("id") + ".yaml" != path.name:
        errors.append(f"file name must be {cal.get('id')}.yaml")
    check_zone(cal["tz"], "tz", errors)
    start = parse_date(cal["valid_from"], "valid_from", errors)
    end = parse_date(cal["valid_through"], "valid_through", errors)
    if start and end and end < start:
        errors.append("valid_through is before valid_from")
    weekend = {WEEKDAYS.index(d) for d in cal["weekend"]}
    seen: dict[dt.date, str] = {}
    for key in ("holidays", "extra_workdays"):
        dates = [parse_date(v, key, errors) for v in cal[key]]
        dates = [d for d in dates if d]
        if dates != sorted(dates):
            errors.append(f"{key} are not in date order")
        for d in dates:
            if start and end and not (start <= d <= end):
                errors.append(f"{key}: {d} lies outside {start}..{end}")
            if d in seen:
                errors.append(f"{d} is listed in both {seen[d]} and {key}")
            seen[d] = key
            if key == "extra_workdays" and d.weekday() not in weekend:
                errors.append(f"extra_workdays: {d} is a {WEEKDAYS[d.weekday()]}, not a weekend day")


def check_pack(path: Path, pack: dict, pack_ids: set[str], calendars: dict[str, dict],
               errors: list[str]) -> None:
    pid = pack["id"]
    if pid + ".yaml" != path.name:
        errors.append(f"file name must be {pid}.yaml")

    eff = pack["effective"]
    start = parse_date(eff.get("from"), "effective.from", errors)
    until = parse_date(eff.get("until"), "effective.until", errors)
    if start and until and until < start:
        errors.append("effective.until is before effective.from")
    if pack["status"] == "in_force" and pack["kind"] != "partnership" and start is None:
        errors.append("an in_force instrument needs effective.from")

    anchors = set(pack["anchors"])
    used_anchors: set[str] = set()
    stage_ids = [s["id"] for s in pack["stages"]]
    for dup in sorted({s for s in stage_ids if stage_ids.count(s) > 1}):
        errors.append(f"stage id {dup!r} is used more than once")
    cids = [c["id"] for c in pack["constraints"]]
    for dup in sorted({c for c in cids if cids.count(c) > 1}):
        errors.append(f"constraint id {dup!r} is used more than once")

    depends: dict[str, set[str]] = {s: set() for s in stage_ids}
    for i, stage in enumerate(pack["stages"]):
        for where, term in walk_deadline(stage["deadline"], f"stages/{i}({stage['id']})/deadline"):
            ref = term.get("from")
            if ref is not None:
                if ref.startswith("stage:"):
                    target = ref[len("stage:"):-len(".submitted")]
                    if target not in stage_ids:
                        errors.append(f"{where}: {ref!r} names no stage of this pack")
                    elif target == stage["id"]:
                        errors.append(f"{where}: a stage cannot be anchored on its own submission")
                    else:
                        depends[stage["id"]].add(target)
                elif ref not in anchors:
                    errors.append(f"{where}: anchor {ref!r} is not declared in anchors")
                else:
                    used_anchors.add(ref)
            cal_id = term.get("calendar")
            if cal_id is not None:
                cal = calendars.get(cal_id)
                if cal is None:
                    errors.append(f"{where}: calendar {cal_id!r} does not exist under calendars/")
                elif term.get("ends") == "cutoff" and "cutoff_local" not in cal:
                    errors.append(f"{where}: ends: cutoff, but calendar {cal_id!r} has no cutoff_local")
            elif term.get("ends") == "cutoff":
                errors.append(f"{where}: ends: cutoff needs a business calendar")
            if "tz" in term:
                check_zone(term["tz"], f"{where}/tz", errors)

    for name in sorted(anchors - used_anchors):
        errors.append(f"anchor {name!r} is declared but no deadline uses it")

    # stage chains (stage:X.submitted) must not loop
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            errors.append("stage chain loops: " + " -> ".join(trail + [node]))
            return
        state[node] = 1
        for nxt in sorted(depends.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 2

    for s in stage_ids:
        visit(s, [])

    for i, conflict in enumerate(pack["conflicts"]):
        if conflict["with"] not in pack_ids:
            errors.append(f"conflicts/{i}: {conflict['with']!r} is not a pack id")
        if conflict["with"] == pid:
            errors.append(f"conflicts/{i}: a pack cannot conflict with itself")


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    pack_schema = load_schema(root / "rule-pack.schema.json")
    cal_schema = load_schema(root / "calendar.schema.json")
    failures: dict[str, list[str]] = {}

    def load_all(folder: str, validator) -> dict[Path, dict]:
        docs: dict[Path, dict] = {}
        files = sorted((root / folder).glob("*.yaml")) + sorted((root / folder).glob("*.yml"))
        for path in files:
            rel = f"{folder}/{path.name}"
            if path.suffix != ".yaml":
                failures.setdefault(rel, []).append("use the .yaml extension")
                continue
            try:
                doc = load_yaml(path)
            except yaml.YAMLError as e:
                failures.setdefault(rel, []).append(f"YAML: {e}")
                continue
            errs = schema_errors(validator, doc)
            if errs:
                failures.setdefault(rel, []).extend(errs)
            else:
                docs[path] = doc
        return docs

    calendars = load_all("calendars", cal_schema)
    packs = load_all("packs", pack_schema)

    cal_by_id: dict[str, dict] = {}
    for path, cal in calendars.items():
        errs: list[str] = []
        if cal["id"] in cal_by_id:
            errs.append(f"calendar id {cal['id']!r} is used by another file")
        cal_by_id[cal["id"]] = cal
        check_calendar(path, cal, errs)
        if errs:
            failures.setdefault(f"calendars/{path.name}", []).extend(errs)

    pack_ids: set[str] = set()
    for path, pack in packs.items():
        if pack["id"] in pack_ids:
            failures.setdefault(f"packs/{path.name}", []).append(
                f"pack id {pack['id']!r} is used by another file")
        pack_ids.add(pack["id"])
    for path, pack in packs.items():
        errs = []
        check_pack(path, pack, pack_ids, cal_by_id, errs)
        if errs:
            failures.setdefault(f"packs/{path.name}", []).extend(errs)

    n_files = len(list((root / "packs").glob("*.y*ml"))) + len(list((root / "calendars").glob("*.y*ml")))
    if failures:
        for rel in sorted(failures):
            for msg in failures[rel]:
                print(f"{rel}: {msg}", file=sys.stderr)
        print(f"FAILED: {len(failures)} of {n_files} files", file=sys.stderr)
        return 1
    print(f"ok: {len(packs)} packs, {len(calendars)} calendars")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
