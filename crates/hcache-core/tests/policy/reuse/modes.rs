//! Cache modes (`CacheMode`, per request or configured), methods (§4: unsafe methods are
//! written through), requests the cache cannot answer itself (§4.3.2 preconditions, ranges),
//! and the choice among several stored responses (§4: "the most recent one").

use hcache_core::{
    CacheMode, CacheOptions, CachePolicy, Decision, ForwardReason, NotStorable, StaleReason,
};
use http::Method;

use super::{base, decide_empty, ma100, validation};
use crate::outcomes;
use crate::support::*;

// Per-request modes: NoStore bypasses, Reload forwards, NoCache always validates.
outcomes! {
    s4_mode_no_store_bypasses_fresh_response:
        ma100().mode(CacheMode::NoStore), at 0 => Forward(ForwardReason::Bypass);
    s4_mode_reload_forwards_fresh_response:
        ma100().mode(CacheMode::Reload), at 0 => Forward(ForwardReason::Request);
    s4_mode_no_cache_validates_fresh_response:
        ma100().mode(CacheMode::NoCache), at 0 => Validate;
    s4_mode_default_validates_stale_response:
        ma100().mode(CacheMode::Default), at 150 => Validate;
}

#[test]
fn s4_mode_no_cache_reason_is_request() {
    let v = validation(&ma100().mode(CacheMode::NoCache), 0);
    assert_eq!(v.reason, ForwardReason::Request);
}

// ForceCache / OnlyIfCached: any stored response, even stale ("by configuration", §4.2.4),
// unless a directive forbids serving it stale.
outcomes! {
    s4_2_4_mode_force_cache_fresh:
        ma100().mode(CacheMode::ForceCache), at 50 => Fresh;
    s4_2_4_mode_force_cache_serves_stale:
        ma100().mode(CacheMode::ForceCache), at 100_000 => Stale(StaleReason::Mode);
    s4_2_4_mode_force_cache_not_with_must_revalidate:
        base().res("cache-control: max-age=100, must-revalidate").mode(CacheMode::ForceCache),
            at 150 => Validate;
    s4_2_4_mode_force_cache_not_with_response_no_cache:
        base().res("cache-control: max-age=100, no-cache").mode(CacheMode::ForceCache), at 10
            => Validate;
    s4_2_4_shared_mode_force_cache_not_with_s_maxage:
        base().shared().res("cache-control: s-maxage=100").mode(CacheMode::ForceCache), at 150
            => Validate;
    s4_2_4_mode_only_if_cached_fresh:
        ma100().mode(CacheMode::OnlyIfCached), at 50 => Fresh;
    s4_2_4_mode_only_if_cached_serves_stale:
        ma100().mode(CacheMode::OnlyIfCached), at 100_000 => Stale(StaleReason::Mode);
    s4_2_4_mode_only_if_cached_must_revalidate_unsatisfiable:
        base().res("cache-control: max-age=100, must-revalidate").mode(CacheMode::OnlyIfCached),
            at 150 => Unsatisfiable;
}

#[test]
fn s4_mode_force_cache_nothing_stored_forwards() {
    let case = Case::new().mode(CacheMode::ForceCache);
    assert!(matches!(
        decide_empty(&case),
        Decision::Forward(ForwardReason::UriMiss)
    ));
}

#[test]
fn s5_2_1_7_mode_only_if_cached_nothing_stored_unsatisfiable() {
    let case = Case::new().mode(CacheMode::OnlyIfCached);
    assert!(matches!(decide_empty(&case), Decision::Unsatisfiable));
}

// `CacheOptions::mode` is the default for requests without a mode of their own.
outcomes! {
    s4_configured_mode_force_cache_serves_stale:
        ma100().options(|o| o.mode(CacheMode::ForceCache)), at 150 => Stale(StaleReason::Mode);
    s4_request_mode_overrides_configured_mode:
        ma100().options(|o| o.mode(CacheMode::ForceCache)).mode(CacheMode::Default), at 150
            => Validate;
    s4_configured_mode_no_cache_validates_fresh:
        ma100().options(|o| o.mode(CacheMode::NoCache)), at 0 => Validate;
    s3_configured_mode_no_store_stores_nothing:
        ma100().options(|o| o.mode(CacheMode::NoStore)), at 0 => NotStored(NotStorable::Mode);
}

#[test]
fn s4_configured_mode_no_store_bypasses() {
    // Stored by a default policy, looked up by one configured with NoStore.
    let case = ma100();
    let stored = case.stored();
    let policy = CachePolicy::new(CacheOptions::default().mode(CacheMode::NoStore));
    assert!(matches!(
        policy.decide(&case.next_request(), &[stored], t(0)),
        Decision::Forward(ForwardReason::Bypass)
    ));
}

