//! PEP 440 against Python's `packaging` (`tests/reference/pep440_ref.py`):
//! parse agreement and canonical forms, pairwise comparisons, full sorts, on
//! generated versions (valid, respelled, near-valid, random) and on every
//! PyPI version string of the shared OSV data.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngSeed, TestRng, TestRunner};
use vigilo_version::pep440::Version;
use vigilo_version::{Ecosystem, Scheme};

use crate::support;

const WHAT: &str = "Python packaging (python3 -m pip install packaging)";

// ---------------------------------------------------------------------------
// The reference

/// Runs `pep440_ref.py MODE` with one JSON value per line.
fn reference(mode: &str, lines: &[String]) -> Option<Vec<String>> {
    let python = std::env::var("VIGILO_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let script = support::reference_file("pep440_ref.py");
    let mut input = String::new();
    for line in lines {
        input.push_str(line);
        input.push('\n');
    }
    let script = script.to_str().expect("the script path is UTF-8");
    let out = support::run_reference(WHAT, &python, &[script, mode], &input)?;
    Some(out.lines().map(str::to_owned).collect())
}

/// A JSON string literal (ASCII only, so no line separator survives raw).
fn json(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
    out
}

fn hash_of(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Panics listing (up to 25 of) the disagreements; else reports the count.
#[allow(clippy::print_stderr)] // the count shows with --nocapture
fn assert_none(what: &str, total: usize, failures: &[String]) {
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(25).map(String::as_str).collect();
        panic!(
            "{what}: {} of {total} disagree with packaging:\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
    eprintln!("{what}: {total} agree with packaging");
}

/// Checks that vigilo accepts exactly what packaging accepts and writes the
/// same canonical form; returns the accepted inputs.
fn check_parse(what: &str, inputs: &[String]) -> Option<Vec<String>> {
    let lines: Vec<String> = inputs.iter().map(|s| json(s)).collect();
    let answers = reference("parse", &lines)?;
    assert_eq!(answers.len(), inputs.len(), "one answer per input");
    let mut failures = Vec::new();
    let mut valid = Vec::new();
    for (input, answer) in inputs.iter().zip(&answers) {
        let ours = Version::parse(input);
        match (answer.strip_prefix("ok\t"), &ours) {
            (Some(canonical), Ok(v)) => {
                if v.normalized() != canonical {
                    failures.push(format!(
                        "{input:?}: packaging writes {canonical:?}, vigilo {:?}",
                        v.normalized()
                    ));
                }
                valid.push(input.clone());
            }
            (None, Err(_)) => {}
            (Some(canonical), Err(e)) => failures.push(format!(
                "{input:?}: packaging accepts ({canonical:?}), vigilo rejects: {}",
                e.reason
            )),
            (None, Ok(v)) => failures.push(format!(
                "{input:?}: packaging rejects, vigilo accepts ({:?})",
                v.normalized()
            )),
        }
    }
    assert_none(what, inputs.len(), &failures);
    Some(valid)
}

/// Checks that sorting `inputs` (all valid) gives packaging's order, up to
/// the order among equal versions: both sides' dense ranks must match, and
/// versions of one rank must hash alike.
fn check_sort(what: &str, inputs: &[String]) {
    let lines: Vec<String> = inputs.iter().map(|s| json(s)).collect();
    let Some(answers) = reference("rank", &lines) else {
        return;
    };
    let theirs: Vec<usize> = answers.iter().map(|r| r.parse().expect("rank")).collect();
    assert_eq!(theirs.len(), inputs.len(), "one rank per input");

    let parsed: Vec<Version> = inputs
        .iter()
        .map(|s| Version::parse(s).expect("valid"))
        .collect();
    let mut order: Vec<usize> = (0..parsed.len()).collect();
    order.sort_by(|&a, &b| parsed[a].cmp(&parsed[b]));
    let mut ours = vec![0; parsed.len()];
    let mut rank = 0;
    for (n, w) in order.iter().enumerate() {
        if n > 0 && parsed[order[n - 1]] != parsed[*w] {
            rank += 1;
        }
        ours[*w] = rank;
        if n > 0 && parsed[order[n - 1]] == parsed[*w] {
            assert_eq!(hash_of(&parsed[order[n - 1]]), hash_of(&parsed[*w]));
        }
    }
    let mut failures = Vec::new();
    for (n, &i) in order.iter().enumerate() {
        if ours[i] != theirs[i] {
            let around: Vec<String> = order[n.saturating_sub(2)..(n + 3).min(order.len())]
                .iter()
                .map(|&j| format!("{:?}(ours {}, packaging {})", inputs[j], ours[j], theirs[j]))
                .collect();
            failures.push(format!("{:?}: {}", inputs[i], around.join(" ")));
        }
    }
    let classes = ours.iter().max().map_or(0, |m| m + 1);
    assert_none(
        &format!("{what} (sorted, {classes} distinct)"),
        inputs.len(),
        &failures,
    );
}

// ---------------------------------------------------------------------------
// Generators

/// `n` values of `strategy`, from a fixed seed (or `PROPTEST_RNG_SEED`); `PROPTEST_CASES` scales the
/// big batches (`scaled`), never the small ones that are squared.
fn generate<S: Strategy>(strategy: S, n: u32, scaled: bool) -> Vec<S::Value> {
    let config = support::proptest_config(n);
    let cases = if scaled { config.cases } else { n };
    // A fixed seed, unless PROPTEST_RNG_SEED names another one.
    let mut runner = match config.rng_seed {
        RngSeed::Fixed(_) => TestRunner::new(config),
        RngSeed::Random => {
            let algorithm = config.rng_algorithm;
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(algorithm))
        }
    };
    (0..cases)
        .map(|_| strategy.new_tree(&mut runner).expect("generate").current())
        .collect()
}

/// The meaning of a version, to be written out in many spellings.
#[derive(Debug, Clone)]
struct Spec {
    epoch: Option<String>,
    release: Vec<String>,
    /// 0 = a, 1 = b, 2 = rc.
    pre: Option<(u8, Option<String>)>,
    post: Option<Option<String>>,
    dev: Option<Option<String>>,
    local: Option<Vec<String>>,
}

/// Numbers: mostly small (so versions collide and tie-breaks matter), some
/// with leading zeros, some at and beyond 64 bits.
fn number() -> BoxedStrategy<String> {
    prop_oneof![
        12 => (0u32..4).prop_map(|n| n.to_string()),
        4 => (0u32..30).prop_map(|n| n.to_string()),
        1 => "0{1,3}[0-9]{1,2}",
        1 => "[1-9][0-9]{15,22}",
        1 => "[0-9]{30,45}",
        1 => prop::sample::select(vec![
            "999999999999999999",
            "1000000000000000000",
            "18446744073709551615",
            "18446744073709551616",
            "000000000000000000000000000001",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn local_segment() -> BoxedStrategy<String> {
    prop_oneof![
        2 => number(),
        2 => "[a-z]{1,3}",
        1 => "[a-zA-Z0-9]{1,12}",
        1 => prop::sample::select(vec!["ubuntu", "UBUNTU", "deb", "abcdefgh", "abcdefghi", "0a", "a0", "git", "g1234abc"]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::option::weighted(0.1, number()),
        prop::collection::vec(number(), 1..6),
        prop::option::weighted(0.35, (0u8..3, prop::option::weighted(0.8, number()))),
        prop::option::weighted(0.25, prop::option::weighted(0.8, number())),
        prop::option::weighted(0.25, prop::option::weighted(0.8, number())),
        prop::option::weighted(0.2, prop::collection::vec(local_segment(), 1..5)),
    )
        .prop_map(|(epoch, release, pre, post, dev, local)| Spec {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
}

/// A small deterministic generator for spelling choices.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    /// `word` with each letter upper-cased now and then (or all of it).
    fn case(&mut self, word: &str) -> String {
        match self.below(6) {
            0 => word.to_ascii_uppercase(),
            1 => word
                .chars()
                .map(|c| {
                    if self.chance(50) {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect(),
            _ => word.to_owned(),
        }
    }
    fn separator(&mut self) -> &'static str {
        self.pick(&["", "", "", ".", "-", "_"])
    }
    fn number(&mut self, n: &str) -> String {
        if self.chance(10) {
            format!("{}{n}", "0".repeat(1 + self.below(2)))
        } else {
            n.to_owned()
        }
    }
}

const SPACES: &[&str] = &[
    " ", "\t", "\n", "\r\n", "\u{b}", "\u{c}", "\u{1c}", "\u{1f}", "\u{85}", "\u{a0}", "\u{2003}",
    "\u{2028}", "\u{3000}",
];

/// Writes `spec` in one of its many equivalent spellings.
fn render(spec: &Spec, seed: u64) -> String {
    let mut d = Dice(seed);
    let mut out = String::new();
    if d.chance(5) {
        out.push_str(d.pick(SPACES));
    }
    if d.chance(15) {
        out.push_str(d.pick(&["v", "V"]));
    }
    match &spec.epoch {
        Some(e) => {
            out.push_str(&d.number(e));
            out.push('!');
        }
        None if d.chance(5) => out.push_str("0!"),
        None => {}
    }
    let release: Vec<String> = spec.release.iter().map(|n| d.number(n)).collect();
    out.push_str(&release.join("."));
    if d.chance(10) {
        for _ in 0..=d.below(2) {
            out.push_str(".0");
        }
    }
    if let Some((kind, n)) = &spec.pre {
        let spellings: &[&str] = match kind {
            0 => &["a", "alpha"],
            1 => &["b", "beta"],
            _ => &["rc", "c", "pre", "preview"],
        };
        out.push_str(d.separator());
        let word = d.pick(spellings);
        out.push_str(&d.case(word));
        number_part(&mut d, &mut out, n.as_deref());
    }
    if let Some(n) = &spec.post {
        match n {
            Some(n) if d.chance(30) => {
                out.push('-');
                out.push_str(&d.number(n));
            }
            _ => {
                out.push_str(d.separator());
                let word = d.pick(&["post", "post", "rev", "r"]);
                out.push_str(&d.case(word));
                number_part(&mut d, &mut out, n.as_deref());
            }
        }
    }
    if let Some(n) = &spec.dev {
        out.push_str(d.separator());
        out.push_str(&d.case("dev"));
        number_part(&mut d, &mut out, n.as_deref());
    }
    if let Some(local) = &spec.local {
        out.push('+');
        for (i, segment) in local.iter().enumerate() {
            if i > 0 {
                out.push_str(d.pick(&[".", ".", "-", "_"]));
            }
            let segment = if segment.bytes().all(|c| c.is_ascii_digit()) {
                d.number(segment)
            } else {
                d.case(segment)
            };
            out.push_str(&segment);
        }
    }
    if d.chance(5) {
        out.push_str(d.pick(SPACES));
    }
    out
}

/// The optional separator and number after a pre/post/dev letter; an
/// implicit 0 is sometimes written out, sometimes left with a dangling
/// separator (`1.0a.`).
fn number_part(d: &mut Dice, out: &mut String, n: Option<&str>) {
    match n {
        Some(n) => {
            out.push_str(d.separator());
            out.push_str(&d.number(n));
        }
        None => match d.below(8) {
            0 => out.push_str(d.pick(&[".", "-", "_"])),
            1 => {
                out.push_str(d.separator());
                out.push('0');
            }
            _ => {}
        },
    }
}

/// A version in a random spelling.
fn version() -> impl Strategy<Value = String> {
    (spec(), any::<u64>()).prop_map(|(spec, seed)| render(&spec, seed))
}

/// Characters that turn a valid version into a nearly valid one.
const NOISE: &[&str] = &[
    ".", "-", "_", "+", "!", "v", "V", "a", "b", "c", "r", "e", "p", "o", "s", "t", "l", "h", "i",
    "w", "d", "z", "A", "R", "D", "0", "1", "9", " ", "~", "*", "/", ",", "\u{a0}", "\u{200b}",
    "\u{131}", "\u{130}", "\u{212a}", "\u{17f}", "\u{660}", "\u{ff11}", "é",
];

/// A version with one to three random edits (insert, delete, replace, or
/// a near-miss word spliced in).
fn near_valid() -> impl Strategy<Value = String> {
    let edit = (
        0u8..4,
        any::<prop::sample::Index>(),
        prop::sample::select(NOISE),
        prop::sample::select(vec![
            "alph", "bet", "prev", "previeww", "rcc", "cr", "ab", "pst", "po", "re", "rv", "de",
            "devel", "final", "ga", "..", "--", "+.", "!!", "p1", "m2", "_-",
        ]),
    );
    (version(), prop::collection::vec(edit, 1..4)).prop_map(|(v, edits)| {
        let mut chars: Vec<String> = v.chars().map(String::from).collect();
        for (kind, at, noise, word) in edits {
            let i = at.index(chars.len() + 1);
            match kind {
                0 => chars.insert(i, noise.to_owned()),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                2 if i < chars.len() => chars[i] = noise.to_owned(),
                _ => chars.insert(i, word.to_owned()),
            }
        }
        chars.concat()
    })
}

/// Short strings over the version alphabet, and anything at all.
fn random() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ vV0-9aAbBcCdDeEpPrRsStTlLoOhHwW.!+_-]{0,12}",
        1 => "[0-9.]{0,8}",
        1 => "\\PC{0,8}",
    ]
}

/// Hand-picked edge cases, valid and invalid.
const EDGES: &[&str] = &[
    "",
    " ",
    "v",
    "V",
    "vv1",
    "v1",
    "V1.0",
    " v1 ",
    "v 1",
    "1",
    "0",
    "00",
    "0.0",
    "1.",
    ".1",
    "1..2",
    "1!",
    "!1",
    "1!2",
    "1!2!3",
    "0!0",
    "01!01",
    "1.0a",
    "1.0a.",
    "1.0a-",
    "1.0a_",
    "1.0a..",
    "1.0a.1",
    "1.0-a-1",
    "1.0alpha",
    "1.0alph",
    "1.0ab",
    "1.0a1b2",
    "1.0-",
    "1.0-1",
    "1.0-0",
    "1.0--1",
    "1.0-1-1",
    "1.0-r",
    "1.0-r-",
    "1.0_post",
    "1.0.post.",
    "1.0post-dev",
    "1.0-1-dev",
    "1.0-1.dev1",
    "1.0.dev",
    "1.0dev",
    "1.0.dev.",
    "1.0.dev-",
    "1.0.dev1.post1",
    "1.0.post1a1",
    "1.0pre",
    "1.0prev",
    "1.0preview",
    "1.0prevıew",
    "1.0previewS",
    "1.0c",
    "1.0rc",
    "1.0r",
    "1.0re",
    "1.0rev",
    "1.0revs",
    "1.0+",
    "1.0+a",
    "1.0+a.",
    "1.0+.a",
    "1.0+a..b",
    "1.0+a+b",
    "1.0+ABC",
    "1.0+a_b-c.d",
    "1.0+0",
    "1.0+00",
    "1.0+01.a",
    "+1.0",
    "1.0+ubuntu-1",
    "1.0+ubuntu.1",
    "\t1.0\n",
    "\u{a0}1.0",
    "1.0\u{2003}",
    "\u{1c}1.0\u{1d}",
    "1.0\u{200b}",
    "\u{feff}1.0",
    "1.0\u{180e}",
    "١.٠",
    "１.０",
    "1.0\u{0}",
    "1.0\r",
    "99999999999999999999",
    "1.99999999999999999999",
    "99999999999999999999!1",
    "1.0a99999999999999999999",
    "1.0+99999999999999999999",
    "1.0.0.0.0.0.0.0.0.0.0.0.0.1",
    "0.0.0.0.0",
    "1.0-final",
    "1.0.x",
    "0x1",
    "1_000",
    "-1",
    "a1",
    "2013-08-12",
    "2013-08-12T21:48:56+0200",
    "0.3.2f.dev",
    "1.0beta6.1",
    "3.0.0b3-",
    "1.0dev456",
    "1.0.RC1",
    "1.0RC",
    "1.0.POST",
    "1.0.DEV",
    "1.0+Ubuntu",
    "1.0-Beta-2",
    "1.0c.1",
    "1.0-preview-2",
];

fn generated_inputs() -> Vec<String> {
    let mut inputs: Vec<String> = EDGES.iter().map(|s| (*s).to_owned()).collect();
    inputs.extend(generate(version(), 3000, true));
    inputs.extend(generate(near_valid(), 3000, true));
    inputs.extend(generate(random(), 1500, true));
    inputs
}

// ---------------------------------------------------------------------------
// Tests on generated versions

#[test]
fn packaging_is_the_reference() {
    let Some(info) = reference("info", &[]) else {
        return;
    };
    eprintln!("packaging {}", info.join(""));
}

#[test]
fn generated_parse_and_canonical_form_agree() {
    let inputs = generated_inputs();
    let Some(valid) = check_parse("generated versions", &inputs) else {
        return;
    };
    // The generators must exercise both sides.
    assert!(valid.len() > inputs.len() / 3, "{} valid", valid.len());
    assert!(valid.len() < inputs.len() * 9 / 10, "{} valid", valid.len());
}

/// Pairs that often mean the same or nearly the same version: one spec in
/// two spellings, or a spec and a small change of it.
fn pair() -> impl Strategy<Value = (String, String)> {
    let tweak = (0u8..8, number());
    (spec(), any::<u64>(), any::<u64>(), tweak, version()).prop_map(
        |(spec, s1, s2, (what, n), other)| {
            let a = render(&spec, s1);
            let mut t = spec.clone();
            match what {
                0 => return (a, render(&spec, s2)),
                1 => return (a, other),
                2 => t.release.push(n),
                3 => t.pre = Some((u8::try_from(n.len() % 3).unwrap_or(0), Some(n))),
                4 => t.post = Some(Some(n)),
                5 => t.dev = if t.dev.is_some() { None } else { Some(Some(n)) },
                6 => t.local.get_or_insert_with(Vec::new).push(n),
                _ => t.epoch = None,
            }
            (a, render(&t, s2))
        },
    )
}

#[test]
fn generated_pairs_compare_as_packaging() {
    let mut pairs = generate(pair(), 6000, true);
    // Add every ordered pair of a few hundred edge and generated versions.
    let mut small: Vec<String> = EDGES
        .iter()
        .filter(|s| Version::parse(s).is_ok())
        .map(|s| (*s).to_owned())
        .collect();
    small.extend(generate(version(), 60, false));
    for a in &small {
        for b in &small {
            pairs.push((a.clone(), b.clone()));
        }
    }
    // Near-valid inputs that happen to be valid pair with their neighbours too.
    let lucky: Vec<String> = generate(near_valid(), 2000, true)
        .into_iter()
        .filter(|s| Version::parse(s).is_ok())
        .collect();
    for w in lucky.windows(2) {
        pairs.push((w[0].clone(), w[1].clone()));
    }
    // All pairs must be valid for the comparison; invalid ones were checked
    // by the parse test.
    pairs.retain(|(a, b)| Version::parse(a).is_ok() && Version::parse(b).is_ok());

    let lines: Vec<String> = pairs
        .iter()
        .map(|(a, b)| format!("[{},{}]", json(a), json(b)))
        .collect();
    let Some(answers) = reference("cmp", &lines) else {
        return;
    };
    assert_eq!(answers.len(), pairs.len());
    let mut failures = Vec::new();
    let mut equal = 0;
    for ((a, b), answer) in pairs.iter().zip(&answers) {
        let (va, vb) = (Version::parse(a).expect("a"), Version::parse(b).expect("b"));
        let ours = match va.cmp(&vb) {
            std::cmp::Ordering::Less => "-1",
            std::cmp::Ordering::Equal => "0",
            std::cmp::Ordering::Greater => "1",
        };
        if ours == "0" {
            equal += 1;
            assert_eq!(hash_of(&va), hash_of(&vb), "{a:?} == {b:?} must hash alike");
        }
        if ours != answer {
            failures.push(format!("{a:?} vs {b:?}: packaging {answer}, vigilo {ours}"));
        }
    }
    assert_none(
        &format!("generated pairs ({equal} equal)"),
        pairs.len(),
        &failures,
    );
}

#[test]
fn generated_sort_agrees() {
    let mut inputs = generate(version(), 4000, true);
    inputs.extend(
        EDGES
            .iter()
            .filter(|s| Version::parse(s).is_ok())
            .map(|s| (*s).to_owned()),
    );
    check_sort("generated versions", &inputs);
}

// ---------------------------------------------------------------------------
// The OSV corpus

#[test]
fn osv_pypi_versions_parse_and_sort_as_packaging() {
    let Some(data) = support::shared_data() else {
        eprintln!("skipping: no shared data folder");
        return;
    };
    let dir = data.join("osv");
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let doc = if file.extension().is_some_and(|e| e == "json") {
            Json::new(&text)
                .document()
                .unwrap_or_else(|| panic!("{}: not JSON", file.display()))
        } else {
            yaml(&text)
                .unwrap_or_else(|| panic!("{}: YAML this reader cannot follow", file.display()))
        };
        pypi_versions(&doc, file, &mut found);
    }
    if found.is_empty() {
        eprintln!("skipping: no PyPI records under {}", dir.display());
        return;
    }
    let unique: BTreeSet<&str> = found.iter().map(|(_, _, v)| v.as_str()).collect();
    eprintln!(
        "OSV PyPI: {} version strings ({} distinct) in {} files",
        found.len(),
        unique.len(),
        files.len()
    );
    let unique: Vec<String> = unique.into_iter().map(str::to_owned).collect();

    // Parse agreement: vigilo rejects exactly what packaging rejects.
    let Some(valid) = check_parse("OSV PyPI versions", &unique) else {
        return;
    };
    // Report the invalid ones (packaging rejects them too): version, where
    // it occurs first, how often.
    let mut rejected: BTreeMap<&str, (&'static str, &Path, usize)> = BTreeMap::new();
    for (file, kind, v) in &found {
        if Version::parse(v).is_err() {
            let name = file.strip_prefix(&dir).unwrap_or(file);
            rejected.entry(v).or_insert((kind, name, 0)).2 += 1;
        }
    }
    let mut report = String::new();
    for (v, (kind, file, count)) in &rejected {
        let _ = writeln!(
            report,
            "  {v:?} ({kind}, {count}×, first in {})",
            file.display()
        );
    }
    eprintln!(
        "{} distinct OSV PyPI versions are invalid under PEP 440; packaging rejects them too:\n{report}",
        rejected.len()
    );
    check_sort("OSV PyPI versions", &valid);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
        {
            out.push(path);
        }
    }
}

/// A parsed JSON or YAML document, as far as these tests need one.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    Scalar(String),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items) => items,
            _ => &[],
        }
    }
    fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// Every version string of PyPI packages in an OSV record: the events of
/// `ECOSYSTEM` ranges and the `versions` lists (`GIT` ranges hold commits).
fn pypi_versions(doc: &Node, file: &Path, out: &mut Vec<(PathBuf, &'static str, String)>) {
    for affected in doc.get("affected").map_or(&[][..], Node::items) {
        let ecosystem = affected
            .get("package")
            .and_then(|p| p.get("ecosystem"))
            .and_then(Node::text)
            .unwrap_or("");
        if Ecosystem::parse(ecosystem).scheme() != Some(Scheme::Pep440) {
            continue;
        }
        for range in affected.get("ranges").map_or(&[][..], Node::items) {
            if range.get("type").and_then(Node::text) != Some("ECOSYSTEM") {
                continue;
            }
            for event in range.get("events").map_or(&[][..], Node::items) {
                for kind in ["introduced", "fixed", "last_affected", "limit"] {
                    if let Some(v) = event.get(kind).and_then(Node::text) {
                        out.push((file.to_owned(), kind, v.to_owned()));
                    }
                }
            }
        }
        for v in affected.get("versions").map_or(&[][..], Node::items) {
            if let Some(v) = v.text() {
                out.push((file.to_owned(), "version", v.to_owned()));
            }
        }
    }
}

/// A small JSON parser (strings, numbers and literals become scalars).
struct Json<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Json<'a> {
    fn new(text: &'a str) -> Self {
        Json {
            b: text.as_bytes(),
            i: 0,
        }
    }
    fn document(&mut self) -> Option<Node> {
        let node = self.value()?;
        self.ws();
        (self.i == self.b.len()).then_some(node)
    }
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.b.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }
    fn value(&mut self) -> Option<Node> {
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        entries.push((key, self.value()?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Node::Map(entries))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Node::Seq(items))
            }
            b'"' => self.string().map(Node::Scalar),
            _ => {
                let start = self.i;
                while self
                    .b
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
                {
                    self.i += 1;
                }
                (self.i > start).then(|| {
                    Node::Scalar(String::from_utf8_lossy(&self.b[start..self.i]).into_owned())
                })
            }
        }
    }
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out: Vec<u16> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    let unit = match e {
                        b'n' => u16::from(b'\n'),
                        b't' => u16::from(b'\t'),
                        b'r' => u16::from(b'\r'),
                        b'b' => 8,
                        b'f' => 12,
                        b'u' => {
                            let hex = std::str::from_utf8(self.b.get(self.i..self.i + 4)?).ok()?;
                            self.i += 4;
                            u16::from_str_radix(hex, 16).ok()?
                        }
                        other => u16::from(other),
                    };
                    flush(&mut bytes, &mut out);
                    out.push(unit);
                }
                _ => bytes.push(c),
            }
        }
        flush(&mut bytes, &mut out);
        Some(String::from_utf16_lossy(&out))
    }
}

