//! The `Cache-Status` field (RFC 9211): the member each decision implies, its formatting as a
//! Structured Field, and appending it after the members of caches closer to the origin.

use hcache_core::{CACHE_STATUS, CacheMode, CacheOptions, CacheStatus, ForwardReason};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};

use crate::support::*;

/// A response fresh for 60 s, with a validator.
fn max60() -> Case {
    Case::new().res_all(&["etag: \"v1\"", "cache-control: max-age=60"])
}

/// The `Cache-Status` member of the decision for `case` at `secs`, named "hcache".
fn member_at(case: &Case, secs: i64) -> String {
    case.decide_at(secs).cache_status().to_field_value("hcache")
}

// ---- the member each decision implies (RFC 9211 §2) ----

#[test]
fn rfc9211_s2_1_fresh_hit_with_ttl() {
    assert_eq!(member_at(&max60(), 10), "hcache; hit; ttl=50");
    let s = max60().decide_at(10).cache_status();
    assert!(s.is_hit());
    assert_eq!(s.forward_reason(), None);
}

#[test]
fn rfc9211_s2_4_stale_hit_has_negative_ttl() {
    let case = max60().next("cache-control: max-stale=30");
    assert_eq!(
        member_at(&case, 70),
        "hcache; hit; ttl=-10; detail=max-stale"
    );
}

#[test]
fn rfc9211_s2_4_stale_while_revalidate_hit() {
    let case = Case::new().res("cache-control: max-age=60, stale-while-revalidate=30");
    assert_eq!(
        member_at(&case, 75),
        "hcache; hit; ttl=-15; detail=stale-while-revalidate"
    );
}

#[test]
fn rfc9211_s2_2_fwd_uri_miss_when_nothing_stored() {
    let case = max60();
    let d = case.policy().decide(
        &case.next_request(),
        &[] as &[hcache_core::StoredResponse],
        t(0),
    );
    let s = d.cache_status();
    assert_eq!(s.forward_reason(), Some(ForwardReason::UriMiss));
    assert!(!s.is_hit());
    assert_eq!(s.to_field_value("hcache"), "hcache; fwd=uri-miss");
}

#[test]
fn rfc9211_s2_2_fwd_vary_miss() {
    let case = max60()
        .req("accept: text/html")
        .res("vary: accept")
        .next("accept: image/png");
    assert_eq!(member_at(&case, 10), "hcache; fwd=vary-miss");
}

#[test]
fn rfc9211_s2_2_fwd_method() {
    let case = max60().next_method(Method::POST);
    assert_eq!(member_at(&case, 10), "hcache; fwd=method");
}

#[test]
fn rfc9211_s2_2_fwd_bypass_for_no_store_mode() {
    let case = max60().mode(CacheMode::NoStore);
    assert_eq!(member_at(&case, 10), "hcache; fwd=bypass");
}

#[test]
fn rfc9211_s2_2_fwd_request_for_reload_mode() {
    let case = max60().mode(CacheMode::Reload);
    assert_eq!(member_at(&case, 10), "hcache; fwd=request");
}

#[test]
fn rfc9211_s2_2_fwd_request_for_request_no_cache() {
    assert_eq!(
        member_at(&max60().next("cache-control: no-cache"), 10),
        "hcache; fwd=request"
    );
    assert_eq!(
        member_at(&max60().next("pragma: no-cache"), 10),
        "hcache; fwd=request"
    );
    assert_eq!(
        member_at(&max60().next("cache-control: max-age=0"), 10),
        "hcache; fwd=request"
    );
}

#[test]
fn rfc9211_s2_2_fwd_stale() {
    assert_eq!(member_at(&max60(), 70), "hcache; fwd=stale");
}

#[test]
fn rfc9211_s2_2_fwd_partial_for_range_request() {
    let case = max60().next("range: bytes=0-99");
    assert_eq!(member_at(&case, 10), "hcache; fwd=partial");
}

