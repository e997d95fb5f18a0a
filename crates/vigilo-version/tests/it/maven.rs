//! Maven: `vigilo_version::maven` against `ComparableVersion` from the
//! machine's Maven (`maven-artifact` jar, 3.8.7 on Debian 12), driven by
//! `tests/reference/maven_compare.java` (compiled here with `javac`).
//!
//! `ComparableVersion` is not transitive on some unusual shapes (see the
//! module docs of `vigilo_version::maven`), so no total order matches it on
//! every pair. The tests hold the implementation to this: a direct port of
//! the Java code (the model below) agrees with Java on every pair; our order
//! agrees with Java on every pair except those where Java's own answers form
//! a cycle through the two versions' common prefix, and those are counted.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use vigilo_version::maven::Version;
use vigilo_version::{Ecosystem, Scheme};

use crate::support;

// ---------------------------------------------------------------------------
// The reference

struct Reference {
    classpath: String,
}

fn artifact_jar() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("VIGILO_MAVEN_ARTIFACT_JAR") {
        return Some(PathBuf::from(p));
    }
    let mut dirs = vec![PathBuf::from("/usr/share/maven/lib")];
    // `mvn --version` names Maven's home; its lib/ holds maven-artifact.
    if let Ok(out) = std::process::Command::new("mvn").arg("--version").output() {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(home) = line.strip_prefix("Maven home: ") {
                dirs.push(Path::new(home.trim()).join("lib"));
            }
        }
    }
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.filter_map(Result::ok))
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("maven-artifact") && n.ends_with(".jar"))
        })
}

#[allow(clippy::print_stderr)] // reports the reference and what was compared
fn reference() -> Option<&'static Reference> {
    static REFERENCE: OnceLock<Option<Reference>> = OnceLock::new();
    REFERENCE
        .get_or_init(|| {
            let what = "Maven ComparableVersion (maven-artifact jar, javac, java)";
            let Some(jar) = artifact_jar().filter(|j| j.is_file()) else {
                return support::unavailable(what, "no maven-artifact jar (install Debian's maven, or set VIGILO_MAVEN_ARTIFACT_JAR)");
            };
            let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("maven-reference");
            std::fs::create_dir_all(&classes).expect("creating the class folder");
            let jar = jar.to_str().expect("UTF-8 jar path").to_owned();
            let source = support::reference_file("maven_compare.java");
            support::run_reference(
                what,
                "javac",
                &[
                    "-nowarn",
                    "-cp",
                    &jar,
                    "-d",
                    classes.to_str().expect("UTF-8 path"),
                    source.to_str().expect("UTF-8 path"),
                ],
                "",
            )?;
            let classpath = format!("{}:{jar}", classes.display());
            let reference = Reference { classpath };
            let version = reference.run("version", "")?;
            eprintln!("Maven reference: maven-artifact {} ({jar})", version.trim());
            Some(reference)
        })
        .as_ref()
}

impl Reference {
    fn run(&self, mode: &str, input: &str) -> Option<String> {
        support::run_reference(
            "Maven ComparableVersion",
            "java",
            &["-cp", &self.classpath, "MavenCompare", mode],
            input,
        )
    }

    /// `a.compareTo(b)` for each pair.
    fn compare(&self, pairs: &[(String, String)]) -> Vec<Ordering> {
        let input: String = pairs
            .iter()
            .map(|(a, b)| format!("{} {}\n", hex(a), hex(b)))
            .collect();
        let out = self.run("cmp", &input).expect("reference ran before");
        let res: Vec<Ordering> = out
            .lines()
            .map(|l| match l {
                "-1" => Ordering::Less,
                "0" => Ordering::Equal,
                "1" => Ordering::Greater,
                other => panic!("unexpected reference output {other:?}"),
            })
            .collect();
        assert_eq!(res.len(), pairs.len(), "one answer per pair");
        res
    }