fn flush(bytes: &mut Vec<u8>, out: &mut Vec<u16>) {
    out.extend(String::from_utf8_lossy(bytes).encode_utf16());
    bytes.clear();
}

/// A small block-YAML reader, enough for OSV records as osv.dev and the
/// advisory databases write them: nested block mappings and sequences
/// (sequences may sit at their key's indentation), plain and quoted
/// scalars (continued on more-indented lines), block scalars (skipped), and
/// flow sequences of simple scalars.
fn yaml(text: &str) -> Option<Node> {
    let lines: Vec<(usize, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let indent = l.len() - l.trim_start_matches(' ').len();
            (indent, l[indent..].trim_end().to_owned())
        })
        .collect();
    let mut reader = Yaml { lines, pos: 0 };
    let node = reader.node(0).unwrap_or(Node::Map(Vec::new()));
    // Everything must have been read: a line left over is YAML this reader
    // does not understand, and its versions would go unchecked.
    (reader.pos == reader.lines.len()).then_some(node)
}

struct Yaml {
    lines: Vec<(usize, String)>,
    pos: usize,
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `key: value` → (key, value) for a mapping line.
fn key_value(content: &str) -> Option<(String, &str)> {
    if content.starts_with(['"', '\'', '[', '{', '|', '>']) || is_item(content) {
        return None;
    }
    let colon = content
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| matches!(content.as_bytes().get(i + 1), None | Some(b' ')))?;
    let key = content[..colon].trim();
    Some((key.to_owned(), content[colon + 1..].trim()))
}

