//! Synthetic benign logs for tests and benchmarks.
//!
//! [`Synth`] streams realistic, harmless log lines, deterministically from a
//! seed: combined access logs, JSON application logs (Logback/logstash,
//! Elastic Common Schema, pino), syslog (RFC 3164 and 5424: sshd, cron,
//! kernel, systemd, sudo, nginx through syslog) and nginx/httpd error logs.
//!
//! The text is benign **adversarially**: besides plain `$` (prices, shell
//! `$PATH`), about one line in 400 holds something a Log4Shell prefilter
//! must look at and then let go — `${HOME}`, `${user.home}`,
//! `${spring.datasource.url}`, `${APP_REGION:-eu-west-1}`, `${jndi}`,
//! `${jndi:java:comp/env/…}`, `%24` in encoded prices, `\u0024` in
//! JSON-escaped strings, `\x24` in a regular expression, `&#36;` and
//! `&dollar;` in HTML fragments — and about one in 60 mentions JNDI in
//! prose or an `ldap://` URL in configuration. None of it is an attack: a
//! detector must report no attack hit on any of it.
//!
//! Generation runs at several hundred megabytes per second (precomputed
//! vocabularies, a per-second cache of formatted times, one reusable
//! buffer), so benchmark corpora of gigabytes are quick to make.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

