//! Log detection: arbitrary bytes give hits whose offsets lie inside the
//! input, streaming agrees with the whole-buffer scan, and the Log4j
//! emulation and line layouts never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_detect::{Detector, Options, eval, logfmt};

fuzz_target!(|data: &[u8]| {
    let d = Detector::new(Options { include_benign: true, ..Options::default() });
    let hits = d.scan_bytes(data);
    for h in &hits {
        assert!((h.offset as usize) < data.len().max(1));
    }
    let mut streamed = Vec::new();
    let _ = d.scan_reader(std::io::BufReader::with_capacity(3, data), &mut |h| streamed.push(h));
    assert_eq!(streamed, hits);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = eval::evaluate(s);
    }
    let _ = logfmt::line_context(data, 2021);
});