impl Yaml {
    fn peek(&self) -> Option<(usize, &str)> {
        self.lines.get(self.pos).map(|(i, c)| (*i, c.as_str()))
    }

    /// The node whose first line is the current one, at indentation ≥ `min`.
    fn node(&mut self, min: usize) -> Option<Node> {
        let (indent, content) = self.peek()?;
        if indent < min {
            return None;
        }
        if is_item(content) {
            Some(self.seq(indent))
        } else if key_value(content).is_some() {
            Some(self.map(indent))
        } else {
            let first = content.to_owned();
            self.pos += 1;
            Some(Node::Scalar(self.scalar(first, indent)))
        }
    }

    fn seq(&mut self, indent: usize) -> Node {
        let mut items = Vec::new();
        while let Some((i, content)) = self.peek() {
            if i != indent || !is_item(content) {
                break;
            }
            let rest = content.get(1..).unwrap_or("");
            let rest_trimmed = rest.trim_start();
            if rest_trimmed.is_empty() {
                self.pos += 1;
                items.push(self.node(indent + 1).unwrap_or(Node::Scalar(String::new())));
            } else {
                // Re-read the item's content as a line of its own, where it starts.
                let column = indent + 1 + (rest.len() - rest_trimmed.len());
                self.lines[self.pos] = (column, rest_trimmed.to_owned());
                items.push(self.node(column).unwrap_or(Node::Scalar(String::new())));
            }
        }
        Node::Seq(items)
    }

