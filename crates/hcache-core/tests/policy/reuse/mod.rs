//! Reusing stored responses (RFC 9111 §4): request directives (§5.2.1), response directives
//! that force validation (§5.2.2), and serving stale (§4.2.4). RFC 5861, cache modes, methods
//! and preconditions, and the caller's own conditionals are in the submodules.

use std::time::Duration;

use hcache_core::{Decision, ForwardReason, NotStorable, StaleReason, StoredResponse, Validation};

use crate::outcomes;
use crate::support::*;

mod conditionals;
mod modes;
mod rfc5861;

/// `n` seconds.
fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A stored 200 with a validator, so that a stale reuse shows up as `Validate`.
fn base() -> Case {
    Case::new().res("etag: \"v1\"")
}

/// `base()` fresh for 100 s.
fn ma100() -> Case {
    base().res("cache-control: max-age=100")
}

/// The validation a case decides on at `T0 + secs` (panics otherwise).
fn validation(case: &Case, at: i64) -> Validation {
    match case.decide_at(at) {
        Decision::Validate(v) => *v,
        other => panic!("not a validation: {other:?}"),
    }
}

/// The decision for the case's later request when nothing is stored.
fn decide_empty(case: &Case) -> Decision {
    case.policy()
        .decide(&case.next_request(), &[] as &[StoredResponse], t(0))
}

// §5.2.1.1 request max-age: "the client prefers a response whose age is less than or equal
// to the specified number of seconds". Ages are whole seconds rounded down, so an age of N
// may be more than N seconds: only an age below N is known to satisfy the client.
outcomes! {
    s5_2_1_1_request_max_age_age_below_reuses:
        ma100().next("cache-control: max-age=30"), at 29 => Fresh;
    s5_2_1_1_request_max_age_age_equal_validates:
        ma100().next("cache-control: max-age=30"), at 30 => Validate;
    s5_2_1_1_request_max_age_age_greater_validates:
        ma100().next("cache-control: max-age=30"), at 31 => Validate;
    s5_2_1_1_request_max_age_zero_validates:
        ma100().next("cache-control: max-age=0"), at 1 => Validate;
    s5_2_1_1_request_max_age_zero_validates_even_at_age_zero:
        ma100().next("cache-control: max-age=0"), at 0 => Validate;
    s5_2_1_1_request_max_age_does_not_extend_freshness:
        ma100().next("cache-control: max-age=1000"), at 100 => Validate;
    // "Unless the max-stale request directive is also present, the client does not wish to
    // receive a stale response."
    s5_2_1_1_request_max_age_with_max_stale_accepts_stale:
        ma100().next("cache-control: max-age=1000, max-stale"), at 150
            => Stale(StaleReason::MaxStale);
}

#[test]
fn s5_2_1_1_request_max_age_validation_reason_is_request() {
    let v = validation(&ma100().next("cache-control: max-age=0"), 10);
    assert_eq!(v.reason, ForwardReason::Request);
    assert!(v.conditional);
    assert_eq!(v.request.headers["if-none-match"], "\"v1\"");
}

// §5.2.1.3 min-fresh: "the client wants a response that will still be fresh for at least the
// specified number of seconds".
outcomes! {
    s5_2_1_3_min_fresh_remaining_equal_reuses:
        ma100().next("cache-control: min-fresh=50"), at 50 => Fresh;
    s5_2_1_3_min_fresh_remaining_less_validates:
        ma100().next("cache-control: min-fresh=50"), at 51 => Validate;
    s5_2_1_3_min_fresh_beyond_lifetime_validates_at_once:
        ma100().next("cache-control: min-fresh=1000"), at 0 => Validate;
}

#[test]
fn s5_2_1_3_min_fresh_validation_reason_is_request() {
    let v = validation(&ma100().next("cache-control: min-fresh=60"), 50);
    assert_eq!(v.reason, ForwardReason::Request);
}

