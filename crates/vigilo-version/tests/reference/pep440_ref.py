#!/usr/bin/env python3
"""Reference for vigilo's PEP 440 ordering: Python's `packaging` (pip install packaging).

Usage: pep440_ref.py MODE < input

Every input line is one JSON value (so versions may hold any character,
whitespace and line separators included); lines are split on b"\\n" only.

  parse  each line a JSON string; prints "ok\\t<str(Version(s))>" or "err"
  cmp    each line a JSON array [a, b] of valid versions; prints -1, 0 or 1
  rank   each line a JSON string, a valid version; prints, per line, the
         version's dense rank in packaging's sorted order (equal versions
         share a rank)
  info   prints the packaging version
"""

import json
import sys

from packaging import __version__ as packaging_version
from packaging.version import InvalidVersion, Version


def lines():
    data = sys.stdin.buffer.read()
    for raw in data.split(b"\n"):
        if raw:
            yield json.loads(raw.decode("utf-8"))


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    out = []
    if mode == "parse":
        for s in lines():
            try:
                out.append("ok\t" + str(Version(s)))
            except InvalidVersion:
                out.append("err")
    elif mode == "cmp":
        for a, b in lines():
            va, vb = Version(a), Version(b)
            out.append("-1" if va < vb else "1" if va > vb else "0")
    elif mode == "rank":
        versions = [Version(s) for s in lines()]
        order = sorted(range(len(versions)), key=lambda i: versions[i])
        ranks = [0] * len(versions)
        rank = -1
        previous = None
        for i in order:
            if previous is None or versions[i] != previous:
                rank += 1
                previous = versions[i]
            ranks[i] = rank
        out = [str(r) for r in ranks]
    elif mode == "info":
        out.append(packaging_version)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
