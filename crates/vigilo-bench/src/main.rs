//! `vigilo-loadgen`: a small HTTP/1.1 load generator for benchmarking the hub.
//!
//! Two modes:
//!
//! * **Open loop** (`--rate R`, R > 0): requests are *scheduled* at a fixed
//!   rate, evenly spaced (`start + i / R`), whatever the server does, and
//!   handed to whichever of the `--connections` keep-alive connections is
//!   idle. When every connection is busy, scheduled requests queue up, and
//!   latency is measured from each request's **scheduled** send time, not from
//!   when it was actually written: a stalled server is charged for the whole
//!   backlog it caused (the correction for "coordinated omission" that wrk2
//!   popularised). The time from the actual send is reported too, as
//!   "service time"; the gap between the two shows queueing (and the
//!   generator's own scheduling jitter).
//! * **Closed loop** (`--rate 0`): each connection sends its next request as
//!   soon as the previous response is in, for maximum throughput (like wrk);
//!   latency is from the actual send.
//!
//! To steal as little CPU as possible from a server on the same machine, all
//! connections run on one single-threaded tokio runtime. The open-loop
//! schedule comes from a second, mostly sleeping thread: `std::thread::sleep`
//! (an hrtimer, about 50 µs slack) followed by a short busy-wait
//! (`--spin-us`) is far more precise than tokio's 1 ms timer wheel, whose
//! rounding would otherwise add up to a millisecond to every latency measured
//! from a scheduled time. What remains of the generator's own lateness is
//! reported as "send delay" (which also includes waiting for a free
//! connection).
//!
//! Requests scheduled (open loop) or started (closed loop) during `--warmup`
//! are sent but not counted. Latencies go to a log-linear histogram
//! ([`histogram`]) with under 1 % error.

mod histogram;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write as _;
use std::net::SocketAddr;
use std::pin::pin;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use http_body_util::{BodyExt as _, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::histogram::Histogram;

/// Open-loop (fixed-rate, coordinated-omission-corrected) or closed-loop
/// HTTP/1.1 load generator over keep-alive connections.
#[derive(Debug, Parser)]
#[command(name = "vigilo-loadgen", version)]
struct Args {
    /// Target URL (http only), e.g. http://127.0.0.1:8080/api/whoami.
    #[arg(long)]
    url: String,
    /// Extra request header, `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Requests per second to schedule (open loop); 0 for closed loop at
    /// maximum throughput.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before the measurement starts (not counted).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Open loop: microseconds before each scheduled send time at which the
    /// pacer stops sleeping and busy-waits, to cancel the kernel's timer slack
    /// (about 50 µs, plus the wake-up) that would otherwise be added to every
    /// latency. Capped at a tenth of the interval between requests, so that
    /// it never costs more than 10 % of a core; 0 to never busy-wait.
    #[arg(long, default_value_t = 100)]
    spin_us: u64,
    /// Seconds to wait, after the last scheduled request, for responses still
    /// due; what is still missing then is reported as timed out (or unsent).
    #[arg(long, default_value_t = 5.0)]
    drain_timeout: f64,
    /// A file of request paths (`/path?query`), one a line, sent in turn
    /// (round robin over every connection) instead of the `--url`'s path;
    /// `--url` still names the server. Empty lines and `#` comments are
    /// skipped.
    #[arg(long, value_name = "FILE")]
    paths_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Where and what to send.
#[derive(Debug)]
struct Target {
    addr: SocketAddr,
    path: Uri,
    headers: HeaderMap,
    /// `--paths-file`: paths sent in turn instead of `path`.
    paths: Vec<Uri>,
    /// The index of the next of `paths` (one thread: a `Cell` is enough).
    next_path: std::cell::Cell<usize>,
}

impl Target {
    async fn resolve(url: &str, extra: &[String]) -> Result<Target> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("invalid URL {url:?}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            other => bail!("only http:// URLs are supported (got scheme {other:?})"),
        }
        let authority = uri.authority().context("the URL has no host")?.clone();
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((host, port))
            .await
            .with_context(|| format!("resolving {host}"))?
            .next()
            .with_context(|| format!("{host} has no address"))?;
        let path: Uri = uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .context("invalid path")?;
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(authority.as_str())?);
        for h in extra {
            let (name, value) = h
                .split_once(':')
                .with_context(|| format!("header {h:?} is not `Name: value`"))?;
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .with_context(|| format!("invalid header name in {h:?}"))?;
            let value = HeaderValue::from_str(value.trim())
                .with_context(|| format!("invalid header value in {h:?}"))?;
            headers.insert(name, value);
        }
        Ok(Target {
            addr,
            path,
            headers,
            paths: Vec::new(),
            next_path: std::cell::Cell::new(0),
        })
    }

    /// Sends `paths` in turn instead of the URL's path.
    fn with_paths(mut self, text: &str) -> Result<Target> {
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let p: Uri = line
                .parse()
                .with_context(|| format!("invalid path {line:?}"))?;
            if p.scheme().is_some() || !line.starts_with('/') {
                bail!("{line:?} is not a path (`/…`)");
            }
            self.paths.push(p);
        }
        if self.paths.is_empty() {
            bail!("the paths file names no path");
        }
        Ok(self)
    }

    /// The path of the next request.
    fn next_path(&self) -> Uri {
        if self.paths.is_empty() {
            return self.path.clone();
        }
        let i = self.next_path.get();
        self.next_path.set((i + 1) % self.paths.len());
        self.paths[i].clone()
    }

    fn request(&self) -> Request<Empty<Bytes>> {
        let mut req = Request::new(Empty::new());
        *req.uri_mut() = self.next_path();
        *req.headers_mut() = self.headers.clone();
        req
    }
}