    /// Java's stable sort of `versions`, as indices.
    fn sort(&self, versions: &[String]) -> Vec<usize> {
        let input: String = versions.iter().map(|v| hex(v) + "\n").collect();
        let out = self.run("sort", &input).expect("reference ran before");
        let idx: Vec<usize> = out.lines().map(|l| l.parse().expect("an index")).collect();
        assert_eq!(idx.len(), versions.len());
        idx
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// A direct port of ComparableVersion 3.8.7 (parse, normalize, compareTo),
// item for item, to tell Java's intransitive answers from our mistakes.

mod model {
    use std::cmp::Ordering;

    #[derive(Debug, Clone)]
    pub enum Item {
        /// Kind (0 IntItem, 1 LongItem, 2 BigIntegerItem) and the value's
        /// decimal digits without leading zeros.
        Number(u8, String),
        /// `comparableQualifier` of the qualifier (after the `a1`/`b1`/`m1`
        /// expansion and the aliases), as UTF-16 for `String.compareTo`.
        Str(Vec<u16>),
        List(Vec<Item>),
    }

    const ZEROS: [u32; 37] = [
        0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66,
        0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946,
        0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0,
        0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    ];

    /// `Character.isDigit(char)` with `Character.digit(char, 10)`.
    fn digit(unit: u16) -> Option<u32> {
        let u = u32::from(unit);
        ZEROS.iter().find(|&&z| u >= z && u < z + 10).map(|z| u - z)
    }

    enum Node {
        Leaf(Item),
        List(usize),
    }

    fn parse_item(is_digit: bool, buf: &[u16], followed_by_digit: bool) -> Item {
        if is_digit {
            let first = buf.iter().position(|&c| c != u16::from(b'0'));
            let stripped = first.map_or(buf, |i| &buf[i..]);
            let kind = match stripped.len() {
                0..=9 => 0,
                10..=18 => 1,
                _ => 2,
            };
            let value: String = buf
                .iter()
                .map(|&c| char::from_digit(digit(c).expect("a digit"), 10).expect("0..9"))
                .collect::<String>()
                .trim_start_matches('0')
                .to_owned();
            Item::Number(kind, value)
        } else {
            let mut value = String::from_utf16(buf).expect("whole characters");
            if followed_by_digit && buf.len() == 1 {
                match value.as_str() {
                    "a" => value = "alpha".into(),
                    "b" => value = "beta".into(),
                    "m" => value = "milestone".into(),
                    _ => {}
                }
            }
            match value.as_str() {
                "ga" | "final" | "release" => value.clear(),
                "cr" => value = "rc".into(),
                _ => {}
            }
            Item::Str(comparable(&value))
        }
    }

    pub fn parse(version: &str) -> Item {
        let s: Vec<u16> = version.to_lowercase().encode_utf16().collect();
        let mut lists: Vec<Vec<Node>> = vec![Vec::new()];
        let mut stack = vec![0usize];
        let mut list = 0usize;
        let mut is_digit = false;
        let mut start = 0;
        let zero = || Item::Number(0, String::new());
        let mut new_list = |lists: &mut Vec<Vec<Node>>, list: &mut usize| {
            lists.push(Vec::new());
            let id = lists.len() - 1;
            lists[*list].push(Node::List(id));
            *list = id;
            stack.push(id);
        };
        for i in 0..s.len() {
            let c = s[i];
            if c == u16::from(b'.') || c == u16::from(b'-') {
                let item = if i == start {
                    zero()
                } else {
                    parse_item(is_digit, &s[start..i], false)
                };
                lists[list].push(Node::Leaf(item));
                start = i + 1;
                if c == u16::from(b'-') {
                    new_list(&mut lists, &mut list);
                }
            } else if digit(c).is_some() {
                if !is_digit && i > start {
                    if !lists[list].is_empty() {
                        new_list(&mut lists, &mut list);
                    }
                    lists[list].push(Node::Leaf(parse_item(false, &s[start..i], true)));
                    start = i;
                    new_list(&mut lists, &mut list);
                }
                is_digit = true;
            } else {
                if is_digit && i > start {
                    lists[list].push(Node::Leaf(parse_item(true, &s[start..i], false)));
                    start = i;
                    new_list(&mut lists, &mut list);
                }
                is_digit = false;
            }
        }
        if s.len() > start {
            if !is_digit && !lists[list].is_empty() {
                new_list(&mut lists, &mut list);
            }
            lists[list].push(Node::Leaf(parse_item(is_digit, &s[start..], false)));
        }
        // Normalize in stack order, innermost first.
        while let Some(id) = stack.pop() {
            let mut i = lists[id].len();
            while i > 0 {
                i -= 1;
                let null = match &lists[id][i] {
                    Node::Leaf(item) => is_null(item),
                    Node::List(sub) => lists[*sub].is_empty(),
                };
                if null {
                    lists[id].remove(i);
                } else if matches!(lists[id][i], Node::Leaf(_)) {
                    break;
                }
            }
        }
        build(&mut lists, 0)
    }

    fn build(lists: &mut Vec<Vec<Node>>, id: usize) -> Item {
        let nodes = std::mem::take(&mut lists[id]);
        Item::List(
            nodes
                .into_iter()
                .map(|n| match n {
                    Node::Leaf(item) => item,
                    Node::List(sub) => build(lists, sub),
                })
                .collect(),
        )
    }

    fn is_null(item: &Item) -> bool {
        match item {
            Item::Number(_, v) => v.is_empty(),
            Item::Str(s) => *s == comparable(""),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `StringItem.comparableQualifier`, as UTF-16 for `String.compareTo`.
    fn comparable(q: &str) -> Vec<u16> {
        const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
        match QUALIFIERS.iter().position(|k| *k == q) {
            Some(i) => i.to_string().encode_utf16().collect(),
            None => format!("7-{q}").encode_utf16().collect(),
        }
    }

    fn numeric(a: &str, b: &str) -> Ordering {
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }

    /// `Item.compareTo(Item)`, `None` being Java's `null`.
    pub fn compare(a: &Item, b: Option<&Item>) -> Ordering {
        use Item::*;
        use Ordering::*;
        match (a, b) {
            (Number(_, v), None) => {
                if v.is_empty() {
                    Equal
                } else {
                    Greater
                }
            }
            (Number(ka, va), Some(Number(kb, vb))) => ka.cmp(kb).then_with(|| numeric(va, vb)),
            (Number(..), Some(Str(_) | List(_))) => Greater,
            (Str(s), None) => s.as_slice().cmp(&[u16::from(b'5')][..]),
            (Str(_), Some(Number(..) | List(_))) => Less,
            (Str(x), Some(Str(y))) => x.cmp(y),
            (List(l), None) => l
                .iter()
                .map(|i| compare(i, None))
                .find(|o| o.is_ne())
                .unwrap_or(Equal),
            (List(_), Some(Number(..))) => Less,
            (List(_), Some(Str(_))) => Greater,
            (List(l), Some(List(r))) => {
                for i in 0..l.len().max(r.len()) {
                    let o = match (l.get(i), r.get(i)) {
                        (None, None) => Equal,
                        (None, Some(y)) => compare(y, None).reverse(),
                        (Some(x), y) => compare(x, y),
                    };
                    if o.is_ne() {
                        return o;
                    }
                }
                Equal
            }
        }
    }

    /// The common prefix of two versions' item trees: the items of `a` up
    /// to the first difference, descending into sub-lists that differ.
    pub fn common_prefix(a: &Item, b: &Item) -> Item {
        let (Item::List(l), Item::List(r)) = (a, b) else {
            return Item::List(Vec::new());
        };
        let mut out = Vec::new();
        for (x, y) in l.iter().zip(r) {
            if compare(x, Some(y)).is_eq() {
                out.push(x.clone());
            } else {
                if matches!((x, y), (Item::List(_), Item::List(_))) {
                    out.push(common_prefix(x, y));
                }
                break;
            }
        }
        Item::List(out)
    }
}

/// Whether Java's answers on `a`, `b` and their common prefix `p` form a
/// cycle (`a < p < b < a` or the reverse), so that no total order can
/// agree with all three.
fn java_cycle(a: &model::Item, b: &model::Item) -> bool {
    let p = model::common_prefix(a, b);
    let ab = model::compare(a, Some(b));
    ab.is_ne()
        && model::compare(a, Some(&p)) == ab.reverse()
        && model::compare(&p, Some(b)) == ab.reverse()
}

// ---------------------------------------------------------------------------
// Generators

fn runner(cases: u32) -> (TestRunner, usize) {
    let config = support::proptest_config(cases);
    let n = config.cases as usize;
    let runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    (runner, n)
}

fn draw<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).expect("a value").current()
}

const QUALIFIERS: [&str; 40] = [
    "alpha",
    "Alpha",
    "ALPHA",
    "a",
    "beta",
    "Beta",
    "b",
    "milestone",
    "m",
    "M",
    "rc",
    "RC",
    "cr",
    "CR",
    "snapshot",
    "SNAPSHOT",
    "ga",
    "GA",
    "final",
    "Final",
    "release",
    "RELEASE",
    "sp",
    "SP",
    "jre",
    "android",
    "incubating",
    "dev",
    "pre",
    "preview",
    "redhat",
    "jboss",
    "x",
    "abc",
    "def",
    "pom",
    "c",
    "z",
    "v",
    "",
];

fn any_token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[0-9]{1,3}",
        1 => "0{1,12}[0-9]{0,3}",
        1 => "[1-9][0-9]{7,24}",
        6 => prop::sample::select(&QUALIFIERS[..]).prop_map(str::to_owned),
        2 => "[a-zA-Z]{1,4}",
        1 => prop::sample::select(vec![
            "\u{0663}", "\u{0660}", "\u{FF11}", "\u{0967}", "é", "İ", "ß", "\u{1F600}", "\u{E000}",
            " ", "_", "+", "~", "\u{0}", "\t", "\n",
        ])
        .prop_map(str::to_owned),
    ]
}

