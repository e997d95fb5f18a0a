//! Exploit-attempt detection in byte streams.
//!
//! (module docs written with the implementation)
#![forbid(unsafe_code)]

mod analyze;
pub mod decode;
pub mod eval;
pub mod ioc;
pub mod logfmt;
pub mod synth;

use std::net::IpAddr;

use jiff::Timestamp;

/// A detection rule. The codes are stable: they appear in JSON output,
/// STIX labels and the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `${jndi:<remote protocol>:…}` after deobfuscation (CVE-2021-44228,
    /// CVE-2021-45046).
    Log4ShellJndi,
    /// A remote JNDI lookup whose host or path carries another lookup
    /// (`${env:…}`, `${sys:…}`, `${java:…}`, …): data exfiltration.
    Log4ShellExfil,
    /// Information lookups on their own (`${java:version}`, `${hostName}`,
    /// `${env:AWS_SECRET_ACCESS_KEY}`): reconnaissance.
    Log4ShellRecon,
    /// Apache Commons Text interpolation `${script:…}`, `${url:…}`,
    /// `${dns:…}` (CVE-2022-42889).
    Text4Shell,
    /// Spring4Shell's `class.module.classLoader` parameters (CVE-2022-22965).
    Spring4Shell,
    /// A lookup that is not an attack (`${jndi:java:comp/env/…}`,
    /// `${HOME}`): informational, off unless asked for.
    LookupBenign,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Rule::Log4ShellJndi,
        Rule::Log4ShellExfil,
        Rule::Log4ShellRecon,
        Rule::Text4Shell,
        Rule::Spring4Shell,
        Rule::LookupBenign,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::Log4ShellJndi => "log4shell-jndi",
            Rule::Log4ShellExfil => "log4shell-jndi-exfil",
            Rule::Log4ShellRecon => "log4shell-recon",
            Rule::Text4Shell => "text4shell-lookup",
            Rule::Spring4Shell => "spring4shell-classloader",
            Rule::LookupBenign => "lookup-benign",
        }
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Whether a hit of this rule is an attack (everything but
    /// [`Rule::LookupBenign`]).
    pub fn is_attack(self) -> bool {
        self != Rule::LookupBenign
    }

    /// Whether hits of this rule call out to a remote host.
    pub fn is_remote_lookup(self) -> bool {
        matches!(self, Rule::Log4ShellJndi | Rule::Log4ShellExfil)
    }
}

/// Where a remote lookup calls back to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callback {
    /// `ldap`, `rmi`, `dns`, … lower-cased.
    pub protocol: String,
    /// As decoded; may hold unresolved lookups (`${env:X}.evil.example`).
    pub host: String,
    /// The explicit port, else the protocol's default.
    pub port: Option<u16>,
    /// The path after the authority, with its leading `/`.
    pub path: String,
}

/// One detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// 1-based line number in the stream.
    pub line: u64,
    /// Byte offset of the start of `raw` in the stream.
    pub offset: u64,
    pub rule: Rule,
    /// The text as it appears in the log (invalid UTF-8 replaced), bounded.
    pub raw: String,
    /// The payload after every decoding layer and Log4j's own substitution.
    pub decoded: String,
    /// The encodings that were peeled off before substitution
    /// (`url`, `url`, `json`, `html`, …), and whether lookups had to be
    /// evaluated to see the payload.
    pub obfuscation: Vec<&'static str>,
    pub callback: Option<Callback>,
    /// Lookups whose value a remote lookup would leak (`env:AWS_SECRET_ACCESS_KEY`).
    pub exfiltrates: Vec<String>,
    /// A base64 command carried in the callback path, decoded.
    pub command: Option<String>,
    /// URLs inside `command` (or a Commons Text `url:` lookup).
    pub urls: Vec<String>,
    /// IP addresses inside `command`.
    pub ips: Vec<IpAddr>,
    pub source_ip: Option<IpAddr>,
    pub timestamp: Option<Timestamp>,
}

/// Detector options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Report [`Rule::LookupBenign`] hits too.
    pub include_benign: bool,
    /// Year assumed for timestamps without one (RFC 3164 syslog).
    pub year_hint: i16,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            include_benign: false,
            year_hint: 2021,
        }
    }
}