type Sender = SendRequest<Empty<Bytes>>;

/// Opens one keep-alive connection; its I/O is driven by a local task.
async fn connect(target: &Target) -> Result<Sender> {
    let stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(async move {
        // Errors surface on the sender side too; nothing more to do here.
        let _ = conn.await;
    });
    Ok(sender)
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A response came; its status code.
    Status(u16),
    /// Connecting, writing or reading failed.
    Io,
}

/// Sends one request on `conn` (reconnecting first if it is closed) and
/// reads the whole response body.
async fn round_trip(target: &Target, conn: &mut Option<Sender>) -> Outcome {
    let mut sender = match conn.take() {
        Some(s) if !s.is_closed() => s,
        _ => match connect(target).await {
            Ok(s) => s,
            Err(_) => return Outcome::Io,
        },
    };
    let result = async {
        sender.ready().await?;
        let resp = sender.send_request(target.request()).await?;
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        while let Some(frame) = body.frame().await {
            frame?;
        }
        Ok::<_, hyper::Error>(status)
    }
    .await;
    match result {
        Ok(status) => {
            *conn = Some(sender);
            Outcome::Status(status)
        }
        Err(_) => Outcome::Io,
    }
}

/// Counters and histograms of the measured requests.
#[derive(Debug, Default)]
struct Stats {
    /// Requests sent (measured ones only).
    sent: u64,
    /// Responses received, whatever their status.
    completed: u64,
    /// Responses with a status outside 200..=299.
    status_errors: u64,
    /// Connection, write or read failures.
    io_errors: u64,
    /// Latency in nanoseconds: from the scheduled send time (open loop) or the
    /// actual one (closed loop) to the end of the response.
    latency: Histogram,
    /// From the actual send to the end of the response.
    service: Histogram,
    /// Open loop: from the scheduled send time to the actual send (queueing
    /// for a free connection, and the generator's own lateness).
    send_delay: Histogram,
}