fn any_separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", ".", ".", ".", "-", "-", "--", "..", ".-", "-."])
}

/// Anything Maven might be given: numbers, qualifiers, odd characters and
/// separators in any order.
fn any_version() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["", "", "", "", ".", "-", "v"]),
        prop::collection::vec((any_token(), any_separator()), 1..7),
    )
        .prop_map(|(lead, parts)| {
            let mut s = lead.to_owned();
            for (t, sep) in parts {
                s.push_str(&t);
                s.push_str(sep);
            }
            if s.is_empty() { "0".to_owned() } else { s }
        })
}

/// Two versions sharing a prefix, so that they compare deep inside.
fn close_pair() -> impl Strategy<Value = (String, String)> {
    (
        any_version(),
        prop::collection::vec((any_separator(), any_token()), 0..3),
        prop::collection::vec((any_separator(), any_token()), 0..3),
    )
        .prop_map(|(base, x, y)| {
            let ext = |parts: Vec<(&str, String)>| {
                let mut s = base.clone();
                for (sep, t) in parts {
                    s.push_str(sep);
                    s.push_str(&t);
                }
                s
            };
            (ext(x), ext(y))
        })
}

/// Versions as projects write them: numbers, then qualifiers after `-`,
/// attached (`1.0RC1`, `2.1b`) or after `.` at the end (`.RELEASE`).
fn real_version() -> impl Strategy<Value = String> {
    let num = prop_oneof![
        8 => (0u32..20).prop_map(|n| n.to_string()),
        3 => (0u32..1000).prop_map(|n| n.to_string()),
        1 => "0[0-9]{1,2}",
        1 => "[1-9][0-9]{8,20}",
    ];
    let release = prop::collection::vec(num.clone(), 1..5).prop_map(|p| p.join("."));
    let qual = prop::sample::select(&QUALIFIERS[..39]);
    let suffix = prop_oneof![
        4 => Just(String::new()),
        4 => (qual.clone(), prop::sample::select(vec!["-", "-", ""]), prop::option::of(num.clone()), prop::sample::select(vec!["", ".", "-"]))
            .prop_map(|(q, sep, n, nsep)| match n {
                Some(n) => format!("{sep}{q}{nsep}{n}"),
                None => format!("-{q}"),
            }),
        1 => num.clone().prop_map(|n| format!("-{n}")),
        1 => prop::sample::select(vec![".RELEASE", ".Final", ".GA", ".SP1", ".CR2", ".M3", ".jre"]).prop_map(str::to_owned),
        1 => (2000u32..2030, 100000u32..999999, 1u32..30).prop_map(|(y, t, b)| format!("-{y}0101.{t}-{b}")),
        1 => (2000u32..2030).prop_map(|y| format!(".v{y}0101-1200")),
    ];
    let extra = prop::sample::select(vec![
        "",
        "",
        "",
        "",
        "-SNAPSHOT",
        "-redhat-00001",
        "-jre",
        "-1",
    ]);
    (release, suffix, extra).prop_map(|(r, s, e)| format!("{r}{s}{e}"))
}

