//! Merging a 304 into stored responses (RFC 9111 §4.3.3, §4.3.4, §3.2) and freshening with
//! HEAD (§4.3.5).
//!
//! Input: control bytes (options, times, the validated index; see `hcache_fuzz::Control`),
//! then sections separated by an empty line: a request, its response, a second response
//! stored beside it, the 304, and a HEAD response. Checked: nothing panics; the selection
//! names each stored response at most once, in range; freshening keeps the status, the
//! selecting fields and every field describing the stored content (§3.2), so a stored body
//! never gets a head describing other bytes; the result survives the stored-entry codec.

#![no_main]

use hcache_core::codec::{decode_stored, encode_stored};
use hcache_core::{HeadOutcome, StoredResponse};
use hcache_fuzz::{assert_same_content, read_stored, request, response, sections, split};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (control, text) = split(data);
    let policy = control.policy();
    let parts = sections(text);
    let section = |i: usize| parts.get(i).copied().unwrap_or_default();
    let req = request(section(0));
    let (t_req, t_res, now) = (
        control.request_time(),
        control.response_time(),
        control.now(),
    );

    let mut stored: Vec<StoredResponse> = Vec::new();
    for i in [1, 2] {
        if let Ok(s) = policy.store(&req, &response(section(i)), t_req, t_res) {
            stored.push(s);
        }
    }
    let not_modified = response(section(3));
    let chosen = policy.select_for_freshening(&stored, control.validated(), &not_modified.headers);
    assert!(chosen.windows(2).all(|w| w[0] < w[1]), "{chosen:?}");
    assert!(chosen.iter().all(|&i| i < stored.len()), "{chosen:?}");
    for &i in &chosen {
        let fresh = policy.freshen(&stored[i], &not_modified, now, now);
        assert_same_content(&stored[i], &fresh);
        assert_eq!((fresh.request_time(), fresh.response_time()), (now, now));
        read_stored(&policy, &fresh, now);
        let _ = policy.decide(&req, &[&fresh], now);
        let decoded = decode_stored(&encode_stored(&fresh), policy.options()).expect("decodes");
        assert_eq!(decoded.headers(), fresh.headers());
    }

    let head = response(section(4));
    for s in &stored {
        match policy.head_outcome(s, &head, now, now) {
            HeadOutcome::Update(updated) => {
                assert_same_content(s, &updated);
                read_stored(&policy, &updated, now);
            }
            HeadOutcome::Invalidate | HeadOutcome::Ignore => {}
            _ => {}
        }
    }
});
