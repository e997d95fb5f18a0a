//! OSV records out as CSAF 2.0 and STIX 2.1: arbitrary JSON (and YAML) gives a
//! document or an error, never a panic; what comes out is a well-formed
//! document whose product references are all defined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_core::marking::{Marking, Tlp};
use vigilo_formats::csaf::{self, Options, Publisher, PublisherCategory};
use vigilo_formats::osv::{Syntax, to_json};

fuzz_target!(|data: &[u8]| {
    let tlp = Tlp::ALL[data.first().map_or(0, |b| usize::from(*b) % Tlp::ALL.len())];
    let options = Options {
        publisher: Publisher {
            name: "fuzz".into(),
            namespace: "https://fuzz.example".into(),
            category: PublisherCategory::Other,
        },
        marking: Some(Marking::tlp(tlp)),
    };
    for syntax in [Syntax::Json, Syntax::Yaml] {
        let Ok(json) = to_json(data, syntax) else {
            continue;
        };
        let Ok(doc) = csaf::from_osv(&json, &options) else {
            continue;
        };
        let mut out = Vec::new();
        csaf::write_document(&doc, &mut out).expect("writing to memory");
        // Every product id referenced is defined in the product tree.
        let text = String::from_utf8(out).expect("UTF-8");
        let defined = text.matches("\"product_id\"").count();
        if let Some(ps) = doc.pointer("/vulnerabilities/0/product_status") {
            for list in ps.as_object().into_iter().flat_map(|m| m.values()) {
                for id in list.as_array().into_iter().flatten() {
                    assert!(
                        text.contains(&format!("\"product_id\": {id}")),
                        "{id} undefined"
                    );
                }
            }
            assert!(defined > 0);
        }
        if let Ok(parsed) = vigilo_formats::osv::from_json(json.clone(), "fuzz") {
            let records = [parsed];
            let input = vigilo_formats::stix::AdvisoriesInput {
                publisher: "fuzz".into(),
                generated: "2024-01-01T00:00:00Z".parse().expect("a timestamp"),
                marking: Some(Marking::tlp(tlp)),
                records: &records,
            };
            let mut out = Vec::new();
            vigilo_formats::stix::write_advisories_bundle(&input, &mut out)
                .expect("writing to memory");
        }
    }
});
