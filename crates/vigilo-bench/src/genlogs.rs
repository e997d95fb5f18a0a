//! `vigilo-genlogs`: writes a corpus of realistic benign logs for
//! benchmarks, deterministically from a seed.
//!
//! ```text
//! vigilo-genlogs --kind mixed --size 1G --seed 1 -o /tmp/mixed-1g.log
//! ```
//!
//! The lines come from [`vigilo_detect::synth`]: access logs, JSON
//! application logs, syslog and error logs, with harmless `${…}`, `%24`,
//! `\u0024` and `&#36;` at a realistic rate. The output is whole lines, at
//! least `--size` bytes. The rate achieved goes to stderr.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use vigilo_detect::synth::{self, Kind};

#[derive(Debug, Parser)]
#[command(
    name = "vigilo-genlogs",
    about = "Generate realistic benign logs for benchmarks"
)]
struct Args {
    /// Which logs: mixed, access, json, syslog or error.
    #[arg(long, default_value = "mixed", value_parser = parse_kind)]
    kind: Kind,
    /// How much to write: bytes, or with a K, M, G or T suffix (powers of
    /// 1024; `KB`/`KiB` spellings accepted).
    #[arg(long, value_parser = parse_size)]
    size: u64,
    /// The seed: the same seed and kind give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file; `-` or absent for stdout.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse::<Kind>().map_err(|e| e.to_string())
}

/// `123`, `64K`, `1.5G`, `10GiB`, `2 MB`: powers of 1024.
fn parse_size(s: &str) -> Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_uppercase();
    let shift = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        other => bail!("unknown size unit `{other}` in `{s}` (use K, M, G or T)"),
    };
    let value: f64 = number
        .parse()
        .with_context(|| format!("`{s}` is not a size"))?;
    let bytes = value * 2f64.powi(shift);
    if !(0.0..=1e18).contains(&bytes) {
        bail!("size `{s}` is out of range");
    }
    // Rounding to whole bytes is the intent.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(bytes.round() as u64)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let written = match args.output.as_deref() {
        None => write_to(&args, &mut io::stdout().lock(), "stdout")?,
        Some(p) if p.as_os_str() == "-" => write_to(&args, &mut io::stdout().lock(), "stdout")?,
        Some(path) => {
            let mut file = fs_create(path)?;
            let n = write_to(&args, &mut file, &path.display().to_string())?;
            file.sync_data().ok();
            n
        }
    };
    let secs = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let mb = written as f64 / 1e6;
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "vigilo-genlogs: {written} bytes of {} logs (seed {}) in {secs:.2} s: {:.0} MB/s",
            args.kind,
            args.seed,
            mb / secs.max(1e-9)
        );
    }
    Ok(())
}

fn fs_create(path: &std::path::Path) -> Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))
}

fn write_to(args: &Args, out: &mut impl Write, name: &str) -> Result<u64> {
    synth::write_lines(args.kind, args.seed, args.size, out)
        .with_context(|| format!("writing to {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("123").unwrap(), 123);
        assert_eq!(parse_size("64K").unwrap(), 64 << 10);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("10GiB").unwrap(), 10 << 30);
        assert_eq!(parse_size("1.5m").unwrap(), 3 << 19);
        assert_eq!(parse_size("2 MB").unwrap(), 2 << 20);
        assert_eq!(parse_size("1T").unwrap(), 1 << 40);
        assert!(parse_size("1X").is_err());
        assert!(parse_size("G").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn args() {
        let a = Args::try_parse_from([
            "vigilo-genlogs",
            "--kind",
            "json",
            "--size",
            "1M",
            "-o",
            "x.log",
        ])
        .unwrap();
        assert_eq!((a.kind, a.size, a.seed), (Kind::Json, 1 << 20, 1));
        assert!(
            Args::try_parse_from(["vigilo-genlogs", "--kind", "nginx", "--size", "1M"]).is_err()
        );
    }
}
