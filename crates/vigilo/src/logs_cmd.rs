//! `vigilo logs`: exploit attempts in log files (vigilo-detect), printed as
//! a summary, JSON lines or a STIX 2.1 bundle, and uploaded to the hub as
//! indicators and sightings.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use serde_json::json;
use vigilo_core::indicator::{self, Indicator, Observable, Observation};
use vigilo_detect::{Detector, Hit, Options, Rule, ScanStats};

use crate::scan_cmd::{client, host_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogsFormat {
    /// Counts per rule, top callback hosts, first and last seen.
    Summary,
    /// One JSON object per hit per line.
    Json,
    /// A STIX 2.1 bundle: indicators for callback hosts, payload URLs and
    /// attacking addresses, with their sightings.
    Stix,
}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Log files (plain or `.gz`), folders (read recursively), or `-` for
    /// standard input.
    #[arg(default_value = "-")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "summary")]
    pub format: LogsFormat,
    /// Write the output here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Threads (0: one per core). A regular file of 8 MiB or more is cut
    /// into that many regions at line boundaries, scanned side by side;
    /// files are taken one after the other, so output stays in file order.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also report lookups that are not attacks (`lookup-benign`).
    #[arg(long)]
    pub include_benign: bool,
    /// Year for timestamps that have none (RFC 3164 syslog). Default: the
    /// current year.
    #[arg(long)]
    pub year: Option<i16>,
    /// The name of the sensor in STIX output and uploads (default: this
    /// host's name).
    #[arg(long)]
    pub sensor: Option<String>,
    /// Send the indicators and sightings to the hub (`POST /api/sightings`).
    #[arg(long, requires = "hub")]
    pub upload: bool,
    #[arg(long, env = "VIGILO_HUB")]
    pub hub: Option<String>,
    #[arg(long, env = "VIGILO_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Exit with status 1 when any attack is found.
    #[arg(long)]
    pub fail_on_hit: bool,
    /// Stop reading a `.gz` file after it has expanded this many times its
    /// compressed size (plus 1 GiB): a decompression bomb is reported, not
    /// followed.
    #[arg(long, default_value_t = 1000)]
    pub max_gzip_ratio: u64,
}

/// One input: a path (or stdin) and whether it is gzip-compressed.
struct Input {
    name: String,
    path: Option<PathBuf>,
    gzip: bool,
}

fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input {
                name: "-".into(),
                path: None,
                gzip: false,
            });
            continue;
        }
        let meta = std::fs::metadata(p).with_context(|| format!("{}: cannot read", p.display()))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files).with_context(|| format!("{}: reading the folder", p.display()))?;
            files.sort();
            out.extend(files.into_iter().map(input_for));
        } else {
            out.push(input_for(p.clone()));
        }
    }
    Ok(out)
}

fn input_for(p: PathBuf) -> Input {
    let gzip = p.extension().is_some_and(|e| e == "gz");
    Input {
        name: p.display().to_string(),
        path: Some(p),
        gzip,
    }
}

/// Regular files under `dir`, symbolic links not followed.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&entry.path(), out)?;
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// Counts bytes read from the compressed side of a gzip stream.
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Stops a decompressed stream that grows past its ratio bound.
struct Bounded<R> {
    inner: R,
    compressed: std::rc::Rc<std::cell::Cell<u64>>,
    out: u64,
    ratio: u64,
    /// Bytes allowed on top of `ratio` times the compressed size.
    allowance: u64,
    name: String,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let limit = self
            .compressed
            .get()
            .saturating_mul(self.ratio)
            .saturating_add(self.allowance);
        if self.out > limit {
            return Err(io::Error::other(format!(
                "{}: expands more than {}x its compressed size (decompression bomb?); stopped after {} bytes",
                self.name, self.ratio, self.out
            )));
        }
        Ok(n)
    }
}