/// Versions written to probe every rule.
const EDGE_CASES: &[&str] = &[
    "0",
    "1",
    "1.0",
    "1.0.0",
    "1.0.0.0",
    "1-0",
    "1.0-0",
    "1-",
    "1.",
    "1..1",
    "1--1",
    "1.-1",
    "1-.1",
    ".1",
    "-1",
    ".",
    "-",
    "..",
    "1.0.1",
    "1.0.0.1",
    "1.1",
    "1.01",
    "1.001",
    "1.10",
    "1.9",
    "1-1",
    "1-0-1",
    "1-1-1",
    "1.0-1",
    "1-alpha",
    "1-a",
    "1-a1",
    "1a1",
    "1-alpha1",
    "1-alpha-1",
    "1-alpha.1",
    "1.alpha1",
    "1.0.alpha.1",
    "1.ga.1",
    "1.0.ga",
    "1-beta",
    "1-b",
    "1-b2",
    "1b2",
    "1-beta-2",
    "1-milestone",
    "1-m",
    "1-m3",
    "1m3",
    "1-rc",
    "1-cr",
    "1-RC1",
    "1-CR1",
    "1rc1",
    "1.0.0.RC1",
    "1.0.0-RC1",
    "1-snapshot",
    "1-SNAPSHOT",
    "1.0-SNAPSHOT",
    "1-ga",
    "1-GA",
    "1-final",
    "1.Final",
    "1-release",
    "1.RELEASE",
    "1-sp",
    "1-SP1",
    "1.sp.1",
    "1-sp-1",
    "1-abc",
    "1-x",
    "1.x",
    "1x",
    "1.x.1",
    "1-x-1",
    "1-1-snapshot",
    "1-pom-1",
    "1.0-0.alpha",
    "1-0.alpha",
    "1.0-beta.2",
    "1.0-beta2",
    "1.0-beta-2",
    "2.0.a",
    "2.0.0.a",
    "2-1",
    "2.1-a",
    "2.1b",
    "6.1.0rc3",
    "6.1.0",
    "6.1H.5-beta",
    "999999999",
    "1000000000",
    "2147483647",
    "2147483648",
    "999999999999999999",
    "1000000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "1.0000000000",
    "1.0000000000.1",
    "1.0000000000000000000.1",
    "1.000000001",
    "1.0000000001",
    "123456789012345678901234567890",
    "1.\u{0663}",
    "1.\u{0660}\u{0660}3",
    "1-\u{FF11}",
    "1-é",
    "1-İ",
    "1-\u{1F600}",
    "1-\u{E000}",
    "1-ß",
    "1 ",
    " 1",
    "1.0 beta",
    "1_0",
    "1+1",
    "1~1",
    "v1.0",
    "V1",
    "1.0.0.v20200101",
    "3.0.0.M1",
    "5.2.20.RELEASE",
    "2.0-beta7",
    "1.2.3-20230101.120000-1",
];

