//! Field parsing on arbitrary bytes: `Cache-Control` (request and response), `Pragma`,
//! `Age`, `Expires`, `Date`, `Last-Modified`, `Vary`, a targeted field (`CDN-Cache-Control`,
//! RFC 9213) and `Surrogate-Control`, through the public API only.
//!
//! Input: control bytes (options, times; see `hcache_fuzz::Control`), then lines; every line
//! becomes a value of every one of those fields at once. Checked: nothing panics; parsing is
//! deterministic; a date that parses formats back to itself; and a request always matches the
//! `Vary` key captured from itself (RFC 9111 §4.1).

#![no_main]

use hcache_core::{RequestDirectives, ResponseDirectives, parse_http_date};
use hcache_fuzz::{lines, read_stored, split};
use http::header::{
    ACCEPT, ACCEPT_ENCODING, ACCEPT_LANGUAGE, AGE, CACHE_CONTROL, DATE, EXPIRES, LAST_MODIFIED,
    PRAGMA, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const CDN: HeaderName = HeaderName::from_static("cdn-cache-control");
const SURROGATE: HeaderName = HeaderName::from_static("surrogate-control");

fuzz_target!(|data: &[u8]| {
    let (control, text) = split(data);
    let policy = control.policy();
    let names = [
        CACHE_CONTROL,
        PRAGMA,
        AGE,
        EXPIRES,
        DATE,
        LAST_MODIFIED,
        VARY,
        CDN,
        SURROGATE,
        ACCEPT,
        ACCEPT_ENCODING,
        ACCEPT_LANGUAGE,
    ];
    let mut headers = HeaderMap::new();
    for line in lines(text) {
        // Raw bytes, even those no field value may hold.
        if let Some(t) = parse_http_date(line) {
            let again = httpdate::fmt_http_date(t);
            assert_eq!(parse_http_date(again.as_bytes()), Some(t), "{again}");
        }
        let Ok(value) = HeaderValue::from_bytes(line) else {
            continue;
        };
        for name in &names {
            let _ = headers.try_append(name.clone(), value.clone());
        }
    }

    let rd = RequestDirectives::parse(&headers);
    assert_eq!(rd, RequestDirectives::parse(&headers));
    let _ = (
        rd.max_age().map(|s| s.valid()),
        rd.max_stale(),
        rd.min_fresh(),
        rd.stale_if_error(),
        rd.no_cache(),
        rd.pragma_no_cache(),
        rd.no_store(),
        rd.only_if_cached(),
    );
    for name in [CACHE_CONTROL, CDN] {
        let d = ResponseDirectives::parse(&headers, &name);
        assert_eq!(d, ResponseDirectives::from_lines(headers.get_all(&name)));
        let _ = (
            d.max_age(),
            d.s_maxage(),
            d.stale_while_revalidate(),
            d.stale_if_error(),
            d.no_store(),
            d.must_revalidate(),
            d.private_fields(),
            d.no_cache_fields(),
        );
        for e in d.extensions() {
            let _ = (e.name(), e.value());
        }
    }

    // The same lines as a whole exchange: the request carries them too (for `Vary`).
    let mut req = http::Request::new(()).into_parts().0;
    req.headers = headers.clone();
    let mut res = http::Response::new(()).into_parts().0;
    res.headers = headers;
    let _ = policy.storable(&req, &res);
    if let Ok(stored) = policy.store(&req, &res, control.request_time(), control.response_time()) {
        assert!(
            stored.vary().matches(&req.headers),
            "§4.1: own request must match"
        );
        read_stored(&policy, &stored, control.now());
        let _ = policy.decide(&req, &[&stored], control.now());
    }
});