/// What a scan of one stream covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub bytes: u64,
    pub lines: u64,
    /// Lines that matched the prefilter and were decoded.
    pub candidates: u64,
    pub hits: u64,
    /// Lines longer than [`MAX_LINE`], scanned in overlapping windows.
    pub long_lines: u64,
    /// Payloads whose evaluation hit a bound (depth or work).
    pub truncated: u64,
}

impl ScanStats {
    pub fn add(&mut self, o: &ScanStats) {
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.candidates += o.candidates;
        self.hits += o.hits;
        self.long_lines += o.long_lines;
        self.truncated += o.truncated;
    }
}

/// Lines longer than this are scanned in windows (with an overlap of
/// [`OVERLAP`]) instead of whole; memory stays bounded on a line of any
/// length.
pub const MAX_LINE: usize = 1 << 20;
/// A payload is looked for in at most this many bytes after its first
/// trigger.
pub const WINDOW: usize = 64 << 10;
/// Overlap between consecutive windows of a long line: payloads up to this
/// long are found wherever they fall.
pub const OVERLAP: usize = 8 << 10;
/// The `raw` text of a hit is cut to this many bytes.
pub const MAX_RAW: usize = 4096;
const BUF: usize = 4 << 20;
/// Bytes before a trigger included in its window.
const BACKUP: usize = 32;

/// The byte strings that any payload must contain at the raw level: a `$`
/// (literal or encoded: `%24`, `u0024` and `x24` whatever escapes the
/// backslash, `&#…;`, `&dollar;`, `&amp;` for entities escaped twice) next
/// to a `{` (literal or encoded), `%25` for repeated URL encoding, and
/// Spring4Shell's property path (`class.module`, `class%2E…`, `class[`).
/// Matched case-sensitively (a case-insensitive Aho-Corasick search is an
/// order of magnitude slower): none of the encodings has a case variant
/// that Java, JSON or HTML decodes (`\U0024` is no escape, entity names
/// are case-sensitive), and Spring binds `class.module` as written. Kept to
/// few patterns with distinct first bytes: past about sixteen, or with
/// rare-but-shared prefixes, the SIMD search drops from ~11 GB/s to ~5.
pub const TRIGGERS: &[&str] = &[
    "${",
    "$%",
    "$\\",
    "$&",
    "%24",
    "%25",
    "u0024",
    "x24",
    "&#",
    "&dollar",
    "&amp;",
    "class.module",
    "class%",
    "class[",
];

/// The detector: build once, share between threads.
#[derive(Debug, Clone)]
pub struct Detector {
    options: Options,
    prefilter: aho_corasick::AhoCorasick,
}

