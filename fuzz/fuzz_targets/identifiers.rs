//! Identifier and key parsers: organisation names, roles, scope lists and
//! key-encryption keys in text form.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(name) = vigilo_core::OrgName::parse(s) {
        assert_eq!(name.as_str(), s);
    }
    let _ = s.parse::<vigilo_core::Role>();
    if let Ok(set) = vigilo_core::ScopeSet::parse(s) {
        assert_eq!(vigilo_core::ScopeSet::parse(&set.to_string()), Ok(set));
    }
    if let Some(key) = vigilo_store::crypto::Key::parse_text(s) {
        let again = vigilo_store::crypto::Key::parse_text(&key.to_text()).expect("round trip");
        assert_eq!(again.as_bytes(), key.as_bytes());
    }
});
