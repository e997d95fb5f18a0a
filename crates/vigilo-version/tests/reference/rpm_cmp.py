"""Reference for the RPM differential tests: rpm's own Python bindings.

Run with Debian's python3 (`/usr/bin/python3`, package `python3-rpm`).
Versions are split into (epoch, version, release) by `rpm.ver` (rpm's
parseEVR) and ordered with `rpm.labelCompare`.

Modes (argv[1]), one item per stdin line:
  split  VERSION          -> "ok\tE\tV\tR" (None as "<none>") or "err\tMESSAGE"
  pairs  A<TAB>B          -> -1, 0 or 1
  sort   VERSION          -> "RANK\tVERSION", sorted; equal versions share a rank
"""
import functools
import sys

import rpm

NONE = "<none>"


def evr(s):
    v = rpm.ver(s)
    return (v.e, v.v, v.r)


def cmp(a, b):
    return rpm.labelCompare(evr(a), evr(b))


def main():
    mode = sys.argv[1]
    lines = sys.stdin.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    if mode == "split":
        for s in lines:
            try:
                e, v, r = evr(s)
                out.append("ok\t%s\t%s\t%s" % tuple(NONE if x is None else x for x in (e, v, r)))
            except Exception as exc:  # rpm raises TypeError/ValueError
                out.append("err\t%s" % str(exc).replace("\n", " "))
    elif mode == "pairs":
        for line in lines:
            a, b = line.split("\t")
            out.append(str(cmp(a, b)))
    elif mode == "sort":
        keyed = sorted(lines, key=functools.cmp_to_key(cmp))
        rank = 0
        for i, s in enumerate(keyed):
            if i > 0 and cmp(keyed[i - 1], s) != 0:
                rank += 1
            out.append("%d\t%s" % (rank, s))
    else:
        sys.exit("unknown mode " + mode)
    sys.stdout.write("".join(l + "\n" for l in out))


main()
