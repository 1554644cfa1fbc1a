//! The whole reuse decision on arbitrary request and response header sets: storing (RFC 9111
//! §3), choosing and reusing (§4, §4.1, §4.2), validation requests (§4.3.1, §4.3.2),
//! invalidation (§4.4) and the Cache-Status it reports.
//!
//! Input: control bytes (options, times, the per-request mode; see `hcache_fuzz::Control`),
//! then sections separated by an empty line: the first request, its response, a later
//! request, and optionally a second response (to the later request) stored beside the first.
//! Checked: nothing panics; a reused response is one of those given, matches the request's
//! selecting fields (§4.1) and is fresh when reused as fresh; what was stored survives the
//! stored-entry codec.

#![no_main]

use hcache_core::codec::{decode_stored, encode_stored};
use hcache_core::{Decision, Reuse, StoredResponse};
use hcache_fuzz::{read_stored, request, response, sections, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (control, text) = split(data);
    let policy = control.policy();
    let parts = sections(text);
    let section = |i: usize| parts.get(i).copied().unwrap_or_default();
    let req = request(section(0));
    let res = response(section(1));
    let mut later = if parts.len() > 2 {
        request(section(2))
    } else {
        hcache_core::clone_parts(&req)
    };
    if let Some(mode) = control.mode() {
        later.extensions.insert(mode);
    }
    let (t_req, t_res, now) = (
        control.request_time(),
        control.response_time(),
        control.now(),
    );

    let _ = (policy.cache_key(&req), policy.cache_key(&later));
    let _ = policy.needs_lookup(&later);
    let _ = policy.invalidations(&req, &res);
    let mut upstream = hcache_core::clone_parts(&later);
    policy.prepare_upstream(&mut upstream);

    let mut stored: Vec<StoredResponse> = Vec::new();
    if let Ok(s) = policy.store(&req, &res, t_req, t_res) {
        stored.push(s);
    }
    if parts.len() > 3 {
        let second = response(section(3));
        let _ = policy.invalidations(&later, &second);
        if let Ok(s) = policy.store(&later, &second, t_res, t_res) {
            stored.push(s);
        }
    }
    for s in &stored {
        read_stored(&policy, s, now);
        let _ = policy.conditional_request(&later, s);
        let _ = policy.precondition_matches(&later, s);
        let _ = policy.stale_if_error_allowed(&later, s, now);
        let _ = policy.not_modified_head(s, s.current_age(now));
        let decoded = decode_stored(&encode_stored(s), policy.options()).expect("round trip");
        assert_eq!(decoded.headers(), s.headers());
        assert_eq!(decoded.vary(), s.vary());
    }

    let decision = policy.decide(&later, &stored, now);
    let _ = decision.cache_status().to_field_value("hcache");
    let check = |r: &Reuse| {
        let s = stored.get(r.index).expect("reused index is in range");
        assert!(
            s.vary().matches(&later.headers),
            "§4.1: reused variant must match"
        );
        let _ = s.response_head(r.age);
    };
    match &decision {
        Decision::Fresh(r) => {
            check(r);
            assert!(r.ttl > 0, "§4.2: reused as fresh with ttl {}", r.ttl);
        }
        Decision::Stale { reuse, .. } => check(reuse),
        Decision::Validate(v) => {
            let s = stored.get(v.index).expect("validated index is in range");
            assert!(
                s.vary().matches(&later.headers),
                "§4.1: validated variant must match"
            );
        }
        _ => {}
    }
});