impl Detector {
    pub fn new(options: Options) -> Detector {
        #[allow(clippy::expect_used)]
        let prefilter = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(TRIGGERS)
            .expect("the trigger set is a fixed, valid pattern set");
        Detector { options, prefilter }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every hit in `bytes`, a whole log (lines separated by `\n`).
    pub fn scan_bytes(&self, bytes: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut sink = |h: Hit| hits.push(h);
        let _ = self.scan_reader(bytes, &mut sink);
        hits
    }

    /// Streams `reader` through the detector with bounded memory (a 4 MiB
    /// buffer plus at most [`MAX_LINE`] of a partial line), calling `sink`
    /// for each hit in stream order.
    pub fn scan_reader<R: std::io::Read>(
        &self,
        mut reader: R,
        sink: &mut dyn FnMut(Hit),
    ) -> std::io::Result<ScanStats> {
        let mut st = Stream::new(0, 1);
        self.scan_stream(&mut reader, &mut st, sink)
    }

    /// Scans the regular file `file` with `threads` threads, each taking a
    /// contiguous region cut at a line boundary; hits come out in file
    /// order with the same line numbers a single-threaded scan gives.
    pub fn scan_file(
        &self,
        file: &std::fs::File,
        threads: usize,
        sink: &mut dyn FnMut(Hit),
    ) -> std::io::Result<ScanStats> {
        use std::os::unix::fs::FileExt;
        let len = file.metadata()?.len();
        let threads = threads.max(1);
        if threads == 1 || len < (8 << 20) {
            return self.scan_reader(
                RegionReader {
                    file,
                    pos: 0,
                    end: len,
                },
                sink,
            );
        }
        // Region starts: just after the first newline at or after k*len/threads.
        let mut starts = vec![0u64];
        let mut probe = vec![0u8; 64 << 10];
        for k in 1..threads as u64 {
            let mut at = (len * k / threads as u64).max(*starts.last().unwrap_or(&0));
            let start = loop {
                if at >= len {
                    break len;
                }
                let n = file.read_at(&mut probe, at)?;
                if n == 0 {
                    break len;
                }
                if let Some(i) = memchr::memchr(b'\n', &probe[..n]) {
                    break at + i as u64 + 1;
                }
                at += n as u64;
            };
            starts.push(start);
        }
        starts.push(len);
        let results: Vec<std::io::Result<(Vec<Hit>, ScanStats)>> = std::thread::scope(|s| {
            let handles: Vec<_> = starts
                .windows(2)
                .map(|w| {
                    let (a, b) = (w[0], w[1]);
                    s.spawn(move || {
                        let mut hits = Vec::new();
                        let mut st = Stream::new(a, 1);
                        let mut reader = RegionReader {
                            file,
                            pos: a,
                            end: b,
                        };
                        let stats =
                            self.scan_stream(&mut reader, &mut st, &mut |h| hits.push(h))?;
                        Ok((hits, stats))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(std::io::Error::other("detector thread panicked")))
                })
                .collect()
        });
        let mut total = ScanStats::default();
        let mut lines_before = 0u64;
        for r in results {
            let (hits, stats) = r?;
            for mut h in hits {
                h.line += lines_before;
                sink(h);
            }
            lines_before += stats.lines;
            total.add(&stats);
        }
        Ok(total)
    }

    fn scan_stream(
        &self,
        reader: &mut dyn std::io::Read,
        st: &mut Stream,
        sink: &mut dyn FnMut(Hit),
    ) -> std::io::Result<ScanStats> {
        let mut buf = vec![0u8; BUF + MAX_LINE];
        let mut filled = 0usize;
        loop {
            let mut eof = false;
            while filled < BUF {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        filled += n;
                        st.stats.bytes += n as u64;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            let keep = self.step(st, &buf[..filled], eof, sink);
            if eof {
                break;
            }
            buf.copy_within(filled - keep..filled, 0);
            filled = keep;
        }
        Ok(st.stats)
    }

    /// Processes `data` (which starts at `st.offset`); returns how many
    /// trailing bytes to keep for the next call.
    fn step(&self, st: &mut Stream, data: &[u8], eof: bool, sink: &mut dyn FnMut(Hit)) -> usize {
        if data.is_empty() {
            return 0;
        }
        let end = if eof {
            data.len()
        } else {
            match memchr::memrchr(b'\n', data) {
                Some(i) => i + 1,
                None if data.len() < MAX_LINE => return data.len(),
                None => 0,
            }
        };
        if end > 0 {
            self.block(st, &data[..end], sink);
            st.offset += end as u64;
            if st.in_long_line {
                st.in_long_line = false;
            }
            return data.len() - end;
        }
        // A line longer than the buffer: scan what we have as a segment of
        // it, keep the overlap, and go on with the same line.
        if !st.in_long_line {
            st.in_long_line = true;
            st.stats.long_lines += 1;
            st.line_head = data[..data.len().min(4096)].to_vec();
        }
        let keep = OVERLAP.min(data.len());
        self.segment(st, data, st.offset, st.line, sink);
        st.offset += (data.len() - keep) as u64;
        keep
    }

    /// Complete lines (the first may continue a long line).
    fn block(&self, st: &mut Stream, block: &[u8], sink: &mut dyn FnMut(Hit)) {
        let mut counted = 0usize;
        let mut from = 0usize;
        while from < block.len() {
            let input = aho_corasick::Input::new(block).span(from..block.len());
            let Some(m) = self.prefilter.find(input) else {
                break;
            };
            let p = m.start();
            let ls = memchr::memrchr(b'\n', &block[..p]).map_or(0, |i| i + 1);
            let le = memchr::memchr(b'\n', &block[p..]).map_or(block.len(), |i| p + i);
            st.line += bytecount::count(&block[counted..ls], b'\n') as u64;
            counted = ls;
            let continues = ls == 0 && st.in_long_line;
            let line = &block[ls..le];
            st.stats.candidates += 1;
            self.line(
                st,
                line,
                p - ls,
                st.offset + ls as u64,
                st.line,
                continues,
                sink,
            );
            from = le + 1;
        }
        let rest = bytecount::count(&block[counted..], b'\n') as u64;
        st.line += rest;
        st.stats.lines = st.line - 1;
        if block.last() != Some(&b'\n') && !block.is_empty() {
            // The final line of a stream without a trailing newline.
            st.stats.lines += 1;
        }
    }

    /// A segment of a line too long for the buffer.
    fn segment(&self, st: &mut Stream, seg: &[u8], abs: u64, line: u64, sink: &mut dyn FnMut(Hit)) {
        if let Some(m) = self.prefilter.find(seg) {
            st.stats.candidates += 1;
            self.line(st, seg, m.start(), abs, line, true, sink);
        }
    }

    /// One line (or segment) holding a trigger at `first`.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        st: &mut Stream,
        line: &[u8],
        first: usize,
        abs: u64,
        line_no: u64,
        continues: bool,
        sink: &mut dyn FnMut(Hit),
    ) {
        let mut ctx: Option<logfmt::LineContext> = None;
        let mut cursor = first;
        let head = if continues && !st.line_head.is_empty() {
            &st.line_head[..]
        } else {
            line
        };
        let quoted = quoted_fields(head);
        loop {
            let t = if cursor == first {
                first
            } else {
                match self
                    .prefilter
                    .find(aho_corasick::Input::new(line).span(cursor..line.len()))
                {
                    Some(m) => m.start(),
                    None => break,
                }
            };
            // Start a little before the trigger: what escapes the trigger's
            // backslash (`\x5Cu0024`, `%5Cu0024`) comes first.
            let lo = if cursor == first { 0 } else { cursor };
            let t = t.saturating_sub(BACKUP).max(lo);
            let wend = (t + WINDOW).min(line.len());
            for mut hit in analyze::window(&line[t..wend], quoted, &self.options, &mut st.stats) {
                let start = abs + t as u64 + hit.offset;
                if start < st.reported_upto {
                    continue;
                }
                st.reported_upto = start + 1;
                hit.offset = start;
                hit.line = line_no;
                if !hit.rule.is_attack() && !self.options.include_benign {
                    continue;
                }
                let c = ctx.get_or_insert_with(|| {
                    let head = if continues && !st.line_head.is_empty() {
                        &st.line_head[..]
                    } else {
                        &line[..line.len().min(64 << 10)]
                    };
                    logfmt::line_context(head, self.options.year_hint)
                });
                hit.source_ip = c.source_ip;
                hit.timestamp = c.timestamp;
                st.stats.hits += 1;
                sink(hit);
            }
            if wend >= line.len() {
                break;
            }
            cursor = (wend - OVERLAP).max(t + 1);
        }
    }
}

/// Whether a line is a JSON object or has quoted fields side by side (an
/// access log's `[time] "GET …"`, a load balancer's `"…" "…"`).
fn quoted_fields(line: &[u8]) -> bool {
    let head = &line[..line.len().min(4096)];
    let trimmed = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(head, |i| &head[i..]);
    trimmed.first() == Some(&b'{')
        || memchr::memmem::find(head, b"] \"").is_some()
        || memchr::memmem::find(head, b"\" \"").is_some()
}

struct Stream {
    offset: u64,
    line: u64,
    in_long_line: bool,
    line_head: Vec<u8>,
    reported_upto: u64,
    stats: ScanStats,
}

impl Stream {
    fn new(offset: u64, line: u64) -> Stream {
        Stream {
            offset,
            line,
            in_long_line: false,
            line_head: Vec::new(),
            reported_upto: 0,
            stats: ScanStats::default(),
        }
    }
}

struct RegionReader<'a> {
    file: &'a std::fs::File,
    pos: u64,
    end: u64,
}

impl std::io::Read for RegionReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}
