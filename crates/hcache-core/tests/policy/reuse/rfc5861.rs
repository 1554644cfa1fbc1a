//! RFC 5861: `stale-while-revalidate` (§3) and `stale-if-error` (§4), within the limits of
//! RFC 9111 §4.2.4 (directives that forbid serving stale) and the configured `max_stale`.

use hcache_core::{Decision, StaleIfErrorWindow, StaleReason};

use super::{base, secs, validation};
use crate::outcomes;
use crate::support::*;

/// Fresh for 10 s, then servable stale for 30 s while revalidating.
fn swr() -> Case {
    base().res("cache-control: max-age=10, stale-while-revalidate=30")
}

/// Fresh for 10 s, then servable stale for 60 s when the origin fails.
fn sie() -> Case {
    base().res("cache-control: max-age=10, stale-if-error=60")
}

// RFC 5861 §3: "a cache MAY serve the response ... for up to [N] seconds after it becomes
// stale" while it revalidates in the background.
outcomes! {
    rfc5861_s3_fresh_before_staleness:
        swr(), at 9 => Fresh;
    rfc5861_s3_stale_while_revalidate_at_expiry:
        swr(), at 10 => Stale(StaleReason::WhileRevalidate);
    rfc5861_s3_stale_while_revalidate_within_window:
        swr(), at 25 => Stale(StaleReason::WhileRevalidate);
    rfc5861_s3_stale_while_revalidate_at_window_end:
        swr(), at 40 => Stale(StaleReason::WhileRevalidate);
    rfc5861_s3_beyond_window_validates:
        swr(), at 41 => Validate;
    rfc5861_s3_zero_window_validates:
        base().res("cache-control: max-age=10, stale-while-revalidate=0"), at 11 => Validate;
    // Not where §4.2.4 forbids stale responses.
    rfc5861_s3_not_with_must_revalidate:
        base().res("cache-control: max-age=10, stale-while-revalidate=30, must-revalidate"), at 15
            => Validate;
    rfc5861_s3_not_with_no_cache:
        base().res("cache-control: max-age=10, stale-while-revalidate=30, no-cache"), at 15
            => Validate;
    rfc5861_s3_shared_not_with_proxy_revalidate:
        base().shared()
            .res("cache-control: max-age=10, stale-while-revalidate=30, proxy-revalidate"),
            at 15 => Validate;
    rfc5861_s3_shared_not_with_s_maxage:
        base().shared().res("cache-control: s-maxage=10, stale-while-revalidate=30"), at 15
            => Validate;
    rfc5861_s3_private_cache_ignores_proxy_revalidate:
        base().res("cache-control: max-age=10, stale-while-revalidate=30, proxy-revalidate"), at 15
            => Stale(StaleReason::WhileRevalidate);
    // The request's own demands still apply.
    rfc5861_s3_request_no_cache_validates:
        swr().next("cache-control: no-cache"), at 15 => Validate;
    rfc5861_s3_request_max_age_validates:
        swr().next("cache-control: max-age=12"), at 15 => Validate;
    // The configured `max_stale` caps the window.
    rfc5861_s3_max_stale_option_within_cap:
        swr().options(|o| o.max_stale(Some(secs(5)))), at 15 => Stale(StaleReason::WhileRevalidate);
    rfc5861_s3_max_stale_option_caps_window:
        swr().options(|o| o.max_stale(Some(secs(5)))), at 16 => Validate;
}

#[test]
fn rfc5861_s3_revalidate_request_carries_if_none_match() {
    let Decision::Stale {
        reuse,
        reason,
        revalidate,
    } = swr().decide_at(20)
    else {
        panic!("not stale");
    };
    assert_eq!(reason, StaleReason::WhileRevalidate);
    assert_eq!((reuse.index, reuse.age, reuse.ttl), (0, 20, -10));
    let req = revalidate.expect("background revalidation");
    assert_eq!(req.headers["if-none-match"], "\"v1\"");
    assert_eq!(req.uri, "http://example.com/r");
}

#[test]
fn rfc5861_s3_revalidate_request_uses_last_modified_without_etag() {
    let case = Case::new().res_all(&[
        "cache-control: max-age=10, stale-while-revalidate=30",
        "last-modified: {T-100}",
    ]);
    let Decision::Stale { revalidate, .. } = case.decide_at(20) else {
        panic!("not stale");
    };
    assert_eq!(revalidate.unwrap().headers["if-modified-since"], date(-100));
}

#[test]
fn rfc5861_s3_max_stale_request_needs_no_revalidation() {
    let Decision::Stale {
        reason, revalidate, ..
    } = swr().next("cache-control: max-stale").decide_at(20)
    else {
        panic!("not stale");
    };
    assert_eq!(reason, StaleReason::MaxStale);
    assert!(revalidate.is_none());
}

/// `Validation::stale_if_error` of the case's validation at `T0 + at`.
fn sie_at(case: &Case, at: i64) -> bool {
    validation(case, at).stale_if_error
}