// §5.2.1.2 max-stale: with a value, "exceeded its freshness lifetime by no more than the
// specified number of seconds"; without one, "a stale response of any age".
outcomes! {
    s5_2_1_2_max_stale_within_serves_stale:
        ma100().next("cache-control: max-stale=50"), at 120 => Stale(StaleReason::MaxStale);
    s5_2_1_2_max_stale_at_limit_serves_stale:
        ma100().next("cache-control: max-stale=50"), at 150 => Stale(StaleReason::MaxStale);
    s5_2_1_2_max_stale_beyond_validates:
        ma100().next("cache-control: max-stale=50"), at 151 => Validate;
    s5_2_1_2_max_stale_without_value_any_staleness:
        ma100().next("cache-control: max-stale"), at 100_000_000 => Stale(StaleReason::MaxStale);
    s5_2_1_2_invalid_max_stale_value_allows_no_staleness:
        ma100().next("cache-control: max-stale=abc"), at 101 => Validate;
    // The configured `max_stale` caps what the request may accept.
    s5_2_1_2_max_stale_option_caps_request_any:
        ma100().options(|o| o.max_stale(Some(secs(10)))).next("cache-control: max-stale"), at 111
            => Validate;
    s5_2_1_2_max_stale_option_allows_within_cap:
        ma100().options(|o| o.max_stale(Some(secs(10)))).next("cache-control: max-stale"), at 110
            => Stale(StaleReason::MaxStale);
    s4_2_4_stale_not_served_without_permission:
        ma100(), at 100_000 => Validate;
}

#[test]
fn s5_2_1_2_stale_reuse_reports_age_and_negative_ttl() {
    let case = ma100().next("cache-control: max-stale=50");
    assert_eq!(case.age_ttl_at(130), (130, -30));
}

// §4.2.4: "A cache MUST NOT generate a stale response if it is prohibited by an explicit
// in-protocol directive" — max-stale does not override them.
outcomes! {
    s4_2_4_max_stale_does_not_override_must_revalidate:
        base().res("cache-control: max-age=100, must-revalidate").next("cache-control: max-stale"),
            at 150 => Validate;
    s4_2_4_max_stale_does_not_override_response_no_cache:
        base().res("cache-control: max-age=100, no-cache").next("cache-control: max-stale"),
            at 150 => Validate;
    s4_2_4_shared_max_stale_does_not_override_proxy_revalidate:
        base().shared().res("cache-control: max-age=100, proxy-revalidate")
            .next("cache-control: max-stale"), at 150 => Validate;
    s4_2_4_shared_max_stale_does_not_override_s_maxage:
        base().shared().res("cache-control: s-maxage=100").next("cache-control: max-stale"),
            at 150 => Validate;
    s4_2_4_request_no_cache_beats_max_stale:
        ma100().next("cache-control: no-cache, max-stale"), at 150 => Validate;
    // §5.2.2.8: proxy-revalidate "does not apply to private caches"; a private cache
    // ignores s-maxage (§5.2.2.10).
    s5_2_2_8_private_cache_ignores_proxy_revalidate:
        base().res("cache-control: max-age=100, proxy-revalidate").next("cache-control: max-stale"),
            at 150 => Stale(StaleReason::MaxStale);
    s5_2_2_10_private_cache_ignores_s_maxage_for_stale:
        base().res("cache-control: max-age=100, s-maxage=100").next("cache-control: max-stale"),
            at 150 => Stale(StaleReason::MaxStale);
    s5_2_2_2_must_revalidate_fresh_is_reused:
        base().res("cache-control: max-age=100, must-revalidate"), at 99 => Fresh;
    s5_2_2_2_must_revalidate_stale_validates:
        base().res("cache-control: max-age=100, must-revalidate"), at 100 => Validate;
    s5_2_2_8_shared_proxy_revalidate_fresh_is_reused:
        base().shared().res("cache-control: max-age=100, proxy-revalidate"), at 99 => Fresh;
}