/// Scans one input, calling `sink` with each hit (with `file` set by the
/// caller).
fn scan_input(
    d: &Detector,
    input: &Input,
    threads: usize,
    ratio: u64,
    sink: &mut dyn FnMut(Hit),
) -> Result<ScanStats> {
    let stats = match (&input.path, input.gzip) {
        (None, _) => d.scan_reader(io::stdin().lock(), sink),
        (Some(p), false) => {
            let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
            if f.metadata().map(|m| m.is_file()).unwrap_or(false) {
                d.scan_file(&f, threads, sink)
            } else {
                d.scan_reader(f, sink)
            }
        }
        (Some(p), true) => {
            let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
            let compressed = std::rc::Rc::new(std::cell::Cell::new(0));
            let counted = Counted {
                inner: io::BufReader::with_capacity(1 << 20, f),
                read: compressed.clone(),
            };
            let gz = flate2::read::MultiGzDecoder::new(counted);
            let bounded = Bounded {
                inner: gz,
                compressed,
                out: 0,
                ratio,
                allowance: 1 << 30,
                name: input.name.clone(),
            };
            d.scan_reader(bounded, sink)
        }
    };
    stats.with_context(|| format!("{}: reading", input.name))
}

fn hit_json(file: &str, h: &Hit) -> serde_json::Value {
    let cb = h.callback.as_ref();
    json!({
        "file": file,
        "line": h.line,
        "offset": h.offset,
        "rule": h.rule.code(),
        "raw": h.raw,
        "decoded": h.decoded,
        "protocol": cb.map_or("", |c| c.protocol.as_str()),
        "host": cb.map_or("", |c| c.host.as_str()),
        "port": cb.and_then(|c| c.port),
        "path": cb.map_or("", |c| c.path.as_str()),
        "source_ip": h.source_ip.map(|i| i.to_string()),
        "timestamp": h.timestamp.map(|t| t.to_string()),
        "obfuscation": h.obfuscation,
        "exfiltrates": h.exfiltrates,
        "command": h.command,
        "urls": h.urls,
        "ips": h.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
    })
}

/// The part of a callback host that names the attacker's infrastructure:
/// labels holding unresolved lookups (`${env:X}.evil.example`) dropped.
fn callback_observable(host: &str) -> Option<Observable> {
    if let Some(o) = Observable::host(host) {
        return Some(o);
    }
    let tail = host
        .rsplit('}')
        .next()
        .unwrap_or("")
        .trim_start_matches('.');
    if tail.contains('.') {
        Observable::host(tail)
    } else {
        None
    }
}

fn observation(h: &Hit) -> Observation {
    let mut payload: Vec<Observable> = h.urls.iter().map(|u| Observable::url(u)).collect();
    payload.extend(h.ips.iter().map(|ip| Observable::ip(*ip)));
    Observation {
        rule: h.rule.code().to_owned(),
        decoded: h.decoded.clone(),
        callback: h
            .callback
            .as_ref()
            .and_then(|c| callback_observable(&c.host)),
        payload,
        source_ip: h.source_ip,
        timestamp: h.timestamp,
    }
}