/// Every Maven version string of the OSV corpus.
fn corpus() -> Option<Vec<String>> {
    let found = osv::versions(|eco| Ecosystem::parse(eco).scheme() == Some(Scheme::Maven))?;
    let mut all: Vec<String> = found.into_iter().map(|v| v.version).collect();
    all.sort();
    all.dedup();
    Some(all)
}

fn parse(s: &str) -> Version {
    Version::parse(s).unwrap_or_else(|e| panic!("{s:?} must parse: {e}"))
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn parses_everything_but_the_empty_string() {
    let (mut runner, n) = runner(3000);
    let strategy = any::<String>();
    for _ in 0..n {
        let s = draw(&mut runner, &strategy);
        assert_eq!(Version::parse(&s).is_ok(), !s.is_empty(), "{s:?}");
    }
    for s in EDGE_CASES {
        parse(s);
    }
}

#[test]
fn pairs_agree_with_comparable_version() {
    let Some(reference) = reference() else { return };
    let (mut runner, n) = runner(3000);
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, a) in EDGE_CASES.iter().enumerate() {
        for b in &EDGE_CASES[i..] {
            pairs.push(((*a).to_owned(), (*b).to_owned()));
        }
    }
    let (any, close) = (any_version(), close_pair());
    for _ in 0..n {
        pairs.push((draw(&mut runner, &any), draw(&mut runner, &any)));
        pairs.push(draw(&mut runner, &close));
    }
    let java = reference.compare(&pairs);

    let mut agree = 0;
    let mut cycles = Vec::new();
    for ((a, b), &expected) in pairs.iter().zip(&java) {
        let (ma, mb) = (model::parse(a), model::parse(b));
        assert_eq!(
            model::compare(&ma, Some(&mb)),
            expected,
            "the model of ComparableVersion is wrong on {a:?} vs {b:?}"
        );
        let ours = parse(a).cmp(&parse(b));
        if ours == expected {
            agree += 1;
        } else {
            assert!(
                java_cycle(&ma, &mb),
                "{a:?} vs {b:?}: ComparableVersion says {expected:?}, we say {ours:?}"
            );
            cycles.push((a, b));
        }
    }
    eprintln!(
        "maven: {} pairs, {agree} agree with ComparableVersion, {} differ where Java's order is cyclic, e.g. {:?}",
        pairs.len(),
        cycles.len(),
        &cycles[..cycles.len().min(3)]
    );
    // The cycles need unusual shapes; they must stay rare.
    assert!(
        cycles.len() * 20 < pairs.len(),
        "too many cycles: {}",
        cycles.len()
    );
}

