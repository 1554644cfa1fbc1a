//! The stored-entry decoder (`hcache_core::codec`) on arbitrary bytes, as a store would read
//! a damaged or foreign file. Checked: decoding never panics; whatever decodes encodes to
//! bytes that decode to the same response, and encoding that gives the same bytes again (the
//! encoding of a decoded value is canonical).

#![no_main]

use hcache_core::CacheOptions;
use hcache_core::codec::{decode_stored, encode_stored};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = CacheOptions::default();
    let Ok(first) = decode_stored(data, &opts) else {
        return;
    };
    let bytes = encode_stored(&first);
    let second = decode_stored(&bytes, &opts).expect("an encoded response decodes");
    assert_eq!(first.status(), second.status());
    assert_eq!(first.version(), second.version());
    assert_eq!(first.headers(), second.headers());
    assert_eq!(first.vary(), second.vary());
    assert_eq!(first.request_time(), second.request_time());
    assert_eq!(first.response_time(), second.response_time());
    assert_eq!(first.directives(), second.directives());
    assert_eq!(encode_stored(&second), bytes, "the encoding is canonical");
    // The decoded value is one the policy can use.
    let now = second.response_time();
    let _ = second.freshness_lifetime(&opts);
    let _ = second.current_age(now);
    let _ = second.response_head(0);
});
