//! Exploit-attempt detection in byte streams.
//!
//! (module docs written with the implementation)
#![forbid(unsafe_code)]

pub mod eval;
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
        Options { include_benign: false, year_hint: 2021 }
    }
}

/// The detector: build once, share between threads.
#[derive(Debug, Clone)]
pub struct Detector {
    options: Options,
}

impl Detector {
    pub fn new(options: Options) -> Detector {
        Detector { options }
    }

    /// Every hit in `bytes`, a whole log (lines separated by `\n`).
    pub fn scan_bytes(&self, bytes: &[u8]) -> Vec<Hit> {
        let _ = (&self.options, bytes);
        Vec::new()
    }

    /// Streams `reader` through the detector with bounded memory, calling
    /// `sink` for each hit in stream order.
    pub fn scan_reader<R: std::io::Read>(
        &self,
        mut reader: R,
        sink: &mut dyn FnMut(Hit),
    ) -> std::io::Result<ScanStats> {
        let mut buf = vec![0u8; 1 << 16];
        let mut stats = ScanStats::default();
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            stats.bytes += n as u64;
            for h in self.scan_bytes(&buf[..n]) {
                sink(h);
            }
        }
        Ok(stats)
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
}