#[derive(Default)]
struct Summary {
    per_rule: BTreeMap<&'static str, u64>,
    hosts: BTreeMap<String, u64>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    files_with_hits: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, file: &str, h: &Hit) {
        *self.per_rule.entry(h.rule.code()).or_default() += 1;
        if let Some(cb) = &h.callback {
            *self.hosts.entry(cb.host.clone()).or_default() += 1;
        }
        if let Some(t) = h.timestamp {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        *self.files_with_hits.entry(file.to_owned()).or_default() += 1;
    }

    fn write(
        &self,
        stats: &ScanStats,
        files: usize,
        secs: f64,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        writeln!(
            out,
            "scanned {files} file(s), {} lines, {:.1} MB in {secs:.2} s ({:.0} MB/s); {} candidate lines decoded",
            stats.lines,
            stats.bytes as f64 / 1e6,
            stats.bytes as f64 / 1e6 / secs.max(1e-9),
            stats.candidates,
        )?;
        let total: u64 = self.per_rule.values().sum();
        if total == 0 {
            writeln!(out, "no exploitation attempts found")?;
            return Ok(());
        }
        writeln!(out, "\n{total} hit(s):")?;
        for rule in Rule::ALL {
            if let Some(n) = self.per_rule.get(rule.code()) {
                writeln!(out, "  {n:>8}  {}", rule.code())?;
            }
        }
        if !self.hosts.is_empty() {
            let mut hosts: Vec<_> = self.hosts.iter().collect();
            hosts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            writeln!(out, "\ntop callback hosts:")?;
            for (h, n) in hosts.iter().take(10) {
                writeln!(out, "  {n:>8}  {h}")?;
            }
        }
        if let (Some(f), Some(l)) = (self.first, self.last) {
            writeln!(out, "\nfirst seen {f}\nlast seen  {l}")?;
        }
        let mut files: Vec<_> = self.files_with_hits.iter().collect();
        files.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(out, "\nfiles:")?;
        for (f, n) in files.iter().take(10) {
            writeln!(out, "  {n:>8}  {f}")?;
        }
        if stats.truncated > 0 {
            writeln!(
                out,
                "\n{} payload(s) too large or convoluted to evaluate fully (checked literally)",
                stats.truncated
            )?;
        }
        Ok(())
    }
}

