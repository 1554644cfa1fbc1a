//! §4.3.3 / §4.3.4: which stored responses a 304 freshens (`select_for_freshening`).

use hcache_core::{CachePolicy, StoredResponse};
use http::Method;

use crate::support::*;

/// A variant of `GET http://example.com/r` (varying on `Accept-Language: lang`) with the
/// response fields `lines`, received at `T0 + at`.
fn variant(lang: &str, lines: &[&str], at: i64) -> StoredResponse {
    let mut res_lines = vec!["Cache-Control: max-age=60", "Vary: Accept-Language"];
    res_lines.extend_from_slice(lines);
    let accept = format!("Accept-Language: {lang}");
    CachePolicy::default()
        .store(
            &req(Method::GET, "http://example.com/r", &[&accept]),
            &res(200, &res_lines),
            t(at),
            t(at),
        )
        .expect("storable")
}

/// The indices a 304 with `lines` selects among `stored`, `validated` being the index whose
/// validators were sent.
fn select(stored: &[StoredResponse], validated: Option<usize>, lines: &[&str]) -> Vec<usize> {
    CachePolicy::default().select_for_freshening(stored, validated, &headers(lines))
}

/// Three variants: two with `ETag: a` (received at T0 and T0+10), one with `ETag: b`.
fn strong_set() -> Vec<StoredResponse> {
    vec![
        variant("en", &[r#"ETag: "a""#, "Date: {T}"], 0),
        variant("fr", &[r#"ETag: "a""#, "Date: {T+10}"], 10),
        variant("de", &[r#"ETag: "b""#, "Date: {T+20}"], 20),
    ]
}

// §4.3.4: "If the new response contains a strong validator ... All the stored responses with
// the same strong validator are identified for update. If none of the stored responses
// contain the same strong validator, then the cache MUST NOT use the new response to update
// any stored responses."
#[test]
fn s4_3_4_strong_etag_selects_every_response_with_it() {
    assert_eq!(select(&strong_set(), Some(1), &[r#"ETag: "a""#]), [0, 1]);
}

#[test]
fn s4_3_4_strong_etag_selects_the_single_response_with_it() {
    assert_eq!(select(&strong_set(), Some(0), &[r#"ETag: "b""#]), [2]);
}

#[test]
fn s4_3_4_strong_etag_matching_none_selects_nothing() {
    assert!(select(&strong_set(), Some(0), &[r#"ETag: "c""#]).is_empty());
}

#[test]
fn s4_3_4_strong_etag_does_not_match_weak_stored_tag() {
    let stored = [variant("en", &[r#"ETag: W/"a""#], 0)];
    assert!(select(&stored, Some(0), &[r#"ETag: "a""#]).is_empty());
}

// §4.3.4: "If the new response contains a weak validator and that validator corresponds to
// one of the cache's stored responses, then the most recent of those matching stored
// responses is identified for update."
#[test]
fn s4_3_4_weak_etag_selects_most_recent_match_only() {
    let stored = [
        variant("en", &[r#"ETag: W/"a""#, "Date: {T}"], 0),
        variant("fr", &[r#"ETag: W/"a""#, "Date: {T+10}"], 10),
        variant("de", &[r#"ETag: W/"b""#, "Date: {T+20}"], 20),
    ];
    assert_eq!(select(&stored, Some(0), &[r#"ETag: W/"a""#]), [1]);
}

#[test]
fn s4_3_4_weak_etag_corresponds_to_strong_stored_tag() {
    let stored = [variant("en", &[r#"ETag: "a""#], 0)];
    assert_eq!(select(&stored, None, &[r#"ETag: W/"a""#]), [0]);
}

#[test]
fn s4_3_4_weak_etag_equal_dates_prefers_later_received() {
    let stored = [
        variant("en", &[r#"ETag: W/"a""#, "Date: {T}"], 5),
        variant("fr", &[r#"ETag: W/"a""#, "Date: {T}"], 3),
    ];
    assert_eq!(select(&stored, None, &[r#"ETag: W/"a""#]), [0]);
}

#[test]
fn s4_3_4_weak_etag_matching_none_selects_nothing() {
    let stored = [variant("en", &[r#"ETag: W/"a""#], 0)];
    assert!(select(&stored, Some(0), &[r#"ETag: W/"z""#]).is_empty());
}

// Last-Modified is a weak validator for the cache (it cannot tell whether it is strong,
// RFC 9110 §8.8.2.2): the most recent stored response with the same value.
#[test]
fn s4_3_4_last_modified_selects_most_recent_equal_value() {
    let stored = [
        variant("en", &["Last-Modified: {T-100}", "Date: {T}"], 0),
        variant("fr", &["Last-Modified: {T-100}", "Date: {T+10}"], 10),
        variant("de", &["Last-Modified: {T-50}", "Date: {T+20}"], 20),
    ];
    assert_eq!(select(&stored, None, &["Last-Modified: {T-100}"]), [1]);
}

#[test]
fn s4_3_4_last_modified_matching_none_selects_nothing() {
    let stored = [variant("en", &["Last-Modified: {T-100}"], 0)];
    assert!(select(&stored, Some(0), &["Last-Modified: {T-99}"]).is_empty());
}

// §4.3.4: "If the new response does not include any form of validator ... and there is only
// one stored response, and that stored response also lacks a validator, then that stored
// response is identified for update." Documented choice beyond that: a 304 without
// validators answers the validators we sent, so the validated response is the one updated.
#[test]
fn s4_3_4_no_validator_selects_the_validated_response() {
    assert_eq!(select(&strong_set(), Some(2), &["Date: {T+30}"]), [2]);
}

#[test]
fn s4_3_4_no_validator_selects_lone_response_without_validators() {
    let stored = [variant("en", &[], 0)];
    assert_eq!(select(&stored, None, &["Date: {T+30}"]), [0]);
}

#[test]
fn s4_3_4_no_validator_does_not_select_lone_response_with_validator() {
    let stored = [variant("en", &[r#"ETag: "a""#], 0)];
    assert!(select(&stored, None, &["Date: {T+30}"]).is_empty());
}

#[test]
fn s4_3_4_no_validator_among_several_responses_selects_nothing() {
    let stored = [variant("en", &[], 0), variant("fr", &[], 10)];
    assert!(select(&stored, None, &[]).is_empty());
}

#[test]
fn s4_3_4_out_of_range_validated_index_is_ignored() {
    let lone = [variant("en", &[], 0)];
    assert_eq!(select(&lone, Some(7), &[]), [0]);
    let two = [variant("en", &[], 0), variant("fr", &[], 10)];
    assert!(select(&two, Some(7), &[]).is_empty());
}
