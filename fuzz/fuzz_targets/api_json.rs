//! Request bodies: decoding arbitrary bytes into the API's request types
//! returns a value or a problem document, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigilo_hub::api::{CreateOrg, CreateToken, CreateUser, LoginRequest, ProfileBody};
use vigilo_hub::json::decode;

fuzz_target!(|data: &[u8]| {
    let _ = decode::<CreateToken>(data);
    let _ = decode::<CreateUser>(data);
    let _ = decode::<CreateOrg>(data);
    let _ = decode::<LoginRequest>(data);
    if let Err(p) = decode::<ProfileBody>(data) {
        // Every rejection is a client error.
        assert!(p.status().is_client_error());
    }
});