impl Stats {
    fn record(&mut self, outcome: Outcome, latency: Duration, service: Duration) {
        match outcome {
            Outcome::Status(s) => {
                self.completed += 1;
                if !(200..300).contains(&s) {
                    self.status_errors += 1;
                }
                self.latency.record(nanos(latency));
                self.service.record(nanos(service));
            }
            Outcome::Io => self.io_errors += 1,
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The open-loop schedule, filled by the pacer thread.
#[derive(Debug, Default)]
struct Schedule {
    /// Scheduled send times not yet taken by a connection.
    due: Mutex<VecDeque<Instant>>,
    /// Set once the pacer has pushed its last send time.
    finished: AtomicBool,
    /// Signalled for each send time pushed, and at the end.
    notify: Notify,
    /// Send times scheduled inside the measurement window.
    measured: AtomicU64,
}

impl Schedule {
    fn pop(&self) -> Option<Instant> {
        self.due
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }

    fn pending(&self) -> usize {
        self.due
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The next scheduled send time; `None` once the schedule is over.
    async fn next(&self) -> Option<Instant> {
        loop {
            // Register interest before looking, so that a push (or the end)
            // between the look and the wait is not missed.
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            if let Some(t) = self.pop() {
                return Some(t);
            }
            if self.finished.load(Ordering::Acquire) {
                // Everything was pushed before `finished`: look once more.
                return self.pop();
            }
            notified.await;
        }
    }

    /// Pushes send times `start + i / rate` until `end`, each at its time:
    /// sleeps until `spin` before it, then busy-waits (see `--spin-us`).
    fn run_pacer(&self, p: Pacing) {
        let interval = Duration::from_secs_f64(1.0 / p.rate);
        // Never busy-wait more than a tenth of the time.
        let spin = p.spin.min(interval / 10);
        let mut i: u64 = 0;
        loop {
            let at = p.start + Duration::from_secs_f64(i as f64 / p.rate);
            if at >= p.end {
                break;
            }
            let now = Instant::now();
            if at > now + spin {
                std::thread::sleep(at - now - spin);
            }
            while Instant::now() < at {
                std::hint::spin_loop();
            }
            if at >= p.measure_from {
                self.measured.fetch_add(1, Ordering::Relaxed);
            }
            self.due
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_back(at);
            self.notify.notify_one();
            i += 1;
        }
        self.finished.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }
}

/// When the pacer pushes send times.
#[derive(Debug, Clone, Copy)]
struct Pacing {
    start: Instant,
    measure_from: Instant,
    end: Instant,
    rate: f64,
    spin: Duration,
}

/// One connection of the open loop: takes scheduled send times as they come.
async fn open_loop_worker(
    target: Rc<Target>,
    stats: Rc<RefCell<Stats>>,
    schedule: Arc<Schedule>,
    measure_from: Instant,
    mut conn: Option<Sender>,
) {
    while let Some(scheduled) = schedule.next().await {
        let measured = scheduled >= measure_from;
        let sent = Instant::now();
        if measured {
            let mut s = stats.borrow_mut();
            s.sent += 1;
            s.send_delay.record(nanos(sent - scheduled));
        }
        let outcome = round_trip(&target, &mut conn).await;
        let done = Instant::now();
        if measured {
            stats
                .borrow_mut()
                .record(outcome, done - scheduled, done - sent);
        }
    }
}

/// One connection of the closed loop: request after request until `end`.
async fn closed_loop_worker(
    target: Rc<Target>,
    stats: Rc<RefCell<Stats>>,
    measure_from: Instant,
    end: Instant,
    mut conn: Option<Sender>,
) {
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let outcome = round_trip(&target, &mut conn).await;
        let done = Instant::now();
        // Count what started in the window and ended by its end, as wrk does.
        if sent >= measure_from && done <= end {
            let mut s = stats.borrow_mut();
            s.sent += 1;
            s.record(outcome, done - sent, done - sent);
        }
        if outcome == Outcome::Io {
            // Do not spin on a server that refuses connections.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// What a run produced.
#[derive(Debug)]
struct Report {
    stats: Stats,
    /// Open loop: send times scheduled in the measurement window.
    scheduled: Option<u64>,
    /// Open loop: scheduled but never sent before the drain timeout.
    unsent: u64,
    /// Sent but not answered before the drain timeout.
    timed_out: u64,
}

async fn run(args: &Args) -> Result<Report> {
    if !(args.rate >= 0.0 && args.rate.is_finite()) {
        bail!("--rate must be a non-negative number");
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        bail!("--duration must be positive");
    }
    if !(args.warmup >= 0.0 && args.warmup.is_finite()) {
        bail!("--warmup must be non-negative");
    }
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let mut target = Target::resolve(&args.url, &args.headers).await?;
    if let Some(file) = &args.paths_file {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        target = target
            .with_paths(&text)
            .with_context(|| format!("reading {}", file.display()))?;
    }
    let target = Rc::new(target);
    // Connect everything first, so that no measured request pays a handshake.
    let mut conns = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        conns.push(Some(connect(&target).await.with_context(|| {
            format!("connecting to {} ({})", args.url, target.addr)
        })?));
    }
    let stats = Rc::new(RefCell::new(Stats::default()));
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let end = measure_from + Duration::from_secs_f64(args.duration);
    let drain = Duration::from_secs_f64(args.drain_timeout.max(0.0));

    let mut workers = Vec::with_capacity(args.connections);
    let mut schedule = None;
    let mut pacer = None;
    if args.rate > 0.0 {
        let s = Arc::new(Schedule::default());
        let pacing = Pacing {
            start,
            measure_from,
            end,
            rate: args.rate,
            spin: Duration::from_micros(args.spin_us),
        };
        pacer = Some(
            std::thread::Builder::new()
                .name("pacer".into())
                .spawn({
                    let s = s.clone();
                    move || s.run_pacer(pacing)
                })
                .context("starting the pacer thread")?,
        );
        for conn in conns {
            workers.push(tokio::task::spawn_local(open_loop_worker(
                target.clone(),
                stats.clone(),
                s.clone(),
                measure_from,
                conn,
            )));
        }
        schedule = Some(s);
    } else {
        for conn in conns {
            workers.push(tokio::task::spawn_local(closed_loop_worker(
                target.clone(),
                stats.clone(),
                measure_from,
                end,
                conn,
            )));
        }
    }

    let all_done = async {
        for w in &mut workers {
            let _ = w.await;
        }
    };
    let drained = tokio::time::timeout_at((end + drain).into(), all_done)
        .await
        .is_ok();
    if !drained {
        for w in &workers {
            w.abort();
        }
    }
    if let Some(p) = pacer {
        // The pacer stops by itself at `end`, which has passed.
        let _ = p.join();
    }

    let (scheduled, unsent) = match &schedule {
        Some(s) => {
            let scheduled = s.measured.load(Ordering::Relaxed);
            // Only measured send times can remain: the oldest are taken first.
            let left = s.pending() as u64;
            (Some(scheduled), left.min(scheduled))
        }
        None => (None, 0),
    };
    let stats = std::mem::take(&mut *stats.borrow_mut());
    let timed_out = stats.sent.saturating_sub(stats.completed + stats.io_errors);
    Ok(Report {
        stats,
        scheduled,
        unsent,
        timed_out,
    })
}

fn us(nanos: u64) -> f64 {
    (nanos as f64 / 1000.0 * 10.0).round() / 10.0
}

fn summary(h: &Histogram) -> serde_json::Value {
    serde_json::json!({
        "p50": us(h.quantile(0.5)),
        "p90": us(h.quantile(0.9)),
        "p99": us(h.quantile(0.99)),
        "p99_9": us(h.quantile(0.999)),
        "max": us(h.max()),
        "mean": us(h.mean() as u64),
    })
}

fn write_report(args: &Args, r: &Report, out: &mut impl std::io::Write) -> Result<()> {
    let s = &r.stats;
    let achieved = s.completed as f64 / args.duration;
    let errors = s.status_errors + s.io_errors + r.timed_out + r.unsent;
    let open = args.rate > 0.0;
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "mode": if open { "open-loop" } else { "closed-loop" },
                "url": args.url,
                "connections": args.connections,
                "target_rate": args.rate,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "scheduled": r.scheduled,
                "sent": s.sent,
                "completed": s.completed,
                "errors": errors,
                "status_errors": s.status_errors,
                "io_errors": s.io_errors,
                "timed_out": r.timed_out,
                "unsent": r.unsent,
                "achieved_rps": (achieved * 10.0).round() / 10.0,
                "latency_us": summary(&s.latency),
                "service_us": summary(&s.service),
                "send_delay_us": open.then(|| summary(&s.send_delay)),
            });
            writeln!(out, "{v}")?;
        }
        Format::Text => {
            let mode = if open {
                format!("open loop at {} req/s", args.rate)
            } else {
                "closed loop".to_owned()
            };
            writeln!(
                out,
                "{} for {} s ({} s warm-up), {} connections, {mode}",
                args.url, args.duration, args.warmup, args.connections
            )?;
            if let Some(n) = r.scheduled {
                writeln!(out, "  scheduled  {n}")?;
            }
            writeln!(out, "  sent       {}", s.sent)?;
            writeln!(out, "  completed  {}", s.completed)?;
            writeln!(
                out,
                "  errors     {errors} (non-2xx {}, I/O {}, timed out {}, unsent {})",
                s.status_errors, s.io_errors, r.timed_out, r.unsent
            )?;
            writeln!(out, "  achieved   {achieved:.1} req/s")?;
            let from = if open { "scheduled" } else { "actual" };
            write_latency(out, &format!("latency from {from} send"), &s.latency)?;
            if open {
                write_latency(out, "service time (from actual send)", &s.service)?;
                write_latency(out, "send delay (scheduled to actual send)", &s.send_delay)?;
            }
        }
    }
    Ok(())
}

fn write_latency(out: &mut impl std::io::Write, name: &str, h: &Histogram) -> Result<()> {
    writeln!(out, "  {name} (µs):")?;
    writeln!(
        out,
        "    p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  mean {:.1}",
        us(h.quantile(0.5)),
        us(h.quantile(0.9)),
        us(h.quantile(0.99)),
        us(h.quantile(0.999)),
        us(h.max()),
        us(h.mean() as u64),
    )?;
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| tokio::task::LocalSet::new().block_on(&rt, run(&args)))
        .and_then(|report| write_report(&args, &report, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "vigilo-loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn target_parses_url_and_headers() {
        let t = Target::resolve(
            "http://127.0.0.1:8080/api/whoami?x=1",
            &["Authorization: Bearer vgl_x".into(), "X-Test:  a b ".into()],
        )
        .await
        .unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse::<SocketAddr>().unwrap());
        assert_eq!(t.path, "/api/whoami?x=1");
        assert_eq!(t.headers["host"], "127.0.0.1:8080");
        assert_eq!(t.headers["authorization"], "Bearer vgl_x");
        assert_eq!(t.headers["x-test"], "a b");
        let t = Target::resolve("http://127.0.0.1", &[]).await.unwrap();
        assert_eq!(t.addr.port(), 80);
        assert_eq!(t.path, "/");
        assert!(Target::resolve("https://127.0.0.1/", &[]).await.is_err());
        let t = Target::resolve("http://127.0.0.1:1/x", &[])
            .await
            .unwrap()
            .with_paths("/a?p=1\n\n# note\n/b\n")
            .unwrap();
        let sent: Vec<String> = (0..5).map(|_| t.next_path().to_string()).collect();
        assert_eq!(sent, ["/a?p=1", "/b", "/a?p=1", "/b", "/a?p=1"]);
        assert!(
            Target::resolve("http://127.0.0.1:1/x", &[])
                .await
                .unwrap()
                .with_paths("\n# nothing\n")
                .is_err()
        );
        assert!(
            Target::resolve("http://127.0.0.1/", &["nocolon".into()])
                .await
                .is_err()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_pacer_schedules_evenly_and_every_send_time_is_taken_once() {
        let s = Arc::new(Schedule::default());
        let start = Instant::now();
        let pacing = Pacing {
            start,
            measure_from: start + Duration::from_millis(50),
            end: start + Duration::from_millis(200),
            rate: 100.0,
            spin: Duration::from_micros(100),
        };
        let pacer = std::thread::spawn({
            let s = s.clone();
            move || s.run_pacer(pacing)
        });
        let mut taken = Vec::new();
        while let Some(t) = s.next().await {
            assert!(Instant::now() >= t, "handed out before its time");
            taken.push(t);
        }
        pacer.join().unwrap();
        // 200 ms at 100/s: 20 send times, 10 ms apart, 15 of them measured.
        assert_eq!(taken.len(), 20);
        for (i, t) in taken.iter().enumerate() {
            assert_eq!(*t - start, Duration::from_millis(10 * i as u64));
        }
        assert_eq!(s.measured.load(Ordering::Relaxed), 15);
        assert_eq!(s.next().await, None);
    }
}
