"""Lists the versions of OSV records whose ecosystem is one of argv[2:].

Used by the RPM and Alpine corpus tests. argv[1] is the OSV data folder
(JSON and YAML records, searched recursively). An ecosystem argument matches
`NAME` and `NAME:<release>`. Prints one line per version:
"ECOSYSTEM<TAB>EVENT<TAB>VERSION<TAB>FILE", EVENT being introduced, fixed,
last_affected, limit or versions. Needs PyYAML for YAML records
(Debian: python3-yaml).
"""
import json
import os
import sys

root, wanted = sys.argv[1], sys.argv[2:]


def matches(ecosystem):
    base = ecosystem.split(":", 1)[0]
    return base in wanted


def records(path, text):
    if path.endswith(".json"):
        doc = json.loads(text)
    else:
        import yaml

        doc = yaml.safe_load(text)
    return doc if isinstance(doc, list) else [doc]


out = []
for dirpath, _, files in os.walk(root):
    for name in sorted(files):
        if not name.endswith((".json", ".yaml", ".yml")):
            continue
        path = os.path.join(dirpath, name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not any(w in text for w in wanted):
            continue
        for rec in records(path, text):
            if not isinstance(rec, dict):
                continue
            for aff in rec.get("affected") or []:
                eco = ((aff.get("package") or {}).get("ecosystem")) or ""
                if not matches(eco):
                    continue
                for v in aff.get("versions") or []:
                    out.append((eco, "versions", str(v), path))
                for rng in aff.get("ranges") or []:
                    if rng.get("type") not in ("ECOSYSTEM",):
                        continue
                    for ev in rng.get("events") or []:
                        for k, v in ev.items():
                            out.append((eco, k, str(v), path))
for row in out:
    if not any("\t" in x or "\n" in x for x in row):
        print("\t".join(row))
