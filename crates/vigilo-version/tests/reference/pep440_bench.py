#!/usr/bin/env python3
"""Comparisons per second of Python `packaging` on pre-parsed versions.

Reads versions, one per line, on stdin (benches/pep440.rs sends the same
versions it measures vigilo on). Parses them all first, warms packaging's
cached sort keys, then measures:

  pairwise  v[i] < v[(i * 7919) % n] for every i, repeated
  sort      sorted(v); comparisons counted in a separate, instrumented pass

Prints a human summary, then machine-readable lines `pairwise_per_s N` and
`sort_per_s N` (best of several rounds).
"""

import functools
import operator
import platform
import sys
import time

from packaging import __version__ as packaging_version
from packaging.version import Version

ROUNDS = 5
MIN_SECONDS = 0.3


def best_rate(work, per_call):
    """Best calls/s of `work` over ROUNDS rounds of at least MIN_SECONDS."""
    best = 0.0
    for _ in range(ROUNDS):
        calls = 0
        start = time.perf_counter()
        while True:
            work()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= MIN_SECONDS:
                break
        best = max(best, calls * per_call / elapsed)
    return best


def main() -> int:
    texts = [line for line in sys.stdin.read().split("\n") if line]
    versions = [Version(t) for t in texts]
    n = len(versions)
    others = [versions[(i * 7919) % n] for i in range(n)]
    for v in versions:  # build every cached key before measuring
        _ = v < v

    pairwise = best_rate(lambda: sum(map(operator.lt, versions, others)), n)

    count = 0

    def counting(a, b):
        nonlocal count
        count += 1
        return -1 if a < b else (1 if b < a else 0)

    sorted(versions, key=functools.cmp_to_key(counting))
    # cmp_to_key calls `counting` once per `<` the sort makes.
    sort = best_rate(lambda: sorted(versions), count)

    print(
        f"packaging {packaging_version} on Python {platform.python_version()}: "
        f"{n} versions, {pairwise / 1e6:.2f} M comparisons/s pairwise, "
        f"{sort / 1e6:.2f} M comparisons/s sorting ({count} comparisons per sort)"
    )
    print(f"pairwise_per_s {pairwise:.0f}")
    print(f"sort_per_s {sort:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