pub async fn logs(args: LogsArgs) -> Result<ExitCode> {
    let inputs = collect_inputs(&args.paths)?;
    if args.upload && args.token.is_none() {
        bail!("--upload needs --token (or VIGILO_TOKEN)");
    }
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        args.threads
    };
    let year = args
        .year
        .unwrap_or_else(|| Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).year());
    let detector = Detector::new(Options {
        include_benign: args.include_benign,
        year_hint: year,
    });
    let started = std::time::Instant::now();

    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("{}: cannot create", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let mut stats = ScanStats::default();
    let mut summary = Summary::default();
    let mut observations: Vec<Observation> = Vec::new();
    let mut failed = 0usize;
    let keep_observations = args.format == LogsFormat::Stix || args.upload;
    let mut write_err: Option<io::Error> = None;
    for input in &inputs {
        let name = input.name.clone();
        let mut sink = |h: Hit| {
            summary.add(&name, &h);
            if keep_observations {
                observations.push(observation(&h));
            }
            if args.format == LogsFormat::Json && write_err.is_none() {
                let line = hit_json(&name, &h);
                if let Err(e) = serde_json::to_writer(&mut out, &line)
                    .map_err(io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    write_err = Some(e);
                }
            }
        };
        match scan_input(&detector, input, threads, args.max_gzip_ratio, &mut sink) {
            Ok(s) => stats.add(&s),
            Err(e) => {
                failed += 1;
                let mut err = io::stderr().lock();
                let _ = writeln!(err, "error: {e:#}");
            }
        }
        if let Some(e) = write_err.take() {
            return Err(e).context("writing the output");
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let sensor = args.sensor.clone().unwrap_or_else(host_name);
    let indicators = indicator::aggregate(&observations, |r| {
        Rule::from_code(r).is_some_and(Rule::is_attack)
    });
    match args.format {
        LogsFormat::Summary => summary.write(&stats, inputs.len(), secs, &mut out)?,
        LogsFormat::Json => {}
        LogsFormat::Stix => {
            let input = vigilo_formats::stix::SightingsInput {
                sensor: sensor.clone(),
                sensor_class: vigilo_formats::stix::SensorClass::System,
                generated: Timestamp::now(),
                indicators: indicators.clone(),
            };
            vigilo_formats::stix::write_bundle(&input, &mut out)?;
        }
    }
    out.flush().context("writing the output")?;
    drop(out);
    if args.upload {
        if let Some(hub) = &args.hub {
            upload(hub, args.token.as_deref(), &sensor, &indicators).await?;
        }
    }
    let attacks: u64 = summary
        .per_rule
        .iter()
        .filter(|(r, _)| Rule::from_code(r).is_some_and(Rule::is_attack))
        .map(|(_, n)| n)
        .sum();
    if failed > 0 {
        return Ok(ExitCode::from(2));
    }
    if args.fail_on_hit && attacks > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn indicator_json(i: &Indicator) -> serde_json::Value {
    let mut example = i.example.as_str();
    if example.len() > vigilo_store::sightings::MAX_EXAMPLE {
        let mut end = vigilo_store::sightings::MAX_EXAMPLE;
        while !example.is_char_boundary(end) {
            end -= 1;
        }
        example = &example[..end];
    }
    json!({
        "kind": i.observable.kind.as_str(),
        "value": i.observable.value,
        "role": i.role.as_str(),
        "rules": i.rules,
        "count": i.count,
        "first_seen": i.first_seen.map(|t| t.to_string()),
        "last_seen": i.last_seen.map(|t| t.to_string()),
        "example": example,
    })
}

/// Indicators per request: the hub takes bodies up to 1 MiB.
const UPLOAD_CHUNK: usize = 500;

async fn upload(
    hub: &str,
    token: Option<&str>,
    sensor: &str,
    indicators: &[Indicator],
) -> Result<()> {
    let url = format!("{}/api/sightings", hub.trim_end_matches('/'));
    let client = client(token)?;
    // What the hub would refuse (a host that is no valid domain name, say)
    // is left out here and named, so that one odd value does not lose the rest.
    let mut valid = Vec::with_capacity(indicators.len());
    for i in indicators {
        match vigilo_store::sightings::normalize_value(i.observable.kind, &i.observable.value) {
            Ok(_) => valid.push(i),
            Err(why) => {
                let mut err = io::stderr().lock();
                let _ = writeln!(
                    err,
                    "not uploaded: {} {}: {why}",
                    i.observable.kind, i.observable.value
                );
            }
        }
    }
    let mut sent = 0usize;
    for chunk in valid.chunks(UPLOAD_CHUNK) {
        let body = json!({
            "sensor": sensor,
            "indicators": chunk.iter().map(|i| indicator_json(i)).collect::<Vec<_>>(),
        });
        let resp = client
            .post(&url)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {url}: {status}: {text}");
        }
        sent += chunk.len();
    }
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "uploaded {sent} indicator(s) from {sensor} to {url}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn a_gzip_bomb_is_stopped_and_named() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'a'; 8 << 20]).unwrap();
        let gz = enc.finish().unwrap();
        let compressed = std::rc::Rc::new(std::cell::Cell::new(0));
        let counted = Counted {
            inner: &gz[..],
            read: compressed.clone(),
        };
        let mut bounded = Bounded {
            inner: flate2::read::MultiGzDecoder::new(counted),
            compressed,
            out: 0,
            ratio: 100,
            allowance: 1 << 20,
            name: "bomb.gz".into(),
        };
        let mut sink = Vec::new();
        let err = bounded.read_to_end(&mut sink).unwrap_err();
        assert!(
            err.to_string().contains("bomb.gz") && err.to_string().contains("decompression bomb"),
            "{err}"
        );
        assert!(sink.len() < 8 << 20);
    }

    #[test]
    fn callback_hosts_drop_their_lookups() {
        assert_eq!(
            callback_observable("${env:AWS_SECRET_ACCESS_KEY}.evil.example").map(|o| o.value),
            Some("evil.example".into())
        );
        assert_eq!(callback_observable("${env:X}").map(|o| o.value), None);
        assert_eq!(
            callback_observable("198.51.100.7").map(|o| o.kind),
            Some(vigilo_core::indicator::ObservableKind::Ipv4Addr)
        );
    }
}
