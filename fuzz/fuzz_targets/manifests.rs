//! Lockfiles, manifests and SBOMs: arbitrary bytes under every kind give
//! packages or a diagnostic, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_formats::manifest::{Kind, parse};

fuzz_target!(|data: &[u8]| {
    for kind in Kind::ALL {
        if let Ok(p) = parse(kind, data, "fuzz") {
            assert!(p.packages.iter().all(|p| !p.name.is_empty()));
        }
    }
    let _ = Kind::sniff(data);
});
