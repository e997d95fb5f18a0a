//! Archives: arbitrary bytes as a zip (jar), a tar and a tar.gz are read
//! within the limits, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_scan::{Limits, scan_archive_bytes};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_in_memory: 1 << 20,
        max_expanded_bytes: 8 << 20,
        ..Limits::default()
    };
    for name in ["fuzz.jar", "fuzz.tar", "fuzz.tar.gz"] {
        let _ = scan_archive_bytes(name, data.to_vec(), &limits);
    }
});