/// Checks that `versions` sorted by us and by Java agree, up to the order of
/// versions that compare equal.
#[allow(clippy::print_stderr)] // reports the reference and what was compared
fn assert_same_sort(reference: &Reference, what: &str, versions: &[String]) {
    let java = reference.sort(versions);
    let parsed: Vec<Version> = versions.iter().map(|v| parse(v)).collect();
    let mut ours: Vec<usize> = (0..versions.len()).collect();
    ours.sort_by(|&a, &b| parsed[a].cmp(&parsed[b]));
    let mut classes = 0;
    let mut i = 0;
    while i < ours.len() {
        let mut j = i + 1;
        while j < ours.len() && parsed[ours[j]] == parsed[ours[i]] {
            j += 1;
        }
        let mut mine: Vec<usize> = ours[i..j].to_vec();
        let mut theirs: Vec<usize> = java[i..j].to_vec();
        mine.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(
            mine.iter().map(|&k| &versions[k]).collect::<Vec<_>>(),
            theirs.iter().map(|&k| &versions[k]).collect::<Vec<_>>(),
            "{what}: sorted position {i}: ComparableVersion's class differs from ours"
        );
        classes += 1;
        i = j;
    }
    eprintln!(
        "maven: {what}: {} versions, {classes} distinct, sorted as ComparableVersion sorts them",
        versions.len()
    );
}

#[test]
fn sort_agrees_with_comparable_version() {
    let Some(reference) = reference() else { return };
    let (mut runner, n) = runner(2500);
    let real = real_version();
    let mut versions: Vec<String> = EDGE_CASES.iter().map(|s| (*s).to_owned()).collect();
    versions.extend((0..n).map(|_| draw(&mut runner, &real)));
    // Java cannot sort a set where its order is cyclic: leave out versions
    // that take part in a cycle with another (reported).
    let models: Vec<model::Item> = versions.iter().map(|v| model::parse(v)).collect();
    let parsed: Vec<Version> = versions.iter().map(|v| parse(v)).collect();
    let mut keep = vec![true; versions.len()];
    for i in 0..versions.len() {
        for j in i + 1..versions.len() {
            if keep[i]
                && keep[j]
                && parsed[i].cmp(&parsed[j]) != model::compare(&models[i], Some(&models[j]))
            {
                assert!(
                    java_cycle(&models[i], &models[j]),
                    "{} vs {}",
                    versions[i],
                    versions[j]
                );
                keep[j] = false;
            }
        }
    }
    let left_out: Vec<&String> = versions
        .iter()
        .zip(&keep)
        .filter(|(_, k)| !**k)
        .map(|(v, _)| v)
        .collect();
    eprintln!(
        "maven: sort: left out {} versions in Java cycles: {left_out:?}",
        left_out.len()
    );
    let versions: Vec<String> = versions
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(v, _)| v.clone())
        .collect();
    assert!(versions.len() > n * 9 / 10);
    assert_same_sort(reference, "generated", &versions);
}

#[test]
fn osv_corpus_parses_and_sorts_as_comparable_version() {
    let Some(versions) = corpus() else {
        support::no_shared_data("the OSV corpus");
        return;
    };
    for v in &versions {
        parse(v);
    }
    eprintln!(
        "maven: OSV corpus: {} distinct versions, all parse",
        versions.len()
    );
    let Some(reference) = reference() else { return };
    assert_same_sort(reference, "OSV corpus", &versions);
}

// ---------------------------------------------------------------------------
// OSV corpus extraction (also used by the Debian tests)

/// Version strings of OSV records, from JSON and YAML files: `introduced`,
/// `fixed`, `last_affected` and `limit` events and `versions` lists.
pub(crate) mod osv {
    use std::path::{Path, PathBuf};

    use crate::support;

    #[derive(Debug, Clone)]
    pub struct Found {
        pub file: PathBuf,
        pub ecosystem: String,
        /// `introduced`, `fixed`, `last_affected`, `limit` or `versions`.
        pub field: String,
        pub version: String,
    }

