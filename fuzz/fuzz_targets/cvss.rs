//! CVSS vectors: parsing is total (never panics), a parsed vector's
//! normalised form re-parses to the same vector, and scoring never panics
//! and stays on the 0.0–10.0 one-decimal scale.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_core::cvss::{self, Rating};

fn check_score(s: f64) {
    assert!((0.0..=10.0).contains(&s), "score {s} out of range");
    assert!(
        ((s * 10.0).round() / 10.0 - s).abs() < 1e-9,
        "score {s} has more than one decimal"
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(v) = cvss::parse(s) else { return };
    let shown = v.to_string();
    let again = cvss::parse(&shown).expect("display re-parses");
    assert_eq!(again, v);
    assert_eq!(again.to_string(), shown);
    let score = v.score();
    check_score(score.base);
    assert_eq!(score.severity, Rating::from_score(score.base));
    for extra in [score.temporal, score.environmental].into_iter().flatten() {
        check_score(extra);
    }
});