    fn map(&mut self, indent: usize) -> Node {
        let mut entries = Vec::new();
        while let Some((i, content)) = self.peek() {
            if i != indent {
                break;
            }
            let Some((key, value)) = key_value(content) else {
                break;
            };
            let value = value.to_owned();
            self.pos += 1;
            let node = if value.is_empty() {
                match self.peek() {
                    Some((i, c)) if i > indent || (i == indent && is_item(c)) => {
                        self.node(i).unwrap_or(Node::Scalar(String::new()))
                    }
                    _ => Node::Scalar(String::new()),
                }
            } else if let Some(flow) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                Node::Seq(
                    flow.split(',')
                        .filter(|item| !item.trim().is_empty())
                        .map(|item| Node::Scalar(decode_scalar(item)))
                        .collect(),
                )
            } else if value.starts_with(['|', '>']) {
                while self.peek().is_some_and(|(i, _)| i > indent) {
                    self.pos += 1;
                }
                Node::Scalar(String::new())
            } else {
                Node::Scalar(self.scalar(value, indent))
            };
            entries.push((key, node));
        }
        Node::Map(entries)
    }

    /// A scalar starting with `first`, continued on lines indented more than
    /// `indent`.
    fn scalar(&mut self, first: String, indent: usize) -> String {
        let mut raw = first;
        let quoted = raw.starts_with(['"', '\'']);
        while self.peek().is_some_and(|(i, c)| {
            i > indent && (quoted || key_value(c).is_none()) && !(quoted && closed(&raw))
        }) {
            let (_, c) = self.peek().unwrap_or((0, ""));
            raw = format!("{raw} {c}");
            self.pos += 1;
        }
        decode_scalar(&raw)
    }
}