// §5.2.1.4 request no-cache: "the client prefers stored response not be used to satisfy the
// request without successful validation"; §5.4 Pragma: no-cache likewise, when there is no
// Cache-Control.
outcomes! {
    s5_2_1_4_request_no_cache_validates_fresh:
        ma100().next("cache-control: no-cache"), at 0 => Validate;
    s5_2_1_4_request_no_cache_without_validator_forwards:
        Case::new().res("cache-control: max-age=100").next("cache-control: no-cache"), at 0
            => ValidateUnconditional;
    s5_4_pragma_no_cache_validates_fresh:
        ma100().next("pragma: no-cache"), at 0 => Validate;
    s5_4_pragma_ignored_when_cache_control_present:
        ma100().next("pragma: no-cache").next("cache-control: max-stale"), at 0 => Fresh;
}

#[test]
fn s5_2_1_4_request_no_cache_reason_is_request() {
    let v = validation(&ma100().next("cache-control: no-cache"), 0);
    assert_eq!(v.reason, ForwardReason::Request);
    assert_eq!(v.index, 0);
    let v = validation(&ma100().next("pragma: no-cache"), 0);
    assert_eq!(v.reason, ForwardReason::Request);
}

#[test]
fn s4_stale_validation_reason_is_stale() {
    let v = validation(&ma100(), 100);
    assert_eq!(v.reason, ForwardReason::Stale);
    assert!(!v.stale_if_error);
}

// §5.2.1.5 request no-store: "if a request containing this directive is satisfied from a
// cache, the no-store request directive does not apply to the already stored response" — but
// nothing is stored from the exchange.
outcomes! {
    s5_2_1_5_request_no_store_reuses_stored_response:
        ma100().next("cache-control: no-store"), at 10 => Fresh;
    s5_2_1_5_request_no_store_prevents_storing:
        ma100().req("cache-control: no-store"), at 10 => NotStored(NotStorable::RequestNoStore);
}

// §5.2.1.7 only-if-cached: "either respond using a stored response consistent with the other
// constraints of the request, or respond with a 504".
outcomes! {
    s5_2_1_7_only_if_cached_fresh_reused:
        ma100().next("cache-control: only-if-cached"), at 10 => Fresh;
    s5_2_1_7_only_if_cached_stale_unsatisfiable:
        ma100().next("cache-control: only-if-cached"), at 100 => Unsatisfiable;
    s5_2_1_7_only_if_cached_with_max_stale_serves_stale:
        ma100().next("cache-control: only-if-cached, max-stale"), at 150
            => Stale(StaleReason::MaxStale);
    s5_2_1_7_only_if_cached_must_revalidate_stale_unsatisfiable:
        base().res("cache-control: max-age=100, must-revalidate")
            .next("cache-control: only-if-cached, max-stale"), at 150 => Unsatisfiable;
    s5_2_1_7_only_if_cached_response_no_cache_unsatisfiable:
        base().res("cache-control: max-age=100, no-cache").next("cache-control: only-if-cached"),
            at 10 => Unsatisfiable;
    s5_2_1_7_only_if_cached_vary_miss_unsatisfiable:
        ma100().res("vary: accept-language").req("accept-language: en")
            .next("accept-language: fr").next("cache-control: only-if-cached"), at 10
            => Unsatisfiable;
}

#[test]
fn s5_2_1_7_only_if_cached_nothing_stored_unsatisfiable() {
    let case = Case::new().next("cache-control: only-if-cached");
    assert!(matches!(decide_empty(&case), Decision::Unsatisfiable));
}

#[test]
fn s4_nothing_stored_is_uri_miss() {
    assert!(matches!(
        decide_empty(&Case::new()),
        Decision::Forward(ForwardReason::UriMiss)
    ));
}