    const EVENTS: [&str; 4] = ["introduced", "fixed", "last_affected", "limit"];

    /// Everything under `<shared data>/osv` whose ecosystem `wanted` accepts;
    /// `None` when there is no shared data.
    pub fn versions(wanted: impl Fn(&str) -> bool) -> Option<Vec<Found>> {
        let root = support::shared_data()?.join("osv");
        let mut files = Vec::new();
        walk(&root, &mut files);
        files.sort();
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("reading an OSV file");
            let found = match file.extension().and_then(|e| e.to_str()) {
                Some("json") => from_json(&text),
                Some("yaml" | "yml") => from_yaml(&text),
                _ => continue,
            };
            out.extend(found.into_iter().filter(|(eco, ..)| wanted(eco)).map(
                |(ecosystem, field, version)| Found {
                    file: file.clone(),
                    ecosystem,
                    field,
                    version,
                },
            ));
        }
        Some(out)
    }

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    type Triple = (String, String, String);

    fn from_json(text: &str) -> Vec<Triple> {
        let Some(doc) = json::parse(text) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for affected in doc
            .get("affected")
            .map(json::Value::items)
            .unwrap_or_default()
        {
            let eco = affected
                .get("package")
                .and_then(|p| p.get("ecosystem"))
                .and_then(json::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            for range in affected
                .get("ranges")
                .map(json::Value::items)
                .unwrap_or_default()
            {
                for event in range
                    .get("events")
                    .map(json::Value::items)
                    .unwrap_or_default()
                {
                    for field in EVENTS {
                        if let Some(v) = event.get(field).and_then(json::Value::as_str) {
                            out.push((eco.clone(), field.to_owned(), v.to_owned()));
                        }
                    }
                }
            }
            for v in affected
                .get("versions")
                .map(json::Value::items)
                .unwrap_or_default()
            {
                if let Some(v) = v.as_str() {
                    out.push((eco.clone(), "versions".to_owned(), v.to_owned()));
                }
            }
        }
        out
    }

    /// A line-based reader for the OSV YAML layout (`affected:` entries
    /// starting with `- `, `ecosystem: X`, `- introduced: "0"`, `versions:`
    /// followed by `- X` items); enough for the corpus, not general YAML.
    fn from_yaml(text: &str) -> Vec<Triple> {
        fn scalar(s: &str) -> String {
            let s = s.trim();
            let unquoted = s
                .strip_prefix('"')
                .and_then(|r| r.strip_suffix('"'))
                .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')));
            unquoted.unwrap_or(s).to_owned()
        }
        let mut out = Vec::new();
        let mut entry: Vec<(String, String)> = Vec::new();
        let mut eco = String::new();
        let mut affected_indent: Option<usize> = None;
        let mut versions_indent: Option<usize> = None;
        let mut flush = |entry: &mut Vec<(String, String)>, eco: &str| {
            for (f, v) in entry.drain(..) {
                out.push((eco.to_owned(), f, v));
            }
        };
        for line in text.lines() {
            let indent = line.len() - line.trim_start().len();
            let body = line.trim();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if indent == 0 {
                flush(&mut entry, &eco);
                affected_indent = (body == "affected:").then_some(0);
                versions_indent = None;
                continue;
            }
            let Some(base) = affected_indent else {
                continue;
            };
            let item = body.strip_prefix("- ");
            if let Some(vi) = versions_indent {
                match item {
                    Some(v) if indent >= vi && !v.contains(": ") => {
                        entry.push(("versions".to_owned(), scalar(v)));
                        continue;
                    }
                    _ => versions_indent = None,
                }
            }
            if item.is_some() && indent == base {
                flush(&mut entry, &eco);
                eco.clear();
            }
            let kv = item.unwrap_or(body);
            let Some((key, value)) = kv.split_once(':') else {
                continue;
            };
            let key = key.trim();
            match key {
                "ecosystem" => eco = scalar(value),
                "versions" if value.trim().is_empty() => versions_indent = Some(indent),
                k if EVENTS.contains(&k) => entry.push((k.to_owned(), scalar(value))),
                _ => {}
            }
        }
        flush(&mut entry, &eco);
        out
    }

    /// Just enough JSON.
    mod json {
        pub enum Value {
            Null,
            Bool,
            Number,
            Str(String),
            Array(Vec<Value>),
            Object(Vec<(String, Value)>),
        }

        impl Value {
            pub fn get(&self, key: &str) -> Option<&Value> {
                match self {
                    Value::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                    _ => None,
                }
            }
            pub fn items(&self) -> Vec<&Value> {
                match self {
                    Value::Array(a) => a.iter().collect(),
                    _ => Vec::new(),
                }
            }
            pub fn as_str(&self) -> Option<&str> {
                match self {
                    Value::Str(s) => Some(s),
                    _ => None,
                }
            }
        }

        pub fn parse(text: &str) -> Option<Value> {
            let mut p = Parser {
                s: text.as_bytes(),
                i: 0,
            };
            let v = p.value()?;
            p.ws();
            (p.i == p.s.len()).then_some(v)
        }

        struct Parser<'a> {
            s: &'a [u8],
            i: usize,
        }

        impl Parser<'_> {
            fn ws(&mut self) {
                while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
                    self.i += 1;
                }
            }
            fn eat(&mut self, lit: &str) -> bool {
                let ok = self.s[self.i..].starts_with(lit.as_bytes());
                if ok {
                    self.i += lit.len();
                }
                ok
            }
            fn value(&mut self) -> Option<Value> {
                self.ws();
                match *self.s.get(self.i)? {
                    b'{' => {
                        self.i += 1;
                        let mut m = Vec::new();
                        self.ws();
                        if self.eat("}") {
                            return Some(Value::Object(m));
                        }
                        loop {
                            self.ws();
                            let Value::Str(k) = self.string()? else {
                                return None;
                            };
                            self.ws();
                            if !self.eat(":") {
                                return None;
                            }
                            m.push((k, self.value()?));
                            self.ws();
                            if self.eat("}") {
                                return Some(Value::Object(m));
                            }
                            if !self.eat(",") {
                                return None;
                            }
                        }
                    }
                    b'[' => {
                        self.i += 1;
                        let mut a = Vec::new();
                        self.ws();
                        if self.eat("]") {
                            return Some(Value::Array(a));
                        }
                        loop {
                            a.push(self.value()?);
                            self.ws();
                            if self.eat("]") {
                                return Some(Value::Array(a));
                            }
                            if !self.eat(",") {
                                return None;
                            }
                        }
                    }
                    b'"' => self.string(),
                    b't' => self.eat("true").then_some(Value::Bool),
                    b'f' => self.eat("false").then_some(Value::Bool),
                    b'n' => self.eat("null").then_some(Value::Null),
                    _ => {
                        let start = self.i;
                        while self
                            .s
                            .get(self.i)
                            .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                        {
                            self.i += 1;
                        }
                        (self.i > start).then_some(Value::Number)
                    }
                }
            }
            fn string(&mut self) -> Option<Value> {
                if !self.eat("\"") {
                    return None;
                }
                let mut units: Vec<u16> = Vec::new();
                let mut out = String::new();
                let flush = |units: &mut Vec<u16>, out: &mut String| {
                    out.push_str(&String::from_utf16_lossy(units));
                    units.clear();
                };
                loop {
                    let c = *self.s.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => {
                            flush(&mut units, &mut out);
                            return Some(Value::Str(out));
                        }
                        b'\\' => {
                            let e = *self.s.get(self.i)?;
                            self.i += 1;
                            let simple = match e {
                                b'"' => Some('"'),
                                b'\\' => Some('\\'),
                                b'/' => Some('/'),
                                b'b' => Some('\u{8}'),
                                b'f' => Some('\u{c}'),
                                b'n' => Some('\n'),
                                b'r' => Some('\r'),
                                b't' => Some('\t'),
                                _ => None,
                            };
                            if let Some(ch) = simple {
                                flush(&mut units, &mut out);
                                out.push(ch);
                            } else if e == b'u' {
                                let hex =
                                    std::str::from_utf8(self.s.get(self.i..self.i + 4)?).ok()?;
                                units.push(u16::from_str_radix(hex, 16).ok()?);
                                self.i += 4;
                            } else {
                                return None;
                            }
                        }
                        _ => {
                            flush(&mut units, &mut out);
                            // Copy the whole UTF-8 sequence.
                            let start = self.i - 1;
                            while self.s.get(self.i).is_some_and(|b| b & 0xC0 == 0x80) {
                                self.i += 1;
                            }
                            out.push_str(std::str::from_utf8(&self.s[start..self.i]).ok()?);
                        }
                    }
                }
            }
        }
    }
}
