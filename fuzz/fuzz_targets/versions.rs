//! Version parsers of every scheme, and purls: total (never panic), and a
//! parsed version compares equal to itself and to a re-parse of its text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_version::{Scheme, Version};

const SCHEMES: [Scheme; 10] = [
    Scheme::Pep440,
    Scheme::SemVer,
    Scheme::Npm,
    Scheme::Go,
    Scheme::Maven,
    Scheme::Debian,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Alpine,
    Scheme::Rpm,
];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for scheme in SCHEMES {
        if let Ok(v) = Version::parse(scheme, s) {
            assert_eq!(v.compare(&v), Some(std::cmp::Ordering::Equal));
            let again = Version::parse(scheme, &v.to_string()).expect("display re-parses");
            assert_eq!(v.compare(&again), Some(std::cmp::Ordering::Equal));
        }
    }
    if let Ok(p) = vigilo_core::package::Purl::parse(s) {
        let _ = p.to_package();
    }
});