// §5.2.2.4 response no-cache, unqualified: "MUST NOT be used to satisfy any other request
// without forwarding it for validation", even when fresh.
outcomes! {
    s5_2_2_4_no_cache_validates_fresh_response:
        base().res("cache-control: max-age=100, no-cache"), at 0 => Validate;
    s5_2_2_4_no_cache_validates_heuristically_fresh_response:
        base().res_all(&["cache-control: no-cache", "date: {T}", "last-modified: {T-100000}"]), at 0
            => Validate;
    s5_2_2_4_no_cache_beats_request_max_stale:
        base().res("cache-control: max-age=100, no-cache").next("cache-control: max-stale"), at 0
            => Validate;
    s5_2_2_4_unterminated_qualified_no_cache_fails_closed:
        base().res("cache-control: max-age=100, no-cache=\"set-cookie"), at 0 => Validate;
    // Qualified: "a cache MAY use the response ... if the listed header fields are excluded".
    s5_2_2_4_qualified_no_cache_reused_when_fresh:
        base().res_all(&["cache-control: max-age=100, no-cache=\"set-cookie\"", "set-cookie: a=1"]),
            at 10 => Fresh;
    s5_2_2_4_qualified_no_cache_stale_validates:
        base().res_all(&["cache-control: max-age=100, no-cache=\"set-cookie\"", "set-cookie: a=1"]),
            at 100 => Validate;
    s5_2_2_4_qualified_no_cache_allows_max_stale:
        base().res("cache-control: max-age=100, no-cache=\"set-cookie\"")
            .next("cache-control: max-stale"), at 150 => Stale(StaleReason::MaxStale);
}

#[test]
fn s5_2_2_4_no_cache_fresh_validation_reason_is_stale() {
    // Documented: the response's own no-cache is reported as `fwd=stale`, the request's as
    // `fwd=request`.
    let v = validation(&base().res("cache-control: max-age=100, no-cache"), 0);
    assert_eq!(v.reason, ForwardReason::Stale);
    assert!(v.conditional);
}

/// The head sent for a fresh reuse at `T0 + 10`.
fn reused_head(case: &Case) -> http::response::Parts {
    let stored = case.stored();
    let Decision::Fresh(r) =
        case.policy()
            .decide(&case.next_request(), std::slice::from_ref(&stored), t(10))
    else {
        panic!("not fresh");
    };
    stored.response_head(r.age)
}

#[test]
fn s5_2_2_4_qualified_no_cache_field_omitted_from_reuse() {
    let head = reused_head(&base().res_all(&[
        "cache-control: max-age=100, no-cache=\"set-cookie\"",
        "set-cookie: a=1",
        "x-kept: yes",
    ]));
    assert!(!head.headers.contains_key("set-cookie"));
    assert_eq!(head.headers["x-kept"], "yes");
    assert_eq!(head.headers["etag"], "\"v1\"");
}

#[test]
fn s5_2_2_4_qualified_no_cache_several_fields_omitted() {
    let head = reused_head(&base().res_all(&[
        "cache-control: max-age=100, no-cache=\"set-cookie, x-a\"",
        "set-cookie: a=1",
        "set-cookie: b=2",
        "x-a: 1",
        "x-b: 2",
    ]));
    assert!(!head.headers.contains_key("set-cookie"));
    assert!(!head.headers.contains_key("x-a"));
    assert_eq!(head.headers["x-b"], "2");
}

#[test]
fn s5_2_2_4_qualified_no_cache_field_names_case_insensitive() {
    let head = reused_head(&base().res_all(&[
        "cache-control: max-age=100, no-cache=\"Set-Cookie\"",
        "set-cookie: a=1",
    ]));
    assert!(!head.headers.contains_key("set-cookie"));
}

#[test]
fn s5_2_2_4_stored_headers_keep_qualified_no_cache_field() {
    // The field is only withheld from reuses; it stays stored for after validation.
    let case = base().res_all(&[
        "cache-control: max-age=100, no-cache=\"set-cookie\"",
        "set-cookie: a=1",
    ]);
    assert_eq!(case.stored().headers()["set-cookie"], "a=1");
}