/// Whether a quoted scalar's closing quote is in `s`.
fn closed(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some('\'') => {
            while let Some(c) = chars.next() {
                if c == '\'' && chars.clone().next() != Some('\'') {
                    return true;
                }
                if c == '\'' {
                    chars.next();
                }
            }
            false
        }
        Some('"') => {
            while let Some(c) = chars.next() {
                match c {
                    '"' => return true,
                    '\\' => {
                        chars.next();
                    }
                    _ => {}
                }
            }
            false
        }
        _ => true,
    }
}

fn decode_scalar(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if raw.starts_with('"') {
        return Json::new(raw).string().unwrap_or_default();
    }
    // A plain scalar; drop a trailing comment.
    match raw.find(" #") {
        Some(i) => raw[..i].trim_end().to_owned(),
        None => raw.to_owned(),
    }
}

#[test]
fn yaml_reader_reads_osv_shapes() {
    let doc = yaml(
        "id: X-1\ndetails: 'a long''\n  text: with colon''\n  and more'\naffected:\n- package:\n    ecosystem: PyPI\n    name: p\n  ranges:\n  - type: GIT\n    events:\n    - introduced: \"0\"\n    - fixed: abc\n  - type: ECOSYSTEM\n    events:\n      - introduced: '1.0'\n      - fixed: 2.0 # comment\n  versions:\n  - \"1.0\"\n  - 1.5\n  database_specific:\n    note: |\n      - fixed: 9\n- package:\n    ecosystem: npm\n  versions: []\n- package:\n    ecosystem: PyPI\n  versions: [\"3.0\", 3.1]\n",
    )
    .expect("yaml");
    let mut found = Vec::new();
    pypi_versions(&doc, Path::new("x"), &mut found);
    let got: Vec<(&str, &str)> = found.iter().map(|(_, k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        got,
        [
            ("introduced", "1.0"),
            ("fixed", "2.0"),
            ("version", "1.0"),
            ("version", "1.5"),
            ("version", "3.0"),
            ("version", "3.1"),
        ]
    );
    assert_eq!(
        doc.get("details").and_then(Node::text),
        Some("a long' text: with colon' and more")
    );
    let parsed = Json::new(r#"{"a": [1, "x\u00e9\"", {"b": null}], "c": true}"#)
        .document()
        .expect("json");
    assert_eq!(
        parsed.get("a").map(|a| a.items().to_vec()),
        Some(vec![
            Node::Scalar("1".into()),
            Node::Scalar("xé\"".into()),
            Node::Map(vec![("b".into(), Node::Scalar("null".into()))]),
        ])
    );
}