#[test]
fn rfc9211_s2_8_only_if_cached_without_usable_response() {
    let case = max60().next("cache-control: only-if-cached");
    assert_eq!(member_at(&case, 70), "hcache; detail=only-if-cached");
    let d = case.policy().decide(
        &case.next_request(),
        &[] as &[hcache_core::StoredResponse],
        t(0),
    );
    let s = d.cache_status();
    assert!(!s.is_hit() && s.forward_reason().is_none());
}

#[test]
fn rfc9211_s2_2_forward_reason_tokens() {
    let all = [
        (ForwardReason::Bypass, "bypass"),
        (ForwardReason::Method, "method"),
        (ForwardReason::UriMiss, "uri-miss"),
        (ForwardReason::VaryMiss, "vary-miss"),
        (ForwardReason::Miss, "miss"),
        (ForwardReason::Request, "request"),
        (ForwardReason::Stale, "stale"),
        (ForwardReason::Partial, "partial"),
    ];
    for (r, token) in all {
        assert_eq!(r.as_str(), token);
        assert_eq!(
            CacheStatus::forward(r).to_field_value("c"),
            format!("c; fwd={token}")
        );
    }
}

// ---- formatting (RFC 9211 §2: an SF List of Strings or Tokens with parameters) ----

#[test]
fn rfc9211_s2_name_as_token_when_possible() {
    for name in [
        "hcache",
        "cdn.example.net",
        "Edge_1",
        "*cache",
        "proxy:8080/a",
    ] {
        assert_eq!(
            CacheStatus::hit().to_field_value(name),
            format!("{name}; hit")
        );
    }
}