/// Which logs to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Combined access log (Apache/nginx), some lines with a virtual host,
    /// some in common format.
    Access,
    /// JSON application logs: Logback/logstash, ECS and pino styles.
    Json,
    /// Syslog: RFC 3164 (files and the wire) and RFC 5424.
    Syslog,
    /// nginx and Apache httpd (2.4 and 2.2) error logs.
    ErrorLog,
    /// All of the above, interleaved line by line (access logs most).
    Mixed,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Access,
        Kind::Json,
        Kind::Syslog,
        Kind::ErrorLog,
        Kind::Mixed,
    ];

    /// The name used on command lines: `access`, `json`, `syslog`, `error`,
    /// `mixed`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Json => "json",
            Kind::Syslog => "syslog",
            Kind::ErrorLog => "error",
            Kind::Mixed => "mixed",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Kind::name`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log kind `{0}` (expected access, json, syslog, error or mixed)")]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A stream of benign log lines. Reading never fails; without a budget it
/// never ends. The bytes depend only on the kind and the seed (not on how
/// the stream is read).
#[derive(Debug)]
pub struct Synth {
    lines: Gen,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes generated so far (whole lines).
    produced: u64,
    budget: u64,
}

/// How much is generated at a time.
const CHUNK: usize = 128 << 10;

impl Synth {
    /// An endless stream of `kind` logs from `seed`.
    pub fn new(kind: Kind, seed: u64) -> Synth {
        Synth {
            lines: Gen::new(kind, seed),
            buf: Vec::with_capacity(CHUNK + 4096),
            pos: 0,
            produced: 0,
            budget: u64::MAX,
        }
    }

    /// Ends the stream with the line that reaches `n` bytes: the stream is
    /// whole lines, at least `n` bytes (when `n > 0`) and less than one line
    /// more.
    pub fn take_bytes(mut self, n: u64) -> Synth {
        self.budget = n;
        self
    }

    pub fn kind(&self) -> Kind {
        self.lines.kind
    }

    /// Generates the next chunk into `buf`; false at the end of the budget.
    fn refill(&mut self) -> bool {
        self.buf.clear();
        self.pos = 0;
        while self.buf.len() < CHUNK && self.produced < self.budget {
            let before = self.buf.len();
            self.lines.line(&mut self.buf);
            self.produced += (self.buf.len() - before) as u64;
        }
        !self.buf.is_empty()
    }
}

impl Read for Synth {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() && !self.refill() {
            return Ok(0);
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes `kind` logs from `seed` to `out`: the same bytes as
/// `Synth::new(kind, seed).take_bytes(bytes)`, without the extra copy.
/// Returns the number of bytes written.
pub fn write_lines(kind: Kind, seed: u64, bytes: u64, out: &mut impl Write) -> io::Result<u64> {
    let mut synth = Synth::new(kind, seed).take_bytes(bytes);
    while synth.refill() {
        out.write_all(&synth.buf)?;
    }
    out.flush()?;
    Ok(synth.produced)
}

// ---------------------------------------------------------------------------
// The generator.

/// One line in this many holds a prefilter trigger.
const TRIGGER_ONE_IN: u32 = 400;

/// 2021-12-10T00:00:00Z, the Friday Log4Shell was published.
const EPOCH_START: i64 = 1_639_094_400;

struct Gen {
    kind: Kind,
    rng: StdRng,
    /// Current time, epoch milliseconds.
    ms: i64,
    /// The second `t` was formatted for.
    sec: i64,
    t: Stamps,
    /// The access log's zone, minutes east of UTC.
    offset_min: i32,
    /// Client addresses, formatted; the first ones are the busiest.
    clients: Vec<Vec<u8>>,
}

impl fmt::Debug for Gen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gen")
            .field("kind", &self.kind)
            .field("ms", &self.ms)
            .finish_non_exhaustive()
    }
}

/// Times formatted once a second.
#[derive(Default)]
struct Stamps {
    /// `10/Dec/2021:13:55:36 -0700`, local.
    ncsa: Vec<u8>,
    /// `2021-12-10T12:00:00`, UTC.
    iso_utc: Vec<u8>,
    /// `2021-12-10T05:00:00`, local.
    iso_local: Vec<u8>,
    /// `-07:00`.
    offset: Vec<u8>,
    /// `Dec 10 12:00:00`, UTC.
    bsd: Vec<u8>,
    /// `2021/12/10 12:00:00`, UTC.
    slash: Vec<u8>,
    /// `Fri Dec 10 12:00:00`, UTC (the year goes after the fraction).
    apache: Vec<u8>,
    year: Vec<u8>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, usize::try_from(m).unwrap_or(1), d)
}

struct Civil {
    y: i64,
    mo: usize,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    wday: usize,
}

fn civil_time(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil(days);
    Civil {
        y,
        mo,
        d,
        h: rem / 3600,
        mi: rem / 60 % 60,
        s: rem % 60,
        wday: usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
    }
}

fn pad(out: &mut Vec<u8>, n: i64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = n.unsigned_abs();
    let mut i = digits.len();
    while v > 0 {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let len = (digits.len() - i).max(width).min(digits.len());
    out.extend_from_slice(&digits[digits.len() - len..]);
}

impl Stamps {
    fn format(&mut self, secs: i64, offset_min: i32) {
        let u = civil_time(secs);
        let l = civil_time(secs + i64::from(offset_min) * 60);
        let iso = |out: &mut Vec<u8>, c: &Civil| {
            out.clear();
            pad(out, c.y, 4);
            out.push(b'-');
            pad(out, c.mo as i64, 2);
            out.push(b'-');
            pad(out, c.d, 2);
            out.push(b'T');
            pad(out, c.h, 2);
            out.push(b':');
            pad(out, c.mi, 2);
            out.push(b':');
            pad(out, c.s, 2);
        };
        iso(&mut self.iso_utc, &u);
        iso(&mut self.iso_local, &l);
        let hms = |out: &mut Vec<u8>, c: &Civil| {
            pad(out, c.h, 2);
            out.push(b':');
            pad(out, c.mi, 2);
            out.push(b':');
            pad(out, c.s, 2);
        };
        let (sign, abs) = if offset_min < 0 {
            (b'-', -offset_min)
        } else {
            (b'+', offset_min)
        };
        self.offset.clear();
        self.offset.push(sign);
        pad(&mut self.offset, i64::from(abs / 60), 2);
        self.offset.push(b':');
        pad(&mut self.offset, i64::from(abs % 60), 2);

        let n = &mut self.ncsa;
        n.clear();
        pad(n, l.d, 2);
        n.push(b'/');
        n.extend_from_slice(MONTHS[l.mo - 1].as_bytes());
        n.push(b'/');
        pad(n, l.y, 4);
        n.push(b':');
        hms(n, &l);
        n.push(b' ');
        n.push(sign);
        pad(n, i64::from(abs / 60), 2);
        pad(n, i64::from(abs % 60), 2);

        let b = &mut self.bsd;
        b.clear();
        b.extend_from_slice(MONTHS[u.mo - 1].as_bytes());
        b.push(b' ');
        if u.d < 10 {
            b.push(b' ');
        }
        pad(b, u.d, 1);
        b.push(b' ');
        hms(b, &u);

        let s = &mut self.slash;
        s.clear();
        pad(s, u.y, 4);
        s.push(b'/');
        pad(s, u.mo as i64, 2);
        s.push(b'/');
        pad(s, u.d, 2);
        s.push(b' ');
        hms(s, &u);

        let a = &mut self.apache;
        a.clear();
        a.extend_from_slice(WEEKDAYS[u.wday].as_bytes());
        a.push(b' ');
        a.extend_from_slice(MONTHS[u.mo - 1].as_bytes());
        a.push(b' ');
        pad(a, u.d, 2);
        a.push(b' ');
        hms(a, &u);

        self.year.clear();
        pad(&mut self.year, u.y, 4);
    }
}

/// Zones a server's access log may be written in, minutes east of UTC.
const OFFSETS: [i32; 8] = [0, 0, 60, -300, -420, 330, 540, 120];

impl Gen {
    fn new(kind: Kind, seed: u64) -> Gen {
        let mut rng = StdRng::seed_from_u64(seed);
        let offset_min = OFFSETS[(rng.next_u32() % OFFSETS.len() as u32) as usize];
        let start = EPOCH_START + i64::from(rng.next_u32() % 43_200);
        let clients = (0..2048).map(|_| client_address(&mut rng)).collect();
        let mut g = Gen {
            kind,
            rng,
            ms: start * 1000,
            sec: start,
            t: Stamps::default(),
            offset_min,
            clients,
        };
        g.t.format(start, offset_min);
        g
    }

    /// A number in `0..n` (multiply-shift; the bias is immaterial here).
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.rng.next_u32()) * u64::from(n)) >> 32) as u32
    }

    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[self.below(xs.len() as u32) as usize]
    }

    fn chance(&mut self, one_in: u32) -> bool {
        self.below(one_in) == 0
    }

    /// Moves the clock on by a few milliseconds and refreshes the stamps
    /// when the second changes.
    fn tick(&mut self) {
        self.ms += i64::from(self.below(12));
        let sec = self.ms.div_euclid(1000);
        if sec != self.sec {
            self.sec = sec;
            self.t.format(sec, self.offset_min);
        }
    }

    fn millis(&self) -> i64 {
        self.ms.rem_euclid(1000)
    }

    fn client(&mut self) -> usize {
        // Two draws multiplied: a few clients make most requests.
        let n = self.clients.len() as u64;
        let a = u64::from(self.below(n as u32));
        let b = u64::from(self.below(n as u32));
        (a * b / n) as usize
    }

    fn push_client(&mut self, out: &mut Vec<u8>) {
        let i = self.client();
        out.extend_from_slice(&self.clients[i]);
    }

    fn push_num(&mut self, out: &mut Vec<u8>, lo: u32, hi: u32) {
        let n = self.range(lo, hi);
        pad(out, i64::from(n), 1);
    }

    fn push_hex(&mut self, out: &mut Vec<u8>, digits: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bits = self.rng.next_u64();
        for i in 0..digits {
            if i % 16 == 15 {
                bits = self.rng.next_u64();
            }
            out.push(HEX[(bits & 15) as usize]);
            bits >>= 4;
        }
    }

    fn push_price(&mut self, out: &mut Vec<u8>) {
        let dollars = PRICES[self.below(PRICES.len() as u32) as usize];
        out.extend_from_slice(dollars.as_bytes());
    }

    fn render(&mut self, out: &mut Vec<u8>, tpl: &[P]) {
        for piece in tpl {
            match *piece {
                P::S(s) => out.extend_from_slice(s.as_bytes()),
                P::N(lo, hi) => self.push_num(out, lo, hi),
                P::Price => self.push_price(out),
                P::Hex(n) => self.push_hex(out, usize::from(n)),
                P::W(words) => {
                    let w = self.pick(words);
                    out.extend_from_slice(w.as_bytes());
                }
                P::Ip => self.push_client(out),
                P::Path => self.push_path(out),
            }
        }
    }

    fn line(&mut self, out: &mut Vec<u8>) {
        self.tick();
        let kind = match self.kind {
            Kind::Mixed => match self.below(100) {
                0..=54 => Kind::Access,
                55..=79 => Kind::Json,
                80..=91 => Kind::Syslog,
                _ => Kind::ErrorLog,
            },
            k => k,
        };
        let trigger = self.chance(TRIGGER_ONE_IN);
        match kind {
            Kind::Access | Kind::Mixed => self.access(out, trigger),
            Kind::Json => self.json(out, trigger),
            Kind::Syslog => self.syslog(out, trigger),
            Kind::ErrorLog => self.error_log(out, trigger),
        }
        out.push(b'\n');
    }

    // -- access log ---------------------------------------------------------

    fn push_path(&mut self, out: &mut Vec<u8>) {
        match self.below(100) {
            0..=29 => {
                let tpl = STATIC_PATHS[self.below(STATIC_PATHS.len() as u32) as usize];
                self.render(out, tpl);
            }
            30..=59 => {
                let tpl = API_PATHS[self.below(API_PATHS.len() as u32) as usize];
                self.render(out, tpl);
            }
            60..=71 => {
                out.extend_from_slice(b"/search?q=");
                let words = self.range(1, 3);
                for i in 0..words {
                    if i > 0 {
                        out.extend_from_slice(if self.chance(2) { b"%20" } else { b"+" });
                    }
                    let w = self.pick(SEARCH_WORDS);
                    out.extend_from_slice(w.as_bytes());
                }
                if self.chance(3) {
                    out.extend_from_slice(b"&page=");
                    self.push_num(out, 2, 12);
                }
                if self.chance(4) {
                    let s = self.pick(SORTS);
                    out.extend_from_slice(s.as_bytes());
                }
            }
            _ => {
                let tpl = PAGE_PATHS[self.below(PAGE_PATHS.len() as u32) as usize];
                self.render(out, tpl);
                if self.chance(12) {
                    out.extend_from_slice(
                        b"?utm_source=newsletter&utm_medium=email&utm_campaign=winter_sale",
                    );
                }
            }
        }
    }

    fn access(&mut self, out: &mut Vec<u8>, trigger: bool) {
        let form = self.below(100);
        if form < 10 {
            let v = self.pick(VHOSTS);
            out.extend_from_slice(v.as_bytes());
            out.push(b' ');
        }
        self.push_client(out);
        if self.chance(40) {
            out.extend_from_slice(b" - ");
            let u = self.pick(USERS);
            out.extend_from_slice(u.as_bytes());
            out.extend_from_slice(b" [");
        } else {
            out.extend_from_slice(b" - - [");
        }
        out.extend_from_slice(&self.t.ncsa);
        out.extend_from_slice(b"] \"");
        let method = match self.below(100) {
            0..=79 => "GET",
            80..=93 => "POST",
            94..=95 => "HEAD",
            96..=97 => "PUT",
            98 => "DELETE",
            _ => "OPTIONS",
        };
        out.extend_from_slice(method.as_bytes());
        out.push(b' ');
        if trigger {
            let tpl = ACCESS_TRIGGERS[self.below(ACCESS_TRIGGERS.len() as u32) as usize];
            self.render(out, tpl);
        } else {
            self.push_path(out);
        }
        let proto = if self.chance(5) {
            " HTTP/2.0\" "
        } else {
            " HTTP/1.1\" "
        };
        out.extend_from_slice(proto.as_bytes());
        let status = STATUSES[self.below(STATUSES.len() as u32) as usize];
        out.extend_from_slice(status.as_bytes());
        out.push(b' ');
        if status == "304" || method == "HEAD" {
            out.push(b'0');
        } else {
            let hi = if self.chance(10) { 2_500_000 } else { 40_000 };
            self.push_num(out, 120, hi);
        }
        if (10..15).contains(&form) {
            // Common log format: no referer, no user agent.
            return;
        }
        out.extend_from_slice(b" \"");
        if self.chance(3) {
            out.push(b'-');
        } else {
            // Our own pages refer with their path; search engines and
            // other sites with their origin only.
            let r = self.pick(REFERER_SITES);
            out.extend_from_slice(r.as_bytes());
            if r.ends_with("example.com") && self.chance(2) {
                self.push_path(out);
            } else {
                out.push(b'/');
            }
        }
        out.extend_from_slice(b"\" \"");
        let ua = self.pick(USER_AGENTS);
        out.extend_from_slice(ua.as_bytes());
        out.push(b'"');
    }

    // -- JSON ---------------------------------------------------------------

    fn json_message(&mut self, out: &mut Vec<u8>, trigger: bool) {
        let tpl = if trigger {
            JSON_TRIGGERS[self.below(JSON_TRIGGERS.len() as u32) as usize]
        } else if self.chance(60) {
            JSON_NEAR_MISSES[self.below(JSON_NEAR_MISSES.len() as u32) as usize]
        } else {
            JSON_MESSAGES[self.below(JSON_MESSAGES.len() as u32) as usize]
        };
        self.render(out, tpl);
    }

    fn json(&mut self, out: &mut Vec<u8>, trigger: bool) {
        match self.below(10) {
            0..=4 => {
                // logstash-logback-encoder.
                out.extend_from_slice(b"{\"@timestamp\":\"");
                out.extend_from_slice(&self.t.iso_local);
                out.push(b'.');
                pad(out, self.millis(), 3);
                out.extend_from_slice(&self.t.offset);
                out.extend_from_slice(b"\",\"@version\":\"1\",\"message\":\"");
                self.json_message(out, trigger);
                out.extend_from_slice(b"\",\"logger_name\":\"");
                let l = self.pick(LOGGERS);
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(b"\",\"thread_name\":\"http-nio-8080-exec-");
                self.push_num(out, 1, 200);
                let (level, value) = self.level();
                out.extend_from_slice(b"\",\"level\":\"");
                out.extend_from_slice(level.as_bytes());
                out.extend_from_slice(b"\",\"level_value\":");
                out.extend_from_slice(value.as_bytes());
                out.extend_from_slice(b",\"traceId\":\"");
                self.push_hex(out, 32);
                out.extend_from_slice(b"\",\"spanId\":\"");
                self.push_hex(out, 16);
                if self.chance(2) {
                    out.extend_from_slice(b"\",\"client_ip\":\"");
                    self.push_client(out);
                }
                out.extend_from_slice(b"\"}");
            }
            5..=7 => {
                // Elastic Common Schema (ecs-logging-java).
                out.extend_from_slice(b"{\"@timestamp\":\"");
                out.extend_from_slice(&self.t.iso_utc);
                out.push(b'.');
                pad(out, self.millis(), 3);
                out.extend_from_slice(b"Z\",\"log.level\":\"");
                let (level, _) = self.level();
                out.extend_from_slice(level.as_bytes());
                out.extend_from_slice(b"\",\"message\":\"");
                self.json_message(out, trigger);
                out.extend_from_slice(b"\",\"ecs.version\":\"1.2.0\",\"service.name\":\"");
                let svc = self.pick(SERVICES);
                out.extend_from_slice(svc.as_bytes());
                out.extend_from_slice(b"\",\"event.dataset\":\"");
                out.extend_from_slice(svc.as_bytes());
                out.extend_from_slice(b".log\",\"process.thread.name\":\"http-nio-8080-exec-");
                self.push_num(out, 1, 200);
                out.extend_from_slice(b"\",\"log.logger\":\"");
                let l = self.pick(LOGGERS);
                out.extend_from_slice(l.as_bytes());
                out.extend_from_slice(b"\",\"source\":{\"ip\":\"");
                self.push_client(out);
                out.extend_from_slice(b"\"},\"http\":{\"request\":{\"method\":\"GET\"},\"response\":{\"status_code\":");
                let status = STATUSES[self.below(STATUSES.len() as u32) as usize];
                out.extend_from_slice(status.as_bytes());
                out.extend_from_slice(b"}},\"url\":{\"path\":\"");
                self.push_path(out);
                out.extend_from_slice(b"\"},\"user_agent\":{\"original\":\"");
                let ua = self.pick(USER_AGENTS);
                out.extend_from_slice(ua.as_bytes());
                out.extend_from_slice(b"\"}}");
            }
            _ => {
                // pino (Node.js).
                out.extend_from_slice(b"{\"level\":30,\"time\":");
                pad(out, self.ms, 13);
                out.extend_from_slice(b",\"pid\":");
                self.push_num(out, 1, 64);
                out.extend_from_slice(b",\"hostname\":\"");
                let h = self.pick(HOSTS);
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(b"\",\"reqId\":\"req-");
                self.push_num(out, 1, 99_999);
                out.extend_from_slice(b"\",\"req\":{\"method\":\"GET\",\"url\":\"");
                self.push_path(out);
                out.extend_from_slice(b"\",\"remoteAddress\":\"");
                self.push_client(out);
                out.extend_from_slice(b"\",\"remotePort\":");
                self.push_num(out, 1024, 65_535);
                out.extend_from_slice(b"},\"res\":{\"statusCode\":200},\"responseTime\":");
                self.push_num(out, 1, 900);
                out.push(b'.');
                self.push_num(out, 100, 999);
                out.extend_from_slice(b",\"msg\":\"");
                if trigger || self.chance(3) {
                    self.json_message(out, trigger);
                } else {
                    out.extend_from_slice(b"request completed");
                }
                out.extend_from_slice(b"\"}");
            }
        }
    }

    fn level(&mut self) -> (&'static str, &'static str) {
        match self.below(100) {
            0..=79 => ("INFO", "20000"),
            80..=91 => ("DEBUG", "10000"),
            92..=97 => ("WARN", "30000"),
            _ => ("ERROR", "40000"),
        }
    }

    // -- syslog -------------------------------------------------------------

    fn syslog_message(&mut self, out: &mut Vec<u8>, trigger: bool) {
        if trigger {
            let tpl = SYSLOG_TRIGGERS[self.below(SYSLOG_TRIGGERS.len() as u32) as usize];
            self.render(out, tpl);
            return;
        }
        if self.chance(8) {
            // nginx logging its access log through syslog.
            out.extend_from_slice(b"nginx: ");
            self.access(out, false);
            return;
        }
        let tpl = SYSLOG_MESSAGES[self.below(SYSLOG_MESSAGES.len() as u32) as usize];
        self.render(out, tpl);
    }

    fn syslog(&mut self, out: &mut Vec<u8>, trigger: bool) {
        let host = self.pick(HOSTS);
        match self.below(10) {
            0..=5 => {
                // /var/log/syslog, /var/log/auth.log: no PRI.
                out.extend_from_slice(&self.t.bsd);
                out.push(b' ');
                out.extend_from_slice(host.as_bytes());
                out.push(b' ');
                self.syslog_message(out, trigger);
            }
            6..=7 => {
                out.push(b'<');
                self.push_num(out, 0, 191);
                out.push(b'>');
                out.extend_from_slice(&self.t.bsd);
                out.push(b' ');
                out.extend_from_slice(host.as_bytes());
                out.push(b' ');
                self.syslog_message(out, trigger);
            }
            _ => {
                out.push(b'<');
                self.push_num(out, 0, 191);
                out.extend_from_slice(b">1 ");
                out.extend_from_slice(&self.t.iso_utc);
                out.push(b'.');
                pad(out, self.millis(), 3);
                self.push_num(out, 100, 999);
                out.extend_from_slice(b"+00:00 ");
                out.extend_from_slice(host.as_bytes());
                let app = self.pick(APPS_5424);
                out.push(b' ');
                out.extend_from_slice(app.as_bytes());
                out.push(b' ');
                self.push_num(out, 300, 65_000);
                if self.chance(2) {
                    out.extend_from_slice(b" - - ");
                } else {
                    out.extend_from_slice(
                        b" ID47 [timeQuality tzKnown=\"1\" isSynced=\"1\"][meta sequenceId=\"",
                    );
                    self.push_num(out, 1, 999_999);
                    out.extend_from_slice(b"\"] ");
                }
                let tpl = if trigger {
                    SYSLOG5424_TRIGGERS[self.below(SYSLOG5424_TRIGGERS.len() as u32) as usize]
                } else {
                    SYSLOG5424_MESSAGES[self.below(SYSLOG5424_MESSAGES.len() as u32) as usize]
                };
                self.render(out, tpl);
            }
        }
    }

    // -- error logs ---------------------------------------------------------

    fn error_log(&mut self, out: &mut Vec<u8>, trigger: bool) {
        match self.below(10) {
            0..=4 => {
                out.extend_from_slice(&self.t.slash);
                let tpl = if trigger {
                    NGINX_TRIGGERS[self.below(NGINX_TRIGGERS.len() as u32) as usize]
                } else {
                    NGINX_ERRORS[self.below(NGINX_ERRORS.len() as u32) as usize]
                };
                self.render(out, tpl);
            }
            5..=8 => {
                out.push(b'[');
                out.extend_from_slice(&self.t.apache);
                out.push(b'.');
                pad(out, self.millis(), 3);
                self.push_num(out, 100, 999);
                out.push(b' ');
                out.extend_from_slice(&self.t.year);
                out.push(b']');
                let tpl = if trigger {
                    APACHE_TRIGGERS[self.below(APACHE_TRIGGERS.len() as u32) as usize]
                } else {
                    APACHE_ERRORS[self.below(APACHE_ERRORS.len() as u32) as usize]
                };
                self.render(out, tpl);
            }
            _ => {
                out.push(b'[');
                out.extend_from_slice(&self.t.apache);
                out.push(b' ');
                out.extend_from_slice(&self.t.year);
                out.extend_from_slice(b"] [error] [client ");
                self.push_client(out);
                if trigger {
                    out.extend_from_slice(b"] PHP Parse error:  syntax error, unexpected '${' in /var/www/html/lib/template.php on line 88");
                } else {
                    let tpl = APACHE22_ERRORS[self.below(APACHE22_ERRORS.len() as u32) as usize];
                    self.render(out, tpl);
                }
            }
        }
    }
}

/// A client address: mostly IPv4 outside the reserved ranges, some IPv6
/// from the documentation prefix.
fn client_address(rng: &mut StdRng) -> Vec<u8> {
    let r = rng.next_u64();
    if r % 100 < 12 {
        // 2001:db8:G:G:G::G
        let v = rng.next_u64();
        let g = |shift: u32| (v >> shift) & 0xffff;
        let text = format!(
            "2001:db8:{:x}:{:x}:{:x}::{:x}",
            g(0),
            g(16),
            g(32),
            (g(48) & 0xfff) + 1
        );
        return text.into_bytes();
    }
    let mut out = Vec::with_capacity(16);
    let b = r.to_le_bytes();
    let first = match b[1] % 223 {
        0 | 10 | 127 => 81,
        100 => 100 + b[7] % 27, // not 100.64/10
        n => n,
    };
    let mut push = |n: u8, dot: bool| {
        pad(&mut out, i64::from(n), 1);
        if dot {
            out.push(b'.');
        }
    };
    push(first, true);
    push(b[2], true);
    push(b[3], true);
    push(b[4].max(1), false);
    out
}

// ---------------------------------------------------------------------------
// Vocabularies.

/// A piece of a line template.
#[derive(Clone, Copy)]
enum P {
    /// Literal text.
    S(&'static str),
    /// A number in `lo..=hi`.
    N(u32, u32),
    /// A price, `19.99`.
    Price,
    /// Random lower-case hex digits.
    Hex(u8),
    /// One word of a list.
    W(&'static [&'static str]),
    /// A client address.
    Ip,
    /// A request path (maybe with a query).
    Path,
}

use P::{Hex, Ip, N, Path, Price, S, W};

const PRICES: &[&str] = &[
    "4.99", "9.99", "12.50", "14.99", "19.99", "24.00", "29.95", "39.99", "49.00", "59.99",
    "79.90", "99.00", "129.00", "149.99", "199.99", "249.00", "349.50", "499.00", "1299.00",
    "0.99",
];

const SEARCH_WORDS: &[&str] = &[
    "red",
    "shoes",
    "running",
    "jacket",
    "winter",
    "wool",
    "socks",
    "laptop",
    "stand",
    "usb-c",
    "cable",
    "coffee",
    "grinder",
    "espresso",
    "kids",
    "bike",
    "helmet",
    "gift",
    "card",
    "women",
    "men",
    "size%2042",
    "blue",
    "linen",
    "shirt",
    "caf%C3%A9",
    "mug",
    "dog",
    "bed",
    "headphones",
    "wireless",
    "charger",
    "book",
    "rust",
    "cookbook",
    "organic",
    "tea",
    "garden",
    "hose",
    "lamp",
    "desk",
    "chair",
    "standing",
    "monitor",
    "27%22",
    "backpack",
    "waterproof",
    "tent",
    "sleeping",
    "bag",
    "yoga",
    "mat",
    "%C3%A9t%C3%A9",
    "sale",
    "black",
    "friday",
];

const SORTS: &[&str] = &[
    "&sort=price_asc",
    "&sort=price_desc",
    "&sort=relevance",
    "&sort=newest&in_stock=1",
];

const CATEGORIES: &[&str] = &[
    "shoes",
    "outdoor",
    "kitchen",
    "electronics",
    "books",
    "garden",
    "kids",
    "women",
    "men",
    "sale",
    "home-office",
];

const SLUGS: &[&str] = &[
    "trail-runner-gtx",
    "merino-crew-socks",
    "pour-over-kettle",
    "usb-c-hub-7-in-1",
    "linen-shirt-relaxed",
    "standing-desk-frame",
    "noise-cancelling-headphones",
    "kids-balance-bike",
    "down-jacket-800",
    "cast-iron-skillet",
    "winter-sale-2021",
    "how-we-ship",
    "holiday-gift-guide",
    "return-policy",
    "size-guide",
];

const STATIC_PATHS: &[&[P]] = &[
    &[S("/static/js/main."), Hex(8), S(".chunk.js")],
    &[S("/static/js/vendors~main."), Hex(8), S(".chunk.js")],
    &[S("/static/css/main."), Hex(8), S(".css")],
    &[
        S("/images/products/"),
        N(10_000, 99_999),
        S("_"),
        N(1, 6),
        S(".jpg"),
    ],
    &[S("/images/products/"), N(10_000, 99_999), S("_thumb.webp")],
    &[S("/favicon.ico")],
    &[S("/fonts/inter-var.woff2")],
    &[S("/assets/logo.svg")],
    &[S("/robots.txt")],
    &[S("/apple-touch-icon.png")],
    &[S("/sitemap.xml")],
    &[S("/static/media/hero-winter."), Hex(8), S(".jpg")],
];

const API_PATHS: &[&[P]] = &[
    &[S("/api/v1/products/"), N(1000, 99_999)],
    &[
        S("/api/v1/products?category="),
        W(CATEGORIES),
        S("&limit=24&offset="),
        N(0, 20),
    ],
    &[S("/api/v1/cart")],
    &[S("/api/v1/cart/items/"), N(1, 40)],
    &[S("/api/v2/orders/"), N(100_000, 999_999), S("/status")],
    &[S("/api/v1/session")],
    &[
        S("/api/v1/recommendations?for="),
        N(1000, 99_999),
        S("&n=8"),
    ],
    &[
        S("/api/v1/stock?sku="),
        N(100_000, 999_999),
        S("&store=DE-"),
        N(10, 99),
    ],
    &[S("/api/v1/events")],
    &[S("/graphql")],
    &[S("/healthz")],
    &[S("/metrics")],
    &[
        S("/api/v1/prices?skus="),
        N(1000, 9999),
        S("%2C"),
        N(1000, 9999),
        S("%2C"),
        N(1000, 9999),
        S("&currency=USD"),
    ],
];

const PAGE_PATHS: &[&[P]] = &[
    &[S("/")],
    &[S("/")],
    &[S("/products/"), W(SLUGS)],
    &[S("/category/"), W(CATEGORIES)],
    &[S("/category/"), W(CATEGORIES), S("?page="), N(2, 9)],
    &[S("/cart")],
    &[S("/checkout?step="), N(1, 3)],
    &[S("/checkout/review?total=$"), Price, S("&currency=USD")],
    &[S("/account/login?next=%2Faccount%2Forders")],
    &[S("/account/orders")],
    &[S("/blog/2021/12/"), W(SLUGS)],
    &[S("/help/"), W(SLUGS)],
    &[S("/wp-login.php")],
    &[S("/.env")],
    &[S("/login")],
    &[S("/logout?redirect_uri=https%3A%2F%2Fshop.example.com%2F")],
];

/// Paths with `%24` (encoded `$`) and one with an encoded benign lookup.
const ACCESS_TRIGGERS: &[&[P]] = &[
    &[S("/search?q=%24"), Price, S("%20gift%20card")],
    &[S("/checkout/confirm?amount=%24"), Price, S("&currency=USD")],
    &[
        S("/api/v1/prices/format?value=%24"),
        Price,
        S("&locale=en_US"),
    ],
    &[S("/products/"), W(SLUGS), S("?price_max=%24"), N(10, 500)],
    &[S("/docs/search?q=%24%7Bspring.datasource.url%7D")],
    &[S("/docs/config?q=%24%7Buser.home%7D%2F.m2")],
];

const STATUSES: &[&str] = &[
    "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200",
    "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200", "200",
    "200", "200", "200", "200", "200", "200", "304", "304", "304", "301", "302", "404", "404",
    "404", "204", "201", "401", "403", "500", "502", "200", "200",
];

const VHOSTS: &[&str] = &[
    "shop.example.com:443",
    "www.example.com:443",
    "api.example.com:443",
    "www.example.com:80",
];

const USERS: &[&str] = &["alice", "bob", "deploy", "jenkins", "monitor", "carol"];

const REFERER_SITES: &[&str] = &[
    "https://shop.example.com",
    "https://shop.example.com",
    "https://www.example.com",
    "https://www.google.com",
    "https://duckduckgo.com",
    "https://www.bing.com",
    "https://t.co",
    "https://news.example.org",
];

const USER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.93 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.93 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.92 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:95.0) Gecko/20100101 Firefox/95.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:95.0) Gecko/20100101 Firefox/95.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.55 Safari/537.36 Edg/96.0.1054.43",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/7.68.0",
    "python-requests/2.26.0",
    "okhttp/4.9.2",
    "Go-http-client/1.1",
    "kube-probe/1.22",
    "Prometheus/2.31.1",
    "ELB-HealthChecker/2.0",
    "Wget/1.21.2",
    "Apache-HttpClient/4.5.13 (Java/11.0.13)",
];

const LOGGERS: &[&str] = &[
    "com.example.orders.OrderService",
    "com.example.orders.web.OrderController",
    "com.example.payments.PaymentClient",
    "com.example.auth.LoginListener",
    "com.example.inventory.StockSync",
    "com.example.catalog.ProductRepository",
    "org.springframework.web.servlet.DispatcherServlet",
    "org.springframework.boot.web.embedded.tomcat.TomcatWebServer",
    "com.zaxxer.hikari.HikariDataSource",
    "org.hibernate.engine.jdbc.spi.SqlExceptionHelper",
    "org.apache.kafka.clients.consumer.internals.ConsumerCoordinator",
    "org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter",
];

const SERVICES: &[&str] = &[
    "orders",
    "checkout",
    "catalog",
    "payments",
    "auth",
    "inventory",
];

const HOSTS: &[&str] = &[
    "web-01",
    "web-02",
    "web-03",
    "api-7d9f8c6b5-x2k4p",
    "db-01",
    "bastion",
    "worker-3",
    "mail",
    "ci-runner-2",
];

const LOG_USERS: &[&str] = &["deploy", "ubuntu", "alice", "bob", "jenkins", "backup"];

const INVALID_USERS: &[&str] = &[
    "admin", "test", "oracle", "user", "postgres", "git", "ftpuser", "support", "pi",
];

const JSON_MESSAGES: &[&[P]] = &[
    &[S("Completed initialization in "), N(1, 9), S(" ms")],
    &[
        S("Fetched "),
        N(1, 48),
        S(" products for category "),
        W(CATEGORIES),
        S(" in "),
        N(2, 180),
        S(" ms"),
    ],
    &[
        S("Order "),
        N(100_000, 999_999),
        S(" placed by customer "),
        N(1000, 99_999),
        S(", "),
        N(1, 9),
        S(" items"),
    ],
    &[
        S("Payment authorised for order "),
        N(100_000, 999_999),
        S(": $"),
        Price,
        S(" USD"),
    ],
    &[
        S("Refund of $"),
        Price,
        S(" issued for order "),
        N(100_000, 999_999),
    ],
    &[S("HikariPool-1 - Start completed.")],
    &[
        S("HikariPool-1 - Connection is not available, request timed out after "),
        N(30_000, 30_010),
        S("ms."),
    ],
    &[S("Cache miss for key product:"), N(1000, 99_999)],
    &[S("Cache hit ratio over the last minute: 0."), N(80, 99)],
    &[S("User "), W(LOG_USERS), S(" logged in from "), Ip],
    &[
        S("Session "),
        Hex(32),
        S(" expired after "),
        N(900, 3600),
        S(" s of inactivity"),
    ],
    &[
        S("Retrying request to inventory-service (attempt "),
        N(1, 3),
        S("/3)"),
    ],
    &[
        S(
            "[Consumer clientId=consumer-orders-1, groupId=orders] Adding newly assigned partitions: orders-",
        ),
        N(0, 11),
    ],
    &[
        S("Slow query ("),
        N(500, 3000),
        S(" ms): select p1_0.id,p1_0.name,p1_0.price from product p1_0 where p1_0.category_id=?"),
    ],
    &[
        S("Started OrdersApplication in "),
        N(5, 14),
        S("."),
        N(100, 999),
        S(" seconds (JVM running for "),
        N(15, 19),
        S("."),
        N(100, 999),
        S(")"),
    ],
    &[S(
        "Tomcat started on port(s): 8080 (http) with context path ''",
    )],
    &[S("GET "), Path, S(" -> 200 ("), N(2, 250), S(" ms)")],
    &[S("POST /api/v1/cart/items -> 201 ("), N(5, 90), S(" ms)")],
    &[S(
        "Validation failed for field 'email': must be a well-formed email address",
    )],
    &[
        S("Scheduled job reportExport finished: "),
        N(10, 90_000),
        S(" rows written to s3://reports-bucket/daily/"),
        N(20_211_201, 20_211_231),
        S(".csv"),
    ],
    &[S("Coupon WINTER"), N(10, 30), S(" applied: -$"), Price],
    &[
        S("Stock for SKU "),
        N(100_000, 999_999),
        S(" below threshold ("),
        N(0, 5),
        S(" left)"),
    ],
    &[
        S("Sending order confirmation to customer "),
        N(1000, 99_999),
        S(" via smtp.example.com:587"),
    ],
    &[S(
        "Circuit breaker 'payments' changed state from CLOSED to OPEN",
    )],
    &[S(
        "Circuit breaker 'payments' changed state from HALF_OPEN to CLOSED",
    )],
    &[S(
        "Resolved [org.springframework.web.HttpRequestMethodNotSupportedException: Request method 'PUT' not supported]",
    )],
    &[
        S("Shipping quote: $"),
        Price,
        S(" (standard), $"),
        Price,
        S(" (express)"),
    ],
    &[S("Completed 200 OK in "), N(1, 400), S("ms")],
];

/// Harmless mentions of JNDI, LDAP and `$` that carry no trigger.
const JSON_NEAR_MISSES: &[&[P]] = &[
    &[S("JNDI lookups disabled (log4j2.formatMsgNoLookups=true)")],
    &[S(
        "Upgraded log4j-core to 2.17.1; the jndi lookup is no longer available",
    )],
    &[S(
        "LDAP authentication provider configured: url=ldap://ldap.corp.example:389/dc=corp,dc=example",
    )],
    &[S(
        "Connecting to ldap://ldap.corp.example:389/dc=corp as cn=svc-orders,ou=services,dc=corp",
    )],
    &[S("Looking up JNDI resource java:comp/env/jdbc/ds")],
    &[S(
        "Using JNDI DataSource java:comp/env/jdbc/ordersDS from the container",
    )],
    &[
        S("Exported PATH=$PATH:/opt/app/bin for worker process "),
        N(100, 9999),
    ],
    &[S(
        "Template uses $customer.firstName and $order.total (Velocity)",
    )],
    &[
        S("Monthly plan price changed from $"),
        Price,
        S(" to $"),
        Price,
    ],
];

/// Benign lines holding a prefilter trigger.
const JSON_TRIGGERS: &[&[P]] = &[
    &[S(
        "Could not resolve placeholder 'spring.datasource.url' in value \\\"${spring.datasource.url}\\\"",
    )],
    &[S(
        "Using cache directory ${user.home}/.cache/orders (override with -Dapp.cache.dir)",
    )],
    &[S("Expanding ${HOME}/.config/orders/settings.yml")],
    &[S(
        "Property app.region resolved with default: ${APP_REGION:-eu-west-1} -> eu-west-1",
    )],
    &[S(
        "Template variable ${var:-default} left unresolved in notification.ftl",
    )],
    &[S(
        "Unresolved placeholder ${jndi} in template mail-footer.ftl",
    )],
    &[S(
        "log4j2.xml property ${jndi:java:comp/env/logging/context-name} resolved to orders",
    )],
    &[
        S("Order "),
        N(100_000, 999_999),
        S(" total \\u0024"),
        Price,
        S(" charged to card ending "),
        N(1000, 9999),
    ],
    &[
        S("Rendered price fragment <span class=\\\"price\\\">&#36;"),
        Price,
        S("</span>"),
    ],
    &[
        S("Banner text: Save &dollar;"),
        N(5, 50),
        S(" today &amp; ship free"),
    ],
    &[S(
        "Compiled pattern ^\\\\x24[0-9]+(\\\\.[0-9]{2})?$ for price validation",
    )],
    &[
        S("GET /api/v1/prices/format?value=%24"),
        Price,
        S(" -> 200 ("),
        N(2, 40),
        S(" ms)"),
    ],
];

const SYSLOG_MESSAGES: &[&[P]] = &[
    &[
        S("sshd["),
        N(300, 65_000),
        S("]: Accepted publickey for "),
        W(LOG_USERS),
        S(" from "),
        Ip,
        S(" port "),
        N(1024, 65_535),
        S(" ssh2: ED25519 SHA256:"),
        Hex(43),
    ],
    &[
        S("sshd["),
        N(300, 65_000),
        S("]: Failed password for invalid user "),
        W(INVALID_USERS),
        S(" from "),
        Ip,
        S(" port "),
        N(1024, 65_535),
        S(" ssh2"),
    ],
    &[
        S("sshd["),
        N(300, 65_000),
        S("]: Invalid user "),
        W(INVALID_USERS),
        S(" from "),
        Ip,
        S(" port "),
        N(1024, 65_535),
    ],
    &[
        S("sshd["),
        N(300, 65_000),
        S("]: Received disconnect from "),
        Ip,
        S(" port "),
        N(1024, 65_535),
        S(":11: Bye Bye [preauth]"),
    ],
    &[
        S("sshd["),
        N(300, 65_000),
        S("]: pam_unix(sshd:session): session opened for user "),
        W(LOG_USERS),
        S("(uid=1000) by (uid=0)"),
    ],
    &[
        S("sshd["),
        N(300, 65_000),
        S(
            "]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=",
        ),
        Ip,
        S("  user=root"),
    ],
    &[
        S("CRON["),
        N(300, 65_000),
        S("]: (root) CMD (cd / && run-parts --report /etc/cron.hourly)"),
    ],
    &[
        S("CRON["),
        N(300, 65_000),
        S("]: (www-data) CMD (php /var/www/html/cron.php > /dev/null 2>&1)"),
    ],
    &[
        S("CRON["),
        N(300, 65_000),
        S("]: pam_unix(cron:session): session closed for user root"),
    ],
    &[
        S("kernel: ["),
        N(1000, 999_999),
        S("."),
        N(100_000, 999_999),
        S("] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:fe:54:00:65:43:21:08:00 SRC="),
        Ip,
        S(" DST=10.0.0.5 LEN=40 TOS=0x00 PREC=0x00 TTL=243 ID="),
        N(1, 65_535),
        S(" PROTO=TCP SPT="),
        N(1024, 65_535),
        S(" DPT="),
        W(&["23", "22", "3389", "445", "8080"]),
        S(" WINDOW=1024 RES=0x00 SYN URGP=0"),
    ],
    &[
        S("kernel: ["),
        N(1000, 999_999),
        S("."),
        N(100_000, 999_999),
        S("] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro"),
    ],
    &[
        S("kernel: ["),
        N(1000, 999_999),
        S("."),
        N(100_000, 999_999),
        S(
            "] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.",
        ),
    ],
    &[
        S("systemd[1]: Started Session "),
        N(1, 9999),
        S(" of user "),
        W(LOG_USERS),
        S("."),
    ],
    &[S("systemd[1]: Starting Daily apt download activities...")],
    &[S("systemd[1]: apt-daily.service: Succeeded.")],
    &[S("systemd[1]: Finished Rotate log files.")],
    &[S("systemd[1]: Started Run anacron jobs.")],
    &[
        S("systemd-logind["),
        N(300, 2000),
        S("]: New session "),
        N(1, 9999),
        S(" of user "),
        W(LOG_USERS),
        S("."),
    ],
    &[
        S("sudo: "),
        W(LOG_USERS),
        S(" : TTY=pts/"),
        N(0, 5),
        S(" ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/systemctl restart orders"),
    ],
    &[S(
        "sudo: deploy : TTY=pts/0 ; PWD=/opt/app ; USER=root ; COMMAND=/usr/bin/env PATH=$PATH:/opt/app/bin make install",
    )],
    &[
        S("postfix/smtpd["),
        N(300, 65_000),
        S("]: connect from unknown["),
        Ip,
        S("]"),
    ],
    &[
        S("dhclient["),
        N(300, 2000),
        S("]: DHCPACK of 10.0.0.5 from 10.0.0.1"),
    ],
    &[
        S("slapd["),
        N(300, 2000),
        S("]: conn="),
        N(1000, 9999),
        S(" op=1 BIND dn=\"cn=svc-orders,ou=services,dc=corp\" method=128"),
    ],
];

const SYSLOG_TRIGGERS: &[&[P]] = &[
    &[
        S("CRON["),
        N(300, 65_000),
        S("]: (deploy) CMD (test -x ${HOME}/bin/backup.sh && ${HOME}/bin/backup.sh --quiet)"),
    ],
    &[S(
        "sudo: deploy : TTY=pts/1 ; PWD=/opt/app ; USER=root ; COMMAND=/bin/sh -c echo ${PATH}",
    )],
    &[
        S("bash["),
        N(300, 65_000),
        S("]: ${JAVA_HOME}/bin/java not found, falling back to /usr/bin/java"),
    ],
    &[
        S("orders["),
        N(300, 65_000),
        S(
            "]: Could not resolve placeholder 'spring.datasource.url' in value \"${spring.datasource.url}\"",
        ),
    ],
];

const APPS_5424: &[&str] = &["orders", "checkout", "haproxy", "containerd", "kubelet"];

const SYSLOG5424_MESSAGES: &[&[P]] = &[
    &[S("Health check passed for backend orders/web-0"), N(1, 3)],
    &[
        S("Server orders/web-0"),
        N(1, 3),
        S(" is UP, reason: Layer7 check passed, code: 200, check duration: "),
        N(1, 40),
        S("ms."),
    ],
    &[
        S("Connect from "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S(" to 10.0.0.5:443 (https/HTTP)"),
    ],
    &[
        S("\u{feff}Pulled image \"registry.example.com/orders:1.4."),
        N(0, 30),
        S("\" in "),
        N(200, 9000),
        S("ms"),
    ],
    &[S("Liveness probe succeeded for pod orders-"), Hex(10)],
    &[S("Looking up JNDI resource java:comp/env/jdbc/ds")],
];

const SYSLOG5424_TRIGGERS: &[&[P]] = &[
    &[S("Using cache directory ${user.home}/.cache/orders")],
    &[S(
        "Property app.region resolved with default: ${APP_REGION:-eu-west-1} -> eu-west-1",
    )],
];

const NGINX_ERRORS: &[&[P]] = &[
    &[
        S(" [error] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(
            " open() \"/usr/share/nginx/html/favicon.ico\" failed (2: No such file or directory), client: ",
        ),
        Ip,
        S(
            ", server: shop.example.com, request: \"GET /favicon.ico HTTP/1.1\", host: \"shop.example.com\"",
        ),
    ],
    &[
        S(" [error] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(
            " upstream timed out (110: Connection timed out) while reading response header from upstream, client: ",
        ),
        Ip,
        S(", server: shop.example.com, request: \"GET "),
        Path,
        S(" HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"shop.example.com\""),
    ],
    &[
        S(" [warn] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(
            " a client request body is buffered to a temporary file /var/cache/nginx/client_temp/00000",
        ),
        N(10_000, 99_999),
        S(", client: "),
        Ip,
        S(
            ", server: api.example.com, request: \"POST /api/v1/events HTTP/1.1\", host: \"api.example.com\"",
        ),
    ],
    &[
        S(" [error] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(" limiting requests, excess: 10."),
        N(100, 999),
        S(" by zone \"api\", client: "),
        Ip,
        S(", server: api.example.com, request: \"GET "),
        Path,
        S(" HTTP/1.1\", host: \"api.example.com\""),
    ],
    &[
        S(" [crit] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(
            " SSL_do_handshake() failed (SSL: error:141CF06C:SSL routines:tls_parse_ctos_key_share:bad key share) while SSL handshaking, client: ",
        ),
        Ip,
        S(", server: 0.0.0.0:443"),
    ],
    &[
        S(" [info] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(" client "),
        Ip,
        S(" closed keepalive connection"),
    ],
    &[
        S(" [notice] "),
        N(1, 9999),
        S("#"),
        N(1, 9999),
        S(": signal process started"),
    ],
    &[
        S(" [error] "),
        N(1, 9999),
        S("#0: *"),
        N(1, 9_999_999),
        S(" access forbidden by rule, client: "),
        Ip,
        S(
            ", server: www.example.com, request: \"GET /.git/config HTTP/1.1\", host: \"www.example.com\"",
        ),
    ],
];

const NGINX_TRIGGERS: &[&[P]] = &[&[
    S(" [error] "),
    N(1, 9999),
    S("#0: *"),
    N(1, 9_999_999),
    S(
        " upstream prematurely closed connection while reading response header from upstream, client: ",
    ),
    Ip,
    S(", server: shop.example.com, request: \"GET /search?q=%24"),
    Price,
    S(
        "%20gift%20card HTTP/1.1\", upstream: \"http://127.0.0.1:8080/search\", host: \"shop.example.com\"",
    ),
]];

const APACHE_ERRORS: &[&[P]] = &[
    &[
        S(" [core:error] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S(
            "] AH00124: Request exceeded the limit of 10 internal redirects due to probable configuration error. Use 'LimitInternalRecursion' to increase the limit if necessary.",
        ),
    ],
    &[
        S(" [authz_core:error] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S("] AH01630: client denied by server configuration: /var/www/html/.htaccess"),
    ],
    &[
        S(" [php7:warn] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S(
            "] PHP Warning:  Undefined variable $total in /var/www/html/cart.php on line 42, referer: https://shop.example.com/cart",
        ),
    ],
    &[
        S(" [proxy_fcgi:error] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S("] AH01071: Got error 'Primary script unknown'"),
    ],
    &[
        S(" [ssl:info] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S("] AH01964: Connection to child "),
        N(0, 64),
        S(" established (server www.example.com:443)"),
    ],
    &[
        S(" [mpm_event:notice] [pid 1:tid 1400"),
        N(10_000_000, 99_999_999),
        S(
            "] AH00489: Apache/2.4.52 (Ubuntu) OpenSSL/3.0.2 configured -- resuming normal operations",
        ),
    ],
    &[
        S(" [proxy:error] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S(
            "] (111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (localhost) failed",
        ),
    ],
    &[
        S(" [php7:notice] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S("] PHP Notice:  Undefined index: $price_total in /var/www/html/checkout.php on line 117"),
    ],
];

const APACHE_TRIGGERS: &[&[P]] = &[
    &[
        S(" [php7:error] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S(
            "] PHP Parse error:  syntax error, unexpected '${' (T_DOLLAR_OPEN_CURLY_BRACES) in /var/www/html/lib/template.php on line 88",
        ),
    ],
    &[
        S(" [php7:warn] [pid "),
        N(1000, 65_000),
        S(":tid 1400"),
        N(10_000_000, 99_999_999),
        S("] [client "),
        Ip,
        S(":"),
        N(1024, 65_535),
        S("] PHP Warning:  htmlspecialchars(): price &#36;"),
        Price,
        S(" already escaped in /var/www/html/cart.php on line 51"),
    ],
];

const APACHE22_ERRORS: &[&[P]] = &[
    &[S("] File does not exist: /var/www/html/favicon.ico")],
    &[S(
        "] File does not exist: /var/www/html/apple-touch-icon-precomposed.png",
    )],
    &[S(
        "] client denied by server configuration: /var/www/html/server-status",
    )],
    &[S(
        "] script '/var/www/html/wp-login.php' not found or unable to stat",
    )],
    &[S(
        "] PHP Notice:  Undefined variable: total in /var/www/html/cart.php on line 42, referer: https://www.example.com/cart",
    )],
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logfmt::{Layout, line_context};

    fn sample(kind: Kind, seed: u64, bytes: u64) -> Vec<u8> {
        let mut out = Vec::new();
        Synth::new(kind, seed)
            .take_bytes(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn is_trigger(line: &[u8]) -> bool {
        let lower = line.to_ascii_lowercase();
        [
            &b"${"[..],
            b"%24",
            b"\\u0024",
            b"\\x24",
            b"&#36;",
            b"&dollar;",
        ]
        .iter()
        .any(|t| memchr::memmem::find(&lower, t).is_some())
    }

    #[test]
    fn same_seed_same_bytes() {
        for kind in Kind::ALL {
            let a = sample(kind, 7, 300_000);
            assert_eq!(a, sample(kind, 7, 300_000), "{kind}");
            assert_ne!(a, sample(kind, 8, 300_000), "{kind}");
            // Independent of how the stream is read.
            let mut b = Vec::new();
            let mut s = Synth::new(kind, 7).take_bytes(300_000);
            let mut small = [0u8; 77];
            loop {
                let n = s.read(&mut small).unwrap();
                if n == 0 {
                    break;
                }
                b.extend_from_slice(&small[..n]);
            }
            assert_eq!(a, b, "{kind}");
            let mut c = Vec::new();
            let written = write_lines(kind, 7, 300_000, &mut c).unwrap();
            assert_eq!(a, c, "{kind}");
            assert_eq!(written, a.len() as u64);
        }
    }

    #[test]
    fn budget_is_whole_lines() {
        for n in [0u64, 1, 1000, 200_000, 1 << 20] {
            let out = sample(Kind::Mixed, 3, n);
            assert!(out.len() as u64 >= n);
            assert!(out.len() as u64 <= n + 4096, "{n}: {}", out.len());
            assert!(out.is_empty() || out.ends_with(b"\n"));
        }
        assert!(sample(Kind::Mixed, 3, 0).is_empty());
    }

    #[test]
    fn every_line_ends_with_newline_and_is_utf8() {
        for kind in Kind::ALL {
            let out = sample(kind, 11, 500_000);
            assert!(out.ends_with(b"\n"), "{kind}");
            assert!(std::str::from_utf8(&out).is_ok(), "{kind}");
            assert!(
                !out.split(|&b| b == b'\n')
                    .rev()
                    .skip(1)
                    .any(<[u8]>::is_empty),
                "{kind}: empty line"
            );
        }
    }

    #[test]
    fn lines_are_recognised() {
        for kind in Kind::ALL {
            let out = sample(kind, 5, 2 << 20);
            let lines: Vec<&[u8]> = out
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .collect();
            let mut known = 0usize;
            let mut timed = 0usize;
            let mut addressed = 0usize;
            for line in &lines {
                let c = line_context(line, 2021);
                known += usize::from(c.layout.is_some());
                timed += usize::from(c.timestamp.is_some());
                addressed += usize::from(c.source_ip.is_some());
            }
            let n = lines.len();
            assert!(known * 100 >= n * 95, "{kind}: {known}/{n} recognised");
            assert!(timed * 100 >= n * 95, "{kind}: {timed}/{n} timed");
            if kind == Kind::Access {
                assert!(
                    addressed * 100 >= n * 99,
                    "{kind}: {addressed}/{n} with an address"
                );
            }
        }
    }

    #[test]
    fn layouts_of_each_kind() {
        let layouts = |kind| {
            let out = sample(kind, 9, 1 << 20);
            let mut seen = Vec::new();
            for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                if let Some(l) = line_context(line, 2021).layout {
                    if !seen.contains(&l) {
                        seen.push(l);
                    }
                }
            }
            seen
        };
        assert_eq!(layouts(Kind::Access), [Layout::Access]);
        assert_eq!(layouts(Kind::Json), [Layout::JsonLines]);
        let mut s = layouts(Kind::Syslog);
        s.sort_by_key(|l| *l as u8);
        assert_eq!(s, [Layout::Syslog3164, Layout::Syslog5424]);
        let mut e = layouts(Kind::ErrorLog);
        e.sort_by_key(|l| *l as u8);
        assert_eq!(e, [Layout::NginxError, Layout::ApacheError]);
        assert_eq!(layouts(Kind::Mixed).len(), 6);
    }

    #[test]
    fn triggers_are_rare_but_present() {
        let out = sample(Kind::Mixed, 1, 16 << 20);
        let lines: Vec<&[u8]> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let triggers = lines.iter().filter(|l| is_trigger(l)).count();
        let n = lines.len();
        assert!(triggers * 1000 >= n, "{triggers}/{n}");
        assert!(triggers * 200 <= n, "{triggers}/{n}");
        // Each kind holds some.
        for kind in [Kind::Access, Kind::Json, Kind::Syslog, Kind::ErrorLog] {
            let out = sample(kind, 2, 4 << 20);
            assert!(out.split(|&b| b == b'\n').any(is_trigger), "{kind}");
        }
    }

    #[test]
    fn json_lines_are_valid_json() {
        let out = sample(Kind::Json, 4, 2 << 20);
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: Result<serde_json::Value, _> = serde_json::from_slice(line);
            assert!(v.is_ok(), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn times_advance_and_stay_in_december_2021() {
        let out = sample(Kind::Access, 6, 4 << 20);
        let mut last = None;
        for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let ts = line_context(line, 2021).timestamp.unwrap();
            assert!(last.is_none_or(|l| l <= ts));
            assert!(ts.to_string().starts_with("2021-12-1"), "{ts}");
            last = Some(ts);
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>(), Ok(kind));
        }
        assert_eq!("ERROR".parse::<Kind>(), Ok(Kind::ErrorLog));
        assert!("nginx".parse::<Kind>().is_err());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(18_971), (2021, 12, 10));
        assert_eq!(civil(11_016), (2000, 2, 29));
        let c = civil_time(EPOCH_START);
        assert_eq!(
            (c.y, c.mo, c.d, c.h, WEEKDAYS[c.wday]),
            (2021, 12, 10, 0, "Fri")
        );
    }
}
