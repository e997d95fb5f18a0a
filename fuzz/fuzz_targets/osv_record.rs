//! OSV records: arbitrary bytes as JSON and as YAML give a record or a
//! diagnostic, never a panic; inventories likewise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_formats::osv::{parse_record, Syntax};

fuzz_target!(|data: &[u8]| {
    for syntax in [Syntax::Json, Syntax::Yaml] {
        if let Ok(r) = parse_record(data, syntax, "fuzz") {
            assert!(!r.advisory.id.trim().is_empty());
        }
    }
    let _ = vigilo_formats::inventory::parse_inventory(data, "fuzz");
});