#[test]
fn rfc9211_s2_name_as_quoted_string_otherwise() {
    assert_eq!(
        CacheStatus::hit().to_field_value("my cache"),
        "\"my cache\"; hit"
    );
    assert_eq!(
        CacheStatus::hit().to_field_value("1cache"),
        "\"1cache\"; hit"
    );
    assert_eq!(CacheStatus::hit().to_field_value(""), "\"\"; hit");
    assert_eq!(
        CacheStatus::hit().to_field_value(r#"a"b\c"#),
        r#""a\"b\\c"; hit"#
    );
    assert_eq!(CacheStatus::hit().to_field_value("caché"), "\"cach?\"; hit");
}

#[test]
fn rfc9211_s2_parameters_in_order() {
    let s = CacheStatus::forward(ForwardReason::Stale)
        .fwd_status(304)
        .ttl(-3)
        .stored(true)
        .collapsed(true)
        .key("k")
        .detail("x");
    assert_eq!(
        s.to_field_value("hcache"),
        "hcache; fwd=stale; fwd-status=304; ttl=-3; stored; collapsed; key=\"k\"; detail=x"
    );
}

#[test]
fn rfc9211_s2_false_flags_omitted() {
    let s = CacheStatus::forward(ForwardReason::Miss)
        .stored(false)
        .collapsed(false);
    assert_eq!(s.to_field_value("hcache"), "hcache; fwd=miss");
    assert_eq!(CacheStatus::none().to_field_value("hcache"), "hcache");
}

#[test]
fn rfc9211_s2_3_fwd_status_added_by_caller() {
    let case = max60();
    let s = case
        .decide_at(70)
        .cache_status()
        .fwd_status(200)
        .stored(true);
    assert_eq!(
        s.to_field_value("hcache"),
        "hcache; fwd=stale; fwd-status=200; stored"
    );
}

#[test]
fn rfc9211_s2_7_key_always_a_string_escaped() {
    let s = CacheStatus::hit().key(r#"GET http://x/"a"\b"#);
    assert_eq!(
        s.to_field_value("c"),
        r#"c; hit; key="GET http://x/\"a\"\\b""#
    );
    let s = CacheStatus::hit().key("ünï");
    assert_eq!(s.to_field_value("c"), "c; hit; key=\"?n?\"");
}

#[test]
fn rfc9211_s2_8_detail_token_or_string() {
    assert_eq!(
        CacheStatus::none()
            .detail("only-if-cached")
            .to_field_value("c"),
        "c; detail=only-if-cached"
    );
    assert_eq!(
        CacheStatus::none().detail("two words").to_field_value("c"),
        "c; detail=\"two words\""
    );
}

#[test]
fn rfc9211_s2_4_ttl_clamped_to_sf_integer_range() {
    assert_eq!(
        CacheStatus::hit().ttl(i64::MAX).to_field_value("c"),
        "c; hit; ttl=999999999999999"
    );
    assert_eq!(
        CacheStatus::hit().ttl(i64::MIN).to_field_value("c"),
        "c; hit; ttl=-999999999999999"
    );
}

#[test]
fn rfc9211_s2_display_uses_default_name() {
    assert_eq!(CacheStatus::hit().ttl(5).to_string(), "hcache; hit; ttl=5");
}

// ---- appending (RFC 9211 §2: a cache adds its member after those already present) ----

#[test]
fn rfc9211_s2_append_to_empty_headers() {
    let mut h = HeaderMap::new();
    CacheStatus::hit()
        .ttl(5)
        .append_to(&mut h, &CACHE_STATUS, "hcache");
    assert_eq!(h[CACHE_STATUS], "hcache; hit; ttl=5");
    assert_eq!(CACHE_STATUS.as_str(), "cache-status");
}

#[test]
fn rfc9211_s2_append_after_existing_member() {
    let mut h = HeaderMap::new();
    h.insert(
        CACHE_STATUS,
        HeaderValue::from_static("origin; fwd=uri-miss; stored"),
    );
    CacheStatus::hit()
        .ttl(5)
        .append_to(&mut h, &CACHE_STATUS, "hcache");
    let lines: Vec<_> = h.get_all(CACHE_STATUS).iter().collect();
    assert_eq!(lines, ["origin; fwd=uri-miss; stored, hcache; hit; ttl=5"]);
}

#[test]
fn rfc9211_s2_append_after_several_lines_keeps_order() {
    let mut h = HeaderMap::new();
    h.append(CACHE_STATUS, HeaderValue::from_static("a; hit"));
    h.append(CACHE_STATUS, HeaderValue::from_static("b; fwd=stale"));
    CacheStatus::forward(ForwardReason::Miss).append_to(&mut h, &CACHE_STATUS, "hcache");
    let lines: Vec<_> = h.get_all(CACHE_STATUS).iter().collect();
    assert_eq!(lines, ["a; hit", "b; fwd=stale", "hcache; fwd=miss"]);
}

#[test]
fn rfc9211_s2_append_to_custom_field() {
    let field = HeaderName::from_static("x-cache-status");
    let mut h = HeaderMap::new();
    CacheStatus::hit().append_to(&mut h, &field, "edge");
    CacheStatus::forward(ForwardReason::Stale).append_to(&mut h, &field, "hcache");
    assert_eq!(h[&field], "edge; hit, hcache; fwd=stale");
    assert!(!h.contains_key(CACHE_STATUS));
}

// ---- the cache's name (CacheOptions::cache_status_name) ----

#[test]
fn rfc9211_s2_default_name_is_hcache() {
    assert_eq!(CacheOptions::default().cache_status(), Some("hcache"));
}

#[test]
fn rfc9211_s2_custom_name_from_options() {
    let case = max60().options(|o| o.cache_status_name(Some("edge-7")));
    let policy = case.policy();
    let name = policy.options().cache_status().expect("a name");
    let stored = case.stored();
    let d = policy.decide(&case.next_request(), &[stored], t(10));
    assert_eq!(d.cache_status().to_field_value(name), "edge-7; hit; ttl=50");
}

#[test]
fn rfc9211_s2_name_none_disables_the_field() {
    let o = CacheOptions::default().cache_status_name(None);
    assert_eq!(o.cache_status(), None);
}