/// `Validation::stale_if_error` with a per-request `StaleIfErrorWindow` of `window` seconds.
fn sie_window_at(case: &Case, window: u64, at: i64) -> bool {
    let mut req = case.next_request();
    req.extensions.insert(StaleIfErrorWindow(secs(window)));
    match case.policy().decide(&req, &[case.stored()], t(at)) {
        Decision::Validate(v) => v.stale_if_error,
        other => panic!("not a validation: {other:?}"),
    }
}

// RFC 5861 §4: when revalidation fails, the stale response MAY be used for up to N seconds
// after it became stale — from the response directive, the request directive, the
// configured window or a per-request window.
#[test]
fn rfc5861_s4_response_directive_within_window() {
    assert!(sie_at(&sie(), 30));
    assert!(sie_at(&sie(), 70));
}

#[test]
fn rfc5861_s4_response_directive_beyond_window() {
    assert!(!sie_at(&sie(), 71));
}

#[test]
fn rfc5861_s4_no_window_no_stale_on_error() {
    assert!(!sie_at(&base().res("cache-control: max-age=10"), 11));
}

#[test]
fn rfc5861_s4_request_directive_window() {
    let case = base()
        .res("cache-control: max-age=10")
        .next("cache-control: stale-if-error=60");
    assert!(sie_at(&case, 70));
    assert!(!sie_at(&case, 71));
}

#[test]
fn rfc5861_s4_configured_window() {
    let case = base()
        .res("cache-control: max-age=10")
        .options(|o| o.stale_if_error(Some(secs(60))));
    assert!(sie_at(&case, 70));
    assert!(!sie_at(&case, 71));
}

#[test]
fn rfc5861_s4_per_request_window() {
    let case = base().res("cache-control: max-age=10");
    assert!(sie_window_at(&case, 60, 70));
    assert!(!sie_window_at(&case, 60, 71));
}

#[test]
fn rfc5861_s4_per_request_window_replaces_configured() {
    let case = base()
        .res("cache-control: max-age=10")
        .options(|o| o.stale_if_error(Some(secs(60))));
    assert!(!sie_window_at(&case, 5, 30));
    assert!(sie_window_at(&case, 100, 100));
}

#[test]
fn rfc5861_s4_largest_window_applies() {
    let case = base()
        .res("cache-control: max-age=10, stale-if-error=10")
        .next("cache-control: stale-if-error=60");
    assert!(sie_at(&case, 70));
}

// RFC 5861 §4 / RFC 9111 §4.2.4: not where a directive forbids serving stale.
#[test]
fn rfc5861_s4_not_with_must_revalidate() {
    let case = base().res("cache-control: max-age=10, stale-if-error=60, must-revalidate");
    assert!(!sie_at(&case, 30));
}

#[test]
fn rfc5861_s4_configured_window_not_with_must_revalidate() {
    let case = base()
        .res("cache-control: max-age=10, must-revalidate")
        .options(|o| o.stale_if_error(Some(secs(60))));
    assert!(!sie_at(&case, 30));
}

#[test]
fn rfc5861_s4_not_with_no_cache() {
    let case = base().res("cache-control: max-age=10, stale-if-error=60, no-cache");
    assert!(!sie_at(&case, 5));
    assert!(!sie_at(&case, 30));
}

#[test]
fn rfc5861_s4_shared_not_with_proxy_revalidate_or_s_maxage() {
    let pr = base()
        .shared()
        .res("cache-control: max-age=10, stale-if-error=60, proxy-revalidate");
    assert!(!sie_at(&pr, 30));
    let sm = base()
        .shared()
        .res("cache-control: s-maxage=10, stale-if-error=60");
    assert!(!sie_at(&sm, 30));
}

#[test]
fn rfc5861_s4_private_cache_ignores_proxy_revalidate() {
    let case = base().res("cache-control: max-age=10, stale-if-error=60, proxy-revalidate");
    assert!(sie_at(&case, 30));
}

#[test]
fn rfc5861_s4_max_stale_option_caps_window() {
    let case = sie().options(|o| o.max_stale(Some(secs(20))));
    assert!(sie_at(&case, 30));
    assert!(!sie_at(&case, 31));
}

#[test]
fn rfc5861_s4_stale_if_error_allowed_directly() {
    let case = sie();
    let (policy, req, stored) = (case.policy(), case.next_request(), case.stored());
    // A fresh response may always be served when the origin fails.
    assert!(policy.stale_if_error_allowed(&req, &stored, t(5)));
    assert!(policy.stale_if_error_allowed(&req, &stored, t(70)));
    assert!(!policy.stale_if_error_allowed(&req, &stored, t(71)));
}

#[test]
fn rfc5861_s4_stale_if_error_allowed_fresh_no_cache_is_false() {
    let case = base().res("cache-control: max-age=100, no-cache");
    let (policy, req, stored) = (case.policy(), case.next_request(), case.stored());
    assert!(!policy.stale_if_error_allowed(&req, &stored, t(5)));
}

#[test]
fn rfc5861_s4_fresh_response_forced_to_validate_may_be_served_on_error() {
    // The request's no-cache forces validation of a fresh response; if the origin fails,
    // the fresh response is still usable.
    let case = base()
        .res("cache-control: max-age=100")
        .next("cache-control: no-cache");
    assert!(sie_at(&case, 5));
}
