//! The caller's own conditional request on a fresh stored response (§4.3.2): answered 304
//! from the cache when it matches; and the primary cache key (§2, §4).

use hcache_core::{CacheKey, CacheOptions, CachePolicy, Decision, StaleReason};
use http::Method;

use super::base;
use crate::outcomes;
use crate::support::*;

/// A fresh 200 with `ETag: "v1"`, `Last-Modified: T-100` and `Date: T`.
fn validators() -> Case {
    base().res_all(&[
        "cache-control: max-age=100",
        "last-modified: {T-100}",
        "date: {T}",
    ])
}

/// A fresh 200 with `Date: T-10` and no validators.
fn dated() -> Case {
    Case::new().res_all(&["cache-control: max-age=100", "date: {T-10}"])
}

// §4.3.2 / RFC 9110 §13.1.2: If-None-Match uses the weak comparison; a match on a fresh
// response is answered 304.
outcomes! {
    s4_3_2_if_none_match_same_etag_not_modified:
        validators().next("if-none-match: \"v1\""), at 10 => FreshNotModified;
    s4_3_2_if_none_match_weak_tag_matches_strong_stored:
        validators().next("if-none-match: W/\"v1\""), at 10 => FreshNotModified;
    s4_3_2_if_none_match_strong_tag_matches_weak_stored:
        Case::new().res_all(&["cache-control: max-age=100", "etag: W/\"v1\""])
            .next("if-none-match: \"v1\""), at 10 => FreshNotModified;
    s4_3_2_if_none_match_list_member_matches:
        validators().next("if-none-match: \"a\", \"v1\", \"b\""), at 10 => FreshNotModified;
    s4_3_2_if_none_match_across_field_lines:
        validators().next("if-none-match: \"a\"").next("if-none-match: \"v1\""), at 10
            => FreshNotModified;
    s4_3_2_if_none_match_star_matches:
        validators().next("if-none-match: *"), at 10 => FreshNotModified;
    s4_3_2_if_none_match_other_etag_fresh:
        validators().next("if-none-match: \"v2\""), at 10 => Fresh;
    s4_3_2_if_none_match_without_stored_etag_fresh:
        dated().next("if-none-match: \"v1\""), at 10 => Fresh;
    s4_3_2_if_none_match_is_case_sensitive:
        validators().next("if-none-match: \"V1\""), at 10 => Fresh;
}

// RFC 9110 §13.1.3: If-Modified-Since is satisfied (304) when the stored response was not
// modified after the given date: Last-Modified, else Date.
outcomes! {
    s4_3_2_if_modified_since_equal_to_last_modified_not_modified:
        validators().next("if-modified-since: {T-100}"), at 10 => FreshNotModified;
    s4_3_2_if_modified_since_after_last_modified_not_modified:
        validators().next("if-modified-since: {T-50}"), at 10 => FreshNotModified;
    s4_3_2_if_modified_since_before_last_modified_fresh:
        validators().next("if-modified-since: {T-101}"), at 10 => Fresh;
    s4_3_2_if_modified_since_without_last_modified_uses_date:
        dated().next("if-modified-since: {T-10}"), at 10 => FreshNotModified;
    s4_3_2_if_modified_since_before_date_fresh:
        dated().next("if-modified-since: {T-11}"), at 10 => Fresh;
    // "... or, if no Date field is present, the time that the stored response was received".
    s4_3_2_if_modified_since_without_date_uses_receipt_time:
        Case::new().res("cache-control: max-age=100").timing(0, 5)
            .next("if-modified-since: {T+5}"), at 10 => FreshNotModified;
    s4_3_2_if_modified_since_before_receipt_time_fresh:
        Case::new().res("cache-control: max-age=100").timing(0, 5)
            .next("if-modified-since: {T+4}"), at 10 => Fresh;
    s4_3_2_if_modified_since_invalid_date_ignored:
        validators().next("if-modified-since: yesterday"), at 10 => Fresh;
    // RFC 9110 §13.1.3: "A recipient MUST ignore If-Modified-Since if the request contains an
    // If-None-Match header field".
    s4_3_2_if_none_match_mismatch_beats_matching_if_modified_since:
        validators().next("if-none-match: \"v2\"").next("if-modified-since: {T}"), at 10 => Fresh;
    s4_3_2_if_none_match_match_beats_failing_if_modified_since:
        validators().next("if-none-match: \"v1\"").next("if-modified-since: {T-1000}"), at 10
            => FreshNotModified;
    // The caller's conditional never makes a stale response usable.
    s4_3_2_matching_conditional_on_stale_response_validates:
        validators().next("if-none-match: \"v1\""), at 100 => Validate;
}