// §4: "A cache MUST write through requests with methods that are unsafe"; other methods
// than GET/HEAD are not answered from the cache.
outcomes! {
    s4_post_forwarded:
        ma100().next_method(Method::POST), at 0 => Forward(ForwardReason::Method);
    s4_put_forwarded:
        ma100().next_method(Method::PUT), at 0 => Forward(ForwardReason::Method);
    s4_delete_forwarded:
        ma100().next_method(Method::DELETE), at 0 => Forward(ForwardReason::Method);
    s4_patch_forwarded:
        ma100().next_method(Method::PATCH), at 0 => Forward(ForwardReason::Method);
    s4_options_forwarded:
        ma100().next_method(Method::OPTIONS), at 0 => Forward(ForwardReason::Method);
    s4_post_with_only_if_cached_still_written_through:
        ma100().next_method(Method::POST).next("cache-control: only-if-cached"), at 0
            => Forward(ForwardReason::Method);
    // RFC 9110 §9.3.2: a HEAD response is the GET response without content.
    s4_head_served_from_stored_get:
        ma100().next_method(Method::HEAD), at 50 => Fresh;
    s4_head_stale_get_validates:
        ma100().next_method(Method::HEAD), at 100 => Validate;
}

#[test]
fn s4_head_validation_keeps_head_method() {
    let v = validation(&ma100().next_method(Method::HEAD), 100);
    assert_eq!(v.request.method, Method::HEAD);
    assert_eq!(v.request.headers["if-none-match"], "\"v1\"");
}

// §4.3.2: preconditions other than If-None-Match / If-Modified-Since are the origin's to
// evaluate; range requests need partial content, which is not stored (§3.3).
outcomes! {
    s4_3_2_if_match_forwarded:
        ma100().next("if-match: \"v1\""), at 0 => Forward(ForwardReason::Request);
    s4_3_2_if_unmodified_since_forwarded:
        ma100().next("if-unmodified-since: {T}"), at 0 => Forward(ForwardReason::Request);
    s4_3_2_if_range_forwarded:
        ma100().next("if-range: \"v1\"").next("range: bytes=0-10"), at 0
            => Forward(ForwardReason::Request);
    s3_3_range_forwarded_as_partial:
        ma100().next("range: bytes=0-10"), at 0 => Forward(ForwardReason::Partial);
    s5_2_1_7_range_with_only_if_cached_unsatisfiable:
        ma100().next("range: bytes=0-10").next("cache-control: only-if-cached"), at 0
            => Unsatisfiable;
}

/// Stores `GET /r` answered with `lines` and received at `T0 + at`.
fn stored_at(lines: &[&str], at: i64) -> hcache_core::StoredResponse {
    base().res_all(lines).timing(at, at).stored()
}

/// The index `decide` picks among `stored` at `T0 + at`.
fn chosen(stored: &[hcache_core::StoredResponse], at: i64) -> usize {
    match Case::new()
        .policy()
        .decide(&Case::new().next_request(), stored, t(at))
    {
        Decision::Fresh(r) | Decision::Stale { reuse: r, .. } => r.index,
        Decision::Validate(v) => v.index,
        other => panic!("nothing chosen: {other:?}"),
    }
}

// §4: "When more than one suitable response is stored, a cache MUST use the most recent one
// (as determined by the Date header field)."
#[test]
fn s4_most_recent_by_date_chosen_last() {
    let old = stored_at(&["cache-control: max-age=1000", "date: {T-100}"], 0);
    let new = stored_at(&["cache-control: max-age=1000", "date: {T}"], 0);
    assert_eq!(chosen(&[old, new], 10), 1);
}

#[test]
fn s4_most_recent_by_date_chosen_first() {
    let old = stored_at(&["cache-control: max-age=1000", "date: {T-100}"], 0);
    let new = stored_at(&["cache-control: max-age=1000", "date: {T}"], 0);
    assert_eq!(chosen(&[new, old], 10), 0);
}

#[test]
fn s4_most_recent_by_date_even_when_received_earlier() {
    // Received later but generated earlier: Date decides.
    let old = stored_at(&["cache-control: max-age=1000", "date: {T-100}"], 50);
    let new = stored_at(&["cache-control: max-age=1000", "date: {T}"], 0);
    assert_eq!(chosen(&[new, old], 60), 0);
}

#[test]
fn s4_most_recent_chosen_even_if_stale() {
    let old_fresh = stored_at(&["cache-control: max-age=1000", "date: {T-100}"], 0);
    let new_stale = stored_at(&["cache-control: max-age=10", "date: {T}"], 0);
    let d =
        Case::new()
            .policy()
            .decide(&Case::new().next_request(), &[old_fresh, new_stale], t(50));
    let Decision::Validate(v) = d else {
        panic!("expected validation: {d:?}");
    };
    assert_eq!(v.index, 1);
}

#[test]
fn s4_same_date_later_received_chosen() {
    let a = stored_at(&["cache-control: max-age=1000", "date: {T}"], 0);
    let b = stored_at(&["cache-control: max-age=1000", "date: {T}"], 5);
    assert_eq!(chosen(&[b.clone(), a.clone()], 10), 0);
    assert_eq!(chosen(&[a, b], 10), 1);
}

#[test]
fn s4_without_date_receipt_time_decides() {
    let a = stored_at(&["cache-control: max-age=1000"], 0);
    let b = stored_at(&["cache-control: max-age=1000"], 20);
    assert_eq!(chosen(&[b, a], 30), 0);
}