#[test]
fn s4_3_2_conditional_on_stale_served_response_is_not_modified() {
    let d = validators()
        .next("if-none-match: \"v1\"")
        .next("cache-control: max-stale")
        .decide_at(150);
    let Decision::Stale { reuse, reason, .. } = d else {
        panic!("not stale: {d:?}");
    };
    assert_eq!(reason, StaleReason::MaxStale);
    assert!(reuse.not_modified);
}

#[test]
fn s4_3_2_precondition_matches_directly() {
    let case = validators();
    let (policy, stored) = (case.policy(), case.stored());
    let hit = case.clone().next("if-none-match: W/\"v1\"").next_request();
    let miss = case.next("if-none-match: \"x\"").next_request();
    assert!(policy.precondition_matches(&hit, &stored));
    assert!(!policy.precondition_matches(&miss, &stored));
}

/// `GET http://example.com/r` (or `method`) with extra header lines.
fn request(method: Method, lines: &[&str]) -> http::request::Parts {
    req(method, "http://example.com/r", lines)
}

/// The cache key a policy with `opts` gives `req`, as a string.
fn key_of(opts: CacheOptions, req: &http::request::Parts) -> Option<String> {
    CachePolicy::new(opts)
        .cache_key(req)
        .map(|k| k.as_str().to_owned())
}

// §2 / §4: the primary key is the method and the target URI; HEAD looks up the GET key
// (RFC 9110 §9.3.2); uncacheable methods have none.
#[test]
fn s2_key_is_method_and_target_uri() {
    assert_eq!(
        key_of(CacheOptions::default(), &request(Method::GET, &[])),
        Some("GET http://example.com/r".into())
    );
}

#[test]
fn s4_head_looks_up_get_key() {
    let get = key_of(CacheOptions::default(), &request(Method::GET, &[]));
    let head = key_of(CacheOptions::default(), &request(Method::HEAD, &[]));
    assert_eq!(head, get);
}

#[test]
fn s4_unsafe_method_has_no_key() {
    assert_eq!(
        key_of(CacheOptions::default(), &request(Method::POST, &[])),
        None
    );
    assert_eq!(
        key_of(CacheOptions::default(), &request(Method::OPTIONS, &[])),
        None
    );
}

#[test]
fn s2_request_key_override_replaces_key() {
    let mut r = request(Method::GET, &[]);
    r.extensions.insert(CacheKey::new("tenant-a/r"));
    assert_eq!(
        key_of(CacheOptions::default(), &r),
        Some("tenant-a/r".into())
    );
}

#[test]
fn s2_key_fn_replaces_key() {
    let opts = CacheOptions::default().key_fn(|p| {
        CacheKey::new(format!(
            "{} {} {}",
            p.method,
            p.uri.path(),
            p.headers
                .get("x-tenant")
                .map_or("-", |v| v.to_str().unwrap())
        ))
    });
    assert_eq!(
        key_of(opts.clone(), &request(Method::GET, &["x-tenant: a"])),
        Some("GET /r a".into())
    );
    assert_ne!(
        key_of(opts.clone(), &request(Method::GET, &["x-tenant: a"])),
        key_of(opts, &request(Method::GET, &["x-tenant: b"])),
    );
}

#[test]
fn s4_key_fn_sees_get_for_head() {
    let opts = CacheOptions::default().key_fn(|p| CacheKey::new(p.method.as_str()));
    assert_eq!(
        key_of(opts, &request(Method::HEAD, &[])),
        Some("GET".into())
    );
}

#[test]
fn s2_request_key_override_beats_key_fn() {
    let opts = CacheOptions::default().key_fn(|_| CacheKey::new("from-fn"));
    let mut r = request(Method::GET, &[]);
    r.extensions.insert(CacheKey::new("from-request"));
    assert_eq!(key_of(opts, &r), Some("from-request".into()));
}

#[test]
fn s4_key_fn_does_not_make_unsafe_methods_cacheable() {
    let opts = CacheOptions::default().key_fn(|_| CacheKey::new("k"));
    let mut r = request(Method::POST, &[]);
    r.extensions.insert(CacheKey::new("override"));
    assert_eq!(key_of(opts, &r), None);
}
